// A repo whose Capistrano deploy is at its root (Capfile, config/deploy.rb) while the Rails app it
// deploys is in one subfolder (`set :repo_tree, "web"`: Capistrano's git plugin then releases only
// that folder, so on the servers the release *is* the app). The analysis reads one tree: the app's
// files as the app sees them (relative to its folder, as Rails and the release do) and the deploy's
// files at their root paths. Every citation is then turned back into the file's real path in the repo.
import { CAPFILE_NAMES } from "../analyzers/capistrano/capfile.js";
import type { RepoFiles } from "./model.js";

/** The deploy's own files, read from the root: what `cap` loads from the folder it runs in. */
const isDeployPath = (p: string) => CAPFILE_NAMES.includes(p) || p === "config/deploy.rb" || p.startsWith("config/deploy/") || p.startsWith("lib/capistrano/");

export type DeployRoot =
  | { kind: "none" }
  | { kind: "refused"; message: string }
  | {
      kind: "split";
      /** The app's folder, relative to the root, without a trailing slash. */
      app: string;
      /** The repo_tree setting that names it, as "file:line". */
      named: string;
      view: RepoFiles;
      /** A path of the view → the file's real path in the repo. */
      realPath: (p: string) => string;
    };

/** `set :repo_tree, "x"` with a literal value: the folder and where it is set, per deploy file. */
function repoTrees(repo: RepoFiles, files: string[]): { value: string; at: string }[] {
  const out: { value: string; at: string }[] = [];
  for (const f of files) {
    const r = repo.read(f);
    if (!("text" in r)) continue;
    r.text.split("\n").forEach((line, i) => {
      const m = /^\s*set\s*\(?\s*:repo_tree\s*,\s*(["'])([^"'#{}]*)\1/.exec(line);
      if (m) out.push({ value: m[2]!.replace(/^(\.\/)+/, "").replace(/\/+$/, ""), at: `${f}:${i + 1}` });
    });
  }
  return out;
}

/**
 * The root's deploy and the app folder it deploys, when the root holds a deploy but no Rails app.
 * `candidates` are the folders holding a Rails app (src/rails-roots.ts). The app is the folder the
 * deploy's repo_tree names; anything else is refused, naming the folders. With no repo_tree the
 * release is the whole repo, so its linked_files and copies name paths from the repo's root (a
 * `config/database.yml` there is not the app's `web/config/database.yml`), while the view reads them
 * as the app folder's: until they are re-rooted, that shape is refused too.
 */
export function deployRoot(repo: RepoFiles, candidates: readonly string[]): DeployRoot {
  const deployFiles = repo.paths.filter(isDeployPath);
  if (!deployFiles.some((p) => CAPFILE_NAMES.includes(p) || p === "config/deploy.rb") || !candidates.length) return { kind: "none" };
  const listed = (xs: readonly string[]) => xs.map((c) => `${c}/`).join(", ");
  const trees = repoTrees(repo, deployFiles);
  const values = [...new Set(trees.map((t) => t.value))];
  if (values.length > 1)
    return { kind: "refused", message: `the deploy at the root releases different folders (repo_tree ${trees.map((t) => `${JSON.stringify(t.value)} at ${t.at}`).join(", ")}); Rails apps are in ${listed(candidates)}: which one to analyze is not known` };
  if (!values.length)
    return candidates.length === 1
      ? { kind: "refused", message: `the deploy at the root sets no repo_tree, so Capistrano releases the whole repo and the Rails app is in its ${listed(candidates)}: the deploy's linked files and copies then name paths from the repo's root, which are not read here yet` }
      : { kind: "refused", message: `the deploy at the root sets no repo_tree, and Rails apps are in ${listed(candidates)}: which one it deploys is not known` };
  const app = values[0]!;
  if (!candidates.includes(app))
    return { kind: "refused", message: `the deploy at the root releases ${JSON.stringify(app)} (repo_tree at ${trees[0]!.at}), which holds no Rails app (no ${app}/config/application.rb); ${candidates.length === 1 ? "a Rails app is" : "Rails apps are"} in ${listed(candidates)}` };
  const named = trees[0]!.at;

  const prefix = `${app}/`;
  const appPaths = repo.paths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
  const ownDeploy = deployFiles.filter((p) => !p.startsWith(prefix));
  const appHas = new Set(appPaths);
  const clash = ownDeploy.filter((p) => appHas.has(p));
  if (clash.length) return { kind: "refused", message: `the deploy at the root and the Rails app in ${prefix} both have ${clash.slice(0, 3).join(", ")}${clash.length > 3 ? ` and ${clash.length - 3} more` : ""}: which one cap loads depends on where it runs` };
  const fromRoot = new Set(ownDeploy);
  const realPath = (p: string) => (fromRoot.has(p) ? p : `${prefix}${p}`);
  const view: RepoFiles = {
    paths: [...appPaths, ...ownDeploy].sort(),
    read: (p) => repo.read(realPath(p)),
    ...(repo.skippedUnder ? { skippedUnder: (d: string) => repo.skippedUnder!(`${prefix}${d}`).map((p) => p.slice(prefix.length)) } : {}),
  };
  return { kind: "split", app, named, view, realPath };
}

/**
 * Every cited file of the model (the `file` of a source, a problem, a hazard, an app server's config...)
 * turned, in place, into its real path: a `file` naming a file of the view. Values that are not
 * citations (release paths such as linked_files) are left alone. Objects are visited once, as one
 * source object may be cited from several places.
 */
export function citeRealPaths(model: object, view: RepoFiles, realPath: (p: string) => string): void {
  const files = new Set(view.paths);
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (!v || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Record<string, unknown>;
    for (const [k, x] of Object.entries(o)) {
      if (k === "file" && typeof x === "string" && files.has(x)) o[k] = realPath(x);
      else walk(x);
    }
  };
  walk(model);
}
