// The capistrano-sidekiq variables that 3.x no longer reads. Each one a repo still sets gets a named
// warning, and is not applied to the worker.
//
// What 3.x reads, from seuros/capistrano-sidekiq:
// - v3.0.0 lib/capistrano/sidekiq.rb:57-75 (set_defaults) sets only sidekiq_default_hooks,
//   sidekiq_env, sidekiq_roles (`fetch(:sidekiq_role, :worker)`, at load:defaults, so a
//   sidekiq_role set in a deploy file is never read), sidekiq_configs, sidekiq_log,
//   sidekiq_error_log and sidekiq_config_files.
// - v3.0.0 lib/capistrano/tasks/systemd.rake:13-24: start/stop/restart run `systemctl <cmd>
//   <unit>` for each entry of `config_files(role)` (lines 143-146: the server's own
//   sidekiq_config_files property, else the variable). There are no pid files, no per-process
//   index and no count.
// - v3.0.0 lib/capistrano/templates/sidekiq.service.capistrano.erb:23: `ExecStart=<bundle> exec
//   sidekiq -e <sidekiq_env> <sidekiq_config>`. Here `sidekiq_config` is the plugin's own method
//   (sidekiq.rb:27-29, `--config config/<entry>` unless the entry is sidekiq.yml), not the
//   variable. Stopping is systemd's (TERM, then its own TimeoutStopSec), not `sidekiqctl stop
//   <pid> <sidekiq_timeout>`.
// - v3.1.0 to v3.2.0 lib/capistrano/templates/sidekiq.service.capistrano.erb:24-26: `exec
//   <sidekiq_command> <sidekiq_command_args> <sidekiq_config>`, where sidekiq_command_args
//   defaults to `-e <sidekiq_env>` (lib/capistrano/sidekiq/systemd.rb).
// None of the 3.x tags has `sidekiq_processes`, `<role>_processes`, `sidekiq_options_per_process`,
// `sidekiq_options`, `sidekiq_queue`, `sidekiq_concurrency` or `sidekiq_timeout` in lib/. The
// one exception is the monit generator template (lib/generators/…/sidekiq_monit.conf.erb), which
// has queues, concurrency and timeout. The plugin never installs it: that takes a `rails generate`
// step and a monit of one's own, and its tasks are not in the 3.x rakefiles. The pre-3.x
// variables (0.x to 2.x start lines, sidekiq-plugin.ts) are therefore not applied, each with a
// named warning.
import type { AnalyzerContext, Stage } from "../../src/model.js";
import { isSym } from "../../src/model.js";

/** Variables of capistrano-sidekiq before 3.0 that 3.x reads nowhere, with what each did before. */
export const V3_UNREAD: ReadonlyArray<readonly [string, string]> = [
  ["sidekiq_options_per_process", "each process's own start-line words (0.5 to 1.x, and 2.x's monit)"],
  ["sidekiq_options", "words after every process's start line (0.x to 1.x)"],
  ["sidekiq_queue", "`--queue` flags (0.x to 2.x)"],
  ["sidekiq_concurrency", "`--concurrency` (0.x to 2.x)"],
  ["sidekiq_config", "`--config` (0.x to 2.x); 3.x passes `--config config/<entry>` for each sidekiq_config_files entry"],
  ["sidekiq_timeout", "the wait of `sidekiqctl stop` (0.x to 1.x) and of 2.x's units; 3.x stops through systemd"],
  ["sidekiq_role", "the default of sidekiq_roles, read at load:defaults, before any deploy file"],
];

/** Whether the locked version is 3.x or later. */
export const isV3 = (version: string | undefined): boolean => {
  const major = version ? Number.parseInt(version, 10) : NaN;
  return Number.isFinite(major) && major >= 3;
};

const roleNames = (stage: Stage): string[] => {
  const v = stage.variables["sidekiq_roles"]?.value ?? { sym: "worker" };
  return (Array.isArray(v) ? v : [v]).flatMap((r) => (typeof r === "string" ? [r] : r && isSym(r) ? [r.sym] : []));
};

/**
 * Warns about every pre-3.x variable the stage sets, and returns their names: the caller applies
 * none of them. `<role>_processes` is checked for the roles of sidekiq_roles (default :worker).
 * sidekiq_processes is warned where the replicas are counted (sidekiq-started.ts,
 * capistrano-sidekiq.processes-not-read).
 */
export function warnV3Unread(ctx: AnalyzerContext, stage: Stage, version: string): Set<string> {
  const unread = new Set<string>();
  const said = (name: string, what: string) => {
    const f = stage.variables[name];
    if (!f || f.defaultOf !== undefined) return;
    unread.add(name);
    ctx.problem({ ...f.source, message: `capistrano-sidekiq.not-read-v3: stage ${stage.name} sets ${name}, which is not read by capistrano-sidekiq 3.x (locked ${version}): it was ${what}; 3.x starts \`sidekiq -e <sidekiq_env>\` through one systemd unit per sidekiq_config_files entry, so the worker runs without it`, severity: "warning" });
  };
  for (const [name, what] of V3_UNREAD) said(name, what);
  for (const role of roleNames(stage)) said(`${role}_processes`, `the count of processes on servers with the ${role} role (0.5.3 to 1.x)`);
  const args = stage.variables["sidekiq_command_args"];
  if (args && args.defaultOf === undefined)
    ctx.problem({ ...args.source, message: `capistrano-sidekiq.command-args-unapplied: stage ${stage.name} sets sidekiq_command_args, which capistrano-sidekiq ${version} ${/^3\.0\./.test(version) ? "does not read (3.0 runs `sidekiq -e <sidekiq_env>`)" : "puts in its unit's ExecStart in place of `-e <sidekiq_env>`; the analysis does not take flags from it: compare the worker's command with it"}`, severity: "warning" });
  return unread;
}
