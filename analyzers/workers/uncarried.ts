// Processes the servers ran that no Deployment carries: each Procfile process that is neither the
// web server nor a job worker found by analyzers/workers, and each daemon the deploy itself starts
// (a systemd/upstart/SysV service it restarts, daemons-rails' `daemons:start`). None of them is run
// by the cluster, so each is named with the line that says it ran, never dropped.
//
// Rules:
// - Only the servers' Procfile counts (Procfile.dev and friends never ran there).
// - A Procfile line a worker cites (its command or its evidence) is that worker's: carried, or named
//   with it. A web server line is the web Deployment's, unless the deploy starts other Procfile
//   processes by name (`foreman start web_daemon`): then the lines it does not start did not run on
//   the servers (a Heroku `web: … -p $PORT` line), and are named as such.
// - A service the deploy restarts is the web server's or a worker's when its name says so
//   (`app-puma.service`, `app-sidekiq`); infrastructure (nginx, databases, caches) is not the app's.
import { foremanRuns } from "../appserver/foreman.js";
import type { AnalyzerContext, ProcfileEntry, Source, Stage, TaskDef, UncarriedProcess, WebServerFacts, WorkerFacts } from "../../src/model.js";
import { monitLoops, type MonitLoop } from "./monit-loops.js";
import { monitChecks, type MonitCheck } from "./monit-checks.js";
import { startLines } from "../appserver/started.js";
import { JOB_BACKENDS, backendNames, backendOfCommand } from "./backends.js";
import { supervisorProcesses } from "./supervisor-files.js";
import { INIT_SYSTEM_WORD, SERVICE_START_ANY, startedUnits } from "../../src/model/service-managers.js";
import { parseLockfile } from "../rails/lockfile.js";
import { methodStarts, type MethodStart } from "./deploy-methods.js";
import { cap2DaemonRecipe } from "./cap2-daemon-recipes.js";
import { searchDaemonProcesses } from "../services/search-daemons.js";
import { webServerRun, webWhy } from "./web-processes.js";
import { exportedUncarriedWhy } from "./foreman-daemons.js";
import { stagesOwningLine } from "../capistrano/own-lines.js";

/**
 * On which servers of each stage the restart ran, by its `on roles(...)`/`on primary(...)` (Capistrano's
 * primary is the server flagged `primary: true`, else the role's first): the unit is left running on
 * exactly those, so MIGRATION.md names them stage by stage. Nothing when the call's roles are unknown.
 */
export function onStages(m: MethodStart | undefined, stages: readonly Stage[]): string {
  if (!m?.on || !stages.length) return "";
  const per = stages.map((st) => {
    const with_ = st.servers.filter((s) => s.roles.some((r) => m.on!.roles.includes(r)));
    const first = with_.find((s) => s.primary) ?? with_[0];
    const ran = m.on!.primary ? (first ? [first] : []) : with_;
    // Code the analysis could not follow may declare more servers (`Array(ENV["WORKER_HOSTS"]).each { … server h … }`):
    // the servers read are then not all the role's, and none read is no proof it did not run.
    const unread = st.unread?.filter((u) => u.what === "servers") ?? [];
    if (unread.length) {
      const why = `servers not all known (${unread.map((u) => at(u.source)).join(", ")} declares servers the analysis does not read)`;
      return `stage ${st.name}: ${ran.length ? `${ran.map((s) => s.host).join(", ")}, and ${why}` : why}`;
    }
    return `stage ${st.name}: ${ran.length ? ran.map((s) => s.host).join(", ") : "no server with the role, not run"}`;
  });
  return ` [${per.join("; ")}]`;
}

/** Where a restart reached through a deploy method ran: the call's roles, and the method it went through. */
const placed = (m: MethodStart | undefined): string =>
  !m ? "" : ` (through \`${m.method}\`, ${at(m.via)}${m.on ? `, on ${m.on.primary ? `primary(:${m.on.roles[0]}): one server only` : `roles(${m.on.roles.map((r) => `:${r}`).join(", ")})`}` : ""})`;

const APP_SERVER = /\b(unicorn(_rails)?|puma|pumactl|thin|passenger|falcon|iodine|agoo|rainbows|pitchfork|goliath|rails\s+s(erver)?)\b/;
const INFRA = /^(nginx|apache2?|httpd|postgres(ql)?|mysql|mariadb|redis(-server)?|memcached?|elasticsearch|haproxy|cron|ssh|docker|ufw|fail2ban|daemon-reload|logrotate)([@.-]|$)/;
/** A unit named for an app server is the web Deployment's. */
const WEB_UNIT = /(^|[-_.])(puma|unicorn|passenger|thin|falcon|iodine|agoo|rainbows|pitchfork|goliath|nginx)([-_.@]|$)/;
/** A unit named just `<app>-app`/`<app>-web`/`rails` is probably the web server, but nothing says which program it runs. */
const GENERIC_WEB_UNIT = /(^|[-_.])(web|app|rails)$/;
/** The words one of the rules below needs in a line (`systemctl restart a b`, `service a restart`, `initctl restart a`, `daemons:restart`, `script/x start`). */
const MENTIONS = /systemctl|service|initctl|daemons:|(script|bin)\//;

const at = (s: Source) => `${s.file}:${s.line}`;
/** A Ruby deploy line as shell words: symbols, quotes and commas gone (`execute :sudo, :systemctl, :restart, "x"`). */
// SSHKit's trailing options (`execute :sudo, :systemctl, :restart, :x, raise_on_non_zero_exit: false`)
// are Ruby keywords, not words of the command: dropped before the line is read as shell words.
const asShell = (line: string) => line.replace(/,\s*[a-z_]\w*:\s[^,)]*/g, " ").replace(/[:'",()]/g, " ").replace(/\s+/g, " ");

/**
 * A deploy line with its `fetch(:x)` (and `#{fetch(:x)}`) filled in where every stage sets `x` to the
 * same plain word (`set :solid_queue_systemd_unit_name, 'solid_queue.service'`): the unit it names.
 * A variable a stage leaves unset or sets otherwise stays as written.
 */
export function withStaticFetches(line: string, stages: readonly Stage[]): string {
  return line.replace(/#\{\s*fetch\(\s*:(\w+)\s*\)\s*\}|\bfetch\(\s*:(\w+)\s*\)/g, (all, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const values = new Set(stages.map((st) => st.variables[name]?.value));
    const v = values.size === 1 ? [...values][0] : undefined;
    if (typeof v !== "string" || !/^[\w.@-]+$/.test(v)) return all;
    return a ? v : `"${v}"`;
  });
}

/** Whether a unit name template (`delayed_job-#{fetch(:client)}-cas.0.service`) names a job backend whose workers are carried, by its written parts. */
function carriedBackendUnit(text: string, workers: WorkerFacts[]): boolean {
  const words = text.replace(/#\{[^}]*\}|\bfetch\([^)]*\)/g, "-").split(/[\s"'`,:()]+/);
  return JOB_BACKENDS.some(
    (b) => workers.some((w) => w.backend === b.id && w.carried) && words.some((u) => backendNames(b).some((n) => new RegExp(`(^|[-_.])${n.replace(/[-_]/g, "[-_]")}([-_.@]|\\d|$)`).test(u))),
  );
}

export function uncarriedProcesses(ctx: AnalyzerContext, procfile: ProcfileEntry[], workers: WorkerFacts[], web: WebServerFacts | null = null, stages: readonly Stage[] = [], tasks: readonly TaskDef[] = []): UncarriedProcess[] {
  const out: UncarriedProcess[] = monitLoopDaemons(ctx, stages, tasks, workers);
  const cited = new Set(workers.flatMap((w) => [w.commandSource, ...w.evidence.map((e) => e.source), w.inWeb?.source].filter((s): s is Source => !!s).map(at)));
  // Restarts written in a method of the deploy and called with literal unit names: each call is a line of its own.
  const viaMethods = methodStarts(ctx);
  const onOf = new Map<string, MethodStart>();
  const deploy = [...startLines(ctx)].filter((l) => !l.service && !/^\s*#/.test(l.text) && !viaMethods.covered.has(at(l.source)));
  for (const m of viaMethods.starts) {
    onOf.set(at(m.source), m);
    deploy.push({ text: m.text, source: m.source, service: false });
  }
  // The same reading of `foreman start/export` that picks the web server (analyzers/appserver/foreman.ts).
  const foremanStarts: { name: string; source: Source }[] = [];
  for (const r of foremanRuns(ctx))
    if (r.procfile === "Procfile") for (const name of r.names ?? []) if (!foremanStarts.some((f) => f.name === name)) foremanStarts.push({ name, source: r.source });

  // The deploy's foreman reads another file (`foreman export … -f Procfile.production`) and none reads
  // Procfile (or one whose file is not known): the root Procfile's lines never ran on the servers.
  const runs = foremanRuns(ctx);
  const otherFile = runs.find((r) => r.procfile !== null && r.procfile !== "Procfile");
  const rootUnrun = otherFile && !runs.some((r) => r.procfile === null || r.procfile === "Procfile") ? otherFile : null;
  for (const p of procfile.filter((x) => x.source.file === "Procfile")) {
    if (cited.has(at(p.source))) continue;
    if (rootUnrun) {
      if (web?.evidence.some((e) => at(e.source) === at(p.source))) continue;
      out.push({ name: p.name, command: p.command, source: p.source, why: `not run by the deploy, which ${rootUnrun.format ? "exports" : "starts"} ${rootUnrun.procfile} with foreman (${at(rootUnrun.source)}), not Procfile: nothing is lost by leaving this line out`, devOnly: true });
      continue;
    }
    const isWeb = p.name === "web" || APP_SERVER.test(p.command);
    if (isWeb) {
      const started = foremanStarts.find((f) => f.name === p.name);
      if (!foremanStarts.length || started) {
        // The web Deployment runs the app server the image starts; a line its evidence does not cite
        // is replaced, not run as written: said, so its flags are checked.
        if (!web || web.evidence.some((e) => at(e.source) === at(p.source))) continue;
        out.push({ name: p.name, command: p.command, source: p.source, why: `a web server line${started ? ` the deploy starts with foreman (${at(started.source)})` : ""}; the web Deployment runs ${web.kind ?? "the app server"} as the image starts it (${web.evidence[0] ? at(web.evidence[0].source) : "see the app server section"}), not this line as written: compare its flags`, replacedByWeb: true });
        continue;
      }
      const heroku = /\$\{?PORT\b/.test(p.command) ? " It binds $PORT, a Heroku-style line." : "";
      out.push({ name: p.name, command: p.command, source: p.source, why: `a web server line the servers did not run: the deploy starts ${foremanStarts.map((f) => `\`${f.name}\``).join(", ")} with foreman (${at(foremanStarts[0]!.source)}), not this one.${heroku} The web Deployment runs the app server the deploy started`, devOnly: true });
      continue;
    }
    // Exported by the deploy's foreman: what its formation ran is what was lost (foreman-daemons.ts carries the rest).
    const exported = runs.find((r) => r.format !== null && r.procfile === "Procfile");
    if (exported) {
      const n = exported.counts[p.name] ?? exported.counts["all"] ?? (Object.keys(exported.counts).length ? 0 : 1);
      const formation = p.name in exported.counts ? `${p.name}=${n}` : "all" in exported.counts ? `all=${n}` : Object.keys(exported.counts).length ? "not listed" : "foreman's default all=1";
      if (n === 0) {
        out.push({ name: p.name, command: p.command, source: p.source, why: `the deploy's foreman export (${at(exported.source)}) starts 0 of it (formation ${formation}): it did not run on the servers`, devOnly: true });
        continue;
      }
      const whyNot = exportedUncarriedWhy(ctx, p) ?? "it is not a job backend the analysis knows";
      out.push({ name: p.name, command: p.command, source: p.source, why: `a long-running process the deploy's foreman export ran, ${n} per server (${exported.format} jobs, formation ${formation}, ${at(exported.source)}); no Deployment runs it: ${whyNot}` });
      continue;
    }
    out.push({ name: p.name, command: p.command, source: p.source, why: "no Deployment runs this Procfile process: it is not a web server, and not a job backend the analysis knows" });
  }

  const seen = new Set<string>();
  let monit: MonitCheck[] | undefined;
  const daemonsRails = lockedGem(ctx, "daemons-rails");
  for (const l of deploy) {
    // Every rule below needs one of these words in the line (asShell only turns characters into
    // spaces, so it cannot make one): the other lines, nearly all of a fleet's, are passed by.
    if (!MENTIONS.test(l.text)) continue;
    // A unit named by a variable every stage sets to one word is that unit.
    const line = withStaticFetches(l.text, stages);
    const text = asShell(line);
    if (INIT_SYSTEM_WORD.test(line) && /(fetch\s*\(|#\{)/.test(line.slice(INIT_SYSTEM_WORD.exec(line)!.index)) && SERVICE_START_ANY.test(text) && !WEB_UNIT.test(text.replace(/^.*systemctl/, "")) && !seen.has(at(l.source))) {
      // Its written parts name a backend whose worker is carried (`delayed_job-#{fetch(:client)}.service`): that worker's unit.
      if (carriedBackendUnit(line.slice(INIT_SYSTEM_WORD.exec(line)!.index), workers)) continue;
      // The unit is named by a variable: still a process the deploy starts, named by its line.
      seen.add(at(l.source));
      out.push({ name: "service", command: l.text.trim().slice(0, 160), source: l.source, why: "a service the deploy restarts, named through a variable the analysis does not resolve; no Deployment runs it" });
      continue;
    }
    for (const raw of startedUnits(text)) {
      const unit = raw.replace(/\.(service|socket|target|timer)$/, "");
      if (!unit || seen.has(unit) || INFRA.test(unit) || /\$|#\{/.test(raw)) continue;
      seen.add(unit);
      // The job backend first: `shop-web-sidekiq` is a worker, whatever else its name says.
      const backend = JOB_BACKENDS.find((b) => backendNames(b).some((n) => new RegExp(`(^|[-_.])${n.replace(/[-_]/g, "[-_]")}([-_.@]|\\d|$)`).test(unit)));
      if (backend && workers.some((w) => w.backend === backend.id)) continue;
      if (!backend && WEB_UNIT.test(unit)) continue;
      // monit itself: what it ran are the checks of the repo's monit files the deploy starts (monit-checks.ts), said one by one.
      if (unit === "monit" && (monit ??= monitChecks(ctx, stages)).length) {
        out.push({ name: unit, command: l.text.trim().slice(0, 160), source: l.source, why: monitWhy(monit, workers) });
        continue;
      }
      const probablyWeb = !backend && GENERIC_WEB_UNIT.test(unit);
      const kind = initKind(text);
      const task = probablyWeb ? null : backendTask(ctx, l.source, workers);
      out.push({
        name: unit,
        command: l.text.trim().slice(0, 160),
        source: l.source,
        why: task
          ? `${kind.what} named \`${unit}\` that the deploy's own task \`${task.name}\` (${at(task.source)}) restarts${placed(onOf.get(at(l.source)))}${onStages(onOf.get(at(l.source)), stages)}${kind.short === "job" && unit === "workers" && task.label === "Sidekiq" ? " (Sidekiq's own upstart example, examples/upstart/workers.conf, is a job of this name that starts a set of `sidekiq` jobs)" : ""}; ${kind.file} is on the servers, not in the repo, so what it runs is not known and no Deployment runs it as such. ${task.label} as the deploy started it is carried (worker${task.workers.length > 1 ? "s" : ""} ${task.workers.map((w) => `\`${w}\``).join(", ")}): if this ${kind.short} ran only those ${task.label} processes, nothing more is lost; read it on a server before stopping it`
          : probablyWeb
          ? "a service the deploy restarts, probably the web server (its name says app/web, not which program it runs); its unit file is on the servers, not in the repo: check it runs what the web Deployment runs"
          : `a service the deploy restarts${placed(onOf.get(at(l.source)))}${onStages(onOf.get(at(l.source)), stages)}; its unit file is on the servers, not in the repo, so no Deployment runs it${sameRoles(onOf.get(at(l.source)), workers)}`,
      });
    }
    const script = repoScriptStart(l.text);
    if (script && !seen.has(`script\0${script.path}`)) {
      const backend = JOB_BACKENDS.find((b) => backendNames(b).some((n) => new RegExp(`(^|[-_.])${n.replace(/[-_]/g, "[-_]")}([-_.]|$)`).test(script.name)));
      if (!(backend && workers.some((w) => w.backend === backend.id))) {
        seen.add(`script\0${script.path}`);
        const inRepo = ctx.repo.paths.includes(script.path);
        out.push({
          name: script.name,
          command: l.text.trim().slice(0, 160),
          source: l.source,
          why: `the repo's own ${script.path} the deploy runs to ${script.verb} processes${inRepo ? "" : " (the script is not in the repo)"}: what it runs is not a job backend the analysis knows, and no Deployment runs it`,
        });
      }
    }
    const daemonsTask = /\bdaemons:(start|restart)\b/.exec(l.text);
    if (daemonsTask && !daemonsRails && !seen.has(at(l.source))) {
      // Without the gem the task is the repo's own (or another gem's): what it starts is unknown.
      seen.add(at(l.source));
      out.push({ name: daemonsTask[0], command: l.text.trim().slice(0, 160), source: l.source, why: `a \`${daemonsTask[0]}\` task the deploy runs; daemons-rails is not in Gemfile.lock, so what it starts is not known, and no Deployment runs it` });
    }
    if (daemonsTask && daemonsRails && !seen.has("daemons:start")) {
      // daemons-rails: `rake daemons:start` starts every lib/daemons/<name>_ctl.
      seen.add("daemons:start");
      const ctls = ctx.repo.paths.filter((f) => /^lib\/daemons\/[^/]+_ctl$/.test(f)).sort();
      if (!ctls.length) out.push({ name: "daemons", command: l.text.trim().slice(0, 160), source: l.source, why: "daemons-rails' `daemons:start`: the daemons it starts are not in the repo's lib/daemons" });
      for (const f of ctls) {
        const name = f.replace(/^lib\/daemons\/|_ctl$/g, "");
        out.push({ name, command: `lib/daemons/${name}.rb (via ${f})`, source: l.source, why: `a daemons-rails daemon the deploy starts (\`daemons:start\` runs every lib/daemons/*_ctl); no Deployment runs it` });
      }
    }
  }
  // A recipe gem's daemon the deploy starts on every deploy (potee.me's foreverb): named at the require that loads it.
  for (const l of deploy) {
    const r = cap2DaemonRecipe(l.text);
    if (!r || seen.has(`recipe:${r.name}`)) continue;
    seen.add(`recipe:${r.name}`);
    // A stage file's require loads it for that stage alone; deploy.rb's for every stage (but a switch task's body, own-lines.ts).
    const own = stagesOwningLine(ctx, stages, l.source) ?? [];
    const on = own.length ? own : stages;
    const off = on.filter((st) => st.variables[r.skip]?.value === true);
    const script = ctx.repo.paths.includes(r.script) ? `, the repo's ${r.script}` : ` (${r.script} is not in the repo)`;
    const skipped = off.length ? `; stage${off.length > 1 ? "s" : ""} ${off.map((st) => st.name).join(", ")} set :${r.skip} (its hook off there)` : "";
    out.push({ name: r.name, command: r.starts.slice(0, 160), source: l.source, why: `a daemon ${r.gem}'s recipe starts on each deploy${own.length ? ` of stage ${own.map((st) => st.name).join(", ")}` : ""}: ${r.starts}${script}${skipped}; not a job backend the analysis knows, so no Deployment runs it` });
  }
  // A search daemon the deploy starts through its gem's rake task (thinking-sphinx's searchd, sunspot's Solr).
  out.push(...searchDaemonProcesses(ctx));
  // A bluepill/eye process of a file the deploy loads that no backend claims (a crawler daemon): named, with its line.
  for (const x of supervisorProcesses(ctx, stages)) {
    if (backendOfCommand(x.p.command ?? x.p.written)) continue;
    const server = webServerRun(x.p.command ?? x.p.written);
    if (server) {
      // The app server under the supervisor: the web Deployment's, with the drain the supervisor gave it to compare.
      const stop = x.p.stop ? `, ${x.p.stop.written} (${at(x.p.stop.source)})` : "";
      out.push({ name: x.p.name, command: x.p.written.slice(0, 160), source: x.p.commandSource, why: webWhy(web, `a ${x.p.tool} process of ${x.p.source.file}, which the deploy loads (${at(x.load.source)}), runs ${server}${stop}`), replacedByWeb: true });
      continue;
    }
    const on = x.load.roles ? ` on roles(${x.load.roles.roles.map((r) => `:${r}`).join(", ")})` : "";
    const n = x.p.loop ? `, ${x.p.count ?? "an unstated number of"} processes (${x.p.loop.written}, ${at(x.p.loop.source)})` : "";
    out.push({ name: x.p.name, command: x.p.written.slice(0, 160), source: x.p.commandSource, why: `a ${x.p.tool} process of ${x.p.source.file}, which the deploy loads (${at(x.load.source)})${on}${n}; not a job backend the analysis knows, so no Deployment runs it${x.p.unknown ? ` (${x.p.unknown})` : ""}` });
  }
  return out;
}

/**
 * The daemons a monit template's ERB loop defines whose start program is no job backend the analysis
 * knows (the repo's own daemon): each loop's checks are named with their count per server, the roles
 * of the task that renders the template and the processes that makes per stage, so the team can run
 * them. A loop bound or roles not known are a warning at their line. A loop of a job backend's
 * command is that backend's workers: unless a worker takes the loop's count per stage, its count and
 * roles are a warning, never lost to the worker's default replicas.
 */
function monitLoopDaemons(ctx: AnalyzerContext, stages: readonly Stage[], tasks: readonly TaskDef[], workers: readonly WorkerFacts[]): UncarriedProcess[] {
  const out: UncarriedProcess[] = [];
  for (const l of monitLoops(ctx, stages, tasks)) {
    for (const s of l.starts) {
      const b = backendOfCommand(s.command);
      if (!b) continue;
      // A worker took the count when it cites this start line (or the loop) and has a count per stage.
      const here = [at(s.source), at(l.loop)];
      const took = workers.some((w) => w.perStage && [w.commandSource, ...w.evidence.map((e) => e.source)].some((x) => x && here.includes(at(x))));
      if (took) continue;
      ctx.problem({
        ...s.source,
        message: `monit: ${l.file}'s loop (${l.written}, ${at(l.loop)}) starts ${b.label} (\`${s.command.slice(0, 160)}\`)${loopPlacement(l)}; no worker takes this count and these roles, so the ${b.label} worker runs with its own default replicas and roles: set them from this loop`,
        severity: "warning",
      });
    }
    const starts = l.starts.filter((s) => !backendOfCommand(s.command));
    if (!starts.length) continue;
    if (!l.task) ctx.problem({ ...l.loop, message: `monit: ${l.file} defines checks in a loop (${l.written}), but no deploy task is found that renders it: on which servers they ran is not known`, severity: "warning" });
    else if (!l.task.roles) ctx.problem({ ...l.task.source, message: `monit: task ${l.task.name} renders ${l.file}, whose loop defines checks, but its roles are not literal: on which servers they ran is not known`, severity: "warning" });
    for (const p of l.perStage) if (p.count === null) ctx.problem({ ...l.loop, message: `monit: ${l.file}'s loop (${l.written}) on stage ${p.stage}: ${p.why}, so how many daemons it defines is not known`, severity: "warning" });
    const roles = loopRoles(l);
    const stagesSaid = loopStages(l);
    for (const s of starts) {
      out.push({
        name: s.check ?? "monit-daemon",
        command: s.command.slice(0, 200),
        source: s.source,
        why: `a monit check in an ERB loop (${l.written}, ${l.loop.file}:${l.loop.line})${l.task ? ` that task ${l.task.name} (${l.task.source.file}:${l.task.source.line}) renders on ${roles}` : ""}: ${stagesSaid}. Its start program is not a job backend the analysis knows, so no Deployment runs it`,
      });
    }
  }
  return out;
}

const loopRoles = (l: MonitLoop) => (l.task?.roles ? l.task.roles.map((r) => `:${r}`).join("/") : "roles not known");
/** A loop's processes stage by stage: per server, × the servers of the rendering task's roles. */
const loopStages = (l: MonitLoop) =>
  l.perStage
    .map((p) => `${p.stage}: ${p.count === null ? `? (${p.why})` : `${p.count}`} per server${p.servers === null ? ", servers not all known" : ` × ${p.servers} server${p.servers === 1 ? "" : "s"} = ${p.count === null ? "?" : p.count * p.servers}`}`)
    .join("; ");
/** Where a loop's processes ran: the rendering task and its roles, and the count per stage. */
const loopPlacement = (l: MonitLoop) =>
  `${l.task ? `, rendered by task ${l.task.name} (${at(l.task.source)}) on ${loopRoles(l)}` : ", rendered by no deploy task found (servers not known)"}: ${loopStages(l)}`;

/** What an init system's restart names: upstart's `initctl` restarts a job, systemctl a unit, `service` either a SysV script or an upstart job. */
function initKind(text: string): { what: string; short: string; file: string } {
  if (/\binitctl\b/.test(text)) return { what: "an upstart job", short: "job", file: "its job file (upstart reads /etc/init/)" };
  if (/\bsystemctl\b/.test(text)) return { what: "a systemd unit", short: "unit", file: "its unit file" };
  return { what: "a service (a SysV init script or an upstart job)", short: "service", file: "its script or job file" };
}

/**
 * The deploy task a line is written in, when that task is a job backend's by its namespace
 * (`namespace :sidekiq do task :restart do … initctl restart workers`) and that backend has carried
 * workers: the line restarts something together with that backend, which the name alone does not say.
 */
function backendTask(ctx: AnalyzerContext, at0: Source, workers: WorkerFacts[]): { name: string; source: Source; label: string; workers: string[] } | null {
  const r = ctx.repo.read(at0.file);
  if ("error" in r) return null;
  const lines = r.text.split(/\r?\n/);
  const indent = (t: string) => /^\s*/.exec(t)![0].length;
  let limit = indent(lines[at0.line - 1] ?? "");
  let task: { name: string; line: number } | null = null;
  let ns: string | null = null;
  for (let i = at0.line - 2; i >= 0 && !ns; i--) {
    const t = lines[i]!;
    if (!t.trim() || /^\s*#/.test(t) || indent(t) >= limit) continue;
    limit = indent(t);
    const tk = /^\s*task\s+:?["']?([\w-]+)/.exec(t);
    const n = /^\s*namespace\s+:?["']?([\w-]+)/.exec(t);
    if (!task && tk) task = { name: tk[1]!, line: i + 1 };
    else if (task && n) ns = n[1]!;
    if (limit === 0) break;
  }
  if (!task || !ns) return null;
  const b = JOB_BACKENDS.find((x) => x.id.replace(/-/g, "_") === ns || x.id === ns);
  const carried = b ? workers.filter((w) => w.backend === b.id && w.carried) : [];
  if (!b || !carried.length) return null;
  return { name: `${ns}:${task.name}`, source: { file: at0.file, line: task.line }, label: b.label, workers: carried.map((w) => w.name) };
}

/**
 * `script/workers start 4 production`, `bash bin/queue restart`: a repo script the deploy runs with a
 * start verb. App servers, Rails' own scripts and delayed_job's script (read by delayed-job-script.ts)
 * are someone else's.
 */
function repoScriptStart(line: string): { path: string; name: string; verb: string } | null {
  const m = /(?:^|[\s"'`;&|(])(?:\.\/)?((?:script|bin)\/([\w.-]+))\s+(?:[^\s"'`;&|]+\s+)?(start|restart)\b/.exec(line);
  if (!m) return null;
  const name = m[2]!.replace(/\.(sh|rb|bash)$/, "");
  if (APP_SERVER.test(name) || /^(rails|rake|bundle|server|spring|setup|delayed_job|webpack(-dev-server)?|dev|console)$/.test(name)) return null;
  return { path: m[1]!, name, verb: m[3]! };
}

/**
 * A worker the analysis carries with the backend's standard command on the roles this unit was
 * restarted on: the unit may have been that backend's worker with its own queues, which the
 * standard command (every queue) does not keep apart.
 */
function sameRoles(m: MethodStart | undefined, workers: WorkerFacts[]): string {
  if (!m?.on) return "";
  const w = workers.find((x) => x.carried && x.commandFrom === "standard" && x.roles.some((r) => m.on!.roles.includes(r)));
  return w ? `; ${w.name} (\`${w.args.join(" ")}\`, the ${w.label} standard command over every queue) runs on the same ${m.on.roles.map((r) => `:${r}`).join("/")} role: if this unit ran ${w.label} workers of its own queues, compare` : "";
}

/** Whether Gemfile.lock locks the gem (a spec line of its own). */
function lockedGem(ctx: AnalyzerContext, gem: string): boolean {
  const r = ctx.repo.read("Gemfile.lock");
  return !("error" in r) && parseLockfile(r.text).specs.some((s) => s.name === gem);
}

/**
 * What the monit the deploy restarts ran, when the repo holds the checks the deploy starts: where each
 * check's file came from (the repo's, which stage reads it), and whether a worker carries it.
 */
function monitWhy(checks: MonitCheck[], workers: WorkerFacts[]): string {
  const byCheck = new Map<string, { c: MonitCheck; stages: string[] }>();
  for (const c of checks) {
    const k = `${c.file}\0${c.check}`;
    const x = byCheck.get(k) ?? { c, stages: [] };
    x.stages.push(c.stage);
    byCheck.set(k, x);
  }
  const said = [...byCheck.values()].map(({ c, stages }) => {
    const w = workers.find((x) => x.carried && (at(x.commandSource ?? { file: "", line: 0 }) === at(c.source) || x.evidence.some((e) => at(e.source) === at(c.source)) || Object.values(x.perStage ?? {}).some((p) => p.source && at(p.source) === at(c.source))));
    return `check ${c.check} (${at(c.source)}, stage${stages.length > 1 ? "s" : ""} ${stages.join(", ")}) ${w ? `is carried as worker \`${w.name}\`` : `is not carried: its start program (${c.command ?? "a value not known"}) is not a job backend the analysis knows, and no Deployment runs it`}`;
  });
  const files = [...new Set(checks.map((c) => c.file))].map((f) => {
    const by = checks.find((c) => c.file === f && c.loadedBy)?.loadedBy;
    return by ? `${f}, which ${at(by)} puts on the servers` : f;
  });
  return `a process monitor the deploy restarts; the checks it ran that the deploy starts are the repo's own (${files.join(", ")}): ${said.join("; ")}. monit itself is not carried: the cluster restarts the pods`;
}
