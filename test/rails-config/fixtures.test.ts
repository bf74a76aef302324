// Issue 4's proof on the fixture apps themselves: for every app with Global and every Capistrano
// stage, the files rails2k8s emits, booted by real Rails with the pod's environment (the stage's
// config.env + secrets.env, secrets filled in as the team would), give exactly what Global gave on
// that stage's servers — computed in Ruby by the gem's rules from the fixture's own config/global,
// with Capistrano's templates rendered by the stage's variables. The emitted verify task agrees.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import { configEnvFile, secretEnvFile } from "../../emitters/contract.js";
import { envRefs } from "../../analyzers/secrets.js";
import { railsEnvOf, type AppModel, type Answers, type EmittedFile } from "../../src/model.js";
import { writeApp } from "./harness.js";
import { planConfig } from "../../emitters/rails-config/index.js";

/** `services.search.api_key` → the namespace (the longest one named so) and the keys under it. */
function splitPath(model: AppModel, dotted: string): string[] {
  const names = model.global!.namespaces.map((n) => n.name).filter((n) => dotted.startsWith(`${n}.`)).sort((a, b) => b.length - a.length);
  return [names[0]!, ...dotted.slice(names[0]!.length + 1).split(".")];
}

const SCRIPT = resolve("test/rails-config/fixture_verify.rb");
const APPS = ["shop", "legacy"];

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

interface Emitted {
  model: AppModel;
  files: EmittedFile[];
}
const emitted: Record<string, Emitted> = {};

beforeAll(async () => {
  for (const app of APPS) {
    const model = await analyzeDir(resolve("fixtures/apps", app));
    const answers: Answers = Object.fromEntries(model.gaps.map((g) => [g.id, g.default]));
    emitted[app] = { model, files: EMITTERS.flatMap((e) => e.emit(model, answers).files) };
  }
}, 60_000);

describe("config_for files of the fixture apps under real Rails equal Global, stage by stage", () => {
  for (const app of APPS) {
    it(`${app}: every stage`, () => {
      const { model, files } = emitted[app]!;
      expect(model.global, app).not.toBeNull();
      expect(model.stages.length).toBeGreaterThanOrEqual(2);
      const railsFiles = files.filter((f) => f.path.startsWith("config/") || f.path.startsWith("lib/tasks/"));
      expect(railsFiles.some((f) => f.path.startsWith("config/custom/"))).toBe(true);
      // ENV the Global files read (templates included): set, so ERB ENV references are exercised.
      const referenced = [...new Set(envRefs(model.global!).map((r) => r.name))];
      for (const stage of model.stages) {
        const byPath = (p: string) => files.find((f) => f.path === p)?.content ?? "";
        const pod: Record<string, string> = { ...parseEnvFile(byPath(configEnvFile(stage.name))) };
        // secrets.env: what the repo held is there; the rest the team fills in from the servers.
        for (const [k, v] of Object.entries(parseEnvFile(byPath(secretEnvFile(stage.name))))) pod[k] = v || `value-of-${k}`;
        // Numeric-looking text: YAML types a bare ERB tag's output ("012345" → 5349) but not a quoted one's.
        for (const name of referenced) pod[name] ??= "012345";
        pod["RAILS_ENV"] = railsEnvOf(stage);

        const dir = writeApp(railsFiles);
        const input = join(dir, "verify-input.json");
        writeFileSync(input, JSON.stringify({
          app_dir: dir,
          fixture_root: resolve("fixtures/apps", app),
          global_dir: model.global!.dir,
          rails_env: railsEnvOf(stage),
          vars: Object.fromEntries(Object.entries(stage.variables).map(([k, f]) => [k, f.value])),
          templates: model.global!.templates.map((t) => ({ template: t.template, target: t.target })),
        }));
        const r = spawnSync("ruby", [SCRIPT, input], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...pod } });
        expect(r.status, `${app}/${stage.name}: ${r.stderr}`).toBe(0);
        const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { namespaces: string[]; diffs: string[]; task: { status: number; output: string } };
        expect(out.namespaces.length, `${app}/${stage.name}`).toBeGreaterThan(1);
        expect({ stage: stage.name, diffs: out.diffs }).toEqual({ stage: stage.name, diffs: [] });
        expect(out.task.status, `${app}/${stage.name}: ${out.task.output}`).toBe(0);
        expect(out.task.output).toMatch(/same values as Global/);
        // The task prints paths, never the fixture's planted secret values.
        for (const v of Object.values(pod)) if (v.length > 8 && /key|secret|token|pass/i.test(v)) expect(out.task.output).not.toContain(v);
      }
    }, 120_000);

    it(`${app}: the environments no stage deploys (the app's own tests, laptops) read as Global did`, () => {
      const { model, files } = emitted[app]!;
      const deployed = new Set(model.stages.map(railsEnvOf));
      const local = [...new Set(model.global!.namespaces.flatMap((n) => Object.keys(n.values)))].filter((e) => !deployed.has(e));
      expect(local.length).toBeGreaterThan(0);
      const referenced = [...new Set(envRefs(model.global!).map((r) => r.name))];
      const plan = planConfig(model, Object.fromEntries(model.gaps.map((g) => [g.id, g.default])));
      for (const env of local) {
        const dir = writeApp(files.filter((f) => f.path.startsWith("config/") || f.path.startsWith("lib/tasks/")));
        const input = join(dir, "verify-input.json");
        // The repo's own Global files: the servers' rendered templates are not there.
        writeFileSync(input, JSON.stringify({ app_dir: dir, fixture_root: resolve("fixtures/apps", app), global_dir: model.global!.dir, rails_env: env, vars: {}, templates: [] }));
        const pod: Record<string, string> = Object.fromEntries(referenced.map((n) => [n, "012345"]));
        // A deployed stage's secret that this environment held too (a shared anchor) is read from the
        // same variable here: set as a laptop or CI would, to the value Global gave this environment.
        for (const n of plan.notes) {
          const m = new RegExp(`^(\\S+) in ${env} held the same secret as a deployed stage: read from ENV\\["(\\w+)"\\]`).exec(n.message);
          if (!m) continue;
          const [ns, ...path] = splitPath(model, m[1]!);
          let v: unknown = model.global!.namespaces.find((x) => x.name === ns)!.values[env];
          for (const k of path) v = (v as Record<string, unknown>)[k];
          expect(typeof v, m[1]).toBe("string");
          pod[m[2]!] = v as string;
        }
        const r = spawnSync("ruby", [SCRIPT, input], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...pod, RAILS_ENV: env } });
        expect(r.status, `${app}/${env}: ${r.stderr}`).toBe(0);
        const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { diffs: string[] };
        expect({ env, diffs: out.diffs }).toEqual({ env, diffs: [] });
      }
    }, 120_000);
  }

  it("shop covers what issue 4 names: a template, ERB ENV, a secret literal, anchors and merge keys, an overlay file, a nested directory, a key named default", () => {
    const { model, files } = emitted["shop"]!;
    const g = model.global!;
    expect(g.templates.length).toBeGreaterThan(0);
    expect(envRefs(g).length).toBeGreaterThan(0);
    expect(g.namespaces.some((n) => (n.secretPaths ?? []).length > 0)).toBe(true);
    expect(g.namespaces.some((n) => n.files.some((f) => /\.production\.yml$/.test(f)))).toBe(true);
    expect(g.namespaces.some((n) => n.name.includes("."))).toBe(true);
    const payment = files.find((f) => f.path === "config/custom/payment.yml")!.content;
    expect(payment).toMatch(/^\s+default: /m);
    const raw = files.length && spawnSync("grep", ["-rlE", "<<: \\*|&[a-z]", resolve("fixtures/apps/shop/config/global")], { encoding: "utf8" }).stdout;
    expect(raw).not.toBe("");
  });
});
