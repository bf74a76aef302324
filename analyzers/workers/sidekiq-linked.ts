// The worker's Sidekiq config is a linked file: on every release Capistrano replaced the repo's
// copy with a link to shared/<path>, so the servers' Sidekiq read the shared copy. A deploy task
// may have uploaded that copy from a file the repo does not hold (Winguweb__caminos-back uploads
// `config/deploy/files/<stage>/sidekiq.yml`, a git-ignored per-stage file, to shared/config/).
// Its concurrency, queues and timeout may differ by stage from the repo's copy, and a queue only the
// server's copy names would never be worked. What the analysis read stays the repo's copy, said as
// such (SidekiqFacts.repoCopy, shown in the report and the provenance), with a named warning at
// the linked_files entry naming the upload lines.
import type { AnalyzerContext, CapistranoFacts, LinkedPath, SidekiqFacts, Source, TaskDef } from "../../src/model.js";
import { stagesRun } from "../capistrano/stage-scope.js";

export function sidekiqLinkedConfig(ctx: AnalyzerContext, cap: CapistranoFacts | null, linked: LinkedPath[], facts: SidekiqFacts): void {
  const files = [...new Set([facts.file, ...Object.values(facts.plugin ?? {}).map((p) => p.config?.value), ...Object.values(facts.configFiles ?? {}).map((c) => (c.facts ? c.file : null))].filter((f): f is string => !!f))];
  for (const file of files) {
    const l = linked.find((x) => x.kind === "file" && x.path === file && !x.serverOnly);
    if (!l) continue;
    // Only the uploads some stage of the link runs: a task hooked in another stage's file uploaded nothing there.
    const uploads = uploadLines(ctx, cap, file, false, l.stages);
    const from = uploads.map((u) => u.from).filter((f): f is string => !!f);
    if (file === facts.file) facts.repoCopy = { linked: l.source, uploads: uploads.map((u) => u.source) };
    const up = uploads.length
      ? `; the deploy uploads the servers' copy (${uploads.map((u) => `${u.source.file}:${u.source.line}${u.from ? ` from ${u.from}` : ""}${u.stages ? `, on stage${u.stages.length > 1 ? "s" : ""} ${u.stages.join(", ")} only` : ""}`).join(", ")})${from.length && from.every((f) => !held(ctx, f)) ? ", which the repo does not hold" : ""}`
      : "";
    ctx.problem({
      ...l.source,
      message: `sidekiq.config-linked: ${file} is in linked_files (stage${l.stages.length > 1 ? "s" : ""} ${l.stages.join(", ") || "all"}): the servers' Sidekiq read shared/${file}, not the repo's copy${up}; the worker's concurrency, queues and timeout here are the repo's copy's, and the image runs the repo's copy: compare it with shared/${file} on a server of each stage`,
      severity: "warning",
    });
  }
}

/**
 * The lines of the deploy's tasks that upload to `<somewhere>/<file>`, with the local file as written
 * and the task. With `inShared`, only an upload right under shared/ (`#{shared_path}/<file>`,
 * `#{deploy_to}/shared/<file>`): `database.yml` there is not `shared/config/database.yml`.
 * With `stages`, only the tasks one of those stages' deploys may run (its hooks, or the task, written
 * in their files or every stage's; a task no hook runs is kept, as before), each with the stages of
 * `stages` that run it when not all do.
 */
export function uploadLines(ctx: AnalyzerContext, cap: CapistranoFacts | null, file: string, inShared = false, stages?: readonly string[]): { source: Source; from: string | null; task: TaskDef; stages?: string[] }[] {
  const out: { source: Source; from: string | null; task: TaskDef; stages?: string[] }[] = [];
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const shared = new RegExp(`(?:\\/shared|shared_path\\)?\\})\\/${esc}(?=["'\\s,)]|$)|shared_path\\)?\\s*,\\s*["']${esc}["']`);
  const to = (dest: string) => (inShared ? shared.test(dest) : dest === file || dest.endsWith(`/${file}`) || dest.includes(`/${file}"`) || dest.includes(`/${file}'`));
  for (const t of cap?.tasks ?? []) {
    if (!t.uploads.some(to)) continue;
    const hooks = [...cap!.hooks, ...(cap!.conditionalHooks ?? [])].filter((h) => h.task.replace(/^:/, "") === t.name);
    const runsOn = stages ? (hooks.length ? stagesRun(hooks, t) : t.stages) : undefined;
    const on = runsOn ? stages!.filter((s) => runsOn.includes(s)) : undefined;
    if (on && !on.length) continue;
    const r = ctx.repo.read(t.source.file);
    if ("error" in r) continue;
    const ls = r.text.split(/\r?\n/);
    for (let i = t.source.line; i < ls.length && i < t.source.line + 60; i++) {
      const line = ls[i]!;
      if (/^\s*(task|namespace)\b/.test(line)) break;
      if (!/\b(upload!?|put)\b/.test(line) || (inShared ? !shared.test(line) : !line.includes(`/${file}`))) continue;
      const q = /\b(?:upload!?|put)\s*\(?\s*(["'])(.*?)\1/.exec(line);
      // A path with `#{…}` (the stage's name) is said as written; a plain one is checked against the repo.
      out.push({ source: { file: t.source.file, line: i + 1 }, from: q ? q[2]! : null, task: t, ...(on && on.length < stages!.length ? { stages: on } : {}) });
    }
  }
  return out;
}

/** Whether the repo holds the upload's local file; `#{…}` (the stage's name) matches any one path segment. */
function held(ctx: AnalyzerContext, from: string): boolean {
  const re = new RegExp(`^${from.replace(/^\.\//, "").split(/#\{[^}]*\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[^/]+")}$`);
  return ctx.repo.paths.some((p) => re.test(p));
}
