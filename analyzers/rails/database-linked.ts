// config/database.yml linked from shared/ (linked_files, or `ln -nfs` in a task): on every release
// Capistrano replaced the checkout's copy with a link to shared/config/database.yml, so the servers
// connected with the shared copy, not the repo's. The repo's copy is often a developer's (another
// database name, another pool), and taking it as production's is how a cutover points at the wrong
// database. So the repo's copy is said to be not what ran (DatabaseFacts.serversCopy), each stage's
// database becomes DATABASE_URL (emitters/kustomize/rules.ts serverOnlyFiles, filled per stage),
// and one named warning says where the servers' copy came from:
// - a template the deploy renders there (`template "postgresql.yml.erb", "#{shared_path}/config/database.yml"`,
//   the Railscasts recipes): rendered per stage with the stage's variables, its database, host,
//   username, pool and adapter cited from the template (the password never printed);
// - an upload (`upload!`/`put`): the line, and whether the repo holds the local file;
// - nothing in the repo: placed on the servers by hand, so what it named is unknown.
// The same shape as sidekiq-linked.ts, which does this for a linked sidekiq.yml.
import type { AnalyzerContext, CapistranoFacts, DatabaseFacts, LinkedPath, ReleaseCopy, RValue, Stage } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { renderErb } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { loadRubyYaml } from "../ruby/yaml.js";
import { isHash } from "../ruby/evaluate.js";
import { uploadLines } from "../workers/sidekiq-linked.js";
import { readErbYaml } from "./erb-yaml.js";

const FILE = "config/database.yml";
/** Keys said per stage; a password (or anything else) is never printed. */
const SHOWN = ["adapter", "database", "host", "port", "username", "pool"] as const;

export function databaseServersCopy(ctx: AnalyzerContext, cap: CapistranoFacts | null, linked: LinkedPath[], stages: Stage[], db: DatabaseFacts | null): void {
  const copies = (cap?.releaseCopies ?? []).filter((c) => c.path === FILE);
  if (copies.length) return repoFileCopied(ctx, copies, stages, db);
  const l = linked.find((x) => x.kind === "file" && x.path === FILE);
  if (!l || !db || db.file !== FILE) return;
  const hits = (dest: string) => dest === FILE || dest.endsWith(`/${FILE}`) || dest.includes(`/${FILE}"`) || dest.includes(`/${FILE}'`);
  const renders = (cap?.tasks ?? []).flatMap((t) => (t.renders ?? []).filter((r) => hits(r.destination)));
  const uploads = uploadLines(ctx, cap, FILE).filter((u) => !renders.some((r) => r.source.file === u.source.file && r.source.line === u.source.line));
  db.serversCopy = { linked: l.source, writes: [...renders.map((r) => r.source), ...uploads.map((u) => u.source)], ...(renders.length ? { templates: [...new Set(renders.map((r) => r.template))] } : {}), ...(l.via ? { via: l.via } : {}) };
  // A `cp` of the shared file over the release's is the same as a link for the app.
  const took = l.via ? `copied over the release's from shared/ by \`${l.via}\` in a deploy task` : "linked from shared/";
  const on = l.stages.length ? `stage${l.stages.length > 1 ? "s" : ""} ${l.stages.join(", ")}` : "all stages";
  let how: string;
  if (renders.length) {
    const per: string[] = [];
    for (const r of renders) {
      const read = ctx.repo.read(r.template);
      if (!("text" in read)) {
        per.push(`${r.template} (rendered at ${r.source.file}:${r.source.line}) could not be read: ${read.error}`);
        continue;
      }
      for (const st of stages.filter((s) => !l.stages.length || l.stages.includes(s.name))) per.push(`stage ${st.name}: ${renderedSection(r.template, read.text, st)}`);
    }
    how = `the deploy renders the servers' copy from ${[...new Set(renders.map((r) => r.template))].join(", ")} (${renders.map((r) => `${r.source.file}:${r.source.line}`).join(", ")}): ${per.join("; ")}`;
  } else if (uploads.length) {
    how = `the deploy uploads the servers' copy (${uploads.map((u) => `${u.source.file}:${u.source.line}${u.from ? ` from ${u.from}` : ""}`).join(", ")}); what it names is not read here`;
  } else how = "nothing in the repo writes shared/config/database.yml: it was placed on the servers by hand, and what it names is not known";
  ctx.problem({
    ...l.source,
    message: `database.servers-copy: ${FILE} is ${took} (${on}): the servers connected with shared/${FILE}, not the repo's copy; ${how}. The repo's ${FILE} is not taken as what production used: each stage's database is DATABASE_URL (its secrets.env), to be filled with the servers' database; Rails merges DATABASE_URL over the image's copy, so keys the URL does not give (pool, timeout) stay the repo's copy's: give them as URL parameters (?pool=N)`,
    severity: "warning",
  });
}

/**
 * `cp #{release_path}/config/database.yml.#{rails_env} #{release_path}/config/database.yml`: each
 * stage's servers connected with the repo file the copy named, not with config/database.yml. Its
 * section is cited per stage (password never printed), and the image, which never ran that copy,
 * gets DATABASE_URL per stage like the linked case.
 */
function repoFileCopied(ctx: AnalyzerContext, copies: ReleaseCopy[], stages: Stage[], db: DatabaseFacts | null): void {
  const c = copies[0]!;
  const per: { stage: string; file: string | null; why?: string }[] = [];
  for (const x of copies) for (const s of x.stages) if (!per.some((p) => p.stage === s.stage)) per.push(s);
  if (db) db.serversCopy = { linked: c.source, writes: copies.slice(1).map((x) => x.source), fromRepo: per };
  const said = per.map((p) => {
    const st = stages.find((s) => s.name === p.stage);
    if (!p.file || !st) return `stage ${p.stage}: not known (${p.why ?? "no such stage"})`;
    return `stage ${p.stage}: ${p.file}, ${repoSection(ctx, p.file, st)}`;
  });
  const image = db?.file === FILE ? `the image carries the repo's ${FILE}, which is not what any stage's servers read` : `the image has no ${FILE} of its own for them`;
  ctx.problem({
    ...c.source,
    message: `database.servers-copy: a deploy task copies ${c.written} over ${FILE} in the release (${copies.map((x) => `${x.source.file}:${x.source.line}`).join(", ")}): the servers connected with that repo file, per stage: ${said.join("; ")}. ${image}: each stage's database is DATABASE_URL (its secrets.env), to be filled from the file above or a server's ${FILE}; give pool and timeout as URL parameters (?pool=N)`,
    severity: "warning",
  });
}

/** The stage's section of a repo database.yml the deploy copies in place, in words (SHOWN keys only). */
function repoSection(ctx: AnalyzerContext, file: string, stage: Stage): string {
  const yaml = readErbYaml(ctx, file);
  if (!yaml) return "which could not be read";
  return sectionWords(file, yaml.value, stage, (p) => yaml.lineOf(p));
}

/** The stage's section of a rendered database.yml template, in words (keys of SHOWN only), each with its template line. */
function renderedSection(file: string, text: string, stage: Stage): string {
  const out = renderErb(file, text, stageScope(stage));
  if (out.raises.length) return `rendering fails at ${file}:${out.lines[out.raises[0]!.line] ?? out.raises[0]!.line} (${out.raises[0]!.why})`;
  const yaml = loadRubyYaml(out.output);
  return sectionWords(file, yaml.value, stage, (p) => out.lines[yaml.lineOf(p)] ?? yaml.lineOf(p));
}

function sectionWords(file: string, value: RValue, stage: Stage, lineOf: (path: string[]) => number): string {
  const env = railsEnvOf(stage);
  const yaml = { value, lineOf };
  const section = isHash(yaml.value) ? (yaml.value as Record<string, RValue>)[env] : undefined;
  if (section === undefined || !isHash(section)) return `no ${env} section is known in ${file}`;
  const parts: string[] = [];
  for (const k of SHOWN) {
    if (!(k in section)) continue;
    const v = (section as Record<string, RValue>)[k];
    const at = yaml.lineOf([env, k]);
    const known = (typeof v === "string" && !/R2K_REF_\d+_/.test(v)) || typeof v === "number";
    parts.push(`${k} ${known ? JSON.stringify(v) : "not known statically"} (${file}:${at})`);
  }
  const host = (section as Record<string, RValue>)["host"];
  if (!("host" in section) && !("url" in section) && !("socket" in section)) parts.push("no host (the server's local socket: a database on the server itself, which no pod reaches)");
  else if (typeof host === "string" && /^(localhost|127\.\d+\.\d+\.\d+|::1)$/.test(host)) parts.push("a database on the server itself, which no pod reaches");
  return parts.join(", ") || `its ${env} section names none of ${SHOWN.join(", ")}`;
}
