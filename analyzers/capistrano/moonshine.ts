// Moonshine (railsmachine's Capistrano 2 + Puppet provisioning) keeps the deploy's settings in
// config/moonshine.yml. Its Capistrano integration (moonshine/capistrano_integration.rb) runs
// `moonshine:configure` on :start, before the first task: `set key.to_sym, value` for every top-level
// key of that file, read as ERB then YAML. So its values win over config/deploy.rb's and come before
// a multistage stage file; after multistage:ensure, config/moonshine/<rails_env>.yml is set the same
// way. Its manifest's `recipe :default_stack` installs Apache with Passenger, whose
// PassengerMaxPoolSize is the file's `:passenger: :max_pool_size`.
import { capfilePath } from "./capfile.js";
import type { AnalyzerContext, RValue, Source } from "../../src/model.js";
import { parseErbYaml } from "../rails/erb-yaml.js";
import { isHash } from "../ruby/evaluate.js";
import { boundedCount, unboundedCountWhy } from "../process-count.js";

export const MOONSHINE_YML = "config/moonshine.yml";
const MANIFEST = /^app\/manifests\/[^/]+\.rb$/;

export interface MoonshineSetting {
  name: string;
  value: RValue;
  source: Source;
}

/** Whether the repo deploys with Moonshine: its YAML, and the plugin vendored or named by the deploy. */
export function usesMoonshine(ctx: AnalyzerContext): boolean {
  const { paths } = ctx.repo;
  if (!paths.includes(MOONSHINE_YML)) return false;
  if (paths.some((p) => p.startsWith("vendor/plugins/moonshine/") || MANIFEST.test(p))) return true;
  for (const f of [capfilePath(ctx.repo) ?? "Capfile", "config/deploy.rb", "Gemfile.lock"]) {
    const r = paths.includes(f) ? ctx.repo.read(f) : null;
    if (r && "text" in r && /\bmoonshine\b/.test(r.text)) return true;
  }
  return false;
}

/** The settings a Moonshine YAML file gives Capistrano, each cited at its line. */
export function moonshineSettings(ctx: AnalyzerContext, file: string = MOONSHINE_YML): MoonshineSetting[] {
  if (!ctx.repo.paths.includes(file)) return [];
  const r = ctx.repo.read(file);
  if ("error" in r) return [];
  const y = parseErbYaml(ctx, file, r.text, { strict: true });
  if (!isHash(y.value)) return [];
  return Object.entries(y.value).map(([k, value]) => ({ name: k.replace(/^:/, ""), value, source: { file, line: y.lineOf([k]) } }));
}

/**
 * Passenger as Moonshine installed it: the manifest's recipe that brings it, and the pool size
 * (PassengerMaxPoolSize: the most app processes Passenger runs on a server). Null when Moonshine is
 * not in use or its manifest installs no Passenger.
 */
export function moonshinePassenger(ctx: AnalyzerContext): { recipe: { text: string; source: Source }; pool: { value: number; source: Source } | { unknown: string; source: Source } } | null {
  if (!usesMoonshine(ctx)) return null;
  let recipe: { text: string; source: Source } | null = null;
  for (const file of ctx.repo.paths.filter((p) => MANIFEST.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const ls = r.text.split(/\r?\n/);
    const i = ls.findIndex((l) => /^\s*recipe\s+:(default_stack|passenger_gem|passenger_apache2|passenger_site)\b/.test(l));
    if (i >= 0) {
      recipe = { text: ls[i]!.trim(), source: { file, line: i + 1 } };
      break;
    }
  }
  if (!recipe) return null;
  const passenger = moonshineSettings(ctx).find((s) => s.name === "passenger");
  const size = passenger && isHash(passenger.value) ? (passenger.value["max_pool_size"] ?? passenger.value[":max_pool_size"]) : undefined;
  const lineOf = (): Source => {
    const r = ctx.repo.read(MOONSHINE_YML);
    if ("error" in r) return passenger!.source;
    const ls = r.text.split(/\r?\n/);
    for (let i = passenger!.source.line; i < ls.length; i++) if (/^\s+:?max_pool_size:/.test(ls[i]!)) return { file: MOONSHINE_YML, line: i + 1 };
    return passenger!.source;
  };
  // a size past the bound is as unknown as a word: no server ran that many Passenger processes
  const count = boundedCount(size);
  const pool =
    count !== null
      ? { value: count, source: lineOf() }
      : size !== undefined && size !== null
        ? { unknown: `${MOONSHINE_YML} :passenger: :max_pool_size ${unboundedCountWhy(JSON.stringify(size))}`, source: lineOf() }
        : { unknown: `${MOONSHINE_YML} sets no :passenger: :max_pool_size, so Moonshine's passenger.conf template default applies`, source: passenger?.source ?? { file: MOONSHINE_YML, line: 1 } };
  return { recipe, pool };
}
