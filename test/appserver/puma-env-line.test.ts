// A Procfile web line that starts Puma with no -C (`puma -e production`, `RAILS_ENV=staging puma`):
// Puma loads config/puma/<env>.rb, else config/puma.rb, where <env> is -e, else the first of
// APP_ENV, RACK_ENV, RAILS_ENV. Every stage running that line gets that file's numbers, whatever
// its own rails_env. Judged by Puma's own command line (Debian's puma) given the line's words.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { pumaLineEnv } from "../../analyzers/appserver/named-configs.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

// A pottery shop's app: a file per busy environment, and a shared one for the rest.
const APP: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'set :application, "kiln"\nset :deploy_to, "/srv/kiln"\n',
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "glaze1.kiln.example.org", roles: %w[web app db]\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nserver "bisque1.kiln.example.org", roles: %w[web app db]\n',
  "config.ru": 'run ->(env) { [200, {}, ["fired"]] }\n',
  "config/puma/production.rb": "workers 4\nthreads 2, 8\n",
  "config/puma/staging.rb": "workers 1\nthreads 1, 3\n",
  "config/puma.rb": "workers 2\nthreads 3, 3\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    puma (6.4.2)\n    rails (7.1.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  puma\n  rails\n",
};

// The web lines, each started by every stage.
const LINES = [
  "bundle exec puma -e production -p 5000",
  "bundle exec puma --environment=sandbox -p 5000",
  "bundle exec puma --environment staging",
  "RAILS_ENV=staging bundle exec puma -p 5000",
  "RACK_ENV=production RAILS_ENV=staging bundle exec puma",
  "APP_ENV=staging RACK_ENV=production bundle exec puma",
  "RAILS_ENV=staging bundle exec puma -e production",
];

/** The line as Puma's process gets it: its `NAME=value` prefixes as the environment, the words after `puma` as arguments. */
function asStarted(line: string): { environ: Record<string, string>; args: string[] } {
  const words = line.split(/\s+/);
  const environ: Record<string, string> = {};
  while (/^\w+=/.test(words[0]!)) {
    const [k, v] = words.shift()!.split("=") as [string, string];
    environ[k] = v;
  }
  return { environ, args: words.slice(words.indexOf("puma") + 1) };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "r2k-puma-line-"));
  for (const [p, text] of Object.entries(APP)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
});

describe("Procfile `puma` with no -C: the file Puma picks by its environment", () => {
  it("is each stage's config, with Puma's numbers, and the line as the reason", async () => {
    const real = runRubyFile(join(here, "puma_env_oracle.rb"), LINES.map((l) => ({ dir, ...asStarted(l) })));
    for (const [i, line] of LINES.entries()) {
      const r = real[i];
      expect(r.error, line).toBeUndefined();
      const m = await analyzeFiles(memoryRepo({ ...APP, Procfile: `web: ${line}\n` }), "kiln");
      for (const stage of m.stages) {
        const cfg = appServerFor(m, stage);
        expect([line, stage.name, cfg?.file]).toEqual([line, stage.name, r.file]);
        expect([line, stage.name, cfg?.workers?.value, cfg?.threads?.value]).toEqual([line, stage.name, r.workers, r.threads]);
        expect(cfg?.startedBy?.source, line).toEqual({ file: "Procfile", line: 1 });
        expect(cfg?.startedBy?.value, line).toMatch(new RegExp(`^Procfile:1 starts Puma with .* and no -C, so Puma loads ${r.file.replace(/\./g, "\\.")} `));
      }
    }
  }, 120_000);

  it("a prefix is read as the only one of APP_ENV, RACK_ENV, RAILS_ENV set before it, and says so", () => {
    expect(pumaLineEnv("RAILS_ENV=staging bundle exec puma")).toEqual({ env: "staging", how: "`RAILS_ENV=staging` (read with APP_ENV and RACK_ENV unset, as the line leaves them)" });
    expect(pumaLineEnv("APP_ENV=qa bundle exec puma")).toEqual({ env: "qa", how: "`APP_ENV=qa`" });
    expect(pumaLineEnv("bundle exec puma -eproduction")?.env).toBe("production");
  });

  it("an environment not written as a word, or none at all, picks no file: the stages keep their own", async () => {
    for (const line of ["bundle exec puma -e $RACK_ENV", "bundle exec puma -e ${RAILS_ENV:-production}", "bundle exec puma -p 5000"]) {
      expect(pumaLineEnv(line), line).toBeNull();
      const m = await analyzeFiles(memoryRepo({ ...APP, Procfile: `web: ${line}\n` }), "kiln");
      const staging = m.stages.find((s) => s.name === "staging")!;
      expect(appServerFor(m, staging)?.file, line).toBe("config/puma/staging.rb");
      expect(appServerFor(m, staging)?.startedBy, line).toBeUndefined();
    }
  }, 60_000);
});
