// unicorn-worker-killer (`use Unicorn::WorkerKiller::Oom, min, max` in config.ru) makes each Unicorn
// worker quit, and the master fork a fresh one, once it passes a memory size. It keeps doing so in
// the container, but the pod's memory limit acts first if it is below workers × that size plus the
// master, killing every worker at once: the bound is said with its line. (MaxRequests recycles by
// count and works the same in a pod: nothing to say.)
import type { AnalyzerContext } from "../../src/model.js";
import { hasPath } from "../../src/model.js";

const USE = /^[ \t]*use[ \t(]+Unicorn::WorkerKiller::(Oom)\b[ \t,]*(.*)$/;

/** One warning per `use Unicorn::WorkerKiller::Oom` line of config.ru (code lines only). */
export function workerKillerLines(ctx: AnalyzerContext, appServer: string | null): void {
  if (appServer !== "unicorn" || !hasPath(ctx.repo, "config.ru")) return;
  const r = ctx.repo.read("config.ru");
  if ("error" in r) return;
  r.text.split(/\r?\n/).forEach((line, i) => {
    const m = USE.exec(line);
    if (!m) return;
    const bare = m[2]!.replace(/#.*$/, "").trim();
    // `use(Unicorn::WorkerKiller::Oom, a, b)`: the call's own closing parenthesis is not an argument's.
    const args = /^[ \t]*use\(/.test(line) ? bare.replace(/\)$/, "").trim() : bare;
    ctx.problem({
      file: "config.ru",
      line: i + 1,
      message: `unicorn-worker-killer: each Unicorn worker is recycled above a memory size (RSS${args ? `: ${args}` : ""}), on the servers and in the container alike (the middleware is in config.ru); a pod's memory limit below workers × that bound plus the master kills the whole pod before the middleware acts: check resources.web against it`,
      severity: "warning",
    });
  });
}
