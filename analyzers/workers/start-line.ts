// A worker's start line as the pod can run it: the one reader behind every supervisor's line
// (Procfile, systemd, upstart, god, monit, bluepill, eye). Supervisors wrap the process in a shell
// (`/bin/sh -c 'cd /srv/app/current && QUEUE=mail bundle exec rake jobs:work'`, `bash -lc "…"`,
// `su - deploy -c '…'`, `sudo -u deploy -H sh -c "…"`); src/model/service-managers.ts takes the wrappers
// off by POSIX's quoting rules. What they did is then decided here: a `cd` into the release is the
// image's app directory (the pod's working directory), assignments and `export`s are the process's
// environment, the servers' Ruby placement (PATH, rbenv, rvm, gem paths) is the image's own. What
// cannot be read that way (a `cd` elsewhere, a value the servers' shell filled in) is said, never guessed.
import { unwrapCommand } from "../../src/model/service-managers.js";
import type { Source, Stage } from "../../src/model.js";
import { rubyToS } from "../ruby/evaluate.js";

/**
 * Each stage's places on the servers, from its resolved variables. Capistrano 3 (dsl/paths.rb):
 * current_path is `deploy_to` joined with `current_directory` ("current"), releases `releases_directory`
 * ("releases"), shared_path `shared_directory` ("shared"), a Pathname join (an absolute directory
 * replaces deploy_to). Capistrano 2 (recipes/deploy.rb): `current_dir`, `version_dir`, `shared_dir`
 * with the same defaults, and `current_path`/`shared_path` variables a deploy may set. Empty when no
 * stage states an absolute deploy_to: then the release is found by its shape.
 */
export type ServerLayout = { stage: string; deployTo: string; current: string; releases: string; shared: string; source: Source }[];

export function serverLayout(stages: Stage[]): ServerLayout {
  const out: ServerLayout = [];
  for (const st of stages) {
    const str = (name: string): string | null => {
      const v = st.variables[name];
      return v ? rubyToS(v.value)?.replace(/\/+$/, "") ?? null : null;
    };
    const deployTo = str("deploy_to");
    if (!deployTo || !deployTo.startsWith("/")) continue;
    const join = (names: string[], dflt: string) => {
      const dir = names.map(str).find((x) => x !== null) ?? dflt;
      return dir.startsWith("/") ? dir : `${deployTo}/${dir}`;
    };
    const path = (name: string, dflt: string) => {
      const s = str(name);
      return s && s.startsWith("/") ? s : dflt;
    };
    out.push({
      stage: st.name,
      deployTo,
      current: path("current_path", join(["current_directory", "current_dir"], "current")),
      releases: path("releases_path", join(["releases_directory", "version_dir"], "releases")),
      shared: path("shared_path", join(["shared_directory", "shared_dir"], "shared")),
      source: st.variables["deploy_to"]!.source,
    });
  }
  return out;
}

/** Where `dir` is in the stages' layout: the release, under shared_path, deploy_to itself; null when no stage names it. */
function placeOf(dir: string, layout: ServerLayout): { release: string } | { unknown: string } | null {
  const d = dir.replace(/\/+$/, "");
  const at = (l: ServerLayout[number]) => `stage ${l.stage}'s deploy_to ${l.deployTo}, ${l.source.file}:${l.source.line}`;
  const release = layout.filter((l) => d === l.current || new RegExp(`^${escapeRe(l.releases)}/[^/]+$`).test(d));
  if (release.length) return { release: `\`cd ${dir}\` is the release (${release.map(at).join("; ")}): the image's app directory, where the pod starts` };
  const shared = layout.find((l) => d === l.shared || d.startsWith(`${l.shared}/`));
  if (shared) return { unknown: `\`cd ${dir}\` changes to the servers' shared directory (shared_path of ${at(shared)}), which the image does not have` };
  const root = layout.find((l) => d === l.deployTo);
  if (root) return { unknown: `\`cd ${dir}\` changes to deploy_to itself (${at(root)}), not the release (${root.current}): Capistrano keeps no app there` };
  return null;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

export type StartLine = { words: string[]; env: Record<string, string>; notes: string[] } | { unknown: string };

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;

/**
 * Variables that placed the servers' Ruby and user, not the app's settings: the image has its own
 * Ruby, gems and user, so their servers' values would break it.
 */
export const SERVER_PLACEMENT = /^(PATH|HOME|USER|SHELL|RBENV_\w+|RVM_\w+|rvm_\w+|GEM_HOME|GEM_PATH|RUBY_VERSION|RUBY_ROOT|RUBY_ENGINE|CHRUBY_\w+|MY_RUBY_HOME|IRBRC)$/;

/**
 * The release on the servers, as deploy lines and templates write it: a path ending in `current`
 * (Capistrano's symlink) or `releases/<name>`, or Capistrano's own current_path/release_path filled
 * in by Ruby or ERB. Found by its shape, not by the stage's deploy_to (this reader has no stage).
 */
const RELEASE_DIR = /^(?:\/[^\s]*\/current|\/[^\s]*\/releases\/[^/\s]+|#\{\s*(?:current_path|release_path|fetch\(:(?:current_path|release_path)\))\s*\}|<%=\s*(?:current_path|release_path|fetch\(:(?:current_path|release_path)\))\s*-?%>|(?:#\{[^}]*deploy_to[^}]*\}|<%=[^%]*deploy_to[^%]*%>)\/current)\/?$/;

/** Ruby or ERB the deploy fills in before the line runs (`#{…}`, `<%= … %>`), or monit-loops' stand-in for it. */
const DEPLOY_FILLED = /#\{|<%|ERB_VALUE/;

/** Programs that run another one: left at the head of the words, the process is not read. */
const WRAPPER = /(^|\/)(su|sudo|env|sh|bash|dash|zsh|nohup|exec|start-stop-daemon|setsid|chpst|setuidgid)$/;

const quote = (w: string) => `\`${w.length > 80 ? `${w.slice(0, 80)}…` : w}\``;

/**
 * The process a start line runs, as words and environment the pod can use, with notes saying what was
 * taken off; or why it cannot be read. `pick` chooses the process among the steps of a `&&`/`;` list;
 * `daemonVars` are the backend's variables that only made it a daemon (left out, said).
 */
export function readStartLine(line: string, pick: (words: string[]) => boolean, daemonVars: readonly string[] = [], layout: ServerLayout = []): StartLine {
  const un = unwrapCommand(line, pick);
  if (!un) return { unknown: "its shell syntax is not read (a pipe, an input redirect, a command substitution, a quote that does not close, or several commands none of which is the process)" };
  const env: Record<string, string> = {};
  const notes: string[] = [];
  const placement: string[] = [];
  const daemon: string[] = [];
  const assign = (word: string, expands: boolean): string | null => {
    const m = ASSIGNMENT.exec(word)!;
    const name = m[1]!;
    // The backend's own daemon switches (Resque's PIDFILE, BACKGROUND): the pod runs it in the foreground.
    if (daemonVars.includes(name)) {
      daemon.push(name);
      return null;
    }
    if (SERVER_PLACEMENT.test(name)) {
      placement.push(name);
      return null;
    }
    // Each stage's ConfigMap sets these; the line's value was one server's.
    if (name === "RAILS_ENV" || name === "RACK_ENV") return null;
    if (expands) return `${name}'s value ${quote(m[2]!)} is filled in by the servers' shell`;
    if (DEPLOY_FILLED.test(m[2]!)) return `${name}'s value ${quote(m[2]!)} is filled in by the deploy`;
    env[name] = m[2]!;
    return null;
  };
  for (const step of un.setup) {
    const [cmd, ...args] = step.words;
    if (cmd === "cd") {
      const at = args.findIndex((a) => !/^-[LP]$/.test(a));
      const dir = at >= 0 ? args[at]! : null;
      if (dir === null) return { unknown: "`cd` with no directory changes to the servers' home directory" };
      if (step.expands[at + 1]) return { unknown: `\`cd ${dir}\` changes to a directory the servers' shell fills in` };
      // The stages' own deploy_to first; by shape only when no stage names the directory.
      const place = DEPLOY_FILLED.test(dir) ? null : placeOf(dir, layout);
      if (place && "unknown" in place) return place;
      if (place) notes.push(place.release);
      else if (!RELEASE_DIR.test(dir)) return { unknown: `\`cd ${dir}\` changes to a directory that is not the release (the image has only the app's own directory)` };
      else notes.push(`\`cd ${dir}\` is the release${layout.length && !DEPLOY_FILLED.test(dir) ? ` by its shape only (no stage deploys there: deploy_to ${[...new Set(layout.map((l) => l.deployTo))].join(", ")})` : ""}: the image's app directory, where the pod starts`);
    } else if (cmd === "export" || ASSIGNMENT.test(cmd!)) {
      const words = cmd === "export" ? args : step.words;
      const from = cmd === "export" ? 1 : 0;
      for (let i = 0; i < words.length; i++) {
        if (!ASSIGNMENT.test(words[i]!)) continue;
        const why = assign(words[i]!, step.expands[i + from]!);
        if (why) return { unknown: why };
      }
    } else notes.push(`left out \`${step.words.join(" ").slice(0, 80)}\` (the servers' shell setup)`);
  }
  const words = [...un.words];
  const expands = [...un.expands];
  while (words.length && ASSIGNMENT.test(words[0]!)) {
    const why = assign(words.shift()!, expands.shift()!);
    if (why) return { unknown: why };
  }
  // `X=1 exec cmd`: the shell replaces itself with cmd, which gets the assignments (POSIX: an
  // assignment before a special built-in such as exec holds for it and for what it runs).
  if (words[0] === "exec" && words.length > 1 && !words[1]!.startsWith("-") && !expands[0]) {
    words.shift();
    expands.shift();
  }
  // `rbenv exec cmd` (at any path, the servers' own rbenv) ran cmd with the servers' Ruby: the image has its own.
  if (words.length > 2 && /(^|\/)rbenv$/.test(words[0]!) && words[1] === "exec") {
    notes.push(`left out ${quote(words.slice(0, 2).join(" "))} (the servers' Ruby; the image has its own)`);
    words.splice(0, 2);
    expands.splice(0, 2);
  }
  if (!words.length) return { unknown: "it runs no program" };
  for (let i = 0; i < words.length; i++) {
    if (expands[i]) return { unknown: `${quote(words[i]!)} is filled in by the servers' shell` };
    if (DEPLOY_FILLED.test(words[i]!)) return { unknown: `${quote(words[i]!)} is filled in by the deploy` };
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(words[i]!)) return { unknown: `${quote(words[i]!.replace(/[\x00-\x1f\x7f]/g, "?"))} holds a control character` };
  }
  // Paths into the stages' release are the image's app directory, where the pod starts (relative);
  // paths under shared_path are the servers' files, which the image does not hold: said, kept as written.
  const inRelease: string[] = [];
  const inShared: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    for (const l of layout) {
      const m = new RegExp(`^(-[^=/]*=)?(?:${escapeRe(l.current)}|${escapeRe(l.releases)}/[^/]+)/(.+)$`).exec(w);
      if (m) {
        words[i] = `${m[1] ?? ""}${m[2]}`;
        inRelease.push(w);
        break;
      }
      if (new RegExp(`^(-[^=/]*=)?${escapeRe(l.shared)}(/|$)`).test(w)) {
        inShared.push(`${quote(w)} (shared_path of stage ${l.stage}, ${l.source.file}:${l.source.line})`);
        break;
      }
    }
  }
  if (inRelease.length) notes.push(`${inRelease.map(quote).join(", ")} ${inRelease.length > 1 ? "are" : "is"} in the release: read relative to the image's app directory`);
  if (inShared.length) notes.push(`${inShared.join(", ")} ${inShared.length > 1 ? "are paths" : "is a path"} of the servers' shared directory, which the image does not have: kept as written, mount it there or change the line`);
  // A wrapper left on (after assignments that su or sudo would clear, or with options not read): not the process.
  if (WRAPPER.test(words[0]!)) return { unknown: `${quote(words.slice(0, 3).join(" "))} wraps the process in a way the analysis does not take off` };
  if (/^\//.test(words[0]!)) return { unknown: `the program ${quote(words[0]!)} is a path of the servers` };
  // The pod runs the process in the foreground and logs to its output: `&` and redirects only served the servers.
  if (un.dropped.length) notes.push(`left out ${un.dropped.map(quote).join(", ")} (the background and log files of the servers; the pod runs it in the foreground, logging to its output)`);
  if (daemon.length) notes.push(`left out ${[...new Set(daemon)].join(", ")} (a daemon's; the pod runs it in the foreground)`);
  if (placement.length) notes.push(`left out ${placement.join(", ")} (the servers' Ruby and user; the image has its own)`);
  // The wrappers as written, less a list of steps that may assign values (those are said above, by name).
  const wrappers = un.wrappers.filter((w) => !w.includes("="));
  if (wrappers.length) notes.unshift(`read through its wrappers (${wrappers.map(quote).join(", ")})`);
  return { words, env, notes };
}
