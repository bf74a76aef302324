// Mapping rules about a Capistrano stage itself, which every other rule module builds on: a value of
// the model as text (stringOf), the stage's Rails environment and why (railsEnvOf, railsEnvWhy), which
// stage is production (productionStage), server roles (hasRole), and the environment Capistrano's
// default_env gave the processes (defaultEnv, HOST_LAYOUT_ENV). Index of all rules: ./README.md.
import { type AppModel, type RValue, type Source, type Stage, cap2DefaultEnv, isSym, railsEnvFallback, startedRailsEnv } from "../../../src/model.js";
import { isObject } from "../answers.js";

/** The model as the rules read it: everything but the gaps, which are built from these rules. */
export type ModelLike = Omit<AppModel, "gaps">;

export function stringOf(v: RValue | undefined): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  // a Symbol is its name, as Ruby's to_s and Capistrano's roles take it (isObject does not take Symbols)
  if (isSym(v)) return v.sym;
  if (isObject(v) && typeof (v as { float?: unknown }).float === "string") return (v as { float: string }).float;
  return null;
}

/** Rails environment of a stage: Capistrano's `rails_env`, else the stage name (capistrano/rails' default). */
export function railsEnvOf(stage: Stage): string {
  return startedRailsEnv(stage)?.env ?? cap2DefaultEnv(stage)?.env ?? stringOf(stage.variables["rails_env"]?.value) ?? railsEnvFallback(stage)?.value ?? stage.name;
}

/** Why a stage runs its RAILS_ENV, and where that is said: the overlay's provenance row. */
export function railsEnvWhy(stage: Stage): { what: string; source: Source } {
  const env = railsEnvOf(stage);
  const fact = stage.variables["rails_env"];
  const hooked = stage.hookedSets?.find((h) => h.variable === "rails_env");
  const cap2 = cap2DefaultEnv(stage);
  const started = startedRailsEnv(stage);
  // The start line decided (src/model.ts startedRailsEnv): cite it, and what it overrode.
  if (started) {
    const said = fact ? stringOf(fact.value) : null;
    const over = fact && said !== null && said !== env ? `; the deploy's rails_env "${said}" (${fact.source.file}:${fact.source.line}${fact.defaultOf ? `, ${fact.defaultOf}'s default` : ""}) is what its own tasks ran with (hazard ${cap2 ? "stage.rails-env-cap2-default" : "stage.rails-env-start-line"})` : "";
    return { what: `RAILS_ENV=${env}: the app server's start line ${started.how} (${started.source.file}:${started.source.line}) started the app with it${over}`, source: started.source };
  }
  if (cap2 && fact) {
    const ran = cap2.evidence ? `the ${cap2.evidence.name} the deploy exported to its commands (${cap2.evidence.source.file}:${cap2.evidence.source.line})` : `the stage's name (no file sets rails_env)`;
    return { what: `RAILS_ENV=${env}: ${ran}; Capistrano 2's default "${stringOf(fact.value)}" is what its recipes ran with, a doubt (hazard stage.rails-env-cap2-default)`, source: cap2.evidence?.source ?? stage.source };
  }
  if (fact && stringOf(fact.value) !== null) {
    if (hooked) return { what: `RAILS_ENV=${env}: set by task ${hooked.task}, which the hook \`${hooked.hook.kind} ${hooked.hook.target}\` (${hooked.hook.source.file}:${hooked.hook.source.line}) runs on every deploy, over what the stage file says`, source: hooked.set };
    if (fact.defaultOf) return { what: `RAILS_ENV=${env}: ${fact.defaultOf}'s default (no file sets rails_env for stage ${stage.name})`, source: fact.source };
    return { what: `RAILS_ENV=${env} (the stage's rails_env)`, source: fact.source };
  }
  const fb = railsEnvFallback(stage);
  if (fb) return { what: `RAILS_ENV=${env}: the fallback of rails_env, which is ENV['${fb.env}'] of the deploying machine when it set one (${fb.source.file}:${fb.source.line})`, source: fb.source };
  if (fact && fact.value !== null && fact.value !== undefined) return { what: `RAILS_ENV=${env}: the stage's name stands in; its rails_env (${fact.source.file}:${fact.source.line}) is not known statically`, source: fact.source };
  return { what: `RAILS_ENV=${env}: the stage's name (no file sets rails_env; capistrano-rails' default)`, source: stage.source };
}

/** Whether a server holds one of the roles (Capistrano's `roles:`): the rules count servers by it. */
export const hasRole = (roles: string[]) => (s: Stage["servers"][number]) => s.roles.some((r) => roles.includes(r));

/** The stage that is production: named `production`, else the only stage whose rails_env is production. */
export function productionStage(stages: Stage[]): Stage | null {
  // Asked once per stage (hosts, gaps): without the memo, 10,000 stages cost 10⁸ comparisons. The
  // length guards against a list that grew since (the analysis builds it, nothing edits it later).
  const memo = productionMemo.get(stages);
  if (memo && memo.length === stages.length) return memo.prod;
  const named = stages.find((s) => s.name === "production");
  const prod = named ? [named] : stages.filter((s) => railsEnvOf(s) === "production");
  const found = prod.length === 1 ? prod[0]! : null;
  productionMemo.set(stages, { length: stages.length, prod: found });
  return found;
}

const productionMemo = new WeakMap<Stage[], { length: number; prod: Stage | null }>();

/** Env vars of Capistrano's `default_env` for a stage (what the processes saw on the servers). */
export function defaultEnv(stage: Stage): { name: string; value: string | null; source: Source }[] {
  const env = stage.variables["default_env"];
  if (!env || !isObject(env.value)) return [];
  return Object.entries(env.value)
    .map(([k, v]) => ({ name: envNameOf(k), value: stringOf(v), source: env.source }))
    // A key that is not an env name stays: the env-file writer leaves it out and says so.
    .filter((e) => !HOST_LAYOUT_ENV.test(e.name));
}

/**
 * SSHKit upcases Symbol keys of `default_env` (`path:` sets PATH); the model keeps hash keys as
 * strings, and an all-lowercase env name is in practice always such a Symbol.
 */
function envNameOf(key: string): string {
  const k = key.replace(/^:/, "");
  return /^[a-z_][a-z0-9_]*$/.test(k) ? k.toUpperCase() : k;
}

/**
 * `default_env` entries that describe the server's layout (rbenv/rvm shims, gem paths, the deploy
 * user's home), not the app: the image sets its own, and copying them would break the container.
 */
export const HOST_LAYOUT_ENV = /^(PATH|HOME|USER|SHELL|RBENV_\w+|RVM_\w+|RUBY_ROOT|RUBY_ENGINE|RUBY_VERSION|GEM_HOME|GEM_PATH|GEM_ROOT|BUNDLE_PATH|BUNDLE_BIN|BUNDLE_GEMFILE|BUNDLE_APP_CONFIG|NVM_DIR|NODENV_\w+)$/;
