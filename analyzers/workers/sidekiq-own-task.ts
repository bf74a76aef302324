// A deploy that starts Sidekiq with a task of its own (Railscasts-style recipes: `task :restart,
// roles: :web do sudo "monit restart sidekiq" end`, hooked after deploy:restart) ran it on the
// servers of that task's roles, one process per server (the task starts one service). Those roles,
// not the usual sidekiq/worker ones, place it. Read only where the task line names its roles as
// literals, and in Capistrano 2 only (its `task` takes :roles); else nothing is assumed.
import type { AnalyzerContext, CapistranoFacts, SidekiqStarted, Source, Stage } from "../../src/model.js";
import { taskLineRoles } from "../capistrano/task-roles.js";

const START = /^sidekiq:(start|restart)$/;

/** Per stage, where the repo's own hooked sidekiq:start/restart task ran Sidekiq; null when there is no such task. */
export function sidekiqOwnTaskStarted(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: Stage[]): Record<string, SidekiqStarted> | null {
  // Capistrano 3 tasks are Rake tasks: a `roles:` option on the task line places nothing there.
  if (!cap || cap.major !== 2 || cap.tool) return null;
  const hooked = cap.hooks.filter((h) => START.test(h.task.replace(/^:/, "")) && /^deploy:/.test(h.target.replace(/^:/, "")));
  if (!hooked.length) return null;
  let found: { roles: string[]; name: string; source: Source } | null = null;
  for (const t of cap.tasks.filter((t) => START.test(t.name))) {
    const r = ctx.repo.read(t.source.file);
    if (!("text" in r)) continue;
    const roles = taskLineRoles(r.text.split(/\r?\n/)[t.source.line - 1] ?? "");
    if (roles) {
      found = { roles, name: t.name, source: t.source };
      break;
    }
  }
  if (!found) return null;
  const hook = hooked[0]!;
  const out: Record<string, SidekiqStarted> = {};
  for (const s of stages) {
    if (!s.servers.length) continue;
    const servers = s.servers.filter((sv) => sv.roles.some((r) => found!.roles.includes(r))).length;
    const why = `the deploy's own task ${found.name} (${found.source.file}:${found.source.line}) runs on roles ${found.roles.map((r) => `:${r}`).join(", ")}, ${hook.kind} ${hook.target} (${hook.source.file}:${hook.source.line}): ${servers} server(s) of stage ${s.name}, one process each`;
    out[s.name] = { processes: servers, servers, roles: found.roles, why: servers === 0 ? `none: ${why}` : why, source: found.source };
  }
  return out;
}
