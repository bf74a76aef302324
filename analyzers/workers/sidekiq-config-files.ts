// capistrano-sidekiq 3.x: one systemd unit per sidekiq_config_files entry, each its own Sidekiq.
//
// From seuros/capistrano-sidekiq, unchanged from v3.0.0 to v3.2.0:
// - lib/capistrano/sidekiq.rb (v3.0.0:61, 67): sidekiq_roles defaults to `fetch(:sidekiq_role,
//   :worker)` and sidekiq_config_files to ['sidekiq.yml'].
// - lib/capistrano/tasks/systemd.rake (v3.0.0:13-24, 143-146): start/stop/restart run `systemctl
//   <cmd> <unit>` on every server of `roles fetch(:sidekiq_roles)`, for each entry of
//   `config_files(role)`: the server's own `sidekiq_config_files` property, else the variable.
// - systemd.rake (v3.0.0:128-141): the unit is `<sidekiq_service_unit_name>.<entry without its last
//   extension>`, plain `<sidekiq_service_unit_name>` for `sidekiq.yml` (default name
//   `<application>_sidekiq_<stage>`, lib/capistrano/sidekiq/systemd.rb:14). Two entries that differ
//   only in their extension (`a.yml`, `a.yaml`) name one unit: create_systemd_template (86-103)
//   writes it once per entry, in order, so the last entry's text is the unit's.
// - lib/capistrano/sidekiq.rb (v3.0.0:27-29) with templates/sidekiq.service.capistrano.erb (v3.0.0:23):
//   the unit runs `bundle exec sidekiq -e <sidekiq_env> --config config/<entry>`, with no `--config`
//   for `sidekiq.yml` (Sidekiq ≥ 6.0.6, the gem's dependency, then finds config/sidekiq.yml itself).
//   v3.1.0 and v3.2.0 keep sidekiq_config and the entry loop; their ExecStart puts
//   `<sidekiq_command> <sidekiq_command_args>` (default `sidekiq -e <sidekiq_env>`) before it.
//
// Rule: each entry is one Sidekiq worker Deployment that runs its own file (its queues,
// concurrency and timeout, with the env section of each stage's sidekiq_env), replicas = the stage's
// servers of sidekiq_roles whose list holds it. The `sidekiq.yml` entry keeps the Deployment Sidekiq
// always had (`worker`, its selector unchanged); another entry is `worker-sidekiq-<entry without
// its extension>`. A stage with one unit per server on every server (the default) is no split.
import { posix } from "node:path";
import type { AnalyzerContext, RValue, SidekiqConfigFacts, SidekiqFacts, SidekiqUnit, Source, Stage, WorkerFacts } from "../../src/model.js";
import { hasPath, isSym, SIDEKIQ_PLAIN_ENTRY } from "../../src/model.js";
import { dnsLabel } from "../../src/model/names.js";

const PLAIN_ENTRY = SIDEKIQ_PLAIN_ENTRY;

/** The unit's name after `<sidekiq_service_unit_name>` (sidekiq_service_unit_name in systemd.rake). */
export const unitSuffix = (entry: string): string => (entry === PLAIN_ENTRY ? "" : `.${entry.split(".").slice(0, -1).join(".")}`);

const roleName = (v: RValue | undefined): string | null => (typeof v === "string" && v ? v : v && isSym(v) ? v.sym : null);

/** A list of file names, or null when it is anything else. */
function entries(v: RValue | undefined): string[] | null {
  const list = Array.isArray(v) ? v : null;
  return list && list.every((e) => typeof e === "string" && e !== "") ? (list as string[]) : null;
}

export interface V3Units {
  units: SidekiqUnit[];
  roles: string[];
  /** Servers of the roles that list their own sidekiq_config_files. */
  own: number;
  rolesSource: Source | null;
  listSource: Source | null;
}

/**
 * The units of a stage under 3.x, or null (with a warning) when its sidekiq_roles or a
 * sidekiq_config_files list cannot be read. `servers` counts, per entry, the servers of the roles
 * running it; null on a stage without servers (its own list then stands).
 */
export function sidekiqUnits(ctx: AnalyzerContext, stage: Stage): V3Units | null {
  const rf = stage.variables["sidekiq_roles"];
  const rv = rf?.value ?? { sym: "worker" };
  const roles = (Array.isArray(rv) ? rv : [rv]).map(roleName);
  if (roles.some((r) => r === null)) {
    ctx.problem({ ...rf!.source, message: `capistrano-sidekiq: sidekiq_roles of stage ${stage.name} is not a role name the analysis can read; the replicas count the servers as before`, severity: "warning" });
    return null;
  }
  const cf = stage.variables["sidekiq_config_files"];
  const stageList = cf ? entries(cf.value) : [PLAIN_ENTRY];
  const unreadable = (at: Source, whose: string) => {
    ctx.problem({ ...at, message: `capistrano-sidekiq: sidekiq_config_files ${whose} is not a list of file names the analysis can read; the replicas count the servers as before`, severity: "warning" });
    return null;
  };
  const counts = new Map<string, { n: number; source: Source | null }>();
  const servers = stage.servers.filter((s) => s.roles.some((r) => (roles as string[]).includes(r)));
  let own = 0;
  const add = (list: string[], source: Source | null, n: number) => {
    // One unit per name; the last entry naming it wrote its text.
    const bySuffix = new Map<string, string>();
    for (const e of list) bySuffix.set(unitSuffix(e), e);
    for (const e of bySuffix.values()) {
      const c = counts.get(e) ?? { n: 0, source };
      c.n += n;
      counts.set(e, c);
    }
  };
  if (!stage.servers.length) {
    if (stageList === null) return unreadable(cf!.source, `of stage ${stage.name}`);
    add(stageList, cf?.source ?? null, 0);
  }
  for (const s of servers) {
    const mine = s.properties["sidekiq_config_files"];
    const list = mine !== undefined ? entries(mine) : stageList;
    if (list === null) return unreadable(mine !== undefined ? s.source : cf!.source, mine !== undefined ? `of server ${s.host}` : `of stage ${stage.name}`);
    if (mine !== undefined) own++;
    add(list, mine !== undefined ? s.source : (cf?.source ?? null), 1);
  }
  const units = [...counts].map(([entry, c]): SidekiqUnit => ({ entry, suffix: unitSuffix(entry), servers: stage.servers.length ? c.n : null, source: c.source }));
  return { units, roles: roles as string[], own, rolesSource: rf?.source ?? null, listSource: cf?.source ?? null };
}

/** The repo file a unit's `--config config/<entry>` names, or null when it leaves the release's config/. */
export function entryFile(entry: string): string | null {
  const p = posix.normalize(`config/${entry}`);
  return p.startsWith("config/") ? p : null;
}

/** Each entry other than sidekiq.yml that some stage runs, read as Sidekiq reads it. */
export function readUnitConfigs(ctx: AnalyzerContext, units: Record<string, SidekiqUnit[]>, read: (file: string) => SidekiqConfigFacts): SidekiqFacts["configFiles"] {
  const out: NonNullable<SidekiqFacts["configFiles"]> = {};
  for (const list of Object.values(units))
    for (const u of list) {
      if (u.entry === PLAIN_ENTRY || out[u.entry] || u.servers === 0) continue;
      const file = entryFile(u.entry);
      const there = file !== null && hasPath(ctx.repo, file);
      out[u.entry] = { file: file ?? u.entry, facts: there ? read(file!) : null };
      if (!there)
        ctx.problem({ ...(u.source ?? { file: "Capfile", line: 0 }), message: `capistrano-sidekiq.config-file-missing: the unit for sidekiq_config_files entry ${JSON.stringify(u.entry)} runs \`sidekiq --config config/${u.entry}\`, and the repo has no ${file ?? `config/${u.entry}`} (a file on the servers only?): no worker runs it`, severity: "warning" });
    }
  return Object.keys(out).length ? out : undefined;
}

/** Whether some stage runs an entry other than sidekiq.yml: the units are then Deployments of their own. */
export const splitByConfig = (sk: SidekiqFacts): boolean => Object.values(sk.units ?? {}).some((list) => list.some((u) => u.entry !== PLAIN_ENTRY && u.servers !== 0));

/** The name of an entry's Deployment (before the workers' uniqueness pass): `worker-sidekiq-<entry without its extension>`. */
const workerNameOf = (entry: string): string => `worker-sidekiq-${dnsLabel(entry.replace(/\.[^./]*$/, ""), 40)}`;

/** Which stages run an entry, on how many servers: the evidence of its worker. */
function ranWhere(sk: SidekiqFacts, entry: string): { value: string; source: Source }[] {
  const out: { value: string; source: Source }[] = [];
  for (const [stage, list] of Object.entries(sk.units ?? {})) {
    const u = list.find((x) => x.entry === entry);
    if (u?.source) out.push({ value: `${stage}: capistrano-sidekiq 3.x unit <sidekiq_service_unit_name>${u.suffix} for sidekiq_config_files entry ${entry}${u.servers === null ? "" : ` on ${u.servers} server(s)`}`, source: u.source });
  }
  return out;
}

/**
 * The Sidekiq workers of a 3.x deploy whose stages run more than the plain unit: one per entry,
 * the plain `sidekiq.yml` one first (when some stage runs it) as `base`.
 */
export function sidekiqConfigWorkers(base: WorkerFacts, sk: SidekiqFacts): WorkerFacts[] {
  const seen: string[] = [];
  for (const list of Object.values(sk.units ?? {})) for (const u of list) if (u.servers !== 0 && !seen.includes(u.entry)) seen.push(u.entry);
  const order = [...seen.filter((e) => e === PLAIN_ENTRY), ...seen.filter((e) => e !== PLAIN_ENTRY)];
  return order.map((entry): WorkerFacts => {
    const evidence = [...base.evidence, ...ranWhere(sk, entry)];
    if (entry === PLAIN_ENTRY) return { ...base, sidekiqConfig: { entry, file: sk.file }, evidence };
    const cf = sk.configFiles?.[entry];
    const f = cf?.facts ?? null;
    const timeout = f && typeof f.timeout?.value === "number" ? { seconds: f.timeout.value, source: f.timeout.source } : null;
    return {
      ...base,
      name: workerNameOf(entry),
      commandSource: f ? { file: cf!.file, line: 1 } : null,
      queues: (f?.queues ?? []).map((q) => String(Array.isArray(q.value) ? q.value[0] : q.value)),
      // The entry's own timeout, else Sidekiq's default: 25 s since 6.0, and 3.x needs sidekiq >= 6.0.6 (its gemspec).
      stopTimeout: timeout ?? { seconds: 25, source: null },
      sidekiqConfig: { entry, file: f ? cf!.file : null },
      evidence,
      ...(f ? {} : { carried: false, why: `capistrano-sidekiq 3.x's unit for sidekiq_config_files entry ${entry} runs \`sidekiq --config config/${entry}\`, and the repo has no ${cf?.file ?? `config/${entry}`}: the servers' copy is the only one` }),
    };
  });
}
