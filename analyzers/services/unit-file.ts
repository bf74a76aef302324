// A systemd unit as systemd reads it (systemd.syntax(7)): `[Section]` headers, `Key=Value` lines,
// `#`/`;` comments, a trailing backslash joining the next line; a key may repeat (ExecStart= in a
// oneshot; an empty value resets the list). Each entry keeps the line it starts on. The npm `ini`
// package was weighed: it merges repeated keys, treats `;` inside values as comments and gives no
// lines, so this small reader is the repo's own. ERB tags in a `.service.erb` stay in the values.

export interface UnitEntry {
  section: string;
  key: string;
  value: string;
  /** 1-based line the entry starts on. */
  line: number;
}

export function readUnit(text: string): UnitEntry[] {
  const out: UnitEntry[] = [];
  const lines = text.split(/\r?\n/);
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let l = lines[i]!.trim();
    if (!l || l.startsWith("#") || l.startsWith(";")) continue;
    const h = /^\[([^\]]+)\]$/.exec(l);
    if (h) {
      section = h[1]!;
      continue;
    }
    while (l.endsWith("\\") && i + 1 < lines.length) {
      l = l.slice(0, -1) + " ";
      let next = lines[++i]!.trim();
      // Comment lines inside a continued value are skipped (systemd.syntax(7)).
      while ((next.startsWith("#") || next.startsWith(";")) && i + 1 < lines.length) next = lines[++i]!.trim();
      l += next;
    }
    const eq = l.indexOf("=");
    if (eq <= 0) continue;
    out.push({ section, key: l.slice(0, eq).trim(), value: l.slice(eq + 1).trim(), line: start + 1 });
  }
  return out;
}

/**
 * The command lines a unit's ExecStart= runs (the last list wins; an empty assignment clears it),
 * with systemd's prefix characters (`-@:+!`) taken off.
 */
export function execStarts(entries: UnitEntry[]): { command: string; line: number }[] {
  let list: { command: string; line: number }[] = [];
  for (const e of entries) {
    if (e.section !== "Service" || e.key !== "ExecStart") continue;
    if (e.value === "") list = [];
    else list.push({ command: e.value.replace(/^[-@:+!]+/, ""), line: e.line });
  }
  return list;
}
