// A task that links, renders or uploads the servers' database.yml, run by a hook written in one
// stage's own file (or defined there): `cap staging deploy` never loads production.rb, so staging's
// servers never got that file. Staging read the release's own config/database.yml (no link), or a
// copy nobody in the repo wrote (a render or upload only production ran): never production's.
// Judged by real cap 3.17 per stage with a recording backend: which host got which command when the
// hooked deploy step ran (analyzers/capistrano/stage-scope.ts stageRunsOf).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { removeStepRuns, stepRan as capRan } from "../capistrano/step-ran.js";

const REPO_DB = [
  "default: &default",
  "  adapter: postgresql",
  "  pool: 5",
  "production:",
  "  <<: *default",
  "  database: heron_live",
  "  host: db1.heron.internal",
  "staging:",
  "  <<: *default",
  "  database: heron_rehearsal",
  "  host: db1.heron-staging.internal",
  "",
].join("\n");

// deploy.rb defines the link; production.rb alone hooks it. Staging runs the release's database.yml.
const HERON: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": [
    'set :application, "heron"',
    'set :repo_url, "https://git.example.org/heron.git"',
    'set :deploy_to, "/srv/heron"',
    "",
    "namespace :config do",
    "  task :link_db do",
    "    on roles(:app) do",
    '      execute "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml"',
    "    end",
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/deploy/production.rb": ['server "web1.heron.example.net", roles: %w[web app db]', 'after "deploy:symlink:shared", "config:link_db"', ""].join("\n"),
  "config/deploy/staging.rb": ['server "box1.heron-staging.example.net", roles: %w[web app db]', 'set :rails_env, "staging"', ""].join("\n"),
  "config/database.yml": REPO_DB,
  "config/environments/production.rb": "Rails.application.configure do\nend\n",
  "config/environments/staging.rb": "Rails.application.configure do\nend\n",
};

// staging.rb evaluates a file of hooks the analysis does not follow: that file hooks the link.
const HERON_EVAL: Record<string, string> = {
  ...HERON,
  "config/deploy/staging.rb": ['eval File.read("config/deploy_hooks/db.rb")', HERON["config/deploy/staging.rb"]!].join("\n"),
  "config/deploy_hooks/db.rb": 'after "deploy:symlink:shared", "config:link_db"\n',
};

// staging.rb hooks a task of deploy.rb that invokes the link by name.
const HERON_INVOKE: Record<string, string> = {
  ...HERON,
  "config/deploy.rb": `${HERON["config/deploy.rb"]}namespace :config do\n  task :all do\n    invoke "config:link_db"\n  end\nend\n`,
  "config/deploy/staging.rb": `${HERON["config/deploy/staging.rb"]}after "deploy:symlink:shared", "config:all"\n`,
};

// Every stage links database.yml; production.rb alone defines and hooks the task that renders it.
const TEMPLATE = ["<%= fetch(:rails_env) %>:", "  adapter: postgresql", "  database: <%= fetch(:db_name) %>", "  host: <%= fetch(:db_host) %>", "  pool: 10", ""].join("\n");
const GREBE: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "erb"\nrequire "stringio"\n',
  "config/deploy.rb": [
    'set :application, "grebe"',
    'set :repo_url, "https://git.example.org/grebe.git"',
    'set :deploy_to, "/srv/grebe"',
    "set :linked_files, %w[config/database.yml]",
    'set :db_name, "grebe_live"',
    'set :db_host, "pg1.grebe.internal"',
    "",
    "def template(from, to)",
    '  upload! StringIO.new(ERB.new(File.read("config/deploy/templates/#{from}")).result(binding)), to',
    "end",
    "",
  ].join("\n"),
  "config/deploy/production.rb": [
    'server "web1.grebe.example.net", roles: %w[web app db]',
    'set :rails_env, "production"',
    "",
    "namespace :db do",
    "  task :configure do",
    "    on roles(:app) do",
    '      template "database.yml.erb", "#{shared_path}/config/database.yml"',
    "    end",
    "  end",
    "end",
    'before "deploy:check:linked_files", "db:configure"',
    "",
  ].join("\n"),
  "config/deploy/staging.rb": ['server "box1.grebe-staging.example.net", roles: %w[web app db]', 'set :rails_env, "staging"', ""].join("\n"),
  "config/deploy/templates/database.yml.erb": TEMPLATE,
  "config/database.yml.example": REPO_DB,
};

beforeAll(async () => {
  await initPrism();
});

afterAll(() => removeStepRuns());

const links = (ran: [string, string][]) => ran.filter(([, c]) => /ln -nfs \S+\/shared\/config\/database\.yml/.test(c)).map(([h]) => h);
const dbLinked = async (files: Record<string, string>) => (await analyzeFiles(memoryRepo(files), "heron")).linked.find((l) => l.path === "config/database.yml");

describe("a database.yml link hooked in one stage's file is that stage's alone", () => {
  it("production.rb hooks the link: real cap links it on production only; staging reads the repo's file", async () => {
    expect(links(capRan(HERON, "production", "deploy:symlink:shared"))).toEqual(["web1.heron.example.net"]);
    expect(links(capRan(HERON, "staging", "deploy:symlink:shared"))).toEqual([]);
    const m = await analyzeFiles(memoryRepo(HERON), "heron");
    expect(m.linked.find((l) => l.path === "config/database.yml")!.stages).toEqual(["production"]);
    const w = m.problems.find((p) => p.message.startsWith("capistrano.link-stages: task config:link_db"))!;
    expect(w.message).toContain("the deploy of stage staging never runs it (no hook of stage staging's deploy runs task config:link_db (its hook after deploy:symlink:shared is only in the deploy of stage production (config/deploy/production.rb:2))), nor links config/database.yml otherwise");
    expect(m.rails.database!.serversCopy!.linked).toEqual({ file: "config/deploy.rb", line: 8 });
  });

  it("staging.rb evaluates code not followed: real cap links it there too; staging keeps the link, the doubt named", async () => {
    expect(links(capRan(HERON_EVAL, "staging", "deploy:symlink:shared"))).toEqual(["box1.heron-staging.example.net"]);
    const m = await analyzeFiles(memoryRepo(HERON_EVAL), "heron");
    expect(m.linked.find((l) => l.path === "config/database.yml")!.stages).toEqual(["production", "staging"]);
    expect(m.problems.some((p) => p.file === "config/deploy/staging.rb" && p.line === 1 && p.message.startsWith("capistrano.link-stage-doubt: task config:link_db") && p.message.includes("`eval`"))).toBe(true);
  });

  it("staging.rb hooks a task that invokes the link: real cap links it on both stages, and so does the reading", async () => {
    expect(links(capRan(HERON_INVOKE, "staging", "deploy:symlink:shared"))).toEqual(["box1.heron-staging.example.net"]);
    expect((await dbLinked(HERON_INVOKE))!.stages).toEqual(["production", "staging"]);
  });
});

describe("a database.yml render defined and hooked in one stage's file names no other stage's database", () => {
  it("real cap renders it on production only; staging's servers' copy is not known, never production's rendering", async () => {
    const prod = capRan(GREBE, "production", "deploy:check:linked_files").filter(([, c]) => c.includes("shared/config/database.yml") && !/\btest\b|mkdir/.test(c));
    expect(prod.some(([h]) => h === "web1.grebe.example.net")).toBe(true);
    const staging = capRan(GREBE, "staging", "deploy:check:linked_files").filter(([, c]) => /StringIO/.test(c));
    expect(staging).toEqual([]);
    const m = await analyzeFiles(memoryRepo(GREBE), "grebe");
    const prodDb = m.rails.serversDatabases!.find((d) => d.stage === "production")!;
    expect(prodDb.database).toEqual({ value: "grebe_live", source: { file: "config/deploy/templates/database.yml.erb", line: 3 } });
    const stDb = m.rails.serversDatabases!.find((d) => d.stage === "staging")!;
    expect("unknown" in stDb.database && stDb.database.unknown).toContain("task db:configure is only in the deploy of stage production (config/deploy/production.rb:5)");
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy: config/database.yml is linked from shared/"))!;
    expect(w.message).toContain("stage staging: not rendered by its deploy");
  });
});
