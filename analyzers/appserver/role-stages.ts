// A stage whose servers never had the roles the web server ran on: a jobs-only stage (API_SVC's
// `prod-mts-jobs`, `server 'jobs1', roles: %w{sidekiq}` beside `prod-mts-api` on `%w{app db}`).
// Its deploy ran the workers and the crontab there; no web server, so its overlay carries no web
// Deployment, Service, HPA, PDB or edge (emitters/kustomize/left-out.ts deletes them).
//
// The roles the web server ran on, per stage:
// - `web` and `app`, always: nginx ran on :web, and every app server plugin's default is one of
//   them (capistrano3-puma's `puma_role` :app, :web in its 4.x/5.x plugin; capistrano3-unicorn's
//   and capistrano-unicorn's `unicorn_roles` :app; capistrano-passenger's `passenger_roles` :app);
// - the roles the stage sets in those variables (`set :puma_role, :api`), when literal;
// - the literal roles around each deploy line that starts, restarts or signals the server:
//   Capistrano 3's `on roles(:x)` / `on primary(:x)`, Capistrano 2's `task ..., roles: :x` (a
//   Capistrano 2 task without roles runs on every server: then every stage ran it).
// A hook or invoke of a plugin's task (`after 'deploy:publishing', 'puma:restart'`) runs on the
// plugin's roles (above); a `set` line only names a path.
//
// Not decided, and said (a warning at the stage's file), when a stage has no server with those roles
// but: its server list was not all read; a role variable or an `on` is not a literal; a deploy line
// starting the server sits in no `on` and no task; the Procfile's web line runs under foreman (where
// foreman ran is not read here); a service unit or a recipe gem (capistrano-mb, Moonshine) starts it
// on servers the repo does not name.
import type { AnalyzerContext, Source, Stage, WebNotStarted, WebServerKind } from "../../src/model.js";
import { argsOf, childrenOf, kind as nodeKind, parseRuby } from "../ruby/prism.js";
import { taskLineRoles } from "../capistrano/task-roles.js";
import type { PlacedEvidence } from "./started-stages.js";

/** A line of the deploy or service files that names the server (every one, not one per file). */
export interface ServerLine {
  kind: WebServerKind;
  source: Source;
  text: string;
  service: boolean;
}

/** The variables each server kind's Capistrano plugin reads for its roles. */
const ROLE_VARIABLES: Record<WebServerKind, string[]> = {
  puma: ["puma_role", "puma_roles"],
  unicorn: ["unicorn_roles", "unicorn_role"],
  passenger: ["passenger_roles"],
  thin: ["thin_roles"],
};

const WEB_ROLES = ["web", "app"];
/** A plugin require whose roles are its role variable's (started.ts's PLUGINS); other tier-0 evidence is a recipe gem's. */
const PLUGIN_LOAD = /\bloads (?:capistrano3?\/(?:unicorn|puma|passenger|thin)\b|capistrano-unicorn\b)/;
const at = (s: Source) => `${s.file}:${s.line}`;

type Where = { roles: string[] | "all"; source: Source } | { unknown: string } | null;

/** Where a deploy line ran: the roles around it; null for a line that runs nothing itself (a hook, a `set`). */
function whereRan(ctx: AnalyzerContext, line: ServerLine, parsed: Map<string, ReturnType<typeof parseRuby> | null>): Where {
  if (/^\s*(?:before|after|set|set_if_empty|_cset|append)\b|\binvoke!?\b|Rake::Task/.test(line.text)) return null;
  let p = parsed.get(line.source.file);
  if (p === undefined) {
    const r = ctx.repo.read(line.source.file);
    p = "error" in r ? null : parseRuby(line.source.file, r.text);
    if (p && p.errors.length) p = null;
    parsed.set(line.source.file, p);
  }
  if (!p) return { unknown: `${at(line.source)} (its file is not read as Ruby)` };
  const file = p;
  let chain: any[] | null = null;
  const walk = (node: any, ancestors: any[]): void => {
    if (chain || !node) return;
    if (nodeKind(node) === "CallNode" && file.lineOf(node.location.startOffset) === line.source.line) {
      chain = [...ancestors, node];
      return;
    }
    for (const k of childrenOf(node)) walk(k, [...ancestors, node]);
  };
  walk(file.root, []);
  if (!chain) return null;
  for (const a of [...(chain as any[])].reverse()) {
    if (nodeKind(a) !== "CallNode" || a.receiver) continue;
    if (a.name === "on") {
      const arg = argsOf(a)[0];
      const names = nodeKind(arg) === "CallNode" && !arg.receiver && ["roles", "primary", "release_roles"].includes(arg.name) ? argsOf(arg).map((x: any) => (nodeKind(x) === "SymbolNode" || nodeKind(x) === "StringNode" ? (x.unescaped?.value as string) : null)) : [null];
      if (!names.length || names.some((x: string | null) => !x)) return { unknown: `the \`on\` around ${at(line.source)} (${at(file.sourceOf(a))}) names no literal roles` };
      return { roles: names.includes("all") ? "all" : (names as string[]), source: file.sourceOf(a) };
    }
    if (a.name === "task") {
      const taskLine = file.text.split(/\r?\n/)[file.lineOf(a.location.startOffset) - 1] ?? "";
      const roles = taskLineRoles(taskLine);
      if (roles) return { roles, source: file.sourceOf(a) };
      // Capistrano 2 runs a task without :roles on every server of the stage.
      if (!/\broles\b/.test(taskLine)) return { roles: "all", source: file.sourceOf(a) };
      return { unknown: `the task around ${at(line.source)} (${at(file.sourceOf(a))}) names no literal roles` };
    }
  }
  return { unknown: `${at(line.source)} runs in no \`on roles(...)\` and no task` };
}

export interface RoleDecision {
  notStarted: WebNotStarted[];
  /** Stages with no server of the web roles whose overlay keeps its web objects all the same, and why. */
  undecided: { stage: string; why: string; source: Source }[];
}

/**
 * The stages whose servers never had a role the web server ran on. `evidence` is the web server's
 * (started.ts), `lines` every deploy or service line naming it, `procfileRun` whether the deploy ran
 * the Procfile (foreman, a Procfile-based service).
 */
export function stagesWithoutWebRoles(ctx: AnalyzerContext, kind: WebServerKind | null, evidence: PlacedEvidence[], lines: ServerLine[], stages: Stage[], procfileRun: boolean): RoleDecision {
  const out: RoleDecision = { notStarted: [], undecided: [] };
  if (!kind) return out;
  const stageFiles = new Set(stages.map((s) => s.source.file));
  const parsed = new Map<string, ReturnType<typeof parseRuby> | null>();
  const where = new Map<ServerLine, Where>();
  for (const st of stages) {
    if (st.undeclared || !st.servers.length) continue;
    const own = (file: string) => !stageFiles.has(file) || file === st.source.file;
    const roles = new Set(WEB_ROLES);
    const unknown: string[] = [];
    let everywhere: Source | null = null;
    const unread = st.unread?.find((u) => u.what === "servers");
    if (unread) unknown.push(`its server list is not all read (${at(unread.source)}: ${unread.message})`);
    for (const name of ROLE_VARIABLES[kind]) {
      const f = st.variables[name];
      if (!f) continue;
      const vals = (Array.isArray(f.value) ? f.value : [f.value]).map((v) => (typeof v === "string" ? v : v && typeof v === "object" && "sym" in v && typeof v.sym === "string" ? v.sym : null));
      if (vals.some((v) => v === null)) unknown.push(`\`${name}\` (${at(f.source)}) is not a literal role list`);
      else for (const v of vals) v === "all" ? (everywhere = f.source) : roles.add(v!);
    }
    for (const e of evidence.filter((x) => own(x.fact.source.file))) {
      if (e.tier === 0 && !PLUGIN_LOAD.test(e.fact.value)) unknown.push(`${kind} is started by a recipe (${at(e.fact.source)}) whose roles are not read`);
      if ((e.tier === 1 || e.tier === 2.5) && procfileRun) unknown.push(`the Procfile's web line (${at(e.fact.source)}) runs wherever foreman ran, which is not read here`);
    }
    for (const l of lines.filter((x) => own(x.source.file))) {
      if (l.service) {
        unknown.push(`a service definition (${at(l.source)}) starts ${kind} on servers the repo does not name`);
        continue;
      }
      if (!where.has(l)) where.set(l, whereRan(ctx, l, parsed));
      const w = where.get(l)!;
      if (!w) continue;
      if ("unknown" in w) unknown.push(w.unknown);
      else if (w.roles === "all") everywhere = w.source;
      else for (const r of w.roles) roles.add(r);
    }
    if (everywhere) continue;
    if (st.servers.some((sv) => sv.roles.some((r) => roles.has(r)))) continue;
    const servers = st.servers.map((sv) => `${sv.host} roles [${sv.roles.join(", ")}] (${at(sv.source)})`).join(", ");
    const ran = [...roles].map((r) => `:${r}`).join(", ");
    if (unknown.length) {
      out.undecided.push({
        stage: st.name,
        why: `stage ${st.name}: no server has a role ${kind} ran on (${ran}): ${servers}; its overlay keeps the web Deployment, Service, HPA and edge all the same, because ${[...new Set(unknown)].join("; ")}`,
        source: st.source,
      });
      continue;
    }
    out.notStarted.push({
      stage: st.name,
      why: `a jobs-only stage: no server of it has a role ${kind} ran on (${ran}; every line of the deploy that starts or signals ${kind} runs on those roles): ${servers}. Its servers ran only what their roles ran (workers, cron); they never served web traffic`,
      source: st.servers[0]!.source,
    });
  }
  return out;
}
