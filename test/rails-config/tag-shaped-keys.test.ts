// A Global Hash whose keys spell one of the model's tagged values (`{sym: short}`, `{float: "2.0"}`,
// `{date: "2024-03-01"}`, `{env: X, default: y}`, `{unknown: …}`, `{cap: …}`, `{time: …}`,
// `{interp: […]}`, and the config_for writer's own `{erb: …}`) is a Hash, and reaches config_for as that Hash. Judged by real Rails: the verify
// task compares config_for's values with what a stand-in Global serves from the same files read by
// the gem's rules (test/global/reference_global.rb), in Ruby, with no encoding of ours between them.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import type { AppModel, EmittedFile, RValue } from "../../src/model.js";
import { isTaggedValue } from "../../src/model.js";
import { analyzeDir } from "../../src/analyze.js";
import { emitRailsConfig } from "../../emitters/rails-config/index.js";
import { bootApp, writeApp } from "./harness.js";

const DISPLAY = `default:
  formats:
    sym: short
  ratio:
    float: "2.0"
  launch:
    date: "2024-03-01"
  stamp:
    time: "2024-03-01 10:00:00"
  flag:
    env: PRODUCTION_FLAG
    default: "on"
  reason:
    unknown: "not yet"
  owner:
    cap: platform
  parts:
    interp: [a, b]
  # ERB text in a value (written <%% so Global's own ERB pass leaves it as text): the shape the
  # config_for writer uses for code it writes as is; here it is a String to keep as one.
  template:
    erb: "<%%= 7 * 6 %>"
  real_sym: :short
  real_date: 2024-03-01
production:
  formats:
    sym: long
`;

function repo(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-tagkeys-")), "app");
  const files: Record<string, string> = {
    Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\n',
    "config/application.rb": 'require_relative "boot"\n',
    "config/deploy.rb": 'set :application, "tagkeys"\n',
    "config/deploy/production.rb": 'server "web1.example.com", roles: %w[web app]\nset :rails_env, "production"\n',
    "config/global/formatting.yml": DISPLAY,
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

describe("a Global Hash whose keys spell a tagged value", () => {
  let root: string;
  let model: AppModel;
  let files: EmittedFile[];
  beforeAll(async () => {
    root = repo();
    model = await analyzeDir(root);
    files = emitRailsConfig(model, {}).files;
  });

  it("is read as a Hash; a real Symbol and Date beside them stay tagged", () => {
    const values = model.global!.namespaces.find((n) => n.name === "formatting")!.values["production"] as Record<string, RValue>;
    for (const k of ["formats", "ratio", "launch", "stamp", "flag", "reason", "owner", "parts", "template"]) expect(isTaggedValue(values[k]), k).toBe(false);
    expect(values["formats"]).toEqual({ sym: "long" });
    expect(isTaggedValue(values["real_sym"])).toBe(true);
    expect(isTaggedValue(values["real_date"])).toBe(true);
    // No ENV read is invented from `flag`, no gap from `reason`.
    expect(model.gaps.some((g) => /PRODUCTION_FLAG|not yet/.test(JSON.stringify(g)))).toBe(false);
  });

  it("real Rails' config_for gives what Global gives, compared in Ruby by the verify task", () => {
    const dir = writeApp(files);
    const booted = bootApp(dir, { globalDir: join(root, "config/global") }, { task: "rails2k8s:verify_config", env: { RAILS_ENV: "production" } });
    expect(booted.task?.output).toContain("config/custom gives the same values as Global");
    expect(booted.task?.status).toBe(0);
  });
});
