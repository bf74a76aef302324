// Mapping rules of cron commands that need what only the servers had, which are written suspended:
// a server's program (serverOnlyProgram), its deploy layout (serverLayoutPath), a path outside the
// release (serverPathArgument), administering the servers (serverAdminCommand), and the reasons said
// (cronServerOnlyReason, cronServerAdminReason). Index of all rules: ./README.md.
import type { CronJob } from "../../../src/model.js";
import { APP_DIR } from "../../contract.js";
import { INIT_SYSTEMS, SERVICE_MANAGERS } from "../../../src/model/service-managers.js";
import { absolutePathWords, hasGrammar, rubyStringPaths, simpleCommands, wordRoles, type ShellWord } from "../cron-words.js";

/**
 * The first path a command names that only the servers had: the EC2 deploy layout
 * (`/var/www/app/shared/...`, `/home/deploy/...`), or a directory it `cd`s into outside the image's
 * app directory (the image has no such directory, so the command would fail on every run).
 */
export function serverLayoutPath(command: string): string | null {
  // Only words that name files by their program's grammar (cron-words.ts): a grep pattern or a sed
  // script that spells `/var/www/` names no directory.
  for (const words of simpleCommands(command)) {
    const roles = wordRoles(words);
    for (const { word, role } of roles) {
      const paths = role === "ruby" ? rubyStringPaths(word.text) : role === "path" || role === "program" ? [word.text.replace(/^(?:--?[\w-]+|[A-Za-z_]\w*)=/, "")] : [];
      for (const p of paths) if (SERVER_LAYOUT.test(p)) return p;
    }
    const cd = roles[0]?.role === "program" && roles[0].word.text === "cd" ? roles[1]?.word.text : undefined;
    if (cd?.startsWith("/") && cd !== APP_DIR && !cd.startsWith(`${APP_DIR}/`) && !/^\/(?:tmp|var\/tmp)(?:\/|$)/.test(cd)) return cd;
  }
  return null;
}

/** The servers' deploy layout: the usual deploy roots, or a path through a release's shared/, releases/ or current/. */
const SERVER_LAYOUT = /^(?:(?:\/var\/www|\/home\/\w+|\/srv\/\w+|\/opt\/\w+)\/|\/[^\s'";|&>]*\/(?:shared|releases|current)\/)/;

/**
 * A command whose program is an absolute path outside the system's own directories
 * (`/usr/local/bin/backup`, `/home/deploy/bin/x`): it was installed on the servers, not in the image.
 */
export function serverOnlyProgram(command: string): string | null {
  for (const words of simpleCommands(command)) {
    const w = programOf(words);
    if (!w) continue;
    // The image's Ruby puts these on PATH: a shim or wrapper path to them is rewritten, not suspended (cronCommand).
    if (RUBY_TOOL_PATH.test(w) && !w.startsWith(`${APP_DIR}/`)) continue;
    if (w.startsWith("/") && !w.startsWith(`${APP_DIR}/`) && !/^\/(usr\/)?s?bin\/[\w.-]+$/.test(w)) return w;
    // Service managers of the servers: the image has none, and Kubernetes restarts its own pods.
    if (SERVER_DAEMON_PROGRAMS.has(w.replace(/^.*\//, ""))) return w;
  }
  return null;
}

/** `systemctl restart x`, `service nginx reload`, `/etc/init.d/x`: what managed the servers' daemons (and sudo, which the image has not). */
const SERVER_DAEMON_PROGRAMS: ReadonlySet<string> = new Set([...SERVICE_MANAGERS, "sudo"]);

/**
 * The program a command word list runs: past `VAR=value` words and the wrappers that run the rest
 * (`env`, `nice`, `nohup`, `timeout 60`, `bundle exec`, `exec`), so `/usr/bin/env X=1 /opt/x/run`
 * is /opt/x/run. `sudo` is kept: the container has no sudo, and what it ran was the server's.
 */
function programOf(shell: ShellWord[]): string | undefined {
  const words = shell.map((w) => w.text);
  let i = 0;
  for (;;) {
    const w = words[i];
    if (w === undefined) return undefined;
    const base = w.replace(/^\/(?:usr\/)?bin\//, "");
    if (shell[i]!.redirect) i += /&[\d-]*$/.test(w) ? 1 : 2;
    else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++;
    else if (base === "env" || base === "nice" || base === "nohup" || base === "exec" || base === "command") {
      i++;
      while (words[i]?.startsWith("-")) i += words[i] === "-n" || words[i] === "-u" ? 2 : 1;
    } else if (base === "timeout") {
      // `timeout -s KILL -k 5 60 X`, `timeout --signal=KILL 60 X`: options, then the duration.
      i++;
      while (words[i]?.startsWith("-")) i += ["-s", "-k", "--signal", "--kill-after"].includes(words[i]!) ? 2 : 1;
      i++;
    } else if (w === "bundle" && words[i + 1] === "exec") i += 2;
    else if (w.includes("/") || NOT_WRAPPERS.has(w) || hasGrammar(w)) return w;
    else {
      // A wrapper not known here (`flock -n /tmp/x.lock /opt/backup/run.sh`): a server's absolute
      // path among its words is what it runs. Redirect targets, the app's own files, /tmp, /dev/null
      // and the system's bin directories are not.
      for (let j = i + 1; j < words.length; j++) {
        if (shell[j]!.redirect) {
          if (!/&[\d-]*$/.test(words[j]!)) j++;
          continue;
        }
        const arg = words[j]!;
        if (!arg.startsWith("/") || arg === APP_DIR || arg.startsWith(`${APP_DIR}/`)) continue;
        if (/^\/(tmp|dev\/null)(\/|$)/.test(arg) || /^\/(usr\/)?s?bin\/[\w.-]+$/.test(arg)) continue;
        return arg;
      }
      return w;
    }
  }
}

/** Programs that run what the app holds, or never run a path they are given as a program. */
// The init systems take a unit's name, never a path to run; monit and god take their config's path, which is what they run.
const NOT_WRAPPERS: ReadonlySet<string> = new Set(["ruby", "rake", "rails", "bundle", "bundler", "node", "cd", "echo", "printf", "test", "[", "true", "false", "sudo", ...INIT_SYSTEMS]);

/**
 * A path to Ruby's own tools on the servers (rbenv/rvm/chruby shims and wrappers, /usr/local/bin,
 * the system Ruby's /usr/bin): the image runs the same tool from its PATH.
 */
const RUBY_TOOL_PATH = /^\/[^\s'";|&>]*\/(?:shims|bin|wrappers)\/(?:bundle|bundler|ruby|rake|gem|rails)$/;

/**
 * Programs that administered the servers themselves: privilege (sudo, su), their init systems and
 * process monitors, power. Run from a CronJob's pod they mean nothing (it has no sudo, no init
 * system, nothing of the servers to restart), and Kubernetes restarts its own pods.
 */
const SERVER_ADMIN_PROGRAMS: ReadonlySet<string> = new Set([...SERVICE_MANAGERS, "sudo", "su", "sv", "supervisorctl", "reboot", "shutdown", "halt", "poweroff"]);

/**
 * The piece of a cron command that administers the servers (`sudo systemctl restart sidekiq`,
 * `/etc/init.d/nginx reload`, `monit restart all`, `reboot`), or null. Its first program after
 * `VAR=value` words and the plain wrappers (`env`, `nice`, `nohup`) decides.
 */
export function serverAdminCommand(command: string): string | null {
  for (const segment of command.split(/&&|\|\||[;|]/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || /^(?:\/(?:usr\/)?bin\/)?(?:env|nice|nohup|exec|command)$/.test(words[i]!))) i++;
    const w = words[i];
    if (w === undefined) continue;
    if (SERVER_ADMIN_PROGRAMS.has(w.replace(/^\/(?:usr\/)?s?bin\//, "")) || /^\/etc\/(?:init\.d|rc\.d)\//.test(w)) return words.slice(i).join(" ");
  }
  return null;
}

/**
 * Why a CronJob stays suspended for good: its command administered the servers (serverAdminCommand).
 * It is written, suspended, rather than left out, so that whenever's jobs stay one to one with the
 * CronJobs and the reason sits beside the job a reader looks for; it is not to be resumed.
 */
export function cronServerAdminReason(command: string): string | null {
  const admin = serverAdminCommand(command);
  if (!admin) return null;
  return `it administers the servers (${JSON.stringify(admin)}): a CronJob's pod has no sudo and no init system, and nothing of the servers to restart; Kubernetes restarts its own pods (a container over its memory limit, a failing liveness probe). Keep it suspended or delete it; if the restart worked around a worker's memory growth, set that worker's memory limit instead`;
}

/** Why a CronJob is written suspended: what its command runs that only the servers had, or null. */
export function cronServerOnlyReason(job: CronJob, command: string): string | null {
  if (job.missingFiles?.length) return `it runs ${job.missingFiles.join(", ")}, which the repo does not hold (the servers had ${job.missingFiles.length === 1 ? "it" : "them"}; the image will not)`;
  const program = serverOnlyProgram(command);
  if (program) return `it runs ${program}, a program installed on the servers, not in the image`;
  const layout = serverLayoutPath(command);
  if (layout) return `it names ${layout}, a path of the servers' deploy layout that the container does not have`;
  const path = serverPathArgument(command);
  if (path) return `it names ${path}, a path of the servers outside the release (the image holds only the app, at ${APP_DIR}): what it reads or writes there is not in the pod, and what it writes is lost with the pod`;
  return null;
}

/**
 * The first absolute path a command names as a word (an argument, `--opt=/x`, a redirect target)
 * that the image does not have: outside the app directory (the release, already mapped to it by
 * cronCommand), the system's own directories, /tmp and /dev. `--output-dir /data/dump` wrote to a
 * disk or mount of the servers; in a pod the directory is missing, or the output dies with the pod.
 * URLs (`https://x/y`) are not paths. The program's own path is serverOnlyProgram's.
 */
export function serverPathArgument(command: string): string | null {
  // A word counts only where its program reads it as a file (cron-words.ts): `grep '/api/v1/'`,
  // `sed 's/a/b/'`, a runner's `/regex/` name none; a runner's `'/data/in'` string does.
  for (const word of absolutePathWords(command)) {
    if (word === "/" || word === APP_DIR || word.startsWith(`${APP_DIR}/`) || SYSTEM_PATH.test(word)) continue;
    return word;
  }
  return null;
}

/** Directories every image has, or that mean the same in a pod: the system's programs and libraries, devices, scratch space. */
const SYSTEM_PATH = /^\/(?:usr|bin|sbin|lib|lib64|proc|sys|dev|tmp|var\/tmp|etc\/ssl)(?:\/|$)/;
