// Mapping rule of a whenever job's command as the container runs it: the line whenever rendered,
// unwrapped and moved onto the image's layout (cronCommand), the servers' Ruby switch it drops
// (cronRubySwitch), and what in it is not known statically (cronCommandUnknowns).
// Index of all rules: ./README.md.
import { type CronJob, type RValue, CRON_OUTPUT_UNKNOWN } from "../../../src/model.js";
import { APP_DIR } from "../../contract.js";
import { isObject } from "../answers.js";
import { shellWord, shellWords } from "../../encode/shell.js";
import { withoutRubySwitch } from "../../../src/model/ruby-switch.js";
import { stringOf } from "./stage.js";

/**
 * The command a cron line ran, made to run in the container: whenever wraps it as
 * `/bin/bash -l -c 'cd <release> && RAILS_ENV=x <cmd> >> log/cron.log 2>&1'`; the image's working
 * directory replaces whenever's own `cd` (the rake/runner/script templates start with `cd :path`,
 * and :path is the release Capistrano ran whenever in), the ConfigMap sets RAILS_ENV, and output
 * goes to the pod's log. A `cd` the schedule itself wrote (`command "cd /data && …"`) keeps its
 * meaning: it stays, with the release layout mapped to the image's app directory.
 */
export function cronCommand(job: CronJob): string | null {
  return cronCommandParts(job).command;
}

/**
 * The servers' Ruby switch (`~/.rvm/bin/rvm 2.3.1 do`, `rbenv exec`) cronCommand left out of the
 * job's line, as written (a piece not known shown as `<not known>`); null when none. Said in the notes.
 */
export function cronRubySwitch(job: CronJob): string | null {
  return cronCommandParts(job).rubySwitch;
}

/** Stands for a piece of the line not known statically: one word, no spaces, never in real text. */
const UNKNOWN_PIECE = "\u0001";

function cronCommandParts(job: CronJob): { command: string | null; rubySwitch: string | null } {
  // whenever pastes a rake/runner/script task into its line unquoted: a task with a quote made a
  // broken line on the servers too. Built from the task, each word quoted, it means what was meant —
  // where the template is whenever's own. A repo's `job_type :runner, "…"` (redefinedType) is read
  // like any job_type: its rendered line is what ran (a flock, a nice, no bundle exec).
  if (wheneverOwnTemplate(job) && stringOf(job.task) !== null) return { command: fallbackCronCommand(job), rubySwitch: null };
  let s = cronCommandText(job.command);
  if (s === null) return { command: fallbackCronCommand(job), rubySwitch: null };
  s = s.trim();
  const wrapped = /^\/bin\/(?:ba)?sh -l -c '([\s\S]*)'$/.exec(s);
  if (wrapped) s = wrapped[1]!.replace(/'\\''/g, "'");
  s = s.replace(/\s*(?:>>?\s*\S+)?\s*2>&1\s*$/, "").replace(/\s*\d?>>?\s*\/dev\/null\s*$/, "").replace(/\s*>>\s*\S+\s*$/, "");
  // The head of the line: whenever's `cd :path &&`, `RAILS_ENV=x`, and the servers' Ruby switch, in
  // whatever order a template wrote them (`source ~/.rvm/scripts/rvm && cd :path && …`). The image has
  // no RVM, rbenv or chruby: its one Ruby runs the rest of the line (src/model/ruby-switch.ts).
  const switches: string[] = [];
  for (let before = ""; before !== s; ) {
    before = s;
    const un = withoutRubySwitch(s);
    if (un.switch !== null) switches.push(un.switch), (s = un.command);
    if (job.type !== "command") s = s.replace(/^cd\s+\S+\s*&&\s*/, "");
    s = s.replace(/^(?:RAILS_ENV|RACK_ENV)=\S+\s+/, "");
  }
  const rubySwitch = switches.length ? switches.join(" ").split(UNKNOWN_PIECE).join("<not known>") : null;
  // A piece not known outside the switch: the line is not known.
  if (s.includes(UNKNOWN_PIECE)) return { command: fallbackCronCommand(job), rubySwitch };
  s = s.replace(/(\brunner\s+-e\s+)\S+/, '$1"$RAILS_ENV"');
  // The release the servers ran (`<deploy_to>/current/`, `releases/<timestamp>/`) is the image's app dir.
  s = s.replace(/(^|[\s'"=])\/[^\s'";|&>]*?\/(?:current|releases\/\d+)(?=\/|[\s'";|&>]|$)/g, `$1${APP_DIR}`);
  if (s.startsWith(`cd ${APP_DIR} && `)) s = s.slice(`cd ${APP_DIR} && `.length);
  // `~/.rbenv/shims/bundle exec …`: the servers' path to a Ruby tool is the image's tool on PATH.
  s = s.replace(/(^|[\s;&|(])(\/[^\s'";|&>]*\/(?:shims|bin|wrappers)\/(bundle|bundler|ruby|rake|gem|rails))(?=\s|$)/g, (all, pre: string, path: string, tool: string) => (path.startsWith(`${APP_DIR}/`) ? all : `${pre}${tool}`));
  return { command: s.trim() || fallbackCronCommand(job), rubySwitch };
}

/** whenever's own job types whose line is `cd :path && … <task>`: the command follows from the task. */
const BUILTIN_TASK_TYPES = new Set(["rake", "runner", "script"]);

/** A job of one of those types with whenever 1.0's own template (the schedule did not redefine it). */
const wheneverOwnTemplate = (job: CronJob): boolean => BUILTIN_TASK_TYPES.has(job.type) && !job.redefinedType;

/**
 * A command whenever rendered, as text: the release path Capistrano ran whenever in is the image's
 * app directory, and an output redirection computed on the server is dropped (the pod logs stdout).
 * Null when another piece is unknown.
 */
function cronCommandText(v: RValue): string | null {
  const s = stringOf(v);
  if (s !== null) return s;
  if (!isObject(v) || !Array.isArray((v as { interp?: unknown }).interp)) return null;
  let out = "";
  for (const p of (v as { interp: RValue[] }).interp) {
    const text = stringOf(p);
    if (text !== null) out += text;
    else if (isObject(p) && ((p as { cap?: unknown }).cap === "release_path" || (p as { cap?: unknown }).cap === "current_path")) out += APP_DIR;
    else if (isObject(p) && (p as { unknown?: unknown }).unknown === CRON_OUTPUT_UNKNOWN) continue;
    // kept as a placeholder word: a Ruby switch's path may hold it (`<rvm_path>/bin/rvm 2.3.1 do`,
    // capistrano-rvm's :rvm_path being set on the servers only)
    else if (isObject(p) && (typeof (p as { unknown?: unknown }).unknown === "string" || typeof (p as { cap?: unknown }).cap === "string")) out += UNKNOWN_PIECE;
    else return null;
  }
  return out;
}

/**
 * The command of a job whenever did not render. whenever pastes a rake task or script name into the
 * line as shell words: the words are kept (`db:thing ARG=1` stays two arguments) but each is quoted,
 * so a name cannot run anything else. A `command` job is shell the repo wrote to run as shell: kept.
 */
function fallbackCronCommand(job: CronJob): string | null {
  const task = stringOf(job.task);
  if (task === null) return null;
  // A redefined rake/runner/script is the repo's own template: not rebuilt from the task, as no custom job_type is.
  if (job.redefinedType) return null;
  const words = (s: string) => shellWords(s.trim().split(/\s+/).filter(Boolean));
  switch (job.type) {
    case "rake":
      return `bundle exec rake ${words(task)} --silent`;
    case "runner":
      return `bundle exec bin/rails runner -e "$RAILS_ENV" ${shellWord(task)}`;
    case "command":
      return task;
    case "script":
      return `bundle exec ${words(`script/${task}`)}`;
    default:
      return null;
  }
}

/** What the analysis could not know in a job's command, in words (the unknown pieces' reasons). */
export function cronCommandUnknowns(job: CronJob): string[] {
  const v = job.command as unknown;
  const pieces: unknown[] = isObject(v as RValue) && Array.isArray((v as { interp?: unknown }).interp) ? (v as { interp: unknown[] }).interp : [v];
  const out = new Set<string>();
  for (const p of pieces) if (isObject(p as RValue) && typeof (p as { unknown?: unknown }).unknown === "string" && (p as { unknown: string }).unknown !== CRON_OUTPUT_UNKNOWN) out.add((p as { unknown: string }).unknown);
  return [...out];
}
