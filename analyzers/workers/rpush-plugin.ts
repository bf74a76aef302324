// Rpush's delivery daemon as capistrano-rpush started it. Read from the gem's source at v0.1.7
// (github.com/juicyparts/capistrano-rpush, lib/capistrano/tasks/rpush.cap; the same through 0.2.1):
// - load:defaults: `rpush_default_hooks` true, `rpush_role` :app, `rpush_env` = rack_env, else
//   rails_env, else stage; `rpush_conf` shared/config/rpush.rb, `rpush_pid` shared/tmp/pids/rpush.pid;
// - `before :starting` invokes rpush:add_default_hooks when rpush_default_hooks holds: `after
//   'deploy:finished', 'rpush:restart'` (stop through the pid file, then start);
// - rpush:start, `on roles(fetch(:rpush_role))`, in current_path: `bundle exec rpush start -p <pid>
//   -c <conf> -e <rpush_env>`.
// Rpush's CLI (rpush 2.7.0, lib/rpush/cli.rb and lib/rpush/daemon.rb): `start` daemonizes
// (Process.daemon) unless `-f`; `-e` defaults to development and is written into ENV['RAILS_ENV']
// before Rails boots, so the pod must pass its stage's env; when bin/rails or script/rails exists
// the CLI boots config/environment.rb (the app's own initializer configures Rpush) and never loads
// the `-c` file, which it loads only for an app without Rails. The pod runs `rpush start -f -e
// $(RAILS_ENV)`: the daemon in the foreground, with the stage's env from its ConfigMap (Kubernetes
// expands `$(VAR)` in args from the container's env).
import type { AnalyzerContext, Fact, Source, Stage, WorkerFacts } from "../../src/model.js";
import { hasPath } from "../../src/model.js";

export const RPUSH_DEFAULT_ROLE = "app";
export const RPUSH_ARGS = ["bundle", "exec", "rpush", "start", "-f", "-e", "$(RAILS_ENV)"];

/** The parts of the worker the plugin decides: command, where it came from, and what is said. */
export interface RpushPlugin {
  args: string[];
  commandNote: string;
  evidence: Fact<string>[];
  /** Warnings at their lines. */
  problems: { source: Source; message: string }[];
}

const railsApp = (ctx: AnalyzerContext) => hasPath(ctx.repo, "bin/rails") || hasPath(ctx.repo, "script/rails");

export function rpushPlugin(ctx: AnalyzerContext, stages: readonly Stage[], plugin: Fact<string>, version: string | null): RpushPlugin {
  const gem = `capistrano-rpush${version ? ` ${version}` : ""}`;
  const evidence: Fact<string>[] = [];
  const problems: RpushPlugin["problems"] = [];
  const off = stages.filter((s) => s.variables["rpush_default_hooks"]?.value === false);
  if (off.length)
    problems.push({ source: off[0]!.variables["rpush_default_hooks"]!.source, message: `capistrano-rpush: rpush_default_hooks is false on ${off.map((s) => s.name).join(", ")}: no hook restarted rpush in those deploys, so it ran only where someone ran \`cap <stage> rpush:start\`; the worker is carried as that task starts it` });
  evidence.push({ value: `${gem} restarts rpush after deploy:finished (its rpush_default_hooks, true by default) with \`rpush start -p <rpush_pid> -c <rpush_conf> -e <rpush_env>\` on rpush_role`, source: plugin.source });
  // rpush_env differs from the stage's rails_env (a rack_env, an explicit rpush_env): the pod's $(RAILS_ENV) would not be it.
  for (const s of stages) {
    const v = s.variables["rpush_env"] ?? s.variables["rack_env"];
    const env = v && typeof v.value === "string" ? v.value : v && typeof v.value === "object" && v.value && "sym" in v.value ? String((v.value as { sym: string }).sym) : null;
    const rails = s.variables["rails_env"]?.value;
    const railsEnv = typeof rails === "string" ? rails : rails && typeof rails === "object" && "sym" in rails ? String((rails as { sym: string }).sym) : null;
    if (v && env !== railsEnv)
      problems.push({ source: v.source, message: `capistrano-rpush: stage ${s.name}'s rpush ran with -e ${env ?? "(a value not known statically)"}, not its rails_env ${railsEnv ?? "(unknown)"}; the pod passes its RAILS_ENV: set the worker's -e by hand if the daemon must keep the other env` });
  }
  const conf = railsApp(ctx)
    ? `rpush_conf (shared/config/rpush.rb on the servers) is not read: rpush's CLI boots Rails when bin/rails or script/rails exists and loads -c only for an app without Rails, so the app's own Rpush.configure (config/initializers) is the config, in the image as on the servers`
    : `rpush_conf (shared/config/rpush.rb by default) lived only on the servers: rpush's CLI loads it when the app has no bin/rails; it is not in the repo, so the pod has no config until it is added (a Secret or ConfigMap mounted there, and -c pointing at it)`;
  if (!railsApp(ctx)) problems.push({ source: plugin.source, message: `capistrano-rpush: ${conf}` });
  return {
    args: RPUSH_ARGS,
    commandNote: `${gem}'s rpush:start ran the daemon in the background (Process.daemon) with a pid file; the pod runs it in the foreground (-f) with the stage's RAILS_ENV; ${conf}`,
    evidence,
    problems,
  };
}
