// A config file the deploy writes on the servers by running a rake task of the repo: resque-pool's
// `config/resque_pool.yml` written by `rake config:pool` after each deploy (`YAML.dump(workers,
// File.open(Rails.root.join('config/resque_pool.yml'), 'w'))`, the workers built from the database).
// Such a file is in no commit, and no example stands for it: its content is what the task computed on
// the servers. Said by name, with the task's line and the deploy line that runs it, so the missing
// file is never read as "kept on the servers by hand" — nor silently taken as empty.
import type { AnalyzerContext, Source } from "../../src/model.js";
import { DEPLOY_FILE } from "../appserver/started.js";

export interface WrittenAtDeploy {
  /** The rake task, `namespace:name`. */
  task: string;
  /** The task's line that writes the file. */
  writes: Source;
  /** The task's own line (`task :pool => …`). */
  defined: Source;
  /** The deploy line that runs the task; null when none does (then it ran by hand, if at all). */
  runBy: Source | null;
}

const RAKE_FILE = /^(?:lib\/tasks\/(?:[^/]+\/)*[^/]+\.rake|Rakefile)$/;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The rake task of the repo that writes `file` (a repo path), and the deploy line that runs it. */
export function writtenAtDeploy(ctx: AnalyzerContext, file: string): WrittenAtDeploy | null {
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
  const base = file.slice(file.lastIndexOf("/") + 1);
  // `"config/x.yml"`, or `join("config", "x.yml")`.
  const named = new RegExp(`["']${esc(file)}["']${dir ? `|join\\(\\s*["']${esc(dir)}["']\\s*,\\s*["']${esc(base)}["']` : ""}`);
  const writes = /\bFile\.(?:open|write)\b|\bIO\.write\b|\bFileUtils\.(?:cp|copy)\b/;
  for (const path of ctx.repo.paths) {
    if (!RAKE_FILE.test(path)) continue;
    const r = ctx.repo.read(path);
    if ("error" in r || !named.test(r.text)) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (/^\s*#/.test(lines[i]!) || !named.test(lines[i]!)) continue;
      // The write may be the line itself or the call it closes (`YAML.dump(x,` then `File.open(…, 'w')`).
      const around = lines.slice(Math.max(0, i - 3), i + 1).join("\n");
      if (!writes.test(around) || (/\bFile\.open\b/.test(around) && !/["'][wa]\+?b?["']/.test(lines.slice(i, i + 2).join("\n")))) continue;
      const task = enclosingTask(lines, i);
      if (!task) continue;
      return { task: task.name, writes: { file: path, line: i + 1 }, defined: { file: path, line: task.line }, runBy: deployRun(ctx, task.name) };
    }
  }
  return null;
}

/** The `task :name` above line `i`, with the `namespace :ns` blocks around it (by indentation). */
function enclosingTask(lines: string[], i: number): { name: string; line: number } | null {
  let taskAt = -1;
  let indent = Infinity;
  for (let j = i; j >= 0; j--) {
    const m = /^(\s*)task\s+:?["']?([\w:]+)["']?/.exec(lines[j]!);
    if (m && m[1]!.length < indent) {
      taskAt = j;
      indent = m[1]!.length;
      break;
    }
  }
  if (taskAt < 0) return null;
  const parts = [/^\s*task\s+:?["']?([\w:]+)/.exec(lines[taskAt]!)![1]!];
  for (let j = taskAt - 1; j >= 0; j--) {
    const m = /^(\s*)namespace\s+:?["']?(\w+)/.exec(lines[j]!);
    if (m && m[1]!.length < indent) {
      parts.unshift(m[2]!);
      indent = m[1]!.length;
    }
  }
  return { name: parts.join(":"), line: taskAt + 1 };
}

/** A deploy line that runs the rake task (`rake 'config:pool'`, `execute :rake, "config:pool"`, `bundle exec rake config:pool`). */
function deployRun(ctx: AnalyzerContext, task: string): Source | null {
  const re = new RegExp(`\\brake\\b[\\s:,'"]*(?:\\S+\\s+)*?["']?${esc(task)}(?![\\w:])`);
  for (const path of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(path)) continue;
    const r = ctx.repo.read(path);
    if ("error" in r || !r.text.includes(task)) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) if (!/^\s*#/.test(lines[i]!) && re.test(lines[i]!)) return { file: path, line: i + 1 };
  }
  return null;
}
