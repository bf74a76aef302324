// Procfile and Procfile.* (Procfile.dev...): `name: command` per line, as foreman reads them.
import type { AnalyzerContext, ProcfileEntry } from "../../src/model.js";

export function readProcfiles(ctx: AnalyzerContext): ProcfileEntry[] {
  const out: ProcfileEntry[] = [];
  for (const file of ctx.repo.paths.filter((p) => /^Procfile(\.[\w.-]+)?$/.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) {
      ctx.problem({ file, line: 0, message: r.error, severity: "warning" });
      continue;
    }
    r.text.split(/\r?\n/).forEach((text, i) => {
      const m = /^([A-Za-z0-9_-]+):\s*(.+?)\s*$/.exec(text);
      if (m) out.push({ name: m[1], command: m[2], source: { file, line: i + 1 } });
      else if (text.trim() && !text.trim().startsWith("#")) ctx.problem({ file, line: i + 1, message: "not a `name: command` line", severity: "warning" });
    });
  }
  return out;
}
