// A Unicorn config file as Unicorn::Configurator reads it (Debian's unicorn 6): each DSL method sets
// one entry, later calls win, `listen` appends, hooks given a block (or a proc) replace the default.
import type { AppServerConfig, Fact, RValue } from "../../src/model.js";
import { isFloatValue } from "../../src/model.js";
import type { ParsedRuby } from "../ruby/prism.js";
import { isHash, isKnown, unknown } from "../ruby/evaluate.js";
import { emptyConfig, walkConfig, conditional, type Base } from "./config-walk.js";
import { unicornListen } from "./listen.js";
import { expandPath } from "./ruby-file.js";
import { hookClientCalls } from "./hook-clients.js";
import { railsEnvCall, railsEnvSubject } from "./rails-env.js";
import { machineCall } from "./machine.js";

/** Hooks Unicorn calls; a `nil` argument restores the default, so it is not a hook of the app. */
export const UNICORN_HOOKS = ["before_fork", "after_fork", "before_exec", "after_worker_ready", "after_worker_exit"];
/** Unicorn's `timeout` when the file sets none (Configurator::DEFAULTS). */
export const UNICORN_DEFAULT_TIMEOUT = 60;
const UNICORN_MAX_TIMEOUT = 30 * 60 * 60 * 24;


/** `railsEnv`: the Rails environment the file is evaluated for (branches on it are decided), or null. */
/** `rackEnv`: RACK_ENV as the start line gives it (`unicorn -E x` sets it before the file is read), or null. */
/** `rackIsRails`: the start line passes the stage's rails_env as plain unicorn's -E, so RACK_ENV is it too (cap2-unicorn-recipes.ts). */
export function readUnicorn(parsed: ParsedRuby, base: Base, deployedPath: string | null, railsEnv: string | null = null, rackEnv: string | null = null, rackIsRails = false): AppServerConfig {
  const cfg = emptyConfig("unicorn", base);
  const envCall = railsEnvCall(railsEnv, rackIsRails, parsed, rackEnv);
  const machine = machineCall(parsed);
  walkConfig(parsed, deployedPath, (call, w) => {
    const arg = (i: number): RValue => (call.args[i] === undefined ? null : conditional(call, parsed, w.ev(call.args[i])));
    const fact = (i: number): Fact<RValue> => ({ value: arg(i), source: call.source });
    switch (call.name) {
      case "worker_processes": {
        // Configurator#set_int: anything but an Integer >= 1 stops Unicorn before it starts
        const v = arg(0);
        // A number out of range is refused as bad input by refused-values.ts (exit 2, as Unicorn says);
        // anything else known (`true` from `A or B ? 8 : 2`) is no count at all: unknown, with the reason.
        const bad = isKnown(v) && v !== null && typeof v !== "number" && !isFloatValue(v);
        cfg.workers = bad ? { value: unknown(parsed, call.node, `Unicorn refuses worker_processes ${JSON.stringify(v)} (not an integer >= 1): the server does not start with this config`), source: call.source } : fact(0);
        break;
      }
      case "timeout": {
        // Unicorn caps the timeout at 30 days
        const v = arg(0);
        cfg.timeout = { value: typeof v === "number" && v > UNICORN_MAX_TIMEOUT ? UNICORN_MAX_TIMEOUT : v, source: call.source };
        break;
      }
      case "preload_app":
        cfg.preloadApp = fact(0);
        break;
      case "pid":
        cfg.pid = fact(0);
        break;
      case "stderr_path":
        cfg.stderrPath = fact(0);
        break;
      case "stdout_path":
        cfg.stdoutPath = fact(0);
        break;
      case "working_directory": {
        // Unicorn keeps File.expand_path of it
        const v = arg(0);
        const expanded = typeof v === "string" ? expandPath(v) : null;
        cfg.workingDirectory = { value: expanded ?? v, source: call.source };
        break;
      }
      case "listen": {
        const opts = call.args[1] ? w.ev(call.args[1]) : {};
        cfg.listen.push(unicornListen(arg(0), isHash(opts) ? opts : {}, call.source));
        break;
      }
      case "listeners": {
        // replaces every listener given so far
        const list = arg(0);
        cfg.listen = (Array.isArray(list) ? list : [list]).map((a) => unicornListen(a, {}, call.source));
        break;
      }
      default:
        if (UNICORN_HOOKS.includes(call.name)) {
          const given = call.block ?? call.args[0];
          const isNil = !call.block && (call.args.length === 0 || w.ev(call.args[0]) === null);
          cfg.hooks = cfg.hooks.filter((h) => h.value !== call.name);
          cfg.hookCalls = (cfg.hookCalls ?? []).filter((c) => !c.value.startsWith(`${call.name}:`));
          if (given && !isNil) {
            cfg.hooks.push({ value: call.name, source: call.source });
            if (call.block) cfg.hookCalls.push(...hookClientCalls(parsed, call.name, call.block));
          }
        }
    }
  }, (node, ev) => { const v = envCall?.(node, ev); return v !== undefined ? v : machine(node, ev); }, undefined, railsEnvSubject(railsEnv, rackIsRails, rackEnv));
  if (!cfg.timeout) cfg.timeout = { value: UNICORN_DEFAULT_TIMEOUT, source: { file: base.file, line: 0 }, defaultOf: "Unicorn" };
  return cfg;
}
