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
// - a Procfile the deploy runs (`foreman export systemd …`, `foreman start web`, overmind…): the
//   roles around each deploy line that runs it (the exported units start its web line there);
// - a service definition kept in the repo (a systemd unit, a monit check, an init script): the roles
//   around each deploy line that starts, restarts, reloads or installs it by name (`systemctl restart
//   shop-web`, `monit restart shop_unicorn`, `upload! "config/systemd/shop-web.service", …`). The
//   names are the file's (`shop-web.service` → `shop-web`, an `@` template's prefix) and monit's
//   `check process NAME`.
// Not decided, and said (a warning at the stage's file), when a stage has no server with those roles
// but: its server list was not all read; a role variable or an `on` is not a literal; a deploy line
// starting the server sits in no `on` and no task; no deploy line runs the Procfile or the service
// by name (then where it ran is not in the repo); a recipe gem (capistrano-mb, Moonshine) starts it
// on servers the repo does not name.
import type { AnalyzerContext, Source, Stage, WebNotStarted, WebServerKind } from "../../src/model.js";
import { argsOf, childrenOf, kind as nodeKind, parseRuby } from "../ruby/prism.js";
import { taskLineRoles } from "../capistrano/task-roles.js";
import type { PlacedEvidence } from "./started-stages.js";
import type { StartLine } from "./started.js";

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

/** Names a service file is started by: its file name without extensions (`puma@.service.erb` → `puma`) and monit's `check process NAME`. */
function serviceNames(ctx: AnalyzerContext, file: string): string[] {
  const base = file.split("/").pop()!.replace(/\.erb$/, "").replace(/\.(?:service|socket|target|monitrc|conf|god|sh|init)$/, "").replace(/@$/, "");
  const names = /^[\w.-]+$/.test(base) && base.length > 1 ? [base] : [];
  const r = ctx.repo.read(file);
  if ("text" in r) for (const m of r.text.matchAll(/^\s*check\s+process\s+([\w.-]+)/gm)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A deploy line that starts, restarts, reloads, enables or installs something (its object is the name it carries). */
const CONTROLS = /\b(?:systemctl|service|monit|initctl|start|restart|reload|enable|upload!?|template|put|ln|cp|mv|install)\b/;

/**
 * The deploy lines (not service files) that start, restart or install a service definition by name:
 * where they ran is where the service ran. Empty when none names it.
 */
function serviceDeployLines(ctx: AnalyzerContext, file: string, deployLines: readonly StartLine[]): StartLine[] {
  const words = serviceNames(ctx, file).map(esc);
  const base = esc(file.split("/").pop()!);
  const named = new RegExp(`(?:^|[^\\w-])(?:${[...words, base].join("|")})(?=[^\\w-]|$)`);
  return deployLines.filter((l) => !l.service && CONTROLS.test(l.text) && named.test(l.text));
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
export function stagesWithoutWebRoles(ctx: AnalyzerContext, kind: WebServerKind | null, evidence: PlacedEvidence[], lines: ServerLine[], stages: Stage[], procfileRuns: readonly StartLine[], deployLines: readonly StartLine[]): RoleDecision {
  const out: RoleDecision = { notStarted: [], undecided: [] };
  if (!kind) return out;
  const stageFiles = new Set(stages.map((s) => s.source.file));
  const parsed = new Map<string, ReturnType<typeof parseRuby> | null>();
  const where = new Map<string, Where>();
  const whereOf = (l: { source: Source; text: string }): Where => {
    const key = at(l.source);
    if (!where.has(key)) where.set(key, whereRan(ctx, { kind, source: l.source, text: l.text, service: false }, parsed));
    return where.get(key)!;
  };
  // A service file's deploy lines, once per file.
  const tied = new Map<string, StartLine[]>();
  const tiesOf = (file: string) => tied.get(file) ?? (tied.set(file, serviceDeployLines(ctx, file, deployLines)), tied.get(file)!);
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
    /** Adds where a deploy line ran; false when it runs nothing itself (a hook, a `set`). */
    const place = (l: { source: Source; text: string }): boolean => {
      const w = whereOf(l);
      if (!w) return false;
      if ("unknown" in w) unknown.push(w.unknown);
      else if (w.roles === "all") everywhere = w.source;
      else for (const r of w.roles) roles.add(r);
      return true;
    };
    /** A service file starts the server where the deploy lines naming it ran; none, and it is not known. */
    const placeService = (file: string, line: Source, what: string) => {
      const by = tiesOf(file).filter((d) => own(d.source.file));
      if (!by.filter((d) => place(d)).length) unknown.push(`${what} (${at(line)}) starts ${kind}, and no deploy line starts, restarts or installs ${file} by name, so the servers it ran on are not in the repo`);
    };
    for (const e of evidence.filter((x) => own(x.fact.source.file))) {
      if (e.tier === 0 && !PLUGIN_LOAD.test(e.fact.value)) unknown.push(`${kind} is started by a recipe (${at(e.fact.source)}) whose roles are not read`);
      if ((e.tier === 1 || e.tier === 2.5) && procfileRuns.length) {
        // The Procfile's web line ran wherever the deploy ran (or exported) that Procfile.
        // A line that only names the Procfile (`set :linked_files, … "Procfile"`) runs nothing; if no line places it, it is not known.
        let placed = 0;
        for (const r of procfileRuns) {
          if (r.service) placeService(r.source.file, r.source, "a service running the Procfile"), placed++;
          else if (own(r.source.file) && place(r)) placed++;
        }
        if (!placed) unknown.push(`the Procfile's web line (${at(e.fact.source)}) runs wherever the Procfile was run, and no deploy line runs it (${procfileRuns.map((r) => at(r.source)).join(", ")} only name it)`);
      }
    }
    for (const l of lines.filter((x) => own(x.source.file))) {
      if (l.service) placeService(l.source.file, l.source, "a service definition");
      else place(l);
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
