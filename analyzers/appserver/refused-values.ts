// Settings the server itself refuses at boot. A config that sets one never ran: the servers could
// not have started with it, so it is bad input (exit 2, file:line), as Unicorn or Puma would say,
// never a value carried or quietly changed into one that boots (a pod would crash-loop, or run
// something the servers never ran).
import type { AnalyzerContext, AppServerConfig, Fact, RValue } from "../../src/model.js";
import { isFloatValue, reportUnusable } from "../../src/model.js";

/** Puma::ConfigDefault::DefaultWorkerCheckInterval: worker_timeout must be greater (Puma::DSL#worker_timeout). */
const PUMA_WORKER_CHECK_INTERVAL = 5;

/** A number written in the file, or null for anything else (a variable, an ENV read, a branch not decided). */
function literal(v: RValue | undefined): { n: number; integer: boolean; text: string } | null {
  if (typeof v === "number" && Number.isFinite(v)) return { n: v, integer: Number.isInteger(v), text: String(v) };
  if (isFloatValue(v)) return { n: Number(v.float), integer: false, text: v.float };
  return null;
}

/** Unicorn::Configurator#set_int: an Integer, at least `min`. */
function unicornInt(name: string, f: Fact<RValue> | null, min: number): string | null {
  const l = f && !f.defaultOf ? literal(f.value) : null;
  if (!l) return null;
  if (!l.integer) return `${name} ${l.text}: Unicorn refuses it at boot (not an integer: ${name}=${l.text})`;
  if (l.n < min) return `${name} ${l.text}: Unicorn refuses it at boot (too low (< ${min}): ${name}=${l.text})`;
  return null;
}

/** The messages for one config, each at the line that sets the value. */
type Refused = { file: string; line: number; message: string; field: "workers" | "timeout" | "threads" };

export function refusedValues(cfg: AppServerConfig): Refused[] {
  const out: Refused[] = [];
  const at = (field: Refused["field"], message: string | null) => {
    const f = cfg[field] as Fact<unknown> | null;
    if (f && message) out.push({ file: f.source.file, line: f.source.line, message, field });
  };
  if (cfg.kind === "unicorn") {
    at("workers", unicornInt("worker_processes", cfg.workers, 1));
    at("timeout", unicornInt("timeout", cfg.timeout, 3));
    return out;
  }
  // Puma::DSL#threads: Integer(min), Integer(max), min <= max, max >= 1
  const t = cfg.threads?.value ?? [];
  const min = literal(t[0]);
  const max = literal(t[1]);
  if (min && max && Math.trunc(min.n) > Math.trunc(max.n))
    at("threads", `threads ${min.text}, ${max.text}: Puma refuses it at boot (the minimum (${min.text}) number of threads must be less than or equal to the max)`);
  else if (max && Math.trunc(max.n) < 1) at("threads", `threads ${min?.text ?? "…"}, ${max.text}: Puma refuses it at boot (the maximum number of threads (${max.text}) must be greater than 0)`);
  const wt = cfg.timeout && !cfg.timeout.defaultOf ? literal(cfg.timeout.value) : null;
  if (wt && Math.trunc(wt.n) <= PUMA_WORKER_CHECK_INTERVAL)
    at("timeout", `worker_timeout ${wt.text}: Puma refuses it at boot (the minimum worker_timeout must be greater than the worker reporting interval (${PUMA_WORKER_CHECK_INTERVAL}))`);
  return out;
}

/** Reports every refused value once (a file read per environment repeats its lines). */
export function reportRefusedValues(ctx: AnalyzerContext, configs: AppServerConfig[]): void {
  const said = new Set<string>();
  for (const cfg of configs)
    for (const r of refusedValues(cfg)) {
      const key = `${r.file}:${r.line}:${r.message}`;
      if (said.has(key)) continue;
      said.add(key);
      // A value this analysis computed by rendering an ERB template (`<% if fetch(:x) %>` around
      // it, a `.to_i` of nil) may be our reading, not what the servers ran: never a reason to stop.
      // It is carried as unknown, with the reason, instead of exit 2.
      if (/\.erb$/.test(r.file)) ctx.problem({ file: r.file, line: r.line, message: `${r.message}, as rendered by this analysis; the value is not carried (check the template's condition)`, severity: "warning" });
      else reportUnusable(ctx, { file: r.file, line: r.line, message: `${r.message}; the servers could never have started with this config, so nothing is carried from it` });
    }
  for (const cfg of configs)
    for (const r of refusedValues(cfg))
      if (/\.erb$/.test(r.file)) cfg[r.field] = { value: { unknown: `${r.message.split(":")[0]} as rendered is refused by the server at boot` }, source: (cfg[r.field] as Fact<unknown>).source } as never;
}
