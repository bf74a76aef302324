// The Unicorn config capistrano-mb's unicorn recipe ran. Its `mb:unicorn:config_rb` task renders
// the gem's unicorn.rb.erb (or the repo's lib/capistrano/mb/templates/unicorn.rb.erb, which its
// `template` helper prefers) to shared/config/unicorn.rb, a linked file; its systemd unit starts
// `bin/unicorn -c <mb_unicorn_config>` (current/config/unicorn.rb, that link). So a repo file
// config/unicorn.rb is never what ran, and the stage's config is its mb_unicorn_* variables as the
// gem's template writes them (0.35.0):
//   worker_processes <mb_unicorn_workers>; timeout <mb_unicorn_timeout>; preload_app true;
//   listen "/tmp/unicorn.<application_basename>.sock", backlog 64; working_directory current_path;
//   pid <mb_unicorn_pid>; stderr_path/stdout_path <mb_unicorn_log>; hooks before_exec, before_fork
//   (disconnect, kill the old master), after_fork (reconnect ActiveRecord).
import type { AnalyzerContext, AppServerConfig, Fact, RValue, Source, Stage } from "../../src/model.js";
import { railsEnvOf, hasPath } from "../../src/model.js";
import { rubyToS, type Scope } from "../ruby/evaluate.js";
import { kind, argsOf, parseRuby } from "../ruby/prism.js";
import { renderErb } from "../ruby/erb.js";
import { backToTemplate } from "./rendered-config.js";
import { stageScope } from "../ruby/stage-scope.js";
import { lineMap } from "../nginx/template.js";
import { emptyConfig } from "./config-walk.js";
import { deployToOf } from "./files.js";
import { unicornListen } from "./listen.js";
import { readUnicorn } from "./unicorn.js";
import { MB, mbOverride, mbUnitOverride } from "../capistrano/mb.js";

export const MB_UNICORN_TEMPLATE = mbOverride("unicorn.rb.erb");

/** `application_basename`: the application with non-word characters made underscores. */
export function mbBasename(stage: Stage): string | null {
  const v = stage.variables["application"]?.value;
  const s = v === undefined ? null : rubyToS(v);
  return s ? s.replace(/[^a-zA-Z0-9_]/g, "_") : null;
}

const sharedConfig = (stage: Stage) => {
  const d = deployToOf(stage);
  return d ? `${d.replace(/\/+$/, "")}/shared/config/unicorn.rb` : "<shared_path>/config/unicorn.rb";
};

/** The repo's copy of the gem's systemd unit for unicorn, which the `template` helper renders instead of the gem's. */
export const MB_UNICORN_UNIT = mbOverride("unicorn.service.erb");

/**
 * The `-c` path the unit starts unicorn with: the repo's copy of the unit when it has one (its
 * ExecStart=, as written, ERB included), else the gem's `-c <%= fetch(:mb_unicorn_config) %>`.
 * Then that variable's value for the stage, when the stage changed it.
 */
function startedConfig(ctx: AnalyzerContext, stage: Stage): { path: string; source: Source; said: string } | null {
  let viaVariable = true;
  let unitAt: Source | null = null;
  const u = mbUnitOverride(ctx, "unicorn.service.erb");
  if (u) {
    unitAt = { file: u.file, line: u.line };
    const c = /\s(?:-c|--config-file)\s+([^\s'"]+)/.exec(` ${u.command}`);
    const arg = c?.[1] ?? null;
    if (arg && arg !== "@mb_unicorn_config") {
      if (/@|#\{(?!(?:current|release)_path\})/.test(arg)) {
        ctx.problem({ ...unitAt, message: `${MB}: the repo's unit starts unicorn with -c ${arg}, a path not known statically; the Unicorn settings are the recipe's rendered config/unicorn.rb`, severity: "warning" });
        return null;
      }
      return { path: arg, source: unitAt, said: `the repo's unit ${u.file}:${u.line} starts unicorn with -c ${arg}` };
    }
    viaVariable = !!arg;
    if (!arg && /(^|[\s/'"])unicorn(_rails)?(\s|$)/.test(u.command))
      ctx.problem({ ...unitAt, message: `${MB}: the repo's unit starts unicorn without -c, so Unicorn read no config file on the servers (its own defaults, one worker); the settings shown are the recipe's rendered config/unicorn.rb, check which ran`, severity: "warning" });
  }
  const v = stage.variables["mb_unicorn_config"];
  if (!viaVariable || !v || v.defaultOf) return null;
  const path = typeof v.value === "string" ? v.value : null;
  if (path === null) {
    ctx.problem({ ...v.source, message: `${MB}: :mb_unicorn_config of stage ${stage.name} is not known statically; the Unicorn settings are the recipe's rendered config/unicorn.rb`, severity: "warning" });
    return null;
  }
  return { path, source: v.source, said: `:mb_unicorn_config is ${path} (${v.source.file}:${v.source.line})${unitAt ? `, which ${MB_UNICORN_UNIT}:${unitAt.line} starts unicorn with` : ""}` };
}

/** A server path of the release (`…/current/config/unicorn/x.rb`, `#{current_path}/…`) as a repo path. */
const releasePath = (p: string): string | null => {
  const m = /^(?:#\{(?:current|release)_path\}|.*\/current|.*\/releases\/[^/]+)\/(.+)$/.exec(p) ?? (/^[\w.-]+(?:\/[\w.-]+)*$/.test(p) && !p.startsWith("/") ? [p, p] : null);
  return m ? m[1]! : null;
};

/** The config a stage's servers ran: the repo's override template rendered, else the gem's template's settings. */
export function mbUnicornConfig(ctx: AnalyzerContext, stage: Stage, recipeAt: Source): AppServerConfig {
  const started = startedConfig(ctx, stage);
  if (started) {
    const rel = releasePath(started.path);
    // config/unicorn.rb of the release is the link to the rendered shared file: the template's config.
    if (rel && rel !== "config/unicorn.rb" && hasPath(ctx.repo, rel)) {
      const r = ctx.repo.read(rel);
      if ("text" in r) {
        const cfg = readUnicorn(parseRuby(rel, r.text), { file: rel, env: railsEnvOf(stage), stages: [stage.name] }, started.path, railsEnvOf(stage));
        cfg.renderedBy = { value: `${MB}'s unicorn unit starts bin/unicorn -c ${started.path}: ${started.said}; that is the repo's ${rel}, not the rendered config/unicorn.rb`, source: started.source };
        return cfg;
      }
    }
    if (!rel || rel !== "config/unicorn.rb")
      ctx.problem({ ...started.source, message: `${MB}: ${started.said}, a file the repo does not hold; the Unicorn settings shown are the recipe's rendered config/unicorn.rb, which that start did not read`, severity: "warning" });
  }
  const read = hasPath(ctx.repo, MB_UNICORN_TEMPLATE) ? ctx.repo.read(MB_UNICORN_TEMPLATE) : null;
  const cfg = read && "text" in read ? renderedOverride(ctx, read.text, stage) : gemTemplate(stage, recipeAt);
  cfg.renderedBy = {
    value: `${MB}'s unicorn recipe: mb:unicorn:config_rb renders ${read && "text" in read ? MB_UNICORN_TEMPLATE : `the gem's unicorn.rb.erb`} to ${sharedConfig(stage)} (linked as config/unicorn.rb), and its systemd unit starts bin/unicorn -c with it`,
    source: recipeAt,
  };
  return cfg;
}

function gemTemplate(stage: Stage, recipeAt: Source): AppServerConfig {
  const vars = stage.variables;
  const dflt = <T>(value: T): Fact<T> => ({ value, source: recipeAt, defaultOf: MB });
  // A stage's own `set :mb_unicorn_workers` is cited there; the gem's value keeps its label.
  const given = (name: string): Fact<RValue> | null => (vars[name] ? { ...vars[name]! } : null);
  const cfg = emptyConfig("unicorn", { file: sharedConfig(stage), env: railsEnvOf(stage), stages: [stage.name] });
  cfg.workers = given("mb_unicorn_workers");
  cfg.timeout = given("mb_unicorn_timeout");
  cfg.preloadApp = dflt(true);
  const base = mbBasename(stage);
  cfg.listen = [unicornListen(base ? `/tmp/unicorn.${base}.sock` : { interp: ["/tmp/unicorn.", { cap: "application_basename" }, ".sock"] }, { backlog: 64 }, recipeAt)];
  cfg.pid = given("mb_unicorn_pid");
  cfg.stdoutPath = given("mb_unicorn_log");
  cfg.stderrPath = given("mb_unicorn_log");
  const d = deployToOf(stage);
  cfg.workingDirectory = dflt(d ? `${d.replace(/\/+$/, "")}/current` : { cap: "current_path" });
  cfg.hooks = ["before_exec", "before_fork", "after_fork"].map((h) => dflt(h));
  return cfg;
}

/** The repo's own template, rendered for the stage as the gem's `template` helper would, then read as Unicorn reads it. */
function renderedOverride(ctx: AnalyzerContext, text: string, stage: Stage): AppServerConfig {
  const file = MB_UNICORN_TEMPLATE;
  const base = stageScope(stage);
  const basename = mbBasename(stage);
  const scope: Scope = {
    ...base,
    call(node, ev) {
      if (kind(node) === "CallNode" && !node.receiver && argsOf(node).length === 0 && node.name === "application_basename" && basename) return basename;
      return base.call?.(node, ev);
    },
  };
  const out = renderErb(file, text, scope, ctx.problem);
  for (const l of out.logic)
    ctx.problem({ file, line: l.line, message: `Unicorn config template: Ruby code tag (<% %>) not run for stage ${stage.name}; every branch is read as if rendered`, severity: "warning" });
  const map = lineMap(text, out.output);
  const parsed = parseRuby(file, out.output);
  const d = deployToOf(stage);
  const cfg = readUnicorn(parsed, { file, env: railsEnvOf(stage), stages: [stage.name] }, d ? `${d.replace(/\/+$/, "")}/current/config/unicorn.rb` : null, railsEnvOf(stage));
  backToTemplate(cfg, out.refs, map, file);
  return cfg;
}
