// The Puma config capistrano3-puma generates. With the plugin loaded and no repo file given as the
// config (`puma_conf` unset or outside the release), Puma runs with `-C <shared_path>/puma.rb`, a
// file the plugin's `puma:config` task renders on the server from its template and the stage's
// variables. So the stage's config is those variables, with the plugin's defaults where unset.
//
// The defaults and the template are capistrano3-puma 5.x's (seuros/capistrano-puma,
// lib/capistrano/puma.rb `set_defaults`, lib/capistrano/templates/puma.rb.erb):
//   set_if_empty :puma_threads, [0, 16]        → `threads 0,16`
//   set_if_empty :puma_workers, 0              → `workers 0`
//   set_if_empty :puma_bind, "unix://#{shared_path}/tmp/sockets/puma.sock" → one `bind` each
//   set_if_empty :puma_preload_app, false      → `prune_bundler` instead of `preload_app!`
//   set_if_empty :puma_pid, "#{shared_path}/tmp/pids/puma.pid"
//   set_if_empty :puma_access_log / :puma_error_log, "#{shared_path}/log/puma_{access,error}.log"
//   set_if_empty :puma_conf, "#{shared_path}/puma.rb"
//   puma_worker_timeout: no default; `worker_timeout` is written only when it is set.
//   `directory` is current_path; `on_restart` is always written (it refreshes BUNDLE_GEMFILE).
// The template lookup (`template_puma`) prefers a repo copy: lib/capistrano/templates/puma-<stage>.rb,
// lib/capistrano/templates/puma.rb.erb, config/deploy/templates/puma.rb.erb and their .rb/.erb
// variants; a host-specific copy (puma-<host>-...) cannot be chosen per stage and is not looked for.
import type { AppServerConfig, Fact, RValue, Source, Stage } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { isKnown, truthy } from "../ruby/evaluate.js";
import { emptyConfig } from "./config-walk.js";
import { deployToOf } from "./files.js";
import { pumaBind } from "./listen.js";

export const PUMA_PLUGIN = "capistrano3-puma";

/** The repo templates `puma:config` would render for a stage, in the plugin's order of preference. */
export function pumaTemplatePaths(stage: string): string[] {
  return [
    `lib/capistrano/templates/puma-${stage}.rb`,
    "lib/capistrano/templates/puma.rb.erb",
    "lib/capistrano/templates/puma.rb",
    "lib/capistrano/templates/puma.erb",
    "config/deploy/templates/puma.rb.erb",
    "config/deploy/templates/puma.rb",
    "config/deploy/templates/puma.erb",
  ];
}

/** The config the plugin's own template renders for a stage, from its variables and defaults. */
export function pumaPluginConfig(stage: Stage): AppServerConfig {
  const vars = stage.variables;
  const unset: Source = { file: stage.source.file, line: 0 };
  const dflt = <T>(value: T): Fact<T> => ({ value, source: unset, defaultOf: PUMA_PLUGIN });
  const given = (name: string): Fact<RValue> | null => (vars[name] ? { value: vars[name]!.value, source: vars[name]!.source } : null);
  const deployTo = deployToOf(stage);
  const shared = (tail: string): RValue => (deployTo ? `${deployTo.replace(/\/+$/, "")}/shared/${tail}` : { interp: [{ cap: "shared_path" }, `/${tail}`] });

  const cfg = emptyConfig("puma", { file: stage.source.file, env: railsEnvOf(stage), stages: [stage.name] });
  cfg.workers = given("puma_workers") ?? dflt(0);
  const threads = given("puma_threads");
  // the template writes `threads <%= fetch(:puma_threads).join(',') %>`: min and max
  cfg.threads = threads ? { value: Array.isArray(threads.value) ? threads.value : [threads.value], source: threads.source } : dflt([0, 16]);
  const timeout = given("puma_worker_timeout");
  if (timeout && timeout.value !== null) cfg.timeout = timeout;
  const preload = given("puma_preload_app");
  cfg.preloadApp = preload ? { value: isKnown(preload.value) ? truthy(preload.value) === true : preload.value, source: preload.source } : dflt(false);
  const bind = given("puma_bind");
  const binds: RValue[] = bind ? (Array.isArray(bind.value) ? bind.value : [bind.value]) : [shared("tmp/sockets/puma.sock")];
  cfg.listen = binds.map((b) => pumaBind(bind ? b : prefixUnix(b), bind ? bind.source : unset));
  cfg.pid = given("puma_pid") ?? dflt(shared("tmp/pids/puma.pid"));
  cfg.stdoutPath = given("puma_access_log") ?? dflt(shared("log/puma_access.log"));
  cfg.stderrPath = given("puma_error_log") ?? dflt(shared("log/puma_error.log"));
  cfg.workingDirectory = dflt(deployTo ? `${deployTo.replace(/\/+$/, "")}/current` : { cap: "current_path" });
  cfg.hooks = [dflt("on_restart")];
  return cfg;
}

function prefixUnix(v: RValue): RValue {
  if (typeof v === "string") return `unix://${v}`;
  if (v !== null && typeof v === "object" && !Array.isArray(v) && "interp" in v && Array.isArray(v.interp)) return { interp: ["unix://", ...v.interp] };
  return v;
}
