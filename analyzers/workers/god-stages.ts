// God files kept per stage (config/god/<stage>/x.god beside config/god/x.god): a file under a
// directory named for a stage is what that stage's servers ran; a file above serves each stage
// that keeps no copy of its own under that name. Each watch's processes are grouped by the env god
// gives them (QUEUE, WORKERS…): one worker per distinct (command, env), with each stage's count per
// server from that stage's file (a stage whose file does not start it runs none).
import type { AnalyzerContext, Source, Stage, WorkerFacts } from "../../src/model.js";
import { godWatchGroups } from "./god.js";

type Line = { command: string; source: Source };
type Command = Pick<WorkerFacts, "args" | "env" | "commandFrom" | "commandSource" | "commandNote" | "queues">;

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "worker";

/** The stages each god file serves by where it lies; null when a file is not a god file or lies under a directory that names no stage. */
export function godFileStages(lines: Line[], stages: Stage[]): Map<string, string[]> | null {
  const names = new Set(stages.map((s) => s.name));
  const files = [...new Set(lines.map((l) => l.source.file))];
  if (!files.every((f) => f.endsWith(".god"))) return null;
  const out = new Map<string, string[]>();
  for (const f of files) {
    const parts = f.split("/");
    const dir = parts.slice(0, -1);
    const base = parts[parts.length - 1]!;
    const own = dir[dir.length - 1];
    if (own && names.has(own)) out.set(f, [own]);
    else out.set(f, stages.map((s) => s.name).filter((s) => !files.includes([...dir, s, base].join("/"))));
  }
  // Only worth it when the directories split the stages; else every file is every stage's.
  return [...out.values()].some((v) => v.length < stages.length) ? out : null;
}

export function godStageWorkers(
  ctx: AnalyzerContext,
  base: Omit<WorkerFacts, "name" | keyof Command | "carried">,
  lines: Line[],
  stages: Stage[],
  commandFor: (line: Line) => Command,
): WorkerFacts[] | null {
  const byFile = lines.length > 1 ? godFileStages(lines, stages) : lines.length === 1 && lines[0]!.source.file.endsWith(".god") ? new Map([[lines[0]!.source.file, stages.map((s) => s.name)]]) : null;
  if (!byFile) return null;
  const kinds = new Map<string, { cmd: Command; env: Record<string, string>; perStage: NonNullable<WorkerFacts["perStage"]>; evidence: WorkerFacts["evidence"] }>();
  const read: { line: Line; groups: NonNullable<ReturnType<typeof godWatchGroups>> }[] = [];
  for (const line of lines) {
    const r = ctx.repo.read(line.source.file);
    if (!("text" in r)) return null;
    const groups = godWatchGroups(line.source.file, r.text, line.source.line - 1);
    if (!groups) return null;
    read.push({ line, groups });
  }
  // One file with one kind of process and no env: nothing to split; the caller's reading stands.
  if (lines.length === 1 && read[0]!.groups.length === 1 && !Object.keys(read[0]!.groups[0]!.env).length) return null;
  for (const { line, groups } of read) {
    const on = byFile.get(line.source.file) ?? [];
    for (const g of groups) {
      if (g.unknown.length)
        ctx.problem({ ...line.source, message: `${base.label}: the god watch sets ${g.unknown.join(", ")} in w.env to a value not known statically: left out of the worker's env; set it by hand`, severity: "warning" });
      const cmd = commandFor(line);
      const env = { ...cmd.env, ...g.env };
      const key = JSON.stringify([cmd.args, env]);
      const k = kinds.get(key) ?? { cmd, env, perStage: {}, evidence: [] };
      kinds.set(key, k);
      const envSaid = Object.entries(g.env).map(([a, b]) => `${a}=${b}`).join(" ");
      for (const s of on) {
        const prev = k.perStage[s];
        const why = `${line.source.file}:${line.source.line} starts ${g.count} process${g.count === 1 ? "" : "es"}${envSaid ? ` with ${envSaid}` : ""} per server${on.length < stages.length ? ` (the stage's god file${line.source.file.split("/").slice(-2, -1)[0] === s ? ": its directory names the stage" : ": the stage keeps no copy of its own"})` : ""}`;
        k.perStage[s] = prev ? { processes: prev.processes + g.count, why: `${prev.why}; ${why}`, source: prev.source } : { processes: g.count, why, source: line.source };
      }
      k.evidence.push({ value: `${line.source.file}: ${g.count} × ${line.command}${envSaid ? ` (${envSaid})` : ""} on ${on.length ? `stages ${on.join(", ")}` : "no stage"}`, source: line.source });
    }
  }
  const many = kinds.size > 1;
  return [...kinds.values()].map((k) => {
    const tag = k.env["QUEUE"] ?? k.env["QUEUES"] ?? k.env["WORKERS"] ?? Object.values(k.env)[0] ?? "";
    const queues = k.env["QUEUE"] ?? k.env["QUEUES"];
    return { ...base, ...k.cmd, env: k.env, ...(queues ? { queues: queues.split(",") } : {}), name: many ? `worker-${base.backend}-${slug(tag.split(",")[0]!)}` : `worker-${base.backend}`, carried: true, perStage: k.perStage, evidence: [...base.evidence, ...k.evidence] };
  });
}
