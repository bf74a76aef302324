// How a String whenever_command is read as a shell line, judged by real bash: for each line, bash runs
// it with a `whenever` on PATH that records the environment and the arguments its process got (and
// `bundle exec` passing through); the reading (wheneverRunIn) must agree: whether whenever ran at all,
// which env words reached it, its arguments. Newlines end commands, `#` starts a comment, `echo … whenever`
// runs echo, and `NAME=value` alone on its line is a shell variable that is not exported.
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wheneverRunIn } from "../../analyzers/whenever/command-string.js";

const root = mkdtempSync(join(tmpdir(), "r2k-wh-shell-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const shims = join(root, "bin");
mkdirSync(shims, { recursive: true });
writeFileSync(join(shims, "bundle"), '#!/bin/sh\n[ "$1" = exec ] && shift\nexec "$@"\n');
// records the names it is asked about (the env words the lines use) and its arguments
writeFileSync(join(shims, "whenever"), '#!/bin/sh\n{ for n in HARBOR_ENV TIDE_LEVEL GULL_COUNT; do eval "v=\\${$n-__unset__}"; echo "$n=$v"; done; echo "ARGS=$*"; } > "$HOME/ran"\n');
for (const f of ["bundle", "whenever"]) chmodSync(join(shims, f), 0o755);

const NAMES = ["HARBOR_ENV", "TIDE_LEVEL", "GULL_COUNT"];

/** What bash's whenever process got, null when bash ran no whenever. */
function bashRan(line: string): { env: Record<string, string>; args: string } | null {
  const home = mkdtempSync(join(root, "home-"));
  spawnSync("bash", ["-c", line], { cwd: home, encoding: "utf8", env: { PATH: `${shims}:/usr/bin:/bin`, HOME: home, LANG: "C.UTF-8" } });
  const out = join(home, "ran");
  if (!existsSync(out)) return null;
  const env: Record<string, string> = {};
  let args = "";
  for (const l of readFileSync(out, "utf8").trim().split("\n")) {
    const [k, ...v] = l.split("=");
    if (k === "ARGS") args = v.join("=");
    else if (v.join("=") !== "__unset__") env[k!] = v.join("=");
  }
  return { env, args };
}

const LINES = [
  // a variable alone on its line is not exported to the next command
  "HARBOR_ENV=staging\nbundle exec whenever -i harbor",
  // echo runs, whenever is only one of its words
  "echo HARBOR_ENV=staging whenever -i",
  // a comment holds the only whenever
  "HARBOR_ENV=staging # bundle exec whenever -i\ntrue",
  // a cd line, then whenever with its own env word
  "cd /tmp\nHARBOR_ENV=qa whenever -i harbor",
  // exported first, changed later by a bare assignment (bash: the new value is exported)
  "export TIDE_LEVEL=low\nTIDE_LEVEL=high\nGULL_COUNT=3\nwhenever --update-crontab harbor # --roles=db",
  // `env` and `nice` before whenever
  "env HARBOR_ENV=dock nice -n 5 bundle exec whenever -w harbor",
  // a backslash-newline continues the line
  "HARBOR_ENV=pier \\\n  bundle exec whenever -i harbor",
  // `;` and a comment after it
  "TIDE_LEVEL=mid; whenever -i x #HARBOR_ENV=y",
];

describe("wheneverRunIn reads a shell line as bash runs it", () => {
  for (const line of LINES) {
    it(JSON.stringify(line), () => {
      const real = bashRan(line);
      const read = wheneverRunIn([line]);
      if (real === null) {
        expect(read).toBeNull();
        return;
      }
      expect(read).not.toBeNull();
      const env = Object.fromEntries(Object.entries(read!.env).filter(([k]) => NAMES.includes(k)));
      expect(env).toEqual(real.env);
      expect(read!.args.map((w) => w.join("")).join(" ")).toBe(real.args);
    });
  }
});

describe("the warning names a String's env words, never their values", () => {
  it("PGPASSWORD, a token under a plain name and a flag are named; RAILS_ENV keeps its value", async () => {
    const { initPrism } = await import("../../analyzers/ruby/prism.js");
    const { analyzeFiles } = await import("../../src/analyze.js");
    const { memoryRepo } = await import("../../src/repo.js");
    await initPrism();
    const files: Record<string, string> = {
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "whenever"\n',
      "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  whenever\n\nBUNDLED WITH\n   2.4.22\n",
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
      "config/deploy.rb": 'set :application, "harbor"\nset :repo_url, "git@example.net:harbor.git"\nset :deploy_to, "/srv/harbor"\n',
      "config/deploy/production.rb": 'server "h1.harbor.example.net", roles: %w[db]\nset :whenever_command, "PGPASSWORD=saltwater9 BUOY_LINK=q7r8s9 QUIET=yes RAILS_ENV=production bundle exec whenever -i harbor"\n',
      "config/schedule.rb": 'every 1.day do\n  rake "harbor:tides"\nend\n',
    };
    const m = await analyzeFiles(memoryRepo(files), "harbor");
    const w = (m.problems ?? []).map((p) => p.message).filter((t) => t.includes("cron.whenever-command-string"));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("with PGPASSWORD BUOY_LINK QUIET RAILS_ENV=production in its environment");
    for (const v of ["saltwater9", "q7r8s9", "=yes"]) expect(JSON.stringify(m.problems)).not.toContain(v);
  });
});
