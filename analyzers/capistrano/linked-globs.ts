// A linked_files/linked_dirs entry with glob characters (`config/*.yml`) names no file: it names
// whatever the servers' shared/ held that matches. Some repos expand such entries with a task of
// their own (`capture(:ls, entry)` inside shared_path, then `set :linked_files, found`, hooked
// before deploy:check); without one, Capistrano's own commands hand the entry to the shell on the
// servers, which expands it there too. Either way the servers' files replaced every release file
// the glob matched, so each repo path it matches (Ruby's Dir.glob rules: analyzers/capistrano/glob.ts)
// is read as a linked file, the servers' copy, with the glob's line as evidence. config/database.yml
// among them makes the servers' database unknown (analyzers/rails/database-linked.ts), as a literal
// link does. The glob itself is never a path: one warning names it, the task and what it matched.
import type { HookDef, LinkedPath, TaskDef } from "../../src/model.js";
import { compileGlob, MAX_ALTERNATIVES } from "./glob.js";
import { classifyLinked } from "./linked.js";
import { hookRunning } from "./tasks.js";

/**
 * Files the app reads that usually live only on the servers (git-ignored, linked from shared/), each
 * of which the analysis treats specially when linked: database.yml and mongoid.yml (the servers'
 * database, rails/database-linked.ts), master.key and secrets.yml (secrets), Figaro's
 * application.yml and dotenv's .env (ENV loaded at boot). A glob that matches one of these names
 * covered the servers' copy whether or not the repo holds one: it counts as linked from shared/.
 */
export const KNOWN_SERVER_FILES = ["config/database.yml", "config/mongoid.yml", "config/secrets.yml", "config/master.key", "config/application.yml", ".env"];

/** Characters that make an entry a pattern for the shell and for Dir.glob (a `{a,b}` too: both expand it). */
const GLOB_CHARS = /[*?[]|\{[^{}]*,[^{}]*\}/;

export function expandLinkedGlobs(linked: LinkedPath[], paths: readonly string[], tasks: TaskDef[], hooks: HookDef[], warn: (file: string, line: number, message: string) => void): LinkedPath[] {
  const out = linked.filter((l) => !GLOB_CHARS.test(l.path));
  for (const g of linked.filter((l) => GLOB_CHARS.test(l.path))) {
    const key = g.kind === "file" ? "linked_files" : "linked_dirs";
    const task = tasks.find((t) => t.expandsLinkedGlobs?.key === key);
    const hook = task ? hookRunning(task, hooks) : null;
    const expandedBy = task && hook ? { task: task.name, source: task.source } : undefined;
    const m = compileGlob(g.path);
    if (m.bracesCut)
      warn(g.source.file, g.source.line, `capistrano.linked-glob-braces: ${key} entry ${g.path} has more than ${MAX_ALTERNATIVES} {…} alternatives: only the first ${MAX_ALTERNATIVES} are matched here, so a file a later one names is not read as linked; check which files it links on a server's shared/`);
    const candidates = g.kind === "file" ? paths : dirsOf(paths);
    const hits = candidates.filter((p) => m.test(p)).sort();
    // The servers-only files the glob names, which the repo does not hold (git-ignored, as usual).
    const known = g.kind === "file" ? KNOWN_SERVER_FILES.filter((p) => !paths.includes(p) && m.test(p)).sort() : [];
    hits.push(...known);
    hits.sort();
    for (const p of hits) {
      const same = out.find((l) => l.kind === g.kind && l.path === p);
      if (same) {
        for (const s of g.stages) if (!same.stages.includes(s)) same.stages.push(s);
        same.stages.sort();
        continue;
      }
      out.push({ path: p, kind: g.kind, class: classifyLinked(p, g.kind), stages: [...g.stages], source: g.source, ...(g.condition ? { condition: g.condition } : {}), glob: { pattern: g.path, ...(expandedBy ? { expandedBy } : {}) } });
    }
    const on = g.stages.length ? `stage${g.stages.length > 1 ? "s" : ""} ${g.stages.join(", ")}` : "all stages";
    const how = expandedBy
      ? `task ${expandedBy.task} (${expandedBy.source.file}:${expandedBy.source.line}; ${hook!.kind} ${hook!.target} at ${hook!.source.file}:${hook!.source.line}) lists it in shared/ on each server and sets ${key} to what it found (${task!.expandsLinkedGlobs!.source.file}:${task!.expandsLinkedGlobs!.source.line})`
      : task
        ? `task ${task.name} (${task.source.file}:${task.source.line}) would expand it in shared/, but no hook of the deploy runs it; Capistrano's own commands hand the entry to the shell on the servers, which expands it in shared/`
        : `no task of the deploy expands it: Capistrano's own commands hand the entry to the shell on the servers, which expands it in shared/`;
    const inRepo = hits.filter((p) => !known.includes(p));
    const matched = [
      inRepo.length
        ? `the repo's ${inRepo.length} ${g.kind === "file" ? "file" : "folder"}${inRepo.length > 1 ? "s" : ""} it matches (${inRepo.join(", ")}) ${inRepo.length > 1 ? "are" : "is"} read as the servers' copies, not the repo's`
        : `it matches no ${g.kind === "file" ? "file" : "folder"} of the repo`,
      known.length ? `; it also matches ${known.join(", ")}, which the repo does not hold (git-ignored) but the app reads: counted as linked from shared/, a file only the servers held` : "",
    ].join("");
    warn(g.source.file, g.source.line, `capistrano.linked-glob: ${key} entry ${g.path} (${on}) is a glob, not a ${g.kind === "file" ? "file" : "folder"} name: ${how}. Every ${g.kind === "file" ? "file" : "folder"} the servers' shared/ held that matches replaced the release's: ${matched}; which ones the servers held, and any others matching it, are not in the repo. Compare with a server's shared/${g.path.replace(/\/[^/]*[*?[].*$/, "")}`);
  }
  return out;
}

/** Every folder of the repo (prefixes of its file paths). */
function dirsOf(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [...dirs];
}
