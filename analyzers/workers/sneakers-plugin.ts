// Sneakers as capistrano-sneakers started it, and what its configuration does inside a pod.
// The plugin (run_config mode, its default) starts `rake sneakers:run` with WORKERS set to its
// `:sneakers_workers` joined by commas, on `:sneakers_role` servers, `:sneakers_processes` times each;
// Sneakers' rake task runs only those classes (without WORKERS it runs every class that includes
// Sneakers::Worker, which is a different set of consumers). The plugin starts and returns, because the
// app's `Sneakers.configure(daemonize: true)` forks the runner into the background; in a container
// that fork leaves the main process to exit at once, so the pod restarts in a loop: said, with the line.
import { isSym, type AnalyzerContext, type Fact, type RValue, type Source, type Stage } from "../../src/model.js";

/** A Ruby constant path (`Subscribers::User`): what WORKERS may hold, one per comma. */
const CLASS_NAME = /^[A-Z][A-Za-z0-9_]*(::[A-Z][A-Za-z0-9_]*)*$/;

const names = (v: RValue | undefined): string[] | null => {
  if (!Array.isArray(v)) return null;
  const out = v.filter((x) => x !== null).map((x) => (typeof x === "string" ? x : x && typeof x === "object" && isSym(x) ? x.sym : null));
  return out.every((x): x is string => typeof x === "string" && CLASS_NAME.test(x)) ? (out as string[]) : null;
};

export interface SneakersPluginCommand {
  /** WORKERS as every stage's deploy set it, or null (with the reason in `problem`). */
  workers: { value: string; source: Source } | null;
  problem?: { source: Source; message: string };
}

/** WORKERS from `:sneakers_workers`, when every stage that deploys sets the same classes. */
export function sneakersPluginWorkers(stages: Stage[], plugin: Source): SneakersPluginCommand {
  const set = stages.map((s) => ({ stage: s, f: s.variables["sneakers_workers"] as Fact<RValue> | undefined }));
  const missing = set.filter((x) => !x.f);
  if (set.length && missing.length === set.length)
    return { workers: null, problem: { source: plugin, message: `capistrano-sneakers: no stage sets :sneakers_workers (the plugin's start refuses to run without it): which worker classes the servers ran is not known; the pod runs \`rake sneakers:run\` without WORKERS, i.e. every class that includes Sneakers::Worker` } };
  const values = set.filter((x) => x.f).map((x) => ({ ...x, list: names(x.f!.value) }));
  const unread = values.find((x) => x.list === null);
  if (unread) return { workers: null, problem: { source: unread.f!.source, message: `capistrano-sneakers: :sneakers_workers of stage ${unread.stage.name} is not a list of class names the analysis can read; the pod runs \`rake sneakers:run\` without WORKERS (every Sneakers::Worker class), set WORKERS on the worker by hand` } };
  const joined = [...new Set(values.map((x) => x.list!.join(",")))];
  if (joined.length > 1 || missing.length)
    return { workers: null, problem: { source: values[0]!.f!.source, message: `capistrano-sneakers: :sneakers_workers differs between stages (${set.map((x) => `${x.stage.name}: ${x.f ? names(x.f.value)!.join(",") : "unset"}`).join("; ")}); the worker runs without WORKERS (every Sneakers::Worker class): set it per overlay by hand` } };
  return { workers: { value: joined[0]!, source: values[0]!.f!.source } };
}

/** `daemonize:` set to anything but a literal false inside a `Sneakers.configure` call of the app's Ruby. */
export function sneakersDaemonize(ctx: AnalyzerContext): { source: Source; text: string } | null {
  const files = ctx.repo.paths.filter((p) => /^config\/(initializers\/.*|application|environments\/.*)\.rb$/.test(p));
  for (const file of files) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const lines = r.text.split(/\r?\n/);
    let inside = false;
    let depth = 0;
    for (const [i, line] of lines.entries()) {
      const code = line.replace(/#.*$/, "");
      if (!inside && /\bSneakers\.configure\b/.test(code)) {
        inside = true;
        depth = 0;
      }
      if (!inside) continue;
      const m = /(?::daemonize\s*=>|\bdaemonize:)\s*([^,}\n]+)/.exec(code);
      if (m && !/^\s*(false|nil)\s*$/.test(m[1]!)) return { source: { file, line: i + 1 }, text: code.trim() };
      depth += (code.match(/[({]/g) ?? []).length - (code.match(/[)}]/g) ?? []).length;
      if (depth <= 0 && /[)}]\s*$/.test(code.trim())) inside = false;
    }
  }
  return null;
}

/**
 * The plugin's servers: `:sneakers_role` (singular: the plugin reads no other name), else its
 * default [:app]. A `:sneakers_roles` some repos set is not read by the plugin.
 */
export function sneakersPluginRoles(stages: Stage[]): string[] {
  for (const s of stages) {
    const v = s.variables["sneakers_role"]?.value;
    const list = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : x && typeof x === "object" && isSym(x) ? x.sym : null)).filter((x): x is string => !!x);
    if (list.length) return list;
  }
  return ["app"];
}
