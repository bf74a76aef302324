// Which web server the image runs when nothing the deploy runs says which one it started: a
// question (web.server), never this tool's pick. Its candidates are what the evidence leaves open
// (the server gems Gemfile.lock holds, else Puma and Unicorn); a default only where the evidence
// supports one, said as a suggestion; with none, `--yes` stops and names the question. The answer
// reaches the Dockerfile and MIGRATION.md as an answer, not as something the deploy started.
// Fixture: "orchard", a Capistrano 3 deploy whose hooks restart nothing (written for this test).
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { renderReport } from "../../src/report.js";
import { appServerKind } from "../../emitters/app-server.js";
import { recordingIo } from "../migrate/helpers.js";

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

const lock = (servers: string[]): string =>
  [
    "GEM",
    "  remote: https://rubygems.org/",
    "  specs:",
    "    capistrano (3.18.0)",
    "    capistrano-bundler (2.1.0)",
    "      capistrano (~> 3.1)",
    ...(servers.includes("puma") ? ["    nio4r (2.7.0)", "    puma (6.4.2)", "      nio4r (~> 2.0)"] : []),
    "    rails (7.0.8)",
    ...(servers.includes("unicorn") ? ["    unicorn (6.1.0)"] : []),
    "",
    "PLATFORMS",
    "  ruby",
    "",
    "DEPENDENCIES",
    "  capistrano (~> 3.18)",
    "  capistrano-bundler",
    ...servers.map((s) => `  ${s}`),
    "  rails (~> 7.0.8)",
    "",
    "RUBY VERSION",
    "   ruby 3.2.2p53",
    "",
    "BUNDLED WITH",
    "   2.4.10",
    "",
  ].join("\n");

/** A deploy that loads no server plugin, has no Procfile, and whose restart hook only clears a cache. */
function orchard(servers: string[]): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/bundler"\n# require "capistrano/passenger"\n',
    "config/deploy.rb": [
      'lock "~> 3.18"',
      'set :application, "orchard"',
      'set :repo_url, "git@git.example.test:fruit/orchard.git"',
      "",
      "namespace :deploy do",
      "  after :restart, :sweep do",
      "    on roles(:web) do",
      '      within release_path do',
      '        execute :rake, "tmp:cache:clear"',
      "      end",
      "    end",
      "  end",
      "end",
      "",
    ].join("\n"),
    "config/deploy/production.rb": 'server "app1.orchard.example.test", user: "deploy", roles: %w[web app db]\nset :rails_env, "production"\n',
    Gemfile: `source "https://rubygems.org"\ngem "rails", "~> 7.0.8"\n${servers.map((s) => `gem "${s}"\n`).join("")}gem "capistrano", "~> 3.18"\ngem "capistrano-bundler"\n`,
    "Gemfile.lock": lock(servers),
    "config/application.rb": 'require_relative "boot"\nrequire "rails/all"\nmodule Orchard\n  class Application < Rails::Application\n  end\nend\n',
    "config/database.yml": "production:\n  adapter: postgresql\n  database: orchard\n",
  };
}

function onDisk(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-web-question-")), "orchard");
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

beforeAll(async () => {
  await initPrism();
});

describe("no evidence of which web server the deploy started", () => {
  it("is a required question with every server the image can run, and the report says so", async () => {
    const m = await analyzeFiles(memoryRepo(orchard([])), "orchard");
    expect(m.webServer).toBeNull();
    const gap = m.gaps.find((g) => g.id === "web.server")!;
    expect(gap).toMatchObject({ default: null, required: true, choices: ["puma", "unicorn"] });
    expect(gap.why).toMatch(/nothing in the repo says which web server the deploy started/);
    expect(gap.why).toMatch(/Gemfile\.lock holds none of puma, unicorn, passenger/);
    const text = renderReport(m, { color: false });
    expect(text).toMatch(/started by the deploy: nothing in the repo says .*asked as web\.server/);
    expect(text).toMatch(/web\.server: .*\[no default: must be answered\]/);
  });

  it("two locked servers and no config: both offered, neither taken", async () => {
    const m = await analyzeFiles(memoryRepo(orchard(["puma", "unicorn"])), "orchard");
    expect(m.gaps.find((g) => g.id === "web.server")).toMatchObject({ default: null, required: true, choices: ["puma", "unicorn"] });
  });

  it("the one server gem locked is the default, a suggestion said with its reason", async () => {
    const m = await analyzeFiles(memoryRepo(orchard(["unicorn"])), "orchard");
    const gap = m.gaps.find((g) => g.id === "web.server")!;
    expect(gap).toMatchObject({ default: "unicorn", suggestion: true, choices: ["unicorn"] });
    expect(gap.required).toBeUndefined();
    // a list of one is no list: the reason is the lockfile holding no other server gem
    expect(gap.why).toMatch(/Gemfile\.lock holds unicorn and none of the other server gems the image runs \(puma, passenger\)/);
    expect(gap.why).not.toMatch(/only one of unicorn\b/);
  });

  it("a config of one locked server among two is the default", async () => {
    const files = { ...orchard(["puma", "unicorn"]), "config/puma.rb": "workers 2\nthreads 3, 3\n" };
    const m = await analyzeFiles(memoryRepo(files), "orchard");
    expect(m.gaps.find((g) => g.id === "web.server")).toMatchObject({ default: "puma", suggestion: true });
    expect(appServerKind(m)).toBe("puma");
  });

  it("no question when the deploy restarts a server", async () => {
    const files = orchard(["puma", "unicorn"]);
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace('execute :rake, "tmp:cache:clear"', 'execute :sudo, :systemctl, :restart, "puma_orchard"');
    const m = await analyzeFiles(memoryRepo(files), "orchard");
    expect(m.webServer?.kind).toBe("puma");
    expect(m.gaps.some((g) => g.id === "web.server")).toBe(false);
  });
});

describe("migrate", () => {
  it("--yes stops on the question with no default, naming it; nothing is written", async () => {
    const dir = onDisk(orchard(["puma", "unicorn"]));
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(2);
    expect(io.stderr()).toMatch(/web\.server: Which web server did the servers run .*: puma, unicorn\?\n--yes takes defaults, and this question has none/);
    expect(() => readFileSync(join(dir, "MIGRATION.md"))).toThrow();
  });

  it("the saved answer is replayed: the image runs it, said as the answer in the Dockerfile's provenance and MIGRATION.md", async () => {
    const dir = onDisk(orchard(["puma", "unicorn"]));
    writeFileSync(join(dir, ".rails2k8s.yml"), "# rails2k8s answers\nweb.server: unicorn\n");
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    expect(io.stdout()).toMatch(/web\.server = unicorn {2}\(saved in \.rails2k8s\.yml\)/);
    expect(readFileSync(join(dir, "config/unicorn/kubernetes.rb"), "utf8")).toMatch(/worker_processes/);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(guide).toMatch(/nothing in the repo says which web server the deploy started[^\n]*: the image runs unicorn, the answer to web\.server in \.rails2k8s\.yml/);
    expect(guide).toMatch(/\| `Dockerfile` \| web server unicorn \(the answer to web\.server in \.rails2k8s\.yml\) \|/);
    expect(guide).not.toMatch(/started by the deploy: unicorn/);
  });

  it("a server answered that Gemfile.lock lacks stops with the fix, not with a tool default", async () => {
    const dir = onDisk(orchard([]));
    writeFileSync(join(dir, ".rails2k8s.yml"), "# rails2k8s answers\nweb.server: puma\n");
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(2);
    expect(io.stderr()).toMatch(/the image starts puma \(the answer to web\.server in \.rails2k8s\.yml\), which Gemfile\.lock does not hold: add puma to the Gemfile/);
    expect(io.stderr()).not.toMatch(/tool's default/);
  });

  it("--yes takes the supported default and says it in MIGRATION.md as a default to confirm", async () => {
    const dir = onDisk(orchard(["puma"]));
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    expect(io.stdout()).toMatch(/web\.server = puma {2}\(default, a suggestion: confirm it before the cut-over/);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(guide).toMatch(/the image runs puma, the default of web\.server, taken with no one asked/);
  });
});
