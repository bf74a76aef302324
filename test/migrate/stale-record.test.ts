// The record of generated files (.rails2k8s/generated.json) is committed, so a repo can carry one it
// was handed. It is trusted only for paths the emitters write: a planted record holding the real
// hashes of .git/HEAD, the Gemfile or config/deploy.rb neither deletes them nor hides them from the
// analysis. Deletion of what no run generates any more is only for Kubernetes overlay and base
// files: config/custom/*.yml, which the app reads after switch-config, is never deleted.
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { sha256 } from "../../src/generated.js";
import { Tree } from "../../src/tree.js";
import { settleStale } from "../../src/stale.js";
import { mayDeleteStale, mayGenerate, recordedOutput } from "../../src/output-paths.js";
import { copyFixture, recordingIo } from "./helpers.js";
import { GENERATED_MARKER_LINE } from "../../emitters/contract.js";

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

const git = (dir: string, ...args: string[]) => spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" });
const recordFile = (dir: string) => JSON.parse(readFileSync(join(dir, ".rails2k8s/generated.json"), "utf8")) as { files: Record<string, string> };
const plant = (dir: string, paths: string[]) => {
  mkdirSync(join(dir, ".rails2k8s"), { recursive: true });
  const files = Object.fromEntries(paths.map((p) => [p, sha256(readFileSync(join(dir, p)))]));
  writeFileSync(join(dir, ".rails2k8s/generated.json"), JSON.stringify({ comment: "planted", files }, null, 2) + "\n");
};

describe("a planted record", () => {
  const TARGETS = [".git/HEAD", ".git/config", "Gemfile", "Capfile", "config/deploy.rb", "config/deploy/production.rb"];

  it("deletes none of the repo's own files and git's, and hides none of them from the analysis", async () => {
    const dir = copyFixture("shop");
    expect(git(dir, "init", "-q").status).toBe(0);
    expect(git(dir, "add", "-A").status).toBe(0);
    expect(git(dir, "commit", "-qm", "app").status).toBe(0);
    const targets = TARGETS.filter((p) => existsSync(join(dir, p)));
    expect(targets).toEqual(TARGETS);
    const before = Object.fromEntries(targets.map((p) => [p, readFileSync(join(dir, p), "utf8")]));
    plant(dir, targets);
    for (const p of targets) expect(recordedOutput(recordFile(dir).files)(p), p).toBe(false);

    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    expect(io.stdout()).not.toMatch(/^ {2}delete /m);
    for (const p of targets) expect(readFileSync(join(dir, p), "utf8"), p).toBe(before[p]);
    expect(git(dir, "status", "--porcelain").status, "git still works").toBe(0);
    // config/deploy/production.rb was read: production still gets its overlay.
    expect(existsSync(join(dir, "k8s/overlays/production/kustomization.yaml"))).toBe(true);
    // The planted paths are not carried into the record the run writes.
    expect(Object.keys(recordFile(dir).files).filter((p) => targets.includes(p))).toEqual([]);
  });

  it("of a repo's own file under k8s/ whose name no emitter uses: kept", async () => {
    const dir = copyFixture("shop");
    mkdirSync(join(dir, "k8s/extra"), { recursive: true });
    writeFileSync(join(dir, "k8s/extra/team.yaml"), "kind: ConfigMap\n");
    writeFileSync(join(dir, "config/deploy.yml"), "a: 1\n");
    plant(dir, ["k8s/extra/team.yaml", "config/deploy.yml"]);
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    expect(existsSync(join(dir, "k8s/extra/team.yaml"))).toBe(true);
    expect(existsSync(join(dir, "config/deploy.yml"))).toBe(true);
  });

  it("path rules: git's files and the analyzers' inputs are never output, whatever their case", () => {
    for (const p of [".git/HEAD", ".GIT/config", "k8s/overlays/x/.git/config", "Gemfile", "gemfile.lock", "Capfile", "config/deploy.rb", "config/deploy/production.rb", "config/global/aws.yml", "config/application.rb", "config/unicorn.rb", "config.ru", "config/custom/../deploy.rb", ".rails2k8s/generated.json"])
      expect(mayGenerate(p), p).toBe(false);
    for (const p of ["config/custom/aws.yml", "config/initializers/00_rails2k8s_config.rb", "lib/tasks/rails2k8s.rake", "Dockerfile", "config/unicorn/kubernetes.rb"]) {
      expect(mayGenerate(p), p).toBe(true);
      expect(mayDeleteStale(p), p).toBe(false);
    }
    for (const p of ["k8s/overlays/qa/config.env", "k8s/overlays/qa/secrets.env", "k8s/base/worker-deployment.yaml"]) expect(mayDeleteStale(p), p).toBe(true);
    for (const p of ["K8s/overlays/qa/config.env", "k8s/overlays/qa/sub/x.yaml", "k8s/overlays/../../Gemfile"]) expect(mayDeleteStale(p), p).toBe(false);
  });
});

describe("every path the emitters write for the fixtures is one the path rules know", () => {
  for (const app of ["shop", "legacy", "courier", "helpdesk", "kiln", "ledger"]) {
    it(app, async () => {
      const dir = copyFixture(app);
      const io = recordingIo();
      expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
      const secret = existsSync(join(dir, ".rails2k8s/secret-files.json")) ? (JSON.parse(readFileSync(join(dir, ".rails2k8s/secret-files.json"), "utf8")) as { files: Record<string, string> }).files : {};
      const paths = [...Object.keys(recordFile(dir).files), ...Object.keys(secret)];
      expect(paths.length).toBeGreaterThan(5);
      expect(paths.filter((p) => !mayGenerate(p))).toEqual([]);
      // A second run sees the same output as its own: nothing to write.
      const again = recordingIo();
      expect(await runMigrate(dir, { yes: true }, again, env), again.stderr()).toBe(0);
      expect(again.stdout()).toContain("Nothing to write");
    });
  }
});

describe("after switch-config, config/global removed", () => {
  it("config/custom/*.yml, read by the app now, is named as generated no more and never deleted", async () => {
    const dir = copyFixture("shop");
    const first = recordingIo();
    expect(await runMigrate(dir, { yes: true }, first, env), first.stderr()).toBe(0);
    const custom = Object.keys(recordFile(dir).files).filter((p) => p.startsWith("config/custom/"));
    expect(custom.length).toBeGreaterThan(0);
    rmSync(join(dir, "config/global"), { recursive: true });
    const dry = recordingIo();
    expect(await runMigrate(dir, { yes: true, dryRun: true }, dry, env), dry.stderr()).toBe(0);
    expect(dry.stdout()).not.toMatch(/delete +config\//m);
    const named = custom.filter((p) => dry.stderr().includes(`${p}: written by an earlier run, and rails2k8s generates it no more; not deleted, as the app may depend on it`));
    expect(named).toEqual(expect.arrayContaining(["config/custom/feature_flags.yml", "config/custom/mailer.yml", "config/custom/payment.yml"]));
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    for (const p of custom) expect(existsSync(join(dir, p)), p).toBe(true);
  });
});

describe("staleness compares paths case-folded", () => {
  it("a record path that differs only in case from one written this run is not deleted", () => {
    const dir = copyFixture("shop");
    mkdirSync(join(dir, "k8s/overlays/production"), { recursive: true });
    const ours = GENERATED_MARKER_LINE + "A=1\n";
    writeFileSync(join(dir, "k8s/overlays/production/Config.env"), ours);
    const tree = new Tree(dir);
    const warnings: string[] = [];
    const record = { "k8s/overlays/production/Config.env": sha256(ours) };
    settleStale(tree, record, new Set(["k8s/overlays/production/config.env"]), () => false, (w) => warnings.push(w));
    expect(tree.changes().filter((c) => c.remove)).toEqual([]);
    // Without the twin generated this run, the same file is stale.
    const alone = new Tree(dir);
    settleStale(alone, record, new Set(["k8s/overlays/staging/config.env"]), () => false, (w) => warnings.push(w));
    expect(alone.changes().filter((c) => c.remove).map((c) => c.path)).toEqual(["k8s/overlays/production/Config.env"]);
  });
});

describe("a planted record naming a team's own file in a stage's overlay folder", () => {
  // The record alone is no proof: a repo can carry one that knows the hash of a file the team wrote
  // under k8s/overlays/ (a stage the tool never generated). Only a file that also starts with the
  // line the Kustomize emitter writes is deleted as stale.
  it("is kept, with a warning naming it, though its hash matches", async () => {
    const dir = copyFixture("shop");
    mkdirSync(join(dir, "k8s/overlays/legacy"), { recursive: true });
    const team = "# Our hand-written overlay for the old cluster.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n";
    writeFileSync(join(dir, "k8s/overlays/legacy/kustomization.yaml"), team);
    plant(dir, ["k8s/overlays/legacy/kustomization.yaml"]);
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    expect(io.stdout()).not.toMatch(/delete +k8s\/overlays\/legacy/);
    expect(readFileSync(join(dir, "k8s/overlays/legacy/kustomization.yaml"), "utf8")).toBe(team);
    expect(io.stderr()).toContain("k8s/overlays/legacy/kustomization.yaml: the record says an earlier run wrote it");
  });

  it("every file the tool writes under k8s/base and k8s/overlays starts with the marker, and a dropped stage's marked files are deleted", async () => {
    const dir = copyFixture("shop");
    const first = recordingIo();
    expect(await runMigrate(dir, { yes: true }, first, env), first.stderr()).toBe(0);
    const k8s = Object.keys(recordFile(dir).files).filter((p) => /^k8s\/(?:base|overlays)\//.test(p));
    expect(k8s.length).toBeGreaterThan(5);
    for (const p of k8s) expect(readFileSync(join(dir, p), "utf8").startsWith(GENERATED_MARKER_LINE), p).toBe(true);
    // The same bytes as before, but planted under a stage that was never generated: still deleted
    // only because the file itself says it is ours.
    const staging = k8s.filter((p) => p.startsWith("k8s/overlays/staging/"));
    rmSync(join(dir, "config/deploy/staging.rb"));
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    for (const p of staging) expect(existsSync(join(dir, p)), p).toBe(false);
  });
});
