// A Unicorn config the deploy renders from an ERB template and uploads to shared/config/unicorn.rb
// (the "Railscasts" recipes): the servers run that rendering with the stage's variables, not the
// repo's leftover config/unicorn.rb. Judged by rendering the template with Ruby's ERB as the
// recipe does and reading the result with Unicorn::Configurator.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem, RValue, Stage, TaskDef } from "../../src/model.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
beforeAll(async () => {
  await initPrism();
});

const stage = (name: string, vars: Record<string, RValue>): Stage => ({
  name,
  source: { file: `config/deploy/${name}.rb`, line: 1 },
  variables: Object.fromEntries(Object.entries(vars).map(([k, v], i) => [k, { value: v, source: { file: `config/deploy/${name}.rb`, line: i + 2 } }])),
  servers: [],
});

const TEMPLATE = [
  "# rendered at deploy time; the file in config/ is not used on the servers",
  "worker_processes <%= fetch(:unicorn_workers) %>",
  "timeout 90",
  "preload_app true",
  'pid "<%= fetch(:deploy_to) %>/shared/tmp/pids/unicorn.pid"',
  'listen "<%= fetch(:deploy_to) %>/shared/tmp/sockets/unicorn.sock"',
  "",
].join("\n");
const TASKS_FILE = [
  "namespace :unicorn do",
  "  task :setup do",
  '    template "unicorn.rb.erb", "#{shared_path}/config/unicorn.rb"',
  "  end",
  "end",
  "",
].join("\n");
const TEMPLATE_PATH = "lib/capistrano/templates/unicorn.rb.erb";
const task: TaskDef = {
  name: "unicorn:setup",
  source: { file: "lib/capistrano/tasks/unicorn.rake", line: 2 },
  templates: [TEMPLATE_PATH],
  uploads: [],
  renders: [{ template: TEMPLATE_PATH, destination: '"#{shared_path}/config/unicorn.rb"', source: { file: "lib/capistrano/tasks/unicorn.rake", line: 3 } }],
};
const repo = (template = TEMPLATE) =>
  memoryRepo({
    [TEMPLATE_PATH]: template,
    "lib/capistrano/tasks/unicorn.rake": TASKS_FILE,
    "config/unicorn.rb": "worker_processes 4\ntimeout 30\n",
  });

describe("a Unicorn config rendered from a deploy template", () => {
  it("reads the template rendered with each stage's values, as Unicorn reads the uploaded file", () => {
    const vars = { production: { unicorn_workers: 2, deploy_to: "/srv/fleet" }, staging: { unicorn_workers: 1, deploy_to: "/srv/fleet-staging" } };
    const stages = Object.entries(vars).map(([n, v]) => stage(n, v));
    const problems: Problem[] = [];
    const servers = analyzeAppServers({ repo: repo(), problem: (p) => problems.push(p) }, stages, [], [task]);
    const dir = mkdtempSync(join(tmpdir(), "r2k-tmpl-"));
    writeFileSync(join(dir, "unicorn.rb.erb"), TEMPLATE);
    for (const [name, v] of Object.entries(vars)) {
      const out = join(dir, `${name}.rb`);
      runRubyFile(join(here, "render_erb.rb"), { template: join(dir, "unicorn.rb.erb"), out, vars: v });
      const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [out]);
      const ours = servers.find((s) => s.kind === "unicorn" && s.stages.includes(name))!;
      expect(ours.file).toBe(TEMPLATE_PATH);
      expect(ours.workers?.value).toBe(real.worker_processes);
      expect(ours.timeout?.value).toBe(real.timeout);
      expect(ours.pid?.value).toBe(real.pid);
      expect(ours.workers?.source).toEqual({ file: TEMPLATE_PATH, line: 2 });
    }
    // the repo's leftover file runs on no stage, and is said to be not the servers' config
    expect(servers.find((s) => s.file === "config/unicorn.rb")?.stages ?? []).toEqual([]);
    expect(problems.some((p) => p.file === "config/unicorn.rb" && p.message.includes(TEMPLATE_PATH) && p.severity === "warning")).toBe(true);
  });

  it("a tag that cannot be evaluated is an unknown named by the template's line, never a guess", () => {
    const problems: Problem[] = [];
    const template = TEMPLATE.replace("<%= fetch(:unicorn_workers) %>", "<%= `nproc`.to_i * 2 %>");
    const servers = analyzeAppServers({ repo: repo(template), problem: (p) => problems.push(p) }, [stage("production", { deploy_to: "/srv/fleet" })], [], [task]);
    const ours = servers.find((s) => s.kind === "unicorn" && s.stages.includes("production"))!;
    const w = ours.workers?.value as any;
    expect(typeof w).toBe("object");
    expect(w?.unknown).toBeTruthy();
    expect(w?.source).toEqual({ file: TEMPLATE_PATH, line: 2 });
  });
});

describe("a rendered config's hook clients point back at the template", () => {
  it("an after_fork client call is cited at its template line, not the rendering's", () => {
    // A two-line ERB comment renders to nothing: every line below it moves up one in the output.
    const template = ["<%# the servers' copy is rendered at deploy time;", "    edit this one, not shared/config %>", "worker_processes 2", "after_fork do |server, worker|", '  $cache = Redis.new(url: "redis://<%= fetch(:redis_host) %>:6379")', "end", ""].join("\n");
    const servers = analyzeAppServers({ repo: repo(template), problem: () => {} }, [stage("production", { deploy_to: "/srv/fleet", redis_host: "cache.internal" })], [], [task]);
    const ours = servers.find((s) => s.kind === "unicorn" && s.stages.includes("production"))!;
    expect(ours.workers?.source).toEqual({ file: TEMPLATE_PATH, line: 3 });
    expect(ours.hookCalls?.length).toBeGreaterThan(0);
    for (const c of ours.hookCalls ?? []) expect(c.source).toEqual({ file: TEMPLATE_PATH, line: 5 });
  });
});
