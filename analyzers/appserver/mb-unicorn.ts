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
import { renderErb, restoreRefs } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { lineMap } from "../nginx/template.js";
import { emptyConfig } from "./config-walk.js";
import { deployToOf } from "./files.js";
import { unicornListen } from "./listen.js";
import { readUnicorn } from "./unicorn.js";
import { MB, mbOverride } from "../capistrano/mb.js";

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

/** The config a stage's servers ran: the repo's override template rendered, else the gem's template's settings. */
export function mbUnicornConfig(ctx: AnalyzerContext, stage: Stage, recipeAt: Source): AppServerConfig {
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
  const fix = <T>(f: Fact<T> | null): Fact<T> | null => (f ? { ...f, value: restoreRefs(f.value as RValue, out.refs) as T, source: { file, line: map[f.source.line] ?? f.source.line } } : null);
  for (const k of ["workers", "threads", "timeout", "preloadApp", "pid", "stdoutPath", "stderrPath", "workingDirectory"] as const) (cfg as any)[k] = fix(cfg[k] as Fact<RValue> | null);
  cfg.listen = cfg.listen.map((l) => ({ ...l, address: restoreRefs(l.address, out.refs), source: { file, line: map[l.source.line] ?? l.source.line } }));
  cfg.hooks = cfg.hooks.map((h) => fix(h)!);
  if (cfg.hookCalls) cfg.hookCalls = cfg.hookCalls.map((h) => fix(h)!);
  return cfg;
}
