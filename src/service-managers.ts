// The servers' service managers, read in one place: which repo files define services, which deploy
// lines start or restart a service and the units they name, and which programs are service managers
// at all. The analyzers (workers, app server evidence) and the cron rules (a job that calls one ran
// on the servers' init system, which an image does not have) all read them from here.

/** Managers that start a unit by name: `systemctl restart x`, `service x restart`, `initctl start x`. */
export const INIT_SYSTEMS: readonly string[] = ["systemctl", "service", "initctl"];
/** Process monitors that start what their own config files describe. */
export const PROCESS_MONITORS: readonly string[] = ["monit", "god"];
/** Every program that managed the servers' daemons. */
export const SERVICE_MANAGERS: ReadonlySet<string> = new Set([...INIT_SYSTEMS, ...PROCESS_MONITORS]);

/** Service definitions kept in the repo: systemd units, and files of init.d, upstart, systemd, monit or god (in such a folder or by extension). */
export const SERVICE_FILE = /(?:^|\/)[^/]*\.(?:service|socket)(?:\.erb)?$|(?:^|\/)(?:init\.d|upstart|systemd|monit|god)(?:\/|$)|\.(?:monitrc|god)(?:\.erb)?$/;
/** `.conf` templates the deploy renders into service definitions (upstart jobs, monit includes). */
export const SERVICE_TEMPLATE_CONF = /^(lib\/capistrano\/templates|config\/deploy\/templates|script|config\/upstart)\/[^/]+\.conf(\.erb)?$/;

const SYSTEMCTL_VERBS = "start|restart|reload|reload-or-restart|try-restart|enable\\s+--now";
const SERVICE_VERBS = "start|restart|reload";
const INITCTL_VERBS = "start|restart";

/** `systemctl [--user] <verb> units…`: the units, as words. */
export const SYSTEMCTL_START = new RegExp(`\\bsystemctl\\s+(?:--user\\s+)?(?:${SYSTEMCTL_VERBS})\\s+([\\w@.\\s-]+)`);
/** `service <unit> <verb>`. */
export const SERVICE_START = new RegExp(`\\bservice\\s+([\\w.-]+)\\s+(?:${SERVICE_VERBS})\\b`);
/** `initctl <verb> <unit>`. */
export const INITCTL_START = new RegExp(`\\binitctl\\s+(?:${INITCTL_VERBS})\\s+([\\w.-]+)`);
/** A start or restart through an init system, whatever names the unit (a variable, `#{…}`). */
export const SERVICE_START_ANY = new RegExp(`\\b(systemctl\\s+(--user\\s+)?(${SYSTEMCTL_VERBS})|service\\s+\\S+\\s+(${SERVICE_VERBS})|initctl\\s+(${INITCTL_VERBS}))\\b`);
/** An init system named on a line. */
export const INIT_SYSTEM_WORD = new RegExp(`\\b(${INIT_SYSTEMS.join("|")})\\b`);

/** The units a deploy line (as shell words) starts or restarts, as written (`x.service` kept). */
export function startedUnits(text: string): string[] {
  const units: string[] = [];
  const sc = SYSTEMCTL_START.exec(text);
  if (sc) units.push(...sc[1]!.trim().split(/\s+/).filter((u) => !/^-/.test(u) && !/^(do|end|if|then|and|or)$/.test(u)));
  for (const re of [SERVICE_START, INITCTL_START]) {
    const m = re.exec(text);
    if (m) units.push(m[1]!);
  }
  return units;
}

/**
 * The command a service or deploy line really runs, read through the wrappers servers put around it:
 * `su [-] [user] -c '…' [user]`, `sudo [-u x] [-H] …`, `bash|sh [-l] -c '…'`, `env A=b …`, `nohup`,
 * `exec`, `start-stop-daemon --start … --exec prog [-- args]`, and `cd dir && …` / `source x; …` setup steps. Ruby interpolation (`#{…}`) is filled before
 * the shell reads the line, so it is one opaque piece of a word here, whatever quotes it holds.
 * `pick` chooses the one step of a `&&`/`;` list that is the process (none or several: null).
 * Returns the inner line as shell words (quotes removed) and the wrappers taken off, as written.
 */
export function unwrapCommand(line: string, pick: (words: string[]) => boolean): { words: string[]; wrappers: string[] } | null {
  const wrappers: string[] = [];
  let text = line.trim();
  for (let depth = 0; depth < 6; depth++) {
    const steps = shellSteps(text);
    if (!steps) return null;
    const real = steps.filter((s) => !SETUP_STEP.has(s[0]!) && !s.every((w) => ASSIGN.test(w)));
    const chosen = real.length === 1 ? real[0]! : real.filter(pick).length === 1 ? real.filter(pick)[0]! : null;
    if (!chosen) return null;
    if (steps.length > 1) wrappers.push(steps.filter((s) => s !== chosen).map((s) => s.join(" ")).join("; "));
    const words = [...chosen];
    // Leading wrappers that take the rest of the words as the command.
    for (;;) {
      const w0 = words[0]?.replace(/^.*\//, "");
      if (w0 === "exec" || w0 === "nohup") wrappers.push(words.shift()!);
      else if (w0 === "env") {
        const taken = [words.shift()!];
        while (words.length && /^-/.test(words[0]!)) taken.push(words.shift()!);
        wrappers.push(taken.join(" "));
        // Its assignments stay: they are the command's environment.
      } else if (w0 === "sudo") {
        const taken = [words.shift()!];
        while (words.length && /^-/.test(words[0]!)) {
          const o = words.shift()!;
          taken.push(o);
          if (/^-[A-Za-z]*[ugCDhpRrTt]$/.test(o) && words.length) taken.push(words.shift()!);
        }
        wrappers.push(taken.join(" "));
      } else if (w0 === "start-stop-daemon") {
        const inner = startStopDaemonCommand(words);
        if (!inner) break;
        wrappers.push(inner.wrapper);
        words.splice(0, words.length, ...inner.words);
      } else break;
    }
    const w0 = words[0]?.replace(/^.*\//, "") ?? "";
    const c = words.findIndex((w, i) => i > 0 && (w === "-c" || /^-[a-z]*c$/.test(w) || w === "--command"));
    if ((w0 === "su" || SHELLS.has(w0)) && c > 0 && words[c + 1] !== undefined) {
      wrappers.push([...words.slice(0, c + 1), "…", ...words.slice(c + 2)].join(" "));
      text = words[c + 1]!;
      continue;
    }
    return { words, wrappers };
  }
  return null;
}

const ASSIGN = /^[A-Za-z_]\w*=/;

/** start-stop-daemon's options that take a value (Debian's dpkg manual), long and short. */
const SSD_VALUE = new Set(["--pidfile", "-p", "--exec", "-x", "--startas", "-a", "--chuid", "-c", "--user", "-u", "--group", "-g", "--chdir", "-d", "--chroot", "-r", "--name", "-n", "--nicelevel", "-N", "--umask", "-k", "--retry", "-R", "--signal", "-s", "--procsched", "-P", "--iosched", "-I", "--output", "-O", "--ppid", "--notify-timeout"]);

/**
 * The process a `start-stop-daemon --start` line runs: `--startas` else `--exec`, with the words
 * after `--` as its arguments. Its own options (the pid file, `--background`, `--chdir`, the user)
 * only placed the process on the server. Null for any other action (`--stop`), or no program.
 */
function startStopDaemonCommand(words: string[]): { words: string[]; wrapper: string } | null {
  let exec: string | null = null;
  let startas: string | null = null;
  let start = false;
  let i = 1;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === "--") break;
    const eq = /^(--[a-z-]+)=(.*)$/.exec(w);
    const opt = eq ? eq[1]! : w;
    const value = eq ? eq[2]! : SSD_VALUE.has(w) ? words[++i] : undefined;
    if (opt === "--start" || opt === "-S") start = true;
    else if (opt === "--exec" || opt === "-x") exec = value ?? null;
    else if (opt === "--startas" || opt === "-a") startas = value ?? null;
    else if (!/^-/.test(w)) return null;
  }
  const program = startas ?? exec;
  if (!start || !program) return null;
  return { words: [program, ...words.slice(i + 1)], wrapper: words.slice(0, i + 1).join(" ") };
}
const SHELLS = new Set(["bash", "sh", "zsh", "dash"]);
/** Steps of a `&&`/`;` list that only prepare the shell (the directory, the environment, a profile). */
const SETUP_STEP = new Set(["cd", "source", ".", "export", "umask", "ulimit"]);

/**
 * A shell line split into the steps of its `&&`/`;`/`||` list, each as words with quotes removed;
 * `#{…}` kept whole. Null when it pipes, redirects into a command, or its quotes do not close.
 */
function shellSteps(text: string): string[][] | null {
  const steps: string[][] = [[]];
  let word: string | null = null;
  const end = () => {
    if (word !== null) steps[steps.length - 1]!.push(word);
    word = null;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "#" && text[i + 1] === "{") {
      let d = 0;
      let j = i;
      for (; j < text.length; j++) {
        if (text[j] === "{") d++;
        else if (text[j] === "}" && --d === 0) break;
      }
      if (j >= text.length) return null;
      word = (word ?? "") + text.slice(i, j + 1);
      i = j;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      let inner = "";
      for (; j < text.length && text[j] !== ch; j++) {
        if (text[j] === "#" && text[j + 1] === "{") {
          let d = 0;
          let k = j;
          for (; k < text.length; k++) {
            if (text[k] === "{") d++;
            else if (text[k] === "}" && --d === 0) break;
          }
          if (k >= text.length) return null;
          inner += text.slice(j, k + 1);
          j = k;
        } else if (ch === '"' && text[j] === "\\" && j + 1 < text.length) inner += text[++j];
        else inner += text[j];
      }
      if (j >= text.length) return null;
      word = (word ?? "") + inner;
      i = j;
    } else if (/\s/.test(ch)) end();
    else if (/\d/.test(ch) && word === null && text[i + 1] === ">") continue;
    else if (ch === ";" || (ch === "&" && text[i + 1] === "&") || (ch === "|" && text[i + 1] === "|")) {
      end();
      if (ch !== ";") i++;
      steps.push([]);
    } else if (ch === "|" || ch === "<" || ch === "`" || (ch === "$" && text[i + 1] === "(")) return null;
    else if (ch === ">" || ch === "&") {
      // `>> log 2>&1` / `&` (background): the output's place, not part of the command.
      end();
      while (i + 1 < text.length && /[>&\d]/.test(text[i + 1]!)) i++;
      if (ch === ">") {
        while (i + 1 < text.length && /\s/.test(text[i + 1]!)) i++;
        while (i + 1 < text.length && !/[\s;&|]/.test(text[i + 1]!)) i++;
      }
    } else word = (word ?? "") + ch;
  }
  end();
  return steps.filter((s) => s.length);
}
