// Variables of a Capistrano plugin set by a deploy that loads no plugin reading them. `set
// :sidekiq_processes`, capistrano-resque's `set :workers`, capistrano3-delayed-job's `set
// :delayed_job_workers`, capistrano3-puma's `set :puma_threads`... mean something only to their
// plugin; a deploy that requires none of its readers (the gem locked but never required, or not
// locked at all) never reads them. They are dead settings: the servers ran without them, and so
// does the cluster; a named warning says so at each line, so nobody takes them for the servers'
// process counts, queues or threads. A variable a file of the repo reads itself is read after all,
// and is left alone.
//
// Which plugins, and their variables (each from the gem's own source):
// - capistrano-sidekiq (seuros/capistrano-sidekiq 0.x–3.x, lib/capistrano/tasks/sidekiq.{cap,rake}
//   and sidekiq.rb's set_defaults); readers also sidekiq 2's `sidekiq/capistrano` and mina_sidekiq.
// - capistrano-resque (sshingler/capistrano-resque: 0.0.9 capistrano_integration.rb `_cset :workers,
//   :resque_kill_signal`; 0.2.x tasks/capistrano-resque.rake load:defaults and its fetches).
// - capistrano3-delayed-job (platanus/capistrano3-delayed-job, tasks/delayed-job.rake load:defaults
//   and delayed_job/helpers.rb `delayed_job_args`); also read by capistrano-delayed-job and
//   delayed_job's own recipe (`delayed/recipes`), the backend's other Capistrano readers.
// - capistrano3-puma (seuros/capistrano-puma 5.x, lib/capistrano/puma.rb set_defaults and the
//   puma.rb.erb template's fetches).
// - capistrano3-unicorn (tablexi/capistrano3-unicorn 0.2.1, lib/capistrano3/tasks/unicorn.rake load:defaults).
// Any other require naming the backend or server (a recipe gem's `x/unicorn`, `recipes/puma`) may
// read them too: then nothing is said. Puma's and Unicorn's variables are also read by recipe gems
// and private templates under the same names, so for them only a locked plugin gem that nothing
// requires is named (the case where the team meant them for that gem); the job plugins' variables
// are named whenever no reader is loaded.
import type { AnalyzerContext, CapistranoFacts, RailsFacts, Source, Stage } from "../../src/model.js";
import { DEPLOY_FILE } from "../appserver/started.js";

interface Plugin {
  /** The warning's prefix (`<id>.settings-unread:`). */
  id: string;
  gem: string;
  variables: string[];
  /** Requires that bring a reader of them. */
  readers: RegExp;
  /** Lockfile gems that are readers once required (their presence alone loads nothing). */
  readerGems: string[];
  /** Named even when no reader gem is locked (the variables are the plugin's alone in practice). */
  unlocked: boolean;
  /** The other readers, for the message. */
  others: string;
}

const PLUGINS: Plugin[] = [
  {
    id: "sidekiq",
    gem: "capistrano-sidekiq",
    variables: ["sidekiq_processes", "sidekiq_options_per_process", "sidekiq_options", "sidekiq_queue", "sidekiq_concurrency", "sidekiq_config", "sidekiq_config_files", "sidekiq_timeout", "sidekiq_role", "sidekiq_roles", "sidekiq_env"],
    readers: /^(capistrano\/sidekiq|sidekiq\/capistrano|mina_sidekiq)(\/|$)|sidekiq/,
    readerGems: ["capistrano-sidekiq", "mina_sidekiq"],
    unlocked: true,
    others: "nor sidekiq's own Capistrano recipe or mina_sidekiq",
  },
  {
    id: "resque",
    gem: "capistrano-resque",
    variables: ["workers", "resque_kill_signal", "interval", "resque_environment_task", "resque_log_file", "resque_verbose", "resque_pid_path", "resque_rails_env"],
    readers: /^capistrano[-/]resque(\/|$)|resque/,
    readerGems: ["capistrano-resque"],
    unlocked: true,
    others: "nor another Resque recipe",
  },
  {
    id: "delayed-job",
    gem: "capistrano3-delayed-job",
    variables: ["delayed_job_workers", "delayed_job_queues", "delayed_job_pools", "delayed_job_roles", "delayed_job_bin_path", "delayed_job_prefix", "delayed_job_pid_dir", "delayed_log_dir"],
    readers: /^capistrano\/delayed[_-]job(\/|$)|^delayed\/recipes$|delayed[_-]?job/,
    readerGems: ["capistrano3-delayed-job", "capistrano-delayed-job"],
    unlocked: true,
    others: "nor capistrano-delayed-job or delayed_job's own recipe",
  },
  {
    id: "puma",
    gem: "capistrano3-puma",
    variables: ["puma_role", "puma_env", "puma_threads", "puma_workers", "puma_rackup", "puma_state", "puma_pid", "puma_bind", "puma_default_control_app", "puma_conf", "puma_access_log", "puma_error_log", "puma_init_active_record", "puma_preload_app", "puma_daemonize", "puma_worker_timeout", "puma_plugins", "puma_user"],
    readers: /puma/,
    readerGems: ["capistrano3-puma"],
    unlocked: false,
    others: "nor another Puma recipe",
  },
  {
    id: "unicorn",
    gem: "capistrano3-unicorn",
    variables: ["unicorn_pid", "unicorn_rack_env", "unicorn_config_path", "unicorn_roles", "unicorn_options", "unicorn_restart_sleep_time", "unicorn_exec"],
    readers: /unicorn/,
    readerGems: ["capistrano3-unicorn"],
    unlocked: false,
    others: "nor another Unicorn recipe",
  },
];

/** Of the dead settings, capistrano-sidekiq's: carried in the model (SidekiqFacts.unreadSettings) so the replicas rule skips them. */
export function sidekiqUnreadSettings(unread: ReadonlySet<string>): string[] {
  return PLUGINS.find((p) => p.id === "sidekiq")!.variables.filter((v) => unread.has(v));
}

/** Names each dead setting at its lines; returns the names, so that no count is taken from them (analyzers/workers/index.ts). */
export function pluginUnreadSettings(ctx: AnalyzerContext, cap: CapistranoFacts | null, rails: RailsFacts, stages: Stage[]): Set<string> {
  const unread = new Set<string>();
  if (!cap || !stages.length) return unread;
  // `Bundler.require` in the deploy loads every locked gem's main file: a locked reader is loaded then.
  const bundlerRequire = deployFiles(ctx).some((f) => /\bBundler\.require\b/.test(f.text));
  let reads: ReturnType<typeof readNames> | null = null;
  for (const p of PLUGINS) {
    if (cap.requires.some((r) => p.readers.test(r.value))) continue;
    const locked = p.readerGems.filter((g) => rails.gems[g]);
    if (locked.length && bundlerRequire) continue;
    if (!locked.length && !p.unlocked) continue;
    const sets = new Map<string, { name: string; source: Source; stages: string[] }>();
    for (const s of stages)
      for (const name of p.variables) {
        const f = s.variables[name];
        if (!f || f.defaultOf !== undefined) continue;
        const key = `${f.source.file}:${f.source.line}:${name}`;
        const e = sets.get(key) ?? { name, source: f.source, stages: [] };
        e.stages.push(s.name);
        sets.set(key, e);
      }
    if (!sets.size) continue;
    reads ??= readNames(ctx, cap);
    for (const e of sets.values()) {
      if (reads.has(e.name)) continue;
      unread.add(e.name);
      const lockedSaid = locked.length ? `${locked.map((g) => `${g} ${rails.gems[g]!.value}`).join(", ")} is in Gemfile.lock, but neither the Capfile nor any deploy file requires it` : `neither the Capfile nor Gemfile.lock has ${p.gem}`;
      ctx.problem({
        ...e.source,
        message: `${p.id}.settings-unread: ${e.name} is set (stage${e.stages.length > 1 ? "s" : ""} ${e.stages.join(", ")}), but nothing in the deploy reads it: it is ${p.gem}'s variable, and ${lockedSaid} (${p.others}), and no task or template of the repo reads it; the servers ran without it, and so does the cluster`,
        severity: "warning",
      });
    }
  }
  return unread;
}

function deployFiles(ctx: AnalyzerContext): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const file of ctx.repo.paths.filter((p) => DEPLOY_FILE.test(p) || p === "Capfile" || /^(config|lib)\/.*\.erb$/.test(p) || /^config\/recipes\/.*\.rb$/.test(p) || /^lib\/capistrano\/.*\.(rb|rake|cap)$/.test(p))) {
    const r = ctx.repo.read(file);
    if (!("error" in r)) out.push({ file, text: r.text });
  }
  return out;
}

/**
 * Names the repo's deploy files and templates read themselves: `fetch(:x)` anywhere; in Capistrano
 * 2, whose variables are also methods of the configuration (`#{workers}`, `<%= unicorn_workers %>`),
 * any use of the bare name on a line that does not set it.
 */
function readNames(ctx: AnalyzerContext, cap: CapistranoFacts): { has: (name: string) => boolean } {
  const fetched = new Set<string>();
  const lines: string[] = [];
  for (const { text } of deployFiles(ctx))
    for (const line of text.split(/\r?\n/)) {
      if (/^\s*#/.test(line)) continue;
      for (const m of line.matchAll(/\bfetch\s*\(?\s*:(\w+)/g)) fetched.add(m[1]!);
      if (cap.major === 2 && !/^\s*(set|_cset)\s*\(?\s*:\w+/.test(line)) lines.push(line);
    }
  return { has: (name) => fetched.has(name) || lines.some((l) => new RegExp(`(^|[^:\\w])${name}\\b(?!\\s*=>|:)`).test(l)) };
}
