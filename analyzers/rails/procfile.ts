// The Procfiles foreman or the deploy reads: `name: command` per line, as foreman reads them.
// - `Procfile`: foreman's and Heroku's default, always read.
// - Any file the deploy's foreman names (`foreman start -f Procfile.servers`), whatever its name.
// - `Procfile.<name>` (Procfile.dev, Procfile.production...), where <name> is a word: foreman reads
//   them with `-f`, bin/dev with Procfile.dev; they count where `Procfile` says nothing. A name that
//   is not a word (`Procfile.0`, a CI build file in one repo) or a backup's (`.bak`, `.orig`, `~`) is
//   no file foreman is pointed at: not read.
import type { AnalyzerContext, ProcfileEntry } from "../../src/model.js";
import { foremanRuns } from "../appserver/foreman.js";

const NAMED = /^Procfile\.[A-Za-z][A-Za-z0-9_-]*$/;
const BACKUP = /\.(bak|orig|old|save|swp|backup|tmp|disabled)$/i;

export function readProcfiles(ctx: AnalyzerContext): ProcfileEntry[] {
  const out: ProcfileEntry[] = [];
  const hasNamed = ctx.repo.paths.some((p) => p.startsWith("Procfile.") && !p.includes("/"));
  const runs = hasNamed ? new Set(foremanRuns(ctx).map((r) => r.procfile)) : new Set<string | null>();
  const files = ctx.repo.paths.filter((p) => p === "Procfile" || runs.has(p) || (NAMED.test(p) && !BACKUP.test(p)));
  for (const file of files) {
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
