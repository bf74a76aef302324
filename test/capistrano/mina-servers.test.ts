// Mina deploys whose targets are picked while deploy.rb loads, and the paths Mina links from shared/.
// - "servers" folders: `set :server, ENV['to'] || <default>` then `invoke :"env:#{server}"`, each
//   target a task `env:<name>` in lib/mina/servers/*.rb that sets domain, deploy_to, rails_env;
// - a guard list: `ENV['to'] ||= 'beta'` and `raise ... unless %w[beta live].include?(ENV['to'])`;
// - `shared_paths` (Mina 0.3) / `shared_dirs` + `shared_files` (Mina 1.x): the servers' copies of
//   database.yml, sidekiq.yml and environment files, linked over the checkout's.
// Oracle: Debian's mina 0.3.7, run as each target's deploy is (`mina … to=<name>`), with a task that
// prints what it computed and `deploy:link_shared_paths -S` (simulate), whose script names the SSH
// host and every `ln -s <deploy_to>/shared/<path> ./<path>`. (Debian's package lacks the
// data/deploy.sh.erb the `deploy do` block renders, so the link task is simulated on its own.)
// Mina 1.x is not packaged: its link task is cited from mina-deploy/mina tasks/mina/deploy.rb.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyze } from "./analyze.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";

const DUMP = `
task :r2k_dump do
  require "json"
  puts "R2K-JSON" + JSON.generate({ deploy_to: (settings.deploy_to rescue nil), rails_env: (settings.rails_env rescue nil).to_s, branch: (settings.branch rescue nil).to_s })
end
`;

interface Real {
  host: string;
  deploy_to: string;
  rails_env: string;
  branch: string;
  links: string[];
}

/** Real mina on the tree, given `args` (`to=live`): its settings, SSH target and linked paths; null when it fails. */
function mina(files: Record<string, string>, args: string[]): Real | null {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mina-servers-"));
  try {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), p === "config/deploy.rb" ? text + DUMP : text);
    }
    const r = spawnSync("mina", ["-f", join(dir, "config/deploy.rb"), "r2k_dump", "deploy:link_shared_paths", "-S", ...args], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-JSON"));
    const ssh = /via 'ssh (?:[^@' ]+@)?([^ ']+)/.exec(r.stdout);
    if (r.status !== 0 || !line || !ssh) return null;
    const v = JSON.parse(line.slice(8));
    const links = [...r.stdout.matchAll(/ln -s "[^"]*\/shared\/([^"]+)" "\.\/\1"/g)].map((m) => m[1]!).sort();
    return { host: ssh[1]!, deploy_to: v.deploy_to, rails_env: v.rails_env || "production", branch: v.branch, links };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LOCK = (mina: string) => `GEM\n  remote: https://rubygems.org/\n  specs:\n    mina (${mina})\n    rails (4.2.11)\n    pg (0.21.0)\n    sidekiq (4.2.10)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mina\n  rails\n  pg\n  sidekiq\n`;

/** Ours against real mina for each stage: host, deploy_to, rails_env, branch, and the linked paths. */
async function judged(files: Record<string, string>, invocations: Record<string, string[]>) {
  const r = await analyze(files);
  expect(r.stages.map((s) => s.name).sort()).toEqual(Object.keys(invocations).sort());
  for (const s of r.stages) {
    const real = mina(files, invocations[s.name]!);
    expect(real, `mina ${invocations[s.name]!.join(" ")}`).not.toBeNull();
    const ours = {
      host: s.servers.map((x) => x.host)[0] ?? null,
      deploy_to: s.variables["deploy_to"]?.value,
      rails_env: s.variables["rails_env"]?.value ?? "production",
      branch: s.variables["branch"]?.value,
      links: r.linked.filter((l) => l.stages.includes(s.name)).map((l) => l.path).sort(),
    };
    expect({ stage: s.name, ...ours, host: ours.host ?? real!.host }).toEqual({ stage: s.name, ...real! });
  }
  return r;
}

// A shop's deploy: common settings (its public URL in `domain`, which every target replaces), two
// targets in lib/mina/servers/, the default one named in a setting, and a shared defaults task.
const SERVERS: Record<string, string> = {
  "Gemfile.lock": LOCK("0.3.7"),
  "config/deploy.rb": [
    "$:.unshift './lib'",
    "require 'mina/rails'",
    "require 'mina/git'",
    "require 'mina/basics'",
    "",
    "Dir['lib/mina/servers/*.rb'].each { |f| load f }",
    "",
    "set :domain, 'https://www.orchard.example.org/'",
    // A call Mina 0.3 answers itself (its method_missing reads a setting: nil): no server hides in it.
    "announce 'orchard deploys'",
    "set :app, 'orchard'",
    "set :repository, 'git@example.org:orchard/orchard.git'",
    "set :fallback_box, :qa",
    "",
    "set :server, ENV['to'] || fallback_box",
    'invoke :"env:#{server}"',
    "",
    "task :deploy do",
    "  deploy do",
    "    invoke :'git:clone'",
    "    invoke :'deploy:link_shared_paths'",
    "  end",
    "end",
    "",
  ].join("\n"),
  "lib/mina/basics.rb": "task :basics do\n  set_default :rails_env, 'production'\n  set_default :shared_paths, ['log', 'tmp', 'config/database.yml', 'config/sidekiq.yml']\n  set_default :branch, 'main'\nend\n",
  "lib/mina/servers/live.rb":
    "namespace :env do\n  task :live => [:environment] do\n    set :domain, 'web1.orchard.example.org'\n    set :deploy_to, \"/srv/#{app}\"\n    set :user, 'orchard'\n    set :branch, 'release'\n    invoke :basics\n  end\nend\n",
  "lib/mina/servers/qa.rb": "namespace :env do\n  task :qa => [:environment] do\n    set :domain, '10.1.2.3'\n    set :deploy_to, '/home/qa/orchard'\n    set :rails_env, 'staging'\n    invoke :basics\n  end\nend\n",
  "config/database.yml": "production:\n  adapter: postgresql\n  database: orchard_laptop\n  host: localhost\n",
  "config/sidekiq.yml": ":concurrency: 3\n:queues:\n  - orchard_development_default\n",
  "log/.keep": "",
  "tmp/.keep": "",
};

describe("Mina targets picked by `invoke :\"env:#{server}\"` = mina 0.3.7", () => {
  it("each env task is a stage with its own domain, deploy_to, rails_env and branch; the URL set before it is never a server", async () => {
    const r = await judged(SERVERS, { live: ["to=live"], qa: ["to=qa"] });
    expect(r.stages.map((s) => [s.name, s.servers.map((x) => x.host), s.source])).toEqual([
      ["live", ["web1.orchard.example.org"], { file: "lib/mina/servers/live.rb", line: 2 }],
      ["qa", ["10.1.2.3"], { file: "lib/mina/servers/qa.rb", line: 2 }],
    ]);
    // Mina's one server is `domain`: the unknown call at line 9 does not make it a question.
    for (const s of r.stages) expect(s.unread?.some((u) => u.what === "servers") ?? false).toBe(false);
    // The run given no target is qa's (the default), not a third stage.
    expect(mina(SERVERS, [])!.host).toBe("10.1.2.3");
    const said = r.problems.find((p) => p.message.startsWith("Mina: 2 target(s)"))!.message;
    expect(said).toContain("qa (to=qa, task env:qa at lib/mina/servers/qa.rb:2; the default: a deploy given no target goes here)");
    expect(said).not.toContain("live (to=live, task env:live at lib/mina/servers/live.rb:2;");
  });

  it("a domain that is a URL, never replaced, is not taken as the server", async () => {
    const files = { ...SERVERS, "lib/mina/servers/live.rb": SERVERS["lib/mina/servers/live.rb"]!.replace("    set :domain, 'web1.orchard.example.org'\n", "") };
    const r = await analyze(files);
    expect(r.stage("live").servers).toEqual([]);
    expect(r.stage("live").unread?.some((u) => u.what === "servers")).toBe(true);
    expect(r.problems.some((p) => p.message.startsWith("mina.domain-url: stage live's `domain` is a URL (https://www.orchard.example.org/)") && p.file === "config/deploy.rb" && p.line === 8)).toBe(true);
  });

  it("shared_paths feed the linked model: database.servers-copy, DATABASE_URL per stage, sidekiq.yml the servers'", async () => {
    const m = await analyzeFiles(memoryRepo(SERVERS), "orchard");
    expect(m.linked.map((l) => [l.path, l.kind, l.stages])).toEqual([
      ["log", "dir", ["live", "qa"]],
      ["tmp", "dir", ["live", "qa"]],
      ["config/database.yml", "file", ["live", "qa"]],
      ["config/sidekiq.yml", "file", ["live", "qa"]],
    ]);
    expect(m.linked.find((l) => l.path === "config/database.yml")!.source).toEqual({ file: "lib/mina/basics.rb", line: 3 });
    expect(m.hazards.map((h) => h.id)).toContain("database.servers-copy");
    expect(m.problems.some((p) => p.message.startsWith("sidekiq.config-linked: config/sidekiq.yml"))).toBe(true);
    const k = emitKustomize(m, {} as any);
    for (const st of ["live", "qa"]) expect(k.files.find((f) => f.path === `k8s/overlays/${st}/secrets.env.example`)!.content).toContain("DATABASE_URL=");
  });

  it("shared_paths set while no deploy task invokes deploy:link_shared_paths link nothing, and are said so", async () => {
    const files = { ...SERVERS, "config/deploy.rb": SERVERS["config/deploy.rb"]!.replace("    invoke :'deploy:link_shared_paths'\n", "") };
    const r = await analyze(files);
    expect(r.linked).toEqual([]);
    expect(r.problems.some((p) => p.message.startsWith("mina.shared-not-linked: shared_paths is set") && p.file === "lib/mina/basics.rb")).toBe(true);
  });
});

// A ledger app whose deploy names its targets in a list, with a default, and takes its host from
// the command line (`mina deploy to=live host=…`): the host is not known, so it is asked, never invented.
const GUARDED: Record<string, string> = {
  "Gemfile.lock": LOCK("0.3.7"),
  "config/deploy.rb": [
    "require 'mina/rails'",
    "require 'mina/git'",
    "",
    "ENV['to'] ||= 'beta'",
    "raise(\"no such target: #{ENV['to']}\") unless %w[beta live].include?(ENV['to'])",
    "",
    "set :domain, ENV['host']",
    "set :deploy_to, \"/var/www/ledger_#{ENV['to']}\"",
    "set :rails_env, ENV['to']",
    "set :branch, ENV['to'] == 'live' ? 'main' : 'develop'",
    "set :shared_paths, ['config/database.yml', \"config/environments/#{ENV['to']}.rb\", 'log']",
    "",
    "task :deploy do",
    "  deploy do",
    "    invoke :'deploy:link_shared_paths'",
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/database.yml": "development:\n  adapter: postgresql\n  database: ledger_dev\n",
  "config/environments/development.rb": "Rails.application.configure do\nend\n",
};

describe("Mina targets from a guard list (`raise … unless %w[beta live].include?(ENV['to'])`) = mina 0.3.7", () => {
  it("each listed value is a stage, the ||= value the default; the host from the command line is asked", async () => {
    const r = await judged(GUARDED, { beta: ["to=beta", "host=b.example.org"], live: ["to=live", "host=l.example.org"] });
    for (const st of ["beta", "live"]) {
      expect(r.stage(st).servers).toEqual([]);
      expect(r.stage(st).unread?.some((u) => u.what === "servers")).toBe(true);
    }
    // Given no target, Mina deploys beta; a value outside the list stops it.
    expect(mina(GUARDED, ["host=b.example.org"])!.deploy_to).toBe("/var/www/ledger_beta");
    expect(mina(GUARDED, ["to=gamma", "host=b.example.org"])).toBeNull();
    expect(r.problems.find((p) => p.message.startsWith("Mina: 2 target(s)"))!.message).toContain("beta (to=beta; the default: a deploy given no target goes here)");
  });

  it("each stage's environment file exists only on the servers: named per stage", async () => {
    const m = await analyzeFiles(memoryRepo(GUARDED), "ledger");
    const missing = m.hazards.filter((h) => h.id === "files.server-only").map((h) => h.message.split(" is a linked file")[0]);
    expect(missing.sort()).toEqual(["config/environments/beta.rb", "config/environments/live.rb"]);
  });
});

// Mina 1.x (mina-deploy/mina tasks/mina/deploy.rb `deploy:link_shared_paths`): shared_dirs and
// shared_files are linked; shared_paths only makes folders in `setup`. mina/rails pushes log,
// tmp/cache and public/assets onto shared_dirs (tasks/mina/rails.rb).
describe("Mina 1.x: shared_dirs and shared_files", () => {
  const files: Record<string, string> = {
    "Gemfile.lock": LOCK("1.2.3"),
    "config/deploy.rb": [
      "require 'mina/rails'",
      "require 'mina/git'",
      "set :domain, 'app1.ledger.example.org'",
      "set :deploy_to, '/var/www/ledger'",
      "set :shared_dirs, fetch(:shared_dirs, []).push('public/uploads')",
      "set :shared_files, fetch(:shared_files, []).push('config/database.yml', 'config/sidekiq.yml')",
      "set :shared_paths, ['config/newrelic.yml']",
      "task :deploy do",
      "  deploy do",
      "    invoke :'git:clone'",
      "    invoke :'deploy:link_shared_paths'",
      "  end",
      "end",
      "",
    ].join("\n"),
    "config/database.yml": "production:\n  adapter: postgresql\n  database: ledger\n",
    "config/sidekiq.yml": ":concurrency: 5\n",
    "config/newrelic.yml": "common: {}\n",
  };

  it("links shared_dirs (with mina/rails' own) and shared_files; shared_paths is named as not linked", async () => {
    const r = await analyze(files);
    expect(r.linked.map((l) => [l.path, l.kind])).toEqual([
      ["log", "dir"],
      ["tmp/cache", "dir"],
      ["public/assets", "dir"],
      ["public/uploads", "dir"],
      ["config/database.yml", "file"],
      ["config/sidekiq.yml", "file"],
    ]);
    expect(r.linked.find((l) => l.path === "log")!.source).toEqual({ file: "config/deploy.rb", line: 1 });
    expect(r.linked.find((l) => l.path === "config/database.yml")!.source).toEqual({ file: "config/deploy.rb", line: 6 });
    expect(r.problems.some((p) => p.message.startsWith("mina.shared-paths-unlinked") && p.line === 7)).toBe(true);
  });

  it("a folder of the checkout listed in shared_files is linked as a folder; without mina/rails, none of its folders", async () => {
    const deploy = files["config/deploy.rb"]!.replace("require 'mina/rails'\n", "").replace("'config/sidekiq.yml')", "'config/sidekiq.yml', 'log')");
    const r = await analyze({ ...files, "config/deploy.rb": deploy, "log/.keep": "" });
    expect(r.linked.map((l) => [l.path, l.kind])).toEqual([
      ["public/uploads", "dir"],
      ["config/database.yml", "file"],
      ["config/sidekiq.yml", "file"],
      ["log", "dir"],
    ]);
  });

  it("with no Gemfile.lock to say the version, every list a deploy sets is read, and shared_paths is not called unlinked", async () => {
    const { "Gemfile.lock": _lock, ...rest } = files;
    const r = await analyze({ ...rest, "config/deploy.rb": files["config/deploy.rb"]!.replace(/^set :shared_(dirs|files).*\n/gm, "") });
    expect(r.linked.map((l) => l.path)).toEqual(["config/newrelic.yml"]);
    expect(r.problems.some((p) => p.message.startsWith("mina.shared-paths-unlinked"))).toBe(false);
  });

  it("the database and sidekiq hazards apply", async () => {
    const m = await analyzeFiles(memoryRepo(files), "ledger");
    expect(m.hazards.map((h) => h.id)).toContain("database.servers-copy");
    expect(m.problems.some((p) => p.message.startsWith("sidekiq.config-linked"))).toBe(true);
  });
});
