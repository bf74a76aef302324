// Which whenever schedule files the servers loaded, per stage, and what made them load it: the one
// place that answers it (analyzers/whenever.ts reads each such file into CronJobs).
//
// whenever reads the file its `-f`/`--load-file` names, else config/schedule.rb (ruby-whenever 1.0,
// lib/whenever/command_line.rb), relative to the directory it runs in (the release). A deploy loads
// files in these ways:
// - whenever/capistrano (Capistrano 3): whenever:update_crontab after deploy:updated, on the
//   servers of `whenever_roles`, with `-f <whenever_load_file>` when that is set (default nil);
//   `whenever_command` / `whenever_update_flags` may carry a `-f` of their own.
// - whenever/capistrano (Capistrano 2): the same task; a file only through `-f` in
//   `whenever_command` / `whenever_update_flags` (v2 has no whenever_load_file).
// - Mina's `mina/whenever`, where the deploy invokes `whenever:update`: `whenever --update-crontab …`
//   in the current release, default file.
// - A deploy task of the repo running `whenever -w|-i|--update-crontab|--write-crontab [-f FILE]`
//   on the servers of its own roles (`on roles(:cron)`, `task :x, :roles => [:cron]`).
// Several files can be loaded (each under its own identifier, so each kept its crontab block): each
// one's jobs become CronJobs. A schedule file nothing loads, or one a deploy names that the repo
// does not hold, is a named warning.
import type { AnalyzerContext, CapistranoFacts, RValue, ScheduleFile, Source, Stage } from "../../src/model.js";
import { WHENEVER_DEFAULT_FILE, hasPath, isUnknown, railsEnvOf } from "../../src/model.js";
import type { StageWheneverSet } from "./variables.js";
import { mbStack } from "../capistrano/mb.js";
import { taskLineRoles } from "../capistrano/task-roles.js";
import { pluginLoadedIn } from "../capistrano/plugin-loaded.js";

const DEFAULT_SCHEDULE_FILE = WHENEVER_DEFAULT_FILE;

/** A schedule file the deploy loads, before it is read (ScheduleFile without its settings). */
export type ScheduleLoad = Omit<ScheduleFile, "settings">;

/** Files that hold deploy code: Capfile, deploy.rb and stages, Capistrano tasks and recipes. */
const DEPLOY_CODE = /^(Capfile|capfile)(\.rb)?$|^config\/deploy(\.rb$|\/.+\.rb$)|^lib\/capistrano\/.+\.(rake|rb|cap)$|^config\/recipes\/.+\.rb$|^lib\/tasks\/deploy.*\.rake$/;
/** A whenever command line that writes a crontab (a bare `whenever -f x` only prints). */
const INSTALLS = /\bwhenever\b[^\n]*?(?:--update-crontab|--write-crontab|["'\s]-[wi]\b)/;
/**
 * `-f FILE` / `--load-file FILE` / `--load-file=FILE`, also as SSHKit words (`"-f", "config/x.rb"`).
 * Between flag and file one run of blanks and commas: the file cannot start with either, so a
 * failed match gives nothing back to try (optional `\s*` groups side by side were tried at every
 * split of a long run of spaces: minutes on one hostile line).
 */
const LOAD_FLAG = /(?:^|[\s"'])(?:-f|--load-file)(?:=|["']?[\s,]*["']?)([^\s"'#;&|),]+)/;
/** A deploy command is a line of a few hundred characters: what is past this is not read for one. */
const MAX_COMMAND_LINE = 4000;
/** Files that look like whenever schedules kept beside the app (checked for an `every` block). */
const SCHEDULE_LIKE = /^config\/(?:[^/]*schedule[^/]*\.rb|(?:whenever|schedules?|cron|crontabs?)\/.+\.rb)$/;

/**
 * Repo path of a load-file text: `config/x.rb`, `./config/x.rb`, or an absolute path into the
 * release (`/var/www/app/current/config/x.rb`, `#{release_path}/config/x.rb`). Null when the text
 * names no file inside the release.
 */
export function repoPathOf(text: string): string | null {
  const t = text.trim().replace(/^\.\//, "");
  if (/^[\w-][\w./-]*\.rb$/.test(t) && !t.includes("..")) return t;
  const release = /^(?:\/[^\s]*?\/(?:current|releases\/\d+)|#\{(?:fetch\(:)?(?:release_path|current_path|latest_release)\)?\}|#\{(?:release_path|current_path)\})\/([\w./-]+\.rb)$/.exec(t);
  return release && !release[1]!.includes("..") ? release[1]! : null;
}

/** The load file a variable's value names: a path, null (not set: whenever's default), or unknown. */
function loadFileOfValue(v: RValue | undefined): { path: string } | null | "unknown" {
  if (v === undefined || v === null || v === false) return null;
  if (typeof v === "string") return repoPathOf(v) ? { path: repoPathOf(v)! } : "unknown";
  if (isUnknown(v)) return "unknown";
  if (typeof v === "object" && !Array.isArray(v) && Array.isArray((v as { interp?: unknown }).interp)) {
    const text = (v as { interp: RValue[] }).interp.map((p) => (typeof p === "string" ? p : typeof p === "object" && p && "cap" in p ? `#{${String((p as { cap: unknown }).cap)}}` : "\0")).join("");
    const path = text.includes("\0") ? null : repoPathOf(text);
    return path ? { path } : "unknown";
  }
  return "unknown";
}

/** `-f` in a command-like variable (`whenever_command`, `whenever_update_flags`): string, or list of words. */
function flagFileOf(v: RValue | undefined): string | null | "unknown" {
  const text = typeof v === "string" ? v : Array.isArray(v) ? v.map((w) => (typeof w === "string" ? w : typeof w === "object" && w && "sym" in w ? String(w.sym) : "\0")).join(" ") : null;
  if (text === null) return null;
  const m = LOAD_FLAG.exec(text.slice(0, MAX_COMMAND_LINE));
  if (!m) return null;
  return repoPathOf(m[1]!) ?? "unknown";
}

/** Role names in an `on roles(...)` list: `:cron`, `[:web, :worker]`, `%w[web app]`, `"db"`. */
function roleNamesIn(text: string): string[] {
  const w = /%[wi][[(]([^\])]*)[\])]/.exec(text);
  if (w) return w[1]!.trim().split(/\s+/).filter(Boolean);
  return [...text.matchAll(/:(\w+)|["'](\w+)["']/g)].map((m) => m[1] ?? m[2]!).filter((r) => r !== "roles");
}

/**
 * The roles of the task a deploy line runs in: the nearest enclosing `on roles(...)` (Capistrano 3)
 * or `task :name, :roles => ...` / `roles: ...` (Capistrano 2). Null when none is found or the list
 * is computed (`roles(fetch(:x))`).
 */
function enclosingRoles(lines: string[], at: number): string[] | null {
  let indent = /^\s*/.exec(lines[at]!)![0].length;
  for (let i = at - 1; i >= 0 && at - i < 200; i--) {
    const line = lines[i]!;
    if (!line.trim() || /^\s*#/.test(line)) continue;
    const ind = /^\s*/.exec(line)![0].length;
    if (ind >= indent) continue;
    indent = ind;
    const on = /\bon\s*\(?\s*roles\s*\(([^)]*)\)/.exec(line);
    if (on) return /fetch|\w+\(/.test(on[1]!) ? null : roleNamesIn(on[1]!);
    const task = /\btask\s*\(?\s*:?["']?[\w:-]+["']?\s*,/.test(line) ? taskLineRoles(line) : null;
    if (task) return task;
    if (/^\s*(?:namespace|desc)\b/.test(line) && ind === 0) return null;
  }
  return null;
}

export interface LoadedSchedules {
  loads: ScheduleLoad[];
  /** Mina's whenever:update, where the deploy invokes it: per stage the `--set` it passed (minaWheneverRun). */
  mina?: StageWheneverSet[];
  /** whenever's default file, which nothing in the deploy runs: said once the schedule is read (notInvokedWarning). */
  notInvoked?: { file: string; blocks: number; gem: string };
}

/**
 * `cron.whenever-not-invoked`, said after the schedule is read: its jobs are carried as written,
 * unless whenever raises on the file (`raises`, from CronJob.wheneverRaises): then `whenever` by
 * hand wrote no crontab line of it either, and no CronJob is made.
 */
export function notInvokedWarning(ctx: AnalyzerContext, n: NonNullable<LoadedSchedules["notInvoked"]>, raises: { message: string; source: Source } | undefined): void {
  const carried = raises
    ? `whenever raises on this file (${raises.source.file}:${raises.source.line}: ${raises.message}), so \`whenever\` run by hand failed on the whole file too: no crontab line came of it, and nothing is carried (no CronJob)`
    : "the CronJobs carry them as written";
  ctx.problem({ file: n.file, line: 1, message: `cron.whenever-not-invoked: ${n.file} exists but the deploy never runs whenever${n.gem}: no \`require "whenever/capistrano"\` in the Capfile, no whenever command in a deploy task. Its ${n.blocks} \`every\` block${n.blocks === 1 ? "" : "s"} reached a crontab only if someone ran whenever on the servers by hand: ${carried}; check the servers' \`crontab -l\` before relying on them`, severity: "warning" });
}

/**
 * The schedule files the deploy loaded, first the plugin's (per stage), then the deploy tasks'.
 * Warnings name each file a deploy names that the repo lacks, each unknown load file, and each
 * schedule file of the repo nothing loads.
 */
export function loadedSchedules(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: Stage[]): LoadedSchedules {
  const loads: ScheduleLoad[] = [];
  // One entry per file, its jobs made once: a file two tasks load ran on the servers of both.
  // (Sets beside the lists: a fleet of 10,000 stage files adds one stage at a time.)
  const stageSets = new Map<ScheduleLoad, Set<string>>();
  const add = (l: ScheduleLoad, stageName?: string) => {
    const same = loads.find((x) => x.file === l.file);
    if (!same) {
      const entry = stageName ? { ...l, stages: [stageName] } : l;
      if (stageName) stageSets.set(entry, new Set([stageName]));
      return loads.push(entry);
    }
    const seen = stageSets.get(same);
    if (same.stages && stageName && !seen?.has(stageName)) {
      same.stages.push(stageName);
      seen?.add(stageName);
    }
    else if (!stageName) delete same.stages;
    if (same.taskRoles && l.taskRoles) same.taskRoles = { roles: [...new Set([...same.taskRoles.roles, ...l.taskRoles.roles])], byRole: same.taskRoles.byRole && l.taskRoles.byRole };
    else delete same.taskRoles;
  };
  let invoked = false;
  /** Deploy lines that write the whole crontab (`-w`), replacing what was there. */
  const writers: { file: string; roles: string[]; source: Source; stage?: string }[] = [];
  const PLUGIN = /^whenever\/capistrano/;
  const plugin = cap?.tool !== "mina" ? cap?.requires.find((r) => PLUGIN.test(r.value)) : undefined;
  if (cap && plugin) {
    invoked = true;
    // A Capistrano 2 stage file's require gives its task to that stage alone.
    const loadedIn = pluginLoadedIn(cap, stages, PLUGIN);
    for (const st of stages) {
      if (!loadedIn(st)) continue;
      const v = st.variables;
      // v3 appends `-f <whenever_load_file>` after the flags (the last -f wins); v2 only has the flags.
      const candidates: [string, ReturnType<typeof flagFileOf>][] = [
        ...(cap.major === 3 ? [["whenever_load_file", loadFileOfValue(v["whenever_load_file"]?.value)] as [string, ReturnType<typeof flagFileOf>]] : []),
        ["whenever_update_flags", flagFileOf(v["whenever_update_flags"]?.value)],
        ["whenever_command", flagFileOf(v["whenever_command"]?.value)],
      ];
      const named = candidates.find(([, f]) => f !== null);
      if (named && named[1] === "unknown") {
        const at = v[named[0]]!.source;
        ctx.problem({ ...at, message: `cron.load-file-unknown: stage ${st.name}: \`${named[0]}\` names a whenever schedule file not known statically; which jobs its servers' crontab held is not known, and no CronJob is made for that stage's schedule (\`cap ${st.name} whenever:update_crontab\` with --dry-run shows the file)`, severity: "warning" });
        continue;
      }
      const file = named ? (named[1] as { path: string } | string) : null;
      const path = file === null ? DEFAULT_SCHEDULE_FILE : typeof file === "string" ? file : file.path;
      const loadedBy = named ? v[named[0]]!.source : ((st.plugins ?? []).find((p) => PLUGIN.test(p.value))?.source ?? plugin.source);
      add({ file: path, loadedBy, how: `whenever/capistrano's whenever:update_crontab${named ? ` (${named[0]})` : ""}` }, stages.length > 1 ? st.name : undefined);
    }
    // No stage read (the overlay a person confirms later): the plugin's default, whenever's own file.
    if (!stages.length) add({ file: DEFAULT_SCHEDULE_FILE, loadedBy: plugin.source, how: "whenever/capistrano's whenever:update_crontab" });
    // Every stage loading the same file needs no stage list.
    for (const l of loads) if (l.stages && l.stages.length === stages.length) delete l.stages;
  }
  // capistrano-docker's compose whenever plugin (TomNaessens/capistrano-docker,
  // lib/capistrano/tasks/docker/compose/whenever.rake): after docker:deploy:compose:start it runs
  // `bundle exec whenever --update-crontab` inside the compose container, on the image's own
  // config/schedule.rb: whenever ran, in the container's crontab.
  const composeWhenever = cap?.requires.find((r) => r.value === "capistrano/docker/compose/whenever");
  if (composeWhenever) {
    invoked = true;
    add({ file: DEFAULT_SCHEDULE_FILE, loadedBy: composeWhenever.source, how: "capistrano-docker's docker:compose:whenever:update (`bundle exec whenever --update-crontab` inside the compose container)" });
  }
  const mina = cap?.tool === "mina" ? minaWheneverUpdate(ctx) : null;
  let minaSets: StageWheneverSet[] | undefined;
  if (mina) {
    invoked = true;
    const run = minaWheneverRun(lockText(ctx));
    add({ file: DEFAULT_SCHEDULE_FILE, loadedBy: mina, how: `Mina's whenever:update (mina/whenever${run.version ? `, mina ${run.version}` : ""}: \`cd <deploy_to>/current ; bundle exec whenever --update-crontab ${run.identifier} --set 'environment=${run.production ? "production" : "<rails_env>"}&path=<deploy_to>/current'\`, with no --roles, so every job, whatever its \`roles:\`)` });
    minaSets = stages.map((st) => ({ stage: st.name, set: { environment: run.production ? "production" : railsEnvOf(st), path: { cap: "release_path" } }, open: null, from: mina, ...(run.railsEnvWord ? { env: { RAILS_ENV: railsEnvOf(st) } } : {}) }));
  }
  const stageOfFile = new Map<string, string>();
  // config/deploy.rb is every stage's file, even where stages are tasks written in it (Capistrano 2
  // switch tasks, its top level, Mina targets): a line there is no one stage's.
  for (const st of stages) if (!st.undeclared && st.source.file !== "config/deploy.rb" && !stageOfFile.has(st.source.file)) stageOfFile.set(st.source.file, st.name);
  for (const file of ctx.repo.paths.filter((p) => DEPLOY_CODE.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    // A task a stage file defines exists when that stage is deployed only.
    const ownStage = stages.length > 1 ? stageOfFile.get(file) : undefined;
    const lines = r.text.split(/\r?\n/);
    lines.forEach((line, i) => {
      const code = line.slice(0, MAX_COMMAND_LINE).replace(/^\s*#.*$/, "");
      // whenever/capistrano's own variables are read per stage above.
      if (!INSTALLS.test(code) || /\bset\s+:whenever_/.test(code)) return;
      invoked = true;
      const source = { file, line: i + 1 };
      const flag = LOAD_FLAG.exec(code.slice(code.search(/\bwhenever\b/)));
      const path = flag ? repoPathOf(flag[1]!) : DEFAULT_SCHEDULE_FILE;
      if (!path) {
        ctx.problem({ ...source, message: `cron.load-file-unknown: this deploy line runs whenever on a schedule file not known statically (${flag![1]}); its jobs are not carried: add them as CronJobs by hand`, severity: "warning" });
        return;
      }
      const roles = enclosingRoles(lines, i);
      if (roles && /--write-crontab|["'\s]-w\b/.test(code)) writers.push({ file: path, roles, source, ...(ownStage ? { stage: ownStage } : {}) });
      add({ file: path, loadedBy: source, how: "a deploy task's whenever command", ...(roles ? { taskRoles: { roles, byRole: /--roles\b/.test(code) } } : {}) }, ownStage);
    });
  }
  replacedCrontabs(ctx, stages, writers);
  let notInvoked: LoadedSchedules["notInvoked"];
  if (!invoked && hasPath(ctx.repo, DEFAULT_SCHEDULE_FILE)) {
    loads.push({ file: DEFAULT_SCHEDULE_FILE, how: "whenever's default file (nothing in the deploy runs whenever)", notRunByDeploy: true });
    // capistrano-mb's crontab recipe says its own (analyzers/capistrano/mb-crontab.ts).
    const n = everyBlocks(ctx, DEFAULT_SCHEDULE_FILE);
    if (n && !(cap && mbStack(ctx, cap.requires))) {
      const gem = /^\s{4}whenever \(/m.test(lockText(ctx)) ? " (whenever is in Gemfile.lock)" : "";
      notInvoked = { file: DEFAULT_SCHEDULE_FILE, blocks: n, gem };
    }
  }
  return { loads: reportLoads(ctx, loads), ...(minaSets?.length ? { mina: minaSets } : {}), ...(notInvoked ? { notInvoked } : {}) };
}

/**
 * `whenever -w` writes the whole crontab, dropping what another `-w` wrote before it: a server with
 * the roles of two such tasks kept only the later file's jobs. Which ran last is the deploy's task
 * order, not read here: said by server, both files' jobs still carried.
 */
function replacedCrontabs(ctx: AnalyzerContext, stages: Stage[], writers: { file: string; roles: string[]; source: Source; stage?: string }[]): void {
  const said = new Set<string>();
  for (const st of stages)
    for (const server of st.servers) {
      const here = writers.filter((w) => (!w.stage || w.stage === st.name) && w.roles.some((r) => server.roles.includes(r)));
      const files = [...new Set(here.map((w) => w.file))];
      if (files.length < 2 || said.has(files.join("\0"))) continue;
      said.add(files.join("\0"));
      ctx.problem({ ...here[1]!.source, message: `cron.crontab-replaced: stage ${st.name}, server ${server.host}: the deploy writes its whole crontab (\`whenever -w\`) from ${files.join(" and ")}; each write replaces the one before, so that server's crontab held only the last file's jobs. Both files' jobs are carried as CronJobs: check which the servers really ran`, severity: "warning" });
    }
}

const lockText = (ctx: AnalyzerContext): string => {
  if (!hasPath(ctx.repo, "Gemfile.lock")) return "";
  const r = ctx.repo.read("Gemfile.lock");
  return "error" in r ? "" : r.text;
};

const everyBlocks = (ctx: AnalyzerContext, file: string): number => {
  const r = ctx.repo.read(file);
  return "error" in r ? 0 : r.text.split(/\r?\n/).filter((l) => /^\s*every\b/.test(l)).length;
};

/**
 * Mina's whenever recipe (`require 'mina/whenever'`, built into Mina 0.x and the mina-whenever gem)
 * runs `whenever --update-crontab` in the current release, on whenever's default file, when the
 * deploy invokes `whenever:update`: the line that invokes it, or null.
 */
function minaWheneverUpdate(ctx: AnalyzerContext): Source | null {
  let required = false;
  let at: Source | null = null;
  for (const file of ctx.repo.paths.filter((p) => /^config\/deploy(\.rb$|\/.+\.rb$)|^lib\/mina\/.+\.rb$/.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    r.text.split(/\r?\n/).forEach((line, i) => {
      if (/^\s*#/.test(line)) return;
      if (/^\s*require\s*\(?\s*["']mina\/whenever["']/.test(line)) required = true;
      if (!at && /\binvoke\s*\(?\s*:?["']?whenever:update\b/.test(line)) at = { file, line: i + 1 };
    });
  }
  return required ? at : null;
}

/**
 * What Mina's whenever:update ran, by the Mina that Gemfile.lock resolves (mina-deploy/mina's
 * lib/mina/whenever.rb, and for Mina 1.x the mina-whenever gem's lib/mina/whenever/tasks.rb):
 * - 0.2.x to 0.3.0: `--update-crontab <domain> --set 'environment=production&path=…'`: production,
 *   whatever rails_env says;
 * - 0.3.1 on: identifier `<domain>_<rails_env>` (0.3.7 on: `whenever_name`), environment=<rails_env>;
 * - mina-whenever (Mina 1.x): the same, with `RAILS_ENV=<rails_env>` before the command.
 * Each runs in `<deploy_to>/current` and passes `path=` that directory (the image's app directory), and
 * none passes --roles. Without a lock the newer reading (environment=<rails_env>) is taken.
 */
export function minaWheneverRun(lock: string): { version: string | null; production: boolean; identifier: string; railsEnvWord: boolean } {
  const m = /^\s{4}mina \((\d+)\.(\d+)\.(\d+)[^)]*\)/m.exec(lock);
  const version = m ? `${m[1]}.${m[2]}.${m[3]}` : null;
  const [major, minor, patch] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [1, 0, 0];
  const production = major === 0 && (minor < 3 || (minor === 3 && patch === 0));
  if (production) return { version, production, identifier: "<domain>", railsEnvWord: false };
  return { version, production, identifier: major === 0 && minor === 3 && patch < 7 ? "<domain>_<rails_env>" : "<whenever_name, default <domain>_<rails_env>>", railsEnvWord: major >= 1 };
}

/** Loads of files the repo holds; the rest, and the schedule files nothing loads, said by name. */
function reportLoads(ctx: AnalyzerContext, loads: ScheduleLoad[]): ScheduleLoad[] {
  const kept: ScheduleLoad[] = [];
  for (const l of loads) {
    if (hasPath(ctx.repo, l.file)) kept.push(l);
    else if (l.file !== DEFAULT_SCHEDULE_FILE || l.loadedBy?.file !== undefined)
      ctx.problem({
        ...(l.loadedBy ?? { file: l.file, line: 0 }),
        message: `cron.schedule-not-in-repo: the deploy runs whenever on ${l.file} (${l.how}), which is not in the repo (it lived on the servers): what cron ran from it is not known and nothing of it is carried`,
        severity: "warning",
      });
  }
  const loaded = new Set(kept.map((l) => l.file));
  const names = [...loaded].join(", ") || "none";
  for (const file of ctx.repo.paths) {
    if (!SCHEDULE_LIKE.test(file) || loaded.has(file)) continue;
    const n = everyBlocks(ctx, file);
    if (!n) continue;
    ctx.problem({
      file,
      line: 1,
      message: `cron.schedule-not-loaded: ${file} is a whenever schedule (${n} \`every\` block${n === 1 ? "" : "s"}) that nothing in the deploy loads (the deploy runs whenever on: ${names}): the servers' crontab never held its jobs, so none is carried; if a step outside the repo installed it, add its jobs as CronJobs by hand (\`whenever -f ${file}\` prints them)`,
      severity: "warning",
    });
  }
  return kept;
}

/**
 * Where the deploy passes whenever variables of its own (`set :whenever_variables, …`, or a
 * `--set` on a whenever line): a schedule's `@x ||= default` then may not take its default, so
 * readSchedule leaves such a variable unknown. Null when only Capistrano's default (environment=) runs.
 */
export function customWheneverVariables(ctx: AnalyzerContext): Source | null {
  for (const file of ctx.repo.paths.filter((p) => DEPLOY_CODE.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const code = lines[i]!.slice(0, MAX_COMMAND_LINE).replace(/^\s*#.*$/, "");
      if (/\bwhenever_variables\b/.test(code) || (/whenever/.test(code) && /(^|[\s"'])--set\b/.test(code))) return { file, line: i + 1 };
    }
  }
  return null;
}
