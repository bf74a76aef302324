// The Unicorn config simple-rails-deploy 0.0.1 started (`require 'simple-rails-deploy/common'` and
// `load 'deploy/unicorn'`, Capistrano 2), read in the gem's source (brain-geek/simple-rails-deploy,
// every commit whose gemspec says 0.0.1, 2012-05-29 to 2012-10-29): deploy:start/restart run
// `RAILS_ENV=<rails_env> RAILS_PATH=<current_path> bundle exec rake unicorn:restart` in current/
// (lib/deploy/unicorn.rb), and the gem's rake task starts `unicorn_rails -c <gem>/lib/configs/unicorn.rb
// -D`: the gem's own config, not a file of the repo. That config sets `timeout 30` and `preload_app
// false` in every 0.0.1 commit. Its worker count changed inside 0.0.1: a fixed 1 at first, then
// WORKERS_COUNT from the rake task's workers_count (1 on staging, the server's CPU count on
// production, 2 elsewhere; development joined staging's 1 a commit later). So staging ran 1 either
// way; elsewhere the count is not known (asked), never a guess between the readings.
import type { AnalyzerContext, AppServerConfig, Fact, RValue, Source, Stage } from "../../src/model.js";
import { hasPath, railsEnvOf } from "../../src/model.js";
import { parseLockfile } from "../rails/lockfile.js";
import { MACHINE } from "../ruby/shell-reason.js";

export const SIMPLE_RAILS_DEPLOY = "simple-rails-deploy";

export interface SimpleRailsDeployUnicorn {
  /** The `load 'deploy/unicorn'` line. */
  loaded: Source;
  version: Fact<string>;
}

/** The gem's Unicorn recipe as this repo loaded it, with 0.0.1 locked; else null. */
export function simpleRailsDeployUnicorn(ctx: AnalyzerContext, requires: Fact<string>[]): SimpleRailsDeployUnicorn | null {
  if (!requires.some((r) => r.value === "simple-rails-deploy/common")) return null;
  const load = requires.find((r) => r.value === "deploy/unicorn" && /^config\/deploy/.test(r.source.file));
  if (!load || !hasPath(ctx.repo, "Gemfile.lock")) return null;
  const r = ctx.repo.read("Gemfile.lock");
  if (!("text" in r)) return null;
  const spec = parseLockfile(r.text).specs.find((s) => s.name === SIMPLE_RAILS_DEPLOY);
  if (!spec || spec.version !== "0.0.1") return null;
  return { loaded: load.source, version: { value: spec.version, source: { file: "Gemfile.lock", line: spec.line } } };
}

/** The gem's config as a stage ran it: its numbers labelled as the gem's, an unknown worker count asked. */
export function simpleRailsDeployConfig(stage: Stage, gem: SimpleRailsDeployUnicorn): AppServerConfig {
  const env = railsEnvOf(stage);
  const at = gem.loaded;
  const label = `${SIMPLE_RAILS_DEPLOY} ${gem.version.value}`;
  const ours = <T>(value: T): Fact<T> => ({ value, source: at, defaultOf: label });
  const one = env === "staging";
  const why = env === "production"
    ? `${MACHINE}: ${label}'s lib/configs/unicorn.rb runs ENV["WORKERS_COUNT"] workers, which its rake task sets to the CPU count of the server on production (an earlier 0.0.1 commit wrote a fixed 1 instead; which one the published gem holds the repo does not say)`
    : `${label}'s lib/configs/unicorn.rb ran either a fixed 1 worker or ENV["WORKERS_COUNT"], which its rake task sets to 2 (or 1) for the Rails environment ${env}: each was committed as 0.0.1, and which one the published gem holds the repo does not say`;
  const workers: Fact<RValue> = one ? ours(1) : { value: { unknown: why, expr: "worker_processes", source: at }, source: at };
  return {
    kind: "unicorn",
    file: `${label}'s own lib/configs/unicorn.rb`,
    env,
    stages: [stage.name],
    workers,
    threads: null,
    listen: [],
    timeout: ours(30),
    preloadApp: ours(false),
    pid: null,
    stdoutPath: null,
    stderrPath: null,
    workingDirectory: null,
    hooks: [],
    startedBy: { value: `${label}'s deploy:restart (loaded at ${at.file}:${at.line}) runs \`bundle exec rake unicorn:restart\` in current/ with RAILS_ENV=${env}, which starts \`unicorn_rails -c <the gem's lib/configs/unicorn.rb> -D\`: the gem's own config, not a file of the repo`, source: at },
  };
}

/**
 * The gem's configs, one per group of stages with the same reading; the repo's own Unicorn files
 * lose those stages, with a warning (the servers ran the gem's).
 */
export function simpleRailsDeployConfigs(ctx: AnalyzerContext, stages: Stage[], gem: SimpleRailsDeployUnicorn, out: AppServerConfig[]): AppServerConfig[] {
  const own: AppServerConfig[] = [];
  const key = (c: AppServerConfig) => JSON.stringify({ ...c, stages: [] });
  for (const stage of stages) {
    const cfg = simpleRailsDeployConfig(stage, gem);
    const same = own.find((o) => key(o) === key(cfg));
    if (same) same.stages.push(stage.name);
    else own.push(cfg);
  }
  for (const o of out) {
    if (o.kind !== "unicorn") continue;
    ctx.problem({ file: o.file, line: 1, message: `${o.file} is not the Unicorn config the servers ran: ${SIMPLE_RAILS_DEPLOY}'s deploy/unicorn (${gem.loaded.file}:${gem.loaded.line}) starts unicorn_rails with the gem's own lib/configs/unicorn.rb`, severity: "warning" });
    o.stages = [];
  }
  return own;
}
