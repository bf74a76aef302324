// `:logfile:` and `:pidfile:` in a Sidekiq config file: settings of the daemon era. Sidekiq up to 5
// honours them from the file (its CLI's initialize_logger sends the log to `:logfile:`, write_pid
// writes `:pidfile:`, both read from its source), so a pod started on that file logs into a file in
// the container, not to stdout where `kubectl logs` reads. Sidekiq 6.0 dropped both: 6.4 (Debian's,
// run in test/workers/sidekiq-daemon-settings.test.ts) reads the file, ignores the two keys without a
// word, logs to stdout and writes no pid file.
import type { AnalyzerContext, Fact } from "../../src/model.js";
import { isHash } from "../ruby/evaluate.js";
import { readErbYaml } from "../rails/erb-yaml.js";

export function sidekiqDaemonSettings(ctx: AnalyzerContext, file: string, version: Fact<string> | null): void {
  // The Sidekiq analyzer has read (and reported on) this file already.
  const y = readErbYaml({ ...ctx, problem: () => {} }, file);
  if (!y || !isHash(y.value)) return;
  const found: { key: string; where: string; line: number }[] = [];
  const look = (h: Record<string, unknown>, path: string[], where: string) => {
    for (const [key, value] of Object.entries(h)) {
      const k = key.replace(/^:/, "");
      if (k === "logfile" || k === "pidfile") found.push({ key: k, where, line: y.lineOf([...path, key]) });
      else if (path.length === 0 && isHash(value as never)) look(value as Record<string, unknown>, [key], `its ${k} section`);
    }
  };
  look(y.value as Record<string, unknown>, [], "");
  const major = version ? Number.parseInt(version.value, 10) : NaN;
  for (const f of found) {
    const what = `\`:${f.key}:\`${f.where ? ` in ${f.where}` : ""}`;
    const message = !Number.isFinite(major)
      ? `sidekiq.daemon-settings: ${what} is a daemon-era setting: Sidekiq up to 5 ${f.key === "logfile" ? "writes its log to that file (in a pod: not to stdout, so kubectl logs shows nothing)" : "writes its pid there (the path must be writable in the container)"}, Sidekiq 6 and later ignore it; no Sidekiq version is locked, so which applies is not known: remove it from the file the pod reads`
      : major <= 5
        ? `sidekiq.daemon-settings: ${what}: Sidekiq ${version!.value} honours it from this file, so in the pod it ${f.key === "logfile" ? "logs into that file in the container, not to stdout where kubectl logs reads" : "writes its pid file there (the path must be writable in the container; nothing reads it in a pod)"}; it served the servers' daemonized start. Remove it from the file the pod reads (or from a config only the servers use)${f.key === "logfile" ? " to keep the pod's logs on stdout" : ": a pod needs no pid file"}`
        : `sidekiq.daemon-settings: ${what} is ignored by Sidekiq ${version!.value} (6.0 dropped it: it logs to stdout and writes no pid file); a leftover of the servers' daemonized start, safe to remove`;
    ctx.problem({ file, line: f.line, message, severity: "warning" });
  }
}
