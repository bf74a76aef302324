// The analysis pipeline: repo on disk → RepoFiles → each analyzer → one AppModel with gaps and
// hazards. Order matters only where one analyzer needs another's facts (templates need the stages).
import { nestedRailsRoots } from "./rails-roots.js";
import { citeRealPaths, deployRoot, type DeployRoot } from "./deploy-root.js";
import { passengerFacts } from "../analyzers/appserver/passenger.js";
import { basename, resolve } from "node:path";
import { timed } from "./timing.js";
import { existsSync, statSync } from "node:fs";
import { MODEL_VERSION, type AppModel, type AnalyzerContext, type Problem, type RepoFiles, type Fact } from "./model.js";
import { readRepo } from "./repo.js";
import { LIMITS } from "./model/limits.js";
import { initPrism } from "../analyzers/ruby/prism.js";
import { analyzeRails } from "../analyzers/rails.js";
import { readFrontend } from "../analyzers/rails/frontend.js";
import { deployRuby, notMriWarning } from "../analyzers/rails/deploy-ruby.js";
import { analyzeCapistranoWith, STAGE_FILE, type CapistranoOptions } from "../analyzers/capistrano/index.js";
import { multiconfigRequire } from "../analyzers/capistrano/multiconfig.js";
import { deployExampleSaid } from "../analyzers/capistrano/deploy-examples.js";
import { stagesWord, withGemSite } from "../analyzers/nginx/gem-site.js";
import { markHelperStages, splitEmptyStages, withoutDroppedPlugins } from "../analyzers/capistrano/empty-stages.js";
import { capfilePath, isCapfileName } from "../analyzers/capistrano/capfile.js";
import { analyzeAppServers } from "../analyzers/appserver.js";
import { stageStartedEnvs } from "../analyzers/appserver/start-line-env.js";
import { linkedServerConfigs } from "../analyzers/appserver/server-only.js";
import { databaseServersCopy } from "../analyzers/rails/database-linked.js";
import { startedWebServer } from "../analyzers/appserver/started.js";
import { unicornStartEnv } from "../analyzers/appserver/start-options.js";
import { thinConfigFiles, thinFacts } from "../analyzers/appserver/thin.js";
import { withLinkedSites } from "../analyzers/nginx/linked-site.js";
import { analyzeNginx } from "../analyzers/nginx/index.js";
import { mbNginxFiles, MB_NGINX_HTTP } from "../analyzers/nginx/mb-site.js";
import { pumaNginxFiles } from "../analyzers/nginx/puma-site.js";
import { cap3NginxFiles } from "../analyzers/nginx/cap3-nginx-site.js";
import { unicornNginxFiles, withUnicornNginxSite } from "../analyzers/nginx/unicorn-nginx-site.js";
import { analyzeApache } from "../analyzers/apache/index.js";
import { analyzeGlobal } from "../analyzers/global/index.js";
import { analyzeSidekiq } from "../analyzers/sidekiq.js";
import { analyzeWorkers, withoutSecretEnv } from "../analyzers/workers/index.js";
import { pluginUnreadSettings, sidekiqUnreadSettings } from "../analyzers/workers/plugin-unread-settings.js";
import { cronWorkedBackends } from "../analyzers/workers/cron-worked.js";
import { uncarriedProcesses } from "../analyzers/workers/uncarried.js";
import { asWebProcesses } from "../analyzers/workers/web-processes.js";
import { foremanDaemons } from "../analyzers/workers/foreman-daemons.js";
import { initScriptDaemons } from "../analyzers/workers/init-scripts.js";
import { supervisorStageDoubts } from "../analyzers/workers/supervisor-files.js";
import { backendOfCommand } from "../analyzers/workers/backends.js";
import { upstartJobs } from "../analyzers/workers/upstart-jobs.js";
import { backingServices } from "../analyzers/services/backing.js";
import { localAddresses } from "../analyzers/services/local-addresses.js";
import { withRepoFiles } from "../analyzers/linked-config-dirs.js";
import { labelLocalAddresses, markGlobalRepoCopies } from "../analyzers/linked-config-values.js";
import { analyzeCron } from "../analyzers/whenever.js";
import { crontabEnvWarnings } from "../analyzers/whenever/crontab-env.js";
import { pluginCrontabEnv, repoWheneverTask } from "./model/cron-env.js";
import { mbCrontab } from "../analyzers/capistrano/mb-crontab.js";
import { dockerCompose } from "../analyzers/capistrano/docker-compose.js";
import { loadedSchedules, notInvokedWarning } from "../analyzers/whenever/loaded.js";
import { wheneverStageSets } from "../analyzers/whenever/variables.js";
import { wheneverStageEnvs } from "../analyzers/whenever/process-env.js";
import { stringCommands } from "../analyzers/whenever/command-string.js";
import { attachSchedules } from "../analyzers/workers/schedules.js";
import { secondRackServers } from "../analyzers/workers/rack-servers.js";
import { findSecrets } from "../analyzers/secrets.js";
import { findGlobalCalls, staleNamespaceCalls } from "../analyzers/global-calls.js";
import { findBootEnvReads } from "../analyzers/rails/boot-env.js";
import { readMongoid } from "../analyzers/rails/mongoid.js";
import { unusedServerConfigs } from "../analyzers/appserver/unused.js";
import { unreadStageNumbers } from "./unread-stage-numbers.js";
import { workerKillerLines } from "../analyzers/appserver/worker-killer.js";
import { findHazards } from "../analyzers/hazards.js";
import { findGaps } from "./gaps/index.js";
import { bootEnvReads, hasPath, railsEnvOf, shownPath } from "./model.js";
import { headCommit } from "./git.js";
import { ciConfigs } from "../analyzers/ci.js";

/** Input that cannot be analyzed at all: the CLI prints the message and exits 2. */
export class UnusableInput extends Error {}

/** Analyzes a repo held in memory (tests) or read from disk (the CLI). */
export interface AnalyzeOptions {
  /** Answers given for Capistrano variables the repo could not tell (see CapistranoOptions). */
  capOverrides?: CapistranoOptions["overrides"];
  /**
   * Find the `Global.x.y` call sites in app/, lib/ and config/ (default true). Only migrate's
   * codemod needs them, and they mean reading every Ruby file of the app: `analyze` skips them.
   */
  callSites?: boolean;
  /**
   * Hears of input the tool must not go on with (see AnalyzerContext.unusable). `analyzeDir` passes
   * one and throws UnusableInput after the analysis, naming every such file and line at once.
   */
  unusable?: (p: Omit<Problem, "severity">) => void;
  /** The repo's HEAD commit (short SHA); `analyzeDir` reads it with git, in-memory repos have none. */
  commit?: Fact<string> | null;
  /**
   * Read a root that holds the deploy (Capfile, config/deploy.rb) with the Rails app in a subfolder
   * (src/deploy-root.ts). `analyze` does; `migrate` does not write for that shape yet, so without
   * this the root is refused (exit 2), naming the folder.
   */
  deployAtRoot?: boolean;
}

export async function analyzeFiles(repo: RepoFiles, folderName: string, initialProblems: Problem[] = [], opts: AnalyzeOptions = {}): Promise<AppModel> {
  const capOverrides = opts.capOverrides;
  await timed("Prism loaded", () => initPrism());
  const problems: Problem[] = [...initialProblems];
  // Files refused as unusable are remembered: a stage whose file could not be read is not a stage
  // that declares no server (splitEmptyStages), whatever its read left.
  const unusableFiles = new Set<string>();
  const ctx: AnalyzerContext = {
    repo,
    problem: (p) => problems.push(p),
    unusable: (p) => {
      unusableFiles.add(p.file);
      if (opts.unusable) opts.unusable(p);
      else problems.push({ ...p, severity: "error" });
    },
  };
  const guard = <T>(what: string, fallback: T, fn: () => T): T =>
    // An analyzer bug must not take the whole report down: it becomes a problem, like bad input.
    // `npm run bench` breaks the time down by analyzer with RAILS2K8S_TIMING=1.
    timed(what, () => {
      try {
        return fn();
      } catch (e) {
        problems.push({ file: what, line: 0, message: `internal error while reading ${what}: ${(e as Error).message}`, severity: "error" });
        return fallback;
      }
    });

  const { rails, procfile } = guard("Rails files", analyzeRails({ repo, problem: () => {} }), () => analyzeRails(ctx));
  const read = guard("Capistrano config", { capistrano: null, stages: [], linked: [] }, () => analyzeCapistranoWith(ctx, { overrides: capOverrides }));
  if (read.recipes) ctx.deployRecipes = read.recipes;
  // A stage file that declares no server deploys nowhere: no later reader (and no overlay) sees it.
  const { stages, empty: stagesWithoutServers } = splitEmptyStages(read.stages, unusableFiles);
  guard("helper files in config/deploy", undefined, () => markHelperStages(stagesWithoutServers, stages, (f) => { const r = repo.read(f); return "text" in r ? r.text : null; }));
  // Nor its gems: a require of a dropped stage's file left in capistrano.requires would read as app-wide.
  const capistrano = read.capistrano && stagesWithoutServers.length ? withoutDroppedPlugins(read.capistrano, read.stages, stages) : read.capistrano;
  const linked = stagesWithoutServers.length ? linkedOnStages(read.linked, stages) : read.linked;
  // A linked config directory: the repo's files under it are not what the servers read (analyzers/linked-config-dirs.ts).
  guard("linked config directories", undefined, () => withRepoFiles(repo.paths, linked));
  // The deploy's own Ruby per stage, below the repo's Ruby files (analyzers/rails.ts), above the default.
  // The environment each stage's app-server start line gave the process: evidence of its RAILS_ENV (railsEnvOf), before anything reads that.
  guard("environment of the app server start lines", undefined, () => stageStartedEnvs(ctx, stages, procfile, capistrano));
  guard("the deploy's Ruby", undefined, () => deployRuby(ctx, rails, stages, capistrano?.requires ?? []));
  guard("a Ruby that is not MRI", undefined, () => notMriWarning(ctx, rails));
  const serversDatabases = guard("database.yml linked from shared", [], () => databaseServersCopy(ctx, capistrano, linked, stages, rails.database));
  if (serversDatabases.length) rails.serversDatabases = serversDatabases;
  const mongoid = guard("config/mongoid.yml", null, () => readMongoid(ctx, rails, stages, linked));
  if (mongoid) rails.mongoid = mongoid;
  rails.assets = guard("front-end build", rails.assets, () => readFrontend(ctx, rails.assets, capistrano, stages));
  const appServers = guard("app server config", [], () => analyzeAppServers(ctx, stages, procfile, capistrano?.tasks ?? [], capistrano?.requires ?? [], stagesWithoutServers.map((s) => s.name), linked, capistrano?.hooks ?? []));
  const webServer = guard("web server started", null, () => startedWebServer(ctx, capistrano?.requires ?? [], procfile, stages, capistrano?.tasks ?? [], capistrano));
  // The environment a stage's Unicorn start line set (unicorn_rails --path), its other options named.
  const startEnv = guard("Unicorn start options", {}, () => unicornStartEnv(ctx, capistrano?.requires ?? [], stages));
  if (webServer && Object.keys(startEnv).length) webServer.startEnv = startEnv;
  appServers.push(...guard("server-only app server config", [], () => linkedServerConfigs(ctx, webServer, appServers, stages, linked)));
  const nginx = guard("nginx config", { files: [] }, () => withPumaNginx(ctx, withMbNginx(ctx, analyzeNginx(ctx, stages, capistrano?.tasks ?? [], capistrano), mbNginxFiles(ctx, capistrano?.requires ?? [], stages, ctx.problem)), pumaNginxFiles(ctx, stages, ctx.problem)));
  guard("nginx site linked per stage", undefined, () => withLinkedSites(ctx, capistrano, stages, nginx));
  guard("capistrano3-nginx site", undefined, () => withCap3Nginx(ctx, nginx, cap3NginxFiles(ctx, stages, ctx.problem)));
  guard("capistrano-unicorn-nginx site", undefined, () => withUnicornNginxSite(ctx, nginx, unicornNginxFiles(ctx, capistrano?.requires ?? [], stages, ctx.problem)));
  const apache = guard("Apache config", { files: [] }, () => analyzeApache(ctx, stages));
  if (webServer?.kind === "thin") {
    const thin = guard("Thin config", null, () => thinFacts(ctx, stages));
    if (thin) webServer.thin = thin;
  }
  if (webServer?.kind === "passenger") webServer.passenger = guard("Passenger settings", { settings: [], capistrano: [] }, () => passengerFacts(ctx, nginx, stages, apache));
  const global = guard("Global config", null, () => analyzeGlobal(ctx, stages, rails, capistrano));
  guard("Global files the servers replaced", undefined, () => markGlobalRepoCopies(global, linked));
  const unreadSettings = guard("plugin settings nothing reads", new Set<string>(), () => pluginUnreadSettings(ctx, capistrano, rails, stages));
  const sidekiq = guard("sidekiq config", null, () => analyzeSidekiq(ctx, rails, capistrano, procfile, stages, linked));
  // capistrano-sidekiq's variables nothing reads: in the model, so neither the analysis nor the emitter counts by them.
  const sidekiqUnread = sidekiqUnreadSettings(unreadSettings);
  if (sidekiq && sidekiqUnread.length) sidekiq.unreadSettings = sidekiqUnread;
  let workers = guard("job workers", [], () => analyzeWorkers(ctx, rails, capistrano, procfile, stages, sidekiq, unreadSettings));
  guard("schedules inside workers", undefined, () => attachSchedules(ctx, rails, workers, linked));
  workers = [...workers, ...guard("foreman-exported processes", [], () => foremanDaemons(ctx, procfile, stages, workers))];
  const uncarried = guard("processes no Deployment carries", [], () => uncarriedProcesses(ctx, procfile, workers, webServer, stages, capistrano?.tasks ?? []));
  uncarried.push(...guard("upstart jobs kept in the repo", [], () => upstartJobs(ctx, stages, uncarried, workers, webServer)));
  const daemons = guard("init scripts' daemons", { workers: [], uncarried: [], units: [] }, () => initScriptDaemons(ctx, stages, workers, webServer, uncarried));
  // A daemon's start line is a worker's line like any other: a secret on it is held out of the Deployment.
  workers = [...workers, ...daemons.workers.map((w) => withoutSecretEnv(ctx, w))];
  // A restart of a unit the repo holds was read from that unit: the restart line's "unit file not in the repo" no longer holds.
  for (let i = uncarried.length - 1; i >= 0; i--) if (daemons.units.includes(uncarried[i]!.name) && !/\.service(\.erb)?$/.test(uncarried[i]!.source.file)) uncarried.splice(i, 1);
  uncarried.push(...daemons.uncarried);
  uncarried.push(...guard("second Rack servers", [], () => secondRackServers(ctx, stages, workers, uncarried)));
  guard("supervised web server processes", undefined, () => asWebProcesses(uncarried, webServer));
  guard("bluepill/eye files per stage", undefined, () => supervisorStageDoubts(ctx, stages, backendOfCommand, workers));
  const services = guard("backing services the deploy starts", [], () => backingServices(ctx, linked));
  const scheduleLoads = guard("whenever files the deploy loads", { loads: [] }, () => loadedSchedules(ctx, capistrano, stages));
  const localAddrs = guard("backing services at the app's own address", [], () => localAddresses(ctx, stages, global, rails.railsVersion?.value ?? null, !!rails.database?.serversCopy));
  guard("addresses read from the repo's copy of linked config", undefined, () => labelLocalAddresses(localAddrs, linked, stages));
  guard("capistrano-docker compose", undefined, () => dockerCompose(ctx, capistrano, stages));
  const cron = guard("whenever schedules", null, () => mbCrontab(ctx, capistrano, stages, analyzeCron(ctx, { stageSets: wheneverStageSets(stages, (at, message) => ctx.problem({ ...at, message, severity: "warning" })) ?? scheduleLoads.mina ?? null, stageEnvs: wheneverStageEnvs(stages), rolesNotPassedOn: [...stringCommands(stages).filter((c) => c.run && !c.run.roles).map((c) => c.stage), ...(scheduleLoads.mina ?? []).map((s) => s.stage)] }, [...new Set([...stages.map(railsEnvOf), ...stages.flatMap((st) => pluginCrontabEnv(st, repoWheneverTask(capistrano?.tasks))?.env ?? [])])], scheduleLoads.loads)));
  guard("whenever's crontab environment", undefined, () => crontabEnvWarnings(ctx, stages, cron, capistrano?.tasks));
  const notInvoked = scheduleLoads.notInvoked;
  if (notInvoked) guard("whenever's file nothing runs", undefined, () => notInvokedWarning(ctx, notInvoked, cron?.jobs.find((j) => j.wheneverRaises && j.source.file === notInvoked.file)?.wheneverRaises));
  workers = guard("job queues worked from cron", workers, () => cronWorkedBackends(workers, cron));
  const unusedServers = guard("unused app server configs", [], () => unusedServerConfigs(ctx, appServers, rails, webServer?.kind ?? null, webServer?.evidence[0]?.source ?? null));
  guard("stage variables naming server numbers", undefined, () => unreadStageNumbers(ctx, stages, { appServers: appServers.filter((a) => !unusedServers.includes(a.file)), rails, webServer }));
  guard("unicorn-worker-killer bounds", undefined, () => workerKillerLines(ctx, webServer?.kind ?? (appServers.some((a) => a.kind === "unicorn" && !unusedServers.includes(a.file)) ? "unicorn" : null)));
  // Global's files too, for the names no value of the Global analysis reads (an expression it could not evaluate).
  const globalScan = () => (global ? { dir: global.dir, known: new Set(bootEnvReads({ global, rails }, new Set(global.namespaces.flatMap((ns) => Object.keys(ns.values))), false).map((r) => r.env)) } : undefined);
  const bootEnv = guard("ENV reads at boot", [], () => findBootEnvReads(ctx, appServers.filter((a) => !unusedServers.includes(a.file)), [...new Set(stages.map(railsEnvOf))], globalScan(), thinConfigFiles(webServer)));
  const globalCalls = global && opts.callSites !== false ? guard("Global call sites", [], () => findGlobalCalls(ctx)) : undefined;
  if (global && globalCalls) guard("Global call sites without a namespace", undefined, () => staleNamespaceCalls(ctx, globalCalls, global));

  const name = appName(read.stages, rails.appModule, folderName, capistrano?.tool === "mina");
  const partial = { version: MODEL_VERSION, name, rails, capistrano, stages, ...(stagesWithoutServers.length ? { stagesWithoutServers } : {}), appServers, webServer, nginx, ...(apache.files.length ? { apache } : {}), global, sidekiq, workers, ...(uncarried.length ? { uncarried } : {}), cron, ...(services.length ? { services } : {}), ...(localAddrs.length ? { localAddresses: localAddrs } : {}), procfile, linked, problems, ...(bootEnv.length ? { bootEnv } : {}) };
  const secrets = guard("secrets", [], () => findSecrets(partial));
  const hazards = guard("hazards", [], () => findHazards({ ...partial, secrets }));
  const release = { commit: opts.commit ?? null, ci: ciConfigs(repo) };
  const withHazards = { ...partial, secrets, hazards, release };
  const gaps = timed("gaps", () => findGaps(withHazards));
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return { ...withHazards, gaps, problems, ...(globalCalls ? { globalCalls } : {}) } as AppModel;
}

/** Linked paths as the kept stages link them (a path only stages without servers link was on no host). */
function linkedOnStages(linked: AppModel["linked"], stages: AppModel["stages"]): AppModel["linked"] {
  const names = new Set(stages.map((s) => s.name));
  return linked.map((l) => ({ ...l, stages: l.stages.filter((s) => names.has(s)) })).filter((l) => l.stages.length);
}

/** capistrano-mb's own nginx site counts only where the repo has no nginx config of its own. */
function withMbNginx(ctx: AnalyzerContext, nginx: AppModel["nginx"], mb: AppModel["nginx"]["files"]): AppModel["nginx"] {
  if (!mb.length) return nginx;
  // The repo's copy of the gem's server-wide nginx.erb is read into the gem's site (its http {}).
  const rest = nginx.files.filter((f) => f.file !== MB_NGINX_HTTP);
  const own = rest.find((f) => !f.example);
  if (!own) return { ...nginx, files: [...rest, ...mb] };
  ctx.problem({ file: own.file, line: 1, message: `nginx.mb-site-not-read: capistrano-mb's nginx recipe installs its own site (nginx_unicorn.erb: client_max_body_size 4G, keepalive_timeout 5) on provision; this repo file is read instead: check which one the servers ran`, severity: "warning" });
  return nginx;
}

/** capistrano3-puma's nginx site likewise counts only where the repo has no nginx config of its own. */
function withPumaNginx(ctx: AnalyzerContext, nginx: AppModel["nginx"], puma: AppModel["nginx"]["files"]): AppModel["nginx"] {
  if (!puma.length) return nginx;
  const own = nginx.files.find((f) => !f.example);
  if (!own) return { ...nginx, files: [...nginx.files, ...puma] };
  ctx.problem({ file: own.file, line: 1, message: `nginx.puma-site-not-read: the Capfile loads capistrano3-puma's Nginx plugin, whose puma:nginx_config installs the gem's own site (client_max_body_size 4G, keepalive_timeout 10); this repo file is read instead: check which one the servers ran`, severity: "warning" });
  return nginx;
}

/**
 * capistrano3-nginx's own site (its :nginx_template left `:default`) counts only for the stages the
 * repo's nginx files do not describe: a rendered template of the stage, or a plain config, is read
 * instead, with a warning naming the gem's site.
 */
function withCap3Nginx(ctx: AnalyzerContext, nginx: AppModel["nginx"], gem: AppModel["nginx"]["files"]): void {
  withGemSite(ctx, nginx, gem, (stages) => `nginx.cap3-site-not-read: the :nginx_template of ${stagesWord(stages)} is capistrano3-nginx's :default, so \`nginx:site:add\` installs the gem's own site (client_max_body_size 4G, keepalive_timeout 10); this repo file is read instead: check which one the servers ran`);
}

function appName(stages: AppModel["stages"], appModule: Fact<string> | null, folder: string, mina = false): Fact<string> {
  // Mina names the app `application_name` (mina/default's variable), Capistrano `application`.
  for (const key of mina ? ["application", "application_name"] : ["application"])
    for (const s of stages) {
      const v = s.variables[key];
      if (v && typeof v.value === "string" && v.value) return { value: v.value, source: v.source };
    }
  if (appModule) return { value: appModule.value.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase(), source: appModule.source };
  return { value: folder.toLowerCase().replace(/[^a-z0-9-]+/g, "-"), source: { file: ".", line: 0 } };
}

/**
 * Reads a repo from disk and analyzes it. Throws UnusableInput when there is nothing to analyze.
 * `exclude` hides paths from the analyzers: `migrate` hides the files rails2k8s generated itself,
 * so a re-run sees the repo as the team wrote it and gives the same output.
 */
export async function analyzeDir(dir: string, exclude?: (path: string) => boolean, opts: AnalyzeOptions = {}): Promise<AppModel> {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UnusableInput(`${dir}: no such directory`);
  const walked = timed("repo read", () => readRepo(root));
  const problems = walked.problems;
  let repo: RepoFiles = exclude
    ? { paths: walked.repo.paths.filter((p) => !exclude(p)), read: (p) => (exclude(p) ? { error: "generated by rails2k8s" } : walked.repo.read(p)), skippedUnder: (d) => walked.repo.skippedUnder!(d).filter((p) => !exclude(p)) }
    : walked.repo;
  let has = (p: string) => hasPath(repo, p);
  const isRails = has("Gemfile") || has("Gemfile.lock") || has("config/application.rb") || has("config/environment.rb");
  let split: Extract<DeployRoot, { kind: "split" }> | null = null;
  if (!isRails) {
    const nested = nestedRailsRoots(repo.paths);
    // The deploy at the root, the app in a subfolder: read as one tree, cited at the real paths.
    const found = deployRoot(repo, nested);
    if (found.kind === "refused") throw new UnusableInput(`${dir}: not a Rails app at its root: ${found.message}`);
    if (found.kind === "split" && !opts.deployAtRoot)
      throw new UnusableInput(`${dir}: the deploy is at the root and the Rails app in ${found.app}/ (repo_tree at ${found.named}): \`rails2k8s analyze\` reads this shape; migrate does not write for it yet`);
    if (found.kind === "split") split = found;
  }
  if (split) {
    const at = split.named;
    repo = split.view;
    has = (p: string) => hasPath(repo, p);
    problems.push({
      file: at.slice(0, at.lastIndexOf(":")),
      line: Number(at.slice(at.lastIndexOf(":") + 1)),
      severity: "warning",
      message: `deploy-root.app-folder: the deploy here releases ${split.app}/ (repo_tree), the Rails app: its files are read from ${split.app}/ and cited there, the deploy's from the root`,
    });
  } else if (!isRails) {
    const nested = nestedRailsRoots(repo.paths);
    const hint = nested.length
      ? `; ${nested.length === 1 ? "a Rails app is" : "Rails apps are"} in ${nested
          .slice(0, 5)
          .map((r) => `${r}/ (${r}/config/application.rb)`)
          .join(", ")}${nested.length > 5 ? ` and ${nested.length - 5} more` : ""}: run rails2k8s on ${nested.length === 1 ? "that folder" : "one of them"}`
      : "";
    throw new UnusableInput(`${dir}: not a Rails app (no Gemfile, Gemfile.lock or config/application.rb at its root)${hint}`);
  }
  const capfileAt = capfilePath(repo);
  const hasDeploy = capfileAt !== null || has("config/deploy.rb") || repo.paths.some((p) => p.startsWith("config/deploy/"));
  if (!hasDeploy) throw new UnusableInput(`${dir}: no Capistrano deploy config (Capfile, config/deploy.rb or config/deploy/<stage>.rb)${deployExampleSaid(repo, "config/deploy.rb", false)}`);
  // A deploy file that cannot be read (binary, not UTF-8, too big) is one `cap` cannot load either:
  // whatever the analysis made of the rest would be a guess at that stage.
  const deployFiles = repo.paths.filter((p) => isCapfileName(p) || p === "config/deploy.rb" || STAGE_FILE.test(p));
  // capistrano-multiconfig's stages are nested (config/deploy/<app>/<stage>.rb): they count only when
  // the Capfile loads the gem; otherwise nested files are templates or recipes, not stages.
  const capfile = capfileAt ? repo.read(capfileAt) : { error: "" };
  const nested = "text" in capfile && multiconfigRequire(capfile.text, capfileAt!) !== null;
  const stageFiles = repo.paths.filter((p) => STAGE_FILE.test(p) || (nested && /^config\/deploy\/.+\.rb$/.test(p))).length;
  if (stageFiles > LIMITS.stages)
    throw new UnusableInput(`config/deploy/: ${stageFiles} stage files (config/deploy/<stage>.rb), more than the ${LIMITS.stages} rails2k8s reads: nothing was analyzed or written`);
  const unreadable = deployFiles.flatMap((p) => {
    const r = repo.read(p);
    return "error" in r ? [`${shownPath(p)}:1: ${r.error}`] : [];
  });
  if (unreadable.length) throw new UnusableInput(`unreadable Capistrano deploy config:\n  ${unreadable.join("\n  ")}`);
  const refused: Omit<Problem, "severity">[] = [];
  const model = await analyzeFiles(repo, basename(root), problems, { commit: timed("git HEAD", () => headCommit(root)), ...opts, unusable: (p) => refused.push(p) });
  if (split) citeRealPaths(refused, split.view, split.realPath);
  if (refused.length) throw unusableOf(refused);
  if (split) citeRealPaths(model, split.view, split.realPath);
  return model;
}

/** One message for every unusable input found, each as file:line (paths quoted when not plain). */
function unusableOf(list: Omit<Problem, "severity">[]): UnusableInput {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const p of list) {
    const line = `${shownPath(p.file)}:${p.line}: ${p.message}`;
    if (!seen.has(line)) (seen.add(line), lines.push(line));
  }
  return new UnusableInput(`unusable input:\n  ${lines.join("\n  ")}`);
}
