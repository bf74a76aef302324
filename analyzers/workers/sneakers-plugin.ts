// Sneakers as capistrano-sneakers started it, and what its configuration does inside a pod.
// The plugin (run_config mode, its default) starts `rake sneakers:run` with WORKERS set to its
// `:sneakers_workers` joined by commas, on the servers of its roles variable (`:sneakers_roles` from 0.1.0, `:sneakers_role` before), `:sneakers_processes` times each;
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

/** An option of `Sneakers.configure` that does not fit a container, with its line. */
export interface SneakersOption {
  option: "daemonize" | "log" | "pid_path";
  /** The value as written. */
  value: string;
  /** The option as written (`log: 'log/x.log'`), for the warning: never the whole line, whose other options may hold the broker's password. */
  text: string;
  source: Source;
}

/** Paths the image leaves writable to the app user (emitters/container/dockerfile.ts: tmp, log). */
const WRITABLE_PID = /^["'](?:\.\/)?(?:tmp|log)\/[^"'#{}]+["']$/;
const STD_STREAM = /^(?:STDOUT|STDERR|\$stdout|\$stderr|(?:::)?Logger\.new\(\s*(?:STDOUT|STDERR|\$stdout|\$stderr)\b.*)$/;

/**
 * The options of the app's `Sneakers.configure` calls that break in a pod: `daemonize` other than a
 * literal false/nil (the container's main process exits at once); `log` other than a standard stream
 * (Sneakers' default is STDOUT; a file keeps the log from `kubectl logs`); `pid_path` other than nil or a
 * relative path under tmp/ or log/ (the only directories of the image the app user may write; Sneakers'
 * own default, `sneakers.pid` in the app directory, is not one of them).
 */
export function sneakersContainerOptions(ctx: AnalyzerContext): SneakersOption[] {
  const out: SneakersOption[] = [];
  const files = ctx.repo.paths.filter((p) => /^config\/(initializers\/.*|application|environments\/.*)\.rb$/.test(p));
  for (const file of files) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const lines = r.text.split(/\r?\n/);
    let inside = false;
    let depth = 0;
    for (const [i, line] of lines.entries()) {
      const code = line.replace(/#(?!\{).*$/, "");
      if (!inside && /\bSneakers\.configure\b/.test(code)) {
        inside = true;
        depth = 0;
      }
      if (!inside) continue;
      const opt = /(?::(daemonize|log|pid_path)\s*=>|\b(daemonize|log|pid_path):)\s*((?:[^,}\n()]|\([^()\n]*\))+)/g;
      for (let m = opt.exec(code); m; m = opt.exec(code)) {
        const option = (m[1] ?? m[2]) as SneakersOption["option"];
        const value = m[3]!.trim();
        if (/^(false|nil)$/.test(value)) continue;
        if (option === "log" && STD_STREAM.test(value)) continue;
        if (option === "pid_path" && WRITABLE_PID.test(value)) continue;
        out.push({ option, value, text: m[0].trim(), source: { file, line: i + 1 } });
      }
      depth += (code.match(/[({]/g) ?? []).length - (code.match(/[)}]/g) ?? []).length;
      // The call ends where its parentheses close, or, written without them, at a line that does not continue it.
      if (depth <= 0 && (/[)}]\s*$/.test(code.trim()) || !/[,({|]\s*$/.test(code.trim()))) inside = false;
    }
  }
  return out;
}

/**
 * The plugin's servers, by the name its locked version reads (checked against
 * inventionlabsSydney/capistrano-sneakers' history): 0.0.x read `:sneakers_role` (default :app);
 * from 0.1.0 on it reads `:sneakers_roles` (load:defaults `[:app]`, `on roles fetch(:sneakers_roles)`).
 * Without a locked version both names are read, and a disagreement is said.
 */
export function sneakersPluginRoles(stages: Stage[], version: Fact<string> | null = null): { roles: string[]; problem?: { source: Source; message: string } } {
  const read = (name: string): { list: string[]; source: Source } | null => {
    for (const s of stages) {
      const f = s.variables[name];
      if (!f || f.defaultOf) continue;
      const v = f.value;
      const list = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : x && typeof x === "object" && isSym(x) ? x.sym : null)).filter((x): x is string => !!x);
      if (list.length) return { list, source: f.source };
    }
    return null;
  };
  const major = version ? /^(\d+)\.(\d+)/.exec(version.value) : null;
  const plural = major ? Number(major[1]) > 0 || Number(major[2]) >= 1 : null;
  if (plural !== null) return { roles: read(plural ? "sneakers_roles" : "sneakers_role")?.list ?? ["app"] };
  const one = read("sneakers_role");
  const many = read("sneakers_roles");
  const roles = many?.list ?? one?.list ?? ["app"];
  if (one && many && one.list.join(",") !== many.list.join(","))
    return { roles, problem: { source: many.source, message: `capistrano-sneakers: :sneakers_roles (${many.list.join(", ")}) and :sneakers_role (${one.list.join(", ")}, ${one.source.file}:${one.source.line}) differ, and Gemfile.lock locks no capistrano-sneakers version to tell which the plugin read (0.1.0 and later read :sneakers_roles, 0.0.x :sneakers_role); the worker runs on the :sneakers_roles servers: check it` } };
  return { roles };
}

/**
 * `set :sneakers_run_config, false`: from 0.1.0 the plugin's start then starts nothing (only
 * run_config mode runs `rake sneakers:run`); 0.0.x ran `sneakers` with its own flags instead, a
 * command this tool does not model. Either way the WORKERS command is not what the servers ran.
 */
export function sneakersRunConfigOff(stages: Stage[], version: Fact<string> | null): { source: Source; message: string } | null {
  for (const s of stages) {
    const f = s.variables["sneakers_run_config"];
    if (!f || f.defaultOf || f.value !== false) continue;
    const major = version ? /^(\d+)\.(\d+)/.exec(version.value) : null;
    const modern = major ? Number(major[1]) > 0 || Number(major[2]) >= 1 : null;
    const what =
      modern === true
        ? `capistrano-sneakers ${version!.value} starts nothing then (its start runs \`rake sneakers:run\` only in run_config mode): the servers' consumers were started some other way`
        : modern === false
          ? `capistrano-sneakers ${version!.value} then ran \`bundle exec sneakers\` with its :sneakers_* flags, which this tool does not model`
          : "capistrano-sneakers then started nothing (0.1.0 and later) or ran `bundle exec sneakers` with its own flags (0.0.x), and Gemfile.lock locks no version to tell which";
    return { source: f.source, message: `capistrano-sneakers: stage ${s.name} sets :sneakers_run_config false; ${what}; the worker runs \`rake sneakers:run\` (Sneakers' own task): check it is what the servers ran` };
  }
  return null;
}
