// A hostile repo for the config migration: payloads planted in Global file names, directory names,
// YAML keys and values, and ENV defaults. Ruby then reads what was generated: every Ruby file (and
// the Ruby ERB makes of every config_for file) passes the syntax check with each planted value only
// inside a string literal, and real Rails boots the loader, reads every value back exactly, runs the
// verify task, and no planted command runs.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import type { AppModel, EmittedFile, RValue } from "../../src/model.js";
import { analyzeDir } from "../../src/analyze.js";
import { emitRailsConfig, planConfig } from "../../emitters/rails-config/index.js";
import { bootApp, typedJson, writeApp } from "./harness.js";

const MARK = "PWN";
/** A shell command that leaves a file named for where it was planted, if it ever runs. */
const run = (where: string) => `\`touch ${MARK}_${where}\``;
/** The planted shapes: quote, interpolation, backslash, newline, ERB close, __END__, unicode. */
const payload = (where: string) => `"#{${run(where)}}"\\%>__END__é漢🙂`;

function repo(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-hostile-")), "app");
  const files: Record<string, string> = {
    Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\n',
    "config/application.rb": 'require_relative "boot"\n',
    "config/deploy.rb": 'set :application, "hostile"\n',
    "config/deploy/production.rb": 'server "web1.example.com", roles: %w[web app]\nset :rails_env, "production"\n',
    // File and directory names: `"`, `#{}`, `\`, `%>`, a newline, unicode.
    [`config/global/a"#{${run("file")}}".yml`]: "production:\n  plain: 1\n",
    [`config/global/d"#{${run("dir")}}\\\n%>é/n.yml`]: "production:\n  v: 2\n",
    // Keys and values: every shape, NUL and a newline by YAML escape, ERB-looking text, an ENV
    // default and text around an ENV read holding `%>`.
    "config/global/values.yml": [
      "production:",
      `  ${JSON.stringify(payload("key"))}: ${JSON.stringify(payload("value") + "\n__END__\n\u0000\u001b[31m\u007f\u0085\u2028\ufeff<%= 1 %>")}`,
      `  erb_looking: "<%%= ${run("erbtext")} %%>"`,
      `  url: "http://<%= ENV['HOSTILE_HOST'] %>/x%>y#{${run("interp")}}"`,
      // ERB writes the default into the YAML text as it is (as it did for Global): it starts with a
      // letter so that YAML reads it as a String, not a comment.
      `  with_default: <%= ENV.fetch("HOSTILE_DEFAULT", 'x#{${run("default")}}"%') %>`,
      `  sym: :"#{${run("sym")}}"`,
      // A secret-named key: its value moves to the pod's environment under a derived name.
      `  ${JSON.stringify(`secret"#{${run("secretkey")}}`)}: "s3cr3t#{x}%>"`,
      "",
    ].join("\n"),
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** What Ruby makes of the generated files: syntax verdict and any marker outside a string. */
function judge(files: EmittedFile[]): Record<string, { syntax: true | string; code: string[] }> {
  const input = Object.fromEntries(files.filter((f) => /\.(rb|rake|yml)$/.test(f.path)).map((f) => [f.path, f.content]));
  const r = spawnSync("ruby", [join(import.meta.dirname, "inert.rb"), MARK], { input: JSON.stringify(input), encoding: "utf8", env: { PATH: process.env.PATH, LANG: "C.UTF-8" } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const ENV_GIVEN: Record<string, string> = { HOSTILE_HOST: "h.example" };

/** The model's ENV reads and interpolations as Global computes them with ENV_GIVEN. */
function resolve(v: RValue): RValue {
  if (Array.isArray(v)) return v.map(resolve);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, RValue>;
  if (typeof o.env === "string" && "default" in o) return ENV_GIVEN[o.env as string] ?? (o.default === null ? null : resolve(o.default));
  if (Array.isArray(o.interp)) return (o.interp as RValue[]).map((p) => String(resolve(p) ?? "")).join("");
  if (typeof o.sym === "string") return v;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
}

/** Global's values for production as the stand-in Global serves them: nested by namespace. */
function globalValues(m: AppModel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const ns of m.global!.namespaces) {
    const parts = ns.name.split(".");
    let node = out as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = typedJson(resolve((ns.values["production"] ?? {}) as RValue));
  }
  return out;
}

describe("a hostile Global configuration", () => {
  let model: AppModel;
  let files: EmittedFile[];
  beforeAll(async () => {
    model = await analyzeDir(repo());
    files = emitRailsConfig(model, {}).files;
  });

  it("plants what it means to plant (the analysis reads every payload as a value)", () => {
    const names = model.global!.namespaces.map((n) => n.name);
    expect(names).toContain(`a"#{${run("file")}}"`);
    expect(names.some((n) => n.includes(run("dir")) && n.includes("\n"))).toBe(true);
    const values = model.global!.namespaces.find((n) => n.name === "values")!.values["production"] as Record<string, RValue>;
    expect(Object.keys(values)).toContain(payload("key"));
    expect(values[payload("key")]).toContain("\u0000");
  });

  it("every Ruby file, and the Ruby ERB makes of every config_for file, parses and holds the payloads only as strings", () => {
    expect(files.filter((f) => f.content.includes("s3cr3t")).map((f) => f.path)).toEqual([]);
    const verdicts = judge(files);
    expect(Object.keys(verdicts).filter((p) => p.endsWith(".rb") || p.endsWith(".rake")).length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(verdicts).filter((p) => p.endsWith(".yml")).length).toBeGreaterThanOrEqual(3);
    for (const [path, v] of Object.entries(verdicts)) {
      expect(v.syntax, path).toBe(true);
      expect(v.code, path).toEqual([]);
    }
  });

  it("real Rails boots the loader and reads every value back as Global gave it; the verify task agrees; nothing planted runs", () => {
    const dir = writeApp(files);
    const expected = globalValues(model);
    // The moved secret, as the stage's secrets.env would give it to the pod.
    const moved = Object.fromEntries(planConfig(model, {}).env.filter((e) => e.value !== null).map((e) => [e.name, e.value!]));
    expect(Object.keys(moved).length).toBeGreaterThan(0);
    const booted = bootApp(dir, expected, { task: "rails2k8s:verify_config", env: { RAILS_ENV: "production", ...ENV_GIVEN, ...moved } });
    expect(readdirSync(dir).filter((f) => f.startsWith(MARK))).toEqual([]);
    expect(booted.namespaces).toEqual(expected);
    expect(booted.task?.output).toContain("config/custom gives the same values as Global");
    expect(booted.task?.status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith(MARK))).toEqual([]);
    expect(existsSync(join(dir, `${MARK}_file`))).toBe(false);
  });
});
