// The practice-corpus runner's short cuts (scripts/corpus.mjs) hold to what they replace: one
// analysis printed both ways is the CLI's two outputs byte for byte; one Capfile load forked per stage
// (cap_batch.rb) is real `cap <stage> corpus:dump` per stage; and a repo whose Rails app is in a
// subfolder is run on that folder, saying so. Real node, cap, whenever and kubectl; no corpus.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const HERE = join(ROOT, "scripts/corpus");
const BIN = join(ROOT, "bin/rails2k8s.js");
const fixture = (name: string) => join(ROOT, "fixtures/apps", name);

describe("one analysis, both outputs (scripts/corpus/analyze_both.mjs)", () => {
  it.each([["atlas", fixture("atlas")], ["a folder that is not a Rails app", "/"]])("%s: the CLI's --json and text outputs and exit codes, byte for byte", (_label, app) => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-corpus-both-"));
    const r = spawnSync("node", [join(HERE, "analyze_both.mjs"), app, join(dir, "analyze")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const codes = JSON.parse(r.stdout);
    for (const [prefix, args, code] of [["analyze-json", ["--json"], codes.json], ["analyze", [], codes.text]] as const) {
      const cli = spawnSync("node", [BIN, "analyze", app, ...args], { encoding: "utf8" });
      expect(code).toBe(cli.status);
      expect(readFileSync(join(dir, `${prefix}.out`), "utf8")).toBe(cli.stdout);
      expect(readFileSync(join(dir, `${prefix}.err`), "utf8")).toBe(cli.stderr);
    }
  });
});

describe("Capistrano once per repo, forked per stage (scripts/corpus/cap_batch.rb)", () => {
  // Three stages: two with servers (one a variable the stage sets on top of deploy.rb), one whose
  // file raises as cap loads it. A stage the analysis did not ask for is not run.
  const app = () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-corpus-capbatch-"));
    mkdirSync(join(dir, "config/deploy"), { recursive: true });
    writeFileSync(join(dir, "Capfile"), 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/shiny-plugin"\n');
    writeFileSync(join(dir, "config/deploy.rb"), 'set :application, "depot"\nset :rails_env, "production"\nset :whenever_roles, [:cron]\n');
    writeFileSync(join(dir, "config/deploy/production.rb"), 'server "app1.example.org", roles: %w[app web]\nserver "job1.example.org", roles: %w[cron db], primary: true\n');
    writeFileSync(join(dir, "config/deploy/staging.rb"), 'set :rails_env, "staging"\nserver "stage.example.org", roles: %w[app web db cron]\n');
    writeFileSync(join(dir, "config/deploy/broken.rb"), "set :secret, { KEY: }\n");
    writeFileSync(join(dir, "config/deploy/unasked.rb"), 'server "never.example.org", roles: %w[app]\n');
    appendFileSync(join(dir, "Capfile"), `\nload ${JSON.stringify(join(HERE, "cap_dump.rake"))}\n`);
    return dir;
  };
  const env = (dir: string) => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", RUBYOPT: `-r${join(HERE, "cap_prelude.rb")} -rjson` });
  const dump = (text: string) => {
    const line = text.split("\n").find((l) => l.includes("CORPUS-JSON"));
    return line ? JSON.parse(line.slice(line.indexOf("CORPUS-JSON") + 11)) : null;
  };
  const lastLine = (s: string) => s.trim().split("\n").filter((l) => !/^\s*(\/|\(See full trace|Tasks:)/.test(l)).pop();

  it("gives each asked stage what `cap <stage> corpus:dump` gives, failure included", () => {
    const dir = app();
    const wanted = ["production", "staging", "broken", "not-a-stage"];
    const out = mkdtempSync(join(tmpdir(), "r2k-corpus-capbatch-out-"));
    const b = spawnSync("ruby", [join(HERE, "cap_batch.rb")], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...env(dir), CORPUS_BATCH: "1", CORPUS_WANTED: JSON.stringify(wanted), CORPUS_OUT: out, CORPUS_TIMEOUT: "60" } });
    expect(b.status, b.stderr).toBe(0);
    expect(dump(b.stdout).stages.sort()).toEqual(["broken", "production", "staging", "unasked"]);
    const batch = JSON.parse(b.stdout.split("\n").find((l) => l.startsWith("CORPUS-BATCH"))!.slice("CORPUS-BATCH".length));
    expect(Object.keys(batch).sort()).toEqual(["broken", "production", "staging"]);
    for (const stage of ["production", "staging", "broken"]) {
      const cap = spawnSync("cap", [stage, "corpus:dump"], { cwd: dir, encoding: "utf8", timeout: 120_000, env: env(dir) });
      const got = { out: readFileSync(join(out, `cap-${stage}.out`), "utf8"), err: readFileSync(join(out, `cap-${stage}.err`), "utf8") };
      expect(batch[stage].status, `${stage}: ${got.err}`).toBe(cap.status);
      expect(dump(got.out)).toEqual(dump(cap.stdout));
      if (cap.status !== 0) expect(lastLine(got.err)).toBe(lastLine(cap.stderr));
    }
    expect(batch.broken.status).not.toBe(0);
    expect(dump(readFileSync(join(out, "cap-production.out"), "utf8")).whenever_roles).toEqual(["cron"]);
    expect(dump(readFileSync(join(out, "cap-staging.out"), "utf8")).rails_env).toBe("staging");
  });

  it("a Capfile that fails to load fails as cap does, with no stage run", () => {
    const dir = app();
    writeFileSync(join(dir, "Capfile"), `require "capistrano/setup"\nraise "no such thing"\nload ${JSON.stringify(join(HERE, "cap_dump.rake"))}\n`);
    const b = spawnSync("ruby", [join(HERE, "cap_batch.rb")], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...env(dir), CORPUS_BATCH: "1", CORPUS_WANTED: '["production"]', CORPUS_OUT: dir, CORPUS_TIMEOUT: "60" } });
    const cap = spawnSync("cap", ["production", "corpus:dump"], { cwd: dir, encoding: "utf8", timeout: 120_000, env: env(dir) });
    expect(b.status).toBe(cap.status);
    expect(b.stdout).not.toContain("CORPUS-BATCH");
    expect(lastLine(b.stderr)).toBe(lastLine(cap.stderr));
  });
});

describe("the corpus run on a repo whose Rails app is in a subfolder, two repos at once (--jobs 2)", () => {
  it("runs on the folder, says so in the row, and the other repo's row is as usual", { timeout: 600_000 }, () => {
    const corpus = mkdtempSync(join(tmpdir(), "r2k-corpus-nested-"));
    mkdirSync(join(corpus, "mono/web"), { recursive: true });
    writeFileSync(join(corpus, "mono/web/package.json"), "{}\n");
    cpSync(fixture("atlas"), join(corpus, "mono/api"), { recursive: true });
    cpSync(join(corpus, "mono/api"), join(corpus, "plain"), { recursive: true });
    const out = mkdtempSync(join(tmpdir(), "r2k-corpus-nested-out-"));
    const r = spawnSync("node", [join(ROOT, "scripts/corpus.mjs"), corpus, "--out", out, "--jobs", "2", "--no-cache", "--timeout", "240"], { encoding: "utf8", timeout: 590_000 });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => l.startsWith("| mono") || l.startsWith("| plain"));
    expect(rows.map((l) => l.split(" | ")[0])).toEqual(["| mono (Rails app in api/)", "| plain"]);
    // Both analyzed (exit 0 for --json and the text), with atlas' stages, as the same app.
    for (const row of rows) {
      const cells = row.split(" | ");
      expect(cells[1]).toMatch(/^0\/0 /);
      expect(cells[2]).toBe("alpha, beta");
    }
    // Stages, servers, web, gaps, kustomize, kinds and the oracles' verdicts (not the timings).
    const same = (row: string) => row.split(" | ").filter((_c, i) => [2, 3, 4, 5, 7, 8, 9, 10, 11].includes(i));
    expect(same(rows[0])).toEqual(same(rows[1]));
    expect(r.stdout).toMatch(/Summary: 2 repos, 0 with crashes/);
  });
});
