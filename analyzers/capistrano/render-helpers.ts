// The repo's own render helper (`def template(from, to, with_env = false)` in config/recipes/base.rb,
// lib/capistrano/tasks/libs.rb...): where it reads the template its task names. The Railscasts
// recipes and their descendants write it a few ways, each followed here from the helper's own text:
// - `File.read(File.expand_path("../templates/#{from}.erb", __FILE__))`: relative to the helper's
//   file (Ruby's expand_path against a file path: "../" leaves the file itself);
// - `File.read("config/deploy/templates/#{from}.erb")`: relative to where cap runs, the repo root;
// - `File.read("#{here}/templates/#{from}")` with `here = File.dirname(File.absolute_path(__FILE__))`
//   (or `File.dirname(__FILE__)`, `__dir__`): relative to the helper's folder;
// - `from = "#{from}.#{stage}" if with_env` before it: a per-stage template when the call passes
//   a literal `true` there (`template "unicorn.rb", to, true` → unicorn.rb.<stage>.erb).
// A helper the repo defines outranks the gem's and the basename search in tasks.ts: it is what cap
// called. A helper written another way (`smart_template`'s lookup through another method) is not
// followed: its calls are named, never guessed.
import { posix } from "node:path";
import type { RepoFiles, Source } from "../../src/model.js";
import { hasPath } from "../../src/model.js";

export interface RenderHelper {
  name: string;
  source: Source;
  params: string[];
  /** The template path with `{from}` for the first argument; null when not followed (why says so). */
  pattern: string | null;
  /** The parameter that turns on the per-stage suffix (`with_env`), by position. */
  stageParam?: number;
  why?: string;
}

// Where deploy recipes live: the Capfile's imports and config/deploy.rb's loads point here.
const DEPLOY_RUBY = /^(?:Capfile|config\/deploy(?:\.rb|\/.+\.(?:rb|rake|cap))|config\/(?:recipes|capistrano)\/.+\.(?:rb|rake|cap)|lib\/(?:capistrano|deploy|recipes)\/.+\.(?:rb|rake|cap))$/;
const HELPER_DEF = /^([ \t]*)def\s+(template|smart_template|upload_template|template_upload|render_template)\s*\(([^)]*)\)/gm;

/** The render helpers the repo's deploy files define, by name (the first definition of each). */
export function repoRenderHelpers(repo: RepoFiles): Map<string, RenderHelper> {
  const out = new Map<string, RenderHelper>();
  for (const file of repo.paths.filter((p) => DEPLOY_RUBY.test(p)).sort()) {
    const read = repo.read(file);
    if (!("text" in read)) continue;
    for (const m of read.text.matchAll(HELPER_DEF)) {
      const name = m[2]!;
      if (out.has(name)) continue;
      const line = read.text.slice(0, m.index).split("\n").length;
      const rest = read.text.slice(m.index! + m[0].length);
      const end = new RegExp(`^${m[1]}end\\b`, "m").exec(rest);
      const body = end ? rest.slice(0, end.index) : rest;
      const params = m[3]!.split(",").map((p) => p.trim().replace(/\s*=.*$/, "")).filter(Boolean);
      out.set(name, { name, source: { file, line }, params, ...follow(file, body, params) });
    }
  }
  return out;
}

function follow(file: string, body: string, params: string[]): Pick<RenderHelper, "pattern" | "stageParam" | "why"> {
  const from = params[0];
  if (!from || !/^\w+$/.test(from)) return { pattern: null, why: "its first parameter is not a plain name" };
  const esc = from.replace(/[^\w]/g, "");
  // `from = "#{from}.#{stage}" if with_env`
  const suffix = new RegExp(`\\b${esc}\\s*=\\s*"#\\{${esc}\\}\\.#\\{(?:stage|fetch\\(:stage\\))\\}"\\s+if\\s+(\\w+)`).exec(body);
  const stageParam = suffix ? params.indexOf(suffix[1]!) : -1;
  if (suffix && stageParam < 0) return { pattern: null, why: `its per-stage suffix depends on ${suffix[1]}, which is not one of its parameters` };
  // Any other reassignment of the parameter changes the name in a way not followed.
  if (new RegExp(`(?:^|[^\\w.])${esc}\\s*(?:=[^=~]|\\|\\|=|\\+=)`, "m").test(body.replace(suffix?.[0] ?? "\0", ""))) return { pattern: null, why: `it reassigns ${from} before reading the template` };
  const interp = `#\\{${esc}\\}`;
  const expand = new RegExp(`File\\.expand_path\\(\\s*["']([^"'#]*${interp}[^"'#]*)["']\\s*,\\s*__FILE__\\s*\\)`).exec(body);
  const plain = expand ? null : new RegExp(`(?:File|IO)\\.(?:read|open)\\(\\s*["']([^"'#]*${interp}[^"'#]*)["']`).exec(body);
  // `here = File.dirname(File.absolute_path(__FILE__))` (or `File.dirname(__FILE__)`, `__dir__`), then
  // `File.read("#{here}/templates/#{from}")`: relative to the helper's own folder.
  const DIR_OF_FILE = String.raw`(?:File\.dirname\(\s*(?:File\.(?:absolute_path|expand_path|realpath)\(\s*)?__FILE__\s*\)?\s*\)|__dir__)`;
  const dirVar = expand || plain ? null : new RegExp(`(?:^|[^\\w.])(\\w+)\\s*=\\s*${DIR_OF_FILE}`, "m").exec(body);
  const inDir = expand || plain ? null : new RegExp(`(?:File|IO)\\.(?:read|open)\\(\\s*"#\\{(?:${dirVar ? dirVar[1] : "\\0"}|${DIR_OF_FILE})\\}\\/([^"#]*${interp}[^"#]*)"`).exec(body);
  const rel = expand ? posix.normalize(posix.join(file, expand[1]!)) : plain ? posix.normalize(plain[1]!.replace(/^\.\//, "")) : inDir ? posix.normalize(posix.join(posix.dirname(file), inDir[1]!)) : null;
  if (!rel || rel.startsWith("..")) return { pattern: null, why: "where it reads the template is not a path written in the helper (a lookup through another method or a variable)" };
  return { pattern: rel.replace(new RegExp(interp.replace(/\\\{/g, "\\{"), "g"), "{from}"), ...(stageParam >= 0 ? { stageParam } : {}) };
}

/**
 * The templates a followed helper's call reads: one path, or one per stage (`stage` set) for a
 * per-stage call, found among the repo's files. `unfollowed` says why none can be named.
 */
export function helperTemplates(repo: RepoFiles, h: RenderHelper, fromArg: string | null, stageArg: "true" | "false" | "absent" | "other"): { templates: { path: string; stage?: string }[] } | { unfollowed: string } {
  if (!h.pattern) return { unfollowed: h.why ?? "not followed" };
  if (fromArg === null) return { unfollowed: "its template is named by a value not known statically (a variable or a loop)" };
  const perStage = h.stageParam !== undefined && stageArg !== "false" && stageArg !== "absent";
  if (h.stageParam !== undefined && stageArg === "other") return { unfollowed: `whether it adds the stage to the name (its ${h.params[h.stageParam]} argument) is not known statically` };
  if (!perStage) {
    const path = h.pattern.replace("{from}", fromArg);
    return hasPath(repo, path) ? { templates: [{ path }] } : { unfollowed: `it reads ${path}, which the repo does not hold` };
  }
  const [before, after] = h.pattern.replace("{from}", `${fromArg}.\0`).split("\0") as [string, string];
  const templates = repo.paths.filter((p) => p.startsWith(before) && p.endsWith(after) && p.length > before.length + after.length).map((p) => ({ path: p, stage: p.slice(before.length, p.length - after.length) })).filter((t) => !t.stage.includes("/"));
  return templates.length ? { templates } : { unfollowed: `it reads ${before}<stage>${after}, and the repo holds none` };
}
