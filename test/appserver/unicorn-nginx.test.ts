// capistrano-unicorn-nginx (`require "capistrano/unicorn_nginx"`, locked): the gem renders its own
// unicorn.rb.erb to shared/config/unicorn.rb per stage and starts unicorn with it, so the repo's
// config/unicorn.rb is not what ran (analyze said "no Unicorn or Puma config found" before). Each
// stage's workers, timeout and listen are the stage's `set` values with their lines, or the gem's
// defaults labelled as such. Judged by Unicorn itself (Unicorn::Configurator) on our rendering of
// the gem's template, and on the repo's own copy rendered by Ruby's ERB. Fixture: fixtures/appserver/lantern.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel, AppServerConfig, RValue } from "../../src/model.js";
import { unicornNginxText, unicornNginxHelpers } from "../../analyzers/appserver/unicorn-nginx.js";
import { unicornAddress } from "../../analyzers/appserver/listen.js";
import { filesOf } from "../fixture-files.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const APP = filesOf(join(here, "../../fixtures/appserver/lantern"));
const GEM = "capistrano-unicorn-nginx";
const analyze = (changes: Record<string, string | null> = {}) => {
  const files = { ...APP };
  for (const [k, v] of Object.entries(changes)) if (v === null) delete files[k];
  else files[k] = v;
  return analyzeFiles(memoryRepo(files), "lantern");
};
const unicornOf = (m: AppModel, stage: string) => m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes(stage))!;
const stageOf = (m: AppModel, n: string) => m.stages.find((s) => s.name === n)!;
const said = (m: AppModel) => m.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join("\n");

let model: AppModel;
beforeAll(async () => {
  await initPrism();
  model = await analyze();
}, 60_000);

describe("capistrano-unicorn-nginx's Unicorn", () => {
  it("is the web server the deploy started, with the gem's restart hook as evidence", () => {
    expect(model.webServer?.kind).toBe("unicorn");
    expect(model.webServer?.evidence[0]).toMatchObject({ source: { file: "Capfile", line: 6 } });
    expect(model.webServer?.evidence[0]!.value).toMatch(/capistrano-unicorn-nginx 4\.1\.0, Gemfile\.lock:\d+\).*unicorn:restart.*bundle exec unicorn -D -c <unicorn_config>/);
  });

  it("workers and timeout per stage: the stage's own `set` with its line, else the gem's default labelled as such", () => {
    const prod = unicornOf(model, "production");
    const stg = unicornOf(model, "staging");
    expect(prod.workers).toEqual({ value: 3, source: { file: "config/deploy.rb", line: 10 } });
    expect(stg.workers).toEqual({ value: 3, source: { file: "config/deploy.rb", line: 10 } });
    expect(prod.timeout).toEqual({ value: 45, source: { file: "config/deploy/production.rb", line: 8 } });
    expect(stg.timeout).toEqual({ value: 30, source: { file: "Capfile", line: 6 }, defaultOf: GEM });
    expect(prod.preloadApp).toMatchObject({ value: true, defaultOf: GEM });
    expect(prod.file).toBe("/home/deploy/apps/lantern_production/shared/config/unicorn.rb");
    expect(prod.renderedBy?.value).toMatch(/bundle exec unicorn -D -c \/home\/deploy\/apps\/lantern_production\/shared\/config\/unicorn\.rb -E production/);
  });

  it("listens on TCP 8080 where app and web are different machines, else on /tmp/unicorn.<application>_<stage>.sock", () => {
    expect(unicornOf(model, "production").listen.map((l) => [l.kind, l.address])).toEqual([["tcp", 8080]]);
    expect(unicornOf(model, "staging").listen.map((l) => [l.kind, l.address])).toEqual([["unix", "/tmp/unicorn.lantern_staging.sock"]]);
    // the stage's own :unicorn_use_tcp wins over the server count
    return analyze({ "config/deploy/staging.rb": `${APP["config/deploy/staging.rb"]}set :unicorn_use_tcp, true\nset :unicorn_tcp_listen_port, 9000\n` }).then((m) => {
      expect(unicornOf(m, "staging").listen.map((l) => [l.kind, l.address, l.source])).toEqual([["tcp", 9000, { file: "config/deploy/staging.rb", line: 6 }]]);
    });
  });

  it("the repo's config/unicorn.rb is said not to be what ran, and serves no stage", () => {
    const own = model.appServers.find((a) => a.file === "config/unicorn.rb");
    expect(own?.stages ?? []).toEqual([]);
    expect(said(model)).toMatch(/config\/unicorn\.rb:1 config\/unicorn\.rb is not the Unicorn config the servers ran: capistrano-unicorn-nginx \(Capfile:6\)/);
  });

  it("without the gem in Gemfile.lock, or without its require, nothing of it is assumed", async () => {
    const lock = APP["Gemfile.lock"]!.replace(/ {4}capistrano-unicorn-nginx \(4\.1\.0\)\n(?: {6}.*\n)*/, "");
    const unlocked = await analyze({ "Gemfile.lock": lock });
    expect(unlocked.appServers.some((a) => a.file.includes("shared/config/unicorn.rb"))).toBe(false);
    expect(unlocked.stages[0]!.variables["unicorn_workers"]!.defaultOf).toBeUndefined();
    const unrequired = await analyze({ Capfile: APP["Capfile"]!.replace('require "capistrano/unicorn_nginx"', "") });
    expect(unrequired.appServers.some((a) => a.file.includes("shared/config/unicorn.rb"))).toBe(false);
    expect(unrequired.nginx.files).toEqual([]);
  });

  it("an older gem (before 3.3.0) wrote a fixed timeout 30: the stage's :unicorn_worker_timeout is said to be unused", async () => {
    const m = await analyze({ "Gemfile.lock": APP["Gemfile.lock"]!.replace("capistrano-unicorn-nginx (4.1.0)", "capistrano-unicorn-nginx (3.2.0)") });
    expect(unicornOf(m, "production").timeout).toMatchObject({ value: 30, defaultOf: GEM });
    expect(said(m)).toMatch(/config\/deploy\/production\.rb:8 capistrano-unicorn-nginx 3\.2\.0 .* writes a fixed `timeout 30`/);
  });
});

// The repo's copy (`rails g capistrano:unicorn_nginx:config`), in our own words: a branch on the
// TCP choice as the gem's has, a fixed timeout, the gem's path helpers.
const OVERRIDE = [
  'working_directory "<%= current_path %>"',
  'pid "<%= fetch(:unicorn_pid) %>"',
  'stderr_path "<%= unicorn_error_log_file %>"',
  "<% if fetch(:unicorn_use_tcp) %>",
  "listen <%= fetch(:unicorn_tcp_listen_port) %>, tcp_nopush: true",
  "<% else %>",
  'listen "/tmp/unicorn.<%= fetch(:nginx_config_name) %>.sock", backlog: 1024',
  "<% end %>",
  "worker_processes <%= fetch(:unicorn_workers) %>",
  "timeout 75",
  "preload_app true",
  "after_fork do |server, worker|",
  "  ActiveRecord::Base.establish_connection if defined?(ActiveRecord::Base)",
  "end",
  "",
].join("\n");

describe("the gem's template and the repo's copy, read by Unicorn itself", () => {
  const fromAnalyzer = (a: AppServerConfig) => {
    const v = (f: { value: RValue } | null) => (f ? f.value : null);
    return {
      worker_processes: v(a.workers),
      timeout: v(a.timeout),
      listeners: a.listen.map((l) => ({ address: unicornAddress(l.address as string | number).canonical, options: l.options })),
      preload_app: v(a.preloadApp),
      pid: v(a.pid),
      stderr_path: v(a.stderrPath),
      stdout_path: v(a.stdoutPath),
      working_directory: v(a.workingDirectory),
      hooks: a.hooks.map((h) => h.value).sort(),
    };
  };

  it("each stage's rendering of the gem's template: Unicorn reads what the analysis says", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-unicorn-nginx-"));
    const paths = ["production", "staging"].map((n) => {
      const p = join(dir, `${n}.rb`);
      writeFileSync(p, unicornNginxText(stageOf(model, n)));
      return p;
    });
    const oracle = runRubyFile(join(here, "unicorn_oracle.rb"), paths);
    ["production", "staging"].forEach((n, i) => {
      expect(oracle[i].error).toBeUndefined();
      expect([n, fromAnalyzer(unicornOf(model, n))]).toEqual([n, { ...oracle[i], hooks: [...oracle[i].hooks].sort() }]);
    });
  });

  it("the repo's copy under config/deploy/templates is rendered per stage (its branch on :unicorn_use_tcp run) and cited to its lines", async () => {
    const T = "config/deploy/templates/unicorn.rb.erb";
    const m = await analyze({ [T]: OVERRIDE });
    const prod = unicornOf(m, "production");
    const stg = unicornOf(m, "staging");
    expect(prod.file).toBe(T);
    expect(prod.timeout).toEqual({ value: 75, source: { file: T, line: 10 } });
    // a line that only fetches a variable is cited where that variable is set
    expect(prod.workers).toEqual({ value: 3, source: { file: "config/deploy.rb", line: 10 } });
    expect(prod.listen.map((l) => [l.kind, l.address, l.source.line])).toEqual([["tcp", 8080, 5]]);
    expect(stg.listen.map((l) => [l.kind, l.address, l.source.line])).toEqual([["unix", "/tmp/unicorn.lantern_staging.sock", 7]]);
    expect(prod.renderedBy?.value).toMatch(/renders config\/deploy\/templates\/unicorn\.rb\.erb to/);

    // Ruby's ERB renders the same template with the stage's values; Unicorn reads each rendering.
    const dir = mkdtempSync(join(tmpdir(), "r2k-unicorn-nginx-own-"));
    writeFileSync(join(dir, "unicorn.rb.erb"), OVERRIDE);
    const jobs = ["production", "staging"].map((n) => {
      const st = stageOf(m, n);
      const vars: Record<string, RValue> = {};
      for (const k of ["unicorn_pid", "unicorn_tcp_listen_port", "nginx_config_name", "unicorn_workers"]) vars[k] = st.variables[k]!.value;
      vars["unicorn_use_tcp"] = n === "production";
      const deployTo = st.variables["deploy_to"]!.value as string;
      mkdirSync(join(dir, n), { recursive: true });
      return { template: join(dir, "unicorn.rb.erb"), out: join(dir, n, "unicorn.rb"), vars, helpers: { current_path: `${deployTo}/current`, ...unicornNginxHelpers(st) } };
    });
    runRubyFile(join(here, "unicorn_nginx_render.rb"), jobs);
    const oracle = runRubyFile(join(here, "unicorn_oracle.rb"), jobs.map((j) => j.out));
    [prod, stg].forEach((a, i) => {
      expect(oracle[i].error).toBeUndefined();
      expect(fromAnalyzer(a)).toEqual({ ...oracle[i], hooks: [...oracle[i].hooks].sort() });
    });
  });
});
