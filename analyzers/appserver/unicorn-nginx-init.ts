// The repo's copy of capistrano-unicorn-nginx's unicorn_init.erb (<templates_path>/unicorn_init.erb,
// which the gem's `template` helper renders in place of its own, then uploads to
// /etc/init.d/<unicorn_service> in unicorn:setup_initializer). That script is what started Unicorn:
// its command's `-c` is the config Unicorn read, its `-E` the environment it ran in, and AS_USER
// the account it ran as. A team that edits the copy (a config under current/, a fixed `-E`) changed
// what ran, whatever :unicorn_config says. Rendered per stage with the gem's helpers; a value that
// does not render to plain text is not known, and said so.
import type { AnalyzerContext, RValue, Source, Stage } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { isKnown, rubyToS, type Scope } from "../ruby/evaluate.js";
import { argsOf, kind } from "../ruby/prism.js";
import { renderErb } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";

export interface InitValue {
  /** Null: the script names it, but its value is not known statically. */
  value: string | null;
  source: Source;
}

export interface UnicornInitScript {
  file: string;
  /** The `-c` the script starts Unicorn with; null when its command names none. */
  config: InitValue | null;
  /** The `-E` it gives; null when none. */
  env: InitValue | null;
  /** AS_USER (the gem's script runs the command as that account). */
  user: InitValue | null;
  /** The command line itself, when the script has one. */
  command: Source | null;
}

const word = (v: RValue | undefined): string | null => (v === undefined || v === null || !isKnown(v) ? null : rubyToS(v));

/**
 * Renders the copy for the stage. `configPath`/`appEnv` are the values :unicorn_config and
 * :unicorn_app_env have where the stage leaves them to the gem (<shared_path>/config/unicorn.rb,
 * `fetch(:rails_env) || fetch(:stage)`).
 */
export function readUnicornInit(ctx: AnalyzerContext, file: string, text: string, stage: Stage, configPath: string | null): UnicornInitScript {
  const base = stageScope(stage);
  const fallback: Record<string, string | null> = {
    unicorn_config: configPath,
    unicorn_app_env: railsEnvOf(stage),
    // The gem's own default: "" (no variables before the command).
    unicorn_env: "",
    // Set by the gem's unicorn:defaults task on the server (`id -un`, the deploy user) unless the stage sets it.
    unicorn_user: null,
  };
  const scope: Scope = {
    ...base,
    fetch(name, dflt, node) {
      const own = stage.variables[name];
      if (own && word(own.value) !== null) return own.value;
      if (name in fallback && (!own || own.defaultOf)) return fallback[name] ?? { unknown: `:${name} is not known statically`, expr: name, source: { file, line: 0 } };
      return base.fetch!(name, dflt, node);
    },
    call(node, ev) {
      // The gem's helper: `SSHKit::Command.new(:bundle, :exec, :unicorn, args).to_command`.
      if (kind(node) === "CallNode" && !node.receiver && node.name === "bundle_unicorn") {
        const parts = argsOf(node).map((a) => word(ev(a)));
        return parts.every((p) => p !== null) ? ["bundle exec unicorn", ...parts].join(" ") : undefined;
      }
      return base.call?.(node, ev);
    },
  };
  const out = renderErb(file, text, scope, ctx.problem, { branches: true });
  const tokens = [...out.refs.keys()];
  const lines = out.output.split("\n");
  const at = (i: number): Source => ({ file, line: out.lines[i + 1] ?? 0 });
  const val = (raw: string, i: number): InitValue => {
    const v = raw.replace(/^["']|["']$/g, "");
    return { value: tokens.some((t) => v.includes(t)) || /[$`]/.test(v) ? null : v, source: at(i) };
  };
  let config: InitValue | null = null;
  let env: InitValue | null = null;
  let user: InitValue | null = null;
  let command: Source | null = null;
  lines.forEach((l, i) => {
    const u = /^\s*AS_USER=(\S*)/.exec(l);
    if (u && !user) user = val(u[1]!, i);
    if (command || !/\bunicorn(?:_rails)?\b/.test(l) || /^\s*#/.test(l)) return;
    const c = /\s(?:-c|--config-file)[\s=]+([^\s;&|]+)/.exec(l);
    const e = /\s(?:-E|--env)[\s=]+([^\s;&|"]+)/.exec(l);
    if (!c && !e && !/\bunicorn(?:_rails)?\s+-D\b/.test(l)) return;
    command = at(i);
    if (c) config = val(c[1]!, i);
    if (e) env = val(e[1]!, i);
  });
  return { file, config, env, user, command };
}
