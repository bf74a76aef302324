// The config the started server actually loaded, and only that:
// - a per-env file (config/unicorn/<env>.rb) a stage starts is evaluated with that stage's
//   RAILS_ENV, not the env its name says (judged by Unicorn::Configurator with that RAILS_ENV);
// - a server restarted as a service defined only on the boxes (`service unicorn_x restart`) with no
//   config in the repo or linked: its numbers are questions, never Unicorn's defaults stated as fact;
// - a config of the server the deploy does not start (Rails' config/puma.rb beside a Unicorn
//   deploy, puma locked for development) adds no ENV read to the boot list.
// Fixtures: "millpond" (written here) and fixtures/appserver/kettle.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { isUnknown } from "../../src/model.js";
import { appServerFor } from "../../emitters/app-server.js";
import { appServerGaps } from "../../src/gaps/appserver.js";
import { filesOf } from "../fixture-files.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const KETTLE = join(here, "../../fixtures/appserver/kettle");

/** What real Unicorn sets from `text` for each RAILS_ENV, the file placed at `<deployTo>/current/<file>`. */
function unicorn(text: string, file: string, envs: string[]): any[] {
  const path = join(mkdtempSync(join(tmpdir(), "r2k-started-config-")), "srv/millpond/current", file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return runRubyFile(join(here, "unicorn_oracle.rb"), envs.map((env) => ({ path, env })));
}

// A per-env config whose numbers branch on RAILS_ENV; the "preview" stage runs it as production.
const PREVIEW_RB = [
  'app_root = File.expand_path("../../..", __FILE__)',
  'worker_processes(ENV["RAILS_ENV"] == "production" ? 5 : 1)',
  'timeout(ENV["RAILS_ENV"] == "preview" ? 120 : 40)',
  'listen "#{app_root}/tmp/sockets/unicorn.sock"',
  "",
].join("\n");

function millpond(): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
    "config/deploy.rb": 'lock "~> 3.18"\nset :application, "millpond"\nset :repo_url, "git@git.example.test:water/millpond.git"\nset :deploy_to, "/srv/millpond"\nset :unicorn_config_path, -> { "#{current_path}/config/unicorn/#{fetch(:stage)}.rb" }\n',
    "config/deploy/production.rb": 'server "mp1.example.test", roles: %w[web app db]\nset :rails_env, "production"\n',
    // a stage named for its file, running the production environment on cheaper boxes
    "config/deploy/preview.rb": 'server "mp-preview.example.test", roles: %w[web app db]\nset :rails_env, "production"\n',
    "config/unicorn/production.rb": 'worker_processes 8\ntimeout 30\n',
    "config/unicorn/preview.rb": PREVIEW_RB,
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano3-unicorn (0.2.1)\n    rails (7.0.8)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano3-unicorn\n  rails\n  unicorn\n",
  };
}

beforeAll(async () => {
  await initPrism();
});

describe("a per-env Unicorn file started by a stage of another RAILS_ENV", () => {
  it("is read with the stage's RAILS_ENV, as Unicorn reads it there", async () => {
    const m = await analyzeFiles(memoryRepo(millpond()), "millpond");
    const preview = m.stages.find((s) => s.name === "preview")!;
    const cfg = appServerFor(m, preview)!;
    expect(cfg.file).toBe("config/unicorn/preview.rb");
    expect(cfg.stages).toEqual(["preview"]);
    const [real] = unicorn(PREVIEW_RB, "config/unicorn/preview.rb", ["production"]);
    expect(real.worker_processes).toBe(5);
    expect(real.timeout).toBe(40);
    expect(cfg.workers?.value).toBe(real.worker_processes);
    expect(cfg.timeout?.value).toBe(real.timeout);
    // and not as the file's name would have it
    const [byName] = unicorn(PREVIEW_RB, "config/unicorn/preview.rb", ["preview"]);
    expect(byName.worker_processes).not.toBe(cfg.workers?.value);
    // production's own file is untouched
    expect(appServerFor(m, m.stages.find((s) => s.name === "production")!)!.workers?.value).toBe(8);
  });

  it("a stage whose RAILS_ENV is the file's keeps one reading", async () => {
    const files = millpond();
    files["config/deploy/preview.rb"] = files["config/deploy/preview.rb"]!.replace('"production"', '"preview"');
    const m = await analyzeFiles(memoryRepo(files), "millpond");
    const own = m.appServers.filter((a) => a.file === "config/unicorn/preview.rb");
    expect(own).toHaveLength(1);
    const [real] = unicorn(PREVIEW_RB, "config/unicorn/preview.rb", ["preview"]);
    expect(own[0]!.workers?.value).toBe(real.worker_processes);
    expect(own[0]!.timeout?.value).toBe(real.timeout);
  });
});

describe("a unicorn service only the servers define, with no config in the repo or linked", () => {
  const unlinked = (): Record<string, string> => {
    const files = filesOf(KETTLE);
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace("%w[config/database.yml config/unicorn.rb]", "%w[config/database.yml]");
    return files;
  };

  it("its numbers are unknown, said with the restart line, and asked with Unicorn's defaults as placeholders", async () => {
    const m = await analyzeFiles(memoryRepo(unlinked()), "kettle");
    const prod = m.stages.find((s) => s.name === "production")!;
    const cfg = appServerFor(m, prod)!;
    expect(cfg.kind).toBe("unicorn");
    expect(isUnknown(cfg.workers!.value)).toBe(true);
    expect(isUnknown(cfg.timeout!.value)).toBe(true);
    expect(cfg.workers!.source).toEqual({ file: "lib/capistrano/tasks/unicorn.rake", line: 6 });
    expect(cfg.startedBy?.value).toMatch(/restarts unicorn as a service of the servers \(lib\/capistrano\/tasks\/unicorn\.rake:6\)/);
    const gaps = appServerGaps(m);
    expect(gaps.map((g) => g.id).sort()).toEqual(["stage.production.web.timeout", "stage.production.web.workers"]);
    expect(gaps.every((g) => g.placeholder)).toBe(true);
    expect(m.problems.some((p) => p.file === "lib/capistrano/tasks/unicorn.rake" && /service defined only on the servers/.test(p.message))).toBe(true);
  });

  it("a restart that is no service (`bundle exec unicorn -D`) keeps the server's labelled defaults: the repo says it all", async () => {
    const files = unlinked();
    files["lib/capistrano/tasks/unicorn.rake"] = files["lib/capistrano/tasks/unicorn.rake"]!.replace('sudo "service unicorn_#{fetch(:application)} #{action}"', 'execute :bundle, :exec, :unicorn, "-D -E production"');
    const m = await analyzeFiles(memoryRepo(files), "kettle");
    expect(m.webServer?.kind).toBe("unicorn");
    expect(appServerFor(m, m.stages.find((s) => s.name === "production")!)).toBeNull();
    expect(appServerGaps(m)).toEqual([]);
  });

  it("the linked config is still the one read when linked (no second config)", async () => {
    const m = await analyzeFiles(memoryRepo(filesOf(KETTLE)), "kettle");
    expect(m.appServers.filter((a) => a.kind === "unicorn").map((a) => a.file)).toEqual(["config/unicorn.rb"]);
  });
});

describe("a config of the server the deploy does not start", () => {
  it("kettle's config/puma.rb (puma locked, the deploy restarts unicorn): said unused, its ENV reads are no boot reads", async () => {
    const m = await analyzeFiles(memoryRepo(filesOf(KETTLE)), "kettle");
    expect(m.problems.map((p) => `${p.file}:${p.line} ${p.message}`)).toContain(
      "config/puma.rb:1 config/puma.rb is not used: the deploy starts unicorn (config/deploy.rb:14), not puma, so the servers never loaded it; its settings and ENV reads are not carried",
    );
    const names = (m.bootEnv ?? []).map((r) => r.env);
    expect(names).not.toContain("RAILS_MAX_THREADS");
    expect(names).not.toContain("PORT");
  });
});
