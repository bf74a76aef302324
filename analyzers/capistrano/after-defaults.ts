// A Capistrano 3 plugin required in config/deploy.rb or a stage file (cap3.plugin-after-defaults).
// The stage task runs load:defaults before it loads those files. Capistrano 3.5.0 made that task
// immutable once invoked (commit 52b0d489 "Prevent enhance of load:defaults after invoke",
// lib/capistrano/immutable_task.rb; CHANGELOG 3.5.0): a plugin that adds to it there makes
// `cap <stage>` abort with "Plugins must be loaded in the Capfile to initialize properly". Before
// 3.5.0 the addition was accepted and never run: the plugin's tasks and hooks were defined, its
// defaults were not set. Which of the two happened is the locked Capistrano's to say. Before 3.5.0
// the plugin counts as the stage's (its tasks ran), and each variable its load:defaults would have
// set is unknown there (lateDefaults) until the deploy files set it.
import { parseLockfile } from "../rails/lockfile.js";
import { CAP3_PLUGINS, CAP3_PLUGIN_SNIPPETS } from "./defaults.js";

/** The first Capistrano whose load:defaults refuses additions once invoked. */
export const IMMUTABLE_DEFAULTS_SINCE = "3.5.0";

export interface LockedCap {
  version: string;
  line: number;
}

/** The Capistrano Gemfile.lock resolves, with its line; null when it locks none. */
export function lockedCapistrano(lockText: string): LockedCap | null {
  const spec = parseLockfile(lockText).specs.find((s) => s.name === "capistrano");
  return spec ? { version: spec.version, line: spec.line } : null;
}

/** a < b on the numeric release parts (3.4.1 < 3.5.0; a prerelease of 3.5.0 counts as 3.5.0). */
export function before(a: string, b: string): boolean {
  const na = a.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : NaN));
  const nb = b.split(".").map(Number);
  for (let i = 0; i < nb.length; i++) {
    const x = na[i] === undefined || Number.isNaN(na[i]) ? 0 : na[i]!;
    if (x !== nb[i]) return x < nb[i]!;
  }
  return false;
}

/**
 * The warning's text, and whether `cap` provably aborted: the lock's Capistrano is 3.5.0 or later
 * and the plugin is one whose load:defaults we read in its source (defaults.ts).
 */
export function afterDefaults(target: string, file: string, cap: LockedCap | null, stageFile: boolean): { message: string; aborts: boolean; loaded: boolean } {
  const head = `cap3.plugin-after-defaults: require ${JSON.stringify(target)} in ${file}: Capistrano 3 runs load:defaults before loading this file`;
  const scope = stageFile ? "this stage" : "every stage";
  const anyOf = stageFile ? "this stage" : "any stage";
  const locked = cap ? `Capistrano ${cap.version} (Gemfile.lock:${cap.line})` : null;
  const notPlugin = "it is not taken as a plugin of the deploy";
  const abortText = '`cap` aborts: "Plugins must be loaded in the Capfile to initialize properly"';
  if (cap && /^\d+\.\d+/.test(cap.version) && before(cap.version, IMMUTABLE_DEFAULTS_SINCE))
    return {
      message: `${head}; ${locked} predates ${IMMUTABLE_DEFAULTS_SINCE}, which made that an abort, so the plugin loaded: its tasks and hooks ran on ${scope}, and it is taken as ${stageFile ? "this stage's" : "every stage's"} plugin, but its load:defaults, added after it had run, never ran, so its defaults never applied: ${Object.hasOwn(CAP3_PLUGINS, target) ? "each value it would have defaulted is unknown there, unless the deploy files set it" : "what its tasks did without them is not known"}`,
      aborts: false,
      loaded: true,
    };
  const known = Object.hasOwn(CAP3_PLUGINS, target);
  if (cap && known)
    return {
      message: `${head}; ${locked} (${IMMUTABLE_DEFAULTS_SINCE} or later) freezes load:defaults once run, and this plugin adds to it, so ${abortText}. No deploy of ${anyOf} ran with the repo as it stands: what its servers run came from other files or another bundle, not known here`,
      aborts: true,
      loaded: false,
    };
  if (cap)
    return {
      message: `${head}; ${locked} (${IMMUTABLE_DEFAULTS_SINCE} or later) freezes load:defaults once run: if this plugin adds to it, as plugins with settings do, ${abortText}, and no deploy of ${anyOf} ran with the repo as it stands; if it does not, its tasks ran without defaults. Which is not known here, and ${notPlugin}`,
      aborts: false,
      loaded: false,
    };
  return {
    message: `${head}, and Gemfile.lock locks no Capistrano: from ${IMMUTABLE_DEFAULTS_SINCE} on, a plugin that adds to load:defaults there makes ${abortText}; before, its tasks and hooks ran without its defaults. What it ran is not known, and ${notPlugin}`,
    aborts: false,
    loaded: false,
  };
}

/**
 * The variables a plugin's load:defaults sets (`set :name` in its snippet, defaults.ts), each with
 * the Unknown it is on a stage where that load:defaults never ran (Capistrano before 3.5.0, the
 * plugin required after load:defaults: a `fetch` there got nothing from the plugin).
 */
export function lateDefaults(target: string, at: string): { name: string; why: string }[] {
  const names = new Set<string>();
  for (const key of CAP3_PLUGINS[target] ?? []) for (const m of (CAP3_PLUGIN_SNIPPETS[key] ?? "").matchAll(/^\s*set(?:_if_empty)?\s*\(?\s*:(\w+)/gm)) names.add(m[1]!);
  return [...names].map((name) => ({ name, why: `${target} was required after load:defaults ran (${at}), so its default for ${name} never applied there; not known` }));
}
