// The Unicorn config capistrano-nginx-unicorn ran (`require "capistrano-nginx-unicorn"`, a
// Capistrano 2 gem, read in its 0.0.x source, ivalkeen/capistrano-nginx-unicorn; not
// capistrano-unicorn-nginx, see unicorn-nginx.ts). After deploy:setup its unicorn:setup renders
// unicorn.rb.erb with the Capistrano binding (bare variable names) to :unicorn_config
// (<shared_path>/config/unicorn.rb) and installs /etc/init.d/unicorn_<application>, which starts
// `bundle exec unicorn -D -c <unicorn_config> -E production`; deploy:restart runs unicorn:restart.
// Its `template` helper renders <templates_path>/<name> (config/deploy/templates unless set) when
// the repo has that file, else the gem's own. The gem's unicorn.rb.erb writes: working_directory
// current_path; pid :unicorn_pid; stderr/stdout :unicorn_log; listen /tmp/unicorn.<application>.sock;
// worker_processes :unicorn_workers (unset, the gem asks for it at deploy time); a fixed `timeout 30`;
// preload_app true; before_exec, before_fork and after_fork. Defaults are labelled as the gem's.
import type { AnalyzerContext, AppServerConfig, Fact, RValue, Source, Stage } from "../../src/model.js";
import { hasPath, railsEnvOf } from "../../src/model.js";
import { isKnown, rubyToS } from "../ruby/evaluate.js";
import { parseRuby } from "../ruby/prism.js";
import { renderErb } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { parseLockfile } from "../rails/lockfile.js";
import { backToTemplate } from "./rendered-config.js";
import { deployToOf } from "./files.js";
import { readUnicorn } from "./unicorn.js";

export const NGINX_UNICORN = "capistrano-nginx-unicorn";
const PLAIN = /^[\w./-]+$/;

export interface NginxUnicornStack {
  required: Source;
  version: Fact<string>;
}

/** The gem as this repo deployed with it: required by a deploy file and locked in Gemfile.lock (a 0.0.x, Capistrano 2, release); else null. */
export function nginxUnicornStack(ctx: AnalyzerContext, requires: Fact<string>[]): NginxUnicornStack | null {
  const req = requires.find((r) => r.value === NGINX_UNICORN);
  if (!req || !hasPath(ctx.repo, "Gemfile.lock")) return null;
  const r = ctx.repo.read("Gemfile.lock");
  if (!("text" in r)) return null;
  const spec = parseLockfile(r.text).specs.find((s) => s.name === NGINX_UNICORN);
  // 0.1 on is a Capistrano 3 plugin loaded as capistrano/nginx_unicorn: not this file's reading.
  if (!spec || !/^0\.0\./.test(spec.version)) return null;
  return { required: req.source, version: { value: spec.version, source: { file: "Gemfile.lock", line: spec.line } } };
}

const word = (v: RValue | undefined): string | null => (v === undefined || v === null || !isKnown(v) ? null : rubyToS(v));

/** The stage's variables with the gem's `set_default`s added (labelled as the gem's) where the stage sets none. */
export function withNginxUnicornDefaults(stage: Stage, gem: NginxUnicornStack): Stage {
  const d = deployToOf(stage)?.replace(/\/+$/, "");
  const at = d && PLAIN.test(d) ? d : null;
  const defaults: Record<string, RValue> = { templates_path: "config/deploy/templates", nginx_use_ssl: false, nginx_config_path: "/etc/nginx/sites-available" };
  if (at) {
    defaults["unicorn_pid"] = `${at}/current/tmp/pids/unicorn.pid`;
    defaults["unicorn_config"] = `${at}/shared/config/unicorn.rb`;
    defaults["unicorn_log"] = `${at}/shared/log/unicorn.log`;
  }
  const variables = { ...stage.variables };
  for (const [k, value] of Object.entries(defaults)) if (!variables[k]) variables[k] = { value, source: gem.required, defaultOf: NGINX_UNICORN };
  return { ...stage, variables };
}

/** The gem's unicorn.rb.erb as it renders for the stage, in our own words; a value not known is left out. */
export function nginxUnicornText(stage: Stage): string {
  const v = (n: string) => word(stage.variables[n]?.value);
  const path = (n: string) => (v(n) && PLAIN.test(v(n)!) ? v(n) : null);
  const d = deployToOf(stage)?.replace(/\/+$/, "");
  const app = v("application");
  const workers = v("unicorn_workers");
  return [
    d && PLAIN.test(d) ? `working_directory "${d}/current"` : "",
    path("unicorn_pid") ? `pid "${path("unicorn_pid")}"` : "",
    path("unicorn_log") ? `stderr_path "${path("unicorn_log")}"\nstdout_path "${path("unicorn_log")}"` : "",
    app && /^[\w.-]+$/.test(app) ? `listen "/tmp/unicorn.${app}.sock"` : "",
    workers && /^\d+$/.test(workers) ? `worker_processes ${workers}` : "",
    "timeout 30",
    "preload_app true",
    "before_exec { |server| }",
    "before_fork { |server, worker| }",
    "after_fork { |server, worker| }",
  ].join("\n") + "\n";
}

/** The config the servers ran for a stage: the repo's copy of unicorn.rb.erb rendered, else the gem's. */
export function nginxUnicornConfig(ctx: AnalyzerContext, stage0: Stage, gem: NginxUnicornStack): AppServerConfig {
  const stage = withNginxUnicornDefaults(stage0, gem);
  const dir = (word(stage.variables["templates_path"]?.value) ?? "config/deploy/templates").replace(/^\.\//, "").replace(/\/+$/, "");
  const override = hasPath(ctx.repo, `${dir}/unicorn.rb.erb`) ? `${dir}/unicorn.rb.erb` : null;
  const read = override ? ctx.repo.read(override) : null;
  const conf = word(stage.variables["unicorn_config"]?.value) ?? "<shared_path>/config/unicorn.rb";
  const env = railsEnvOf(stage);
  let cfg: AppServerConfig;
  if (override && read && "text" in read) {
    cfg = renderedUnicornTemplate(ctx, stage, override, read.text, conf);
  } else {
    cfg = readUnicorn(parseRuby(`(${NGINX_UNICORN} unicorn.rb.erb)`, nginxUnicornText(stage)), { file: conf, env, stages: [stage.name] }, null, env);
    const dflt = <T>(f: Fact<T> | null): Fact<T> | null => (f ? { value: f.value, source: gem.required, defaultOf: NGINX_UNICORN } : null);
    const own = stage.variables["unicorn_workers"];
    cfg.workers = cfg.workers && own ? { value: cfg.workers.value, source: own.source } : null;
    cfg.timeout = dflt(cfg.timeout);
    cfg.preloadApp = dflt(cfg.preloadApp);
    cfg.pid = stage.variables["unicorn_pid"]?.defaultOf ? dflt(cfg.pid) : cfg.pid && { value: cfg.pid.value, source: stage.variables["unicorn_pid"]!.source };
    cfg.stdoutPath = dflt(cfg.stdoutPath);
    cfg.stderrPath = dflt(cfg.stderrPath);
    cfg.workingDirectory = dflt(cfg.workingDirectory);
    cfg.hooks = cfg.hooks.map((h) => ({ value: h.value, source: gem.required, defaultOf: NGINX_UNICORN }));
    cfg.listen = cfg.listen.map((l) => ({ ...l, source: stage.variables["application"]?.source ?? gem.required }));
  }
  if (!stage.variables["unicorn_workers"])
    ctx.problem({ ...gem.required, message: `${NGINX_UNICORN} ${gem.version.value}: stage ${stage.name} sets no :unicorn_workers, so the gem asked for it ("Number of unicorn workers:") when unicorn:setup ran: the count the servers ran is not known`, severity: "warning" });
  cfg.renderedBy = {
    value: `${NGINX_UNICORN} ${gem.version.value}: after deploy:setup its unicorn:setup renders ${override ?? "the gem's unicorn.rb.erb"} to ${conf}; /etc/init.d/unicorn_<application> runs \`bundle exec unicorn -D -c ${conf} -E production\` in current/, restarted after each deploy`,
    source: gem.required,
  };
  return cfg;
}

/**
 * A repo's copy of a plugin's unicorn.rb.erb, rendered with the stage's variables (bare names as
 * Capistrano 2's binding has them, or `fetch(:name)`) and read as Unicorn reads it. A line that only
 * writes a variable (`worker_processes <%= fetch(:unicorn_workers) %>`) is cited where the stage sets
 * the variable, or as the plugin's default.
 */
export function renderedUnicornTemplate(ctx: AnalyzerContext, stage: Stage, template: string, text: string, conf: string): AppServerConfig {
  const env = railsEnvOf(stage);
  const out = renderErb(template, text, stageScope(stage), ctx.problem, { branches: true });
  for (const l of out.logic)
    ctx.problem({ file: template, line: l.line, message: `Unicorn config template: Ruby code tag (<% %>) not run for stage ${stage.name} (its condition or code is not known statically); every branch under it is read as if rendered`, severity: "warning" });
  const cfg = readUnicorn(parseRuby(template, out.output), { file: template, env, stages: [stage.name] }, conf, env);
  backToTemplate(cfg, out.refs, out.lines, template);
  const lines = text.split(/\r?\n/);
  const fetched = (f: Fact<RValue> | null): Fact<RValue> | null => {
    if (!f) return f;
    const m = /^\s*\w+\s+<%=\s*(?:fetch\(\s*:)?(\w+)\)?\s*%>\s*$/.exec(lines[f.source.line - 1] ?? "");
    const v = m ? stage.variables[m[1]!] : undefined;
    if (!v) return f;
    return v.defaultOf ? { value: f.value, source: v.source, defaultOf: v.defaultOf } : { value: f.value, source: v.source };
  };
  cfg.workers = fetched(cfg.workers);
  cfg.timeout = fetched(cfg.timeout);
  return cfg;
}

/**
 * The gem's rendered configs, one per group of stages that render the same; the repo's own Unicorn
 * files lose those stages, with a warning (the servers read the rendered one).
 */
export function nginxUnicornConfigs(ctx: AnalyzerContext, stages: Stage[], gem: NginxUnicornStack, out: AppServerConfig[]): AppServerConfig[] {
  const own: AppServerConfig[] = [];
  const key = (c: AppServerConfig) => JSON.stringify({ ...c, stages: [], env: null });
  for (const stage of stages) {
    const cfg = nginxUnicornConfig(ctx, stage, gem);
    const same = own.find((o) => key(o) === key(cfg) && o.env === cfg.env);
    if (same) same.stages.push(stage.name);
    else own.push(cfg);
  }
  for (const o of out) {
    if (o.kind !== "unicorn" || !o.stages.length && own.length === 0) continue;
    ctx.problem({ file: o.file, line: 1, message: `${o.file} is not the Unicorn config the servers ran: ${NGINX_UNICORN} (${gem.required.file}:${gem.required.line}) renders its unicorn.rb.erb to shared/config/unicorn.rb and starts unicorn with -c that file; its settings are read from that template`, severity: "warning" });
    o.stages = [];
  }
  return own;
}
