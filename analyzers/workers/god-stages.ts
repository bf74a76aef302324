// God files kept per stage (config/god/<stage>/x.god beside config/god/x.god, or by suffix:
// config/god/x_<stage>.god, config/x.<stage>.god, config/god/<stage>.god, as a deploy loading
// `#{fetch(:stage)}.god` finds them): a file under a directory named for a stage, or whose name ends
// in a stage's name, is what that stage's servers ran; a file without one serves each stage that
// keeps no copy of its own. A stage that has none of a set of per-stage files (and no file without a
// suffix) ran one of them, or none: which one its deploy loads is not read, so its count is asked. Each watch's processes are grouped by the env god
// gives them (QUEUE, WORKERS…): one worker per distinct (command, env), with each stage's count per
// server from that stage's file (a stage whose file does not start it runs none).
import type { AnalyzerContext, Source, Stage, WorkerFacts } from "../../src/model.js";
import { godWatchGroups } from "./god.js";

type Line = { command: string; source: Source };
type Command = Pick<WorkerFacts, "args" | "env" | "commandFrom" | "commandSource" | "commandNote" | "queues">;

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "worker";

/** A god file named for a stage: `<stage>.god`, or `<stem>` then `_`, `-` or `.` then `<stage>.god`; its stem (the name without the stage). */
function stageSuffix(base: string, names: readonly string[], ext = ".god"): { stage: string; stem: string } | null {
  // The longest stage name first (`production` before a stage named `tion`).
  for (const s of [...names].sort((a, b) => b.length - a.length)) {
    if (base === `${s}${ext}`) return { stage: s, stem: "" };
    for (const sep of ["_", "-", "."]) if (base.endsWith(`${sep}${s}${ext}`) && base.length > s.length + 1 + ext.length) return { stage: s, stem: base.slice(0, -(s.length + 1 + ext.length)) };
  }
  return null;
}

/**
 * The stage a service manager's file (a god file, a systemd unit, an init script) was kept for: the
 * same rule as god files' (a directory named for the stage, or the stage's name ending the file's
 * name before its extension); null when the file names no stage.
 */
export function fileStage(file: string, names: readonly string[]): string | null {
  const parts = file.split("/");
  const own = parts[parts.length - 2];
  if (own && names.includes(own)) return own;
  const base = parts[parts.length - 1]!;
  const ext = /(?:\.service\.erb|\.service|\.god|\.sh|\.erb|\.init|\.conf)$/.exec(base)?.[0] ?? "";
  return stageSuffix(base, names, ext)?.stage ?? null;
}

/**
 * Stages with none of a set of per-stage god files (by suffix) and no file without the suffix: per
 * set (its directory and stem), the stages and the files of the other stages.
 */
export function godStagesWithoutFile(lines: Line[], stages: Stage[]): { stages: string[]; files: string[] }[] {
  const names = stages.map((s) => s.name);
  const files = [...new Set(lines.map((l) => l.source.file))];
  const sets = new Map<string, { files: string[]; covered: Set<string>; plain: boolean }>();
  for (const f of files) {
    const dir = f.split("/").slice(0, -1).join("/");
    const base = f.split("/").pop()!;
    const sx = stageSuffix(base, names);
    const key = `${dir}\0${sx ? sx.stem : base.replace(/\.god$/, "")}`;
    const set = sets.get(key) ?? { files: [], covered: new Set<string>(), plain: false };
    set.files.push(f);
    if (sx) set.covered.add(sx.stage);
    else set.plain = true;
    sets.set(key, set);
  }
  return [...sets.values()].filter((x) => x.covered.size && !x.plain).map((x) => ({ stages: names.filter((n) => !x.covered.has(n)), files: x.files })).filter((x) => x.stages.length);
}

/** The stages each god file serves by where it lies or how it is named; null when a file is not a god file, or nothing in the names splits the stages. */
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
    const sx = stageSuffix(base, [...names]);
    if (own && names.has(own)) out.set(f, [own]);
    else if (sx) out.set(f, [sx.stage]);
    else {
      // A file without a suffix serves the stages that keep no copy of their own: in a stage's directory, or named for the stage.
      const stem = base.replace(/\.god$/, "");
      const ownCopy = (s: string) => files.includes([...dir, s, base].join("/")) || files.some((g) => g.split("/").slice(0, -1).join("/") === dir.join("/") && stageSuffix(g.split("/").pop()!, [s])?.stem === stem);
      out.set(f, stages.map((s) => s.name).filter((s) => !ownCopy(s)));
    }
  }
  // Only worth it when the directories or names split the stages; else every file is every stage's.
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
  // A stage none of a set of per-stage files names: its deploy loads one of them (or none), which is not
  // read. Never another stage's count taken as its own: the count is asked, with the first file's as the default.
  for (const gap of godStagesWithoutFile(lines, stages))
    for (const k of kinds.values()) {
      const first = Object.values(k.perStage)[0];
      if (!first) continue;
      ctx.problem({ ...first.source!, message: `workers.god-stage-file-unknown: ${base.label}: stage${gap.stages.length > 1 ? "s" : ""} ${gap.stages.join(", ")} ${gap.stages.length > 1 ? "have" : "has"} no god file of ${gap.stages.length > 1 ? "their" : "its"} own among ${gap.files.join(", ")}, each named for another stage: which one ${gap.stages.length > 1 ? "their deploys load" : "its deploy loads"} (or none) is not read; the worker's processes per server there are asked`, severity: "warning" });
      for (const s of gap.stages)
        k.perStage[s] = { processes: first.processes, why: `stage ${s} has no god file of its own among ${gap.files.join(", ")}, each named for another stage`, source: first.source, unknown: `which god file stage ${s}'s deploy loads is not read (${gap.files.join(", ")} are named for other stages); the count shown is ${first.source?.file ?? "the first file"}'s, as a default` };
    }
  const many = kinds.size > 1;
  return [...kinds.values()].map((k) => {
    const tag = k.env["QUEUE"] ?? k.env["QUEUES"] ?? k.env["WORKERS"] ?? Object.values(k.env)[0] ?? "";
    const queues = k.env["QUEUE"] ?? k.env["QUEUES"];
    return { ...base, ...k.cmd, env: k.env, ...(queues ? { queues: queues.split(",") } : {}), name: many ? `worker-${base.backend}-${slug(tag.split(",")[0]!)}` : `worker-${base.backend}`, carried: true, perStage: k.perStage, evidence: [...base.evidence, ...k.evidence] };
  });
}
