// The Active Job queue adapter an environment runs with, in the order Rails applies it (checked by
// booting Debian's Rails 6.1 with activejob, test/rails/queue-adapter-boot.test.ts):
// - `config.active_job.queue_adapter = :x` in config/application.rb;
// - the same in config/environments/<env>.rb, loaded after application.rb: it wins;
// - then the initializers, every `config/initializers/**/*.rb` in sorted path order (Rails' engine
//   `paths["config/initializers"]` glob). `ActiveJob::Base.queue_adapter = :x` there sets it. A
//   `(Rails.application.)config.active_job.queue_adapter = :x` there counts only while
//   ActiveJob::Base is not loaded yet: active_job's railtie copies the config onto ActiveJob::Base
//   once, when it loads (`ActiveSupport.on_load(:active_job)`), so after an earlier initializer line
//   names `ActiveJob::Base` the assignment changes nothing (said as `ignored`).
// Within a file the last assignment wins. A value that is not a literal Symbol or String is not
// guessed: `unknown`.
// It is where the app's jobs go: a backend another adapter names is not where the app enqueues
// through Active Job (analyzers/workers: counter-evidence for a worker only a generic role suggests).
import type { AnalyzerContext, Source } from "../../src/model.js";

export type QueueAdapter = ({ adapter: string; source: Source } | { unknown: string; source: Source }) & {
  /** Initializer assignments to the config made after ActiveJob::Base had loaded: Rails never read them. */
  ignored?: { source: Source; loadedAt: Source }[];
};

const CONFIG = /^\s*(?:(?:Rails\.application\.)?config\.active_job)\.queue_adapter\s*=\s*(.+?)\s*(?:#.*)?$/;
const BASE = /^\s*ActiveJob::Base\.queue_adapter\s*=\s*(.+?)\s*(?:#.*)?$/;
/** A line that loads ActiveJob::Base (names it; a comment does not). */
const LOADS_BASE = /^[^#]*\bActiveJob::Base\b/;
const LITERAL = /^(?::(\w+)|"(\w+)"|'(\w+)')$/;

const valueOf = (written: string, source: Source): QueueAdapter => {
  const lit = LITERAL.exec(written);
  return lit ? { adapter: (lit[1] ?? lit[2] ?? lit[3])!, source } : { unknown: written, source };
};

function lastIn(ctx: AnalyzerContext, file: string): QueueAdapter | null {
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  let found: QueueAdapter | null = null;
  r.text.split(/\r?\n/).forEach((line, i) => {
    const m = CONFIG.exec(line) ?? BASE.exec(line);
    if (m) found = valueOf(m[1]!, { file, line: i + 1 });
  });
  return found;
}

/** The adapter of a Rails environment, with the line that sets it; null when no file sets one. */
export function queueAdapterOf(ctx: AnalyzerContext, railsEnv: string): QueueAdapter | null {
  let found = lastIn(ctx, `config/environments/${railsEnv}.rb`) ?? lastIn(ctx, "config/application.rb");
  const ignored: { source: Source; loadedAt: Source }[] = [];
  let loadedAt: Source | null = null;
  // Sorted as Ruby sorts the paths (byte order; these are ASCII in practice).
  const initializers = ctx.repo.paths.filter((p) => /^config\/initializers\/.+\.rb$/.test(p)).sort();
  for (const file of initializers) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    r.text.split(/\r?\n/).forEach((line, i) => {
      const source = { file, line: i + 1 };
      const base = BASE.exec(line);
      const config = base ? null : CONFIG.exec(line);
      if (base) found = valueOf(base[1]!, source);
      else if (config && loadedAt) ignored.push({ source, loadedAt });
      else if (config) found = valueOf(config[1]!, source);
      if (!loadedAt && LOADS_BASE.test(line)) loadedAt = source;
    });
  }
  if (!found) return null;
  return ignored.length ? { ...(found as QueueAdapter), ignored } : found;
}
