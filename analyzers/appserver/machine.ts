// Settings whose number is the machine's own: `workers Concurrent.processor_count`,
// `Etc.nprocessors`, a shell read of /proc/cpuinfo or `nproc`. The servers ran as many as their
// CPUs gave, which the repo does not say, and a pod's CPUs are not the servers': the number is
// unknown (a question), and the reason says it depends on the machine, so the report can name it.
import { kind, argsOf, type ParsedRuby } from "../ruby/prism.js";
import { unknown, isUnknown, type Scope } from "../ruby/evaluate.js";
import { MACHINE } from "../ruby/shell-reason.js";
import type { AnalyzerContext, AppServerConfig, RValue } from "../../src/model.js";


/** Ruby calls that count the host's processors: receiver constant and method. */
const CPU_CALLS: [string, string][] = [
  ["Concurrent", "processor_count"],
  ["Concurrent", "physical_processor_count"],
  ["Concurrent", "available_processor_count"],
  ["Etc", "nprocessors"],
  ["Parallel", "processor_count"],
  ["Parallel", "physical_processor_count"],
];

/** A Scope.call hook: the CPU-counting calls as unknowns whose reason says they depend on the machine. */
export function machineCall(parsed: ParsedRuby): NonNullable<Scope["call"]> {
  return (node) => {
    if (kind(node) !== "CallNode" || !node.receiver || kind(node.receiver) !== "ConstantReadNode" || argsOf(node).length) return undefined;
    const hit = CPU_CALLS.find(([c, m]) => node.receiver.name === c && node.name === m);
    return hit ? unknown(parsed, node, `${MACHINE}: ${hit[0]}.${hit[1]} counts the CPUs of the host the server runs on`) : undefined;
  };
}

const machineUnknown = (v: RValue | undefined): string | null => {
  if (v === undefined || v === null) return null;
  if (isUnknown(v)) return v.unknown.includes(MACHINE) ? v.unknown : null;
  return null;
};

/**
 * The named warning `appserver.machine-dependent` for each worker or thread count of a config
 * read that depends on the machine, once per file and line.
 */
export function reportMachineCounts(ctx: AnalyzerContext, configs: AppServerConfig[]): void {
  const said = new Set<string>();
  for (const c of configs) {
    const counts: [string, RValue | undefined, { file: string; line: number } | undefined][] = [
      [c.kind === "unicorn" ? "worker_processes" : "workers", c.workers?.value, c.workers?.source],
      ...(Array.isArray(c.threads?.value) ? c.threads!.value.map((t, i): [string, RValue, { file: string; line: number }] => [i === 0 ? "threads (min)" : "threads (max)", t, c.threads!.source]) : []),
    ];
    for (const [name, v, at] of counts) {
      const why = machineUnknown(v);
      if (!why || !at) continue;
      const key = `${at.file}:${at.line}`;
      if (said.has(key)) continue;
      said.add(key);
      ctx.problem({ file: at.file, line: at.line, message: `appserver.machine-dependent: ${c.kind} ${name} (${c.file}): ${why.slice(MACHINE.length + 2)}, so the servers ran as many as their machines gave, which the repo does not say, and a pod's CPUs are not the servers'; the number is asked, not taken from this machine`, severity: "warning" });
    }
  }
}
