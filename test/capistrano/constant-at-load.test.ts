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
});
