// capistrano3-unicorn's unicorn_options and unicorn_exec per stage. The app ("atelier") is this
// test's own: staging starts `unicorn_rails … --path /atelier` (the app mounted under /atelier),
// production plain unicorn with `-N`. Judged by the real tools:
// - real Capistrano (`cap <stage> unicorn:start`) with a recording SSHKit backend records each
//   stage's start line; the plugin is a test-only stand-in written from a reading of
//   tablexi/capistrano3-unicorn's unicorn.rake (load:defaults and the execute of unicorn:start);
// - Debian's real unicorn_rails parses the recorded options (its `-e` evaluated after them prints
//   the RAILS_RELATIVE_URL_ROOT they set), which the staging overlay's ConfigMap must hold;
// - kubectl kustomize builds the overlays.
// `-N` is not carried by the image's command: a named warning, and no variable for production.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { prepareCopy } from "../capistrano/cap.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";

const STAND_IN = `namespace :load do
  task :defaults do
    set :unicorn_pid, -> { File.join(current_path, "tmp", "pids", "unicorn.pid") }
    set :unicorn_rack_env, -> { fetch(:rails_env) ? fetch(:rails_env) : "deployment" }
    set :unicorn_config_path, -> { File.join(current_path, "config", "unicorn", "#{fetch(:unicorn_rack_env)}.rb") }
    set :unicorn_roles, -> { :app }
    set :unicorn_options, -> { "" }
    set :unicorn_exec, -> { "unicorn" }
  end
end
namespace :unicorn do
  task :start do
    on roles(fetch(:unicorn_roles)) do
      within current_path do
        with rails_env: fetch(:rails_env) do
          execute :bundle, "exec #{fetch(:unicorn_exec)}", "-c", fetch(:unicorn_config_path), "-E", fetch(:unicorn_rack_env), "-D", fetch(:unicorn_options)
        end
      end
    end
  end
end
`;

// A recording backend: every command the task would run on a host, as the shell would get it.
const RECORD = `
task "r2k:record_start" do
  require "sshkit/backends/printer"
  $r2k_commands = []
  SSHKit.config.backend = Class.new(SSHKit::Backend::Printer) do
    def execute_command(cmd)
      $r2k_commands << cmd.to_command
    end
  end
  SSHKit.config.output = StringIO.new
  invoke "unicorn:start"
  puts "R2K-CMDS" + JSON.generate($r2k_commands)
end
`;

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano3-unicorn (0.2.1)\n    rails (6.1.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano3-unicorn\n  rails\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n";
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "capistrano3-unicorn"\n',
  "Gemfile.lock": LOCK,
  ".ruby-version": "3.0.6\n",
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
  "config/deploy.rb": 'set :application, "atelier"\nset :repo_url, "git@git.example.org:ops/atelier.git"\nset :deploy_to, "/srv/atelier"\n',
  "config/deploy/staging.rb": ['server "stage1.atelier.example.org", roles: %w[app web db]', 'set :rails_env, "staging"', 'set :unicorn_options, -> { "--path /atelier" }', 'set :unicorn_exec, -> { "unicorn_rails" }', ""].join("\n"),
  "config/deploy/production.rb": ['server "app1.atelier.example.org", roles: %w[app web db]', 'set :rails_env, "production"', 'set :unicorn_options, "-N"', ""].join("\n"),
  "config/unicorn/staging.rb": "worker_processes 2\ntimeout 30\n",
  "config/unicorn/production.rb": "worker_processes 3\ntimeout 30\n",
};

const cleanup: string[] = [];
const recorded: Record<string, string[]> = {};
let m: AppModel;
let built: Built;

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  const dir = mkdtempSync(join(tmpdir(), "r2k-uni-opts-"));
  const lib = mkdtempSync(join(tmpdir(), "r2k-uni-lib-"));
  cleanup.push(dir, lib);
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  mkdirSync(join(lib, "capistrano3"));
  writeFileSync(join(lib, "capistrano3", "unicorn.rb"), STAND_IN);
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  writeFileSync(join(app, "..", "record.rake"), RECORD);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "record.rake"))}\n`);
  for (const st of ["staging", "production"]) {
    const r = spawnSync("cap", [st, "r2k:record_start"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-I${lib} -r${join(app, "..", "prelude.rb")} -rjson -rstringio` } });
    const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-CMDS"));
    if (!line) throw new Error(`cap ${st} r2k:record_start failed: ${r.stderr}`);
    // the start line itself (within's directory test is recorded too)
    recorded[st] = (JSON.parse(line.slice(8)) as string[]).filter((c) => / exec unicorn/.test(c));
  }
  m = await analyzeFiles(memoryRepo(FILES), "atelier");
  built = emitAndBuild(m);
}, 180_000);
afterAll(() => {
  removeTrees();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

/** The options after `-D` on a recorded start line, as the shell got them. */
const optionsOf = (cmd: string) => /-D (.*?) \)$/.exec(cmd)?.[1] ?? "";
/** What Debian's unicorn_rails sets RAILS_RELATIVE_URL_ROOT to after parsing those options. */
const relativeRoot = (options: string) => {
  const r = spawnSync("sh", ["-c", `unicorn_rails ${options} -e 'require "json"; print ENV["RAILS_RELATIVE_URL_ROOT"].to_json; exit!(0)'`], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" } });
  if (r.status !== 0) throw new Error(`unicorn_rails ${options}: ${r.stderr}`);
  return JSON.parse(r.stdout) as string | null;
};
const configMap_ = (b: Built, stage: string) => find(b.stages[stage]!, "ConfigMap", "").data as Record<string, string>;
const configMap = (stage: string) => configMap_(built, stage);

describe("capistrano3-unicorn's start options per stage, against real cap and unicorn_rails", () => {
  it("cap records each stage's start line with its own exec and options", () => {
    expect(recorded["staging"]).toHaveLength(1);
    expect(recorded["staging"]![0]).toMatch(/bundle exec unicorn_rails -c \/srv\/atelier\/current\/config\/unicorn\/staging\.rb -E staging -D --path \/atelier \)$/);
    expect(recorded["production"]![0]).toMatch(/bundle exec unicorn -c \/srv\/atelier\/current\/config\/unicorn\/production\.rb -E production -D -N \)$/);
  });

  it("staging: the overlay's ConfigMap holds the RAILS_RELATIVE_URL_ROOT unicorn_rails set from the recorded options", () => {
    const want = relativeRoot(optionsOf(recorded["staging"]![0]!));
    expect(want).toBe("/atelier");
    expect(configMap("staging")["RAILS_RELATIVE_URL_ROOT"]).toBe(want);
    expect(m.webServer?.startEnv?.["staging"]).toEqual([
      { name: "RAILS_RELATIVE_URL_ROOT", value: "/atelier", source: { file: "config/deploy/staging.rb", line: 3 }, why: "unicorn_rails --path /atelier (capistrano3-unicorn's unicorn_options), which sets it" },
    ]);
  });

  it("staging: MIGRATION.md gets the path-prefix note for the route, and the provenance", () => {
    const note = built.result.notes.find((n) => /mounted under \/atelier/.test(n.message));
    expect(note?.message).toMatch(/^stage staging: the app ran mounted under \/atelier .*The route written serves the app at \/: send \/atelier to it/);
    expect(note?.source).toEqual({ file: "config/deploy/staging.rb", line: 3 });
    expect(built.result.provenance.some((p) => p.what === "RAILS_RELATIVE_URL_ROOT: unicorn_rails --path /atelier (capistrano3-unicorn's unicorn_options), which sets it")).toBe(true);
  });

  it("production: -N sets nothing there (unicorn_rails agrees) and is a named warning, not carried", () => {
    expect(relativeRoot("")).toBeNull();
    expect(configMap("production")["RAILS_RELATIVE_URL_ROOT"]).toBeUndefined();
    expect(m.problems.filter((p) => p.message.startsWith("unicorn.start-options:")).map((p) => [p.file, p.line, p.message])).toEqual([
      ["config/deploy/production.rb", 3, 'unicorn.start-options: stage production: capistrano3-unicorn\'s unicorn_options pass "-N" to unicorn, which the image\'s command does not carry: set its equivalent in the container\'s Unicorn config or the stage\'s overlay'],
    ]);
  });

  it("a --path holding a line break (unicorn_rails sets it so): not written to config.env, and neither MIGRATION.md nor the provenance says config.env sets it (audit s23 F14)", async () => {
    // a Ruby "\n" inside the shell's single quotes: one word with a line break, which unicorn_rails takes whole
    const options = "--path '/atelier\nbeta'";
    expect(relativeRoot(options)).toBe("/atelier\nbeta");
    const staging = FILES["config/deploy/staging.rb"]!.replace('set :unicorn_options, -> { "--path /atelier" }', 'set :unicorn_options, -> { "--path \'/atelier\\nbeta\'" }');
    const check = async (stagingFile: string, earlier: string | null) => {
      const a = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/staging.rb": stagingFile }), "atelier");
      expect(a.webServer?.startEnv?.["staging"]?.map((e) => e.value)).toEqual(["/atelier\nbeta"]);
      const b = emitAndBuild(a);
      expect(configMap_(b, "staging")["RAILS_RELATIVE_URL_ROOT"]).toBe(earlier ?? undefined);
      expect(b.result.provenance.filter((p) => p.what.startsWith("RAILS_RELATIVE_URL_ROOT: unicorn_rails"))).toEqual([]);
      const note = b.result.notes.find((n) => /mounted under \/atelier/.test(n.message))!;
      expect(note.message).not.toContain("sets RAILS_RELATIVE_URL_ROOT for the pods");
      expect(note.message).toContain("config.env does not set it to that: the value holds a line break, which a kustomize env file cannot carry, so it is not written");
      const guide = emitMigrationGuide(a, defaultAnswers(a), [{ name: "kustomize", result: b.result }]).content;
      expect(guide).not.toMatch(/sets `?RAILS_RELATIVE_URL_ROOT`? for the pods/);
      expect(guide).toContain("does not set it to that");
      return note.message;
    };
    expect(await check(staging, null)).toContain("so it is not written and the pods run without it");
    // an earlier value from the stage's default_env stays in config.env: said, not hidden behind "not set"
    const withDefault = staging + 'set :default_env, { "RAILS_RELATIVE_URL_ROOT" => "/old" }\n';
    expect(await check(withDefault, "/old")).toContain("keeps the RAILS_RELATIVE_URL_ROOT the stage's environment gave before the start line");
  });

  it("plain unicorn given --path: the warning says the servers' start failed (real unicorn rejects it)", async () => {
    const r = spawnSync("sh", ["-c", "unicorn --path /atelier -e 'exit!(0)'"], { encoding: "utf8" });
    expect(r.stderr).toMatch(/invalid option: --path/);
    const a = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/staging.rb": FILES["config/deploy/staging.rb"]!.replace(/set :unicorn_exec.*\n/, "") }), "atelier");
    expect(a.webServer?.startEnv).toBeUndefined();
    expect(a.problems.find((p) => p.message.startsWith("unicorn.start-options: stage staging"))?.message).toMatch(/pass "--path" to unicorn, .*plain unicorn has no --path: that start line failed on the servers/);
  });
});
