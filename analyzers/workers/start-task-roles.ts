// The servers a backend ran on are those of the roles its start or restart task runs on
// (`task :poolrestart do on roles(:job) do execute 'sudo systemctl restart resque' end end`), not a
// fixed list of role names: the deploy says where it started the process. A line that names the
// backend in the task's `desc` (just above `task`) or anywhere in its body stands for the task.
import type { AnalyzerContext, Source } from "../../src/model.js";
import { childrenOf, kind, parseRuby } from "../ruby/prism.js";
import { onRoles, type OnRoles } from "./deploy-methods.js";

/** The `on roles(...)` of the task a line belongs to (its body, or the `desc` line above it); null when none is literal, or several differ. */
export function startTaskRoles(ctx: AnalyzerContext, at: Source): OnRoles | null {
  const r = ctx.repo.read(at.file);
  if ("error" in r) return null;
  const parsed = parseRuby(at.file, r.text);
  if (parsed.errors.length) return null;
  let task: any = null;
  const findTask = (node: any): void => {
    if (task || !node) return;
    if (kind(node) === "CallNode" && node.name === "task" && node.block) {
      const from = parsed.lineOf(node.location.startOffset);
      const to = parsed.lineOf(node.location.startOffset + node.location.length - 1);
      if ((at.line >= from && at.line <= to) || (at.line === from - 1 && /^\s*desc\b/.test(r.text.split(/\r?\n/)[at.line - 1] ?? ""))) {
        task = node;
        return;
      }
    }
    for (const k of childrenOf(node)) findTask(k);
  };
  findTask(parsed.root);
  if (!task) return null;
  const found: OnRoles[] = [];
  const walk = (node: any, ancestors: any[]): void => {
    if (!node) return;
    if (kind(node) === "CallNode" && ["execute", "run", "sudo", "test", "capture"].includes(String(node.name))) {
      const on = onRoles(ancestors, parsed.sourceOf.bind(parsed));
      if (on) found.push(on);
    }
    for (const k of childrenOf(node)) walk(k, [...ancestors, node]);
  };
  walk(task, []);
  if (!found.length) return null;
  const key = (o: OnRoles) => `${o.primary}:${o.roles.join(",")}`;
  return found.every((o) => key(o) === key(found[0]!)) ? found[0]! : null;
}
