// A Puma config file (Puma::DSL): `workers`, `threads min, max`, `bind`/`port`/`ssl_bind`,
// `worker_timeout`, `preload_app!`, `pidfile`, `stdout_redirect`, `directory` and the hooks.
import { hookClientCalls } from "./hook-clients.js";
import { railsEnvCall, railsEnvSubject } from "./rails-env.js";
import { machineCall } from "./machine.js";
import type { AppServerConfig, Fact, RValue } from "../../src/model.js";
import { isFloatValue } from "../../src/model.js";
import type { ParsedRuby } from "../ruby/prism.js";
import { isHash, rubyToS, type Scope } from "../ruby/evaluate.js";
import { emptyConfig, walkConfig, conditional, type Base } from "./config-walk.js";
import { pumaBind, pumaPort } from "./listen.js";

/** Puma DSL methods that register a hook (a block run by the server at that moment). */
export const PUMA_HOOKS = [
  "on_worker_boot",
  "on_worker_shutdown",
  "on_worker_fork",
  "after_worker_fork",
  "after_worker_boot",
  "before_fork",
  "on_restart",
  "on_booted",
  "on_stopped",
  "on_refork",
  "on_thread_start",
  "on_thread_exit",
  "out_of_band",
  "lowlevel_error_handler",
  "before_worker_boot",
  "before_worker_shutdown",
  "before_worker_fork",
  "after_booted",
  "after_stopped",
  "before_restart",
  "before_refork",
  "before_thread_start",
  "before_thread_exit",
];


/** `railsEnv`: the Rails environment the file is evaluated for (branches on it are decided), or null. */
/** `byPumaPlugin`: capistrano3-puma starts this Puma, so RACK_ENV is the Rails env too (rails-env.ts). */
/** `rackEnv`: RACK_ENV as the start line sets it before Puma loads the file (`RACK_ENV=x puma`; Puma's own -e does not), or null. */
export function readPuma(parsed: ParsedRuby, base: Base, deployedPath: string | null, railsEnv: string | null = null, extraCall?: Scope["call"], byPumaPlugin = false, rackEnv: string | null = null): AppServerConfig {
  const envCall = railsEnvCall(railsEnv, byPumaPlugin, parsed, rackEnv);
  const machine = machineCall(parsed);
  const cfg = emptyConfig("puma", base);
  walkConfig(parsed, deployedPath, (call, w) => {
    const arg = (i: number): RValue => (call.args[i] === undefined ? null : conditional(call, parsed, w.ev(call.args[i])));
    const fact = (v: RValue): Fact<RValue> => ({ value: v, source: call.source });
    switch (call.name) {
      case "workers": {
        // Puma keeps `count.to_i`: `workers 2.5` runs 2
        const v = arg(0);
        cfg.workers = fact(typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : isFloatValue(v) && Number.isFinite(Number(v.float)) ? Math.trunc(Number(v.float)) : v);
        break;
      }
      case "threads":
        cfg.threads = { value: call.args.map((_, i) => arg(i)), source: call.source };
        break;
      case "worker_timeout":
        cfg.timeout = fact(arg(0));
        break;
      case "preload_app!":
        cfg.preloadApp = fact(call.args.length ? arg(0) : conditional(call, parsed, true));
        break;
      case "pidfile":
        cfg.pid = fact(arg(0));
        break;
      case "directory":
        cfg.workingDirectory = fact(arg(0));
        break;
      case "stdout_redirect":
        if (call.args.length > 0) cfg.stdoutPath = fact(arg(0));
        if (call.args.length > 1) cfg.stderrPath = fact(arg(1));
        break;
      case "bind":
        cfg.listen.push(pumaBind(arg(0), call.source));
        break;
      case "port":
        cfg.listen.push(pumaPort(arg(0), call.args[1] === undefined ? undefined : arg(1), call.source));
        break;
      case "ssl_bind": {
        const host = arg(0);
        const port = arg(1);
        const opts = call.args[2] ? w.ev(call.args[2]) : {};
        const h = rubyToS(host);
        const p = rubyToS(port);
        const address: RValue = h !== null && p !== null ? `${h}:${p}` : { interp: [host, ":", port] };
        cfg.listen.push({ kind: "tcp", address, options: { ssl: true, ...(isHash(opts) ? opts : {}) }, source: call.source });
        break;
      }
      default:
        if (PUMA_HOOKS.includes(call.name) && (call.block || call.args.length)) {
          cfg.hooks.push({ value: call.name, source: call.source });
          if (call.block) (cfg.hookCalls ??= []).push(...hookClientCalls(parsed, call.name, call.block));
        }
    }
  }, (node, ev) => extraCall?.(node, ev) ?? ((v) => (v !== undefined ? v : machine(node, ev)))(envCall?.(node, ev)), undefined, railsEnvSubject(railsEnv, byPumaPlugin, rackEnv));
  return cfg;
}
