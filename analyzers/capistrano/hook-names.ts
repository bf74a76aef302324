// The full names of the tasks a Capistrano 3 hook ties together, as Rake looks them up, so that every
// reader that follows hooks (task lines, copies, links, restarts) matches a hook to its task by one name.
//
// Capistrano 3.17's dsl/task_enhancements.rb:
//   before(task, prerequisite, *args, &block): with a block, `Rake::Task.define_task(prerequisite, ...)`
//     (the task is defined in the namespace around the hook) and that very Task is the prerequisite;
//     without one, the name is a prerequisite of `Rake::Task[task]`, looked up in that task's scope.
//   after(task, post_task, *args, &block): with a block, the task is defined the same way; then
//     `Rake.application.lookup(post_task, task.scope)`, in the hooked task's scope.
// `Rake::Task[task]` looks the target up from the namespace around the hook. Rake 13's
// TaskManager#lookup_in_scope tries the innermost scope first, then each outer one, then the top.
// So `namespace :deploy do after :restart, :restart_sidekiq do … end end` defines
// deploy:restart_sidekiq, run after deploy:restart.
//
// Capistrano 2's callbacks name tasks from the top (find_task), and a block there defines no task:
// its hooks are kept as written.
import type { HookDef } from "../../src/model.js";

/** Capistrano 3's own tasks (`cap -AT` with capistrano/setup, deploy and scm/git, capistrano 3.17.2). */
export const CAP3_FRAMEWORK_TASKS: ReadonlySet<string> = new Set([
  "deploy", "deploy:check", "deploy:check:directories", "deploy:check:linked_dirs", "deploy:check:linked_files",
  "deploy:check:make_linked_dirs", "deploy:cleanup", "deploy:cleanup_rollback", "deploy:failed", "deploy:finished",
  "deploy:finishing", "deploy:finishing_rollback", "deploy:log_revision", "deploy:new_release_path",
  "deploy:print_config_variables", "deploy:published", "deploy:publishing", "deploy:restart", "deploy:revert_release",
  "deploy:reverted", "deploy:reverting", "deploy:rollback", "deploy:rollback_release_path", "deploy:set_current_revision",
  "deploy:set_previous_revision", "deploy:started", "deploy:starting", "deploy:symlink:linked_dirs",
  "deploy:symlink:linked_files", "deploy:symlink:release", "deploy:symlink:shared", "deploy:updated", "deploy:updating",
  "doctor", "doctor:environment", "doctor:gems", "doctor:servers", "doctor:variables", "git:check", "git:clone",
  "git:create_release", "git:set_current_revision", "git:update", "git:wrapper", "install", "load:defaults",
]);

/** Where a hook was written: the Rake namespaces around it, and whether its block defined the task. */
export interface HookScope {
  ns: string[];
  defines: boolean;
}

/**
 * Rake's lookup of `name` from `scope` outwards, among the tasks known. A name known at no scope is a
 * gem's task the repo does not hold: a bare one is taken in the namespace the hook was written in
 * (`home`; capistrano-passenger's deploy:restart for `after :restart` inside `namespace :deploy`), one
 * that names its own namespace (`deploy:published`, `sidekiq:restart`) from the top, as written.
 */
function lookup(name: string, scope: string[], known: (n: string) => boolean, home: string[]): string {
  const bare = name.replace(/^:/, "");
  if (bare.startsWith("rake:")) return bare.slice(5);
  for (let i = scope.length; i >= 0; i--) {
    const cand = [...scope.slice(0, i), bare].join(":");
    if (known(cand)) return cand;
  }
  return bare.includes(":") ? bare : [...home, bare].join(":");
}

/** The hook with its target and task as the full names Rake runs (Capistrano 3). */
export function resolveHook(h: HookDef, at: HookScope, known: (n: string) => boolean): HookDef {
  const target = lookup(h.target, at.ns, known, at.ns);
  const targetScope = target.split(":").slice(0, -1);
  const defined = [...at.ns, h.task.replace(/^:/, "")].join(":");
  // `before` with a block: the prerequisite is the Task the block defined, whatever its scope.
  const task = at.defines && h.kind === "before" ? defined : lookup(h.task, targetScope, (n) => known(n) || (at.defines && n === defined), at.ns);
  return task === h.task && target === h.target ? h : { ...h, target, task };
}
