// What names a web server in a deploy: a server's command (`unicorn_rails -D`, `thin -C`), or a
// runtime file named for it (`thin.pid`) — never the letters of its name inside another word (a
// linked file `config/something_providers.yml` holds "thin"). And a task that starts the server but
// that no hook runs (a Capfile's recursive glob loads it from a subfolder of lib/capistrano/tasks)
// still says which server: someone ran it by hand, so it counts, more weakly than a hooked start.
// Fixtures "beacon" and "kettle" are written for this test. Real `cap` (3.17) confirms what the
// fixtures' tasks send and that the deploy flow runs the unhooked start only once it is hooked.
// A namespace named for the server (`namespace :unicorn do`) is a name too, not a start.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";
import { capApp, capJson, hostRecorder } from "../capistrano/cap-record.js";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g} (1.0.0)\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.4.22\n`;

/** Passenger through its plugin; a linked file whose name holds "thin" inside a word. */
const BEACON: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/passenger"\n',
  "config/deploy.rb": [
    'set :application, "beacon"',
    'set :repo_url, "https://git.example.test/beacon.git"',
    "set :linked_files, fetch(:linked_files, []).push(",
    "  'config/database.yml',",
    "  'config/something_providers.yml')",
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'server "beacon1.example.test", roles: %w[web app db]\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "passenger"\n',
  "Gemfile.lock": LOCK(["capistrano", "capistrano-passenger", "passenger", "rails"]),
};

/** Unicorn started by a task in a subfolder of lib/capistrano/tasks; `hooked` adds the hook that runs it. */
const KETTLE = (opts: { hooked?: boolean; pumaRestart?: boolean } = {}): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/**/*.rake").each { |r| import r }\n',
  "config/deploy.rb": [
    'set :application, "kettle"',
    'set :repo_url, "https://git.example.test/kettle.git"',
    'set :deploy_to, "/srv/kettle"',
    ...(opts.hooked ? ['after "deploy:publishing", "deploy:unicorn:boot"'] : []),
    ...(opts.pumaRestart ? ['after "deploy:publishing", "deploy:phased"', "namespace :deploy do", "  task :phased do", "    on roles(:app) do", '      execute :pumactl, "-S /srv/kettle/shared/tmp/pids/puma.state phased-restart"', "    end", "  end", "end"] : []),
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'server "kettle1.example.test", roles: %w[web app db]\n',
  "lib/capistrano/tasks/server/unicorn.rake": [
    "namespace :deploy do",
    "  namespace :unicorn do",
    "    task :boot do",
    "      on roles(:app) do",
    "        within current_path do",
    "          execute :unicorn_rails, '-D', '-E production', '-c config/unicorn.rb'",
    "        end",
    "      end",
    "    end",
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/unicorn.rb": "worker_processes 3\ntimeout 30\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\n',
  "Gemfile.lock": LOCK(["capistrano", "rails", "unicorn", ...(opts.pumaRestart ? ["puma"] : [])]),
});

const cleanup: string[] = [];
const ORACLE = hostRecorder("r2k:ran", "invoke args[:what]", ":what");
/** Real cap, per fixture: the commands `deploy:publishing` and the start task send. */
const real: Record<string, { publishing: [string, string][]; boot: [string, string][] }> = {};
let beaconLinked: unknown = null;

function onDisk(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-beacon-")), "app");
  cleanup.push(join(dir, ".."));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

beforeAll(async () => {
  await initPrism();
  const beacon = prepareCopy(onDisk(BEACON));
  cleanup.push(join(beacon, ".."));
  beaconLinked = (await runCap(beacon, "production")).variables["linked_files"];
  for (const [name, hooked] of [["unhooked", false], ["hooked", true]] as const) {
    const { app } = capApp(KETTLE({ hooked }), "r2k-kettle-", ORACLE, cleanup);
    real[name] = { publishing: capJson(app, "production", "r2k:ran[deploy:publishing]", "R2K-RAN"), boot: capJson(app, "production", "r2k:ran[deploy:unicorn:boot]", "R2K-RAN") };
  }
}, 120_000);

afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("a server's name inside another word names no server", () => {
  it("real cap: the line is the linked_files list, a file name", () => {
    expect(beaconLinked).toEqual(["config/database.yml", "config/something_providers.yml"]);
  });

  it("Passenger alone is the evidence; no second server is said", async () => {
    const m = await analyzeFiles(memoryRepo(BEACON), "beacon");
    expect(m.webServer?.kind).toBe("passenger");
    expect(m.webServer?.evidence.map((e) => e.value).filter((v) => v.startsWith("thin:"))).toEqual([]);
    expect(m.problems.map((p) => p.message).filter((x) => /more than one web server/.test(x))).toEqual([]);
  });

  it("a runtime file named for the server still counts (thin.pid)", async () => {
    const files = { ...BEACON, Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n', "config/deploy/production.rb": 'server "beacon1.example.test", roles: %w[web app db]\nset :pid_file, "/srv/beacon/shared/pids/thin.beacon.pid"\n' };
    const m = await analyzeFiles(memoryRepo(files), "beacon");
    expect(m.webServer?.kind).toBe("thin");
  });
});

describe("an unhooked task that starts the server", () => {
  it("real cap: the task starts unicorn_rails; the deploy runs it only once a hook does", () => {
    for (const name of ["unhooked", "hooked"]) expect(real[name]!.boot.some(([, c]) => /unicorn_rails -D -E production -c config\/unicorn\.rb/.test(c))).toBe(true);
    expect(real["unhooked"]!.publishing.some(([, c]) => /unicorn_rails/.test(c))).toBe(false);
    expect(real["hooked"]!.publishing.some(([, c]) => /unicorn_rails/.test(c))).toBe(true);
  });

  it("is evidence of Unicorn, said as run by hand, at its line in the subfolder", async () => {
    const m = await analyzeFiles(memoryRepo(KETTLE()), "kettle");
    expect(m.webServer?.kind).toBe("unicorn");
    expect(m.webServer?.evidence[0]).toEqual({ value: expect.stringMatching(/^unicorn: task deploy:unicorn:boot, run by hand \(no hook runs it\): execute :unicorn_rails/), source: { file: "lib/capistrano/tasks/server/unicorn.rake", line: 6 } });
    expect(m.gaps.find((g) => g.id === "web.server")).toBeUndefined();
    // the namespace named for the server (line 2) is a name, not a start
    expect(m.webServer?.evidence.some((e) => /namespace/.test(e.value))).toBe(false);
  });

  it("hooked, it is the deploy's own start, without the label", async () => {
    const m = await analyzeFiles(memoryRepo(KETTLE({ hooked: true })), "kettle");
    expect(m.webServer?.kind).toBe("unicorn");
    expect(m.webServer?.evidence[0]?.value).toMatch(/^unicorn: deploy task: execute :unicorn_rails/);
  });

  it("is weaker than a start every deploy runs", async () => {
    const m = await analyzeFiles(memoryRepo(KETTLE({ pumaRestart: true })), "kettle");
    expect(m.webServer?.kind).toBe("puma");
    expect(m.problems.find((p) => /more than one web server \(puma, unicorn\): puma is read as the one started/.test(p.message))).toBeDefined();
  });
});
