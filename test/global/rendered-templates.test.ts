// Templates rendered by Capistrano (issue 12's first shape): a task globs config/global/templates/
// *.yml.erb, renders each with the stage's binding and uploads it as
// "#{release_path}/config/global/#{File.basename(t, '.erb')}". Each template is its own namespace
// (aws, datastore), per stage; real Rails on the emitted files gives what Global gives on each
// stage's servers (the templates rendered by real Ruby ERB with the stage's variables).
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { configEnvFile, secretEnvFile } from "../../emitters/contract.js";
import { railsEnvOf, type AppModel, type EmittedFile } from "../../src/model.js";
import { writeApp } from "../rails-config/harness.js";

const TASK = `namespace :global do
  desc "Render the Global templates with the stage's settings"
  task :upload do
    on roles(:app) do
      Dir.glob("config/global/templates/*.yml.erb").each do |t|
        upload! StringIO.new(ERB.new(File.read(t)).result(binding)),
                "#{release_path}/config/global/#{File.basename(t, '.erb')}"
      end
    end
  end
end
after "deploy:updated", "global:upload"
`;

const APP: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\ngem "unicorn"\n',
  // The image installs exactly the locked gems: without a lockfile naming the server, migrate refuses.
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    global (2.1.0)\n    rails (6.1.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails (~> 6.1)\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n",

  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
  "config/application.rb": "module Shop\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": 'set :application, "shop"\nset :repo_url, "git@example.com:shop.git"\nset :aws_region, "us-east-1"\n',
  "config/deploy/production.rb": 'server "web1.example.com", user: "deploy", roles: %w[web app]\nset :s3_bucket, "shop-prod-assets"\nset :db_host, "db.prod.internal"\n',
  "config/deploy/staging.rb": 'server "staging.example.com", user: "deploy", roles: %w[web app]\nset :rails_env, "staging"\nset :s3_bucket, "shop-staging-assets"\nset :db_host, "db.staging.internal"\nset :aws_region, "eu-west-1"\n',
  "lib/capistrano/tasks/global.rake": TASK,
  "config/global/templates/aws.yml.erb": "default:\n  region: <%= fetch(:aws_region) %>\n  bucket: <%= fetch(:s3_bucket) %>\n",
  "config/global/templates/datastore.yml.erb": "default:\n  host: <%= fetch(:db_host) %>\n  pool: 5\nproduction:\n  pool: 10\n",
  "config/global/mailer.yml": "default:\n  from: shop@example.com\n",
};

let model: AppModel;
let files: EmittedFile[];
let root: string;
beforeAll(async () => {
  model = await analyzeFiles(memoryRepo(APP), "shop");
  const answers = Object.fromEntries(model.gaps.map((g) => [g.id, g.default]));
  files = EMITTERS.flatMap((e) => e.emit(model, answers).files);
  root = mkdtempSync(join(tmpdir(), "r2k-rendered-"));
  for (const [p, c] of Object.entries(APP)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
}, 60_000);

const parseEnv = (text: string) => Object.fromEntries(text.split("\n").flatMap((l) => (/^([A-Za-z_]\w*)=(.*)$/.exec(l) ? [[RegExp.$1, RegExp.$2]] : [])));

describe("Global templates Capistrano renders and uploads under their own names", () => {
  it("each template lands as its own namespace, with each stage's values", () => {
    const g = model.global!;
    expect(g.templates.map((t) => [t.template, t.target])).toEqual([
      ["config/global/templates/aws.yml.erb", "config/global/aws.yml"],
      ["config/global/templates/datastore.yml.erb", "config/global/datastore.yml"],
    ]);
    const names = g.namespaces.map((n) => n.name);
    expect(names).toEqual(expect.arrayContaining(["aws", "datastore", "mailer"]));
    const aws = g.templates.find((t) => t.target.endsWith("/aws.yml"))!;
    expect(aws.rendered).toEqual({ production: { region: "us-east-1", bucket: "shop-prod-assets" }, staging: { region: "eu-west-1", bucket: "shop-staging-assets" } });
    const ds = g.templates.find((t) => t.target.endsWith("/datastore.yml"))!;
    expect(ds.rendered).toEqual({ production: { host: "db.prod.internal", pool: 10 }, staging: { host: "db.staging.internal", pool: 5 } });
    expect(files.some((f) => f.path === "config/custom/aws.yml")).toBe(true);
    expect(files.some((f) => f.path === "config/custom/datastore.yml")).toBe(true);
  });

  for (const stageName of ["production", "staging"])
    it(`${stageName}: real Rails on the emitted files equals Global on the stage's servers`, () => {
      const stage = model.stages.find((s) => s.name === stageName)!;
      const pod: Record<string, string> = { ...parseEnv(files.find((f) => f.path === configEnvFile(stageName))!.content) };
      for (const [k, v] of Object.entries(parseEnv(files.find((f) => f.path === secretEnvFile(stageName))!.content))) pod[k] = v || `value-of-${k}`;
      const dir = writeApp(files.filter((f) => f.path.startsWith("config/") || f.path.startsWith("lib/tasks/")));
      const input = join(dir, "verify-input.json");
      writeFileSync(input, JSON.stringify({
        app_dir: dir, fixture_root: root, global_dir: "config/global", rails_env: railsEnvOf(stage),
        vars: Object.fromEntries(Object.entries(stage.variables).map(([k, f]) => [k, f.value])),
        templates: model.global!.templates.map((t) => ({ template: t.template, target: t.target })),
      }));
      const r = spawnSync("ruby", [resolve("test/rails-config/fixture_verify.rb"), input], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...pod, RAILS_ENV: railsEnvOf(stage) } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { namespaces: string[]; diffs: string[]; task: { status: number; output: string } };
      expect(out.namespaces).toEqual(expect.arrayContaining(["aws", "datastore", "mailer"]));
      expect(out.diffs).toEqual([]);
      expect(out.task.status, out.task.output).toBe(0);
    }, 60_000);

  it("a destination whose file name cannot be resolved is named with its task and line, not guessed", async () => {
    const repo = { ...APP, "lib/capistrano/tasks/global.rake": TASK.replace("#{File.basename(t, '.erb')}", "#{fetch(:prefix)}-#{File.basename(t)}") };
    const m = await analyzeFiles(memoryRepo(repo), "shop");
    expect(m.global!.templates).toEqual([]);
    const p = m.problems.filter((x) => /file name on the servers cannot be resolved/.test(x.message));
    expect(p.map((x) => [x.file, x.line > 0])).toEqual([["lib/capistrano/tasks/global.rake", true], ["lib/capistrano/tasks/global.rake", true]]);
    expect(p[0]!.message).toMatch(/task global:upload uploads config\/global\/templates\/aws\.yml\.erb/);
  });
});
