// The web server the deploy started decides what the image runs: never merely which config file
// exists. Each case is an app shape seen in real deploys (written here in our own words).
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor, appServerKind } from "../../emitters/app-server.js";
import { emitContainer } from "../../emitters/container/index.js";
import { UNICORN_CONTAINER_CONFIG } from "../../emitters/contract.js";
import { COMMANDS, isServerCommand, MAX_START_LINE } from "../../analyzers/appserver/started.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g} (1.0.0)\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.4.22\n`;
const DEPLOY = `set :application, "ledger"\nset :repo_url, "git@example.com:acme/ledger.git"\n`;
const STAGE = `server "app1.example.internal", roles: %w[web app db]\n`;

const model = (files: Record<string, string>) =>
  analyzeFiles(memoryRepo({ "config/deploy.rb": DEPLOY, "config/deploy/production.rb": STAGE, Gemfile: 'source "https://rubygems.org"\n', ...files }), "ledger");

describe("which web server the deploy started", () => {
  it("capistrano3-unicorn wins over a leftover config/puma.rb, with its 30 workers", async () => {
    const m = await model({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
      "Gemfile.lock": LOCK(["puma", "rails", "unicorn"]),
      "config/puma.rb": 'workers Integer(ENV.fetch("WEB_CONCURRENCY", 2))\nthreads 5, 5\n',
      "config/unicorn/production.rb": "worker_processes 30\ntimeout 45\n",
    });
    expect(m.webServer?.kind).toBe("unicorn");
    expect(m.webServer?.evidence[0]).toMatchObject({ value: "unicorn: Capfile loads capistrano3/unicorn", source: { file: "Capfile", line: 3 } });
    expect(appServerKind(m)).toBe("unicorn");
    expect(appServerFor(m, m.stages[0]!)?.file).toBe("config/unicorn/production.rb");
    const out = emitContainer(m, {});
    expect(out.files.map((f) => f.path)).toContain(UNICORN_CONTAINER_CONFIG);
    expect(out.files.find((f) => f.path === "Dockerfile")!.content).toMatch(/unicorn/);
  });

  it("Procfile `web:` with unicorn -c config/unicorn.conf: the .conf file is read (8 workers)", async () => {
    const m = await model({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
      "Gemfile.lock": LOCK(["rails", "unicorn"]),
      Procfile: "web: bundle exec unicorn -c config/unicorn.conf -p $PORT\n",
      "config/unicorn.conf": "worker_processes 8\ntimeout 60\n",
    });
    expect(m.webServer?.kind).toBe("unicorn");
    expect(appServerFor(m, m.stages[0]!)?.file).toBe("config/unicorn.conf");
    expect(appServerFor(m, m.stages[0]!)?.workers?.value).toBe(8);
  });

  it("Passenger (restart.txt) is named, and the image runs the server the bundle has", async () => {
    const m = await model({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
      "Gemfile.lock": LOCK(["puma", "rails"]),
      "config/deploy.rb": DEPLOY + 'namespace :deploy do\n  task :restart do\n    on roles(:app) do\n      execute :touch, release_path.join("tmp/restart.txt")\n    end\n  end\nend\n',
    });
    expect(m.webServer?.kind).toBe("passenger");
    expect(appServerKind(m)).toBe("puma");
    const out = emitContainer(m, {});
    expect(out.notes.some((n) => /ran Passenger/.test(n.message) && n.source?.file === "config/deploy.rb")).toBe(true);
  });

  it("two plugins in the Capfile: the deploy's own restart command breaks the tie, and it is said", async () => {
    const m = await model({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/passenger"\nrequire "capistrano3/unicorn"\n',
      "Gemfile.lock": LOCK(["rails", "unicorn"]),
      "config/deploy.rb": DEPLOY + "after 'deploy:publishing', 'deploy:restart'\nnamespace :deploy do\n  task :restart do\n    invoke 'unicorn:restart'\n  end\nend\n",
      "config/unicorn/production.rb": "worker_processes 3\n",
    });
    expect(m.webServer?.kind).toBe("unicorn");
    expect(m.problems.some((p) => /more than one web server \(unicorn, passenger\)|more than one web server \(passenger, unicorn\)/.test(p.message))).toBe(true);
  });

  it("no evidence: the config found decides, as before", async () => {
    const m = await model({ Capfile: 'require "capistrano/setup"\n', "Gemfile.lock": LOCK(["puma", "rails"]), "config/puma.rb": "threads 3, 3\n" });
    expect(m.webServer).toBeNull();
    expect(appServerKind(m)).toBe("puma");
  });

  it("no evidence: a config whose gem the bundle lacks is a leftover, not the server (Rails' config/puma.rb beside a Unicorn bundle)", async () => {
    const m = await model({
      Capfile: 'require "capistrano/setup"\n',
      "Gemfile.lock": LOCK(["rails", "unicorn"]),
      "config/puma.rb": "threads 5, 5\nport ENV.fetch(\"PORT\") { 3000 }\n",
    });
    expect(m.webServer).toBeNull();
    expect(appServerKind(m)).toBe("unicorn");
    const out = emitContainer(m, {});
    expect(out.files.map((f) => f.path)).toContain(UNICORN_CONTAINER_CONFIG);
  });

  it("config/unicorn/unicorn.rb serves every environment, not one named unicorn", async () => {
    const m = await model({ Capfile: 'require "capistrano/setup"\nrequire "capistrano3/unicorn"\n', "Gemfile.lock": LOCK(["rails", "unicorn"]), "config/unicorn/unicorn.rb": "worker_processes 2\n" });
    expect(m.appServers.find((a) => a.file === "config/unicorn/unicorn.rb")?.env).toBeNull();
  });
});

describe("large per-server worker counts", () => {
  it("30 Unicorn workers on one server become 8 pods of 4: the HPA minimum and WEB_CONCURRENCY follow", async () => {
    const { makePlan } = await import("../../emitters/kustomize/plan.js");
    const { emitKustomize } = await import("../../emitters/kustomize/index.js");
    const { defaultAnswers } = await import("../kustomize/answers.js");
    const m = await model({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
      "Gemfile.lock": LOCK(["puma", "rails", "unicorn"]),
      "config/puma.rb": "threads 5, 5\n",
      "config/unicorn/production.rb": "worker_processes 30\n",
    });
    const answers = defaultAnswers(m, {});
    const plan = makePlan(m, answers);
    expect(plan.kind).toBe("unicorn");
    expect(plan.stages[0]!.minReplicas).toBe(8);
    // 4 workers (half a core each, kustomize/rules/resources.ts defaultWebResources), not 30 workers' worth in one pod
    expect(plan.stages[0]!.webResources.requests?.cpu).toBe("2000m");
    const out = emitKustomize(m, answers);
    const env = out.files.find((f) => f.path.endsWith("production/config.env"))!.content;
    expect(env).toMatch(/^WEB_CONCURRENCY=4$/m);
    expect(out.provenance.some((p) => /worker_processes 30 per server, spread over 8 pods/.test(p.what))).toBe(true);
  });
});

describe("client set-up in fork hooks", () => {
  it("each Redis/Sidekiq/global set-up in after_fork is listed with its line, not dropped, and never copied", async () => {
    const m = await model({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano3/unicorn"\n',
      "Gemfile.lock": LOCK(["rails", "unicorn"]),
      "config/unicorn/production.rb": [
        "worker_processes 2",
        "preload_app true",
        "after_fork do |server, worker|",
        "  ActiveRecord::Base.establish_connection",
        "  Sidekiq.configure_client do |config|",
        '    config.redis = { url: "redis://cache.internal:6379/0" }',
        "  end",
        '  $redis = Redis.new(url: "redis://cache.internal:6379/1")',
        "end",
      ].join("\n") + "\n",
    });
    const cfg = m.appServers.find((a) => a.file === "config/unicorn/production.rb")!;
    expect(cfg.hookCalls?.map((c) => [c.value, c.source.line])).toEqual([
      ["after_fork: Sidekiq.configure_client", 5],
      ["after_fork: $redis = …", 8],
    ]);
    const out = emitContainer(m, {});
    expect(out.notes.filter((n) => /is not carried into/.test(n.message)).map((n) => n.source?.line)).toEqual([5, 8]);
    const config = out.files.find((f) => f.path === UNICORN_CONTAINER_CONFIG)!.content;
    expect(config).not.toMatch(/Sidekiq|cache\.internal|\$redis/);
  });
});

describe("runtime files named in the deploy", () => {
  it("a USR2 to a unicorn pid file in deploy.rb is evidence of Unicorn", async () => {
    const m = await model({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
      "Gemfile.lock": LOCK(["puma", "rails", "unicorn"]),
      "config/deploy.rb": DEPLOY + "pid_file = '/tmp/unicorn_ledger.pid'\nnamespace :deploy do\n  task :restart do\n    on roles(:app) do\n      execute \"kill -USR2 `cat #{pid_file}`\"\n    end\n  end\nend\n",
      "config/puma.rb": "threads 5, 5\n",
      "config/unicorn.rb": "worker_processes 3\n",
    });
    expect(m.webServer?.kind).toBe("unicorn");
    expect(appServerKind(m)).toBe("unicorn");
  });
});

describe("hostile start lines", () => {
  it("a systemctl line of many options that names no server is refused in linear time; a real one still counts", async () => {
    // `--aa` once read two ways (`-`+`-aa`, `--`+`aa`): a failed match doubled per option.
    // 26 options took seconds before (each one more doubled it), so this fails rather than hangs.
    const cpuOf = (options: number) => {
      const line = `execute "systemctl ${"--aa ".repeat(options)}!"`;
      expect(line.length).toBeLessThan(MAX_START_LINE);
      const start = process.cpuUsage();
      expect(COMMANDS.filter(([re]) => re.test(line))).toEqual([]);
      const cpu = process.cpuUsage(start);
      return (cpu.user + cpu.system) / 1000;
    };
    expect(cpuOf(26)).toBeLessThan(200);
    expect(cpuOf(780)).toBeLessThan(500);
    const hostile = `execute "systemctl ${"--aa ".repeat(780)}!"`;
    expect(isServerCommand(`sudo systemctl --no-block --user -q restart puma_ledger`)).toBe(true);
    const m = await model({ "config/deploy.rb": `${DEPLOY}task :restart do\n  on roles(:app) do\n    ${hostile}\n    execute "${"x".repeat(MAX_START_LINE)} systemctl restart puma_ledger"\n    execute "sudo systemctl --no-block reload unicorn_ledger"\n  end\nend\n` });
    // the over-long line is no command: only the real restart counts
    expect(m.webServer?.kind).toBe("unicorn");
  });
});
