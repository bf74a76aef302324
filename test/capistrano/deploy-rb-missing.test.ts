// A Capistrano 3 repo whose Capfile requires capistrano/setup but has no config/deploy.rb: the stage
// task loads that file before the stage's own, so the real `cap <stage>` fails with LoadError. The
// stage is still read (its servers are real evidence) but is said to be one no deploy ran as the repo
// stands, in the report and MIGRATION.md; a repo that has its deploy.rb is not.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { renderReport } from "../../src/report.js";

beforeAll(async () => {
  await initPrism();
});

const files = (withDeployRb: boolean): Record<string, string> => ({
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\n',
  Capfile: '# stages and tasks\nrequire "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy/staging.rb": 'server "stg.parcel.example.net", user: "deploy", roles: %w[app web db]\n',
  ...(withDeployRb ? { "config/deploy.rb": 'set :application, "parcel"\nset :repo_url, "git@example.net:parcel.git"\n' } : {}),
});

/** The real `cap staging r2k:servers` over the files (`lock` neutralised, empty stdin). */
function realCap(f: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "r2k-no-deploy-rb-"));
  for (const [p, t] of Object.entries(f)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  writeFileSync(join(dir, "Capfile"), `${f["Capfile"]}module Capistrano::DSL; def lock(*); end; end\ntask("r2k:servers") { puts "R2K " + roles(:all).map(&:hostname).inspect }\n`);
  return spawnSync("cap", ["staging", "r2k:servers"], { cwd: dir, input: "", encoding: "utf8", env: { PATH: process.env["PATH"]!, HOME: dir, LANG: "C.UTF-8" } });
}

describe("config/deploy.rb missing under capistrano/setup", () => {
  it("cap fails on every stage, and the analysis says the stage never deployed as the repo stands", async () => {
    const f = files(false);
    const cap = realCap(f);
    expect(cap.status).not.toBe(0);
    expect(cap.stderr).toMatch(/config\/deploy\.rb/);
    const m = await analyzeFiles(memoryRepo(f), "parcel");
    const st = m.stages.find((s) => s.name === "staging")!;
    expect(st.capAborts?.source).toEqual({ file: "Capfile", line: 2 });
    expect(st.capAborts?.message).toMatch(/^cap\.deploy-rb-missing: config\/deploy\.rb does not exist/);
    const guide = emitMigrationGuide(m, {}, []).content as string;
    expect(guide).toMatch(/\*\*staging\*\*: no deploy of stage staging ran with the repo as it stands: Ruby aborts `cap staging` \(cap\.deploy-rb-missing\)/);
    expect(renderReport(m, { color: false })).toMatch(/cap aborts this stage/);
  });

  it("with its deploy.rb, cap loads the stage and nothing is said to abort", async () => {
    const f = files(true);
    const cap = realCap(f);
    expect(cap.status).toBe(0);
    expect(cap.stdout).toMatch(/R2K \["stg\.parcel\.example\.net"\]/);
    const m = await analyzeFiles(memoryRepo(f), "parcel");
    expect(m.stages.find((s) => s.name === "staging")!.capAborts).toBeUndefined();
  });
});
