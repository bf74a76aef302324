// Job-runner processes the servers ran, one entry per process: from the lockfile (the gem), the
// Procfile (the command as the team wrote it), the Capistrano plugin or its hooks, and service
// definitions kept in the repo (systemd units, monit, god). How each backend stops comes from its row
// in backends.ts; the command is the repo's own line when it is plain words, else the backend's
// standard command, said so.
import { perItem } from "../per-item.js";
import type { AnalyzerContext, CapistranoFacts, Fact, ProcfileEntry, RValue, RailsFacts, SidekiqFacts, Source, Stage, WorkerFacts } from "../../src/model.js";
import { secretEnvEntry } from "../../src/model/secret-env.js";
import { cutArgv, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";
import { hasPath, railsEnvOf } from "../../src/model.js";
import { queueAdapterOf } from "../rails/queue-adapter.js";
import { JOB_BACKENDS, backendGems, backendNames, backendOfCommand, providingGem, queuesFromArgs, type JobBackend } from "./backends.js";
import { goodJobPlacement, solidQueuePlacement, type Placement } from "./in-web.js";
import { resquePluginWorkers } from "./resque-plugin.js";
import { sidekiqWorkers } from "./sidekiq-processes.js";
import { DELAYED_JOB_PLUGIN_DEFAULTS, DELAYED_JOB_RECIPE, delayedJobPluginWorkers } from "./delayed-job-plugin.js";
import { godStageWorkers } from "./god-stages.js";
import { deployProcfile, runOf, withForemanRun } from "./foreman-export.js";
import { withoutRubySwitch } from "../../src/model/ruby-switch.js";
import { supervisorProcesses, type LoadedProcess } from "./supervisor-files.js";
import { stageFileSidekiq, withStageSidekiq } from "./supervisor-stage-sidekiq.js";
import { configGems } from "../rails/config-gems.js";
import { startTaskRoles } from "./start-task-roles.js";
import { monitChecks, type MonitCheck } from "./monit-checks.js";
import { monitLoops, type MonitLoop } from "./monit-loops.js";
import { shoryukenLine } from "./shoryuken-line.js";
import { multiserviceUnits, withMultiservice } from "./systemd-multiservice.js";
import { deployStartsOf, hookedTaskLines, type BackendStart, type TaskLine } from "./deploy-task-lines.js";
import { monitorTasks, monitoredRestarts } from "./monitored-restarts.js";
import { readStartLine, serverLayout, type ServerLayout } from "./start-line.js";
import { sidekiqLineWorkers } from "./sidekiq-line.js";
import { pluginLoadedIn } from "../capistrano/plugin-loaded.js";
import { numberOf } from "../../src/model/numbers.js";
import { sidekiqProcfileLines } from "./sidekiq-procfile.js";
import { lineTimeoutIsOwn, readSidekiqConfig } from "../sidekiq.js";

/** capistrano3-delayed-job's require (its tasks run `on roles(fetch(:delayed_job_roles))`). */
const DELAYED_JOB_PLUGIN_REQUIRE = /^capistrano\/delayed-job$/;
import { GOD_STOP_SIGNAL_DEFAULT, godWatchCount, godWatchStop } from "./god.js";
import { godStarts } from "./god-starts.js";
import { readDelayedJobScript, restartedBy, scriptLiteral, startNote } from "./delayed-job-script.js";
import { queTaskWorkers } from "./que-task.js";
import { ownTaskUnits, type OwnUnits } from "./own-task-units.js";
import { RPUSH_DEFAULT_ROLE, rpushPlugin } from "./rpush-plugin.js";
import { repoScriptStarts, type ScriptStart } from "./repo-script-starts.js";
import { methodStarts, serviceFileOf, unitPlacement, unitRestarts } from "./deploy-methods.js";
import { sneakersContainerOptions, sneakersPluginRoles, sneakersPluginWorkers, sneakersRunConfigOff } from "./sneakers-plugin.js";
import { RESQUE_POOL_GEM, RESQUE_POOL_PLUGIN, resquePoolWorkers } from "./resque-pool.js";
import { DLSS_GEM, DLSS_SYSTEMD, dlssSystemdStart } from "./dlss-systemd.js";
import { SERVICE_FILE, SERVICE_TEMPLATE_CONF, startedUnits, unwrapCommand } from "../../src/model/service-managers.js";
import { procfileRunByDeploy, startLines } from "../appserver/started.js";
import { configFlagPath, goodJobShutdownTimeout } from "./timeouts.js";
import { readErbYaml } from "../rails/erb-yaml.js";
import { isHash } from "../ruby/evaluate.js";
import { isCapfileName } from "../capistrano/capfile.js";
import { pinnedEnvArgIndexes, warnPinnedEnv } from "./pinned-env.js";
import { notStartedByDeploy, offStagesOf, stageHookGate, startTasksGate } from "./stage-hooks.js";

/** A stage kept running a worker for a doubt (stage-hooks.ts offStagesOf): a named warning at the line of the doubt. */
const warnDoubt = (ctx: AnalyzerContext) => (d: { source: Source; message: string }) => ctx.problem({ ...d.source, message: d.message, severity: "warning" });
import { initScriptBackendLine } from "./init-script-lines.js";

/** Service definitions the servers were set up from, and the .conf templates the deploy renders into them. */
const isServiceFile = (p: string) => SERVICE_FILE.test(p) || SERVICE_TEMPLATE_CONF.test(p);
/** The line of such a file that starts the process. */
const START_LINE = /^\s*(ExecStart\s*=|start\s+program\s*=|w\.start\s*=|exec\s|command\s*=)/i;
/** A systemd unit file kept in the repo. */
const UNIT_FILE = /\.service(\.erb)?$/;

export function analyzeWorkers(
  ctx: AnalyzerContext,
  rails: RailsFacts,
  cap: CapistranoFacts | null,
  procfile: ProcfileEntry[],
  stages: Stage[],
  sidekiq: SidekiqFacts | null,
  /** Plugin variables nothing in the deploy reads (plugin-unread-settings.ts): no count comes from them. */
  unread: ReadonlySet<string> = new Set(),
): WorkerFacts[] {
  const out: WorkerFacts[] = [];
  // Each stage's release and shared paths, for the `cd` and paths of start lines (start-line.ts).
  const layout = serverLayout(stages);
  const services = serviceLines(ctx, layout);
  // Processes of bluepill/eye files the deploy loads (supervisor-files.ts): a backend's are service lines like god's.
  const supervised = supervisorProcesses(ctx, stages);
  for (const x of supervised) if (x.single && x.p.command && backendOfCommand(x.p.command)) services.push(supervisedLine(x.p));
  // A backend's process whose start_command the file does not state (a local it cannot read): said at the line, with why.
  for (const x of supervised) {
    const b = x.p.command ? null : backendOfCommand(x.p.written);
    if (b && x.p.unknown) ctx.problem({ ...x.p.commandSource, message: `${b.label}: the ${x.p.tool} process ${x.p.name} of ${x.p.source.file}, which the deploy loads (${x.load.source.file}:${x.load.source.line}), runs it, but ${x.p.unknown}: its command is not read (queues, flags), so it does not decide the worker's command`, severity: "warning" });
  }
  const monit = monitChecks(ctx, stages, cap);
  const loops = monitLoops(ctx, stages, cap?.tasks ?? []);
  // capistrano-systemd-multiservice's units, rendered per stage (systemd-multiservice.ts).
  const msUnits = multiserviceUnits(ctx, cap, stages);
  const msFiles = new Set(msUnits.map((u) => u.file));
  const otherStarts = new Map<string, boolean>();
  // The Procfile the deploy's foreman runs is what ran (foreman-export.ts); else Procfile is what
  // runs in production, and Procfile.dev and friends only count when it says nothing.
  const exported = deployProcfile(ctx, procfile);
  const main = procfile.filter((p) => p.source.file === "Procfile");
  const lines = exported ? exported.lines : main.length ? main : procfile;
  const mainFiles = new Set(exported ? exported.runs.map((r) => r.procfile) : ["Procfile"]);
  // Procfile processes no backend's command matches: a backend may claim one by what its script says.
  const claimed = new Set<ProcfileEntry>();
  const unmatched = lines.filter((p) => mainFiles.has(p.source.file) && !backendOfCommand(p.command) && p.name !== "web" && !APP_SERVER.test(p.command));
  // Initializer lines setting the adapter that Rails never read (analyzers/rails/queue-adapter.ts): said once each.
  const ignoredAdapter = new Map<string, { source: Source; loadedAt: Source }>();
  // A dlss-capistrano plugin for a process no backend here models (Racecar): named at its line, never dropped silently.
  for (const p of DLSS_SYSTEMD) if (!p.backend) dlssSystemdStart(ctx, cap, stages, rails.gems[DLSS_GEM], p);
  /** Per backend, the stages whose deploy ran none of the hooks that start it (stage-hooks.ts). */
  const gates = new Map<string, NonNullable<ReturnType<typeof stageHookGate>["off"]>>();
  /** Per backend, the stages whose deploy neither started nor restarted it (stage-hooks.ts notStartedByDeploy). */
  const unstarted = new Map<string, ReturnType<typeof notStartedByDeploy>>();
  let oldGems: Record<string, Fact<string>> | undefined;
  for (const b of JOB_BACKENDS) {
    const evidence: Fact<string>[] = [];
    // The backend's own gem, else a gem that provides it under another name (kicks for Sneakers).
    const locked = backendGems(b).find((g) => rails.gems[g] && providedAt(g, String(rails.gems[g]!.value)));
    // No lockfile: a Rails 2.3 `config.gem` declares it (config-gems.ts).
    const declared = locked ? undefined : backendGems(b).find((g) => (oldGems ??= configGems(ctx))[g]);
    const gemName = locked ?? declared;
    const gem = locked ? rails.gems[locked] : declared ? oldGems![declared] : undefined;
    if (gem) evidence.push({ value: declared ? `config.gem "${declared}" (${gem.value}) in ${gem.source.file}, with no Gemfile.lock` : `${gemName} ${gem.value} in Gemfile.lock${b.gems.includes(gemName!) ? "" : ` (${providingGem(gemName!)!.why})`}`, source: gem.source });
    for (const r of cap?.requires ?? []) if (b.capistrano.test(r.value)) evidence.push({ value: `require "${r.value}" in ${isCapfileName(r.source.file) ? "the Capfile" : r.source.file}`, source: r.source });
    const prefix = b.id.replace(/-/g, "_");
    for (const h of cap?.hooks ?? [])
      if (h.task.replace(/^:/, "").startsWith(`${prefix}:`)) evidence.push({ value: `${h.kind} "${h.target}", "${h.task}" (Capistrano hook)`, source: h.source });
    const ownLines = lines.filter((p) => backendOfCommand(p.command) === b);
    const ownServices = services.filter((s) => backendOfCommand(s.command) === b);
    // Started only by the repo's hooks of its tasks, each written in some stages' files: none elsewhere (stage-hooks.ts).
    const pluginOrHook = (cap?.requires ?? []).some((r) => b.capistrano.test(r.value)) || (cap?.hooks ?? []).some((h) => h.task.replace(/^:/, "").startsWith(`${prefix}:`));
    if (!ownLines.length && !ownServices.length) {
      const text = (file: string) => {
        const r = ctx.repo.read(file);
        return "error" in r ? "" : r.text;
      };
      // Else, where the deploy's only starts are the repo's own tasks that restart it through monit/god
      // (monitored-restarts.ts) or run its command (deploy-task-lines.ts), the stages that run those tasks.
      const onlyOwnTasks = !pluginOrHook && !(cap?.conditionalHooks ?? []).some((h) => h.task.replace(/^:/, "").startsWith(`${prefix}:`)) && !(b.id === "sidekiq" && sidekiq?.started);
      const gate = stageHookGate(b, cap, stages, text);
      const startTasks = !gate.off && !gate.doubts.length && onlyOwnTasks ? [...new Set([...monitorTasks(ctx, cap, b, JOB_BACKENDS), ...deployStartsOf(ctx, cap, b).map((l) => l.task.name)])] : [];
      for (const g of [gate, startTasksGate(b, startTasks, cap, stages, text)]) {
        if (g?.off) gates.set(b.id, g.off);
        for (const d of g?.doubts ?? []) ctx.problem({ ...d.source, message: `workers.stage-hook-doubt: ${d.message}`, severity: "warning" });
      }
      // A monitor restart names its check, not the stages: any such task counts as a start everywhere.
      const starts = monitorTasks(ctx, cap, b, JOB_BACKENDS).length ? [{}] : deployStartsOf(ctx, cap, b);
      const none = notStartedByDeploy(b, cap, stages, text, starts);
      if (none.length) unstarted.set(b.id, none);
    }
    if (gem && b.mention && !ownLines.length && !ownServices.length && !pluginOrHook)
      for (const p of unmatched) {
        if (claimed.has(p)) continue;
        const said = scriptMention(ctx, p.command, b.mention);
        if (!said) continue;
        claimed.add(p);
        ownLines.push(p);
        evidence.push({ value: `Procfile ${p.name} runs ${said.file}, which names ${b.label}: ${said.text}`, source: said.source });
      }
    for (const p of ownLines) evidence.push({ value: `${p.name}: ${p.command}`, source: p.source });
    for (const s of ownServices) evidence.push({ value: s.command, source: s.source }, ...(s.evidence ?? []));
    // Something other than a multiservice unit starts it: a Procfile line, a service file, its plugin or hook, a server with its role.
    otherStarts.set(b.id, ownLines.length > 0 || ownServices.some((x) => !msFiles.has(x.source.file)) || pluginOrHook || stages.some((s) => s.servers.some((sv) => sv.roles.some((r) => roleNames(b).includes(r)))));
    if (b.id === "sidekiq") {
      // Sidekiq's own analyzer reads config/sidekiq.yml and decides whether the app runs it.
      // Without capistrano-sidekiq, a service file's own start line decides its options (sidekiq-line.ts).
      const base = sidekiq ? sidekiqWorker(b, sidekiq, stages) : null;
      const plugin = !!sidekiq && (Object.keys(sidekiq.plugin ?? {}).length > 0 || !!sidekiq.units);
      // A Procfile line the deploy runs (foreman's export of a named Procfile, a root Procfile a
      // deploy line runs) is Sidekiq's own start line as much as a service file's; a root Procfile
      // nothing runs decides only where the deploy has no start of its own (sidekiq-procfile.ts).
      const fromProcfile = base && !plugin ? sidekiqProcfileLines(ctx, cap, b, ownLines, mainFiles, exported, { services: ownServices.length > 0, ownTask: !!sidekiq?.started }) : null;
      const own = base && !plugin ? sidekiqLineWorkers(ctx, base, stages, fromProcfile ?? ownServices, (f) => (hasPath(ctx.repo, f) ? readSidekiqConfig(ctx, f) : null), fromProcfile ? "Procfiles" : "service files", cap) : null;
      // Read one by one, a line's -t is its own Deployment's, not every one's (the loose scan of analyzers/sidekiq.ts).
      if (own && sidekiq) lineTimeoutIsOwn(sidekiq, fromProcfile ?? ownServices);
      // Eye/bluepill files per stage, each with its own Sidekiq line: each stage's options in its overlay (supervisor-stage-sidekiq.ts).
      const byFile = !own && !plugin && sidekiq ? stageFileSidekiq(ctx, stages, (f) => (hasPath(ctx.repo, f) ? readSidekiqConfig(ctx, f) : null)) : null;
      if (sidekiq) out.push(...(own ?? withStageSidekiq(sidekiqWorkers(base!, sidekiq, stages), byFile, stages)));
      continue;
    }
    if (!evidence.length) continue;
    // capistrano3-delayed-job starts its workers `on roles(fetch(:delayed_job_roles))`, :app by its load:defaults: the deploy's own role, not a guess.
    const dj3 = b.id === "delayed-job" ? (cap?.requires ?? []).find((r) => DELAYED_JOB_PLUGIN_REQUIRE.test(r.value)) : undefined;
    const roles = rolesOf(b, stages, dj3 ? [DELAYED_JOB_PLUGIN_DEFAULTS.role] : null);
    if (dj3 && !stages.some((s) => s.variables["delayed_job_roles"] || s.variables["delayed_job_role"])) evidence.push({ value: `${dj3.value} starts the workers on role ${DELAYED_JOB_PLUGIN_DEFAULTS.role} (capistrano3-delayed-job's default delayed_job_roles)`, source: dj3.source });
    // A role counts as "the servers ran it" when it names the backend, or is a generic worker role
    // on an app that asked for the gem itself (not a gem some other gem pulled in).
    // Without a Gemfile (only its lockfile) which gems were asked for is not known: all count.
    const direct = askedFor(b, rails) || Object.keys(rails.gemGroups).length === 0;
    let roleStarted = false;
    // A generic role is no sign of this backend on a stage whose Active Job adapter is another
    // backend's (analyzers/rails/queue-adapter.ts): the app's jobs went there; the role is that one's.
    const otherAdapter = new Map<string, { adapter: string; source: Source } | null>();
    const adapterAgainst = (s: Stage) => {
      if (!otherAdapter.has(s.name)) {
        const a = queueAdapterOf(ctx, railsEnvOf(s));
        for (const x of a?.ignored ?? []) ignoredAdapter.set(`${x.source.file}:${x.source.line}`, x);
        const other = a && "adapter" in a && a.adapter !== b.id.replace(/-/g, "_") && JOB_BACKENDS.some((x) => x !== b && x.id.replace(/-/g, "_") === a.adapter) ? a : null;
        otherAdapter.set(s.name, other);
      }
      return otherAdapter.get(s.name)!;
    };
    const against: { stage: string; role: string; adapter: { adapter: string; source: Source } }[] = [];
    for (const s of stages)
      for (const sv of s.servers) {
        // A role named for the backend outranks a generic one the same server holds (`%w[app worker
        // sneakers]`): the generic role may be another backend's (the Active Job adapter's), this one is not.
        const matching = sv.roles.filter((r) => roleNames(b).includes(r));
        const role = matching.find((r) => !GENERIC_ROLES.includes(r)) ?? matching[0];
        if (!role) continue;
        evidence.push({ value: `${s.name}: ${sv.host} has the ${role} role`, source: sv.source });
        if (!direct && GENERIC_ROLES.includes(role)) continue;
        const adapter = GENERIC_ROLES.includes(role) ? adapterAgainst(s) : null;
        if (adapter) against.push({ stage: s.name, role, adapter });
        else roleStarted = true;
      }
    const tasks = ownTasks(ctx, b, cap);
    for (const t of tasks) evidence.push({ value: `deploy task ${t.name}, the repo's own${t.runs ? `: ${t.runs.text}` : ""}`, source: t.source });
    // A deploy line of any task that starts the repo's delayed_job script (`run "cd … && script/delayed_job start"`).
    const scriptRuns = b.id === "delayed-job" && !tasks.some((t) => t.runs?.script) ? deployScriptRuns(ctx) : [];
    for (const r of scriptRuns) evidence.push({ value: `the deploy runs ${r.command.slice(0, 120)}`, source: r.source });
    const base = {
      backend: b.id,
      label: b.label,
      drain: b.drain,
      stopSignal: b.stopSignal,
      stopTimeout: { seconds: b.stopTimeout, source: null },
      roles,
      evidence,
      ...(b.processesVariable && !unread.has(b.processesVariable) ? { processesVariable: b.processesVariable } : {}),
    };
    if (!gem && !ownLines.length) {
      out.push({
        ...base,
        name: `worker-${b.id}`,
        args: [],
        env: {},
        commandFrom: "standard",
        commandSource: null,
        queues: [],
        carried: false,
        why: `${b.gems[0]} is not in Gemfile.lock, so the image would not have it (${evidence[0]!.value})`,
      });
      continue;
    }
    const plugin = (cap?.requires ?? []).find((r) => b.capistrano.test(r.value));
    const hooked = (cap?.hooks ?? []).some((h) => h.task.replace(/^:/, "").startsWith(`${prefix}:`));
    if (b.id === "resque" && plugin && (hooked || stages.some((s) => s.variables["workers"]))) {
      // The deploy started capistrano-resque's `:workers`: those are the processes the servers ran.
      const ws = resquePluginWorkers(ctx, b, stages, evidence, { backend: b.id, label: b.label, drain: b.drain }, pluginLoadedIn(cap!, stages, b.capistrano));
      const note = [...ownLines.map((p) => `${p.source.file}:${p.source.line}`), ...ownServices.map((x) => `${x.source.file}:${x.source.line}`)];
      // Without a resque hook, a deploy line that starts a service file of the repo (`god start -c
      // …/script/worker.god`) is what ran the workers: said, with both lines, since only :workers was read.
      const starter = hooked ? null : deployStartOf(ctx, ownServices);
      for (const w of ws)
        out.push(
          starter
            ? { ...w, commandNote: `capistrano-resque's resque:start is not hooked into the deploy; the deploy starts ${starter.service.source.file} (${starter.source.file}:${starter.source.line}), whose line ${starter.service.source.file}:${starter.service.source.line} is not plain words: the queues and counts here are :workers', check them against that file` }
            : note.length
              ? { ...w, commandNote: `the deploy started capistrano-resque's :workers; the line${note.length > 1 ? "s" : ""} at ${note.join(", ")} did not decide the command` }
              : w,
        );
      if (ws.length) continue;
    }
    if (b.id === "resque" && rails.gems[RESQUE_POOL_GEM]) {
      // resque-pool ran the Resque workers unless a line of the repo runs them without it: its
      // config's entries are the workers (analyzers/workers/resque-pool.ts).
      const isPool = (c: string) => /(^|[\s/'"])resque-pool(?![\w.-])|\bresque:pool\b/.test(c);
      const direct = [...ownLines.map((p) => p.command), ...ownServices.map((x) => x.command)].some((c) => !isPool(c));
      if (!direct) {
        const starts = [
          ...ownLines.map((p) => ({ text: p.command, source: p.source })),
          ...ownServices.map((x) => ({ text: x.command, source: x.source })),
          ...[...startLines(ctx)].filter((l) => !l.service && isPool(l.text)).map((l) => ({ text: l.text, source: l.source })),
        ];
        const poolPlugin = (cap?.requires ?? []).find((r) => RESQUE_POOL_PLUGIN.test(r.value));
        if (poolPlugin) evidence.push({ value: `require "${poolPlugin.value}" in ${isCapfileName(poolPlugin.source.file) ? "the Capfile" : poolPlugin.source.file} (capistrano-resque-pool)`, source: poolPlugin.source });
        if (!poolPlugin && !starts.length)
          evidence.push({ value: "nothing in the repo starts resque-pool (no Procfile line, service file, deploy task or capistrano-resque-pool): the layout is its config's alone", source: rails.gems[RESQUE_POOL_GEM]!.source });
        // Without the plugin, the roles of the task that starts the pool are where it ran (start-task-roles.ts).
        const taskOn = poolPlugin ? null : starts.map((x) => startTaskRoles(ctx, x.source)).find((o) => o && !o.primary) ?? null;
        if (taskOn) evidence.push({ value: `the task that starts it runs on roles(${taskOn.roles.map((r) => `:${r}`).join(", ")})`, source: taskOn.source });
        const poolRoles = poolPlugin ? resquePoolRoles(stages) : taskOn ? taskOn.roles : roles;
        // Only Capistrano 2 stage files require the plugin, and nothing else starts the pool: the other stages ran none.
        // Only Capistrano 2 stage files require the plugin, and nothing outside the stage files starts
        // the pool: a stage whose file neither requires it nor runs resque-pool ran none.
        const stageFiles = new Set(stages.map((s) => s.source.file));
        const loadedIn = poolPlugin ? pluginLoadedIn(cap!, stages, RESQUE_POOL_PLUGIN) : null;
        const poolLoads = loadedIn && !starts.some((x) => !stageFiles.has(x.source.file))
          ? (s: Stage) => loadedIn(s) || starts.some((x) => x.source.file === s.source.file && /(^|[\s/'"])resque-pool(?![\w.-])/.test(x.text))
          : () => true;
        const poolBy = [...new Set(stages.filter(poolLoads).flatMap((s) => (s.plugins ?? []).filter((p) => RESQUE_POOL_PLUGIN.test(p.value)).map((p) => p.source.file)))];
        const ws = resquePoolWorkers(ctx, b, stages, starts, poolRoles, [{ value: `${RESQUE_POOL_GEM} ${rails.gems[RESQUE_POOL_GEM]!.value} in Gemfile.lock`, source: rails.gems[RESQUE_POOL_GEM]!.source }, ...evidence], { backend: b.id, label: b.label, drain: b.drain }, { loads: poolLoads, by: poolBy });
        if (ws && ws.length) {
          out.push(...ws);
          continue;
        }
      }
    }
    if (b.id === "delayed-job" && (plugin || hooked || tasks.length)) {
      // The deploy ran bin/delayed_job with the stage's delayed_job_args/_workers/_queues/_pools.
      // delayed_job's own recipe, when it is what the deploy loads (a Capistrano 2 stage file may be the only one).
      const recipeAt = (cap?.requires ?? []).find((r) => DELAYED_JOB_RECIPE.test(r.value));
      const recipeLoads = recipeAt && !(cap?.requires ?? []).some((r) => b.capistrano.test(r.value) && !DELAYED_JOB_RECIPE.test(r.value)) ? pluginLoadedIn(cap!, stages, DELAYED_JOB_RECIPE) : null;
      const recipe = recipeAt && recipeLoads ? { require: recipeAt, loads: recipeLoads, by: [...new Set(stages.filter(recipeLoads).flatMap((s) => (s.plugins ?? []).filter((p) => DELAYED_JOB_RECIPE.test(p.value)).map((p) => p.source.file)))] } : null;
      // The recipe only defines the tasks (its header asks for the hooks): unhooked, no deploy ran them.
      if (recipe && !hooked && !tasks.length)
        ctx.problem({ ...recipe.require.source, message: `delayed_job's recipe (require "${recipe.require.value}") defines delayed_job:start/restart, but no hook runs them in the deploy: the workers are carried as its start would run them, but the servers ran them only if someone ran \`cap <stage> delayed_job:start\``, severity: "warning" });
      // A variable nothing in the deploy reads (plugin-unread-settings.ts) ran nothing: it neither decides nor zeroes a pool.
      const readStages = unread.size ? stages.map((s) => ({ ...s, variables: Object.fromEntries(Object.entries(s.variables).filter(([n]) => !unread.has(n))) })) : stages;
      const ws = delayedJobPluginWorkers(ctx, b, readStages, evidence, { backend: b.id, label: b.label, drain: b.drain }, recipe);
      if (ws && ws.length) {
        const note = [...ownLines.map((p) => `${p.source.file}:${p.source.line}`), ...ownServices.map((x) => `${x.source.file}:${x.source.line}`)];
        for (const w of ws) out.push(note.length ? { ...w, commandNote: `${w.commandNote}; the line${note.length > 1 ? "s" : ""} at ${note.join(", ")} did not decide the command` } : w);
        continue;
      }
    }
    const schedulerHook = (cap?.hooks ?? []).find((h) => /^:?resque:scheduler:/.test(h.task));
    const resquePlugin = (cap?.requires ?? []).find((r) => /^capistrano-resque$/.test(r.value));
    if (b.id === "resque-scheduler" && gem && resquePlugin && schedulerHook && !ownLines.length && !ownServices.length) {
      // capistrano-resque's resque:scheduler:start, hooked into the deploy: its rake line on :resque_scheduler.
      evidence.push({ value: `${schedulerHook.kind} "${schedulerHook.target}", "${schedulerHook.task}" (capistrano-resque)`, source: schedulerHook.source });
      const envTask = stages.some((st) => st.variables["resque_environment_task"]?.value === true);
      // Required by Capistrano 2 stage files only: the other stages had no resque:scheduler:start.
      const only = stages.filter(pluginLoadedIn(cap!, stages, /^capistrano-resque$/));
      const perStage = only.length < stages.length ? { perStage: Object.fromEntries(only.map((st) => [st.name, { processes: 1, why: `capistrano-resque's resque:scheduler:start (${(st.plugins ?? []).find((p) => p.value === "capistrano-resque")?.source.file ?? resquePlugin.source.file} requires it)`, source: schedulerHook.source }])) } : {};
      out.push({ ...base, roles: ["resque_scheduler"], name: `worker-${b.id}`, args: ["bundle", "exec", "rake", ...(envTask ? ["environment"] : []), "resque:scheduler"], env: {}, commandFrom: "capistrano", commandSource: schedulerHook.source, queues: [], carried: true, ...perStage });
      continue;
    }
    if (b.id === "clockwork" && plugin && !ownLines.length && !ownServices.length) {
      // capistrano-clockwork ran `clockworkd -c <:clockwork_file> start` on :clockwork_role; the pod
      // runs the same file in the foreground (`clockwork <file>`).
      const set = stages.map((st) => st.variables["clockwork_file"]).filter((f): f is Fact<RValue> => f !== undefined);
      const files = [...new Set(set.map((f) => (typeof f.value === "string" ? f.value : null)))];
      const fileFact = files.length === 1 && files[0] !== null ? set[0]! : null;
      const file = fileFact?.value as string | undefined;
      if (file && /^[A-Za-z0-9_./-]+$/.test(file) && !file.includes("..")) {
        out.push({ ...base, roles, name: `worker-${b.id}`, args: ["bundle", "exec", "clockwork", file], env: {}, commandFrom: "capistrano", commandSource: fileFact!.source, ...(fileFact!.defaultOf ? { commandNote: `${file} is capistrano-clockwork's default :clockwork_file` } : {}), queues: [], carried: true });
        continue;
      }
      // Never a silent fallback: why the plugin's file is not the command is said.
      const why = files.length > 1 ? `differs between stages (${files.map((f) => f ?? "unknown").join(", ")})` : file ? `is not a plain repo path (${JSON.stringify(file)})` : "is not known statically";
      ctx.problem({ ...(set[0]?.source ?? plugin.source), message: `capistrano-clockwork: :clockwork_file ${why}; the worker runs the gem's standard command`, severity: "warning" });
    }
    if (b.id === "sneakers") {
      for (const o of sneakersContainerOptions(ctx)) {
        const message =
          o.option === "daemonize"
            ? `sneakers.daemonize: Sneakers.configure sets daemonize (\`${o.text}\`): in a pod the runner forks into the background and the container's main process exits at once, so the worker restarts in a loop; make it false for the image (the servers needed it only because the deploy started the runner and returned)`
            : o.option === "log"
              ? `sneakers.log-file: Sneakers.configure sets log (\`${o.text}\`): the runner writes its log to that file inside the pod, which \`kubectl logs\` and the cluster's log collection never see, and which is lost with the pod; make it STDOUT for the image (Sneakers' default)`
              : `sneakers.pid-path: Sneakers.configure sets pid_path (\`${o.text}\`): a pid file served the servers' scripts; in a pod nothing reads it, and the image lets the app user write only under tmp/ and log/ (Sneakers' own default, sneakers.pid, is the app directory): drop the option or point it under tmp/pids/`;
        ctx.problem({ ...o.source, message, severity: "warning" });
      }
    }
    if (b.id === "sneakers" && plugin && !ownLines.length && !ownServices.length) {
      // capistrano-sneakers ran `WORKERS=<:sneakers_workers> rake sneakers:run` (sneakers-plugin.ts).
      const r = sneakersPluginWorkers(stages, plugin.source);
      if (r.problem) ctx.problem({ ...r.problem.source, message: r.problem.message, severity: "warning" });
      const pluginVersion = rails.gems["capistrano-sneakers"] ?? null;
      const roles = sneakersPluginRoles(stages, pluginVersion);
      for (const p of [roles.problem, sneakersRunConfigOff(stages, pluginVersion)]) if (p) ctx.problem({ ...p.source, message: p.message, severity: "warning" });
      out.push({ ...base, roles: roles.roles, name: `worker-${b.id}`, args: ["bundle", "exec", "rake", "sneakers:run"], env: r.workers ? { WORKERS: r.workers.value } : {}, commandFrom: "capistrano", commandSource: r.workers?.source ?? plugin.source, queues: [], carried: true });
      continue;
    }
    if (b.id === "rpush" && plugin && !ownLines.length && !ownServices.length) {
      // capistrano-rpush's daemon (rpush-plugin.ts), on rpush_role (:app by the plugin's load:defaults).
      const r = rpushPlugin(ctx, stages, plugin, rails.gems["capistrano-rpush"] ? String(rails.gems["capistrano-rpush"].value) : null);
      for (const p of r.problems) ctx.problem({ ...p.source, message: p.message, severity: "warning" });
      out.push({ ...base, roles: rolesOf(b, stages, [RPUSH_DEFAULT_ROLE]), evidence: [...evidence, ...r.evidence], name: `worker-${b.id}`, args: r.args, env: {}, commandFrom: "capistrano", commandSource: plugin.source, commandNote: r.commandNote, queues: [], carried: true });
      continue;
    }
    let queWhy: { unknown: string; source: Source } | null = null;
    if (b.id === "que" && tasks.length && !ownLines.length && !ownServices.length) {
      // The repo's own que task: its start line is the command, its loop the count (que-task.ts).
      const r = queTaskWorkers(ctx, tasks, stages, gem ? String(gem.value) : null, base, roles);
      if (r && "workers" in r) {
        out.push(...r.workers);
        continue;
      }
      if (r) {
        queWhy = r;
        ctx.problem({ ...r.source, message: `Que: the deploy task starts que, but ${r.unknown}; the worker runs the gem's standard command`, severity: "warning" });
      }
    }
    // Monit checks of the repo the deploy starts (analyzers/workers/monit-checks.ts): each stage's own file, on the roles of the deploy's monit line;
    // checks an ERB loop defines (monit-loops.ts): the loop's count per server, on the rendering task's roles.
    if (!ownLines.length) {
      const ws = [...(monitCheckWorkers(ctx, b, stages, base, monit) ?? []), ...(monitLoopWorkers(ctx, b, base, loops, layout) ?? [])];
      if (ws.length) {
        out.push(...ws);
        continue;
      }
    }
    // dlss-capistrano's <backend>_systemd plugin, hooked: the deploy started the servers' unit on its role (dlss-systemd.ts).
    const dlssPlugin = DLSS_SYSTEMD.find((p) => p.backend === b.id);
    const dlss = dlssPlugin && gem && !ownLines.length && !ownServices.length ? dlssSystemdStart(ctx, cap, stages, rails.gems[DLSS_GEM], dlssPlugin) : null;
    if (dlss) {
      evidence.push(...dlss.evidence);
      base.roles = dlss.roles;
    }
    const dlssStages = dlss ? Object.fromEntries(Object.entries(dlss.stages).map(([name, x]) => [name, { processes: x.servers > 0 ? 1 : 0, why: x.why, source: x.source, ...(x.roles.join() !== dlss.roles.join() ? { roles: x.roles } : {}) }])) : undefined;
    const own = ownLines.length > 0 || ownServices.length > 0 || !!plugin || hooked || scriptRuns.length > 0 || !!dlss;
    // Nothing else starts it, but the deploy restarts a unit named for it (`service inst_jobs restart`
    // in `on roles(:work)`): that unit ran the backend on those roles; its file is on the servers.
    // A hooked task of the repo (`sneakers:restart`) whose body only restarts such a unit is that
    // restart too: no line of the repo states the command, so the unit's roles and its warning hold.
    const stated = ownLines.length > 0 || ownServices.length > 0 || !!plugin || scriptRuns.length > 0 || tasks.some((t) => t.runs) || !!dlss;
    // Several units of the backend a task of the repo starts on `on roles(…)` (own-task-units.ts):
    // what the servers ran, outranking a Procfile no deploy line runs.
    const procfileIdle = ownLines.length > 0 && !exported && !procfileRunByDeploy(ctx);
    const units = gem && !ownServices.length && !plugin && !dlss && !scriptRuns.length && !tasks.some((t) => t.runs) && (!ownLines.length || procfileIdle) ? ownTaskUnits(ctx, cap, b, stages) : null;
    if (units && "unknown" in units) ctx.problem({ ...units.source, message: `${b.label}: ${units.unknown}; the roles and count decide nothing`, severity: "warning" });
    else if (units) {
      out.push(unitsWorker(ctx, b, base, units, ownLines, stages));
      continue;
    }
    const restart = !stated && gem ? unitRestartOf(ctx, b, cap) : null;
    if (restart) {
      evidence.push({ value: `the deploy restarts ${restart.unit} on ${restart.on.primary ? "primary" : "roles"}(${restart.on.roles.map((r) => `:${r}`).join(", ")}); its unit file is on the servers, not in the repo`, source: restart.on.source });
      base.roles = restart.on.roles;
      if (restart.on.primary) Object.assign(base, { primaryOnly: { role: restart.on.roles[0]!, source: restart.on.source } });
      Object.assign(base, offStagesOf(restart.stages, stages, `the restart of ${restart.unit}`, restart.on.source, restart.hook, warnDoubt(ctx)));
      // What the unit runs (its queues, its -n) is in its ExecStart on the servers: the worker's
      // command is the backend's standard one, a default, said at each restart line.
      const std = standardCommand(b);
      for (const line of restart.lines)
        ctx.problem({
          ...line,
          message: `${b.label}: the deploy restarts the unit \`${restart.unit}\` on ${restart.on.primary ? "primary" : "roles"}(${restart.on.roles.map((r) => `:${r}`).join(", ")}), whose ExecStart (or init script) is on the servers, not in the repo: the worker runs ${b.label}'s standard command \`${[...Object.entries(std.env).map(([k, v]) => `${k}=${v}`), ...std.args].join(" ")}\` (the backend's default, not what the unit ran: its queues and process count are not known); read the unit on a server and set the worker's command`,
          severity: "warning",
        });
    }
    const placed = !own && (b.id === "good-job" || b.id === "solid-queue") ? placements(ctx, b, stages, procfile, cap) : null;
    const started = own || roleStarted || tasks.length > 0 || !!restart || (placed?.some((x) => x.p.where !== "own") ?? false);
    if (!started) {
      // A shell script of the repo starts it, nothing in the deploy does (repo-script-starts.ts).
      const scripts = gem ? repoScriptStarts(ctx, b, new Set(stages.map((s) => railsEnvOf(s)).filter((e): e is string => !!e))) : { starts: [], notServers: [] };
      for (const n of scripts.notServers)
        ctx.problem({ ...n.source, message: `${b.label}: ${n.source.file}:${n.source.line}, a script of the repo, starts it (\`${n.text.slice(0, 160)}\`), but ${n.why}: it is not taken as the servers' start, and its options are not the servers'`, severity: "warning" });
      const byScript = scripts.starts;
      if (byScript.length) {
        out.push(scriptWorker(ctx, b, base, byScript[0]!));
        continue;
      }
      // Only the lockfile names it: nothing says the servers ever ran its workers. A gem another
      // gem pulled in (resque-scheduler under capistrano-resque) is not even mentioned.
      if (direct) {
        // A generic role the adapter gives to another backend: named, with the adapter's line.
        const a = against[0];
        const lines = [...new Map(against.map((x) => [`${x.adapter.source.file}:${x.adapter.source.line}`, x])).values()];
        const adapterWhy = a ? `; the ${[...new Set(against.map((x) => x.role))].join("/")} role of stage${new Set(against.map((x) => x.stage)).size > 1 ? "s" : ""} ${[...new Set(against.map((x) => x.stage))].join(", ")} is no sign of it: the app's Active Job adapter there is another backend (${lines.map((x) => `:${x.adapter.adapter} at ${x.adapter.source.file}:${x.adapter.source.line}`).join(", ")})` : "";
        out.push({
          ...base,
          name: `worker-${b.id}`,
          ...standardCommand(b),
          carried: false,
          notStarted: true,
          why: `${gemName} is in Gemfile.lock, but nothing in the repo starts its workers (no Procfile line, service file, Capistrano plugin, hook or task, no server with its role)${adapterWhy}; no Deployment is generated`,
          ...(a ? { evidence: [...base.evidence, ...lines.map((x) => ({ value: `${x.stage}: Active Job's queue adapter is :${x.adapter.adapter}`, source: x.adapter.source }))] } : {}),
        });
      }
      continue;
    }
    if (placed && placed.every((x) => x.p.where === "web")) {
      const first = placed[0]!.p;
      out.push({
        ...base,
        name: `worker-${b.id}`,
        ...standardCommand(b),
        carried: false,
        why: `it ran inside the web server on every stage (${placed.map((x) => `${x.stage.name}: ${x.p.why}`).join("; ")})`,
        inWeb: { why: placed.map((x) => `${x.stage.name}: ${x.p.why}`).join("; "), source: first.source ?? evidence[0]!.source },
      });
      continue;
    }
    const perStage = placed?.some((x) => x.p.where === "web")
      ? Object.fromEntries(placed.map((x) => [x.stage.name, { processes: x.p.where === "web" ? 0 : 1, why: x.p.why, source: x.p.source }]))
      : undefined;
    for (const x of placed ?? [])
      if (x.p.where === "unknown")
        ctx.problem({ ...(x.p.source ?? x.stage.source), message: `${b.label}, stage ${x.stage.name}: ${x.p.why}; a worker Deployment is emitted (if the web server ran the jobs too, both now take them)`, severity: "warning" });
    if (placed) for (const x of placed) if (x.p.source) evidence.push({ value: `${x.stage.name}: ${x.p.why}`, source: x.p.source });
    // Started only by servers' roles, and on some stages the role is a generic one whose Active Job
    // adapter there is another backend's: those stages never ran it (the same counter-evidence as
    // above, per stage), so their overlay has none of it; the other stages keep one per server.
    const adapterStages = !perStage && !own && !tasks.length && !restart && !placed && roleStarted && against.length ? adapterPerStage(b, stages, against, (base as { processesVariable?: string }).processesVariable) : undefined;
    const extra = perStage ? { perStage } : dlssStages ? { perStage: dlssStages } : adapterStages ? { perStage: adapterStages } : {};
    if (adapterStages) for (const x of against) evidence.push({ value: `${x.stage}: Active Job's queue adapter is :${x.adapter.adapter}, so its ${x.role} role ran no ${b.label}`, source: x.adapter.source });
    let scriptWhy: { unknown: string; source: Source } | null = null;
    // The deploy's own line that starts the script outranks a Procfile nothing on the servers ran
    // (a development Procfile), as the web server's choice does (analyzers/appserver/started.ts).
    const procfileUnrun = b.id === "delayed-job" && ownLines.length > 0 && !ownServices.length && tasks.some((t) => t.runs?.script) && !procfileRunByDeploy(ctx);
    const unrunNote = `the deploy's own task starts the workers; ${ownLines.map((p) => `${p.source.file}:${p.source.line}`).join(", ")} is in a Procfile no deploy line runs (no foreman or other Procfile runner), so it did not decide the command`;
    // The same rule for every backend: a hooked task's own start of it (`start_resque.sh` on
    // roles(:worker)) outranks a Procfile no deploy line runs (analyzers/workers/deploy-task-lines.ts).
    const deployStart = b.id !== "delayed-job" && ownLines.length > 0 && !ownServices.length && !exported && !procfileRunByDeploy(ctx) ? deployStartsOf(ctx, cap, b)[0] : undefined;
    if (deployStart) {
      out.push(deployStartWorker(ctx, b, { ...base, ...extra }, deployStart, ownLines, stages));
      continue;
    }
    if (b.id === "delayed-job" && (!ownLines.length || procfileUnrun)) {
      // The repo's daemon script, as a service file or the team's own task ran it: its options read.
      const task = tasks.find((t) => t.runs?.script);
      const runs = ownServices.length ? ownServices.map((s) => ({ command: s.command, source: s.source, service: s as ServiceLine | undefined })) : task ? [{ command: scriptLiteral(task.runs!.text) ?? "", source: task.runs!.source, service: undefined }] : scriptRuns.map((r) => ({ ...r, service: undefined }));
      const ws = delayedJobScriptWorkers(ctx, b, { ...base, ...extra }, runs);
      if (ws && "unknown" in ws) scriptWhy = ws;
      else if (ws) {
        out.push(...(procfileUnrun ? ws.map((w) => ({ ...w, commandNote: w.commandNote ? `${w.commandNote}; ${unrunNote}` : unrunNote })) : ws));
        continue;
      }
    }
    const before = out.length;
    // God files kept per stage, or a god loop giving its processes different env (QUEUE, WORKERS): analyzers/workers/god-stages.ts.
    // A line of the repo's delayed_job script that could not be read (scriptWhy) is no command to run as written (`bin/delayed_job start` daemonizes).
    const lineCommand = (line: string, from: "procfile" | "service", source: Source): Command => (scriptWhy ? { ...standardCommand(b), commandSource: source } : commandOf(b, line, from, source, layout));
    const god = !ownLines.length && ownServices.length ? godStageWorkers(ctx, { ...base, ...extra }, ownServices, stages, (l) => lineCommand(l.command, "service", l.source)) : null;
    if (god) {
      out.push(...god);
    } else if (ownLines.length && !procfileUnrun) {
      for (const p of ownLines) perItem(ctx, p.source, `this ${b.label} Procfile line`, undefined, () => {
        warnPinnedEnv(ctx, stages, p.command, p.source, `${b.label} (${p.source.file} ${p.name})`);
        // A line the deploy's foreman ran: its switch of the servers' Ruby off, its roles, count and stop from the run.
        const run = exported ? runOf(exported, p) : null;
        const un = run ? withoutRubySwitch(p.command) : { command: p.command, switch: null };
        const w = withTimeout(ctx, b, { ...base, ...extra, ...commandOf(b, un.command, "procfile", p.source, layout), name: ownLines.length > 1 ? `worker-${b.id}-${slug(p.name)}` : `worker-${b.id}`, carried: true }, un.command, p.source);
        out.push(run ? withForemanRun(ctx, w, p, run, un.switch, stages) : w);
      });
    } else if (ownServices.length > 1 && ownServices.every((x) => UNIT_FILE.test(x.source.file))) {
      // One systemd unit per process kind (a queue each): each is a worker, on the roles the deploy restarts it on.
      for (const x of ownServices) perItem(ctx, x.source, `this ${b.label} unit file`, undefined, () => {
        const unit = x.source.file.replace(/^.*\//, "").replace(UNIT_FILE, "");
        const on = unitPlacement(ctx, unit, startedUnits);
        const line = unitCommand(ctx, b, x);
        const w = withTimeout(ctx, b, { ...base, ...extra, ...lineCommand(line, "service", x.source), name: `worker-${b.id}-${slug(unit)}`, carried: true }, x.command, x.source);
        out.push(on ? { ...w, roles: on.roles, evidence: [...w.evidence, { value: `the deploy restarts ${unit} on ${on.primary ? "primary" : "roles"}(${on.roles.map((r) => `:${r}`).join(", ")})`, source: on.source }], ...(on.primary ? { primaryOnly: { role: on.roles[0]!, source: on.source } } : {}) } : w);
      });
    } else if (ownServices.length === 1) {
      warnPinnedEnv(ctx, stages, ownServices[0]!.command, ownServices[0]!.source, b.label);
      out.push(withGodCount(ctx, withTimeout(ctx, b, { ...base, ...extra, ...lineCommand(ownServices[0]!.command, "service", ownServices[0]!.source), name: `worker-${b.id}`, carried: true }, ownServices[0]!.command, ownServices[0]!.source), ownServices[0]!));
    } else {
      const task = tasks.find((t) => t.runs?.script);
      if (b.id === "delayed-job" && task) {
        // The team's task ran the repo's daemon script (`bin/delayed_job start`, Daemons): `run` is
        // the same script in the foreground, as a container needs it.
        const r = task.runs!;
        out.push({ ...base, ...extra, name: `worker-${b.id}`, args: ["bundle", "exec", r.script!, "run"], env: {}, commandFrom: "capistrano", commandSource: r.source, commandNote: `the deploy's own task ${task.name} runs ${r.script} as a daemon; the pod runs it in the foreground (run)${procfileUnrun ? `; ${unrunNote}` : ""}`, queues: [], carried: true });
      } else {
        if (ownServices.length > 1) manyServiceFiles(ctx, b, ownServices);
        out.push({ ...base, ...extra, ...standardCommand(b), name: `worker-${b.id}`, carried: true });
      }
    }
    if (queWhy) for (let i = before; i < out.length; i++) if (out[i]!.commandFrom === "standard") out[i] = { ...out[i]!, commandSource: queWhy.source, commandNote: `${queWhy.source.file}:${queWhy.source.line} starts que, but ${queWhy.unknown}: the backend's standard command runs instead` };
    // Why the repo's own script line did not become the command, in place of a generic note.
    if (scriptWhy) for (let i = before; i < out.length; i++) if (out[i]!.commandFrom === "standard") out[i] = { ...out[i]!, commandSource: scriptWhy.source, commandNote: `${scriptWhy.source.file}:${scriptWhy.source.line} runs the repo's delayed_job script, but ${scriptWhy.unknown}: the backend's standard command runs instead` };
  }
  for (const x of ignoredAdapter.values())
    ctx.problem({ ...x.source, message: `active_job.queue_adapter: this assignment to config.active_job.queue_adapter changes nothing: ActiveJob::Base was already loaded (${x.loadedAt.file}:${x.loadedAt.line}), and Rails copies the config onto it only when it loads; the adapter is the one set before`, severity: "warning" });
  for (let i = 0; i < out.length; i++) {
    const w = out[i]!;
    // A stage the worker's own reading already runs none on (its plugin not loaded there) keeps that reason.
    const gate = Object.entries(gates.get(w.backend) ?? {}).filter(([stage]) => w.perStage?.[stage]?.processes !== 0);
    if (gate.length && w.carried && !w.offStages) out[i] = { ...w, offStages: Object.fromEntries(gate) };
  }
  // The worker stays where the deploy never started it (the app has it), labelled so; said once per line.
  for (const [backend, none] of unstarted) {
    const carried = out.map((w, i) => [w, i] as const).filter(([w]) => w.backend === backend && w.carried);
    if (!carried.length) continue;
    const on = none.filter((n) => carried.some(([w]) => !w.offStages?.[n.stage] && w.perStage?.[n.stage]?.processes !== 0));
    for (const [w, i] of carried) {
      const mine = on.filter((n) => !w.offStages?.[n.stage] && w.perStage?.[n.stage]?.processes !== 0);
      if (mine.length) out[i] = { ...w, notStartedByDeploy: Object.fromEntries(mine.map((n) => [n.stage, { why: n.why, source: n.source }])) };
    }
    const byLine = new Map<string, typeof on>();
    for (const n of on) byLine.set(`${n.source.file}:${n.source.line}`, [...(byLine.get(`${n.source.file}:${n.source.line}`) ?? []), n]);
    for (const group of byLine.values()) {
      const names = group.map((n) => n.stage);
      ctx.problem({ ...group[0]!.source, severity: "warning", message: `workers.not-started-by-deploy: ${group[0]!.words(names)}. Its worker is carried with the replicas of its servers (the app has ${carried[0]![0].label}), labelled in the overlay and MIGRATION.md; if those stages ran none, set their replicas to 0` });
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = withSupervisor(out[i]!, supervised, GUESSED_ROLES.has(out[i]!.roles));
  if (msUnits.length)
    for (let i = 0; i < out.length; i++) {
      const b = JOB_BACKENDS.find((x) => x.id === out[i]!.backend);
      if (b && out[i]!.carried) out[i] = withMultiservice(ctx, b, out[i]!, msUnits, otherStarts.get(b.id) ?? true, out.filter((w) => w.backend === b.id && w.carried).length === 1, (b2, l, f, src) => commandOf(b2, l, f, src, layout));
    }
  for (const w of monitoredRestarts(ctx, cap, JOB_BACKENDS, out)) ctx.problem({ ...w.source, message: w.message, severity: "warning" });
  // resque-scheduler is a process of its own only when Resque runs at all.
  // Names are Deployment suffixes: unique across backends (a Resque queue named "scheduler").
  const used = new Set<string>();
  return out.map((w) => withoutSecretArgs(ctx, withoutSecretEnv(ctx, w))).map((w) => {
    let name = w.name;
    for (let i = 2; used.has(name); i++) name = `${w.name}-${i}`;
    used.add(name);
    const guessed = GUESSED_ROLES.has(w.roles) ? { rolesGuessed: true as const } : {};
    return name === w.name && !guessed.rolesGuessed ? w : { ...w, name, ...guessed };
  });
}

/**
 * The worker a repo script starts when nothing in the deploy does: its line as the pod's command where
 * the backend's line reader takes it (Shoryuken's), else named and not carried; where it ran is not
 * known (the usual roles, said as guessed), and who ran the script is said.
 */
function scriptWorker(ctx: AnalyzerContext, b: JobBackend, base: Omit<WorkerFacts, "name" | keyof Command | "carried">, s: ScriptStart): WorkerFacts {
  const at = (x: Source) => `${x.file}:${x.line}`;
  const who = s.runBy.length
    ? `${s.runBy.map(at).join(", ")} name${s.runBy.length > 1 ? "" : "s"} the script`
    : `nothing in the deploy or config/schedule.rb runs the script: the servers ran it by hand or from a crontab the repo does not hold`;
  const evidence = [...base.evidence, { value: `${s.source.file} starts it: ${s.text.slice(0, 160)}`, source: s.source }];
  const un = b.id === "shoryuken" ? unwrapCommand(s.text, (ws) => backendOfCommand(ws.join(" ")) === b) : null;
  const r = un ? shoryukenLine(un.words, ctx.repo.paths) : null;
  if (!r || "unknown" in r) {
    const why = r && "unknown" in r ? r.unknown : un === null && b.id === "shoryuken" ? "the line's shell syntax is not read" : `no reader of ${b.label}'s command line takes a script's line`;
    return { ...base, evidence, name: `worker-${b.id}`, ...standardCommand(b), commandSource: s.source, carried: false, why: `${at(s.source)}, a script of the repo, starts it (${who}), but ${why}: no Deployment is generated; carry it by hand from that line` };
  }
  ctx.problem({ ...s.source, message: `${b.label}: ${at(s.source)}, a script of the repo, starts it; ${who}. The worker runs that line in the foreground on every stage; on which servers and how many it ran is not in the repo (the usual worker roles are used): check the servers' crontab and processes`, severity: "warning" });
  const w: WorkerFacts = { ...base, evidence, name: `worker-${b.id}`, args: r.args, env: r.env, commandFrom: "service", commandSource: s.source, queues: r.queues, commandNote: `${at(s.source)} starts it (${who})${r.dropped.length ? `; the pod runs it in the foreground: left out ${r.dropped.map((d) => `\`${d}\``).join(", ")} (a daemon's pid and log files)` : ""}`, carried: true };
  const c = shoryukenConfig(ctx, w, r.config ? `-C ${r.config}` : "");
  return r.timeout !== null ? { ...c, stopTimeout: { seconds: r.timeout, source: s.source } } : c;
}

/** The worker of a task's several units (own-task-units.ts): the task's roles, one pod per unit per server. */
function unitsWorker(ctx: AnalyzerContext, b: JobBackend, base: Omit<WorkerFacts, "name" | "args" | "env" | "commandFrom" | "commandSource" | "queues" | "carried">, u: OwnUnits, procfile: ProcfileEntry[], stages: Stage[]): WorkerFacts {
  const at = (x: Source) => `${x.file}:${x.line}`;
  const on = `${u.on.primary ? "primary" : "roles"}(${u.on.roles.map((r) => `:${r}`).join(", ")})`;
  const why = `${u.units.length} unit${u.units.length > 1 ? "s" : ""} (${u.units.map((x) => `\`${x}\``).join(", ")}) that task ${u.task} starts on ${on}, one process each`;
  const hookWhy = u.condition
    ? `the hook that runs ${u.task} (${at(u.hook)}) is under a condition of the deploying shell (${at(u.condition)}), so not every deploy restarted them; a deploy that did found them on those servers, which ran them between deploys too`
    : `the deploy runs ${u.task} (${at(u.hook)})`;
  const std = standardCommand(b);
  for (const [i, l] of u.lines.entries())
    ctx.problem({
      ...l,
      message: `${b.label}: task ${u.task} starts the unit \`${u.units[i]}\` on ${on}; its ExecStart is on the servers, not in the repo: the worker runs ${b.label}'s standard command \`${[...Object.entries(std.env).map(([k, v]) => `${k}=${v}`), ...std.args].join(" ")}\` (the backend's default, not what the unit ran: its queues and options are not known); read the unit on a server and set the worker's command`,
      severity: "warning",
    });
  const idle = procfile.length ? `; ${procfile.map((p) => at(p.source)).join(", ")} is in a Procfile no deploy line runs, so it did not decide the command` : "";
  return {
    ...base,
    roles: u.on.roles,
    ...(u.on.primary ? { primaryOnly: { role: u.on.roles[0]!, source: u.on.source } } : {}),
    evidence: [...base.evidence, { value: why, source: u.lines[0]! }, { value: hookWhy, source: u.condition ?? u.hook }],
    name: `worker-${b.id}`,
    ...std,
    commandSource: u.lines[0]!,
    commandNote: `the units' own command is on the servers (${hookWhy})${idle}`,
    carried: true,
    processesPerServer: { value: u.units.length, why, source: u.lines[0]! },
    ...offStagesOf(u.stages, stages, `the deploy's own task ${u.task}, which starts the units`, u.lines[0]!, u.hook, warnDoubt(ctx)),
  };
}

/**
 * A worker's line may set a credential before the command (`DATABASE_PASSWORD=… bin/delayed_job
 * start`, a Procfile `STRIPE_KEY=… bundle exec sidekiq`). Its value never reaches the worker's
 * Deployment, which is a tracked file, nor the model the report prints: the name is kept in a
 * warning, and the value belongs in the stage's secrets, which every pod reads.
 */
export function withoutSecretEnv(ctx: AnalyzerContext, w: WorkerFacts): WorkerFacts {
  const secret = Object.keys(w.env).filter((k) => secretEnvEntry(k, w.env[k]!));
  if (!secret.length) return w;
  const at = w.commandSource ?? w.evidence[0]?.source;
  // A systemd unit's values are on its Environment= lines, not on the ExecStart= line that starts it.
  const held = secret.map((name) => ({ name, source: (at && environmentLine(ctx, at.file, name)) ?? at ?? null }));
  const places = [...new Set(held.map((h) => h.source && `${h.source.file}:${h.source.line}`).filter(Boolean))];
  const who = w.name.startsWith("worker") ? w.name : `worker ${w.name}`;
  const first = held.find((h) => h.source)?.source;
  if (first) ctx.problem({ ...first, message: `${who}: ${places.length && places[0] !== (at && `${at.file}:${at.line}`) ? `its unit's Environment= (${places.join(", ")})` : "the line that starts it"} sets ${secret.join(", ")}, which look${secret.length > 1 ? "" : "s"} like ${secret.length > 1 ? "secrets" : "a secret"}; the value is not written into the worker's Deployment: ${secret.length > 1 ? "they are" : "it is"} listed in the stage's secrets.env.example, to fill in secrets.env, which every pod reads`, severity: "warning" });
  return { ...w, env: Object.fromEntries(Object.entries(w.env).filter(([k]) => !secret.includes(k))), secretEnv: [...(w.secretEnv ?? []), ...held.map((h) => ({ name: h.name, source: h.source }))] };
}

/**
 * A worker's command may give a credential as an argument (`--password s3cr3t`, `--token=…`, a
 * `redis://:pw@host` word): a flag and its value are two words, neither secret alone, so the words are
 * judged joined, as the line they were (init-scripts.ts reads a daemon's the same way). Such a worker
 * is not carried: its Deployment is a tracked file, and the value would be in it. Its words are kept
 * with the secret cut, and the warning says how to carry it (the process reads the value from an
 * environment variable in the stage's secrets.env).
 */
export function withoutSecretArgs(ctx: AnalyzerContext, w: WorkerFacts): WorkerFacts {
  const args = cutArgv(w.args, SECRET_SHOWN_AS);
  const opts = w.sidekiqOptions ? cutArgv(w.sidekiqOptions.words, SECRET_SHOWN_AS) : null;
  if (!args && !opts) return w;
  const shown = [...(args?.words ?? w.args), ...(opts?.words ?? [])].join(" ").slice(0, 160);
  const why = `its command holds a secret (\`${shown}\`): a secret never goes into a tracked Deployment. Have the process read it from an environment variable, put that variable in the stage's secrets.env, and carry the worker by hand`;
  const at = w.sidekiqOptions?.line ?? w.commandSource ?? w.evidence[0]?.source;
  const who = w.name.startsWith("worker") ? w.name : `worker ${w.name}`;
  if (at && w.carried) ctx.problem({ ...at, message: `${who}: not carried: ${why}`, severity: "warning" });
  return {
    ...w,
    args: args?.words ?? w.args,
    ...(w.sidekiqOptions && opts ? { sidekiqOptions: { ...w.sidekiqOptions, words: opts.words } } : {}),
    ...(w.carried ? { carried: false, why } : {}),
  };
}

/** The `Environment=` line of a systemd unit that sets `name`, if the file is one and holds it. */
function environmentLine(ctx: AnalyzerContext, file: string, name: string): Source | null {
  if (!/\.(?:service|socket|target)$/.test(file)) return null;
  const text = ctx.repo.read(file);
  if ("error" in text) return null;
  const lines = text.text.split(/\r?\n/);
  const i = lines.findIndex((l) => /^\s*Environment\s*=/.test(l) && new RegExp(`(?:^|[\\s="'])${name}=`).test(l.replace(/^\s*Environment\s*=/, " ")));
  return i >= 0 ? { file, line: i + 1 } : null;
}

/**
 * A unit named for the backend (`inst_jobs`, `inst-jobs`, `<app>-sneakers`, `sneakers_<app>`) that a
 * hooked task of the deploy restarts in literal `on roles(…)`, and whose file the repo does not hold:
 * its name and those roles. A restart no hook runs (a hand-run task) is no part of the deploy, as for
 * Sidekiq (sidekiq-own-task.ts).
 */
function unitRestartOf(ctx: AnalyzerContext, b: JobBackend, cap: CapistranoFacts | null): { unit: string; on: NonNullable<ReturnType<typeof unitPlacement>>; lines: Source[]; stages?: string[]; hook: Source } | null {
  const hooked = new Map(hookedTaskLines(ctx, cap).map((l) => [`${l.source.file}:${l.source.line}`, l]));
  const m = methodStarts(ctx);
  // Each unit with the hooked lines that restart it: the stages whose deploy runs one of them.
  const units = new Map<string, TaskLine[]>();
  for (const x of [...m.starts, ...m.direct]) {
    const line = hooked.get(`${x.source.file}:${x.source.line}`);
    if (line)
      for (const u of startedUnits(x.text.replace(/[:'",()]/g, " ").replace(/\s+/g, " ")).map((u) => u.replace(/\.(service|socket|target|timer)$/, "")))
        if (unitNamedFor(u, b) && !serviceFileOf(ctx, u)) units.set(u, [...(units.get(u) ?? []), line]);
  }
  for (const [unit, ls] of units) {
    const on = unitPlacement(ctx, unit, startedUnits);
    const stages = ls.some((l) => !l.stages) ? undefined : [...new Set(ls.flatMap((l) => l.stages!))];
    if (on) return { unit, on, lines: unitRestarts(ctx, unit, startedUnits).map((x) => x.source), ...(stages ? { stages } : {}), hook: ls[0]!.hook };
  }
  return null;
}

/** A unit's name holds one of the backend's names as a word of it (`orangelight-sneakers`, `inst_jobs@2`), as unit names join words. */
const unitNamedFor = (unit: string, b: JobBackend): boolean =>
  backendNames(b).some((n) => new RegExp(`(^|[-_.])${n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([-_.@]|$)`).test(unit));

/**
 * Processes per server on each stage of a worker only roles started: none on a stage whose generic
 * role the adapter gives to another backend (`against`); elsewhere the stage's processes variable
 * where it is a number, else one (backendWorkerReplicas' own reading, so those stages are unchanged).
 */
function adapterPerStage(b: JobBackend, stages: Stage[], against: { stage: string; role: string; adapter: { adapter: string; source: Source } }[], processesVariable: string | undefined): NonNullable<WorkerFacts["perStage"]> {
  const out: NonNullable<WorkerFacts["perStage"]> = {};
  for (const s of stages) {
    const a = against.find((x) => x.stage === s.name);
    if (a && !s.servers.some((sv) => sv.roles.some((r) => roleNames(b).includes(r) && !GENERIC_ROLES.includes(r)))) {
      out[s.name] = { processes: 0, why: `stage ${s.name}'s Active Job adapter is :${a.adapter.adapter} (${a.adapter.source.file}:${a.adapter.source.line}), another backend: its ${a.role} role ran that one, not ${b.label}`, source: a.adapter.source };
      continue;
    }
    const v = processesVariable ? s.variables[processesVariable] : undefined;
    const n = numberOf(v?.value);
    out[s.name] = n !== null && v ? { processes: n, why: `${processesVariable} on stage ${s.name}`, source: v.source } : { processes: 1, why: `one per server of its role on stage ${s.name}`, source: null };
  }
  return out;
}

/** Where GoodJob / Solid Queue ran on each stage (analyzers/workers/in-web.ts). */
function placements(ctx: AnalyzerContext, b: JobBackend, stages: Stage[], procfile: ProcfileEntry[], cap: CapistranoFacts | null): { stage: Stage; p: Placement }[] | null {
  if (!stages.length) return null;
  return stages.map((stage) => ({ stage, p: b.id === "good-job" ? goodJobPlacement(ctx, stage, procfile) : solidQueuePlacement(ctx, stage, procfile, cap?.requires ?? []) }));
}

/**
 * A drain timeout the servers' command line set (analyzers/workers/timeouts.ts). When the line was
 * not run as is, the flag is added to the standard command, so the pod drains as the servers did.
 */
function withTimeout(ctx: AnalyzerContext, b: JobBackend, w: WorkerFacts, line: string, source: Source): WorkerFacts {
  if (b.id === "shoryuken") return shoryukenConfig(ctx, w, line);
  if (b.id !== "good-job") return w;
  const t = goodJobShutdownTimeout(line, source);
  if (!t) return w;
  w.evidence = [...w.evidence, { value: `${t.written} on the command line${t.seconds < 0 ? " (no limit: it waits for running jobs)" : ""}`, source }];
  if (t.seconds < 0) return w;
  const args = w.commandFrom === "standard" && !w.args.some((a) => a.startsWith("--shutdown-timeout")) ? [...w.args, "--shutdown-timeout", String(t.seconds)] : w.args;
  return { ...w, args, stopTimeout: { seconds: t.seconds, source } };
}

/**
 * Shoryuken's `-C` file: kept on the standard command when the repo holds it (its queues are there;
 * Shoryuken refuses to start without any), and its `timeout:` is the drain timeout.
 */
function shoryukenConfig(ctx: AnalyzerContext, w: WorkerFacts, line: string): WorkerFacts {
  const file = configFlagPath(line);
  if (!file || !ctx.repo.paths.includes(file)) return w;
  const args = w.commandFrom === "standard" && !w.args.includes("-C") ? [...w.args, "-C", file] : w.args;
  const y = readErbYaml(ctx, file);
  const t = y && isHash(y.value) ? (y.value["timeout"] ?? y.value[":timeout"]) : undefined;
  if (typeof t !== "number" || t < 0) return { ...w, args };
  const key = y && isHash(y.value) && "timeout" in y.value ? "timeout" : ":timeout";
  return { ...w, args, stopTimeout: { seconds: Math.ceil(t), source: { file, line: y!.lineOf([key]) } } };
}

function sidekiqWorker(b: JobBackend, sk: SidekiqFacts, _stages: Stage[]): WorkerFacts {
  const timeout = typeof sk.timeout?.value === "number" && sk.file && sk.timeout.source.file === sk.file ? sk.timeout : null;
  return {
    backend: b.id,
    label: b.label,
    drain: b.drain,
    name: "worker",
    args: [],
    env: {},
    commandFrom: "sidekiq",
    commandSource: sk.file ? { file: sk.file, line: 1 } : null,
    queues: sk.queues.map((q) => String(Array.isArray(q.value) ? q.value[0] : q.value)),
    stopSignal: b.stopSignal,
    stopTimeout: { seconds: typeof sk.timeout?.value === "number" ? sk.timeout.value : b.stopTimeout, source: timeout?.source ?? null },
    roles: ["sidekiq", "worker"],
    evidence: sk.evidence,
    carried: true,
  };
}

type Command = Pick<WorkerFacts, "args" | "env" | "commandFrom" | "commandSource" | "commandNote" | "queues">;

/**
 * The repo's line as argv: its wrappers, a `cd` into the release and the servers' Ruby placement off,
 * its assignments as env (analyzers/workers/start-line.ts); else the standard command, saying why at
 * the line. The one reader of a worker's start line, whichever supervisor ran it.
 */
export function commandOf(b: JobBackend, line: string, from: "procfile" | "service", source: Source, layout: ServerLayout = []): Command {
  // Resque's rake task daemonizes on BACKGROUND and writes PIDFILE: a pod runs it in the foreground, without either.
  const r = readStartLine(line, (ws) => !!backendOfCommand(ws.join(" ")), b.id === "resque" ? RESQUE_DAEMON_VARS : [], layout);
  if ("unknown" in r) {
    const std = standardCommand(b);
    return { ...std, commandSource: source, commandNote: `the ${from === "service" ? "start" : "Procfile"} line at ${source.file}:${source.line} (${line.trim().slice(0, 160)}) is not read: ${r.unknown}; the backend's standard command runs instead` };
  }
  const words = r.words;
  const env = r.env;
  const notes = [...r.notes];
  if (b.id === "resque") {
    // The same two as rake's own arguments (`rake resque:work PIDFILE=…`).
    const daemon = words.filter((w) => RESQUE_DAEMON_VARS.some((v) => w.startsWith(`${v}=`)));
    for (let i = words.length - 1; i >= 0; i--) if (daemon.includes(words[i]!)) words.splice(i, 1);
    if (daemon.length) notes.push(`left out ${[...new Set(daemon.map((w) => w.split("=")[0]!))].join(", ")} (a daemon's; the pod runs it in the foreground)`);
  }
  // rake's own `RAILS_ENV=production` argument would win over the stage's too (pinned-env.ts).
  for (const i of pinnedEnvArgIndexes(words).reverse()) words.splice(i, 1);
  return { args: words, env, commandFrom: from, commandSource: source, queues: queuesOf(words, env), ...(notes.length ? { commandNote: notes.join("; ") } : {}) };
}

const RESQUE_DAEMON_VARS = ["PIDFILE", "BACKGROUND"];

function standardCommand(b: JobBackend): Command {
  // Resque's worker refuses to start without QUEUE; `*` is every queue, as its README starts it.
  const env: Record<string, string> = b.queueEnv ? { [b.queueEnv]: "*" } : {};
  return { args: [...b.standardCommand], env, commandFrom: "standard", commandSource: null, queues: b.queueEnv ? ["*"] : [] };
}

/**
 * The queues a worker's line names: its env (QUEUES/QUEUE, as Resque and delayed_job read them), where
 * rake's own `NAME=value` arguments (also through `rails`, which hands them to rake) count as env (`rake resque:work QUEUE=mail`: rake sets ENV from
 * each such argument before it runs the task, and a later one wins), else the command's flags.
 */
function queuesOf(args: string[], env: Record<string, string>): string[] {
  const all = { ...env };
  const rake = args.findIndex((a) => /(^|\/)(rake|rails)$/.test(a));
  if (rake >= 0)
    for (const a of args.slice(rake + 1)) {
      const m = /^(QUEUES?)=(.*)$/.exec(a);
      if (m) all[m[1]!] = m[2]!;
    }
  const fromEnv = all["QUEUES"] ?? all["QUEUE"];
  if (fromEnv !== undefined) return fromEnv.split(",").filter(Boolean);
  return queuesFromArgs(args);
}

/** Deploy lines (task files, not service files) whose string starts the repo's delayed_job script. */
function deployScriptRuns(ctx: AnalyzerContext): { command: string; source: Source }[] {
  const out: { command: string; source: Source }[] = [];
  for (const l of startLines(ctx)) {
    if (l.service) continue;
    const lit = scriptLiteral(l.text);
    if (lit && readDelayedJobScript(lit, ctx.repo.paths) !== null) out.push({ command: lit, source: l.source });
  }
  return out;
}

/** The deploy line that starts one of these service files by its file name (`god start -c …/worker.god`). */
function deployStartOf(ctx: AnalyzerContext, services: { command: string; source: Source }[]): { service: { command: string; source: Source }; source: Source } | null {
  if (!services.length) return null;
  for (const l of startLines(ctx)) {
    if (l.service) continue;
    const service = services.find((x) => l.text.includes(x.source.file.split("/").pop()!.replace(/\.erb$/, "")));
    if (service) return { service, source: l.source };
  }
  return null;
}

const GENERIC_ROLES = ["worker", "workers", "jobs"];

/**
 * The Gemfile asks for the backend: by its own gem, or by one of its extension gems, which carry
 * the gem's name as a prefix and require it (`gem "delayed_job_active_record"` is how delayed_job is
 * asked for: the Gemfile never names delayed_job itself).
 */
function askedFor(b: JobBackend, rails: RailsFacts): boolean {
  const asked = Object.keys(rails.gemGroups);
  return backendGems(b).some((g) => asked.some((a) => a === g || a.startsWith(`${g}_`) || a.startsWith(`${g}-`)));
}

/** A providing gem counts from its row's first version on (a backend's own gem always does). */
function providedAt(gem: string, version: string): boolean {
  const p = providingGem(gem);
  if (!p) return true;
  const a = version.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  const b = p.since.split(".").map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < b.length; i++) {
    const x = Number.isNaN(a[i]!) || a[i] === undefined ? 0 : a[i]!;
    if (x !== b[i]) return x > b[i]!;
  }
  return true;
}
const APP_SERVER = /\b(unicorn(_rails)?|puma|thin|passenger|falcon|rails\s+s(erver)?)\b/;

/**
 * The first line of a repo script a command runs (`rails runner bin/x.rb`, `ruby lib/y.rb`), or of a
 * file that script loads with require_relative, that names the backend.
 */
function scriptMention(ctx: AnalyzerContext, command: string, mention: RegExp): { file: string; text: string; source: Source } | null {
  const queue = command.split(/\s+/).map((w) => w.replace(/^\.\//, "")).filter((w) => ctx.repo.paths.includes(w));
  const seen = new Set<string>();
  while (queue.length && seen.size < 8) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const ls = r.text.split(/\r?\n/);
    for (let i = 0; i < ls.length; i++) {
      if (mention.test(ls[i]!)) return { file, text: ls[i]!.trim().slice(0, 120), source: { file, line: i + 1 } };
      const req = /^\s*require_relative\s+["']([^"']+)["']/.exec(ls[i]!);
      if (req) {
        const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
        const target = (dir + req[1]!.replace(/^\.\//, "")).replace(/(\.rb)?$/, ".rb");
        if (ctx.repo.paths.includes(target)) queue.push(target);
      }
    }
  }
  return null;
}

interface OwnTask {
  name: string;
  source: Source;
  /** The backend's script or command the task's body runs, when one of its lines names it. */
  runs: { text: string; source: Source; script: string | null } | null;
}

/**
 * Deploy tasks the repo defines in the backend's namespace (`namespace :delayed_job do task :restart`):
 * the team's own start/restart of its workers, evidence that the servers ran them.
 */
function ownTasks(ctx: AnalyzerContext, b: JobBackend, cap: CapistranoFacts | null): OwnTask[] {
  const prefix = b.id.replace(/-/g, "_");
  const out: OwnTask[] = [];
  for (const t of cap?.tasks ?? []) {
    if (!t.name.startsWith(`${prefix}:`) || !/:(start|restart|run|reload)$/.test(t.name)) continue;
    const r = ctx.repo.read(t.source.file);
    let runs: OwnTask["runs"] = null;
    if (!("error" in r)) {
      const ls = r.text.split(/\r?\n/);
      const indent = /^(\s*)/.exec(ls[t.source.line - 1] ?? "")![1]!.length;
      for (let i = t.source.line; i < ls.length && i < t.source.line + 30; i++) {
        const line = ls[i]!;
        if (line.trim() && /^(\s*)/.exec(line)![1]!.length <= indent) break;
        // a commented-out line is what the task no longer runs
        if (/^\s*#/.test(line)) continue;
        // The first repo script of the backend on the line (`$HOME/.rbenv/bin/rbenv exec ruby ./bin/delayed_job` names rbenv's first).
        const script = [...line.matchAll(/[:'"\s/]((?:bin|script)\/[\w-]+)/g)].find((m) => ctx.repo.paths.includes(m[1]!) && b.command.test(m[1]!)) ?? /[:'"\s/]((?:bin|script)\/[\w-]+)/.exec(line);
        if ((script && ctx.repo.paths.includes(script[1]!) && b.command.test(script[1]!)) || b.command.test(line)) {
          runs = { text: line.trim(), source: { file: t.source.file, line: i + 1 }, script: script && ctx.repo.paths.includes(script[1]!) ? script[1]! : null };
          break;
        }
      }
    }
    out.push({ name: t.name, source: t.source, runs });
  }
  return out;
}

/** Roles that mean "this server ran the backend": its own name, the plugins' role names, `worker`. */
export function roleNames(b: JobBackend): string[] {
  const u = b.id.replace(/-/g, "_");
  const extra = b.id === "resque" ? ["resque_worker"] : b.id === "resque-scheduler" ? ["resque_scheduler"] : [];
  return [u, b.id, ...extra, ...GENERIC_ROLES];
}

/**
 * Role lists rolesOf fell back to: the deploy never said where the process ran. A worker keeps
 * that very array unless a plugin or an `on roles(...)` gave it its own.
 */
const GUESSED_ROLES = new WeakSet<string[]>();

/** The plugin's `<backend>_roles` variable on any stage, else the role names above. */
function rolesOf(b: JobBackend, stages: Stage[], pluginDefault: string[] | null = null): string[] {
  const u = b.id.replace(/-/g, "_");
  for (const s of stages) {
    const v = s.variables[`${u}_roles`]?.value ?? s.variables[`${u}_role`]?.value;
    const list = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : x && typeof x === "object" && "sym" in x ? String((x as { sym: string }).sym) : null)).filter((x): x is string => !!x);
    if (list.length) return list;
  }
  if (pluginDefault) return pluginDefault;
  // Servers holding a role named for the backend (`sneakers`): those ran it, not every generic worker server.
  const named = [...new Set(roleNames(b))].filter((r) => !GENERIC_ROLES.includes(r) && stages.some((s) => s.servers.some((sv) => sv.roles.includes(r))));
  if (named.length) {
    GUESSED_ROLES.add(named);
    return named;
  }
  const guess = roleNames(b);
  GUESSED_ROLES.add(guess);
  return guess;
}

/** capistrano-resque-pool's roles: `resque_server_roles`, else :app (its `workers` helper). */
function resquePoolRoles(stages: Stage[]): string[] {
  for (const s of stages) {
    const v = s.variables["resque_server_roles"]?.value;
    const list = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : x && typeof x === "object" && "sym" in x ? String((x as { sym: string }).sym) : null)).filter((x): x is string => !!x);
    if (list.length) return list;
  }
  return ["app"];
}

interface ServiceLine {
  command: string;
  source: Source;
  /** A god file's loop around the watch: processes per server, or why the count is not known. */
  count?: ReturnType<typeof godWatchCount>;
  /** The god watch's stop_timeout and memory restart, where it sets them (`by`: the supervisor, when not god). */
  god?: ReturnType<typeof godWatchStop> & { by?: string };
  /** A god loop whose watches compute different commands (the loop variable in them): how many; the first is carried. */
  variants?: number;
  /** What else the file says about the start (an init script's installer, its exports): the worker's evidence. */
  evidence?: Fact<string>[];
}

function serviceLines(ctx: AnalyzerContext, layout: ServerLayout): ServiceLine[] {
  const out: ServiceLine[] = [];
  for (const file of ctx.repo.paths.filter(isServiceFile)) perItem(ctx, { file }, "this worker source (unit, god or monit file)", undefined, () => {
    const r = ctx.repo.read(file);
    if ("error" in r) return;
    // A god file is Ruby that god loads: its `w.start` is what that Ruby computes (god-starts.ts).
    const godFile = /\.god$/.test(file) || (/(^|\/)god\//.test(file) && !/\.erb$/.test(file) && /^\s*w\.start\s*=/m.test(r.text)) ? godStarts(file, r.text) : null;
    const saidRoots = new Set<string>();
    r.text.split(/\r?\n/).forEach((text, i) => perItem(ctx, { file, line: i + 1 }, "this worker start line", undefined, () => {
      if (!START_LINE.test(text)) return;
      const rest = text.replace(START_LINE, "").trim();
      // A quoted command ends at its closing quote (monit's `"…" as uid app` goes on after it).
      const q = /^["']/.test(rest) ? rest[0]! : null;
      let command = q && rest.lastIndexOf(q) > 0 ? rest.slice(1, rest.lastIndexOf(q)) : rest;
      const god = /^\s*w\.start\s*=/.test(text);
      const computed = god ? godFile?.starts.get(i + 1) : undefined;
      if (computed?.command) command = computed.command;
      else if (computed?.unknown) {
        // Never dropped: what the line starts is not known, so whether it is a job worker is not either.
        const u = computed.unknown;
        // The line as written may still name its backend (`… rake jobs:work -i #{n}` in a loop whose count is computed): read as written, as before.
        const asWritten = !!backendOfCommand(command);
        ctx.problem({ file, line: i + 1, message: `the god watch's start command (${rest.slice(0, 120)}) is not known statically: ${u.reason} (${u.source.file}:${u.source.line}); ${asWritten ? "it is read as written" : "whether it starts a job worker, and with what, is not read"}`, severity: "warning" });
        if (!asWritten) return;
      }
      if (!backendOfCommand(command)) return;
      const count = god ? godWatchCount(file, r.text, i) : null;
      const stop = god ? godWatchStop(file, r.text, i) : {};
      if (computed && godFile) godRootDoubt(ctx, godFile.roots, command, layout, saidRoots);
      const variants = computed && computed.commands.length > 1 ? { variants: computed.commands.length } : {};
      out.push({ command, source: { file, line: i + 1 }, ...(count ? { count } : {}), ...(stop.stopTimeout || stop.memory ? { god: stop } : {}), ...variants });
    }));
    // An init script's start is its `start)` branch with its variables filled in, not one line (init-script-lines.ts).
    if (!out.some((x) => x.source.file === file)) {
      const init = initScriptBackendLine(ctx, file, r.text);
      if (init) out.push(init);
    }
  });
  return out;
}

/**
 * A god file whose start changes into a directory its constant or local names (`RAILS_ROOT =
 * "/home/x/app/current"`, `cd #{RAILS_ROOT}`) that no stage's layout has (its deploy_to, current path or releases): the file may have been
 * written for other servers than this deploy's. Said once per name, per stage; the watches are still
 * read as this deploy's.
 */
function godRootDoubt(ctx: AnalyzerContext, roots: { name: string; value: string; source: Source }[], command: string, layout: ServerLayout, said: Set<string>): void {
  for (const root of roots) {
    const v = root.value.replace(/\/+$/, "");
    // Only the directory the start changes into: that is where god ran the app.
    if (said.has(root.name) || !new RegExp(`(^|[\\s;&|'"(])cd\\s+${v.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/?(?=$|[\\s;&|'")])`).test(command)) continue;
    said.add(root.name);
    const off = layout.filter((l) => v !== l.current && v !== l.deployTo && !v.startsWith(`${l.releases}/`));
    if (!off.length) continue;
    // Stages with the same layout are said once.
    const places = [...new Map(off.map((l) => [l.current, l])).values()].map((l) => `${l.current} (deploy_to at ${l.source.file}:${l.source.line}; stage${off.filter((o) => o.current === l.current).length > 1 ? "s" : ""} ${off.filter((o) => o.current === l.current).map((o) => o.stage).join(", ")})`);
    ctx.problem({
      ...root.source,
      message: `the god file's ${root.name} (${root.value}) is not the release the deploy puts on its servers, ${places.join(", nor ")}: the god file may have been written for other servers than this deploy's; its watches are read as this deploy's workers, and its \`cd ${root.value}\` as the release`,
      severity: "warning",
    });
  }
}

/** The processes per server a god loop states, as the worker's; a loop whose count is unknown is a warning. */
function withGodCount(ctx: AnalyzerContext, w0: WorkerFacts, s: ServiceLine): WorkerFacts {
  const w = withVariants(withGodStop(w0, s), s);
  const c = s.count;
  if (!c) return w;
  if ("unknown" in c) {
    ctx.problem({ ...c.source, message: `${w.label}: the god file starts its watch in a loop whose count is not known (${c.unknown}); one process per server is carried`, severity: "warning" });
    return w;
  }
  const why = `${c.source.file}:${c.source.line} starts ${c.count} watches (${c.written})`;
  return { ...w, processesPerServer: { value: c.count, why, source: c.source }, evidence: [...w.evidence, { value: why, source: c.source }] };
}

/** A god loop whose watches computed different commands (the loop variable in them): the first pass's is carried, and that is said. */
function withVariants(w: WorkerFacts, s: ServiceLine): WorkerFacts {
  if (!s.variants) return w;
  return { ...w, evidence: [...w.evidence, { value: `the god loop's watches compute ${s.variants} different start commands (its variable is in them); the first watch's is the pod's`, source: s.source }] };
}

/**
 * God's stop_timeout bounded the servers' drain (god KILLs the process that long after its stop
 * signal, or after its stop command returned): it is the worker's drain timeout, so the grace period
 * follows it. Unset, god's own default (10s) is that bound where god sent the signal itself; after a
 * `w.stop` command the bound is that command's own wait plus it, which god does not state, so the
 * backend's default stays. A memory restart is said, since the pod has only its memory limit.
 */
function withGodStop(w: WorkerFacts, s: ServiceLine): WorkerFacts {
  const g = s.god;
  if (!g) return w;
  const evidence = [...w.evidence];
  let stopTimeout = w.stopTimeout;
  let stopSignal = w.stopSignal;
  const t = g.stopTimeout;
  if (t && !t.godDefault) {
    evidence.push({ value: g.by ? `${g.by} gave a stopping process ${t.seconds}s (${t.written}): the drain the servers allowed` : `god sends KILL ${t.seconds}s after its stop ${g.stopCommand ? "command" : "signal"} (${t.written}): the drain the servers allowed`, source: t.source });
    stopTimeout = { seconds: t.seconds, source: t.source };
  } else if (t && g.stopCommand) {
    // Process#call_action waits for the stop command, then #ensure_stop waits stop_timeout: no bound god states.
    evidence.push({ value: `god ran its stop command (${g.stopCommand.written}) and waited for it to return, then ${t.seconds}s more before KILL (${t.written}): the servers' drain was that command's own wait plus ${t.seconds}s, a bound god does not state; ${w.label}'s default stop timeout (${w.stopTimeout.seconds}s) is kept`, source: g.stopCommand.source });
  } else if (t) {
    const sig = g.stopSignal?.signal ?? `${GOD_STOP_SIGNAL_DEFAULT} (god's default stop_signal)`;
    evidence.push({ value: `god sent ${sig} and KILL ${t.seconds}s later (${t.written}): the drain the servers allowed`, source: t.source });
    stopTimeout = { seconds: t.seconds, source: t.source };
  }
  // The signal god sent counts only where it sent one (no stop command); the pod's is the kubelet's TERM otherwise.
  if (g.stopSignal && !g.stopCommand) {
    if (g.stopSignal.signal === "TERM" || g.stopSignal.signal === "QUIT" || g.stopSignal.signal === "INT") {
      stopSignal = g.stopSignal.signal;
      evidence.push({ value: `god stopped it with SIG${g.stopSignal.signal} (w.stop_signal)`, source: g.stopSignal.source });
    } else evidence.push({ value: `god stopped it with SIG${g.stopSignal.signal} (w.stop_signal), a signal the pod's stop does not send: ${w.stopSignal} is kept`, source: g.stopSignal.source });
  }
  if (g.memory) evidence.push({ value: `god restarted it above ${g.memory.written} of memory: not carried (the container's memory limit kills instead of restarting gracefully)`, source: g.memory.source });
  return { ...w, stopTimeout, stopSignal, evidence };
}

/**
 * Workers of the repo's delayed_job script as the lines ran it (analyzers/workers/delayed-job-script.ts):
 * one Deployment per distinct pod command, processes per server = each line's count (its -n or pool
 * N, times a god loop's watches), summed over the lines (monit's one block per `-i`). Null when no
 * line runs the script or one cannot be read (then said, and the caller's standard path runs).
 */
function delayedJobScriptWorkers(ctx: AnalyzerContext, b: JobBackend, base: Omit<WorkerFacts, "name" | "args" | "env" | "commandFrom" | "commandSource" | "queues" | "carried">, runs: { command: string; source: Source; service: ServiceLine | undefined }[]): WorkerFacts[] | { unknown: string; source: Source } | null {
  const groups = new Map<string, { args: string[]; env: Record<string, string>; queues: string[]; processes: number; why: string[]; source: Source; note: string; run: ServiceLine | undefined; evidence: Fact<string>[] }>();
  for (const x of runs) {
    const r = readDelayedJobScript(x.command, ctx.repo.paths);
    if (r === null) continue;
    if ("unknown" in r) {
      ctx.problem({ ...x.source, message: `delayed_job: the line runs the repo's daemon script, but ${r.unknown}; the worker runs the gem's standard command`, severity: "warning" });
      return { unknown: r.unknown, source: x.source };
    }
    let note = startNote(r);
    if (r.exitOnComplete) {
      const file = ctx.repo.read(x.source.file);
      const by = x.service ? restartedBy(x.source.file, "error" in file ? "" : file.text) : null;
      if (!by) {
        ctx.problem({ ...x.source, message: "delayed_job: `--exit-on-complete` makes the worker stop once no job is ready and nothing here starts it again: no long-running Deployment carries that; the worker runs the gem's standard command", severity: "warning" });
        return { unknown: "its `--exit-on-complete` stops the worker once no job is ready and nothing here started it again", source: x.source };
      }
      note += `; \`--exit-on-complete\` left out: each worker exited once no job was ready and ${by} started it again, so the pod runs without it (a Deployment would restart an exiting container with a growing back-off)`;
      ctx.problem({ ...x.source, message: `delayed_job: \`--exit-on-complete\` is left out of the pod's command (${by} restarted the worker each time it exited; the pod keeps running instead)`, severity: "warning" });
    }
    const c = x.service?.count;
    const loops = c && "count" in c ? c.count : 1;
    if (c && "unknown" in c) ctx.problem({ ...c.source, message: `${b.label}: the god file starts its watch in a loop whose count is not known (${c.unknown}); one per watch line is carried`, severity: "warning" });
    for (const p of r.pools) {
      const key = JSON.stringify([p.args, r.env]);
      let g = groups.get(key);
      if (!g) {
        g = { args: p.args, env: r.env, queues: p.queues.length ? p.queues : ["*"], processes: 0, why: [], source: x.source, note, run: x.service, evidence: [] };
        groups.set(key, g);
      }
      const n = p.count * loops;
      // Monit's blocks are processes each; a deploy's start and restart lines are the same ones.
      g.processes = x.service ? g.processes + n : Math.max(g.processes, n);
      const each = `${x.source.file}:${x.source.line} ${r.verb}s ${r.pools.length > 1 ? `pool ${p.queues.join(",") || "*"}: ${p.count}` : r.countWhy}`;
      g.why.push(c && "count" in c ? `${c.source.file}:${c.source.line} starts ${c.count} watches (${c.written}), each: ${each}` : each);
      g.evidence.push({ value: `the servers ran ${r.script} ${r.verb} (${n} per server); the pod runs ${p.args.slice(2).join(" ")}`, source: x.source });
    }
  }
  if (!groups.size) return null;
  const single = groups.size === 1;
  const used = new Set<string>();
  return [...groups.values()].map((g) => {
    let name = single ? `worker-${b.id}` : `worker-${b.id}-${g.queues[0] === "*" ? "all" : slug(g.queues.join("-")).slice(0, 28).replace(/-+$/, "")}`;
    for (let i = 2; used.has(name); i++) name = `${name.replace(/-\d+$/, "")}-${i}`;
    used.add(name);
    const w: WorkerFacts = {
      ...base,
      name,
      args: g.args,
      env: g.env,
      commandFrom: g.run ? "service" : "capistrano",
      commandSource: g.source,
      commandNote: g.note,
      queues: g.queues,
      evidence: [...base.evidence, ...g.evidence],
      carried: true,
      ...(g.processes !== 1 || g.why.length > 1 ? { processesPerServer: { value: g.processes, why: g.why.join("; "), source: g.source } } : {}),
    };
    return g.run ? withVariants(withGodStop(w, g.run), g.run) : w;
  });
}

/**
 * A unit's ExecStart as the pod runs it: its wrappers off (`/usr/bin/env`, `bash -lc '…'`), and the
 * queue variables of its `Environment=` lines in front, as the process saw them.
 */
function unitCommand(ctx: AnalyzerContext, b: JobBackend, x: ServiceLine): string {
  const un = unwrapCommand(x.command, (ws) => !!backendOfCommand(ws.join(" ")));
  const words = un ? un.words : x.command.trim().split(/\s+/);
  const r = ctx.repo.read(x.source.file);
  const env: string[] = [];
  if (!("error" in r))
    for (const l of r.text.split(/\r?\n/)) {
      const m = /^\s*Environment\s*=\s*(.*)$/.exec(l);
      if (!m) continue;
      for (const a of m[1]!.match(/"[^"]*"|'[^']*'|\S+/g) ?? []) {
        const kv = a.replace(/^["']|["']$/g, "");
        if (b.queueEnv ? kv.startsWith(`${b.queueEnv}=`) : /^QUEUES?=/.test(kv)) env.push(kv);
      }
    }
  return [...env, ...words].join(" ");
}

/**
 * Workers of the monit checks the deploy starts whose start program runs the backend, or a script of
 * the servers named for it (`/etc/init.d/delayed_job_default start`): one worker per distinct pod
 * command, each stage's processes per server from its own file's checks, on the roles of the
 * deploy's monit line. Null when no such check is tied to the deploy.
 */
function monitCheckWorkers(ctx: AnalyzerContext, b: JobBackend, stages: Stage[], base: Omit<WorkerFacts, "name" | keyof Command | "carried">, checks: MonitCheck[]): WorkerFacts[] | null {
  const names = backendNames(b).map((n) => n.replace(/[-_]/g, "[-_]")).join("|");
  const named = new RegExp(`(^|[-_./\\s])(${names})([-_.@\\s]|\\d|$)`);
  const viaScript = (c: MonitCheck) => !!c.script && backendOfCommand(c.script.text) === b;
  const mine = checks.filter((c) => (c.command !== null && backendOfCommand(c.command) === b) || viaScript(c) || ((c.command === null || !backendOfCommand(c.command)) && !c.script && (named.test(c.check) || (c.command !== null && named.test(c.command.split(/\s+/)[0] ?? "")))));
  if (!mine.length) return null;
  const unread = new Map<string, { c: MonitCheck; what: string; stages: string[] }>();
  const groups = new Map<string, { cmd: Command; stop: WorkerFacts["stopTimeout"]; perStage: NonNullable<WorkerFacts["perStage"]>; evidence: Fact<string>[]; roles: string[]; primary: MonitCheck["deploy"]["on"] | null; tag: string }>();
  for (const c of mine) {
    let cmd: Command;
    let stop: WorkerFacts["stopTimeout"] = base.stopTimeout;
    const un = c.command !== null && backendOfCommand(c.command) === b ? unwrapCommand(c.command, (ws) => !!backendOfCommand(ws.join(" "))) : null;
    if (un && b.id === "shoryuken") {
      const r = shoryukenLine(un.words, ctx.repo.paths);
      if ("unknown" in r) {
        ctx.problem({ ...c.source, message: `Shoryuken: monit check ${c.check} (stage ${c.stage}) starts it, but ${r.unknown}; the worker runs the gem's standard command`, severity: "warning" });
        cmd = { ...standardCommand(b), commandSource: c.source, commandNote: `monit check ${c.check} starts shoryuken, but ${r.unknown}: the backend's standard command runs instead` };
      } else {
        cmd = { args: r.args, env: r.env, commandFrom: "service", commandSource: c.source, queues: r.queues, ...(r.dropped.length ? { commandNote: `the pod runs it in the foreground: left out ${r.dropped.map((d) => `\`${d}\``).join(", ")} (a daemon's pid and log files)` } : {}) };
        const w = shoryukenConfig(ctx, { ...base, ...cmd, name: "", carried: true } as WorkerFacts, r.config ? `-C ${r.config}` : "");
        stop = r.timeout !== null ? { seconds: r.timeout, source: c.source } : w.stopTimeout;
      }
    } else if (c.script && viaScript(c)) {
      // A start program that runs a repo script (whose line starts the backend): that line is the process.
      cmd = scriptStartCommand(b, c, c.script, serverLayout(stages));
    } else if (un) {
      cmd = commandOf(b, c.command!, "service", c.source, serverLayout(stages));
    } else {
      const what = c.command === null ? "a start program whose value the analysis does not know" : `\`${c.command}\`, a program of the servers, not of the repo`;
      cmd = { ...standardCommand(b), commandSource: c.source, commandNote: `monit check ${c.check} starts ${what}: which queues and how many processes it ran is not known, so the backend's standard command runs instead` };
      const k = `${c.source.file}:${c.source.line}:${what}`;
      const said = unread.get(k) ?? { c, what, stages: [] };
      said.stages.push(c.stage);
      unread.set(k, said);
    }
    const key = JSON.stringify([cmd.args, cmd.env]);
    const g = groups.get(key) ?? { cmd, stop, perStage: {}, evidence: [], roles: [], primary: null, tag: cmd.queues[0] ?? c.check };
    groups.set(key, g);
    for (const r of c.deploy.on.roles) if (!g.roles.includes(r)) g.roles.push(r);
    if (c.deploy.on.primary) g.primary = c.deploy.on;
    const why = `${c.source.file}:${c.source.line} (monit check ${c.check}), started by the deploy on ${c.deploy.on.primary ? "primary" : "roles"}(${c.deploy.on.roles.map((r) => `:${r}`).join(", ")}): ${c.deploy.how}`;
    const prev = g.perStage[c.stage];
    g.perStage[c.stage] = prev ? { processes: prev.processes + 1, why: `${prev.why}; ${why}`, source: prev.source } : { processes: 1, why, source: c.source };
    g.evidence.push({ value: `${c.stage}: monit check ${c.check} starts ${c.command ?? "(a value not known)"}`, source: c.source }, { value: `the deploy ${c.deploy.how}`, source: c.deploy.source });
  }
  // A check the deploy ties only by stopping what it watches: the servers' monit read its own copy of the file.
  const loose = new Map<string, MonitCheck>();
  for (const c of mine) if (c.byStop) loose.set(`${c.source.file}:${c.source.line}`, c);
  for (const c of loose.values())
    ctx.problem({ ...c.source, message: `${b.label}: monit check ${c.check} starts it, and the deploy ${c.deploy.how}; nothing in the deploy puts ${c.file} on the servers, so their monit ran its own copy of it: the worker runs this file's command, compare it with /etc/monit on a server`, severity: "warning" });
  for (const { c, what, stages: on } of unread.values())
    ctx.problem({ ...c.source, message: `${b.label}: monit check ${c.check} (${on.length > 1 ? "stages" : "stage"} ${on.join(", ")}), which the deploy starts (${c.deploy.source.file}:${c.deploy.source.line}), runs ${what}; the worker runs the backend's standard command on every queue: compare it with that script on the servers (its queues, its process count) and set the Deployment's command`, severity: "warning" });
  const many = groups.size > 1;
  // A monit file's own line names what one group's stages ran: another group's files are not its evidence.
  const filesOf = (g: { perStage: NonNullable<WorkerFacts["perStage"]> }) => new Set(Object.values(g.perStage).map((x) => x.source?.file));
  const monitFiles = new Set(mine.map((c) => c.file));
  return [...groups.values()].map((g) => ({
    ...base,
    ...g.cmd,
    stopTimeout: g.stop,
    roles: g.roles,
    ...(g.primary ? { primaryOnly: { role: g.primary.roles[0]!, source: g.primary.source } } : {}),
    name: many ? `worker-${b.id}-${slug(g.tag)}` : `worker-${b.id}`,
    carried: true,
    perStage: g.perStage,
    evidence: [...base.evidence.filter((e) => !monitFiles.has(e.source.file) || filesOf(g).has(e.source.file)), ...g.evidence],
  }));
}

/**
 * The worker a hooked task of the deploy starts (deployStartsOf), outranking a Procfile nothing runs:
 * on the task's roles. A start through a script in the servers' shared directory (a linked dir, or a
 * path built on shared_path) runs what only the servers hold: the pod runs the backend's standard
 * command, said with the task line and the linked dir.
 */
function deployStartWorker(ctx: AnalyzerContext, b: JobBackend, base: Omit<WorkerFacts, "name" | keyof Command | "carried">, start: BackendStart, procfile: ProcfileEntry[], stages: Stage[]): WorkerFacts {
  const at = `${start.source.file}:${start.source.line}`;
  const unrun = `${procfile.map((p) => `${p.source.file}:${p.source.line}`).join(", ")} ${procfile.length > 1 ? "are lines" : "is a line"} of a Procfile no deploy line runs (no foreman or other Procfile runner): the deploy's own task ${start.task.name} (${at}) starts ${b.label}, so the Procfile did not decide the command`;
  const roles = start.on ? { roles: start.on.roles, ...(start.on.primary ? { primaryOnly: { role: start.on.roles[0]!, source: start.on.source } } : {}) } : {};
  const evidence = [...base.evidence, { value: `the deploy's task ${start.task.name} (hooked at ${start.hook.file}:${start.hook.line}) starts it${start.on ? ` on ${start.on.primary ? "primary" : "roles"}(${start.on.roles.map((r) => `:${r}`).join(", ")})` : ""}: ${start.text.slice(0, 160)}`, source: start.source }];
  const where = start.shared ? sharedWhere(ctx, start.shared, stages) : null;
  const std = standardCommand(b);
  const stdText = [...Object.entries(std.env).map(([k, v]) => `${k}=${v}`), ...std.args].join(" ");
  const what = start.shared ? `runs ${start.shared} from the servers' shared directory${where ? ` (${where})` : ""}, a file only the servers hold` : `starts ${b.label} in a way the analysis does not read as a command`;
  ctx.problem({ ...start.source, message: `${b.label}: the deploy's task ${start.task.name} ${what}: the worker runs ${b.label}'s standard command \`${stdText}\` (the backend's default, not what the servers ran: their queues and process count are in that script); read it on a server and set the worker's command${procfile.length ? `; ${unrun}` : ""}`, severity: "warning" });
  if (!start.on) ctx.problem({ ...start.source, message: `${b.label}: the deploy's task ${start.task.name} starts it on roles that are not literal: the worker runs on the backend's usual roles`, severity: "warning" });
  return { ...base, ...roles, ...std, commandSource: start.source, commandNote: `${at} ${what}: the backend's standard command runs instead; ${unrun}`, name: `worker-${b.id}`, carried: true, evidence, ...offStagesOf(start.stages, stages, `the deploy's task ${start.task.name}`, start.source, start.hook, warnDoubt(ctx)) };
}

/** Where a shared-directory path comes from: the linked dir that holds it (each stage's linked_dirs), else shared_path as written. */
function sharedWhere(ctx: AnalyzerContext, path: string, stages: Stage[]): string {
  const dirs = path.split("/").slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join("/"));
  for (const st of stages) {
    const v = st.variables["linked_dirs"];
    const list = Array.isArray(v?.value) ? v!.value.map((x) => (typeof x === "string" ? x : null)) : [];
    const d = dirs.find((x) => list.includes(x));
    if (d) return `\`${d}\` is a linked dir, ${v!.source.file}:${v!.source.line}`;
  }
  // No stage was evaluated: a literal linked_dirs line of the deploy file, read as written.
  const r = stages.length ? null : ctx.repo.read("config/deploy.rb");
  if (r && !("error" in r)) {
    const ls = r.text.split(/\r?\n/);
    for (let i = 0; i < ls.length; i++) {
      const m = /^\s*(?:set|append)\s+:linked_dirs\s*,\s*(.*)$/.exec(ls[i]!);
      const words = m ? [...m[1]!.matchAll(/[\w./-]+/g)].map((x) => x[0]) : [];
      const d = dirs.find((x) => words.includes(x));
      if (d) return `\`${d}\` is in linked_dirs at config/deploy.rb:${i + 1}, as written (no stage was evaluated)`;
    }
  }
  return "a path under shared_path";
}

/** The servers' account, which a start program sets for the script (`USER=app HOME=/home/app`): not the pod's. */
const ACCOUNT_ENV = /^(USER|LOGNAME|HOME|SHELL|PATH|PWD)=/;

/**
 * A start program that runs a repo script (`QUEUE=unittests …/current/script/start_worker`, whose line
 * starts `nohup bundle exec rake environment resque:work … &`): the pod runs that line in the
 * foreground, with the program's assignments as its environment (the servers' account left out).
 */
function scriptStartCommand(b: JobBackend, c: MonitCheck, s: NonNullable<MonitCheck["script"]>, layout: ServerLayout): Command {
  const un = unwrapCommand(s.text, (ws) => !!backendOfCommand(ws.join(" ")));
  const env = s.env.filter((w) => !ACCOUNT_ENV.test(w));
  const dropped = s.env.filter((w) => ACCOUNT_ENV.test(w)).map((w) => w.replace(/=.*/, ""));
  if (!un || un.words.some((w) => /[$`]/.test(w))) return { ...standardCommand(b), commandSource: s.source, commandNote: `monit check ${c.check} runs ${s.file}, whose line ${s.file}:${s.source.line} (${s.text}) is not plain words: the backend's standard command runs instead` };
  const cmd = commandOf(b, [...env, ...un.words].join(" "), "service", s.source, layout);
  const off = [...un.wrappers, ...(dropped.length ? [`${dropped.join(", ")} (the servers' account)`] : [])];
  return { ...cmd, commandNote: `monit check ${c.check} (${c.source.file}:${c.source.line}) runs ${s.file}, whose ${s.file}:${s.source.line} starts it; the pod runs that line in the foreground with the check's environment${off.length ? `; left out: ${off.join(", ")}` : ""}` };
}

/**
 * Workers of monit checks an ERB loop defines whose start program runs the backend (monit-loops.ts):
 * each stage runs the loop's count per server on the rendering task's roles. The start program's
 * ERB values (the release path, the loop's index) only placed or named the daemon: a command that
 * still needs one of them runs the backend's standard command, said.
 */
function monitLoopWorkers(ctx: AnalyzerContext, b: JobBackend, base: Omit<WorkerFacts, "name" | keyof Command | "carried">, loops: MonitLoop[], layout: ServerLayout): WorkerFacts[] | null {
  const mine = loops.flatMap((l) => l.starts.filter((s) => backendOfCommand(s.command) === b).map((s) => ({ l, s })));
  if (!mine.length) return null;
  return mine.map(({ l, s }, i) => {
    const line = s.command.replace(/<%=?-?[^%]*-?%>/g, "ERB_VALUE");
    const dj = b.id === "delayed-job" ? readDelayedJobScript(line, ctx.repo.paths) : null;
    let cmd: Command;
    if (dj && !("unknown" in dj) && dj.pools.length === 1 && !dj.pools[0]!.args.some((a) => a.includes("ERB_VALUE")))
      cmd = { args: dj.pools[0]!.args, env: dj.env, commandFrom: "service", commandSource: s.source, commandNote: startNote(dj), queues: dj.pools[0]!.queues.length ? dj.pools[0]!.queues : ["*"] };
    else {
      // Capistrano's release path, where the template names it, is the release for start-line.ts's `cd` rule, as Ruby would write it.
      const shell = s.command.replace(/<%=\s*(current_path|release_path)\s*-?%>/g, "#{$1}").replace(/<%=?-?[^%]*-?%>/g, "ERB_VALUE");
      const un = unwrapCommand(shell, (ws) => !!backendOfCommand(ws.join(" ")));
      cmd =
        un && !un.words.some((w) => w.includes("ERB_VALUE") && !(b.id === "resque" && RESQUE_DAEMON_VARS.some((v) => w.startsWith(`${v}=`))))
          ? commandOf(b, shell, "service", s.source, layout)
          : { ...standardCommand(b), commandSource: s.source, commandNote: `the start program (${s.command.slice(0, 160)}) needs values of the template the pod has no use for or that are not known: the backend's standard command runs instead` };
    }
    if (!l.task?.roles) ctx.problem({ ...(l.task?.source ?? l.loop), message: `${b.label}: the monit loop ${l.file}:${l.loop.line} (${l.written}) starts it, but ${l.task ? `task ${l.task.name}'s roles are not literal` : "no deploy task is found that renders it"}: the worker runs on the backend's usual roles`, severity: "warning" });
    const perStage = Object.fromEntries(
      l.perStage.map((p) => [
        p.stage,
        p.count === null
          ? { processes: 1, why: `${l.file}:${l.loop.line} (${l.written}): ${p.why}`, source: p.source, unknown: `how many daemons ${l.file}'s loop (${l.written}) defines on stage ${p.stage}: ${p.why}` }
          : { processes: p.count, why: `${l.file}:${l.loop.line} (${l.written}): ${p.why} per server${l.task ? `, rendered by task ${l.task.name} (${l.task.source.file}:${l.task.source.line})` : ""}`, source: p.source },
      ]),
    );
    return {
      ...base,
      ...cmd,
      roles: l.task?.roles ?? base.roles,
      name: mine.length > 1 ? `worker-${b.id}-${slug(s.check ?? String(i + 1))}` : `worker-${b.id}`,
      carried: true,
      perStage,
      evidence: [...base.evidence, { value: `monit check${s.check ? ` ${s.check}` : ""} in an ERB loop (${l.written}): ${s.command.slice(0, 160)}`, source: s.source }],
    };
  });
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "worker";

/**
 * Several service files start the backend (god/monit/upstart copies per stage directory, a loop over
 * queues in each): one Deployment running the backend's standard command is what is written, so what
 * those files set (their process counts, queues, environment) is said as not read, file by file,
 * instead of being lost without a word.
 */
function manyServiceFiles(ctx: AnalyzerContext, b: JobBackend, lines: ServiceLine[]): void {
  const at = lines.map((x) => `${x.source.file}:${x.source.line}`).join(", ");
  const loops = [...new Set(lines.filter((x) => x.count).map((x) => (x.count && "count" in x.count ? `${x.count.written} (${x.count.count})` : x.count && "unknown" in x.count ? x.count.unknown : "")).filter(Boolean))];
  ctx.problem({
    ...lines[0]!.source,
    message: `${b.label}: ${lines.length} service files start it (${at}); the worker runs the backend's standard command, and what these files set (process counts${loops.length ? `: ${loops.join("; ")}` : ""}, queues, environment such as QUEUE or WORKERS) is not read: compare them with the Deployment and set its command, env and replicas per stage`,
    severity: "warning",
  });
}

/** A backend's process of a loaded bluepill/eye file as a service line: its loop is the count, its stop grace the drain. */
function supervisedLine(p: LoadedProcess["p"]): ServiceLine {
  const count = p.loop ? (p.count === null ? { unknown: `${p.loop.written}: a loop whose count the file does not state`, source: p.loop.source } : { count: p.count, written: p.loop.written, source: p.loop.source }) : null;
  return { command: p.command!, source: p.commandSource, ...(count ? { count } : {}), ...(p.stop ? { god: { stopTimeout: p.stop, by: p.tool } } : {}) };
}

/**
 * A worker whose backend a loaded bluepill/eye process runs: the file's process cited (what the
 * deploy loads, on which roles), and the load's roles in place of guessed ones.
 */
function withSupervisor(w: WorkerFacts, supervised: LoadedProcess[], guessed: boolean): WorkerFacts {
  const mine = supervised.filter((x) => backendOfCommand(x.p.command ?? x.p.written)?.id === w.backend);
  if (!mine.length) return w;
  const evidence = [...w.evidence];
  for (const x of mine) {
    const value = `${x.load.source.file}:${x.load.source.line} loads ${x.p.source.file} (${x.p.tool})${x.load.roles ? ` on roles(${x.load.roles.roles.map((r) => `:${r}`).join(", ")})` : ""}, whose process ${x.p.name} runs ${x.p.written.slice(0, 160)}${x.p.loop ? ` (${x.p.count === null ? "an unstated number of processes" : `${x.p.count} process${x.p.count === 1 ? "" : "es"}`}: ${x.p.loop.written})` : ""}`;
    if (!evidence.some((e) => e.value === value)) evidence.push({ value, source: x.p.commandSource });
  }
  const roles = guessed ? mine.find((x) => x.load.roles)?.load.roles : undefined;
  return roles ? { ...w, roles: roles.roles, evidence: [...evidence, { value: `the ${mine[0]!.p.tool} file is loaded on roles(${roles.roles.map((r) => `:${r}`).join(", ")})`, source: roles.source }] } : { ...w, evidence };
}
