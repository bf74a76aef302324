// dlss-capistrano's `<backend>_systemd` plugins (sul-dlss/dlss-capistrano, read at v6.1.1:
// lib/dlss/capistrano/tasks/{sidekiq,sneakers,solid_queue,racecar}_systemd.rake, all loaded by
// `require "dlss/capistrano"`). Each one:
// - defaults `<backend>_systemd_role` to :app and `<backend>_systemd_use_hooks` to false (its
//   load:defaults, `set :x, fetch(:x, default)`: a value the deploy sets wins);
// - before deploy:starting, only when use_hooks is set, hooks `<backend>_systemd:start` after
//   deploy:published (and stop/restart elsewhere);
// - starts with `sudo systemctl start <unit>` `on roles(fetch(:<backend>_systemd_role))`.
// The units are the servers' (the gem ships none), so what they ran is not in the repo. Sidekiq's is
// a glob (`systemctl start sidekiq-* --all`): how many units per server is on the servers.
// Each plugin came in a later release; an older locked gem does not have it.
import type { AnalyzerContext, CapistranoFacts, Fact, RValue, Source, Stage } from "../../src/model.js";
import { isUnitGlob } from "../../src/model/service-managers.js";

export const DLSS_GEM = "dlss-capistrano";
/** The version whose tasks are cited here. */
export const DLSS_READ = "6.1.1";
/** The role each plugin's load:defaults sets when the deploy sets none. */
export const DLSS_DEFAULT_ROLE = "app";

export interface DlssSystemdPlugin {
  /** Variable and task prefix: `sidekiq_systemd`. */
  prefix: string;
  /** Backend id (backends.ts); null: no worker model for it here (Racecar, a Kafka consumer). */
  backend: string | null;
  /** The unit its start task names, as written. */
  unit: string;
  /** The start line of its task, as the gem writes it. */
  start: string;
  /** The first release that has it (its tag in sul-dlss/dlss-capistrano). */
  since: string;
}

export const DLSS_SYSTEMD: readonly DlssSystemdPlugin[] = [
  { prefix: "sidekiq_systemd", backend: "sidekiq", unit: "sidekiq-*", start: "sudo :systemctl, 'start', 'sidekiq-*', '--all'", since: "3.6.0" },
  { prefix: "sneakers_systemd", backend: "sneakers", unit: "sneakers", start: "sudo :systemctl, 'start', 'sneakers'", since: "3.11.0" },
  { prefix: "solid_queue_systemd", backend: "solid-queue", unit: "solid_queue", start: "sudo :systemctl, 'start', 'solid_queue'", since: "5.3.0" },
  { prefix: "racecar_systemd", backend: null, unit: "racecar", start: "sudo :systemctl, 'start', 'racecar'", since: "4.4.0" },
];

/** `require "dlss/capistrano"` (every plugin) or one plugin's own file. */
const requiresPlugin = (value: string, p: DlssSystemdPlugin) => value === "dlss/capistrano" || new RegExp(`^dlss/capistrano/tasks/${p.prefix}(\\.rake)?$`).test(value);

const newer = (a: string, b: string): boolean => {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

const roleList = (v: RValue | undefined): string[] | null => {
  const list = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : x && typeof x === "object" && "sym" in x ? String((x as { sym: string }).sym) : null));
  return list.length && list.every((x): x is string => !!x) ? (list as string[]) : null;
};

export interface DlssStageStart {
  /** Servers with the role that started the unit (0: use_hooks off there). */
  servers: number;
  roles: string[];
  why: string;
  source: Source;
}

export interface DlssSystemdStart {
  plugin: DlssSystemdPlugin;
  required: Source;
  /** Every stage the plugin started the unit on, and those where its hooks were off (servers 0). */
  stages: Record<string, DlssStageStart>;
  /** The roles of the first stage that started it; each stage's own are in `stages` (a stage may set its own `<prefix>_role`). */
  roles: string[];
  evidence: Fact<string>[];
}

/**
 * Where the deploy's dlss-capistrano plugin started `p`'s unit, per stage; null when the plugin is not
 * loaded, not in the locked gem, or its hooks are on in no stage. A use_hooks or role value that is not
 * literal is named at its line and that stage counts none.
 */
export function dlssSystemdStart(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: Stage[], locked: Fact<RValue> | undefined, p: DlssSystemdPlugin): DlssSystemdStart | null {
  if (!cap || cap.tool || cap.major !== 3) return null;
  const req = cap.requires.find((r) => requiresPlugin(r.value, p));
  if (!req) return null;
  const version = locked ? String(locked.value) : null;
  if (version && /^\d+(\.\d+)*$/.test(version) && newer(p.since, version)) return null;
  const out: Record<string, DlssStageStart> = {};
  let roles: string[] | null = null;
  const evidence: Fact<string>[] = [];
  for (const s of stages) {
    const hooks = s.variables[`${p.prefix}_use_hooks`];
    if (!hooks || hooks.value === false || hooks.value === null) continue;
    if (hooks.value !== true) {
      ctx.problem({ ...hooks.source, message: `${DLSS_GEM}: ${p.prefix}_use_hooks of stage ${s.name} is not a literal true or false: whether its ${p.prefix}:start ran on that stage is not known, so it places nothing there`, severity: "warning" });
      continue;
    }
    const roleFact = s.variables[`${p.prefix}_role`];
    const r = roleFact ? roleList(roleFact.value) : [DLSS_DEFAULT_ROLE];
    if (!r) {
      ctx.problem({ ...roleFact!.source, message: `${DLSS_GEM}: ${p.prefix}_role of stage ${s.name} is not a literal role: where its ${p.prefix}:start ran the ${p.unit} unit is not known, so it places nothing there`, severity: "warning" });
      continue;
    }
    roles ??= r;
    const servers = s.servers.filter((sv) => sv.roles.some((x) => r.includes(x))).length;
    const roleWhy = roleFact ? `role ${r.map((x) => `:${x}`).join(", ")} (${roleFact.source.file}:${roleFact.source.line})` : `role :${DLSS_DEFAULT_ROLE} (${DLSS_GEM}'s default ${p.prefix}_role)`;
    const each = isUnitGlob(p.unit) ? `at least one process each (${p.unit} is a glob: how many units per server is on the servers; this is a floor)` : `one process each (the unit's file is on the servers: one process per unit assumed)`;
    const why = `${DLSS_GEM}${version ? ` ${version}` : ""}'s ${p.prefix}:start runs \`systemctl start ${p.unit}\` after deploy:published (${p.prefix}_use_hooks, ${hooks.source.file}:${hooks.source.line}) on ${roleWhy}: ${servers} server(s) of stage ${s.name}, ${each}`;
    out[s.name] = { servers, roles: r, why: servers === 0 ? `none: ${why}` : why, source: hooks.source };
  }
  if (!roles) return null;
  const first = Object.values(out)[0]!;
  // Roles by stage where the stages set different ones (`set :<prefix>_role` in a stage's file).
  const byRoles = new Map<string, string[]>();
  for (const [name, x] of Object.entries(out)) byRoles.set(x.roles.map((r) => `:${r}`).join(", "), [...(byRoles.get(x.roles.map((r) => `:${r}`).join(", ")) ?? []), name]);
  const rolesText = byRoles.size > 1 ? `roles by stage: ${[...byRoles].map(([r, names]) => `${r} (${names.join(", ")})`).join("; ")}` : `role${roles.length > 1 ? "s" : ""} ${roles.map((x) => `:${x}`).join(", ")}`;
  evidence.push({ value: `require "${req.value}": ${DLSS_GEM}${version ? ` ${version}` : ""}'s ${p.prefix} plugin starts the ${p.unit} unit on ${rolesText}`, source: req.source });
  evidence.push({ value: `${p.prefix}_use_hooks is true: its ${p.prefix}:start runs after deploy:published`, source: first.source });
  // Stages with the hooks off ran none there.
  for (const s of stages) if (!out[s.name] && s.servers.length) out[s.name] = { servers: 0, roles, why: `none: ${p.prefix}_use_hooks is not set on stage ${s.name} (${DLSS_GEM}'s default is false), so ${p.prefix}:start never ran there`, source: req.source };
  // The unit is the servers': what it ran is not in the repo.
  const where = `${p.prefix}_use_hooks (${first.source.file}:${first.source.line})`;
  ctx.problem({
    ...first.source,
    message: isUnitGlob(p.unit)
      ? `${p.backend ?? p.prefix}.unit-glob: ${DLSS_GEM}'s ${p.prefix}:start runs \`systemctl start ${p.unit} --all\` on ${rolesText} (${where}), a glob: how many units per server is on the servers (systemctl matches the pattern against the units each server has loaded, and the gem and the repo ship none), so the replicas count one process per server with the role, a floor; the worker runs the standard command with the repo's config (what each unit ran, its -C, queues and concurrency, is not known); list the units on a server (\`systemctl list-units '${p.unit}'\`) and set the worker's command and replicas`
      : `${p.backend ?? p.prefix}: ${DLSS_GEM}'s ${p.prefix}:start runs \`systemctl start ${p.unit}\` on ${rolesText} (${where}); the unit's file (its ExecStart) is on the servers, not in the gem or the repo: ${p.backend ? "the worker runs the standard command (what the unit ran is not known); read the unit on a server and set the worker's command" : `no worker is carried for it (this tool has no ${p.unit} backend): ${Object.entries(out).filter(([, x]) => x.servers > 0).map(([n, x]) => `${n} ran it on ${x.servers} server(s)`).join(", ")}; add its Deployment by hand with the unit's command`}`,
    severity: "warning",
  });
  return { plugin: p, required: req.source, stages: out, roles, evidence };
}
