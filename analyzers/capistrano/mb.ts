// capistrano-mb (mattbrictson/capistrano-mb), an opinionated "stack" gem: `require "capistrano/mb"`
// loads recipes that install and run unicorn, nginx, the crontab, sidekiq... on the servers, each
// enabled by its name in `:mb_recipes`. Its defaults (defaults.ts, MB_DEFAULTS) are read only when
// Gemfile.lock locks the gem; what each recipe ran is read by the analyzers of that piece through
// the helpers here.
import type { AnalyzerContext, Fact, RepoFiles, Source, Stage } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { MB_DEFAULT_RECIPES } from "./defaults.js";
import { isCapfileName } from "./capfile.js";
import { execStarts, readUnit } from "../services/unit-file.js";

export const MB = "capistrano-mb";
export const MB_REQUIRE = "capistrano/mb";
/** The release whose recipes, defaults and templates were read for this model. */
export const MB_READ_VERSION = "0.35";
/** A repo's own copy of a template, which the gem's `template` helper renders instead of its own. */
export const mbOverride = (name: string) => `lib/capistrano/mb/templates/${name}`;

/** `capistrano-mb (x)` in Gemfile.lock: its version and line. */
export function mbLocked(repo: RepoFiles): { version: string; line: number } | null {
  if (!hasPath(repo, "Gemfile.lock")) return null;
  const r = repo.read("Gemfile.lock");
  if ("error" in r) return null;
  const lines = r.text.split(/\r?\n/);
  const i = lines.findIndex((l) => /^ {4}capistrano-mb \(/.test(l));
  return i < 0 ? null : { version: /\(([^)]+)\)/.exec(lines[i]!)![1]!, line: i + 1 };
}

export interface MbStack {
  version: Fact<string>;
  /** The Capfile line that loads the gem. */
  required: Source;
}

/** The gem as this repo deployed with it: required by the Capfile and locked; else null. */
export function mbStack(ctx: AnalyzerContext, requires: Fact<string>[]): MbStack | null {
  // Capistrano 3 runs a plugin's load:defaults only when the Capfile requires it (cap3.plugin-after-defaults).
  const req = requires.find((r) => r.value === MB_REQUIRE && isCapfileName(r.source.file));
  if (!req) return null;
  const lock = mbLocked(ctx.repo);
  if (!lock) return null;
  return { version: { value: lock.version, source: { file: "Gemfile.lock", line: lock.line } }, required: req.source };
}

/**
 * Whether a stage ran a recipe, with the evidence: the gem's default list, or the line of the repo
 * that set or changed `:mb_recipes`. Null when the list is not known statically.
 */
export function mbRecipe(ctx: AnalyzerContext, mb: MbStack, stage: Stage, recipe: string): { on: boolean; source: Source; why: string } | null {
  const v = stage.variables["mb_recipes"];
  if (!v || !Array.isArray(v.value)) return null;
  const names = v.value.map((x) => (typeof x === "string" ? x : x && typeof x === "object" && "sym" in x ? String((x as { sym: unknown }).sym) : null));
  if (names.some((n) => n === null)) return null;
  const on = names.includes(recipe);
  // `fetch(:mb_recipes) << "x"` keeps the default's source: the line that names the recipe is found.
  const own = recipeLine(ctx, stage, recipe);
  if (own) return { on, source: own, why: `${own.file}:${own.line} changes :mb_recipes` };
  if (v.defaultOf && on === MB_DEFAULT_RECIPES.includes(recipe)) return { on, source: mb.required, why: `in ${MB}'s default :mb_recipes` };
  return { on, source: v.source, why: `:mb_recipes ${on ? "lists" : "does not list"} it` };
}

function recipeLine(ctx: AnalyzerContext, stage: Stage, recipe: string): Source | null {
  const files = ["config/deploy.rb", stage.source.file].filter((f, i, a) => a.indexOf(f) === i && hasPath(ctx.repo, f));
  const word = new RegExp(`mb_recipes.*["':%(\\s]${recipe}\\b`);
  for (const file of files) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const lines = r.text.split(/\r?\n/);
    const i = lines.findIndex((l) => !/^\s*#/.test(l) && word.test(l));
    if (i >= 0) return { file, line: i + 1 };
  }
  return null;
}

/**
 * The repo's copy of one of the gem's systemd units (`sidekiq.service.erb`, `unicorn.service.erb`
 * under lib/capistrano/mb/templates/, which its `template` helper renders instead of its own,
 * lib/capistrano/mb/dsl.rb): its ExecStart= with the ERB output tags the analysis can name turned
 * into words (`<%= fetch(:x) %>` → `@x`, `<%= current_path %>` → `#{current_path}`), the others
 * into `@?`; and its TimeoutStopSec= when it sets one. Null when the repo keeps no copy.
 */
export function mbUnitOverride(ctx: AnalyzerContext, unit: string): { file: string; command: string; line: number; timeoutStop: { seconds: number; line: number } | null } | null {
  const file = mbOverride(unit);
  if (!hasPath(ctx.repo, file)) return null;
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  const entries = readUnit(r.text);
  const start = execStarts(entries)[0];
  if (!start) return null;
  const command = start.command
    .replace(/<%=\s*(current_path|release_path)\s*%>/g, "#{$1}")
    .replace(/<%=\s*fetch\(\s*:(\w+)\s*\)\s*%>/g, "@$1")
    .replace(/<%[\s\S]*?%>/g, "@?");
  const t = entries.filter((e) => e.section === "Service" && e.key === "TimeoutStopSec").pop();
  const secs = t && /^\d+s?$/.test(t.value) ? Number(t.value.replace(/s$/, "")) : null;
  return { file, command, line: start.line, timeoutStop: secs !== null ? { seconds: secs, line: t!.line } : null };
}
