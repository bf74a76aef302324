// config/database.yml linked from shared/ (linked_files, or `ln -nfs` in a task): on every release
// Capistrano replaced the checkout's copy with a link to shared/config/database.yml, so the servers
// connected with the shared copy, not the repo's. The repo's copy is often a developer's (another
// database name, another pool), and taking it as production's is how a cutover points at the wrong
// database. So the repo's copy is said to be not what ran (DatabaseFacts.serversCopy), each stage's
// database becomes DATABASE_URL (emitters/kustomize/rules/server-files.ts serverOnlyFiles, filled per stage),
// and one named warning says where the servers' copy came from:
// - a template the deploy renders there (`template "postgresql.yml.erb", "#{shared_path}/config/database.yml"`,
//   the Railscasts recipes): rendered per stage with the stage's variables, its database, host,
//   username, pool and adapter cited from the template (the password never printed);
// - an upload (`upload!`/`put`): the line, and whether the repo holds the local file;
// - nothing in the repo: placed on the servers by hand, so what it named is unknown.
// The same shape as sidekiq-linked.ts, which does this for a linked sidekiq.yml.
// config/mongoid.yml linked and rendered the same way (a `db:setup` task writing the template to
// shared/config/mongoid.yml) gets the same warning, rendered per stage; and where the servers'
// rendering differs from the repo's copy (another database name), each difference is said with both
// lines: the image carries the repo's copy, the servers ran the rendering. A repo with no
// config/database.yml of its own (only an example) whose deploy renders the servers' copy gets the
// rendered values per stage too: they are what each stage's DATABASE_URL must name.
import type { AnalyzerContext, CapistranoFacts, DatabaseFacts, LinkedPath, ReleaseCopy, RValue, ServersDatabase, ServersDbValue, Source, Stage, TaskDef, TemplateRender } from "../../src/model.js";
import { hookRunning } from "../capistrano/tasks.js";
import { writtenOnStage } from "../capistrano/stage-scope.js";
import { hasPath, isSym, railsEnvIsCap2Default, railsEnvOf } from "../../src/model.js";
import { renderErb } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { loadRubyYaml } from "../ruby/yaml.js";
import { isHash } from "../ruby/evaluate.js";
import { uploadLines } from "../workers/sidekiq-linked.js";
import { readErbYaml } from "./erb-yaml.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";
import { PASSWORD_NOT_SHOWN, withoutPassword } from "../../src/model/servers-database.js";

const FILE = "config/database.yml";
/** Keys said per stage; a password (or anything else) is never printed. */
const SHOWN = ["adapter", "database", "host", "port", "username", "pool"] as const;

/**
 * Says where each stage's servers' database config came from, and returns what it named per stage
 * (RailsFacts.serversDatabases) where the repo holds its content (a rendered template, a per-stage copy).
 */
export function databaseServersCopy(ctx: AnalyzerContext, cap: CapistranoFacts | null, linked: LinkedPath[], stages: Stage[], db: DatabaseFacts | null): ServersDatabase[] {
  const named: ServersDatabase[] = [];
  for (const file of OTHER_DB_FILES) otherServersCopy(ctx, cap, linked, stages, file, named);
  const copies = (cap?.releaseCopies ?? []).filter((c) => c.path === FILE);
  if (copies.length) return repoFileCopied(ctx, cap, copies, stages, db, named), named;
  const l = linked.find((x) => x.kind === "file" && x.path === FILE);
  if (!l) return named;
  // The shared/ file the link names: shared/config/database.yml unless the task's `ln` says another
  // (`ln -nfs #{deploy_to}/shared/database.yml …`): what a task must write to be the servers' copy.
  const shared = l.shared ?? FILE;
  const renders = rendersTo(cap, shared, l.shared !== undefined);
  if ((!db || db.file !== FILE) && !hasPath(ctx.repo, FILE)) {
    // No database.yml in the repo: only the servers' copy ran; what the deploy renders is what each stage used.
    // The repo's example (database.yml.example) is then never a stage's database: marked so that
    // its adapters are said as the example's and the servers' copy is the hazard.
    if (db) db.serversCopy = { linked: l.source, writes: renders.map((r) => r.source), ...(renders.length ? { templates: [...new Set(renders.map((r) => r.template))] } : {}), ...(l.via ? { via: l.via } : {}), ...(l.condition ? { condition: l.condition } : {}), ...(l.shared !== undefined ? { shared: l.shared } : {}) };
    if (renders.length)
      ctx.problem({ ...l.source, message: `database.servers-copy: ${FILE} is linked from shared/${l.shared ?? ""} (${onStages(l)}) and the repo has none${db ? ` (only ${db.file})` : ""}: the servers connected with shared/${shared}; ${renderedHow(ctx, cap, renders, l, stages, FILE, null, named)}. Each stage's database is DATABASE_URL (its secrets.env), to be filled with these values and the servers' password`, severity: "warning" });
    return named;
  }
  if (!db || db.file !== FILE) return named;
  const uploads = uploadLines(ctx, cap, shared, l.shared !== undefined).filter((u) => !renders.some((r) => r.source.file === u.source.file && r.source.line === u.source.line));
  // A task uploading a file the repo holds (`upload! 'config/database.yml', "#{deploy_to}/shared/database.yml"`):
  // the servers' copy is that repo file, as with a copy in the release (repoFileCopied).
  const repoUpload = !renders.length && uploads.length === 1 && uploads[0]!.from && !/#\{/.test(uploads[0]!.from) && hasPath(ctx.repo, uploads[0]!.from.replace(/^\.\//, "")) ? uploads[0]! : null;
  if (repoUpload) return repoFileUploaded(ctx, cap, l, shared, repoUpload, stages, db, named), named;
  db.serversCopy = { linked: l.source, writes: [...renders.map((r) => r.source), ...uploads.map((u) => u.source)], ...(renders.length ? { templates: [...new Set(renders.map((r) => r.template))] } : {}), ...(l.via ? { via: l.via } : {}), ...(l.condition ? { condition: l.condition } : {}), ...(l.shared !== undefined ? { shared: l.shared } : {}) };
  // A `cp` of the shared file over the release's is the same as a link for the app.
  const took = l.via ? `copied over the release's from shared/ by \`${l.via}\` in a deploy task${l.condition ? ` (it landed ${l.condition}: read as the servers' copy, which is not certain)` : ""}` : l.condition ? `linked from shared/ ${l.condition} (read as the servers' copy, which is not certain)` : l.glob ? `linked from shared/ by the glob ${l.glob.pattern} (${l.source.file}:${l.source.line}${l.glob.expandedBy ? `, which task ${l.glob.expandedBy.task} expands in shared/, ${l.glob.expandedBy.source.file}:${l.glob.expandedBy.source.line}` : ""})` : "linked from shared/";
  const on = onStages(l);
  let how: string;
  if (renders.length) {
    how = renderedHow(ctx, cap, renders, l, stages, FILE, FILE, named);
  } else if (uploads.length) {
    how = `the deploy uploads the servers' copy (${uploads.map((u) => `${u.source.file}:${u.source.line}${u.from ? ` from ${u.from}` : ""}`).join(", ")}); what it names is not read here`;
  } else how = `nothing in the repo writes shared/${shared}: it was placed on the servers by hand, and what it names is not known`;
  ctx.problem({
    ...l.source,
    message: `database.servers-copy: ${FILE} is ${took} (${on}): the servers connected with shared/${shared}, not the repo's copy; ${how}. The repo's ${FILE} is not taken as what production used: each stage's database is DATABASE_URL (its secrets.env), to be filled with the servers' database; Rails merges DATABASE_URL over the image's copy, so keys the URL does not give (pool, timeout) stay the repo's copy's: give them as URL parameters (?pool=N)`,
    severity: "warning",
  });
  return named;
}

/** Database configs other than database.yml that the app reads and a deploy may link and render. */
const OTHER_DB_FILES = ["config/mongoid.yml"];

const onStages = (l: LinkedPath) => (l.stages.length ? `stage${l.stages.length > 1 ? "s" : ""} ${l.stages.join(", ")}` : "all stages");

/** Whether the task that writes the servers' copy wrote it on the stage's servers (stage-scope.ts writtenOnStage). */
const writtenOn = (ctx: AnalyzerContext, cap: CapistranoFacts | null, task: TaskDef | undefined, stages: Stage[]) =>
  writtenOnStage(cap, task, stages, (f) => {
    const r = ctx.repo.read(f);
    return "text" in r ? r.text : "";
  });

/** A stage whose servers' copy no task of the repo wrote: what it names is not known, said why. */
const notWritten = (st: Stage, file: string, from: string, why: string, source: Source): ServersDatabase => {
  const unknown = { unknown: `stage ${st.name}'s servers' ${file} was not written by the deploy (${why}): placed on them by hand or by the task run by hand, so what it names is not known`, source };
  return { stage: st.name, file, from, section: railsEnvOf(st), database: unknown, host: unknown, username: unknown };
};

/** The render calls whose destination is `file` (`"#{shared_path}/config/mongoid.yml"`); with `inShared`, right under shared/ only. */
function rendersTo(cap: CapistranoFacts | null, file: string, inShared = false): TemplateRender[] {
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const shared = new RegExp(`(?:\\/shared|shared_path\\)?\\})\\/${esc}(?=["'\\s,)]|$)|shared_path\\)?\\s*,\\s*["']${esc}["']`);
  const hits = (dest: string) => (inShared ? shared.test(dest) : dest === file || dest.endsWith(`/${file}`) || dest.includes(`/${file}"`) || dest.includes(`/${file}'`));
  return (cap?.tasks ?? []).flatMap((t) => (t.renders ?? []).filter((r) => hits(r.destination)));
}

/**
 * "the deploy renders the servers' copy from T (line): stage s: …; …", with where it differs from the
 * repo's `repoFile`; what each stage's rendering names is added to `named` (the app's `file`).
 */
function renderedHow(ctx: AnalyzerContext, cap: CapistranoFacts | null, renders: TemplateRender[], l: LinkedPath, stages: Stage[], file: string, repoFile: string | null, named: ServersDatabase[]): string {
  const per: string[] = [];
  const repoText = repoFile ? ctx.repo.read(repoFile) : null;
  for (const r of renders) {
    const read = ctx.repo.read(r.template);
    if (!("text" in read)) {
      per.push(`${r.template} (rendered at ${r.source.file}:${r.source.line}) could not be read: ${read.error}`);
      continue;
    }
    const task = cap?.tasks.find((t) => t.renders?.includes(r));
    const wrote = writtenOn(ctx, cap, task, stages);
    for (const st of stages.filter((s) => (!l.stages.length || l.stages.includes(s.name)) && (r.stage === undefined || r.stage === s.name))) {
      const w = wrote(st);
      if (!w.runs) {
        if (!named.some((n) => n.stage === st.name && n.file === file)) named.push(notWritten(st, file, r.template, w.why, r.source));
        per.push(`stage ${st.name}: not rendered by its deploy (${w.why}), so what its servers' copy names is not known`);
        continue;
      }
      const said = renderedSection(r.template, read.text, st);
      if (said.value !== undefined && !named.some((n) => n.stage === st.name && n.file === file)) named.push(namedDatabase(cap, st, file, r.template, said.value, said.lineOf!));
      let diff = "";
      if (repoFile && repoText && "text" in repoText && said.leaves) {
        const repo = repoLeaves(repoFile, repoText.text, railsEnvOf(st));
        const d = repo.length ? differences(said.leaves, repo, r.template, repoFile) : [];
        diff = !repo.length ? `; the repo's ${repoFile} has no ${railsEnvOf(st)} section` : d.length ? `; it differs from the repo's ${repoFile}: ${d.join(", ")}` : "";
      }
      per.push(`stage ${st.name}: ${said.text}${diff}${w.doubt ? ` (read as rendered there, which is not certain: ${w.doubt})` : ""}`);
    }
  }
  return `the deploy renders the servers' copy from ${[...new Set(renders.map((r) => r.template))].join(", ")} (${renders.map((r) => `${r.source.file}:${r.source.line}`).join(", ")}): ${per.join("; ")}`;
}

/** A linked mongoid.yml (and the like): the servers' copy said per stage, and where it differs from the repo's. */
function otherServersCopy(ctx: AnalyzerContext, cap: CapistranoFacts | null, linked: LinkedPath[], stages: Stage[], file: string, named: ServersDatabase[]): void {
  const l = linked.find((x) => x.kind === "file" && x.path === file);
  if (!l) return;
  const renders = rendersTo(cap, file);
  if (!renders.length) return;
  const inRepo = hasPath(ctx.repo, file);
  ctx.problem({
    ...l.source,
    message: `database.servers-copy: ${file} is linked from shared/ (${onStages(l)}): the servers connected with shared/${file}, ${inRepo ? "not the repo's copy" : "which the repo does not hold"}; ${renderedHow(ctx, cap, renders, l, stages, file, inRepo ? file : null, named)}. ${inRepo ? `The image carries the repo's ${file}: before the cutover, give the pods the servers' values (the rendered database name and hosts), not the repo's` : `The image has no ${file}: give the pods the servers' values`}`,
    severity: "warning",
  });
}

/**
 * `cp #{release_path}/config/database.yml.#{rails_env} #{release_path}/config/database.yml`: each
 * stage's servers connected with the repo file the copy named, not with config/database.yml. Its
 * section is cited per stage (password never printed), and the image, which never ran that copy,
 * gets DATABASE_URL per stage like the linked case.
 */
function repoFileCopied(ctx: AnalyzerContext, cap: CapistranoFacts | null, copies: ReleaseCopy[], stages: Stage[], db: DatabaseFacts | null, named: ServersDatabase[]): void {
  const c = copies[0]!;
  const per: { stage: string; file: string | null; why?: string }[] = [];
  for (const x of copies) for (const s of x.stages) if (!per.some((p) => p.stage === s.stage)) per.push(s);
  if (db) db.serversCopy = { linked: c.source, writes: copies.slice(1).map((x) => x.source), fromRepo: per };
  const said = per.map((p) => {
    const st = stages.find((s) => s.name === p.stage);
    if (!p.file || !st) {
      const unknown = { unknown: `the file the copy names is not known (${p.why ?? "no such stage"})`, source: c.source };
      named.push({ stage: p.stage, file: FILE, from: c.written, section: st ? railsEnvOf(st) : p.stage, database: unknown, host: unknown, username: unknown });
      return `stage ${p.stage}: not known (${p.why ?? "no such stage"})`;
    }
    return `stage ${p.stage}: ${p.file}, ${repoSection(ctx, cap, p.file, st, named)}`;
  });
  const image = db?.file === FILE ? `the image carries the repo's ${FILE}, which is not what any stage's servers read` : `the image has no ${FILE} of its own for them`;
  ctx.problem({
    ...c.source,
    message: `database.servers-copy: a deploy task copies ${c.written} over ${FILE} in the release (${copies.map((x) => `${x.source.file}:${x.source.line}`).join(", ")}): the servers connected with that repo file, per stage: ${said.join("; ")}. ${image}: each stage's database is DATABASE_URL (its secrets.env), to be filled from the file above or a server's ${FILE}; give pool and timeout as URL parameters (?pool=N)`,
    severity: "warning",
  });
}

/**
 * A deploy task uploads a file the repo holds to the shared/ file the release links as
 * config/database.yml: each stage's servers connected with that repo file's section for its
 * rails_env, as of the task's last run (a task no hook runs was run by hand). Cited per stage, the
 * password never printed; the image still gets DATABASE_URL per stage, as for a copy.
 */
function repoFileUploaded(ctx: AnalyzerContext, cap: CapistranoFacts | null, l: LinkedPath, shared: string, u: { source: { file: string; line: number }; from: string | null; task: TaskDef }, stages: Stage[], db: DatabaseFacts, named: ServersDatabase[]): void {
  const from = u.from!.replace(/^\.\//, "");
  const on = stages.filter((s) => !l.stages.length || l.stages.includes(s.name));
  const hook = hookRunning(u.task, cap?.hooks ?? []);
  const wrote = writtenOn(ctx, cap, u.task, stages);
  db.serversCopy = {
    linked: l.source,
    writes: [u.source],
    fromRepo: on.map((s) => {
      const w = wrote(s);
      return w.runs ? { stage: s.name, file: from } : { stage: s.name, file: null, why: w.why };
    }),
    shared,
    uploadedBy: { task: u.task.name, byHand: !hook },
    ...(l.via ? { via: l.via } : {}),
  };
  const when = hook ? `hooked at ${hook.source.file}:${hook.source.line}` : `no hook of the deploy runs it: it was run by hand (\`cap <stage> ${u.task.name}\`), so the servers held the repo's file as of its last run`;
  const said = on.map((st) => {
    const w = wrote(st);
    if (!w.runs) {
      named.push(notWritten(st, FILE, from, w.why, u.source));
      return `stage ${st.name}: not uploaded by its deploy (${w.why}), so what its servers' copy names is not known`;
    }
    return `stage ${st.name}: ${repoSection(ctx, cap, from, st, named)}${w.doubt ? ` (read as uploaded there, which is not certain: ${w.doubt})` : ""}`;
  });
  ctx.problem({
    ...l.source,
    message: `database.servers-copy: ${FILE} is linked from shared/${shared} (${onStages(l)}), and task ${u.task.name} uploads the repo's own ${from} there (${u.source.file}:${u.source.line}; ${when}): the servers connected with that file, per stage: ${said.join("; ")}. The image carries the same file, but its database is each stage's DATABASE_URL (its secrets.env), to be filled from the section above and the servers' password; give pool and timeout as URL parameters (?pool=N)`,
    severity: "warning",
  });
}

/** The stage's section of a repo database.yml the deploy copies in place, in words (shown keys only); what it names goes to `named`. */
function repoSection(ctx: AnalyzerContext, cap: CapistranoFacts | null, file: string, stage: Stage, named: ServersDatabase[]): string {
  const yaml = readErbYaml(ctx, file);
  if (!yaml) {
    const unknown = { unknown: `${file} could not be read` };
    named.push({ stage: stage.name, file: FILE, from: file, section: railsEnvOf(stage), database: unknown, host: unknown, username: unknown });
    return "which could not be read";
  }
  named.push(namedDatabase(cap, stage, FILE, file, yaml.value, (p) => yaml.lineOf(p)));
  return sectionWords(file, yaml.value, stage, (p) => yaml.lineOf(p), file).text;
}

interface Leaf {
  path: string[];
  value: RValue;
  line: number;
}

/** A key that holds a credential: its value is never printed, only whether it differs. */
const SECRET_KEY = /pass(word)?|secret|token|credential|key$/i;
/** Keys said per stage in a nested config (mongoid's sessions/clients): the database and where it is. */
const SHOWN_NESTED = new Set(["database", "hosts", "host", "port", "username", "user", "adapter", "uri"]);

/** The stage's section of a rendered database template, in words, each value with its template line; its leaves; the whole rendering with its template lines. */
function renderedSection(file: string, text: string, stage: Stage): { text: string; leaves?: Leaf[]; value?: RValue; lineOf?: (p: string[]) => number } {
  const out = renderErb(file, text, stageScope(stage));
  if (out.raises.length) return { text: `rendering fails at ${file}:${out.lines[out.raises[0]!.line] ?? out.raises[0]!.line} (${out.raises[0]!.why})` };
  // ERB's `<%= %>` writes a Symbol as its name (`<%= fetch(:rails_env) %>:` with :production is `production:`)
  const yaml = loadRubyYaml(symbolsAsText(out.output, out.refs));
  const lineOf = (p: string[]) => out.lines[yaml.lineOf(p)] ?? yaml.lineOf(p);
  return { ...sectionWords(file, yaml.value, stage, lineOf, `its rendering (${file})`), value: yaml.value, lineOf };
}

/** The stage's section of a database config's value, in words (shown keys; a credential never printed), each with its line (`lineOf`); and its leaves. */
function sectionWords(file: string, value: RValue, stage: Stage, lineOf: (p: string[]) => number, where: string): { text: string; leaves?: Leaf[] } {
  const env = railsEnvOf(stage);
  const section = isHash(value) ? (value as Record<string, RValue>)[env] : undefined;
  if (section === undefined || !isHash(section)) return { text: `no ${env} section is known in ${where}` };
  const all = leavesOf(section, [env], lineOf);
  const parts: string[] = [];
  const flat = Object.keys(section).every((k) => !isHash((section as Record<string, RValue>)[k]));
  const shown = (lf: Leaf) => (flat ? (SHOWN as readonly string[]).includes(lf.path[1]!) : SHOWN_NESTED.has(String(lf.path[lf.path.length - 1])) || SHOWN_NESTED.has(String(lf.path[lf.path.length - 2])));
  const order = (lf: Leaf) => (flat ? (SHOWN as readonly string[]).indexOf(lf.path[1]!) : 0);
  const leaves = all.filter(shown).sort((a, b) => order(a) - order(b));
  for (const lf of leaves) parts.push(`${lf.path.slice(1).join(".")} ${SECRET_KEY.test(lf.path[lf.path.length - 1]!) ? "(not shown)" : shownValue(lf.value)} (${file}:${lf.line})`);
  if (flat) {
    const host = (section as Record<string, RValue>)["host"];
    if (!("host" in section) && !("url" in section) && !("socket" in section)) parts.push("no host (the server's local socket: a database on the server itself, which no pod reaches)");
    else if (typeof host === "string" && /^(localhost|127\.\d+\.\d+\.\d+|::1)$/.test(host)) parts.push("a database on the server itself, which no pod reaches");
  }
  return { text: parts.join(", ") || `its ${env} section names none of ${SHOWN.join(", ")}`, leaves };
}

/** The repo copy's leaves under `env` (its ERB rendered with no binding: a tag's value is not known). */
function repoLeaves(file: string, text: string, env: string): Leaf[] {
  const out = renderErb(file, text, {});
  const yaml = loadRubyYaml(symbolsAsText(out.output, out.refs));
  const section = isHash(yaml.value) ? (yaml.value as Record<string, RValue>)[env] : undefined;
  return section !== undefined && isHash(section) ? leavesOf(section, [env], (p) => out.lines[yaml.lineOf(p)] ?? yaml.lineOf(p)) : [];
}

/** Each leaf the servers' rendering and the repo's copy give differently, with both lines. */
function differences(servers: Leaf[], repo: Leaf[], template: string, repoFile: string): string[] {
  const out: string[] = [];
  const key = (l: Leaf) => l.path.slice(1).join(".");
  for (const s of servers) {
    const r = repo.find((x) => key(x) === key(s));
    if (r && JSON.stringify(r.value) === JSON.stringify(s.value)) continue;
    if (!known(s.value) || (r && !known(r.value))) continue;
    const secret = SECRET_KEY.test(s.path[s.path.length - 1]!);
    const sv = secret ? "" : ` ${shownValue(s.value)}`;
    out.push(r ? `${key(s)} is${sv} on the servers (${template}:${s.line}) but${secret ? " another value" : ` ${shownValue(r.value)}`} in the repo's copy (${repoFile}:${r.line})` : `${key(s)} is${sv} on the servers (${template}:${s.line}) and not set in the repo's copy`);
  }
  return out;
}

const known = (v: RValue): boolean => (typeof v === "string" ? !/R2K_REF_\d+_/.test(v) : typeof v === "number" || typeof v === "boolean" || (Array.isArray(v) && v.every(known)));
/**
 * A value as the warning says it: a password in a host or URL's user-info (`admin:pw@db1`, with or
 * without a scheme, alone or in a `hosts:` list) is cut and said not shown; the rest is shown.
 */
const shownValue = (v: RValue): string => {
  if (!known(v)) return "not known statically";
  const text = JSON.stringify(v);
  const bare = withoutPassword(cutSecretShapes(text, SECRET_SHOWN_AS));
  return bare === null ? text : `${bare} ${PASSWORD_NOT_SHOWN}`;
};

function leavesOf(v: RValue, path: string[], lineOf: (p: string[]) => number): Leaf[] {
  if (isHash(v)) return Object.entries(v as Record<string, RValue>).flatMap(([k, x]) => leavesOf(x, [...path, k], lineOf));
  return [{ path, value: v, line: lineOf(path) }];
}

/** The rendering with each tag whose value is a Symbol written as ERB writes it (its name). */
function symbolsAsText(output: string, refs: Map<string, RValue>): string {
  let s = output;
  for (const [token, v] of refs) if (isSym(v)) s = s.split(token).join(v.sym);
  return s;
}

/**
 * What the stage's section of a servers' database config names (database, host, user), each cited at
 * its line in `from`; and, on a Capistrano 2 stage whose rails_env no file sets, the section its
 * Rails may have read instead (hazard database.section-env).
 */
function namedDatabase(cap: CapistranoFacts | null, stage: Stage, file: string, from: string, value: RValue, lineOf: (p: string[]) => number): ServersDatabase {
  const env = railsEnvOf(stage);
  const base = { stage: stage.name, file, from, section: env };
  const section = isHash(value) ? (value as Record<string, RValue>)[env] : undefined;
  const parts = section !== undefined && isHash(section) ? dbParts(section, [env], lineOf, from) : noSection(`${from} has no ${env} section`);
  // Capistrano 2's recipes run with rails_env "production" unless the deploy sets it (`_cset :rails_env,
  // "production"` in lib/capistrano/recipes/deploy.rb), but the app process ran the environment its
  // start gave it, which the repo does not show: the overlay runs the stage's own name (railsEnvOf:
  // no other evidence) and the production section is the doubt.
  const cap2Default = cap?.major === 2 && cap.tool === undefined && railsEnvIsCap2Default(stage) && env !== "production";
  if (!cap2Default || section === undefined) return { ...base, ...parts };
  const prod = isHash(value) ? (value as Record<string, RValue>)["production"] : undefined;
  return {
    ...base,
    ...parts,
    otherSection: {
      railsEnv: "production",
      why: `stage ${stage.name} sets no rails_env, and Capistrano 2's is "production" unless the deploy sets it (lib/capistrano/recipes/deploy.rb: \`_cset :rails_env, "production"\`, which its deploy:migrate runs Rails with); the servers' Rails read the section of the RAILS_ENV it ran with, which the repo does not show`,
      source: { file: from, line: lineOf([env]) },
      holds: prod !== undefined && isHash(prod) ? dbParts(prod, ["production"], lineOf, from) : null,
    },
  };
}

const noSection = (why: string) => ({ database: { unknown: why }, host: { unknown: why }, username: { unknown: why } });

/** Database, host and user of one section: flat (database.yml) or nested (mongoid's sessions/clients, the `default` one first). */
function dbParts(section: RValue, path: string[], lineOf: (p: string[]) => number, from: string): Pick<ServersDatabase, "database" | "host" | "username"> {
  const leaves = leavesOf(section, path, lineOf);
  const at = (lf: Leaf): Source => ({ file: from, line: lf.line });
  const pick = (...keys: string[]): Leaf | undefined => {
    const hits = leaves.filter((lf) => keys.includes(String(lf.path[lf.path.length - 1])));
    return hits.find((lf) => lf.path.includes("default")) ?? hits[0];
  };
  const valueOf = (lf: Leaf): ServersDbValue => {
    const v = lf.value;
    if (Array.isArray(v) && v.length && v.every((x) => (typeof x === "string" || typeof x === "number") && known(x))) return { value: v.join(", "), source: at(lf) };
    if ((typeof v === "string" || typeof v === "number") && known(v)) return { value: String(v), source: at(lf) };
    if (v === null) return { none: `${lf.path.slice(1).join(".")} is empty at ${from}:${lf.line}` };
    return { unknown: "not known statically", source: at(lf) };
  };
  // A URL (`url:`, mongoid's `uri:`) names all three; its password is never kept.
  const url = pick("url", "uri");
  if (url) {
    if (typeof url.value !== "string" || !known(url.value)) return { database: valueOf(url), host: valueOf(url), username: valueOf(url) };
    // `user:pw@host:5432/db` with no `scheme://`: ActiveRecord (URI.parse) reads its first word as the
    // adapter and the rest as the database name, so it names no database Rails could have reached.
    // The host is said as written before the path, its password cut where it is shown (servers-database.ts).
    const bare = /^([^:/@\s]*(?::[^/@\s]*)?@[^/?#\s]+)/.exec(url.value);
    if (!url.value.includes("://") && bare) {
      const why = `the ${url.path.slice(1).join(".")} at ${from}:${url.line} has no scheme, only user-info and a host: Rails reads its first word as the adapter and the rest as the database name, which no server could have connected with`;
      return { database: { unknown: why, source: at(url) }, host: { value: bare[1]!, source: at(url) }, username: { unknown: why, source: at(url) } };
    }
    let u: URL | null = null;
    try {
      u = new URL(url.value);
    } catch {
      u = null;
    }
    if (!u) return noSection(`the ${url.path.slice(1).join(".")} at ${from}:${url.line} is not a URL`);
    const part = (v: string, none: string): ServersDbValue => (v ? { value: decodeURIComponent(v), source: at(url) } : { none });
    return { database: part(u.pathname.replace(/^\//, ""), "the URL names none"), host: part(u.hostname, "the URL names none"), username: part(u.username, "the URL names none") };
  }
  const db = pick("database");
  const host = pick("host", "hosts");
  const user = pick("username", "user");
  const socket = pick("socket");
  return {
    database: db ? valueOf(db) : { none: "the section names none" },
    host: host ? valueOf(host) : { none: socket ? "a local socket: a database on the server itself" : "no host: the server's local socket, a database on the server itself" },
    username: user ? valueOf(user) : { none: "the adapter's default user" },
  };
}
