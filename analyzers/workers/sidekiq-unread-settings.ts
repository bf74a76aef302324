// capistrano-sidekiq's variables set by a deploy that loads no plugin reading them. `set
// :sidekiq_processes` and `sidekiq_options_per_process` mean something only to capistrano-sidekiq
// (and sidekiq 2's own Capistrano 2 recipe, and mina_sidekiq for Mina); a deploy that requires none
// of these and starts Sidekiq some other way (its own systemd unit, capistrano-systemd-multiservice:
// dapi__lara) never reads them. They are dead settings: the worker runs without them, and a named
// warning says so at each line, so nobody takes them for the servers' process count or queues.
// A variable a task of the repo fetches itself is read after all, and is left alone.
import type { AnalyzerContext, CapistranoFacts, RailsFacts, Source, Stage } from "../../src/model.js";
import { DEPLOY_FILE } from "../appserver/started.js";

/** Variables of capistrano-sidekiq (0.x to 3.x, lib/capistrano/tasks and sidekiq.rb's defaults). */
const PLUGIN_VARIABLES = [
  "sidekiq_processes",
  "sidekiq_options_per_process",
  "sidekiq_options",
  "sidekiq_queue",
  "sidekiq_concurrency",
  "sidekiq_config",
  "sidekiq_config_files",
  "sidekiq_timeout",
  "sidekiq_role",
  "sidekiq_roles",
  "sidekiq_env",
];
/** Requires that bring a reader of them: capistrano-sidekiq, sidekiq 2's `sidekiq/capistrano`, mina_sidekiq. */
const READERS = /^(capistrano\/sidekiq|sidekiq\/capistrano|mina_sidekiq)(\/|$)/;
const READER_GEMS = ["capistrano-sidekiq", "mina_sidekiq"];

export function sidekiqUnreadSettings(ctx: AnalyzerContext, cap: CapistranoFacts | null, rails: RailsFacts, stages: Stage[]): void {
  if (!cap) return;
  if (cap.requires.some((r) => READERS.test(r.value)) || READER_GEMS.some((g) => rails.gems[g])) return;
  const sets = new Map<string, { name: string; source: Source; stages: string[] }>();
  for (const s of stages)
    for (const name of PLUGIN_VARIABLES) {
      const f = s.variables[name];
      if (!f || f.defaultOf !== undefined) continue;
      const key = `${f.source.file}:${f.source.line}:${name}`;
      const e = sets.get(key) ?? { name, source: f.source, stages: [] };
      e.stages.push(s.name);
      sets.set(key, e);
    }
  if (!sets.size) return;
  const fetched = fetchedNames(ctx);
  for (const e of sets.values()) {
    if (fetched.has(e.name)) continue;
    ctx.problem({
      ...e.source,
      message: `sidekiq.settings-unread: ${e.name} is set (stage${e.stages.length > 1 ? "s" : ""} ${e.stages.join(", ")}), but nothing in the deploy reads it: it is capistrano-sidekiq's variable, and neither the Capfile nor Gemfile.lock has capistrano-sidekiq (nor sidekiq's own Capistrano recipe or mina_sidekiq), and no task of the repo fetches it; the servers' Sidekiq ran without it, and so does the worker`,
      severity: "warning",
    });
  }
}

/** Names the repo's deploy files and the templates they render `fetch` themselves (`fetch(:sidekiq_processes)`). */
function fetchedNames(ctx: AnalyzerContext): Set<string> {
  const out = new Set<string>();
  for (const file of ctx.repo.paths.filter((p) => DEPLOY_FILE.test(p) || p === "Capfile" || /^(config|lib)\/.*\.erb$/.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    for (const line of r.text.split(/\r?\n/)) {
      if (/^\s*#/.test(line)) continue;
      for (const m of line.matchAll(/\bfetch\s*\(?\s*:(\w+)/g)) out.add(m[1]!);
    }
  }
  return out;
}
