// Audit B13: eye or bluepill files kept per stage (`eye load …/config/eye/#{fetch(:stage)}.eye`), each
// starting Sidekiq with its own options (`-q mail -q default` on production, `-q reports` on staging).
// Each stage's servers ran their own file's line, so each stage's overlay runs that line's options:
// the Sidekiq worker takes the first stage's as the base Deployment's and every stage's own in its
// overlay's patch (emitters/kustomize/worker-deployment.ts). Read only where every stage loads a file
// of the repo holding exactly one Sidekiq process with a line the reader takes; else the load line's
// warning (supervisor-files.ts) stands and Sidekiq runs as before.
import type { AnalyzerContext, SidekiqConfigFacts, SidekiqOptionWords, Source, Stage, WorkerFacts } from "../../src/model.js";
import { backendOfCommand } from "./backends.js";
import { readSidekiqLine } from "./sidekiq-line.js";
import { serverLayout } from "./start-line.js";
import { stageSettingsAgree, supervisorLoads, supervisedProcesses, type SupervisedProcess, type SupervisorLoad } from "./supervisor-files.js";

export interface StageSidekiq {
  load: SupervisorLoad;
  /** Each stage's options, from the process of the file its deploy loads. */
  byStage: Record<string, SidekiqOptionWords & { line: Source }>;
  /** Each stage's process in its file: its count (a loop's) and stop grace. */
  processes: Record<string, SupervisedProcess>;
}

/** The Sidekiq options of each stage's own supervisor file, or null where a stage's file does not give one line the reader takes. */
export function stageFileSidekiq(ctx: AnalyzerContext, stages: readonly Stage[], readConfig: (file: string) => SidekiqConfigFacts | null): StageSidekiq | null {
  if (stages.length < 2) return null;
  const layout = serverLayout([...stages]);
  for (const load of supervisorLoads(ctx, stages)) {
    if (new Set(load.files.map((f) => f.file)).size < 2 || load.missing?.length) continue;
    const byStage: StageSidekiq["byStage"] = {};
    const processes: StageSidekiq["processes"] = {};
    let ok = true;
    for (const st of stages) {
      const f = load.files.find((x) => x.stage === st.name);
      const ps = f ? supervisedProcesses(ctx, f.file, load.tool).filter((p) => backendOfCommand(p.command ?? p.written)?.id === "sidekiq") : [];
      const p = ps.length === 1 ? ps[0]! : null;
      const r = p?.command ? readSidekiqLine(ctx, p.command, readConfig, layout) : null;
      if (!p || !r || "unknown" in r) {
        ok = false;
        break;
      }
      byStage[st.name] = { words: r.words, queues: r.queues, concurrency: r.concurrency, timeout: r.timeout, ...(r.config ? { config: r.config } : {}), line: p.commandSource, ...(r.maxThreads ? { maxThreads: r.maxThreads } : {}) };
      processes[st.name] = p;
    }
    if (ok) return { load, byStage, processes };
  }
  return null;
}

/**
 * The one Sidekiq worker with each stage's own options (the first stage's as its base); unchanged where
 * there is no such reading or Sidekiq was split. The files' process count and stop grace are carried
 * where every stage's file states the same; where they differ the load line's warning
 * (supervisorStageDoubts) names each stage's, and the worker keeps one process and its default stop.
 */
export function withStageSidekiq(ws: WorkerFacts[], byFile: StageSidekiq | null, stages: readonly Stage[]): WorkerFacts[] {
  if (!byFile || ws.length !== 1 || ws[0]!.sidekiqOptions) return ws;
  const w = ws[0]!;
  const first = byFile.byStage[stages[0]!.name]!;
  const at = (x: Source) => `${x.file}:${x.line}`;
  const ps = stages.map((st) => byFile.processes[st.name]!);
  const same = stageSettingsAgree(ps);
  const p0 = ps[0]!;
  return [
    {
      ...w,
      sidekiqOptions: first,
      stageSidekiqOptions: byFile.byStage,
      queues: first.queues.length ? first.queues : w.queues,
      commandSource: first.line,
      commandNote: `${byFile.load.tool} loads a file per stage (${at(byFile.load.source)}): each stage's overlay runs its own file's Sidekiq line (${stages.map((st) => `${st.name}: ${at(byFile.byStage[st.name]!.line)}`).join(", ")})`,
      evidence: [...w.evidence, ...stages.map((st) => ({ value: `stage ${st.name}: ${byFile.load.tool} runs Sidekiq with \`${byFile.byStage[st.name]!.words.join(" ") || "no options"}\``, source: byFile.byStage[st.name]!.line }))],
      ...(same && p0.count! > 1 ? { processesPerServer: { value: p0.count!, why: `each stage's ${byFile.load.tool} file starts ${p0.count} Sidekiq processes (${p0.loop?.written ?? "a loop"})`, source: p0.loop?.source ?? p0.source } } : {}),
      ...(same && p0.stop ? { stopTimeout: { seconds: p0.stop.seconds, source: p0.stop.source } } : {}),
    },
  ];
}
