#!/usr/bin/env node
// `npm run bench`: times `analyze` and `migrate --dry-run` as whole processes, median wall time and
// peak RSS, on (a) the fixture apps and (b) a generated large monolith (50,000 files in the tree,
// 30 Capistrano stages, 500 Global files, an nginx config with 300 locations); and, in the same
// run, Capistrano's own evaluation of one stage of that monolith (`cap <stage> doctor:variables`),
// with the ratio; and the scale inputs: 10,000 small stage files, three 2 MB Global files, and one
// stage file past the limit. Measures; asserts nothing (the targets are printed beside the figures).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync, rmSync, readdirSync, existsSync, cpSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin/rails2k8s.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SCALE_RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3);

/** Runs a command RUNS times; returns the median wall time in ms and the exit status. */
function measure(cmd, args, opts = {}) {
  const walls = [];
  let status = 0;
  for (let i = 0; i < (opts.runs ?? RUNS); i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd, input: "", env: { ...process.env, ...opts.env }, maxBuffer: 256 * 1024 * 1024 });
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
    status = r.status ?? 1;
    if (status !== 0 && !opts.allowFail) {
      process.stderr.write(r.stdout.slice(-2000) + r.stderr.slice(-2000));
      throw new Error(`${cmd} ${args.join(" ")} exited ${status}`);
    }
  }
  walls.sort((a, b) => a - b);
  return { ms: walls[Math.floor(walls.length / 2)], rssMb: 0, status };
}

/** Peak RSS through GNU time when available (more exact than sampling). */
function peakRss(cmd, args, opts = {}) {
  if (!existsSync("/usr/bin/time")) return null;
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], { encoding: "utf8", cwd: opts.cwd, input: "", env: { ...process.env, ...opts.env } });
  const m = /(\d+)\s*$/.exec(r.stderr.trim());
  return m ? Number(m[1]) / 1024 : null;
}

function rssOf(cmd, args, opts) {
  const viaTime = peakRss(cmd, args, opts);
  if (viaTime !== null) return viaTime;
  // Fallback: sample /proc/<pid>/status VmHWM of the child while it runs.
  const r = spawnSync("bash", ["-c", `"$@" >/dev/null 2>&1 & pid=$!; hwm=0; while kill -0 $pid 2>/dev/null; do v=$(awk '/VmHWM/{print $2}' /proc/$pid/status 2>/dev/null); [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v; sleep 0.005; done; echo $hwm`, "_", cmd, ...args], { encoding: "utf8", cwd: opts?.cwd, env: { ...process.env, ...opts?.env } });
  return Number(r.stdout.trim()) / 1024;
}

// --- the generated monolith -----------------------------------------------------------------

function generateMonolith(dir) {
  rmSync(dir, { recursive: true, force: true });
  const w = (p, text) => {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  };
  let files = 0;
  const count = () => files++;
  w("Gemfile", 'source "https://rubygems.org"\ngem "rails", "~> 6.1.7"\ngem "unicorn"\ngem "global"\n'), count();
  w("Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (6.1.7.10)\n    unicorn (6.1.0)\n    global (3.1.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails (~> 6.1.7)\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n"), count();
  w(".ruby-version", "3.1.4\n"), count();
  w("config/application.rb", 'require_relative "boot"\nrequire "rails/all"\nmodule Monolith\n  class Application < Rails::Application\n  end\nend\n'), count();
  w("Capfile", 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n'), count();
  w("config/deploy.rb", [
    'set :application, "monolith"',
    'set :repo_url, "git@example.com:acme/monolith.git"',
    'set :deploy_to, -> { "/var/www/#{fetch(:application)}" }',
    'set :linked_files, fetch(:linked_files, []).push("config/database.yml", "config/master.key")',
    'set :linked_dirs, fetch(:linked_dirs, []).push("log", "tmp/pids", "tmp/cache", "public/system")',
    'set :keep_releases, 5',
    'set :unicorn_config_path, -> { "#{current_path}/config/unicorn/#{fetch(:rails_env)}.rb" }',
  ].join("\n") + "\n"), count();
  for (let s = 0; s < 30; s++) {
    const name = `stage${String(s).padStart(2, "0")}`;
    const lines = [`set :rails_env, "${s === 0 ? "production" : "staging"}"`, `set :branch, ENV.fetch("BRANCH", "release-${s}")`, `set :server_name, "${name}.monolith.example.com"`];
    for (let h = 0; h < 4; h++) lines.push(`server "web${h}.${name}.example.com", user: "deploy", roles: %w[web app]`);
    lines.push(`server "db.${name}.example.com", user: "deploy", roles: %w[app db], primary: true`);
    w(`config/deploy/${name}.rb`, lines.join("\n") + "\n"), count();
  }
  w("config/unicorn/production.rb", 'worker_processes Integer(ENV["WEB_CONCURRENCY"] || 8)\ntimeout 30\npreload_app true\nlisten "/var/www/monolith/shared/tmp/sockets/unicorn.sock", backlog: 64\n'), count();
  w("config/unicorn/staging.rb", 'worker_processes 2\ntimeout 30\nlisten 8080\n'), count();
  // 500 Global files: 50 directories of 10 namespaces.
  for (let d = 0; d < 50; d++) {
    for (let f = 0; f < 10; f++) {
      w(`config/global/group${d}/ns${f}.yml`, `default:\n  enabled: true\n  url: "https://svc${d}-${f}.example.com"\n  timeout: 5\n  retries: &r 3\n  nested:\n    a: 1\n    b: *r\nproduction:\n  timeout: 10\n  api_token: <%= ENV["SVC_${d}_${f}_TOKEN"] %>\nstaging:\n  url: "https://svc${d}-${f}.staging.example.com"\n`), count();
    }
  }
  // nginx with 300 locations.
  const locs = [];
  for (let i = 0; i < 300; i++) locs.push(`    location ${i % 3 === 0 ? "^~ " : ""}/section${i}/ {\n      proxy_pass http://app;\n      proxy_read_timeout ${30 + (i % 5)};\n    }`);
  w("config/nginx.conf", `upstream app {\n  server unix:/var/www/monolith/shared/tmp/sockets/unicorn.sock fail_timeout=0;\n}\nserver {\n  listen 80;\n  server_name monolith.example.com;\n  client_max_body_size 50m;\n  root /var/www/monolith/current/public;\n${locs.join("\n")}\n}\n`), count();
  // App code and the trees no analyzer wants, up to 50,000 files.
  const fill = (prefix, n, body) => {
    for (let i = 0; i < n; i++) w(`${prefix}/d${Math.floor(i / 200)}/f${i}.rb`, body(i)), count();
  };
  fill("app/models", 4000, (i) => `class Model${i} < ApplicationRecord\n  def value = Global.group${i % 50}.ns${i % 10}.url\nend\n`);
  fill("lib/legacy", 2000, (i) => `module Legacy${i}; end\n`);
  const left = 50_000 - files;
  const nm = Math.floor(left * 0.7);
  for (let i = 0; i < nm; i++) w(`node_modules/pkg${Math.floor(i / 100)}/lib/f${i}.js`, "module.exports = 1;\n"), count();
  const rest = 50_000 - files;
  for (let i = 0; i < rest; i++) w(`vendor/bundle/ruby/3.1.0/gems/g${Math.floor(i / 100)}/lib/f${i}.rb`, "# vendored\n"), count();
  return files;
}

// --- scale inputs ----------------------------------------------------------------------------

/** The files every generated app shares: a Rails 6.1 app deployed with Capistrano, using Global. */
function writeBaseApp(dir, name) {
  rmSync(dir, { recursive: true, force: true });
  const w = (p, text) => {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  };
  w("Gemfile", 'source "https://rubygems.org"\ngem "rails", "~> 6.1.7"\ngem "unicorn"\ngem "global"\n');
  w("Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (6.1.7.10)\n    unicorn (6.1.0)\n    global (3.1.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails (~> 6.1.7)\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n");
  w(".ruby-version", "3.1.4\n");
  w("config/application.rb", `require_relative "boot"\nrequire "rails/all"\nmodule ${name}\n  class Application < Rails::Application\n  end\nend\n`);
  w("Capfile", 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n');
  w("config/deploy.rb", [
    `set :application, "${name.toLowerCase()}"`,
    `set :repo_url, "git@example.com:acme/${name.toLowerCase()}.git"`,
    'set :deploy_to, -> { "/var/www/#{fetch(:application)}" }',
    'set :linked_dirs, fetch(:linked_dirs, []).push("log", "tmp/pids")',
  ].join("\n") + "\n");
  w("config/unicorn/production.rb", "worker_processes 4\ntimeout 30\nlisten 8080\n");
  return w;
}

/** n small stage files: one or two servers, a branch, a rails_env, as a fleet of per-customer stages would have. */
function generateStages(dir, n) {
  const w = writeBaseApp(dir, "Fleet");
  for (let s = 0; s < n; s++) {
    const name = `c${String(s).padStart(6, "0")}`;
    const lines = [`server "app1.${name}.example.com", user: "deploy", roles: %w[web app db], primary: true`];
    if (s % 3 === 0) lines.push(`server "app2.${name}.example.com", user: "deploy", roles: %w[web app]`);
    lines.push(`set :branch, "${s % 10 === 0 ? "main" : `release-${s % 50}`}"`, `set :rails_env, "${s % 4 === 0 ? "staging" : "production"}"`);
    w(`config/deploy/${name}.rb`, lines.join("\n") + "\n");
  }
  return n;
}

/** One nginx template whose single `server_name` line lists n hosts (about 1 MB at 60,000): was quadratic in n. */
function generateServerNames(dir, n) {
  const w = writeBaseApp(dir, "Hosts");
  w("config/deploy/production.rb", 'server "web1.hosts.example.com", user: "deploy", roles: %w[web app db], primary: true\nset :rails_env, "production"\n');
  const names = Array.from({ length: n }, (_, i) => `h${i}.example.com`).join(" ");
  w("config/deploy/templates/nginx.conf.erb", `upstream app {\n  server 127.0.0.1:8080;\n}\nserver {\n  listen 80;\n  server_name ${names};\n  location / {\n    proxy_pass http://app;\n  }\n}\n`);
}

/**
 * Three Global files of about 2 MB each (under the 2 MiB a file may have): a default section of many nested service blocks (with
 * an anchor reused, ERB ENV reads every few blocks), a production section overriding part of them.
 */
function generateBigGlobal(dir, bytes = 1_990_000) {
  const w = writeBaseApp(dir, "Heavy");
  w("config/deploy/production.rb", 'server "web1.heavy.example.com", user: "deploy", roles: %w[web app db], primary: true\nset :branch, "main"\nset :rails_env, "production"\n');
  w("config/initializers/global.rb", 'Global.configure do |config|\n  config.environment = Rails.env.to_s\n  config.config_directory = Rails.root.join("config/global").to_s\nend\n');
  const sizes = [];
  for (const ns of ["services", "integrations", "tenants"]) {
    const def = ["# Settings for every environment; production overrides below.", "default:", "  limits: &limits", "    requests: 100", "    burst: 20"];
    const prod = ["production:"];
    let size = 0;
    for (let i = 0; size < bytes; i++) {
      const k = `${ns.slice(0, 3)}_${String(i).padStart(5, "0")}`;
      const block = [
        `  ${k}:`,
        `    enabled: ${i % 7 !== 0}`,
        `    url: "https://${k.replace("_", "-")}.internal.example.com/api/v${1 + (i % 3)}"`,
        `    timeout: ${5 + (i % 10)}`,
        `    retries: ${i % 4}`,
        `    pool:`,
        `      size: ${2 + (i % 8)}`,
        `      idle_seconds: ${30 * (1 + (i % 4))}`,
        `    tags:`,
        `      - ${ns}`,
        `      - tier${i % 3}`,
        `    limits: *limits`,
      ];
      if (i % 5 === 0) block.push(`    api_key: <%= ENV["${k.toUpperCase()}_API_KEY"] %>`);
      if (i % 11 === 0) block.push(`    region: <%= ENV.fetch("${k.toUpperCase()}_REGION", "ap-northeast-1") %>`);
      def.push(...block);
      size += block.join("\n").length + 1;
      if (i % 2 === 0) {
        const over = [`  ${k}:`, `    url: "https://${k.replace("_", "-")}.example.com/api"`, `    timeout: ${15 + (i % 10)}`];
        if (i % 6 === 0) over.push(`    pool:`, `      size: ${10 + (i % 8)}`);
        prod.push(...over);
        size += over.join("\n").length + 1;
      }
    }
    const text = def.join("\n") + "\n\n" + prod.join("\n") + "\n";
    w(`config/global/${ns}.yml`, text);
    sizes.push(text.length);
  }
  return sizes;
}

// `node scripts/bench.mjs --generate stages <n> <dir>` or `--generate global <dir>`: only writes the
// input, to profile a run by hand (`node --cpu-prof bin/rails2k8s.js analyze <dir>`).
if (process.argv[2] === "--generate") {
  const [kind, a, b] = process.argv.slice(3);
  if (kind === "stages") console.log(`${generateStages(b, Number(a))} stage files in ${b}`);
  else if (kind === "global") console.log(`Global files of ${generateBigGlobal(a).join(", ")} bytes in ${a}`);
  else throw new Error("--generate stages <n> <dir> | --generate global <dir>");
  process.exit(0);
}

// --- run -----------------------------------------------------------------------------------------

const rows = [];
const row = (what, r) => rows.push({ what, ms: r.ms.toFixed(0), rss: r.rssMb ? r.rssMb.toFixed(0) : "-" });

const printRows = () => {
  const w1 = Math.max(...rows.map((r) => r.what.length));
  console.log(`${"command".padEnd(w1)}  median ms  peak RSS MB   (${RUNS} runs, scale rows ${SCALE_RUNS}, ${process.arch}, node ${process.version})`);
  for (const r of rows) console.log(`${r.what.padEnd(w1)}  ${r.ms.padStart(9)}  ${r.rss.padStart(11)}`);
};

// Scale: 10,000 stage files (analyze), three 2 MB Global files (migrate --dry-run). Fewer runs: each
// takes seconds. BENCH_SCALE=0 leaves them out; BENCH_ONLY=scale runs only them.
const scaleRows = [];
if (process.env.BENCH_SCALE !== "0") {
  const timeScale = (what, args, target) => {
    const r = measure("node", [BIN, ...args], { allowFail: true, runs: SCALE_RUNS });
    r.rssMb = rssOf("node", [BIN, ...args]);
    row(`${what}${r.status ? ` (exit ${r.status})` : ""}`, r);
    scaleRows.push(`${what}: ${r.ms.toFixed(0)} ms, ${r.rssMb?.toFixed(0) ?? "-"} MB (target ${target})`);
  };
  const fleet = join(tmpdir(), "r2k-bench-stages");
  generateStages(fleet, 10_000);
  timeScale("analyze 10,000 stage files", ["analyze", fleet], "< 3000 ms, < 400 MB");
  const heavy = join(tmpdir(), "r2k-bench-global-2mb");
  generateBigGlobal(heavy);
  timeScale("migrate --dry-run three 2 MB Global files", ["migrate", heavy, "--yes", "--dry-run"], "< 5000 ms");
  // One server_name line of 60,000 hosts: linear now, printed for the record (no target of the issue).
  const hosts = join(tmpdir(), "r2k-bench-server-names");
  generateServerNames(hosts, 60_000);
  timeScale("analyze one server_name of 60,000 hosts", ["analyze", hosts], "linear: was 77 s");
  // Past the limit: refused at once with exit 2 (not run out of memory).
  const over = join(tmpdir(), "r2k-bench-stages-over");
  generateStages(over, 10_001);
  timeScale("analyze 10,001 stage files (over the limit)", ["analyze", over], "exit 2");
  for (const d of [fleet, heavy, hosts, over]) rmSync(d, { recursive: true, force: true });
}

// BENCH_ONLY=scale: the scale rows alone.
if (process.env.BENCH_ONLY === "scale") {
  printRows();
  for (const l of scaleRows) console.log(l);
  process.exit(0);
}

const apps = readdirSync(join(ROOT, "fixtures/apps")).sort();
for (const app of apps) {
  const dir = join(ROOT, "fixtures/apps", app);
  const a = measure("node", [BIN, "analyze", dir, "--json"]);
  a.rssMb = rssOf("node", [BIN, "analyze", dir, "--json"]);
  row(`analyze ${app}`, a);
  const copy = join(tmpdir(), `r2k-bench-${app}`);
  rmSync(copy, { recursive: true, force: true });
  cpSync(dir, copy, { recursive: true });
  const m = measure("node", [BIN, "migrate", copy, "--yes", "--dry-run"], { allowFail: true });
  m.rssMb = rssOf("node", [BIN, "migrate", copy, "--yes", "--dry-run"]);
  row(`migrate --dry-run ${app}${m.status ? ` (exit ${m.status})` : ""}`, m);
}

const mono = join(tmpdir(), "r2k-bench-monolith");
const t0 = Date.now();
const n = generateMonolith(mono);
console.error(`generated monolith: ${n} files in ${Date.now() - t0} ms at ${mono}`);
const a = measure("node", [BIN, "analyze", mono, "--json"]);
a.rssMb = rssOf("node", [BIN, "analyze", mono, "--json"]);
row("analyze monolith (30 stages)", a);
// The same app without the trees no analyzer reads: the time should barely move.
const lean = join(tmpdir(), "r2k-bench-monolith-lean");
rmSync(lean, { recursive: true, force: true });
cpSync(mono, lean, { recursive: true, filter: (src) => !/\/(node_modules|vendor)(\/|$)/.test(src.slice(mono.length)) });
const l = measure("node", [BIN, "analyze", lean, "--json"]);
l.rssMb = rssOf("node", [BIN, "analyze", lean, "--json"]);
row("analyze monolith without node_modules, vendor", l);
const m = measure("node", [BIN, "migrate", mono, "--yes", "--dry-run"], { allowFail: true });
m.rssMb = rssOf("node", [BIN, "migrate", mono, "--yes", "--dry-run"]);
row(`migrate --dry-run monolith${m.status ? ` (exit ${m.status})` : ""}`, m);

let ratio = "-";
const cap = spawnSync("cap", ["--version"], { encoding: "utf8" });
if (cap.status === 0) {
  const c = measure("cap", ["stage00", "doctor:variables"], { cwd: mono, allowFail: true });
  c.rssMb = rssOf("cap", ["stage00", "doctor:variables"], { cwd: mono });
  row(`cap stage00 doctor:variables (1 stage)${c.status ? ` (exit ${c.status})` : ""}`, c);
  ratio = (a.ms / c.ms).toFixed(2);
}

printRows();
console.log(`\nanalyze of all 30 stages / Capistrano loading one stage: ${ratio} (target ≤ 1)`);
console.log("targets: analyze monolith < 400 ms wall and < 150 MB RSS");
for (const l of scaleRows) console.log(l);

// Where the time goes: one run of analyze on the monolith with the analyzers' own timers.
const timed = spawnSync("node", [BIN, "analyze", mono, "--json"], { encoding: "utf8", env: { ...process.env, RAILS2K8S_TIMING: "1" }, maxBuffer: 256 * 1024 * 1024 });
const t1 = process.hrtime.bigint();
spawnSync("node", ["-e", "0"]);
const nodeStart = Number(process.hrtime.bigint() - t1) / 1e6;
console.log(`\nanalyze monolith, by analyzer (one run; node itself starts in ${nodeStart.toFixed(0)} ms):`);
for (const line of timed.stderr.split("\n").filter((x) => x.startsWith("timing: "))) console.log(`  ${line.slice(8)}`);
