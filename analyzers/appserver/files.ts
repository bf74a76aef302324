// Which app server config files there are and which stages run them: the conventional places
// (config/unicorn.rb, config/unicorn/<env>.rb, config/puma.rb, config/puma/<env>.rb) plus any file
// a stage's Capistrano variable points at (`unicorn_config_path`, `puma_conf`).
import type { RValue, Stage } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { isInterp, isKnown, rubyToS } from "../ruby/evaluate.js";

export type ServerKind = "unicorn" | "puma";

export interface ConfigFile {
  kind: ServerKind;
  file: string;
  env: string | null;
}

/** The Capistrano variable naming each server's config file (capistrano3-unicorn, capistrano3-puma). */
export const CONFIG_VARIABLE: Record<ServerKind, string> = { unicorn: "unicorn_config_path", puma: "puma_conf" };

/** Basenames of a per-server config directory that are shared by every environment, not one of them. */
const NOT_AN_ENV = new Set(["base", "common", "shared", "default", "config", "settings"]);

/** Config files at the places Unicorn/Puma users put them, with the env a per-env file serves. */
export function conventionalFiles(paths: readonly string[]): ConfigFile[] {
  const out: ConfigFile[] = [];
  for (const p of paths) {
    // `config/unicorn.conf` is as common as `.rb` in older apps (Unicorn reads any Ruby file given by -c).
    const m = /^config\/(unicorn|puma)(?:\.rb|\.conf|\/([^/]+)\.(?:rb|conf))$/.exec(p);
    // config/unicorn/unicorn.rb or config/puma/base.rb serve every environment, not one named "unicorn".
    if (m) out.push({ kind: m[1] as ServerKind, file: p, env: m[2] === undefined || NOT_AN_ENV.has(m[2]) || m[2] === m[1] ? null : m[2] });
  }
  return out;
}

/**
 * The repo file a deployed path names: `<deploy_to>/current/x`, `<deploy_to>/releases/<ts>/x` and
 * relative paths (Capistrano runs the server from the release) map to `x`. Null when the value is
 * not a path inside a release (e.g. capistrano3-puma's generated `<shared>/puma.rb`).
 */
export function repoPathOf(value: RValue, deployTo: string | null): string | null {
  let s = rubyToS(value);
  if (s === null && isInterp(value)) {
    // "#{current_path}/config/unicorn.rb" where current_path stayed a reference: keep the known tail
    const tail = value.interp[value.interp.length - 1];
    const prev = value.interp[value.interp.length - 2];
    if (typeof tail === "string" && prev && typeof prev === "object" && !Array.isArray(prev) && "cap" in prev && /^(current_path|release_path)$/.test(String(prev.cap))) return tail.replace(/^\/+/, "");
    return null;
  }
  if (s === null || s === "") return null;
  if (!s.startsWith("/")) return s.replace(/^(\.\/)+/, "");
  if (deployTo) {
    const base = deployTo.replace(/\/+$/, "");
    if (s.startsWith(`${base}/current/`)) return s.slice(base.length + "/current/".length);
    const m = new RegExp(`^${escapeRe(base)}/releases/[^/]+/(.+)$`).exec(s);
    if (m) return m[1];
    return null;
  }
  const m = /\/(?:current|releases\/[^/]+)\/(.+)$/.exec(s);
  return m ? m[1] : null;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A stage's `deploy_to` as a plain string, when it is one. */
export function deployToOf(stage: Stage): string | null {
  const v = stage.variables["deploy_to"]?.value;
  const s = v === undefined ? null : rubyToS(v);
  return s ? s : null;
}

/** capistrano3-unicorn's default `unicorn_config_path`: `<current>/config/unicorn/<rails_env>.rb`. */
export function unicornPluginDefault(stage: Stage): string {
  return `config/unicorn/${railsEnvOf(stage)}.rb`;
}

/**
 * RACK_ENV as capistrano3-unicorn's `unicorn:start` gives it (`unicorn -c <path> -E
 * <unicorn_rack_env> -D`; plain unicorn's -E sets RACK_ENV before the config is read). The
 * released gem, 0.2.x from rubygems.org, defaults unicorn_rack_env to "development" when rails_env
 * is "development" and "deployment" otherwise; its git master uses rails_env. Null when not known.
 */
export function unicornPluginRackEnv(stage: Stage, lock: { version: string; fromRubygems: boolean } | null): string | null {
  const own = stage.variables["unicorn_rack_env"];
  if (own) return isKnown(own.value) ? rubyToS(own.value) || null : null;
  if (!lock || !lock.fromRubygems || !/^0\.2\./.test(lock.version)) return null;
  const rails = stage.variables["rails_env"];
  if (rails && !isKnown(rails.value)) return null;
  return rails && rubyToS(rails.value) === "development" ? "development" : "deployment";
}
