// A stage file that reads a constant no deploy file defines, while cap loads it: Ruby raises
// NameError and `cap <stage>` aborts before any task. The common form is Ruby 3.1's hash value
// omission, `set :default_env, { SECRET_KEY_BASE: # a comment \n }`: the key with no value reads the
// constant SECRET_KEY_BASE. The analysis says the stage aborts (file:line), as the real `cap` does;
// a constant read only inside a lambda or a task (never at load), or one a deploy file defines, is not.
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
import { leftOutNotes } from "../../emitters/kustomize/left-out.js";

beforeAll(async () => {
  await initPrism();
});

const files = (staging: string, deploy = "") => ({
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\n',
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": `set :application, "atlas"\nset :deploy_to, "/srv/atlas"\n${deploy}`,
  "config/deploy/production.rb": 'server "web1.atlas.example.org", roles: %w[app web db]\n',
  "config/deploy/staging.rb": staging,
});

const OMITTED = 'server "stg.atlas.example.org", roles: %w[app web db]\nset :default_env, {\n  # the real key is set on the servers\n  SIGNING_SALT: # fill in\n}\n';

/** The real `cap <stage> r2k:env` over the files (`lock` neutralised, empty stdin). */
function realCap(f: Record<string, string>, stage: string) {
  const dir = mkdtempSync(join(tmpdir(), "r2k-const-at-load-"));
  for (const [p, t] of Object.entries(f)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  writeFileSync(join(dir, "Capfile"), `${f["Capfile"]}module Capistrano::DSL; def lock(*); end; end\ntask("r2k:env") { puts "R2K " + fetch(:default_env).inspect }\n`);
  return spawnSync("cap", [stage, "r2k:env"], { cwd: dir, input: "", encoding: "utf8", env: { PATH: process.env["PATH"]!, HOME: dir, LANG: "C.UTF-8" } });
}

describe("a constant read while cap loads a stage", () => {
  it("`{ KEY: }` with no value: cap aborts that stage, and the analysis says so at file:line", async () => {
    const f = files(OMITTED);
    const staging = realCap(f, "staging");
    expect(staging.status).not.toBe(0);
    expect(staging.stderr).toMatch(/uninitialized constant SIGNING_SALT|syntax error/);
    expect(realCap(f, "production").status).toBe(0);

    const m = await analyzeFiles(memoryRepo(f), "atlas");
    const st = m.stages.find((s) => s.name === "staging")!;
    expect(st.capAborts?.source).toEqual({ file: "config/deploy/staging.rb", line: 4 });
    expect(st.capAborts?.message).toMatch(/^cap\.constant-unknown-at-load: config\/deploy\/staging\.rb:4 reads the constant SIGNING_SALT \(`SIGNING_SALT:` with no value is Ruby 3\.1's hash value omission/);
    expect(m.stages.find((s) => s.name === "production")!.capAborts).toBeUndefined();
    const guide = emitMigrationGuide(m, {}, []).content as string;
    expect(guide).toMatch(/^## Stages no deploy ran as the repo stands\n\n- \*\*staging\*\*: no deploy of stage staging ran with the repo as it stands: Ruby aborts `cap staging` \(cap\.constant-unknown-at-load\)/m);
  });

  it("a constant a deploy file defines, or one read only in a lambda, aborts nothing (nor does cap)", async () => {
    const f = files('server "stg.atlas.example.org", roles: %w[app web db]\nset :default_env, { SIGNING_SALT: }\nset :later, -> { OTHER_SALT }\n', 'SIGNING_SALT = "x"\n');
    expect(realCap(f, "staging").status).toBe(0);
    const m = await analyzeFiles(memoryRepo(f), "atlas");
    expect(m.stages.find((s) => s.name === "staging")!.capAborts).toBeUndefined();
  });

  // hr-dash's shape: the stage declares no server (so it gets no overlay) and aborts at load. Its
  // line must not say "nothing in it is unknown", in the report or in MIGRATION.md.
  it("a stage with no servers that cap aborts on is not said to hold nothing unknown", async () => {
    const f = files("set :default_env, {\n  # the real key is set on the servers\n  SIGNING_SALT: # fill in\n}\n");
    const cap = realCap(f, "staging");
    expect(cap.status).not.toBe(0);
    expect(cap.stderr).toMatch(/uninitialized constant SIGNING_SALT|syntax error/);
    const m = await analyzeFiles(memoryRepo(f), "atlas");
    const empty = (m.stagesWithoutServers ?? []).find((s) => s.name === "staging")!;
    expect(empty.capAborts?.source).toEqual({ file: "config/deploy/staging.rb", line: 3 });
    const report = renderReport(m, { color: false });
    const at = report.indexOf("  staging  config/deploy/staging.rb");
    expect(at).toBeGreaterThanOrEqual(0);
    const line = report.slice(at).split("\n")[1]!;
    expect(line).toContain("`cap staging` aborts while loading it (cap.constant-unknown-at-load, config/deploy/staging.rb:3)");
    expect(line).not.toContain("nothing in it is unknown");
    // MIGRATION.md's line comes from the Kustomize emitter's notes.
    const note = leftOutNotes(m).find((n) => n.message.startsWith("stage staging "))!.message;
    expect(note).toContain("stage staging defines no servers: no overlay written (config/deploy/staging.rb declares no server, and `cap staging` aborts while loading it");
    expect(note).not.toContain("nothing in it is unknown");
  });
});
