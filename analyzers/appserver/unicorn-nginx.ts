// The Unicorn config capistrano-unicorn-nginx ran (`require "capistrano/unicorn_nginx"`, read in
// the gem's 3.x to 5.x source, capistrano-plugins/capistrano-unicorn-nginx). Its `setup` task
// uploads its unicorn.rb.erb, rendered with the stage's variables, to :unicorn_config
// (<shared_path>/config/unicorn.rb), and installs an init script /etc/init.d/<unicorn_service>
// that starts `bundle exec unicorn -D -c <unicorn_config> -E <unicorn_app_env>` in current/; every
// deploy runs unicorn:restart after deploy:publishing. A repo config/unicorn.rb is therefore not
// what ran. Its `template` helper renders <templates_path>/<name> (config/deploy/templates/ unless
// set; `rails g capistrano:unicorn_nginx:config` copies the gem's there) in place of its own.
// The gem's template writes, in every release read (1.0 to 5.2): working_directory current_path;
// pid :unicorn_pid; stdout/stderr to shared/log/unicorn.std{out,err}.log; one `listen`: the TCP
// port :unicorn_tcp_listen_port when :unicorn_use_tcp (default: more than one server has the app
// or web role), else /tmp/unicorn.<nginx_config_name>.sock; worker_processes :unicorn_workers;
// timeout :unicorn_worker_timeout (a fixed 30 before 3.3.0); preload_app true; hooks before_exec,
// before_fork and after_fork. Here that is written as our own Unicorn text per stage and read as
// Unicorn reads it; each value is cited where the stage sets it, or labelled as the gem's default.
import type { AnalyzerContext, AppServerConfig, Fact, RValue, Source, Stage } from "../../src/model.js";
import { hasPath, railsEnvOf } from "../../src/model.js";
import { isCapfileName } from "../capistrano/capfile.js";
import { isKnown, rubyToS, truthy, type Scope } from "../ruby/evaluate.js";
import { argsOf, kind, parseRuby } from "../ruby/prism.js";
import { renderErb } from "../ruby/erb.js";
import { backToTemplate } from "./rendered-config.js";
import { stageScope } from "../ruby/stage-scope.js";
import { parseLockfile } from "../rails/lockfile.js";
import { deployToOf } from "./files.js";
import { readUnicorn } from "./unicorn.js";
import { readUnicornInit, type UnicornInitScript } from "./unicorn-nginx-init.js";

export const UNICORN_NGINX = "capistrano-unicorn-nginx";
export const UNICORN_NGINX_REQUIRE = "capistrano/unicorn_nginx";
const PLAIN_PATH = /^\/[\w./-]+$/;
const PLAIN_WORD = /^[\w.-]+$/;

export interface UnicornNginxStack {
  /** The Capfile line that loads the gem: where its fixed values and defaults are cited. */
  required: Source;
  version: Fact<string>;
}

/** The gem as this repo deployed with it: required by the Capfile and locked in Gemfile.lock; else null. */
export function unicornNginxStack(ctx: AnalyzerContext, requires: Fact<string>[]): UnicornNginxStack | null {
  // Capistrano 3 runs a plugin's load:defaults only when the Capfile requires it (cap3.plugin-after-defaults).
  const req = requires.find((r) => r.value === UNICORN_NGINX_REQUIRE && isCapfileName(r.source.file));
  if (!req || !hasPath(ctx.repo, "Gemfile.lock")) return null;
  const r = ctx.repo.read("Gemfile.lock");
  if (!("text" in r)) return null;
  const spec = parseLockfile(r.text).specs.find((s) => s.name === UNICORN_NGINX);
  return spec ? { required: req.source, version: { value: spec.version, source: { file: "Gemfile.lock", line: spec.line } } } : null;
}

const word = (v: RValue | undefined): string | null => (v === undefined || v === null || !isKnown(v) ? null : rubyToS(v));

/** The repo's copy of one of the gem's templates, which its `template` helper renders instead (<templates_path>/<name>). */
export function unicornNginxOverride(ctx: AnalyzerContext, stage: Stage, name: string): string | null {
  const dir = word(stage.variables["templates_path"]?.value) ?? "config/deploy/templates";
  const path = `${dir.replace(/^\.\//, "").replace(/\/+$/, "")}/${name}`;
  return hasPath(ctx.repo, path) ? path : null;
}

/**
 * :unicorn_use_tcp for a stage: the stage's own value, else the gem's `roles(:app, :web).count > 1`
 * (Unicorn on TCP, nginx proxying to each app server). Null when not known.
 */
export function unicornUsesTcp(stage: Stage): { value: boolean; source: Source; said: string } | null {
  const own = stage.variables["unicorn_use_tcp"];
  if (own && !own.defaultOf) {
    if (!isKnown(own.value)) return null;
    return { value: truthy(own.value) === true, source: own.source, said: `:unicorn_use_tcp (${own.source.file}:${own.source.line})` };
  }
  if (stage.unread?.some((u) => u.what === "servers")) return null;
  const count = stage.servers.filter((s) => s.roles.includes("app") || s.roles.includes("web")).length;
  const at = stage.servers[0]?.source ?? stage.source;
  return { value: count > 1, source: at, said: `${count} server${count === 1 ? "" : "s"} with the app or web role (the gem uses TCP when more than one)` };
}

/** `<deploy_to>/<tail>` when deploy_to is a plain path, else null. */
function under(stage: Stage, tail: string): string | null {
  const d = deployToOf(stage)?.replace(/\/+$/, "");
  return d && PLAIN_PATH.test(d) ? `${d}/${tail}` : null;
}

/** The socket or port Unicorn listens on, as the gem's template writes it for the stage; null when not known. */
export function unicornNginxListen(stage: Stage): { tcp: false; socket: string; name: string } | { tcp: true; port: number } | null {
  const tcp = unicornUsesTcp(stage);
  if (!tcp) return null;
  if (tcp.value) {
    const p = word(stage.variables["unicorn_tcp_listen_port"]?.value);
    return p && /^\d{1,5}$/.test(p) ? { tcp: true, port: Number(p) } : null;
  }
  const name = word(stage.variables["nginx_config_name"]?.value);
  return name && PLAIN_WORD.test(name) ? { tcp: false, socket: `/tmp/unicorn.${name}.sock`, name } : null;
}

/**
 * The gem's unicorn.rb.erb as it renders for the stage, in our own words, one setting a line. A
 * value not known statically is left out (the fact is then the stage's variable itself, see
 * gemTemplateConfig).
 */
export function unicornNginxText(stage: Stage): string {
  const v = (n: string) => stage.variables[n]?.value;
  const int = (n: string) => {
    const s = word(v(n));
    return s && /^\d+$/.test(s) ? s : null;
  };
  const current = under(stage, "current");
  const pid = word(v("unicorn_pid"));
  const listen = unicornNginxListen(stage);
  const lines = [
    current ? `working_directory "${current}"` : "",
    pid && PLAIN_PATH.test(pid) ? `pid "${pid}"` : "",
    under(stage, "shared") ? `stdout_path "${under(stage, "shared/log/unicorn.stdout.log")}"` : "",
    under(stage, "shared") ? `stderr_path "${under(stage, "shared/log/unicorn.stderr.log")}"` : "",
    listen ? (listen.tcp ? `listen ${listen.port}` : `listen "${listen.socket}"`) : "",
    int("unicorn_workers") ? `worker_processes ${int("unicorn_workers")}` : "",
    int("unicorn_worker_timeout") ? `timeout ${int("unicorn_worker_timeout")}` : "",
    "preload_app true",
    "before_exec { |server| }",
    "before_fork { |server, worker| }",
    "after_fork { |server, worker| }",
  ];
  return lines.join("\n") + "\n";
}

/** The config the servers ran for a stage: the repo's copy of the template rendered, else the gem's. */
export function unicornNginxConfig(ctx: AnalyzerContext, stage: Stage, gem: UnicornNginxStack): AppServerConfig {
  const shared = under(stage, "shared/config/unicorn.rb") ?? "<shared_path>/config/unicorn.rb";
  const conf = stage.variables["unicorn_config"];
  const confPath = conf ? word(conf.value) : null;
  const startedWith = confPath ?? shared;
  if (conf && !conf.defaultOf)
    ctx.problem({ ...conf.source, message: `${UNICORN_NGINX}: stage ${stage.name} sets :unicorn_config to ${confPath ?? "a value not known statically"}; the gem's setup uploads its rendered unicorn.rb.erb there and its init script starts unicorn with -c that path: the settings shown are that rendering`, severity: "warning" });
  const override = unicornNginxOverride(ctx, stage, "unicorn.rb.erb");
  const read = override ? ctx.repo.read(override) : null;
  const init = initScriptOf(ctx, stage, confPath ?? under(stage, "shared/config/unicorn.rb"));
  const repoConfig = init ? startedRepoConfig(ctx, stage, init, startedWith) : null;
  const cfg = repoConfig ?? (override && read && "text" in read ? renderedOverride(ctx, override, read.text, stage) : gemTemplateConfig(ctx, stage, gem, startedWith));
  const env = init?.env?.value ?? word(stage.variables["unicorn_app_env"]?.value);
  if (init?.env?.value) cfg.env = init.env.value;
  const service = `/etc/init.d/${word(stage.variables["unicorn_service"]?.value) ?? "<unicorn_service>"}`;
  const started = `\`bundle exec unicorn -D -c ${repoConfig ? `${init!.config!.value}` : startedWith} -E ${env ?? "<unicorn_app_env>"}\``;
  cfg.renderedBy = init
    ? {
        value: `${UNICORN_NGINX} ${gem.version.value}: its setup task renders ${repoConfig ? `nothing this config reads (the init script starts ${repoConfig.file} from the release)` : `${override ?? "the gem's unicorn.rb.erb"} to ${startedWith}`}; the repo's ${init.file}, rendered to ${service}, runs ${started} in current/${init.user?.value ? ` as ${init.user.value}` : ""}, restarted after each deploy`,
        source: init.command ?? { file: init.file, line: 1 },
      }
    : {
        value: `${UNICORN_NGINX} ${gem.version.value}: its setup task renders ${override ?? "the gem's unicorn.rb.erb"} to ${startedWith}; its init script (${service}) runs ${started} in current/, restarted after each deploy`,
        source: gem.required,
      };
  return cfg;
}

/** The repo's unicorn_init.erb rendered for the stage, with what it says that differs from the gem's said once per stage. */
function initScriptOf(ctx: AnalyzerContext, stage: Stage, configPath: string | null): UnicornInitScript | null {
  const file = unicornNginxOverride(ctx, stage, "unicorn_init.erb");
  const read = file ? ctx.repo.read(file) : null;
  if (!file || !read || !("text" in read)) return null;
  const init = readUnicornInit(ctx, file, read.text, stage, configPath);
  const say = (at: Source, message: string) => ctx.problem({ ...at, message: `${UNICORN_NGINX} init script (${file}), stage ${stage.name}: ${message}`, severity: "warning" });
  if (!init.command) say({ file, line: 1 }, "no line of it starts unicorn: how Unicorn was started is not known, and the settings shown are the rendered unicorn.rb.erb's");
  if (init.config && init.config.value === null) say(init.config.source, "the config it starts Unicorn with (-c) is not known statically: the settings shown are the rendered unicorn.rb.erb's, which it may not read");
  if (init.env) {
    const own = railsEnvOf(stage);
    if (init.env.value === null) say(init.env.source, `the environment it starts Unicorn in (-E) is not known statically; the stage's rails_env is ${own}`);
    else if (init.env.value !== own) say(init.env.source, `Unicorn ran with -E ${init.env.value} (RACK_ENV, and RAILS_ENV where the server set none), not the stage's rails_env ${own}: the container runs ${own}; check which the app needs`);
  }
  if (init.user && init.user.value === null) say(init.user.source, "the account it runs Unicorn as (AS_USER) is not known statically (the gem's default is the deploy user, `id -un` on the server)");
  else if (init.user?.value === "root") say(init.user.source, "Unicorn ran as root; the container runs as the image's unprivileged user");
  return init;
}

/**
 * The config the init script starts when it is not :unicorn_config's rendering: a file of the
 * release (`<deploy_to>/current/<path>`) read from the repo as Unicorn reads it; else null (said).
 */
function startedRepoConfig(ctx: AnalyzerContext, stage: Stage, init: UnicornInitScript, rendered: string): AppServerConfig | null {
  const c = init.config?.value;
  if (!c || c === rendered) return null;
  const current = under(stage, "current");
  const rel = current && c.startsWith(`${current}/`) ? c.slice(current.length + 1) : !c.startsWith("/") ? c.replace(/^\.\//, "") : null;
  const read = rel && hasPath(ctx.repo, rel) ? ctx.repo.read(rel) : null;
  if (!rel || !read || !("text" in read)) {
    ctx.problem({ ...init.config!.source, message: `${UNICORN_NGINX} init script (${init.file}), stage ${stage.name}: it starts Unicorn with -c ${c}, not the ${rendered} the gem's setup writes, and no repo file is that path: the settings shown are the rendered unicorn.rb.erb's, which Unicorn did not read`, severity: "warning" });
    return null;
  }
  const env = init.env?.value ?? railsEnvOf(stage);
  const cfg = readUnicorn(parseRuby(rel, read.text), { file: rel, env, stages: [stage.name] }, c, env, init.env?.value ?? null);
  cfg.env = env;
  return cfg;
}

function gemTemplateConfig(ctx: AnalyzerContext, stage: Stage, gem: UnicornNginxStack, file: string): AppServerConfig {
  const text = unicornNginxText(stage);
  const cfg = readUnicorn(parseRuby("(capistrano-unicorn-nginx unicorn.rb.erb)", text), { file, env: railsEnvOf(stage), stages: [stage.name] }, null, railsEnvOf(stage));
  const vars = stage.variables;
  const dflt = <T>(value: T): Fact<T> => ({ value, source: gem.required, defaultOf: UNICORN_NGINX });
  // A value the template takes from a variable: cited where the stage sets it, or the gem's default.
  const from = (name: string, read: Fact<RValue> | null): Fact<RValue> | null => {
    const v = vars[name];
    if (!v) return read ? dflt(read.value) : null;
    // the variable's own value: the text leaves out one not known statically (and Unicorn's 60 is not the gem's)
    const value = v.value;
    return v.defaultOf ? { value, source: gem.required, defaultOf: UNICORN_NGINX } : { value, source: v.source };
  };
  cfg.workers = from("unicorn_workers", cfg.workers);
  const timeoutVar = vars["unicorn_worker_timeout"];
  if (timeoutVar && !timeoutVar.defaultOf && olderThan(gem.version.value, [3, 3]))
    ctx.problem({ ...timeoutVar.source, message: `${UNICORN_NGINX} ${gem.version.value} (${gem.version.source.file}:${gem.version.source.line}) writes a fixed \`timeout 30\`: :unicorn_worker_timeout is read from 3.3.0 on, so the servers ran with 30`, severity: "warning" });
  // No variable at all: the gem's own default (30), never Unicorn's 60.
  cfg.timeout = !timeoutVar || (!timeoutVar.defaultOf && olderThan(gem.version.value, [3, 3])) ? dflt(30) : from("unicorn_worker_timeout", cfg.timeout);
  cfg.preloadApp = cfg.preloadApp ? dflt(cfg.preloadApp.value) : null;
  cfg.pid = from("unicorn_pid", cfg.pid);
  cfg.stdoutPath = cfg.stdoutPath ? dflt(cfg.stdoutPath.value) : null;
  cfg.stderrPath = cfg.stderrPath ? dflt(cfg.stderrPath.value) : null;
  cfg.workingDirectory = cfg.workingDirectory ? dflt(cfg.workingDirectory.value) : dflt({ cap: "current_path" });
  cfg.hooks = cfg.hooks.map((h) => dflt(h.value));
  const tcp = unicornUsesTcp(stage);
  const listenVar = tcp?.value ? vars["unicorn_tcp_listen_port"] : vars["nginx_config_name"];
  cfg.listen = cfg.listen.map((l) => ({ ...l, source: listenVar && !listenVar.defaultOf ? listenVar.source : gem.required }));
  if (!cfg.listen.length)
    ctx.problem({ file: tcp?.source.file ?? stage.source.file, line: tcp?.source.line ?? 0, message: `${UNICORN_NGINX}: where Unicorn listened on stage ${stage.name} is not known statically (${tcp ? (tcp.value ? ":unicorn_tcp_listen_port" : ":nginx_config_name") : "whether :unicorn_use_tcp holds: the stage's servers are not all known"})`, severity: "warning" });
  return cfg;
}

function olderThan(version: string, [major, minor]: [number, number]): boolean {
  const [a = 0, b = 0] = version.split(".").map((x) => Number.parseInt(x, 10));
  return a < major || (a === major && b < minor);
}

/** The stage's variables with :unicorn_use_tcp as the gem computes it (the template fetches it). */
function withUseTcp(stage: Stage): Stage {
  const tcp = unicornUsesTcp(stage);
  if (!tcp || stage.variables["unicorn_use_tcp"]) return stage;
  return { ...stage, variables: { ...stage.variables, unicorn_use_tcp: { value: tcp.value, source: tcp.source, defaultOf: UNICORN_NGINX } } };
}

/** The path helpers the gem's templates call, for a stage. */
export function unicornNginxHelpers(stage: Stage): Record<string, RValue> {
  const out: Record<string, RValue> = {};
  const log = under(stage, "shared/log");
  if (log) {
    out["unicorn_log_file"] = `${log}/unicorn.stdout.log`;
    out["unicorn_error_log_file"] = `${log}/unicorn.stderr.log`;
  }
  return out;
}

/** The repo's copy of unicorn.rb.erb rendered as the gem's `template` helper would, then read as Unicorn reads it. */
function renderedOverride(ctx: AnalyzerContext, file: string, text: string, stage: Stage): AppServerConfig {
  const st = withUseTcp(stage);
  const base = stageScope(st);
  const helpers = unicornNginxHelpers(st);
  const scope: Scope = {
    ...base,
    call(node, ev) {
      if (kind(node) === "CallNode" && !node.receiver && argsOf(node).length === 0 && node.name in helpers) return helpers[node.name]!;
      return base.call?.(node, ev);
    },
  };
  const out = renderErb(file, text, scope, ctx.problem, { branches: true });
  for (const l of out.logic)
    ctx.problem({ file, line: l.line, message: `Unicorn config template: Ruby code tag (<% %>) not run for stage ${stage.name} (its condition or code is not known statically); every branch under it is read as if rendered`, severity: "warning" });
  const map = out.lines;
  const parsed = parseRuby(file, out.output);
  const d = deployToOf(stage);
  const cfg = readUnicorn(parsed, { file, env: railsEnvOf(stage), stages: [stage.name] }, d ? `${d.replace(/\/+$/, "")}/shared/config/unicorn.rb` : null, railsEnvOf(stage));
  backToTemplate(cfg, out.refs, map, file);
  // A setting whose template line only fetches a variable says the variable's value: cited where
  // the stage sets it, or labelled as the gem's default (never the template line, which names no number).
  const lines = text.split(/\r?\n/);
  const fetched = (f: Fact<RValue> | null): Fact<RValue> | null => {
    if (!f) return f;
    const m = /^\s*\w+\s+<%=\s*fetch\(\s*:(\w+)\s*\)\s*%>\s*$/.exec(lines[f.source.line - 1] ?? "");
    const v = m ? st.variables[m[1]!] : undefined;
    if (!v) return f;
    return v.defaultOf ? { value: f.value, source: v.source, defaultOf: v.defaultOf } : { value: f.value, source: v.source };
  };
  cfg.workers = fetched(cfg.workers);
  cfg.timeout = fetched(cfg.timeout);
  return cfg;
}
