// A monit template whose ERB loop defines one check per daemon (`<% pollers.times do |n| %> check
// process … <% end %>`), rendered by a Capistrano 2 task on a role: each stage ran the loop's count
// on every server of that role. Real Ruby ERB renders the template with each stage's value; the
// analysis must state the same count and start program. The app and template are written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AnalyzerContext, Stage, TaskDef } from "../../src/model.js";
import { erbTags, monitLoops } from "../../analyzers/workers/monit-loops.js";

const lock = `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (4.2.11)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n`;
const TEMPLATE = `<% pollers.times do |n| %>
check process feed_poller_<%= n %>
  with pidfile <%= shared_path %>/pids/poller.<%= n %>.pid
  start program = "/bin/sh -c 'cd <%= current_path %> && POLL_ENV=<%= rails_env %> bundle exec ./bin/poller start --index <%= n %>'" as uid app
  stop program = "/bin/sh -c 'cd <%= current_path %> && bundle exec ./bin/poller stop --index <%= n %>'"
  group pollers
<% end %>
`;
const RECIPE = `namespace :monit do
  task(:pollers, roles: :poll) { upload_monit "pollers" }
end

def upload_monit(name)
  erb = File.read(File.expand_path("../templates/monit/#{name}.erb", __FILE__))
  put ERB.new(erb).result(binding), "/etc/monit/conf.d/#{name}.conf"
end
`;

function app(stages: Record<string, string>, deploy = "", extra: Record<string, string> = {}) {
  return memoryRepo({
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": `set :application, "gazette"\nset :stages, %w(${Object.keys(stages).join(" ")})\nrequire 'capistrano/ext/multistage'\nset :deploy_to, "/srv/gazette"\nload 'config/recipes/monit'\n${deploy}`,
    ...Object.fromEntries(Object.entries(stages).map(([s, t]) => [`config/deploy/${s}.rb`, t])),
    "config/recipes/monit.rb": RECIPE,
    "config/recipes/templates/monit/pollers.erb": TEMPLATE,
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\n',
    "Gemfile.lock": lock,
    "config/application.rb": "module Gazette; class Application < Rails::Application; end; end\n",
    ...extra,
  });
}

/** Real ERB: the checks and start programs the template renders with these values. */
function rendered(pollers: number): { checks: number; starts: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "monit-loop-"));
  writeFileSync(join(dir, "t.erb"), TEMPLATE);
  const r = spawnSync("ruby", ["-rerb", "-e", `pollers = ${pollers}; shared_path = "/srv/gazette/shared"; current_path = "/srv/gazette/current"; rails_env = "production"; print ERB.new(File.read(ARGV[0])).result(binding)`, join(dir, "t.erb")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return { checks: (r.stdout.match(/^\s*check process /gm) ?? []).length, starts: [...r.stdout.matchAll(/start program = "([^"]*)"/g)].map((m) => m[1]!) };
}

describe("monit checks from an ERB loop", () => {
  it("count per stage = the stage's variable, on the servers of the rendering task's role; the same as real ERB renders", async () => {
    const m = await analyzeFiles(
      app({
        production: 'server "p1.gazette.example.org", :web, :app\nserver "q1.gazette.example.org", :poll\nserver "q2.gazette.example.org", :poll\nset :rails_env, "production"\nset :pollers, 3\n',
        staging: 'server "s1.gazette.example.org", :web, :app, :poll\nset :rails_env, "staging"\nset :pollers, 1\n',
      }),
      "gazette",
    );
    const u = m.uncarried!.find((x) => x.name === "feed_poller")!;
    expect(u.source).toEqual({ file: "config/recipes/templates/monit/pollers.erb", line: 4 });
    expect(u.why).toContain("task monit:pollers (config/recipes/monit.rb:2) renders on :poll");
    expect(u.why).toContain("production: 3 per server × 2 servers = 6");
    expect(u.why).toContain("staging: 1 per server × 1 server = 1");
    // Real ERB, with each stage's value: as many checks as the analysis counts per server, and the same start program.
    const prod = rendered(3);
    expect(prod.checks).toBe(3);
    expect(rendered(1).checks).toBe(1);
    expect(prod.starts[0]).toBe(u.command.replace(/<%= current_path %>/g, "/srv/gazette/current").replace(/<%= rails_env %>/g, "production").replace(/<%= n %>/g, "0"));
  });

  it("a bound no stage sets: a warning at the loop's line, no count", async () => {
    const repo = app({ production: 'server "q1.gazette.example.org", :poll\nset :rails_env, "production"\n' });
    const m = await analyzeFiles(repo, "gazette");
    expect(m.uncarried!.find((x) => x.name === "feed_poller")!.why).toContain("production: ? (pollers is not a variable the stage sets) per server");
    expect(m.problems).toContainEqual(expect.objectContaining({ file: "config/recipes/templates/monit/pollers.erb", line: 1, severity: "warning", message: expect.stringMatching(/pollers is not a variable the stage sets, so how many daemons it defines is not known/) }));
  });

  it("a String bound (`set :pollers, \"3\"`): real ERB fails to render, so no count and a named warning", async () => {
    const m = await analyzeFiles(app({ production: 'server "q1.gazette.example.org", :poll\nset :rails_env, "production"\nset :pollers, "3"\n' }), "gazette");
    // Real Ruby: a String has no `times`.
    const dir = mkdtempSync(join(tmpdir(), "monit-loop-"));
    writeFileSync(join(dir, "t.erb"), TEMPLATE);
    const r = spawnSync("ruby", ["-rerb", "-e", `pollers = "3"; shared_path = "/s"; current_path = "/c"; rails_env = "production"; print ERB.new(File.read(ARGV[0])).result(binding)`, join(dir, "t.erb")], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/NoMethodError|undefined method [`']times'/);
    expect(m.uncarried!.find((x) => x.name === "feed_poller")!.why).toContain("production: ? (pollers is the String \"3\"");
    expect(m.problems).toContainEqual(
      expect.objectContaining({ file: "config/recipes/templates/monit/pollers.erb", line: 1, severity: "warning", message: expect.stringMatching(/pollers is the String "3" \(config\/deploy\/production\.rb:3\), not an Integer: pollers\.times raises NoMethodError in Ruby, so the template's render fails/) }),
    );
  });

  it("a loop of a job backend's command (bin/delayed_job start -i <%= n %>): its count per stage and roles reach the worker, never lost to the worker's default", async () => {
    const djs = `<% djs.times do |n| %>\ncheck process dj_<%= n %>\n  with pidfile <%= shared_path %>/pids/delayed_job.<%= n %>.pid\n  start program = "/bin/sh -c 'cd <%= current_path %> && bin/delayed_job start -i <%= n %> --queue=mail'" as uid app\n<% end %>\n`;
    const m = await analyzeFiles(
      app({ production: 'server "p1.gazette.example.org", :web, :app\nserver "q1.gazette.example.org", :poll\nset :rails_env, "production"\nset :pollers, 1\nset :djs, 4\n' }, "", {
        "config/recipes/monit.rb": RECIPE.replace("end\n", "  task(:djs, roles: :poll) { upload_monit \"djs\" }\nend\n"),
        "config/recipes/templates/monit/djs.erb": djs,
        "Gemfile.lock": lock.replace("    rails (4.2.11)\n", "    delayed_job (4.1.11)\n    delayed_job_active_record (4.1.8)\n    rails (4.2.11)\n").replace("  rails\n", "  delayed_job_active_record\n  rails\n"),
      }),
      "gazette",
    );
    // The loop's worker (monitLoopWorker) takes the count and the rendering task's roles; the
    // fallback warning (uncarried.ts) is for a loop no worker takes, so it does not fire here.
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.roles).toEqual(["poll"]);
    expect(w.perStage?.["production"]?.processes).toBe(4);
    expect(w.perStage?.["production"]?.why).toContain("rendered by task monit:djs (config/recipes/monit.rb:3)");
    expect(m.problems.some((p) => p.message.includes("no worker takes this count and these roles"))).toBe(false);
    // Not a daemon of the repo's own: no uncarried entry for it.
    expect(m.uncarried!.some((u) => u.source.file.endsWith("djs.erb"))).toBe(false);
  });

  it("a hostile long line in the loop's body (an unclosed tag of 60,000 `do`s) is read in linear time; the loop is still read", () => {
    // /<%[^%]*\bdo\b[^%]*%>/ backtracked over every `do`: seconds of CPU on this 180 KB line.
    const cpuMs = (f: () => void) => {
      const start = process.cpuUsage();
      f();
      const c = process.cpuUsage(start);
      return (c.user + c.system) / 1000;
    };
    const hostile = TEMPLATE.replace("  group pollers\n", `  group pollers\n# <%${" do".repeat(60_000)}\n  <% if true do %>x<% end %>\n`);
    const files = { "config/recipes/monit.rb": RECIPE, "config/recipes/templates/monit/pollers.erb": hostile };
    const stages = [{ name: "production", servers: [], variables: {} }] as unknown as Stage[];
    const tasks = [{ name: "monit:pollers", source: { file: "config/recipes/monit.rb", line: 2 } }] as unknown as TaskDef[];
    let loops: ReturnType<typeof monitLoops> = [];
    expect(cpuMs(() => (loops = monitLoops({ repo: memoryRepo(files), problem: () => {} } as unknown as AnalyzerContext, stages, tasks)))).toBeLessThan(1000);
    // The nested block (do … end on one line) opens and closes; the loop ends at its own `<% end %>`.
    expect(loops.map((l) => [l.loop.line, l.starts.map((s) => s.source.line)])).toEqual([[1, [4]]]);
    expect(erbTags(`<%= n %> <%- x.each do |a| -%><% 50% do %><%a <% end -%>`)).toEqual(["= n ", "- x.each do |a| -", " end -"]);
  });

  it("monitLoops: the loop's start program and line, the rendering task's roles (analyzers/capistrano/task-roles.ts), the count per stage", () => {
    // The loop read straight from a repo: its start program, line and the rendering task's roles.
    const stages = [{ name: "production", servers: [{ host: "q1", roles: ["poll"] }], variables: { pollers: { value: 2, source: { file: "config/deploy/production.rb", line: 2 } } } }] as unknown as Stage[];
    const tasks = [{ name: "monit:pollers", source: { file: "config/recipes/monit.rb", line: 2 } }] as unknown as TaskDef[];
    const ctx = { repo: app({}), problem: () => {} } as unknown as AnalyzerContext;
    const [l, ...rest] = monitLoops(ctx, stages, tasks);
    expect(rest).toEqual([]);
    expect(l!.starts.map((s) => [s.check, s.source.line])).toEqual([["feed_poller", 4]]);
    expect(l!.task!.roles).toEqual(["poll"]);
    expect(l!.perStage).toEqual([{ stage: "production", count: 2, servers: 1, why: "pollers = 2", source: { file: "config/deploy/production.rb", line: 2 } }]);
  });
});
