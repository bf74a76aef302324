// Verify first, switch second (issue 12): `migrate` leaves the Global call sites alone; the emitted
// task, run by real Rails on each "server" (the fixture's Global computed by the gem's rules), writes
// the reports; `verify-config` reads them together; `switch-config` rewrites the call sites only once
// every stage and server is clean (or with --force).
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitRailsConfig } from "../../emitters/rails-config/index.js";
import { configEnvFile, secretEnvFile } from "../../emitters/contract.js";
import { envRefs } from "../../analyzers/secrets.js";
import { main } from "../../src/cli.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { MODEL_VERSION, railsEnvOf, type AppModel, type Answers, type EmittedFile, type GlobalNamespace, type RValue, type Stage } from "../../src/model.js";
import { bootApp, typedJson, writeApp } from "./harness.js";
import { copyFixture, recordingIo, snapshot } from "../migrate/helpers.js";

const SCRIPT = resolve("test/rails-config/fixture_verify.rb");

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

async function cli(args: string[]) {
  const io = recordingIo();
  const code = await main(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** Runs the emitted task under real Rails for each server of each stage of `app`, writing reports/<stage>/<host>.json. */
function serverReports(app: string, model: AppModel, files: EmittedFile[], reports: string): void {
  const railsFiles = files.filter((f) => f.path.startsWith("config/") || f.path.startsWith("lib/tasks/"));
  const referenced = [...new Set(envRefs(model.global!).map((r) => r.name))];
  for (const stage of model.stages) {
    const byPath = (p: string) => files.find((f) => f.path === p)?.content ?? "";
    const pod: Record<string, string> = { ...parseEnvFile(byPath(configEnvFile(stage.name))) };
    for (const [k, v] of Object.entries(parseEnvFile(byPath(secretEnvFile(stage.name))))) pod[k] = v || `value-of-${k}`;
    for (const name of referenced) pod[name] ??= "012345";
    for (const host of new Set(stage.servers.map((s) => s.host))) {
      const dir = writeApp(railsFiles);
      const input = join(dir, "verify-input.json");
      writeFileSync(input, JSON.stringify({
        app_dir: dir, fixture_root: resolve("fixtures/apps", app), global_dir: model.global!.dir, rails_env: railsEnvOf(stage),
        vars: Object.fromEntries(Object.entries(stage.variables).map(([k, f]) => [k, f.value])),
        templates: model.global!.templates.map((t) => ({ template: t.template, target: t.target })),
      }));
      // The stage's env file as the servers hold it: the task loads it and names its stage from it.
      const envFile = configEnvFile(stage.name);
      mkdirSync(join(dir, envFile, ".."), { recursive: true });
      writeFileSync(join(dir, envFile), Object.entries(pod).map(([k, v]) => `${k}=${v}\n`).join(""));
      mkdirSync(join(reports, stage.name), { recursive: true });
      const report = join(reports, stage.name, `${host}.json`);
      const r = spawnSync("ruby", [SCRIPT, input], {
        encoding: "utf8", cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...pod, RAILS_ENV: railsEnvOf(stage), REPORT: report, SERVER: host, ENV_FILES: envFile },
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { task: { status: number; output: string } };
      expect(out.task.status, out.task.output).toBe(0);
    }
  }
}

describe("verify first, switch second (shop)", () => {
  let model: AppModel;
  let files: EmittedFile[];
  let reports: string;

  beforeAll(async () => {
    model = await analyzeDir(resolve("fixtures/apps/shop"));
    const answers: Answers = Object.fromEntries(model.gaps.map((g) => [g.id, g.default]));
    files = EMITTERS.flatMap((e) => e.emit(model, answers).files);
    reports = mkdtempSync(join(tmpdir(), "r2k-reports-"));
    serverReports("shop", model, files, reports);
  }, 180_000);

  it("the emitter returns no call-site patches: migrate leaves Global reads alone", async () => {
    expect(emitRailsConfig(model, {}).patches ?? []).toEqual([]);
    const dir = copyFixture();
    const before = readFileSync(join(dir, "app/services/payment_client.rb"), "utf8");
    const env: MigrateEnv = { interactive: false, prompts: {} as MigrateEnv["prompts"], analyze: analyzeDir, emitters: EMITTERS };
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(0);
    expect(readFileSync(join(dir, "app/services/payment_client.rb"), "utf8")).toBe(before);
    expect(before).toMatch(/\bGlobal\.payment\./);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    // The order: deploy, verify on every server, collect, verify-config, then switch-config.
    const at = (s: string) => guide.indexOf(s);
    expect(at("Deploy the new config to the EC2 servers")).toBeGreaterThan(0);
    expect(at("Deploy the new config")).toBeLessThan(at("Run the verify task on every server"));
    expect(at("Run the verify task on every server")).toBeLessThan(at("Collect the reports"));
    expect(at("Collect the reports")).toBeLessThan(at("rails2k8s verify-config --reports"));
    expect(at("rails2k8s verify-config --reports")).toBeLessThan(at("rails2k8s switch-config --reports"));
    expect(guide).toContain("STAGE=production SERVER=<host>");
    expect(guide).toContain("`web2.shop.example.com`");
  });

  it("reports written by the real task on every server read clean; verify-config exits 0 with one table", async () => {
    const report = JSON.parse(readFileSync(join(reports, "production", "web1.shop.example.com.json"), "utf8"));
    expect(report).toMatchObject({ stage: "production", server: "web1.shop.example.com", rails_env: "production", equal: true, differences: [] });
    const r = await cli(["verify-config", resolve("fixtures/apps/shop"), "--reports", reports]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^stage\s+server\s+RAILS_ENV\s+result$/m);
    for (const host of ["web1", "web2", "worker1"]) expect(r.out).toMatch(new RegExp(`^production\\s+${host}\\.shop\\.example\\.com\\s+production\\s+equal \\(\\d+ namespaces\\)$`, "m"));
    expect(r.out).toMatch(/^staging\s+staging\.shop\.example\.com\s+staging\s+equal/m);
    expect(r.out).toContain("Every stage is clean (production, staging).");
  });

  it("switch-config refuses without reports, with a dirty or missing server, and switches once all are clean", async () => {
    const dir = copyFixture();
    const env: MigrateEnv = { interactive: false, prompts: {} as MigrateEnv["prompts"], analyze: analyzeDir, emitters: EMITTERS };
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const migrated = snapshot(dir);

    const none = await cli(["switch-config", dir]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--reports DIR/);
    expect(snapshot(dir)).toEqual(migrated);

    // One server missing, one with a difference: both named, nothing written.
    const partial = mkdtempSync(join(tmpdir(), "r2k-partial-"));
    mkdirSync(join(partial, "production"));
    mkdirSync(join(partial, "staging"));
    const web1 = JSON.parse(readFileSync(join(reports, "production", "web1.shop.example.com.json"), "utf8"));
    writeFileSync(join(partial, "production", "web1.shop.example.com.json"), JSON.stringify(web1));
    writeFileSync(join(partial, "production", "web2.shop.example.com.json"), JSON.stringify({ ...web1, server: "web2.shop.example.com", equal: false, differences: [{ path: "payment.api_keys[1]", problem: "different", global: "[masked]", config_for: "[masked]" }] }));
    writeFileSync(join(partial, "staging", "staging.shop.example.com.json"), readFileSync(join(reports, "staging", "staging.shop.example.com.json")));
    const dirty = await cli(["switch-config", dir, "--reports", partial]);
    expect(dirty.code).toBe(1);
    expect(dirty.out).toMatch(/^production\s+web2\.shop\.example\.com\s+production\s+1 difference\(s\)\n\s+payment\.api_keys\[1\]: different \(Global \[masked\] vs config_for \[masked\]\)$/m);
    expect(dirty.out).toMatch(/^production\s+worker1\.shop\.example\.com\s+no report$/m);
    expect(dirty.err).toMatch(/refusing to switch: production has no clean verify report/);
    expect(snapshot(dir)).toEqual(migrated);
    const verify = await cli(["verify-config", dir, "--reports", partial]);
    expect(verify.code).toBe(1);
    expect(verify.out).toContain("Not clean: production.");

    // A report that is not one: exit 2, naming the file.
    const broken = mkdtempSync(join(tmpdir(), "r2k-broken-"));
    writeFileSync(join(broken, "x.json"), "{ not json");
    const bad = await cli(["verify-config", dir, "--reports", broken]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/x\.json: not JSON/);

    const dry = await cli(["switch-config", dir, "--reports", reports, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("+    uri = URI.join(Rails.configuration.x.payment.endpoint");
    expect(snapshot(dir)).toEqual(migrated);

    const ok = await cli(["switch-config", dir, "--reports", reports]);
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    const client = readFileSync(join(dir, "app/services/payment_client.rb"), "utf8");
    expect(client).toContain("Rails.configuration.x.payment.limits.default");
    expect(client).toContain("# The per-environment cap: Global.payment.limits.default");
    expect(client.match(/\bGlobal\./g)).toHaveLength(1);
    expect(execFileSync("ruby", ["-c", join(dir, "app/services/payment_client.rb")], { encoding: "utf8" })).toContain("Syntax OK");
    // Once switched, nothing left to do; and a re-run of migrate does not undo or redo anything.
    const again = await cli(["switch-config", dir, "--force"]);
    expect(again.code).toBe(0);
    expect(again.out).toContain("No Global call site left to rewrite.");
  }, 120_000);

  it("--force switches without reports, with a warning; without the loader it refuses even then", async () => {
    const dir = copyFixture();
    const before = snapshot(dir);
    const noLoader = await cli(["switch-config", dir, "--force"]);
    expect(noLoader.code).toBe(2);
    expect(noLoader.err).toMatch(/00_rails2k8s_config\.rb is missing: run `rails2k8s migrate` first/);
    expect(snapshot(dir)).toEqual(before);
    const env: MigrateEnv = { interactive: false, prompts: {} as MigrateEnv["prompts"], analyze: analyzeDir, emitters: EMITTERS };
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const forced = await cli(["switch-config", dir, "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.err).toMatch(/--force: switching without checking/);
    expect(readFileSync(join(dir, "app/services/payment_client.rb"), "utf8")).toContain("Rails.configuration.x.payment");
  }, 60_000);
});

// The task's own report, written by real Rails: a difference inside a secret list is named by its
// index and masked, in the report and in verify-config's table.
describe("the verify task's report under real Rails: a masked array path", () => {
  const src = (file: string, line = 1) => ({ file, line });
  const stage: Stage = { name: "production", source: src("config/deploy/production.rb"), servers: [{ host: "web1", user: null, port: null, roles: ["app"], primary: true, properties: {}, source: src("config/deploy/production.rb", 2) }], variables: {} };
  const vault: GlobalNamespace = {
    name: "vault", files: ["config/global/vault.yml"], sources: {},
    values: { production: { host: "vault.internal", api_tokens: ["tok_FAKE_ONE_111", "tok_FAKE_TWO_222"] } },
  } as unknown as GlobalNamespace;
  const model = {
    version: MODEL_VERSION, name: { value: "shop", source: src("config/deploy.rb") },
    rails: { rubyVersion: null, railsVersion: { value: "6.1.7.10", source: src("Gemfile.lock") }, bundlerVersion: null, gems: {}, gemGroups: {}, privateSources: [], database: null, assets: { pipeline: [], needsNode: { value: false, source: src("Gemfile.lock") }, packageManager: null }, appModule: null, timeZone: null, healthPaths: [] },
    capistrano: null, stages: [stage], appServers: [], nginx: { files: [] },
    global: { dir: "config/global", gemVersion: "3.1.1", namespaces: [vault], templates: [] },
    sidekiq: null, cron: null, procfile: [], linked: [], secrets: [], gaps: [], hazards: [], problems: [],
  } as unknown as AppModel;

  it("names vault.api_tokens[1], masks both values, and verify-config shows it without the values", async () => {
    const { planConfig } = await import("../../emitters/rails-config/index.js");
    const out = emitRailsConfig(model, {});
    const plan = planConfig(model, {});
    const pod = Object.fromEntries(plan.env.filter((v) => v.stage === "production").map((v) => [v.name, v.value ?? ""]));
    expect(Object.values(pod).join("\n")).toContain("tok_FAKE_TWO_222");
    const dir = writeApp(out.files);
    const reports = mkdtempSync(join(tmpdir(), "r2k-masked-"));
    const report = join(reports, "web1.json");
    const global = { vault: typedJson({ host: "vault.internal", api_tokens: ["tok_FAKE_ONE_111", "tok_FAKE_OTHER_333"] } as RValue) };
    const booted = bootApp(dir, global, { env: { ...pod, RAILS_ENV: "production", REPORT: report, STAGE: "production", SERVER: "web1" }, task: "rails2k8s:verify_config" });
    expect(booted.task?.status).toBe(1);
    expect(booted.task?.output).toMatch(/DIFF vault\.api_tokens\[1\]: different \(Global \[masked\] vs config_for \[masked\]\)/);
    const text = readFileSync(report, "utf8");
    expect(text).not.toMatch(/FAKE/);
    expect(JSON.parse(text)).toMatchObject({ stage: "production", server: "web1", equal: false, differences: [{ path: "vault.api_tokens[1]", problem: "different", global: "[masked]", config_for: "[masked]" }] });

    const { verifyReports, renderVerification } = await import("../../src/verify-config.js");
    const v = verifyReports(reports, model);
    expect(v.clean.size).toBe(0);
    const table = renderVerification(v);
    expect(table).toMatch(/^production\s+web1\s+production\s+1 difference\(s\)\n\s+vault\.api_tokens\[1\]: different \(Global \[masked\] vs config_for \[masked\]\)$/m);
    expect(table).not.toMatch(/FAKE/);
  }, 60_000);
});
