// The Unicorn config capistrano3-nginx_unicorn ran (`require "capistrano3/nginx_unicorn"`, the
// Capistrano 3 port of capistrano-nginx-unicorn, nginx-unicorn-cap2.ts), read in its 0.0.6 source
// (jesson/capistrano3-nginx_unicorn, lib/capistrano3/tasks/nginx_unicorn.rake; the version file says
// 0.0.6 from the release commit to the repo's last one):
// - load:defaults sets unicorn_config "#{shared_path}/config/unicorn.rb", unicorn_pid
//   "#{current_path}/tmp/pids/unicorn.pid", unicorn_log "#{shared_path}/log/unicorn.log",
//   unicorn_workers 4 and templates_path "config/deploy/templates"; the repo's own `set` wins;
// - `after "deploy:check", "unicorn:setup"`: on every deploy, on the app servers, unicorn:setup
//   renders unicorn.rb.erb to unicorn_config and installs /etc/init.d/unicorn_<application>, which
//   runs `bundle exec unicorn -D -c <unicorn_config> -E <rails_env>` in current_path;
//   deploy:restart (after publishing) runs `service unicorn_<application> restart`;
// - its `template(name, target)` is a method of Capistrano's top-level object: <templates_path>/<name>
//   when the repo has that file, else the gem's own. A `def template` in the repo's deploy files is
//   loaded after the gem (Capfile's imports, config/deploy.rb) and replaces it, so the repo's helper
//   (capistrano/render-helpers.ts) decides where unicorn.rb.erb is read from;
// - the gem's unicorn.rb.erb writes worker_processes fetch(:unicorn_workers), a fixed `timeout 30`,
//   preload_app true: the same lines as the Capistrano 2 gem's (nginxUnicornText).
// A template the repo's helper names but the repo lacks raised on the servers: the config is then not
// known, each number a gap, never the gem's numbers.
import type { AnalyzerContext, AppServerConfig, Fact, RValue, Stage } from "../../src/model.js";
import { hasPath, railsEnvOf } from "../../src/model.js";
import { isCapfileName } from "../capistrano/capfile.js";
import { isKnown, rubyToS } from "../ruby/evaluate.js";
import { parseRuby } from "../ruby/prism.js";
import { parseLockfile } from "../rails/lockfile.js";
import { repoRenderHelpers, helperTemplates } from "../capistrano/render-helpers.js";
import { deployToOf } from "./files.js";
import { readUnicorn } from "./unicorn.js";
import { nginxUnicornText, renderedUnicornTemplate } from "./nginx-unicorn-cap2.js";
import { unseenConfig } from "./server-only.js";

export const NGINX_UNICORN3 = "capistrano3-nginx_unicorn";
const REQUIRE = "capistrano3/nginx_unicorn";
const PLAIN = /^[\w./-]+$/;

export interface NginxUnicorn3Stack {
  required: { file: string; line: number };
  version: Fact<string>;
}

/** The gem as the Capfile requires it (load:defaults runs only then) and Gemfile.lock locks it (0.0.x); else null. */
export function nginxUnicorn3Stack(ctx: AnalyzerContext, requires: Fact<string>[]): NginxUnicorn3Stack | null {
  const req = requires.find((r) => r.value === REQUIRE && isCapfileName(r.source.file));
  if (!req || !hasPath(ctx.repo, "Gemfile.lock")) return null;
  const r = ctx.repo.read("Gemfile.lock");
  if (!("text" in r)) return null;
  const spec = parseLockfile(r.text).specs.find((s) => s.name === NGINX_UNICORN3);
  // 0.0.7 and 0.1 (2016) are not the source read here.
  if (!spec || spec.version !== "0.0.6") return null;
  return { required: req.source, version: { value: spec.version, source: { file: "Gemfile.lock", line: spec.line } } };
}

const word = (v: RValue | undefined): string | null => (v === undefined || v === null || !isKnown(v) ? null : rubyToS(v));

/** The stage's variables with the gem's load:defaults added (labelled as the gem's) where the stage sets none. */
function withDefaults(stage: Stage, gem: NginxUnicorn3Stack): Stage {
  const d = deployToOf(stage)?.replace(/\/+$/, "");
  const at = d && PLAIN.test(d) ? d : null;
  const defaults: Record<string, RValue> = { templates_path: "config/deploy/templates", unicorn_workers: 4 };
  if (at) {
    defaults["unicorn_pid"] = `${at}/current/tmp/pids/unicorn.pid`;
    defaults["unicorn_config"] = `${at}/shared/config/unicorn.rb`;
    defaults["unicorn_log"] = `${at}/shared/log/unicorn.log`;
  }
  const variables = { ...stage.variables };
  for (const [k, value] of Object.entries(defaults)) if (!variables[k]) variables[k] = { value, source: gem.required, defaultOf: NGINX_UNICORN3 };
  return { ...stage, variables };
}

/** Where unicorn:setup reads unicorn.rb.erb: the repo helper's file, the repo's templates_path copy, the gem's own, or why it is not known. */
function templateOf(ctx: AnalyzerContext, stage: Stage): { path: string; by: string } | { gem: true } | { unknown: string; at: { file: string; line: number } } {
  const helper = repoRenderHelpers(ctx.repo).get("template");
  if (helper) {
    const found = helperTemplates(ctx.repo, helper, "unicorn.rb.erb", "absent");
    const at = `${helper.source.file}:${helper.source.line}`;
    if ("templates" in found) return { path: found.templates[0]!.path, by: `the repo's own \`template\` (${at}), which replaces the gem's` };
    return { unknown: `the repo's own \`template\` (${at}) replaces the gem's, and ${found.unfollowed}`, at: helper.source };
  }
  const dir = (word(stage.variables["templates_path"]?.value) ?? "config/deploy/templates").replace(/^\.\//, "").replace(/\/+$/, "");
  const own = `${dir}/unicorn.rb.erb`;
  return hasPath(ctx.repo, own) ? { path: own, by: `the gem's \`template\`, which prefers <templates_path>/unicorn.rb.erb` } : { gem: true };
}

/** The config unicorn:setup rendered for a stage. */
export function nginxUnicorn3Config(ctx: AnalyzerContext, stage0: Stage, gem: NginxUnicorn3Stack): AppServerConfig {
  const stage = withDefaults(stage0, gem);
  const conf = word(stage.variables["unicorn_config"]?.value) ?? "<shared_path>/config/unicorn.rb";
  const env = railsEnvOf(stage);
  const plugin = `${NGINX_UNICORN3} ${gem.version.value}`;
  const started = `/etc/init.d/unicorn_<application> runs \`bundle exec unicorn -D -c ${conf} -E ${env}\` in current/, restarted after each deploy (deploy:restart)`;
  const where = templateOf(ctx, stage);
  if ("unknown" in where) {
    const why = `${plugin}'s unicorn:setup renders unicorn.rb.erb on every deploy, but ${where.unknown}: the config stage ${stage.name}'s servers ran is not known`;
    return unseenConfig("unicorn", conf, stage.name, why, where.at, `${why}; its numbers are asked (the server's defaults are placeholders)`);
  }
  let cfg: AppServerConfig;
  let from: string;
  if ("path" in where) {
    const read = ctx.repo.read(where.path);
    if (!("text" in read)) {
      const why = `${plugin}'s unicorn:setup renders ${where.path}, which cannot be read (${read.error})`;
      return unseenConfig("unicorn", conf, stage.name, why, gem.required, why);
    }
    cfg = renderedUnicornTemplate(ctx, stage, where.path, read.text, conf);
    from = `${where.path} (through ${where.by})`;
  } else {
    cfg = readUnicorn(parseRuby(`(${NGINX_UNICORN3} unicorn.rb.erb)`, nginxUnicornText(stage)), { file: conf, env, stages: [stage.name] }, null, env);
    const dflt = <T>(f: Fact<T> | null): Fact<T> | null => (f ? { value: f.value, source: gem.required, defaultOf: NGINX_UNICORN3 } : null);
    const own = stage.variables["unicorn_workers"]!;
    cfg.workers = cfg.workers && { value: cfg.workers.value, source: own.source, ...(own.defaultOf ? { defaultOf: own.defaultOf } : {}) };
    cfg.timeout = dflt(cfg.timeout);
    cfg.preloadApp = dflt(cfg.preloadApp);
    cfg.stdoutPath = dflt(cfg.stdoutPath);
    cfg.stderrPath = dflt(cfg.stderrPath);
    cfg.workingDirectory = dflt(cfg.workingDirectory);
    cfg.hooks = cfg.hooks.map((h) => ({ value: h.value, source: gem.required, defaultOf: NGINX_UNICORN3 }));
    from = "the gem's own unicorn.rb.erb";
  }
  cfg.renderedBy = { value: `${plugin}: after deploy:check its unicorn:setup renders ${from} to ${conf}; ${started}`, source: gem.required };
  return cfg;
}

/**
 * The gem's rendered configs, one per group of stages that render the same; the repo's own Unicorn
 * files lose those stages, with a warning (the servers read the rendered one).
 */
export function nginxUnicorn3Configs(ctx: AnalyzerContext, stages: Stage[], gem: NginxUnicorn3Stack, out: AppServerConfig[]): AppServerConfig[] {
  const own: AppServerConfig[] = [];
  const key = (c: AppServerConfig) => JSON.stringify({ ...c, stages: [], env: null });
  for (const stage of stages) {
    const cfg = nginxUnicorn3Config(ctx, stage, gem);
    const same = own.find((o) => key(o) === key(cfg) && o.env === cfg.env);
    if (same) same.stages.push(stage.name);
    else own.push(cfg);
  }
  for (const o of out) {
    if (o.kind !== "unicorn") continue;
    ctx.problem({ file: o.file, line: 1, message: `${o.file} is not the Unicorn config the servers ran: ${NGINX_UNICORN3} (${gem.required.file}:${gem.required.line}) renders unicorn.rb.erb to its unicorn_config (shared/config/unicorn.rb) and its init script starts unicorn with -c that file; its settings are read from that template`, severity: "warning" });
    o.stages = [];
  }
  return own;
}
