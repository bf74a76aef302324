// How many Sidekiq processes capistrano-sidekiq started on a stage, and on which servers, by the rules
// of the locked version (seuros/capistrano-sidekiq, lib/capistrano/tasks/sidekiq.{cap,rake}):
// - before 1.0 its tasks run `on roles fetch(:sidekiq_role)` (default :app, one role or a list);
//   from 1.0 `on roles fetch(:sidekiq_roles)` (default :app: 1.0.3 and 2.x default it to
//   `fetch(:sidekiq_role, :app)`, read at load:defaults, before deploy.rb sets anything, so a
//   `sidekiq_role` the deploy files set is not read).
// - 0.5.3 to 1.x number a server's processes per role it has: `<role>_processes`, else
//   `sidekiq_processes`, pid files `sidekiq-<i>.pid` counting from 0 for each role (0.5.3: a role of
//   one process uses `sidekiq.pid`), and the start skips a pid file whose process runs: two roles of
//   one server share their first pid files, so the server runs as many processes as distinct pid files.
// - before 0.5.3 and from 2.0 every server of the roles runs `sidekiq_processes` (2.x: one systemd
//   unit, or monit entry, per process), whatever its roles.
// - from 3.0 `sidekiq_processes` and `<role>_processes` are gone (warned in sidekiq-v3-unread.ts): each server of the roles (default `fetch(:sidekiq_role,
//   :worker)` at load:defaults) runs one systemd unit per entry of its `sidekiq_config_files` (the
//   server's own property, else the variable, default ['sidekiq.yml']); entries naming one unit
//   (`a.yml`, `a.yaml`) are one process (sidekiq-config-files.ts reads the units).
// A count above MAX_PROCESS_COUNT is no count a server ran: a named warning, and no count here.
// No version locked: read as 1.x, as the rest of the plugin's reading does.
import type { AnalyzerContext, Fact, RValue, SidekiqStarted, Stage } from "../../src/model.js";
import { isSym } from "../../src/model.js";
import { MAX_PROCESS_COUNT } from "../process-count.js";
import { sidekiqUnits, type V3Units } from "./sidekiq-config-files.js";

const name = (v: RValue | undefined): string | null => (typeof v === "string" && v ? v : v && isSym(v) ? v.sym : null);
const whole = (v: RValue | undefined): number | null => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : null);

/** [major, minor, patch] of a version string, or null. */
function parts(version: string | undefined): [number, number, number] | null {
  const m = version ? /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version) : null;
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : null;
}
const before = (v: [number, number, number], w: [number, number, number]) => v[0] !== w[0] ? v[0] < w[0] : v[1] !== w[1] ? v[1] < w[1] : v[2] < w[2];

/** `units`: the stage's 3.x units when the caller read them already (null: unreadable, warned). */
export function sidekiqStarted(ctx: AnalyzerContext, stage: Stage, version: Fact<string> | null, units?: V3Units | null): SidekiqStarted | null {
  const v = parts(version?.value) ?? [1, 0, 3];
  const label = version ? `capistrano-sidekiq ${version.value}` : "capistrano-sidekiq (no version locked: read as 1.x)";
  if (!before(v, [3, 0, 0])) return startedV3(ctx, stage, label, version, units);
  const roleVar = before(v, [1, 0, 0]) ? "sidekiq_role" : "sidekiq_roles";
  const other = roleVar === "sidekiq_role" ? "sidekiq_roles" : "sidekiq_role";
  if (stage.variables[other] && !stage.variables[roleVar] && stage.variables[other]!.defaultOf === undefined)
    ctx.problem({ ...stage.variables[other]!.source, message: `capistrano-sidekiq.role-not-read: stage ${stage.name} sets ${other}, which ${label} does not read (it runs on ${roleVar}, default :app): the replicas count the servers with the app role`, severity: "warning" });
  const rf = stage.variables[roleVar];
  const rv = rf?.value ?? { sym: "app" };
  const roles = (Array.isArray(rv) ? rv : [rv]).map(name);
  if (roles.some((r) => r === null)) {
    ctx.problem({ ...rf!.source, message: `capistrano-sidekiq: ${roleVar} of stage ${stage.name} is not a role name the analysis can read; the replicas count the servers as before`, severity: "warning" });
    return null;
  }
  const pf = stage.variables["sidekiq_processes"];
  const base = pf ? whole(pf.value) : 1;
  if (base === null) return null; // asked instead (analyzers/workers/sidekiq-processes.ts)
  if (base > MAX_PROCESS_COUNT) return implausible(ctx, stage, "sidekiq_processes", base, pf!.source);
  const perRole = !before(v, [0, 5, 3]) && before(v, [2, 0, 0]);
  const countOf = (role: string): number | null => {
    const own = perRole ? stage.variables[`${role}_processes`] : undefined;
    return own ? whole(own.value) : base;
  };
  for (const r of perRole ? (roles as string[]) : []) {
    const f = stage.variables[`${r}_processes`];
    const n = f ? whole(f.value) : null;
    if (n !== null && n > MAX_PROCESS_COUNT) return implausible(ctx, stage, `${r}_processes`, n, f!.source);
  }
  const servers = stage.servers.filter((s) => s.roles.some((r) => roles.includes(r)));
  let processes = 0;
  let shared = false;
  for (const s of servers) {
    const mine = (roles as string[]).filter((r) => s.roles.includes(r));
    if (!perRole) {
      processes += base;
      continue;
    }
    // each role numbers its pid files from 0 (0.5.3: a one-process role uses `sidekiq.pid`), so the
    // server's distinct pid files are the largest count of a role, plus one `sidekiq.pid` apart
    let listed = 0;
    let numbered = 0;
    let plain = 0;
    for (const r of mine) {
      const n = countOf(r);
      if (n === null) return null;
      listed += n;
      if (v[0] === 0 && v[1] === 5 && v[2] === 3 && n === 1) plain = 1;
      else numbered = Math.max(numbered, n);
    }
    const distinct = numbered + plain;
    if (distinct < listed) shared = true;
    processes += distinct;
  }
  const own = perRole ? (roles as string[]).filter((r) => stage.variables[`${r}_processes`]) : [];
  const why = `${label}: ${servers.length} server(s) of stage ${stage.name} with its role${roles.length > 1 ? "s" : ""} ${(roles as string[]).join(", ")} (${roleVar}${rf ? "" : ", its default"})${perRole && own.length ? `, processes per role (${own.map((r) => `${r}_processes`).join(", ")}, else sidekiq_processes ${base})` : ` × sidekiq_processes ${base}${pf ? "" : " (its default)"}`}${shared ? "; roles of one server share pid files, and the start skips a pid file whose process runs, so each distinct pid file is one process" : ""}`;
  return { processes, servers: servers.length, roles: roles as string[], why: processes === 0 ? `none: ${why}` : why, source: rf?.source ?? pf?.source ?? version?.source ?? null };
}

/**
 * 0.5.3 to 1.x, the count of each server's processes that sidekiq_options_per_process is indexed by:
 * a server's pid files are, for each of its roles of sidekiq_roles in that order, `<role>_processes`
 * (else sidekiq_processes) files numbered from 0 (v1.0.3 lib/capistrano/tasks/sidekiq.rake:209-216),
 * and the start walks that list with its index (176-183) and appends entry idx (239-253). A server with
 * one of the roles runs `<role>_processes` processes, process i with entry i: that count, when every
 * Sidekiq server of the stage has one role and the same count. `mixed`: a server with two of the roles
 * (its second role reuses the first one's pid files, and the start skips a pid file whose process
 * already runs, so which entries ran there depends on timing), or servers whose counts differ.
 * null: another version, no `<role>_processes` for the roles, or no server of them.
 */
export function perRoleProcesses(stage: Stage, version: Fact<string> | null): { value: RValue; variable: string; source: Fact<RValue>["source"] } | { mixed: string; source: Fact<RValue>["source"] } | null {
  const v = parts(version?.value) ?? [1, 0, 3];
  if (before(v, [0, 5, 3]) || !before(v, [2, 0, 0])) return null;
  const rv = stage.variables[before(v, [1, 0, 0]) ? "sidekiq_role" : "sidekiq_roles"]?.value ?? { sym: "app" };
  const roles = (Array.isArray(rv) ? rv : [rv]).map(name);
  if (roles.some((r) => r === null)) return null;
  const own = (roles as string[]).filter((r) => stage.variables[`${r}_processes`]);
  if (!own.length) return null;
  const first = stage.variables[`${own[0]}_processes`]!.source;
  let seen: { value: RValue; variable: string; source: Fact<RValue>["source"] } | null = null;
  for (const sv of stage.servers) {
    const mine = (roles as string[]).filter((r) => sv.roles.includes(r));
    if (!mine.length) continue;
    if (mine.length > 1) return { mixed: `server ${sv.host} has the roles ${mine.join(", ")}, whose pid files overlap: which entries its processes got depends on which ran first`, source: first };
    const f = stage.variables[`${mine[0]}_processes`] ?? stage.variables["sidekiq_processes"];
    const here = { value: f?.value ?? 1, variable: stage.variables[`${mine[0]}_processes`] ? `${mine[0]}_processes` : "sidekiq_processes", source: f?.source ?? first };
    if (seen && JSON.stringify(seen.value) !== JSON.stringify(here.value)) return { mixed: `its servers run different counts (${seen.variable} ${JSON.stringify(seen.value)}, ${here.variable} ${JSON.stringify(here.value)})`, source: first };
    seen ??= here;
  }
  return seen ?? { mixed: "the stage lists no server with those roles", source: first };
}

function implausible(ctx: AnalyzerContext, stage: Stage, variable: string, n: number, source: { file: string; line: number }): null {
  ctx.problem({ ...source, message: `capistrano-sidekiq.process-count-implausible: ${variable} of stage ${stage.name} is ${n}, above the ${MAX_PROCESS_COUNT} processes the analysis takes from a repo: the replicas are asked instead`, severity: "warning" });
  return null;
}

function startedV3(ctx: AnalyzerContext, stage: Stage, label: string, version: Fact<string> | null, given?: V3Units | null): SidekiqStarted | null {
  const pf = stage.variables["sidekiq_processes"];
  if (pf && pf.defaultOf === undefined)
    ctx.problem({ ...pf.source, message: `capistrano-sidekiq.processes-not-read: stage ${stage.name} sets sidekiq_processes, which ${label} does not read (not read by capistrano-sidekiq 3.x: v3.0.0 lib/capistrano/tasks/systemd.rake has no count; it starts one process per entry of sidekiq_config_files, default ['sidekiq.yml']): the replicas count those`, severity: "warning" });
  const u = given === undefined ? sidekiqUnits(ctx, stage) : given;
  if (!u) return null;
  const servers = stage.servers.filter((s) => s.roles.some((r) => u.roles.includes(r)));
  // each server runs one process per unit it has (sidekiq-config-files.ts)
  const processes = u.units.reduce((n, x) => n + (x.servers ?? 0), 0);
  const why = `${label}: ${servers.length} server(s) of stage ${stage.name} with its role${u.roles.length > 1 ? "s" : ""} ${u.roles.join(", ")} (sidekiq_roles${u.rolesSource ? "" : ", its default"}) × one process per entry of sidekiq_config_files${u.listSource ? "" : " (its default ['sidekiq.yml'])"}${u.own ? ` (${u.own} server(s) with their own)` : ""}`;
  return { processes, servers: servers.length, roles: u.roles, why: processes === 0 ? `none: ${why}` : why, source: u.rolesSource ?? u.listSource ?? version?.source ?? null };
}
