// config_for's `shared:` where the file spells it as a Symbol (`:shared:`) or gives an environment
// `false` or nothing: which stages read shared's addresses is what each Rails version's config_for
// returns. Rails 6.1+ symbolizes the whole file first (`deep_symbolize_keys`), so `:shared:` and
// `shared:` are one key, and it merges shared only into a Hash or a missing/null section (`false`
// stays `false`); earlier versions look the names up as Strings, so a Symbol key is no section there,
// and 6.0's `config[env] || {}` gives a `false` section shared's values. Judged by the bodies of each
// version and by Debian's Rails itself (test/rails-config/config_for_versions.rb).
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const hasRails = spawnSync("ruby", ["-e", 'require "rails"'], { encoding: "utf8" }).status === 0;
const ORACLE = join(import.meta.dirname, "../rails-config/config_for_versions.rb");
const STAGES = ["production", "qa", "staging"];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const lock = (rails: string | null) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${rails ? `    rails (${rails})\n    railties (${rails})\n` : ""}    redis (4.8.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${rails ? "  rails\n" : ""}  redis\n`;

// Written for these tests: a feed reader's search and queue settings.
const FILES: Record<string, string> = {
  // The shared section as a Symbol; production turned off; staging left empty; qa tunes a timeout.
  symbol: [":shared:", "  search:", "    host: localhost", "    port: 9200", "  broker_url: amqp://127.0.0.1:5672", "production: false", "staging:", "qa:", "  search:", "    read_timeout: 5", ""].join("\n"),
  // The same with a String key, and both spellings at once (the later one is the one Rails keeps).
  string: ["shared:", "  search:", "    host: localhost", "    port: 9200", "  broker_url: amqp://127.0.0.1:5672", "production: false", "staging: ~", "qa:", "  search:", "    read_timeout: 5", ""].join("\n"),
  both: ["shared:", "  search:", "    host: localhost", "    port: 9200", "  broker_url: amqp://127.0.0.1:5672", ":shared:", "  search:", "    host: 127.0.0.1", "    port: 9200", "production:", "  feeds: 3", ""].join("\n"),
};

async function reach(file: string, rails: string | null) {
  const x = await analyzeFiles(
    memoryRepo({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
      "config/deploy.rb": 'set :application, "feeds"\nset :repo_url, "git@example.org:feeds.git"\n',
      ...Object.fromEntries(STAGES.map((s) => [`config/deploy/${s}.rb`, `server "${s}1.feeds.example.org", roles: %w[web app db]\nset :rails_env, "${s}"\n`])),
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "redis"\n',
      "Gemfile.lock": lock(rails),
      "config/application.rb": 'require "rails/all"\nmodule Feeds\n  class Application < Rails::Application\n  end\nend\n',
      "config/reader.yml": FILES[file]!,
    }),
    "feeds",
  );
  const mine = (x.localAddresses ?? []).filter((a) => a.source.file === "config/reader.yml");
  const at = (re: RegExp) => [...new Set(mine.filter((a) => re.test(a.what)).flatMap((a) => a.stages))].sort();
  return { search: at(/search\.host$/), broker: at(/broker_url$/) };
}

/** What the oracle's config_for bodies return for each stage: the stages that read each address. */
function theirs(file: string): Record<string, { search: string[]; broker: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-symshared-"));
  dirs.push(dir);
  mkdirSync(join(dir, "config"));
  writeFileSync(join(dir, "config/reader.yml"), FILES[file]!);
  const r = spawnSync("ruby", [ORACLE, dir, "reader", STAGES.join(",")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const read = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
  const out: Record<string, { search: string[]; broker: string[] }> = {};
  for (const rule of ["5.2", "6.0.0", "6.0.4", "installed"]) {
    const got = (s: string) => read[s]![rule] as { search?: { host?: string }; broker_url?: string } | false | null;
    const pick = (f: (v: { search?: { host?: string }; broker_url?: string }) => unknown) => STAGES.filter((s) => { const v = got(s); return !!v && typeof v === "object" && !!f(v); });
    out[rule] = { search: pick((v) => v.search?.host), broker: pick((v) => v.broker_url) };
  }
  return out;
}

const VERSIONS: [string | null, string][] = [["5.2.8.1", "5.2"], ["6.0.3.7", "6.0.0"], ["6.0.4", "6.0.4"], ["6.1.7", "installed"], ["7.1.3", "installed"], [null, "installed"]];

describe("config_for's shared: spelt as a Symbol, and environments set to false or nothing", () => {
  it("Rails 6.1+: `:shared:` is shared; false gets none of it, an empty section all of it; earlier versions see no Symbol section", async () => {
    expect(await reach("symbol", "7.1.3")).toEqual({ search: ["qa", "staging"], broker: ["qa", "staging"] });
    expect(await reach("symbol", "6.0.4")).toEqual({ search: [], broker: [] });
    expect(await reach("symbol", "5.2.8.1")).toEqual({ search: [], broker: [] });
  });

  it("Rails 6.0 gives a `false` section shared's values (`config[env] || {}`); 6.1+ keeps it false", async () => {
    // 6.0.0–6.0.3 merge shallowly: qa's own search: replaces shared's
    expect(await reach("string", "6.0.3.7")).toEqual({ search: ["production", "staging"], broker: ["production", "qa", "staging"] });
    expect(await reach("string", "6.0.4")).toEqual({ search: ["production", "qa", "staging"], broker: ["production", "qa", "staging"] });
    expect(await reach("string", "7.1.3")).toEqual({ search: ["qa", "staging"], broker: ["qa", "staging"] });
  });

  it.runIf(hasRails)("agrees with each version's config_for body and with Debian's Rails on every file", async () => {
    for (const file of Object.keys(FILES)) {
      const read = theirs(file);
      for (const [version, rule] of VERSIONS) expect({ file, version, ...(await reach(file, version)) }).toEqual({ file, version, ...read[rule] });
    }
  });
});
