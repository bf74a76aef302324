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

/** `systemctl [--user] <verb> units…`: the units, as words; a glob pattern (`sidekiq-*`) kept whole, as systemctl reads it. */
export const SYSTEMCTL_START = new RegExp(`\\bsystemctl\\s+(?:--user\\s+)?(?:${SYSTEMCTL_VERBS})\\s+([\\w@.*?[\\]\\s-]+)`);
/**
 * A unit name that is a glob (systemctl(1): "PATTERN" arguments match the names of units systemd has
 * loaded, with fnmatch's `*`, `?` and `[...]`): how many units it starts is on the servers.
 */
export const isUnitGlob = (unit: string): boolean => /[*?[\]]/.test(unit);
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

/** What unwrapCommand reads out of a line: the process's words and what was around them. */
export interface Unwrapped {
  /** The process's words, quotes removed (`#{…}` kept whole). */
  words: string[];
  /** Per word: it holds a shell expansion (`$X`, `${X}`, `$(…)` in double quotes, a leading `~`) the servers' shell filled in. */
  expands: boolean[];
  /** The wrappers taken off, as written. */
  wrappers: string[];
  /** What the shell did around the process, left out as written: `&` (into the background), output redirects (`>> log 2>&1`). */
  dropped: string[];
  /** The steps that only prepared the shell (`cd dir`, `export A=b`, `source f`, `A=b` alone), as words, in order. */
  setup: { words: string[]; expands: boolean[] }[];
}

/**
 * The command a service or deploy line really runs, read through the wrappers servers put around it:
 * `su [-] [user] -c '…' [user]`, `sudo [-u x] [-H] …`, `bash|sh [-l] -c '…'`, `env A=b …`, `nohup`,
 * `exec`, `start-stop-daemon --start … --exec prog [-- args]`, and `cd dir && …` / `source x; …` setup steps. Ruby interpolation (`#{…}`) is filled before
 * the shell reads the line, so it is one opaque piece of a word here, whatever quotes it holds.
 * `pick` chooses the one step of a `&&`/`;` list that is the process (none or several: null).
 * Returns the inner line as shell words (quotes removed) and the wrappers taken off, as written.
 */
export function unwrapCommand(line: string, pick: (words: string[]) => boolean): Unwrapped | null {
  const wrappers: string[] = [];
  const setup: Unwrapped["setup"] = [];
  const dropped: string[] = [];
  let text = line.trim();
  for (let depth = 0; depth < 6; depth++) {
    const steps = shellSteps(text, dropped);
    if (!steps) return null;
    const texts = steps.map((s) => s.map((w) => w.text));
    const isSetup = (s: string[]) => SETUP_STEP.has(s[0]!) || s.every((w) => ASSIGN.test(w));
    const real = texts.filter((s) => !isSetup(s));
    const chosen = real.length === 1 ? real[0]! : real.filter(pick).length === 1 ? real.filter(pick)[0]! : null;
    if (!chosen) return null;
    const at = texts.indexOf(chosen);
    // Only the steps before the process prepared it (a `cd` after it changes nothing it saw).
    for (let i = 0; i < at; i++) if (isSetup(texts[i]!)) setup.push({ words: texts[i]!, expands: steps[i]!.map((w) => w.expands) });
    if (steps.length > 1) wrappers.push(texts.filter((s) => s !== chosen).map((s) => s.join(" ")).join("; "));
    const words = [...steps[at]!];
    // Leading wrappers that take the rest of the words as the command.
    for (;;) {
      const w0 = words[0]?.text.replace(/^.*\//, "");
      if (w0 === "exec" || w0 === "nohup") wrappers.push(words.shift()!.text);
      else if (w0 === "env") {
        const taken = [words.shift()!.text];
        while (words.length && /^-/.test(words[0]!.text)) taken.push(words.shift()!.text);
        wrappers.push(taken.join(" "));
        // Its assignments stay: they are the command's environment.
      } else if (w0 === "sudo") {
        const taken = [words.shift()!.text];
        while (words.length && /^-/.test(words[0]!.text)) {
          const o = words.shift()!.text;
          taken.push(o);
          if (/^-[A-Za-z]*[ugCDhpRrTt]$/.test(o) && words.length) taken.push(words.shift()!.text);
        }
        wrappers.push(taken.join(" "));
      } else if (w0 === "start-stop-daemon") {
        const inner = startStopDaemonCommand(words.map((w) => w.text));
        if (!inner) break;
        wrappers.push(inner.wrapper);
        const keep = words.slice(words.length - (inner.words.length - 1));
        words.splice(0, words.length, { text: inner.words[0]!, expands: false }, ...keep);
      } else break;
    }
    // `A=b sh -c '…'` (and `env A=b sh -c`): the shell, and so its command, runs with A set. Not
    // through su or sudo, which start from a clean environment.
    const k = words.findIndex((w) => !ASSIGN.test(w.text));
    const w0 = words[k]?.text.replace(/^.*\//, "") ?? "";
    const c = words.findIndex((w, i) => i > k && (w.text === "-c" || /^-[a-z]*c$/.test(w.text) || w.text === "--command"));
    if (k >= 0 && ((k === 0 && w0 === "su") || SHELLS.has(w0)) && c > k && words[c + 1] !== undefined && !words[c + 1]!.expands) {
      if (k > 0) setup.push({ words: words.slice(0, k).map((w) => w.text), expands: words.slice(0, k).map((w) => w.expands) });
      wrappers.push([...words.slice(k, c + 1).map((w) => w.text), "…", ...words.slice(c + 2).map((w) => w.text)].join(" "));
      text = words[c + 1]!.text;
      continue;
    }
    return { words: words.map((w) => w.text), expands: words.map((w) => w.expands), wrappers, dropped, setup };
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

/** One shell word: its text with quotes removed, and whether an expansion of the servers' shell is in it. */
interface Word {
  text: string;
  expands: boolean;
}

/** `$` followed by what POSIX expands: a name, `{`, `(`, a digit or a special parameter. */
const EXPANSION = /^\$[A-Za-z_{(0-9@*#?$!-]/;

/**
 * A shell line split into the steps of its `&&`/`;`/`||` list, each as words with quotes removed, by
 * POSIX's quoting rules (XCU 2.2): a backslash outside quotes keeps the next character (a newline
 * after it joins the lines); inside single quotes nothing is special; inside double quotes a
 * backslash escapes only `$`, `` ` ``, `"`, `\` and a newline. `#{…}` (Ruby's, filled before the shell
 * runs) is kept whole. A `$` expansion outside single quotes, or a leading `~`, marks its word.
 * Null when it pipes, redirects input (from anything but /dev/null), substitutes a command outside double quotes, or a quote does not close.
 */
function shellSteps(text: string, dropped: string[] = []): Word[][] | null {
  const steps: Word[][] = [[]];
  let word = null as Word | null;
  const add = (t: string, expands = false) => {
    word = { text: (word?.text ?? "") + t, expands: (word?.expands ?? false) || expands };
  };
  const end = () => {
    if (word !== null) steps[steps.length - 1]!.push(word);
    word = null;
  };
  /** The index of the `}` closing the `#{` at i, or -1. */
  const rubyEnd = (i: number): number => {
    let d = 0;
    for (let j = i; j < text.length; j++) {
      if (text[j] === "{") d++;
      else if (text[j] === "}" && --d === 0) return j;
    }
    return -1;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "#" && text[i + 1] === "{") {
      const j = rubyEnd(i);
      if (j < 0) return null;
      add(text.slice(i, j + 1));
      i = j;
    } else if (ch === "\\") {
      // Outside quotes a backslash quotes the next character; before a newline it joins the lines.
      if (i + 1 < text.length && text[i + 1] !== "\n") add(text[i + 1]!);
      i++;
    } else if (ch === "'") {
      // Nothing is special inside single quotes but Ruby's `#{…}`, filled before the shell reads the line.
      let j = i + 1;
      for (; j < text.length && text[j] !== "'"; j++)
        if (text[j] === "#" && text[j + 1] === "{") {
          const k = rubyEnd(j);
          if (k < 0) return null;
          j = k;
        }
      if (j >= text.length) return null;
      // `''` is an empty word, not no word: add makes the word even for no text.
      add(text.slice(i + 1, j));
      i = j;
    } else if (ch === '"') {
      let j = i + 1;
      let inner = "";
      let expands = false;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "#" && text[j + 1] === "{") {
          const k = rubyEnd(j);
          if (k < 0) return null;
          inner += text.slice(j, k + 1);
          j = k;
        } else if (text[j] === "\\" && j + 1 < text.length && '$`"\\\n'.includes(text[j + 1]!)) {
          if (text[j + 1] !== "\n") inner += text[j + 1];
          j++;
        } else {
          if (text[j] === "`" || EXPANSION.test(text.slice(j, j + 2))) expands = true;
          inner += text[j];
        }
      }
      if (j >= text.length) return null;
      word = { text: (word?.text ?? "") + inner, expands: (word?.expands ?? false) || expands };
      i = j;
    } else if (/\s/.test(ch)) end();
    else if (/\d/.test(ch) && word === null && text[i + 1] === ">") continue;
    else if (ch === ";" || (ch === "&" && text[i + 1] === "&") || (ch === "|" && text[i + 1] === "|")) {
      end();
      if (ch !== ";") i++;
      steps.push([]);
    } else if (ch === "<" && /^<\s*\/dev\/null(?=[\s;&|]|$)/.test(text.slice(i))) {
      // `</dev/null`: a daemon's empty input, what a pod's process has anyway; left out like an output redirect.
      end();
      const m = /^<\s*\/dev\/null/.exec(text.slice(i))!;
      dropped.push(m[0]);
      i += m[0].length - 1;
    } else if (ch === "|" || ch === "<" || ch === "`" || (ch === "$" && text[i + 1] === "(")) return null;
    else if (ch === ">" || ch === "&") {
      // `>> log 2>&1` / `&` (background): the output's place, not part of the command.
      end();
      const from = i;
      while (i + 1 < text.length && /[>&\d]/.test(text[i + 1]!)) i++;
      // A file follows `>`/`>>`, not a duplication of a descriptor (`>&1`: the next word is the command's again).
      if (ch === ">" && !/>&\d*$/.test(text.slice(from, i + 1))) {
        while (i + 1 < text.length && /\s/.test(text[i + 1]!)) i++;
        while (i + 1 < text.length && !/[\s;&|]/.test(text[i + 1]!)) i++;
      }
      dropped.push(text.slice(from, i + 1).trim());
    } else add(ch, (ch === "$" && EXPANSION.test(text.slice(i, i + 2))) || (ch === "~" && word === null));
  }
  end();
  return steps.filter((s) => s.length);
}
