// How the app builds its assets, and whether the image needs Node for that. The gems decide the
// pipeline; Node is needed when a gem shells out to a JS toolchain (jsbundling, cssbundling,
// webpacker) or needs a JS runtime through ExecJS (uglifier, terser, autoprefixer-rails, coffee)
// with no embedded one (mini_racer, therubyracer). The lockfile next to package.json names the
// package manager; the `packageManager` field of package.json is the fallback.
import type { AnalyzerContext, AssetFacts, Fact, Source } from "../../src/model.js";
import { capfilePath } from "../capistrano/capfile.js";

type Pipeline = AssetFacts["pipeline"][number]["value"];

/** Gem → pipeline, in the order they are reported. */
const PIPELINE_GEMS: [string, Pipeline][] = [
  ["sprockets-rails", "sprockets"],
  ["sprockets", "sprockets"],
  ["propshaft", "propshaft"],
  ["webpacker", "webpacker"],
  ["shakapacker", "webpacker"],
  ["jsbundling-rails", "jsbundling"],
  ["importmap-rails", "importmap"],
];
/** Gems that run a Node toolchain at assets:precompile. */
const NODE_TOOLCHAIN_GEMS = ["jsbundling-rails", "cssbundling-rails", "webpacker", "shakapacker", "vite_rails", "vite_ruby"];
/** Gems that evaluate JavaScript through ExecJS: Node is the usual runtime on a server. */
const EXECJS_GEMS = ["uglifier", "terser", "autoprefixer-rails", "coffee-rails", "coffee-script", "execjs"];
const EMBEDDED_JS_RUNTIMES = ["mini_racer", "therubyracer", "therubyrhino"];
const LOCKFILES: [string, "yarn" | "npm" | "pnpm" | "bun"][] = [
  ["yarn.lock", "yarn"],
  ["package-lock.json", "npm"],
  ["pnpm-lock.yaml", "pnpm"],
  ["bun.lockb", "bun"],
  ["bun.lock", "bun"],
];

export function readAssets(ctx: AnalyzerContext, gems: Record<string, Fact<string>>): AssetFacts {
  const paths = new Set(ctx.repo.paths);
  const pipeline: AssetFacts["pipeline"] = [];
  for (const [gem, kind] of PIPELINE_GEMS) {
    if (gems[gem] && !pipeline.some((p) => p.value === kind)) pipeline.push({ value: kind, source: gems[gem].source });
  }
  const lockSource: Source = gems["rails"]?.source ?? { file: "Gemfile.lock", line: 0 };
  // No pipeline gem locked (no lockfile, or an old one): the deploy's own precompile step is evidence.
  if (pipeline.length === 0) {
    const precompiled = deployPrecompiles(ctx);
    pipeline.push(precompiled ? { value: "deploy-precompiled", source: precompiled } : { value: "none", source: lockSource });
  }

  const toolchain = NODE_TOOLCHAIN_GEMS.find((g) => gems[g]);
  const execjs = EXECJS_GEMS.find((g) => gems[g]);
  const embedded = EMBEDDED_JS_RUNTIMES.find((g) => gems[g]);
  let needsNode: Fact<boolean>;
  if (toolchain) needsNode = { value: true, source: gems[toolchain].source };
  else if (execjs && !embedded) needsNode = { value: true, source: gems[execjs].source };
  else if (paths.has("package.json") && packageBuilds(ctx)) needsNode = { value: true, source: { file: "package.json", line: 1 } };
  else needsNode = { value: false, source: embedded ? gems[embedded].source : lockSource };

  let packageManager: AssetFacts["packageManager"] = null;
  if (paths.has("package.json")) {
    const lock = LOCKFILES.find(([f]) => paths.has(f));
    if (lock) packageManager = { value: lock[1], source: { file: lock[0], line: 1 } };
    else {
      const declared = declaredManager(ctx);
      packageManager = declared ?? { value: "npm", source: { file: "package.json", line: 1 } };
    }
  }
  const prefix = readAssetsPrefix(ctx);
  return { pipeline, needsNode, packageManager, ...(prefix ? { prefix } : {}) };
}

/** `config.assets.prefix = "/recursos"` (a literal path only): where assets:precompile writes under public/, and their URL path. */
const ASSETS_PREFIX = /^\s*(?:config|Rails\.application\.config)\.assets\.prefix\s*=\s*(["'])([A-Za-z0-9._~\/-]*)\1\s*(?:#.*)?$/;

/** One or more plain segments: a `.`/`..` or empty segment would make public/<prefix> public itself or a path outside it. */
export function plainAssetsPath(raw: string): string | null {
  const name = raw.replace(/^\/|\/$/g, "");
  const segs = name.split("/");
  if (!name || segs.some((s) => s === "" || s === "." || s === ".." || !/^[A-Za-z0-9._~-]+$/.test(s))) return null;
  return name;
}

/**
 * Rails reads its config in boot order, the last assignment winning: config/application.rb, then the
 * production environment file, then the initializers in name order.
 */
function readAssetsPrefix(ctx: AnalyzerContext): Fact<string> | null {
  const initializers = ctx.repo.paths.filter((p) => /^config\/initializers\/[^/]+\.rb$/.test(p)).sort();
  const files = ["config/application.rb", "config/environments/production.rb", ...initializers];
  let found: Fact<string> | null = null;
  for (const file of files) {
    if (!ctx.repo.paths.includes(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    r.text.split(/\r?\n/).forEach((line, i) => {
      const m = ASSETS_PREFIX.exec(line);
      if (!m) return;
      const name = plainAssetsPath(m[2]!);
      if (name) found = { value: `/${name}`, source: { file, line: i + 1 } };
      else ctx.problem({ file, line: i + 1, message: `config.assets.prefix ${JSON.stringify(m[2]!)} is not a plain path of named segments (a "." or ".." or empty segment); ignored it (the default /assets or an earlier assignment stays)`, severity: "warning" });
    });
  }
  return found;
}

function packageJson(ctx: AnalyzerContext): { json: any; text: string } | null {
  const r = ctx.repo.read("package.json");
  if ("error" in r) return null;
  try {
    return { json: JSON.parse(r.text), text: r.text };
  } catch (e) {
    ctx.problem({ file: "package.json", line: 1, message: `not valid JSON: ${(e as Error).message}`, severity: "warning" });
    return null;
  }
}

/** A package.json whose scripts build assets (`build`, `build:css`): precompile runs them. */
function packageBuilds(ctx: AnalyzerContext): boolean {
  const p = packageJson(ctx);
  const scripts = p?.json?.scripts;
  return !!scripts && typeof scripts === "object" && Object.keys(scripts).some((k) => /^build(:|$)/.test(k));
}

function declaredManager(ctx: AnalyzerContext): AssetFacts["packageManager"] {
  const p = packageJson(ctx);
  const pm = p?.json?.packageManager;
  if (typeof pm !== "string") return null;
  const name = pm.split("@")[0];
  if (name !== "yarn" && name !== "npm" && name !== "pnpm" && name !== "bun") return null;
  const line = p!.text.split("\n").findIndex((l) => l.includes('"packageManager"')) + 1;
  return { value: name, source: { file: "package.json", line: line || 1 } };
}

/**
 * Where the deploy precompiled assets: capistrano-rails' assets recipe (`capistrano/rails` loads it),
 * or Capistrano 2's `load 'deploy/assets'`. Null when the deploy never did.
 */
function deployPrecompiles(ctx: AnalyzerContext): Source | null {
  const file = capfilePath(ctx.repo);
  const r = file ? ctx.repo.read(file) : null;
  if (!r || "error" in r) return null;
  const lines = r.text.split(/\r?\n/);
  const i = lines.findIndex((l) => /^\s*(?:require\s*\(?\s*["']capistrano\/rails(?:\/assets)?["']|load\s*\(?\s*["']deploy\/assets["'])/.test(l));
  return i >= 0 ? { file: file!, line: i + 1 } : null;
}
