// Shell text in the output, judged by shellcheck and by where the shell would see a planted value.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** shellcheck (warnings and errors) on a script; `shell` when the text has no shebang. */
export function shellcheck(script: string, shell = "sh"): { ok: boolean; out: string } {
  const r = spawnSync("shellcheck", ["-s", shell, "-S", "warning", "-f", "gcc", "-"], { input: script, encoding: "utf8" });
  if (r.error) throw new Error(`shellcheck could not run: ${r.error.message} (apt-get install shellcheck)`);
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/**
 * shellcheck on many scripts in one run (it is slow to start). Returns, per script name, its
 * findings (warnings and errors); a script with none is absent.
 */
export function shellcheckAll(scripts: { name: string; text: string; shell?: string }[]): Record<string, string> {
  const d = mkdtempSync(join(tmpdir(), "r2k-shellcheck-"));
  try {
    const byPath = new Map<string, string>();
    const groups = new Map<string, string[]>();
    scripts.forEach((s, i) => {
      const p = join(d, `s${i}.sh`);
      writeFileSync(p, s.text);
      byPath.set(p, s.name);
      const sh = s.shell ?? "sh";
      groups.set(sh, [...(groups.get(sh) ?? []), p]);
    });
    const out: Record<string, string> = {};
    for (const [sh, paths] of groups) {
      const r = spawnSync("shellcheck", ["-s", sh, "-S", "warning", "-f", "gcc", ...paths], { encoding: "utf8", maxBuffer: 16 << 20 });
      if (r.error) throw new Error(`shellcheck could not run: ${r.error.message} (apt-get install shellcheck)`);
      for (const line of r.stdout.split("\n")) {
        const p = line.slice(0, line.indexOf(":"));
        const name = byPath.get(p);
        if (name !== undefined) out[name] = (out[name] ? out[name] + "\n" : "") + line.slice(p.length + 1);
      }
      if (r.status !== 0 && !r.stdout.trim()) throw new Error(`shellcheck failed: ${r.stderr}`);
    }
    return out;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

/**
 * For each character of a POSIX shell command: "s" inside single quotes, "e" escaped by a
 * backslash, "d" plain text inside double quotes, "u" unquoted, "x" inside a command
 * substitution ($(...) or `...`), even within double quotes: text the shell runs.
 */
export function quoteStates(cmd: string): string[] {
  const st: string[] = [];
  // Each frame: "u" (top level), "d" (double quotes), "sub" ($(...), with its paren depth), "bq" (`...`).
  const stack: { mode: "u" | "d" | "sub" | "bq"; depth: number }[] = [{ mode: "u", depth: 0 }];
  const inSub = () => stack.some((f) => f.mode === "sub" || f.mode === "bq");
  const push = (state: string, n = 1) => {
    for (let k = 0; k < n; k++) st.push(inSub() ? "x" : state);
  };
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    const top = stack[stack.length - 1];
    const dq = top.mode === "d";
    if (!dq && c === "'") {
      const end = cmd.indexOf("'", i + 1);
      const stop = end < 0 ? cmd.length - 1 : end;
      push("u");
      push("s", stop - i - 1);
      if (stop > i) push("u");
      i = stop;
    } else if (c === "\\" && i + 1 < cmd.length && (!dq || "$`\"\\\n".includes(cmd[i + 1]))) {
      push("e", 2);
      i++;
    } else if (c === "$" && cmd[i + 1] === "(") {
      stack.push({ mode: "sub", depth: 0 });
      push("x", 2);
      i++;
    } else if (c === "`") {
      push("x");
      if (top.mode === "bq") stack.pop();
      else stack.push({ mode: "bq", depth: 0 });
    } else if (c === '"') {
      push(dq ? "d" : "u");
      if (dq) stack.pop();
      else stack.push({ mode: "d", depth: 0 });
    } else if (top.mode === "sub" && c === "(") {
      top.depth++;
      push("x");
    } else if (top.mode === "sub" && c === ")") {
      push("x");
      if (top.depth === 0) stack.pop();
      else top.depth--;
    } else push(dq ? "d" : "u");
  }
  return st;
}

/** Characters a mapped name may hold: an unquoted word made only of these runs nothing. */
export const SAFE_WORD = /^[A-Za-z0-9._\/=,:@%+-]*$/;

/**
 * Occurrences of `needle` in `cmd` that the shell would run or split: inside a command
 * substitution, or in an unquoted word holding any character outside SAFE_WORD. A needle inside
 * single quotes, escaped, in plain double-quoted text or in a safe unquoted word (a name mapped to
 * [a-z0-9-]) is inert.
 */
export function liveOccurrences(cmd: string, needle: string): number[] {
  const st = quoteStates(cmd);
  const out: number[] = [];
  for (let i = cmd.indexOf(needle); i >= 0; i = cmd.indexOf(needle, i + 1)) {
    const states = st.slice(i, i + needle.length);
    if (states.includes("x")) out.push(i);
    else if (states.includes("u")) {
      let a = i;
      let b = i + needle.length;
      while (a > 0 && st[a - 1] !== "s" && !/\s/.test(cmd[a - 1])) a--;
      while (b < cmd.length && st[b] !== "s" && !/\s/.test(cmd[b])) b++;
      if (!SAFE_WORD.test(cmd.slice(a, b))) out.push(i);
    }
  }
  return out;
}
