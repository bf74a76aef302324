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
// (The lookup list is the same from 1.2.0 through 5.x: checked in the gem's tags. 1.2.x renders with
// `ERB.new(erb)`, no trim mode; 3.0 on with `'-'`.)
import type { AnalyzerContext, AppServerConfig, Fact, RValue, Source, Stage } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { isKnown, rubyToS, truthy, type Scope } from "../ruby/evaluate.js";
import { kind, argsOf, parseRuby } from "../ruby/prism.js";
import { renderErb, restoreRefs } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { emptyConfig } from "./config-walk.js";
import { deployToOf } from "./files.js";
import { pumaBind } from "./listen.js";
import { readPuma } from "./puma.js";
import { parseLockfile } from "../rails/lockfile.js";
import { hasPath } from "../../src/model.js";
import { undecidedAt } from "./rendered-config.js";

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

  // Puma reads `-C <puma_conf>`, on the server: that path names the config (no repo file is it).
  const conf = vars["puma_conf"] ? rubyToS(vars["puma_conf"]!.value) : null;
  const file = conf ?? (deployTo ? `${deployTo.replace(/\/+$/, "")}/shared/puma.rb` : "<shared_path>/puma.rb");
  const cfg = emptyConfig("puma", { file, env: railsEnvOf(stage), stages: [stage.name] });
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

/** The plugin's defaults as the template's `fetch` sees them (see the list at the top). */
function withPluginDefaults(stage: Stage): Stage {
  const deployTo = deployToOf(stage);
  const shared = deployTo ? `${deployTo.replace(/\/+$/, "")}/shared` : null;
  const unset: Source = { file: stage.source.file, line: 0 };
  const defaults: Record<string, RValue> = { puma_threads: [0, 16], puma_workers: 0, puma_preload_app: false, puma_env: railsEnvOf(stage) };
  if (shared) {
    defaults["puma_bind"] = `unix://${shared}/tmp/sockets/puma.sock`;
    defaults["puma_pid"] = `${shared}/tmp/pids/puma.pid`;
    defaults["puma_access_log"] = `${shared}/log/puma_access.log`;
    defaults["puma_error_log"] = `${shared}/log/puma_error.log`;
  }
  const variables = { ...stage.variables };
  for (const [k, v] of Object.entries(defaults)) if (!variables[k]) variables[k] = { value: v, source: unset, defaultOf: PUMA_PLUGIN };
  return { ...stage, variables };
}

/**
 * A repo copy of the template, rendered for the stage as `puma:config` would (its variables, the
 * plugin's defaults and helpers `puma_workers`, `puma_bind`, `puma_preload_app?`), then read as
 * the Puma config it becomes. Its conditionals run as Ruby runs them; one whose condition is not known keeps every branch, and is said.
 */
export function renderedPumaTemplate(ctx: AnalyzerContext, file: string, text: string, stage: Stage): AppServerConfig {
  const st = withPluginDefaults(stage);
  const base = stageScope(st);
  const fetch = (name: string) => base.fetch!(name, undefined, null);
  const helpers: Record<string, () => RValue | undefined> = {
    puma_workers: () => fetch("puma_workers"),
    "puma_preload_app?": () => fetch("puma_preload_app"),
    "puma_daemonize?": () => fetch("puma_daemonize"),
    puma_plugins: () => "",
    puma_bind: () => {
      const binds = fetch("puma_bind");
      const list = (Array.isArray(binds) ? binds : [binds]).map(rubyToS);
      return list.every((b): b is string => b !== null) ? list.map((b) => `bind '${b}'`).join("\n") : undefined;
    },
  };
  const scope: Scope = {
    ...base,
    call(node, ev) {
      if (kind(node) === "CallNode" && !node.receiver && argsOf(node).length === 0 && node.name in helpers) {
        const v = helpers[node.name]!();
        if (v !== undefined) return v;
      }
      return base.call?.(node, ev);
    },
  };
  const out = renderErb(file, text, scope, ctx.problem, { branches: true });
  for (const l of out.logic)
    ctx.problem({ file, line: l.line, message: `Puma config template: Ruby code tag (<% %>) not run for stage ${stage.name} (its condition or code is not known statically); every branch under it is read as if rendered`, severity: "warning" });
  const map = out.lines;
  const parsed = parseRuby(file, out.output);
  const token = /^R2K_REF_\d+_$/;
  const cfg = readPuma(parsed, { file, env: railsEnvOf(stage), stages: [stage.name] }, null, railsEnvOf(stage), (node) =>
    kind(node) === "CallNode" && !node.receiver && token.test(node.name) ? out.refs.get(node.name) : undefined,
    true,
  );
  // Facts name the template's lines, and values keep what stood in for unknown tags.
  const fix = <T>(f: Fact<T> | null, branchesToo = true): Fact<T> | null => (f ? { ...f, value: ((branchesToo ? undecidedAt(out, file, f.source.line) : null) ?? restoreRefs(f.value as RValue, out.refs)) as T, source: { file, line: map[f.source.line] ?? f.source.line } } : null);
  for (const k of ["workers", "threads", "timeout", "preloadApp", "pid", "stdoutPath", "stderrPath", "workingDirectory"] as const) (cfg as any)[k] = fix(cfg[k] as Fact<RValue> | null);
  cfg.listen = cfg.listen.map((l) => ({ ...l, address: restoreRefs(l.address, out.refs), source: { file, line: map[l.source.line] ?? l.source.line } }));
  cfg.hooks = cfg.hooks.map((h) => fix(h, false)!);
  return cfg;
}

// --- capistrano3-puma 6 and later -----------------------------------------------------------
// From 6.0 the gem renders no puma.rb and has no `puma_conf`: its systemd unit
// (lib/capistrano/templates/puma.service.erb) runs `bundle exec puma -e <puma_env>` in
// current/, with no -C. Puma then loads the first of config/puma/<env>.rb and config/puma.rb that
// exists (Puma::Configuration#config_files, the same in Puma 5.6, 6.6 and 7.1). `-e` sets Puma's
// environment only: Puma assigns ENV["RACK_ENV"] after the config is loaded, so the config does
// not see it (checked with Debian's puma: `puma -e staging` loads with RACK_ENV unset).
//   6.0.0.alpha.*: `exec puma`, no -e (the environment is whatever the unit's ENV says);
//   6.0.0.beta.1 on: `-e <puma_env>`, puma_env = rack_env || rails_env || stage;
//   6.2.0 on: rack_env || rails_env || rake_env || stage.
// The unit can be replaced by a repo copy found the way `template_puma` looks (puma.service...).

export interface PumaPluginLock {
  version: string;
  source: Source;
}

/** capistrano3-puma's version as Gemfile.lock resolves it, or null when the lockfile does not say. */
export function pumaPluginLocked(ctx: AnalyzerContext): PumaPluginLock | null {
  if (!hasPath(ctx.repo, "Gemfile.lock")) return null;
  const read = ctx.repo.read("Gemfile.lock");
  if (!("text" in read)) return null;
  const spec = parseLockfile(read.text).specs.find((s) => s.name === PUMA_PLUGIN);
  return spec ? { version: spec.version, source: { file: "Gemfile.lock", line: spec.line } } : null;
}

/**
 * The Capfile requires the plugin, but the bundle does not have it: Gemfile.lock exists and locks no
 * capistrano3-puma. `cap` (run through the bundle) then aborts with LoadError at the require, so the
 * deploy as committed could not have run, and no version's defaults are what the servers ran.
 * `inGemfile`: the Gemfile names it (the lockfile is stale) or not. Null when the bundle has it, or
 * no lockfile says.
 */
export function pumaPluginNotBundled(ctx: AnalyzerContext): { inGemfile: boolean } | null {
  if (!hasPath(ctx.repo, "Gemfile.lock")) return null;
  const read = ctx.repo.read("Gemfile.lock");
  if (!("text" in read)) return null;
  if (parseLockfile(read.text).specs.some((s) => s.name === PUMA_PLUGIN)) return null;
  const gemfile = hasPath(ctx.repo, "Gemfile") ? ctx.repo.read("Gemfile") : null;
  const inGemfile = !!gemfile && "text" in gemfile && new RegExp(`^\\s*gem\\s*\\(?\\s*["']${PUMA_PLUGIN}["']`, "m").test(gemfile.text);
  return { inGemfile };
}

/** What the plugin's start runs: its rendered puma.rb (`-C`), `puma -e <puma_env>`, or bare `puma`. */
export function pumaPluginStart(version: string): "template" | "env-flag" | "bare" {
  const [major = 0, minor = 0] = version.split(".").map((x) => Number.parseInt(x, 10));
  if (!(major >= 6)) return "template";
  if (major === 6 && minor === 0 && /^6\.0\.0\.alpha/.test(version)) return "bare";
  return "env-flag";
}

/** The `-e` the unit passes for a stage: puma_env, else the plugin's default chain. Null when not known. */
export function pumaEnvOf(stage: Stage, version: string): Fact<string> | null {
  const [major = 0, minor = 0] = version.split(".").map((x) => Number.parseInt(x, 10));
  const chain = ["puma_env", "rack_env", "rails_env", ...(major > 6 || (major === 6 && minor >= 2) ? ["rake_env"] : [])];
  for (const name of chain) {
    const v = stage.variables[name];
    if (!v) continue;
    const s = isKnown(v.value) ? rubyToS(v.value) : null;
    return s ? { value: s, source: v.source, ...(v.defaultOf ? { defaultOf: v.defaultOf } : {}) } : null;
  }
  return { value: stage.name, source: { file: stage.source.file, line: 0 }, defaultOf: `${PUMA_PLUGIN} (puma_env falls back to the stage name)` };
}

/** The file Puma loads with `-e env` and no -C, as Puma::Configuration#config_files picks it. */
export function pumaConfigForEnv(ctx: AnalyzerContext, env: string): string | null {
  return [`config/puma/${env}.rb`, "config/puma.rb"].find((p) => hasPath(ctx.repo, p)) ?? null;
}

/** A repo copy of the plugin's systemd unit template (`template_puma "puma.service"`), if any. */
export function pumaUnitOverride(ctx: AnalyzerContext, stage: string): string | null {
  const from = "puma.service";
  const exact = [
    `lib/capistrano/templates/${from}-${stage}.rb`,
    `lib/capistrano/templates/${from}.rb.erb`,
    `lib/capistrano/templates/${from}.rb`,
    `lib/capistrano/templates/${from}.erb`,
    `config/deploy/templates/${from}.rb.erb`,
    `config/deploy/templates/${from}.rb`,
    `config/deploy/templates/${from}.erb`,
  ].find((p) => hasPath(ctx.repo, p));
  // a host-specific copy (puma.service-<host>[-<stage>].rb) wins on that host only
  const hostly = ctx.repo.paths.find((p) => p.startsWith(`lib/capistrano/templates/${from}-`) && p !== `lib/capistrano/templates/${from}-${stage}.rb`);
  return hostly ?? exact ?? null;
}
