// The Active Job queue adapter an environment runs with: `config.active_job.queue_adapter = :x` in
// config/application.rb, overridden by config/environments/<env>.rb (Rails loads it after
// application.rb), and `ActiveJob::Base.queue_adapter = :x` / `Rails.application.config.
// active_job.queue_adapter = :x` in an initializer, which runs later still. Within a file the last
// assignment wins. A value that is not a literal Symbol or String is not guessed: `unknown`.
// It is where the app's jobs go: a backend another adapter names is not where the app enqueues
// through Active Job (analyzers/workers: counter-evidence for a worker only a generic role suggests).
import type { AnalyzerContext, Source } from "../../src/model.js";

export type QueueAdapter = { adapter: string; source: Source } | { unknown: string; source: Source };

const ASSIGN = /^\s*(?:(?:Rails\.application\.)?config\.active_job|ActiveJob::Base)\.queue_adapter\s*=\s*(.+?)\s*(?:#.*)?$/;
const LITERAL = /^(?::(\w+)|"(\w+)"|'(\w+)')$/;

function lastIn(ctx: AnalyzerContext, file: string): QueueAdapter | null {
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  let found: QueueAdapter | null = null;
  r.text.split(/\r?\n/).forEach((line, i) => {
    const m = ASSIGN.exec(line);
    if (!m) return;
    const lit = LITERAL.exec(m[1]!);
    const source = { file, line: i + 1 };
    found = lit ? { adapter: (lit[1] ?? lit[2] ?? lit[3])!, source } : { unknown: m[1]!, source };
  });
  return found;
}

/** The adapter of a Rails environment, with the line that sets it; null when no file sets one. */
export function queueAdapterOf(ctx: AnalyzerContext, railsEnv: string): QueueAdapter | null {
  // Initializers run in file-name order: the last one that sets it wins.
  const initializers = ctx.repo.paths.filter((p) => /^config\/initializers\/[^/]+\.rb$/.test(p)).sort();
  let fromInit: QueueAdapter | null = null;
  for (const f of initializers) fromInit = lastIn(ctx, f) ?? fromInit;
  if (fromInit) return fromInit;
  return lastIn(ctx, `config/environments/${railsEnv}.rb`) ?? lastIn(ctx, "config/application.rb");
}
