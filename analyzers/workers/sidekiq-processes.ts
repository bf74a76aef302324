// capistrano-sidekiq's `sidekiq_options_per_process` as Deployments. Process i of each server got
// entry i appended to its start line (analyzers/workers/sidekiq-plugin.ts perProcessOptions), so the
// servers ran as many kinds of Sidekiq process as there are distinct entries among the started ones.
//
// Rule: one Deployment per distinct set of words across the stages, as capistrano-resque's `:workers`
// entries are (resque-plugin.ts): its replicas on a stage are the processes per server that got the
// set × the stage's Sidekiq servers, 0 where no process got it. The processes that got no words (a
// stage without the variable, a process past the list's end) run the stage's own command in the
// Sidekiq worker Deployment the app always had (`worker`). While no stage splits its processes, that
// one Deployment runs everything, as before.
import type { SidekiqFacts, SidekiqOptionWords, Source, Stage, WorkerFacts } from "../../src/model.js";
import { sidekiqFlagTimeout } from "./timeouts.js";
import { dnsLabel } from "../../src/model/names.js";
import { queueSlug } from "./resque-plugin.js";
import { MAX_PROCESS_COUNT } from "../process-count.js";
import { sidekiqConfigWorkers, splitByConfig } from "./sidekiq-config-files.js";

type PerStage = NonNullable<WorkerFacts["perStage"]>;

/**
 * The stage's processes per server; a value set but not read is 1 with `unknown` (the count is then
 * asked, src/gaps/workers.ts). A sidekiq_processes nothing in the deploy reads (SidekiqFacts
 * unreadSettings) counts for nothing: the servers ran one.
 */
const processesOf = (stage: Stage, unread: readonly string[] = []): { n: number; unknown?: string } => {
  const v = unread.includes("sidekiq_processes") ? undefined : stage.variables["sidekiq_processes"]?.value;
  if (v === undefined || v === null) return { n: 1 };
  const n = typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null;
  if (n !== null && n > MAX_PROCESS_COUNT) return { n: 1, unknown: `sidekiq_processes ${n} is above the ${MAX_PROCESS_COUNT} processes the analysis takes from a repo` };
  return n === null ? { n: 1, unknown: "sidekiq_processes is not a whole number the analysis can read" } : { n };
};

const optionTimeout = (words: string[]): number | null => sidekiqFlagTimeout(words.join(" "), { file: "", line: 0 })?.seconds ?? null;

const said = (words: string[]) => (words.length ? JSON.stringify(words.join(" ")) : "no per-process options");

export function sidekiqWorkers(base: WorkerFacts, sk: SidekiqFacts, stages: Stage[]): WorkerFacts[] {
  // capistrano-sidekiq 3.x with more than the plain unit: one worker per sidekiq_config_files entry.
  if (splitByConfig(sk)) return sidekiqConfigWorkers(base, sk);
  if (!stages.some((s) => sk.plugin?.[s.name]?.perProcess)) return [unreadCounts(base, stages, sk.unreadSettings)];
  const groups = new Map<string, { set: SidekiqOptionWords; perStage: PerStage; source: Source | null }>();
  const add = (o: SidekiqOptionWords, stage: string, count: { processes: number; why: string; source: Source | null }) => {
    const set = { words: o.words, queues: o.queues, concurrency: o.concurrency, timeout: o.timeout };
    const key = JSON.stringify(set.words);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { set, perStage: {}, source: count.source }));
    g.perStage[stage] = count;
  };
  for (const s of stages) {
    const p = sk.plugin?.[s.name];
    const { n, unknown } = processesOf(s, sk.unreadSettings);
    const unread = unknown ? { unknown } : {};
    if (p?.perProcess) {
      for (const set of p.perProcess.sets)
        add(set, s.name, { processes: set.processes, why: `${set.processes} of stage ${s.name}'s ${p.perProcess.processes} Sidekiq processes per server got ${said(set.words)} from sidekiq_options_per_process`, source: p.perProcess.source });
    } else if (p?.options) {
      add({ words: p.options.value, queues: p.options.queues, concurrency: p.options.concurrency, timeout: optionTimeout(p.options.value) }, s.name, { processes: n, why: `every Sidekiq process of stage ${s.name} got ${said(p.options.value)} from sidekiq_options_per_process`, source: unknown ? s.variables["sidekiq_processes"]!.source : p.options.source, ...unread });
    } else {
      add({ words: [], queues: [], concurrency: null, timeout: null }, s.name, { processes: n, why: `stage ${s.name} sets no sidekiq_options_per_process: its processes run its own command`, source: s.variables["sidekiq_processes"]?.source ?? null, ...unread });
    }
  }
  const out: WorkerFacts[] = [];
  const plain = groups.get("[]");
  for (const g of [...(plain ? [plain] : []), ...[...groups.values()].filter((x) => x !== plain)]) {
    const own = g !== plain;
    const name = own ? `worker-sidekiq-${g.set.queues.length ? queueSlug(g.set.queues.join(",")) : dnsLabel(g.set.words.join(" "), 28)}` : base.name;
    const perStage = Object.fromEntries(
      stages.map((s) => [s.name, g.perStage[s.name] ?? { processes: 0, why: own ? `no Sidekiq process of stage ${s.name} got ${said(g.set.words)}` : `every Sidekiq process of stage ${s.name} got sidekiq_options_per_process words`, source: sk.plugin?.[s.name]?.perProcess?.source ?? sk.plugin?.[s.name]?.options?.source ?? null }]),
    );
    out.push({
      ...base,
      name,
      queues: own && g.set.queues.length ? g.set.queues : base.queues,
      sidekiqOptions: g.set,
      perStage,
      ...(own && g.source ? { commandSource: g.source } : {}),
      // `-t N` among the words: Sidekiq's CLI flag wins over the config file's timeout for these processes.
      ...(own && g.set.timeout !== null && g.source ? { stopTimeout: { seconds: g.set.timeout, source: g.source } } : {}),
      evidence: [...base.evidence, ...Object.values(g.perStage).filter((c) => c.source).map((c) => ({ value: c.why, source: c.source! }))],
    });
  }
  return out;
}

/**
 * The one Sidekiq worker, with its counts per stage only when a stage's sidekiq_processes cannot be
 * read: that stage's count is then asked instead of taken as 1. Otherwise the replicas rule reads
 * the variable itself (processesVariable).
 */
function unreadCounts(base: WorkerFacts, stages: Stage[], unread: readonly string[] = []): WorkerFacts {
  const read = stages.map((s) => [s, processesOf(s, unread)] as const);
  if (base.perStage || !read.some(([, r]) => r.unknown)) return base;
  const perStage: PerStage = Object.fromEntries(
    read.map(([s, r]) => {
      const f = s.variables["sidekiq_processes"];
      return [s.name, { processes: r.n, why: f ? `sidekiq_processes of stage ${s.name}` : `stage ${s.name} sets no sidekiq_processes: capistrano-sidekiq's default 1`, source: f?.source ?? null, ...(r.unknown ? { unknown: r.unknown } : {}) }];
    }),
  );
  return { ...base, perStage };
}
