// Secrets by the shape of the value (issue 12): a PEM private key, a cloud key and a URL password
// under innocent Global keys go to the stage's secrets (prefilled only in the git-ignored file),
// never into config/custom or any other tracked file, and `analyze --json` does not print them.
// Real Rails, with the secrets filled in as the team would, reads what Global gave.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { planConfig } from "../../emitters/rails-config/index.js";
import { configEnvFile, secretEnvExample, secretEnvFile } from "../../emitters/contract.js";
import { redaction } from "../../src/redact.js";
import { renderReport } from "../../src/report.js";
import { railsEnvOf, type AppModel, type EmittedFile } from "../../src/model.js";
import { writeApp } from "./harness.js";

const PEM_BODY = "MIIEowIBAAKCAQEAr2kFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake0123";
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\n`;
const AWS_ID = "AKIAQWERTYUIOPASDFGH";
const URL_PASSWORD = "Zx9FAKEpassw0rd";

const SIGNING = `default:
  material: |
    -----BEGIN RSA PRIVATE KEY-----
    ${PEM_BODY}
    -----END RSA PRIVATE KEY-----
  upload_id: ${AWS_ID}
  upstream: https://svc:${URL_PASSWORD}@api.example.com/v1
  region: us-east-1
production:
  issuer: shop
staging:
  issuer: shop-staging
`;

const APP: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\ngem "unicorn"\n',
  // The image installs exactly the locked gems: without a lockfile naming the server, migrate refuses.
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    global (2.1.0)\n    rails (6.1.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails (~> 6.1)\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n",

  "config/application.rb": "module Shop\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": 'set :application, "shop"\nset :repo_url, "git@example.com:shop.git"\n',
  "config/deploy/production.rb": 'server "web1.example.com", user: "deploy", roles: %w[web app]\n',
  "config/deploy/staging.rb": 'server "staging.example.com", user: "deploy", roles: %w[web app]\nset :rails_env, "staging"\n',
  "config/global/signing.yml": SIGNING,
};

let model: AppModel;
let files: EmittedFile[];
let root: string;
beforeAll(async () => {
  model = await analyzeFiles(memoryRepo(APP), "shop");
  const answers = Object.fromEntries(model.gaps.map((g) => [g.id, g.default]));
  files = EMITTERS.flatMap((e) => e.emit(model, answers).files);
  root = mkdtempSync(join(tmpdir(), "r2k-shapes-"));
  for (const [p, c] of Object.entries(APP)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
}, 60_000);

/** Keys of an env file, set or commented out (`# KEY=`: a key with no value is absent from the pod). */
const keysOf = (text: string) => text.split("\n").flatMap((l) => (/^(?:# )?([A-Za-z_]\w*)=/.exec(l) ? [RegExp.$1] : []));
const parseEnv = (text: string) => Object.fromEntries(text.split("\n").flatMap((l) => (/^([A-Za-z_]\w*)=(.*)$/.exec(l) ? [[RegExp.$1, RegExp.$2]] : [])));

describe("secrets by value shape in Global values", () => {
  it("no tracked file holds them; the git-ignored secrets.env is prefilled with the one-line ones", () => {
    for (const f of files.filter((f) => !f.secret)) {
      expect(f.content, f.path).not.toContain(PEM_BODY);
      expect(f.content, f.path).not.toContain(AWS_ID);
      expect(f.content, f.path).not.toContain(URL_PASSWORD);
    }
    for (const stage of ["production", "staging"]) {
      const secrets = parseEnv(files.find((f) => f.path === secretEnvFile(stage))!.content);
      expect(files.find((f) => f.path === secretEnvFile(stage))!.secret).toBe(true);
      expect(Object.values(secrets)).toContain(AWS_ID);
      expect(Object.values(secrets).some((v) => v.includes(URL_PASSWORD))).toBe(true);
      const example = files.find((f) => f.path === secretEnvExample(stage))!.content;
      const secretsText = files.find((f) => f.path === secretEnvFile(stage))!.content;
      expect(keysOf(example).sort()).toEqual(keysOf(secretsText).sort());
      expect(Object.values(parseEnv(example)).every((v) => v === "")).toBe(true);
      expect(files.find((f) => f.path === configEnvFile(stage))!.content).not.toMatch(/AKIA|BEGIN RSA/);
    }
    // The PEM is one variable too, secret; an env file cannot carry its lines: to set by hand.
    const plan = planConfig(model, {});
    const material = plan.env.filter((e) => e.path === "signing.material");
    expect(material.map((e) => [e.stage, e.secret, e.value])).toEqual([["production", true, null], ["staging", true, null]]);
    expect(plan.notes.some((n) => /signing\.material holds a multi-line value/.test(n.message))).toBe(true);
    expect(plan.env.find((e) => e.path === "signing.region")).toBeUndefined();
  });

  it("analyze --json and the report print none of them", () => {
    const shown = redaction(model).model;
    const json = JSON.stringify(shown);
    const report = renderReport(shown, { color: false });
    for (const text of [json, report]) {
      expect(text).not.toContain(PEM_BODY);
      expect(text).not.toContain(AWS_ID);
      expect(text).not.toContain(URL_PASSWORD);
    }
    expect(json).toContain("us-east-1");
  });

  for (const stageName of ["production", "staging"])
    it(`${stageName}: real Rails, secrets filled in by hand, reads what Global gave`, () => {
      const stage = model.stages.find((s) => s.name === stageName)!;
      const plan = planConfig(model, {});
      const pod: Record<string, string> = parseEnv(files.find((f) => f.path === secretEnvFile(stageName))!.content);
      for (const e of plan.env.filter((e) => e.stage === stageName && e.value === null)) pod[e.name] = PEM;
      const dir = writeApp(files.filter((f) => f.path.startsWith("config/") || f.path.startsWith("lib/tasks/")));
      const input = join(dir, "verify-input.json");
      writeFileSync(input, JSON.stringify({ app_dir: dir, fixture_root: root, global_dir: "config/global", rails_env: railsEnvOf(stage), vars: {}, templates: [] }));
      const r = spawnSync("ruby", [resolve("test/rails-config/fixture_verify.rb"), input], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...pod, RAILS_ENV: railsEnvOf(stage) } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { diffs: string[]; task: { status: number; output: string } };
      expect(out.diffs).toEqual([]);
      expect(out.task.status, out.task.output).toBe(0);
      expect(out.task.output).not.toContain(AWS_ID);
    }, 60_000);
});
