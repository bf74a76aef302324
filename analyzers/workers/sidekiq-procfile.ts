// Sidekiq's Procfile lines as its own start lines: a line of the Procfile the deploy runs (foreman's
// `export … -f Procfile.production`, `foreman start`, another Procfile runner, a deploy line naming
// the root Procfile) started the servers' Sidekiq with its options, as a monit or systemd line does,
// so it is read the same way (sidekiq-line.ts: `-C` file, `-q` with weights, `-c`, `-t`). Without
// a line, Sidekiq with no `-q` and no config file works `default` only: a line's `-q mailers` lost
// is a queue nobody works.
// Which lines (the rule every backend follows, index.ts): the foreman run's Procfile when the deploy
// runs one the repo holds, else the root Procfile; Procfile.dev and friends never decide. A root
// Procfile no deploy line runs decides only where the deploy has no start of Sidekiq of its own (a
// service file, its own hooked task or a hooked line that starts it): the one it has is what ran.
import type { AnalyzerContext, CapistranoFacts, ProcfileEntry } from "../../src/model.js";
import { procfileRunByDeploy } from "../appserver/started.js";
import type { JobBackend } from "./backends.js";
import { deployStartsOf } from "./deploy-task-lines.js";
import { runOf, type DeployProcfile } from "./foreman-export.js";
import type { SidekiqServiceLine } from "./sidekiq-line.js";
import { rubySwitchNote } from "../../src/model/ruby-switch.js";
import { withoutRubySwitch } from "../../src/model/ruby-switch.js";

/**
 * The Sidekiq lines of the Procfile that decide its options, as start lines (the foreman run's
 * formation as the processes per server, its Ruby switch left out and said); null where no Procfile
 * line decides, said at the lines when a start of the deploy's own outranks them.
 */
export function sidekiqProcfileLines(
  ctx: AnalyzerContext,
  cap: CapistranoFacts | null,
  b: JobBackend,
  ownLines: ProcfileEntry[],
  mainFiles: ReadonlySet<string | null>,
  exported: DeployProcfile | null,
  other: { services: boolean; ownTask: boolean },
): SidekiqServiceLine[] | null {
  const lines = ownLines.filter((p) => mainFiles.has(p.source.file));
  if (!lines.length) return null;
  const run = !!exported || procfileRunByDeploy(ctx);
  if (!run) {
    const starts = other.services || other.ownTask ? [] : deployStartsOf(ctx, cap, b);
    if (other.services || other.ownTask || starts.length) {
      const by = other.services ? "a service file of the repo" : other.ownTask ? "the deploy's own hooked task" : `the deploy line at ${starts[0]!.source.file}:${starts[0]!.source.line}`;
      for (const p of lines)
        ctx.problem({ ...p.source, message: `Sidekiq: ${p.source.file} ${p.name} runs it, but no deploy line runs this Procfile (no foreman or other Procfile runner) and ${by} starts Sidekiq: that start is what ran, so this line's options do not decide the worker's command`, severity: "warning" });
      return null;
    }
  }
  return lines.map((p) => {
    const r = exported ? runOf(exported, p) : null;
    const un = withoutRubySwitch(p.command);
    const n = r ? (r.counts[p.name] ?? r.counts["all"]) : undefined;
    return {
      command: un.command,
      source: p.source,
      ...(n !== undefined && r ? { count: { count: n, written: `${p.name in r.counts ? p.name : "all"}=${n}`, source: r.source } } : {}),
      ...(un.switch ? { notes: [rubySwitchNote(un.switch)] } : {}),
      ...(r ? { evidence: [{ value: `the deploy runs \`${r.command.slice(0, 160)}\`, which starts ${p.source.file} ${p.name}`, source: r.source }] } : {}),
    };
  });
}
