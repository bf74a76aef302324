// Capistrano 2 and 3: stages, variables (as Capistrano computes them), servers, roles, tasks, hooks.
// Each stage is a fresh run of the config in Capistrano's load order (see SEMANTICS.md):
//   Cap 3: Capfile (+ imported lib/capistrano/tasks/*.rake) → set :stage → load:defaults (core,
//          git, plugins, `namespace :load` tasks) → config/deploy.rb → config/deploy/<stage>.rb →
//          SCM resolution → plugin hooks after the stage task.
//   Cap 2: built-in defaults (`load 'deploy'`) → Capfile → config/deploy.rb → multistage's stage
//          file (config/deploy/<stage>.rb).
import { lockedCapistrano } from "./after-defaults.js";
import { featuresNewerThan } from "./locked-features.js";
import type { AnalyzerContext, CapistranoFacts, GemStages, Stage, LinkedPath, Fact, RValue, Source, HookDef, ConditionalHook, TaskDef, ReleaseCopy } from "../../src/model.js";
import { gemStages } from "./gem-stages.js";
import { parseRuby, type ParsedRuby } from "../ruby/prism.js";
import { isSym, rubyToS, same } from "../ruby/evaluate.js";
import { Session } from "./session.js";
import { CAP3_FRAMEWORK_TASKS, resolveHook } from "./hook-names.js";
import { CAP2_CORE, CAP2_WHENEVER, CAP3_AFTER_STAGE, CAP3_CORE, CAP3_GIT, CAP3_PLUGINS, CAP3_PLUGIN_SNIPPETS, MINA_03, MINA_1, MINA_1_RAILS } from "./defaults.js";
import { classifyLinked } from "./linked.js";
import { expandLinkedGlobs } from "./linked-globs.js";
import { deployRunTasks } from "./run-tasks.js";
import { onStage, stageRunsOf, type StageRun } from "./stage-scope.js";
import { hasPath, reportUnusable } from "../../src/model.js";
import { LIMITS } from "../../src/model/limits.js";
import { acceptedStages, refuseBadRailsEnvs } from "./stage-names.js";
import { unreadOf } from "./follow.js";
import { shapeParser } from "./same-shape.js";
import { topLevelStageName, type TopLevelName } from "./top-level-stage.js";
import { envStageFiles, type EnvStageFiles } from "./env-stage-files.js";
import { envGuards, envMarker, envReads, minaTargets, valuesInvoking, valuesLoading } from "./mina.js";
import { INVOKES_LINK, minaSharedLists, sharedPathKind } from "./mina-shared.js";
import { parseLockfile } from "../rails/lockfile.js";
import { moonshineSettings, usesMoonshine, type MoonshineSetting } from "./moonshine.js";
import { MB, MB_READ_VERSION, MB_REQUIRE, mbLocked } from "./mb.js";
import { capfilePath, isCapfileName } from "./capfile.js";
import { lockHasMulticonfig, multiconfigRequire, multiconfigStages, MULTICONFIG_ROOT, type MulticonfigStage } from "./multiconfig.js";

export interface CapistranoResult {
  capistrano: CapistranoFacts | null;
  stages: Stage[];
  linked: LinkedPath[];
  /**
   * Files the deploy loaded: from trees the repo walk skips (the Rails 2 Capfile's
   * vendor/plugins/<plugin>/recipes/*.rb) and from the repo (lib/recipes/*.rb): deploy files for the
   * readers of the deploy's commands.
   */
  recipes?: string[];
}

export interface CapistranoOptions {
  /**
   * Capfile requires to treat as empty files: their plugin defaults and hooks are not modelled.
   * This is what real `cap` computes when those gems are stubbed (the oracle test).
   */
  stubbed?: string[];
  /**
   * Values given for a stage's variables where the repo could not say (the answers to `ask` and to
   * unknowns): set as if the stage file ended with `set :name, value`, so lazy values and Global
   * templates that read them are computed with them.
   */
  overrides?: { source: Source; stages: Record<string, Record<string, RValue>> };
}

/** capistrano-ext's multistage (and forks named after it): stages are files under config/deploy/. */
const MULTISTAGE = /(^|\/)multistage$/;
const MULTISTAGE_REQUIRE = /^[^#\n]*\brequire\s*\(?\s*["'][^"'\n]*multistage["']/m;
/** A Capistrano 3 stage file (and Cap 2 multistage's): its name is the stage's. */
export const STAGE_FILE = /^config\/deploy\/([^/]+)\.rb$/;
const isDeployFile = (p: string) => isCapfileName(p) || p === "config/deploy.rb" || STAGE_FILE.test(p);
/** Parsed built-in recipes (read-only trees), by name and text. */
const SNIPPETS = new Map<string, ParsedRuby>();

export function analyzeCapistrano(ctx: AnalyzerContext): CapistranoResult {
  return analyzeCapistranoWith(ctx, {});
}

export function analyzeCapistranoWith(ctx: AnalyzerContext, options: CapistranoOptions): CapistranoResult {
  const { repo } = ctx;
  const has = (p: string) => hasPath(repo, p);
  // Named "Capfile" in messages when the repo has none (Capistrano 2 with deploy.rb alone).
  const CAPFILE = capfilePath(repo) ?? "Capfile";
  const stageFiles = repo.paths.filter((p) => STAGE_FILE.test(p));
  if (!has(CAPFILE) && !has("config/deploy.rb") && !stageFiles.length) return { capistrano: null, stages: [], linked: [] };

  // capistrano-multiconfig's stage files (nested, with shared namespace files): deploy files too.
  const multiconfigFiles = new Set<string>();
  // mina-multistage's stage files in a stages_dir elsewhere than config/deploy: deploy files too.
  const minaDirFiles = new Set<string>();
  const reported = new Set<string>();
  const warn = (file: string, line: number, message: string, severity: "warning" | "error" = "warning") => {
    const key = `${file}:${line}:${message}`;
    if (reported.has(key)) return;
    reported.add(key);
    ctx.problem({ file, line, message, severity });
  };
  const parsedCache = new Map<string, ParsedRuby | null>();
  const parseShaped = shapeParser();
  // Files said to be unusable: a stage file's tree is dropped once its stage has run (10,000 of
  // them held until the end were most of the memory), and one parsed again is not reported twice.
  const unusableSaid = new Set<string>();
  const unusable = (path: string, line: number, message: string) => {
    if (!unusableSaid.has(path)) unusableSaid.add(path), reportUnusable(ctx, { file: path, line, message });
  };
  const parse = (path: string): ParsedRuby | null => {
    if (parsedCache.has(path)) return parsedCache.get(path)!;
    const r = repo.read(path);
    let parsed: ParsedRuby | null = null;
    if ("error" in r) {
      // `cap` cannot load it either: whatever the analysis made of that stage would be a guess.
      // A deploy file that is not there is read as empty, as `cap` does without a Capfile's requires;
      // one that is there and cannot be read is unusable.
      if ((isDeployFile(path) || multiconfigFiles.has(path) || minaDirFiles.has(path)) && has(path)) unusable(path, 1, `cannot read: ${r.error}`);
      else warn(path, 0, `cannot read: ${r.error}`);
    } else {
      parsed = parseShaped(path, r.text);
      // A stage file that does not parse is not a stage `cap` ever deployed: no overlay is made of it.
      if ((STAGE_FILE.test(path) || multiconfigFiles.has(path) || minaDirFiles.has(path)) && parsed.errors.length) unusable(path, parsed.errors[0].line, `Ruby syntax error: ${parsed.errors[0].message}`);
      // Prism recovers from syntax errors: what it could parse is still used.
      for (const e of parsed.errors) warn(path, e.line, `Ruby syntax error: ${e.message} (the rest of the file is read as far as it parses)`, "error");
    }
    parsedCache.set(path, parsed);
    return parsed;
  };
  const snippet = (name: string, text: string): ParsedRuby => {
    // The built-in recipes are the same text for every stage (and every run): parsed once.
    const key = `${name}\0${text}`;
    let p = SNIPPETS.get(key);
    if (!p) SNIPPETS.set(key, (p = parseRuby(name, text)));
    return p;
  };

  const major = detectMajor(ctx, parse);
  lockedMajorMismatch(ctx, major, warn);
  // capistrano-mb's defaults count only when the bundle has the gem (without it `cap` fails to load).
  const mbLock = mbLocked(repo);
  const nginxPluginLocked = lockedGem(repo, "capistrano3-nginx");
  const unicornNginxLocked = lockedGem(repo, "capistrano-unicorn-nginx");
  const modelled = (req: string) => !(options.stubbed ?? []).includes(req) && (req !== MB_REQUIRE || mbLock !== null) && (req !== "capistrano/nginx" || nginxPluginLocked) && (req !== "capistrano/unicorn_nginx" || unicornNginxLocked);
  // One map of computed callables for every session of this analysis (see Session#lazyValue).
  // Mina before 1.0 reads a bare name as its setting (method_missing), as Capistrano 2 does.
  const minaTool = isMina(parse, has);
  const bareReads = minaTool && minaBeforeOne(repo);
  /** The Mina major Gemfile.lock resolves (0 for 0.x, 1 for 1.x), null when it does not say. */
  const minaMajor = minaTool ? minaLockedMajor(repo) : null;
  const lockRead = major === 3 && has("Gemfile.lock") ? repo.read("Gemfile.lock") : null;
  const lockedCap = lockRead && "text" in lockRead ? lockedCapistrano(lockRead.text) : null;
  const sessionOpts = { major, repo, parse, warn, unusable, lazyValues: new Map(), lockedCap, labelDefaults: (src: Source, what: string) => pluginDefaults.set(src, what), ...(bareReads ? { bareReads } : {}), ...(minaTool ? { mina: true } : {}) };
  // A value a plugin's defaults set is cited to the Capfile line that loaded the plugin (never a
  // comment that names it), and labelled as that plugin's default (pluginDefaults, read in stageOf).
  const pluginDefaults = new WeakMap<Source, string>();
  /** Task-body sets already warned about (capistrano.task-set): once per line, not once per stage. */
  const warnedSets = new Set<string>();
  const capfileSources = new Map<string, Source>();
  const capfileSource = (what: string, req?: RegExp): Source => {
    const key = `${what}\0${req?.source ?? ""}`;
    let src = capfileSources.get(key);
    if (!src) {
      // a repo without a Capfile (Mina, Capistrano 2 with deploy.rb alone) is not warned about one
      const p = req && has(CAPFILE) ? parse(CAPFILE) : null;
      const lines = p ? p.text.split("\n") : [];
      const i = req ? lines.findIndex((l) => !/^\s*#/.test(l) && req.test(l.replace(/\s#.*$/, ""))) : -1;
      src = i >= 0 ? { file: CAPFILE, line: i + 1 } : { file: has(CAPFILE) ? CAPFILE : "config/deploy.rb", line: 0 };
      pluginDefaults.set(src, what);
      capfileSources.set(key, src);
    }
    return src;
  };

  /** Where Mina's defaults come from: the deploy.rb line that requires its recipes (mina/rails first). */
  let minaAt: Source | null = null;
  function minaSource(): Source {
    if (minaAt) return minaAt;
    const lines = (parse("config/deploy.rb")?.text ?? "").split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const i = [at(/^\s*require\s*\(?\s*["']mina\/rails["']/), at(/^\s*require\s*\(?\s*["']mina\//)].find((n) => n >= 0) ?? -1;
    minaAt = { file: "config/deploy.rb", line: i + 1 };
    pluginDefaults.set(minaAt, "Mina");
    return minaAt;
  }

  // Stage names: Cap 3 lists config/deploy/*.rb; Cap 2 multistage reads `set :stages` (falling back
  // to the same listing, as capistrano-ext does).
  let stageNames = stageFiles.map((p) => STAGE_FILE.exec(p)![1]).sort();
  const multi = major === 3 ? multiconfigOf() : null;
  if (multi) stageNames = multi.stages.map((s) => s.name);
  /** The config file every stage loads before its own: multiconfig loads `<stages_root>.rb` instead. */
  const deployRb = multi ? multi.deployRb : "config/deploy.rb";
  // capistrano/setup's stage task loads deploy_config_path (config/deploy.rb) before the stage file, and
  // Ruby's `load` raises LoadError when it is absent: every `cap <stage>` aborts before any task. The
  // stages are still read (their overlays say so, as for any stage cap aborts on).
  let noDeployRb: { message: string; source: Source } | null = null;
  if (major === 3 && !multi && !minaTool && !has("config/deploy.rb") && stageNames.length && has(CAPFILE)) {
    const capLines = (parse(CAPFILE)?.text ?? "").split("\n");
    const i = capLines.findIndex((l) => /^\s*require\s*\(?\s*["']capistrano\/setup["']/.test(l));
    if (i >= 0 && !capLines.some((l) => /deploy_config_path/.test(l))) {
      noDeployRb = { message: `cap.deploy-rb-missing: config/deploy.rb does not exist, and capistrano/setup (${CAPFILE}:${i + 1}) loads it for every stage: Ruby raises LoadError, so \`cap\` aborts before any task ran`, source: { file: CAPFILE, line: i + 1 } };
      warn(CAPFILE, i + 1, noDeployRb.message);
    }
  }
  const taskStages = new Map<string, Source>();
  /** Capistrano 2 with switch tasks: config/deploy.rb's top level as a stage of its own (top-level-stage.ts). */
  let topLevel: TopLevelName | null = null;
  let stagesSetAt: Source | null = null;
  /** capistrano-ext's `stage_dir` when set elsewhere than config/deploy (its stage files are not read from there). */
  let otherStageDir: Source | null = null;
  if (major === 2) {
    const probe = new Session(sessionOpts);
    probe.runSnippet(snippet("capistrano/recipes/deploy.rb", CAP2_CORE), capfileSource("Capistrano 2"));
    // The Capfile too: the recipes it loads (vendor/plugins/<plugin>/recipes) may be the multistage.
    if (has(CAPFILE)) probe.runFile(CAPFILE, true);
    if (has("config/deploy.rb")) probe.runFile("config/deploy.rb", true);
    probe.fireLoad();
    const declared = probe.vars.has("stages") ? probe.vars.fetch("stages") : null;
    if (probe.vars.has("stage_dir") && rubyToS(probe.vars.fetch("stage_dir"))?.replace(/^\.\//, "").replace(/\/+$/, "") !== "config/deploy")
      otherStageDir = probe.vars.sourceOf("stage_dir") ?? { file: "config/deploy.rb", line: 0 };
    // capistrano-ext's multistage makes a stage task of each config/deploy/*.rb (or of `set :stages`).
    // Without it those files are only recipes deploy.rb may require (apache.rb, cron.rb...): no stages.
    // A repo copy of it counts too: a recipe file named multistage.rb that makes stage tasks of
    // `stages` (the Rails 2 plugins that vendor capistrano-ext's recipe, loaded by the Capfile).
    const multistage = probe.requires.some((r) => MULTISTAGE.test(r.value)) || [...probe.loadedFiles()].some((p) => MULTISTAGE_REQUIRE.test(parse(p)?.text ?? "") || vendoredMultistage(p, parse(p)?.text ?? ""));
    if (!multistage) stageNames = [];
    if (multistage && Array.isArray(declared) && declared.every((s) => typeof s === "string" || isSym(s))) {
      stageNames = declared.map((s) => rubyToS(s)!);
      stagesSetAt = probe.vars.sourceOf("stages") ?? null;
    }
    // Without multistage, stages are tasks that declare the servers: `task :production do role ...`.
    if (!stageNames.length) for (const t of probe.stageTasks()) taskStages.set(t.name, t.source);
    if (taskStages.size) stageNames = [...taskStages.keys()];
    // The top level declares servers of its own: what a plain `cap deploy` (no switch task) deployed.
    const topServers = probe.servers.list(null);
    const topUnread = probe.unread.find((u) => u.servers);
    if (taskStages.size && (topServers.length || topUnread)) {
      topLevel = topLevelStageName(probe.vars, (src) => pluginDefaults.has(src), [...taskStages.keys()], topServers[0]?.source ?? topUnread!.source);
      stageNames = [topLevel.name, ...stageNames];
    }
  }

  // mina-multistage reads its stage files from `stages_dir` (default config/deploy).
  const minaDir = minaTool && !multi ? minaStagesDir() : null;
  if (minaDir) stageNames = minaStageFiles(repo.paths, minaDir);
  // The limit src/analyze.ts holds config/deploy/*.rb to, for the folder the stages are read from.
  if (minaDir && stageNames.length > LIMITS.stages) {
    unusable(`${minaDir}/${stageNames[LIMITS.stages]}.rb`, 1, `${stageNames.length} stage files in mina-multistage's stages_dir ${minaDir}/, more than the ${LIMITS.stages} rails2k8s reads: nothing was analyzed or written`);
    stageNames = [];
  }
  if (minaDir) for (const n of stageNames) minaDirFiles.add(`${minaDir}/${n}.rb`);
  const minaListed = minaTool && !multi && stageNames.length <= LIMITS.stages ? minaListedStages(minaDir ?? "config/deploy", stageNames) : null;
  if (minaListed) stageNames = minaListed;
  const stageFileOf = (name: string): string => multi?.byName.get(name)?.file ?? `${minaDir ?? "config/deploy"}/${name}.rb`;
  const declaredAt = (name: string): Source => taskStages.get(name) ?? (topLevel?.name === name ? topLevel.source : null) ?? stagesSetAt ?? { file: stageFileOf(name), line: 1 };
  stageNames = acceptedStages(ctx, stageNames, declaredAt);
  // capistrano-ext's stage task is `load "config/deploy/<stage>"`, and Capistrano 2's load raises
  // LoadError when no such file is found: `cap <stage>` fails, so the stage deployed nothing and no
  // overlay is made of it (nor of config/deploy.rb alone, which `cap deploy` never reaches: multistage
  // aborts without a stage, or loads the missing default stage).
  let unloadable = 0;
  if (major === 2 && otherStageDir)
    warn(otherStageDir.file, otherStageDir.line, "capistrano-ext's stage_dir is set elsewhere than config/deploy: the stage files there are not read, so each stage is read from config/deploy.rb alone");
  if (major === 2 && stagesSetAt && !otherStageDir)
    stageNames = stageNames.filter((name) => {
      const file = `config/deploy/${name}.rb`;
      if (taskStages.has(name) || has(file)) return true;
      unloadable++;
      warn(stagesSetAt!.file, stagesSetAt!.line, `stage ${name} is declared here but ${file} does not exist: \`cap ${name}\` fails (capistrano-ext's multistage loads that file, and Capistrano 2 raises LoadError without it), so stage ${name} is not deployable and gets no overlay`);
      return false;
    });

  const stages: Stage[] = [];
  /** Moonshine's settings (config/moonshine.yml), read once for every stage. */
  let moonshine: MoonshineSetting[] | null = null;
  // What is kept of each stage's session once its stage is made (the rest is dropped as it goes).
  const sessions: Session[] = [];
  const kept: Kept[] = [];
  const tasks: TaskDef[] = [];
  const hooks: HookDef[] = [];
  const condHooks: ConditionalHook[] = [];
  // Every stage's session defines the same tasks and hooks again: kept once each, by key, in order,
  // with the stages whose run defined it (a hook or task written in one stage's file exists in that
  // stage only; one in the Capfile, deploy.rb or a file they load, in every stage).
  const taskKeys = new Map<string, number>();
  const hookKeys = new Map<string, number>();
  const condKeys = new Map<string, number>();
  const keptObjects = new Map<object, { list: "tasks" | "hooks" | "cond"; at: number }>();
  const onStages = { tasks: [] as StageSet[], hooks: [] as StageSet[], cond: [] as StageSet[] };
  let lock: Session["lock"] = null;
  const recipes = new Set<string>();
  const sessionTasks = new WeakMap<Session, Set<string>>();
  const taskNames = (s: Session) => {
    let names = sessionTasks.get(s);
    if (!names) sessionTasks.set(s, (names = new Set(s.tasks.map((t) => t.name))));
    return names;
  };
  /** Counts the entry at `at` of `list` as defined in `stage`'s run (null: a run of no stage, every stage's). */
  const seenOn = (list: "tasks" | "hooks" | "cond", at: number, stage: string | null) => {
    const e = (onStages[list][at] ??= { every: false, names: [] });
    if (stage === null) e.every = true;
    else if (e.names[e.names.length - 1] !== stage) e.names.push(stage);
  };
  const keep = (s: Session, stage: string | null) => {
    // Every file the deploy loaded is a deploy file: a skipped tree's (vendor/plugins), and a repo
    // file outside the usual places (`Dir['lib/recipes/*.rb'].each { |r| load(r) }` in a Capfile).
    for (const p of s.loadedFiles()) recipes.add(p);
    if (!sessions.length) sessions.push(s);
    // The run's last file has run: a loop in a task reads its list as the stage left it.
    s.readLoopLinks();
    kept.push({ linkedSources: s.linkedSources, manualLinks: s.manualLinks, recipeGems: s.recipeGems });
    lock ??= s.lock;
    // A fork holds the very task and hook objects of the config it came from: those are known
    // already, without building their keys again for each of 10,000 stages; only the stage is counted.
    for (const t of s.tasks) {
      const known = keptObjects.get(t);
      if (known) {
        seenOn(known.list, known.at, stage);
        continue;
      }
      const key = JSON.stringify([t.name, t.source.file, t.source.line]);
      let at = taskKeys.get(key);
      if (at === undefined) taskKeys.set(key, (at = tasks.length)), tasks.push(t);
      keptObjects.set(t, { list: "tasks", at });
      seenOn("tasks", at, stage);
    }
    for (const written of s.hooks) {
      const known = keptObjects.get(written);
      if (known) {
        seenOn(known.list, known.at, stage);
        continue;
      }
      // Capistrano 3 (not Mina): the names as Rake runs them, looked up among this run's tasks (hook-names.ts).
      const at = major === 3 && !minaTool ? s.hookScopes.get(written) : undefined;
      const h = at ? resolveHook(written, at, (n) => CAP3_FRAMEWORK_TASKS.has(n) || (taskNames(s).has(n))) : written;
      const key = JSON.stringify([h.kind, h.target, h.task, h.source.file, h.source.line]);
      let i = hookKeys.get(key);
      if (i === undefined) hookKeys.set(key, (i = hooks.length)), hooks.push(h);
      keptObjects.set(written, { list: "hooks", at: i });
      seenOn("hooks", i, stage);
    }
    for (const written of s.condHooks) {
      const known = keptObjects.get(written);
      if (known) {
        seenOn(known.list, known.at, stage);
        continue;
      }
      const at = major === 3 && !minaTool ? s.hookScopes.get(written) : undefined;
      const h = at ? (resolveHook(written, at, (n) => CAP3_FRAMEWORK_TASKS.has(n) || taskNames(s).has(n)) as ConditionalHook) : written;
      const key = JSON.stringify(["if", h.kind, h.target, h.task, h.source.file, h.source.line]);
      let i = condKeys.get(key);
      if (i === undefined) condKeys.set(key, (i = condHooks.length)), condHooks.push(h);
      keptObjects.set(written, { list: "cond", at: i });
      seenOn("cond", i, stage);
    }
  };
  // Every stage loads the same Capfile and deploy.rb before its own file. That part is run once, for
  // the first stage, and each stage goes on from a copy of its state, unless it read the stage's
  // name (`fetch(:stage)`, `set` of a name that holds it...): then each stage runs it again.
  let shared: { session: Session; loaded: Cap3Loaded | null } | null = null;
  stageNames.forEach((name, i) => {
    const task = taskStages.get(name);
    const top = topLevel?.name === name ? topLevel : null;
    const file = task ? task.file : top ? top.source.file : stageFileOf(name);
    // Every stage left has its file (a stage named in `set :stages` without one was dropped above).
    const declared: Source = top ? top.source : { file, line: task?.line ?? 1 };
    let s: Session;
    let loaded: Cap3Loaded | null = null;
    if (shared) {
      s = shared.session.fork();
      loaded = shared.loaded;
      if (major === 3 && !minaTool) s.vars.set("stage", stageValue(name), { file, line: 1 });
    } else {
      s = new Session(sessionOpts);
      if (major === 3) loaded = cap3Config(s, name, file);
      else cap2Config(s);
      if (i === 0 && stageNames.length > 1 && (loaded === null || loaded.sameForEveryStage)) shared = { session: s.fork(), loaded };
    }
    if (major === 3) cap3Stage(s, name, file, loaded!);
    else cap2Stage(s, name, task || top ? null : file, task ? name : null, declared);
    keep(s, name);
    const stage = stageOf(s, name, declared.file, declared.line);
    if (noDeployRb && !stage.capAborts) stage.capAborts = noDeployRb;
    if (top) stage.topLevel = { by: top.by, source: top.source, ...(top.envRead ? { envRead: top.envRead } : {}) };
    stages.push(stage);
    if (!task && !top) parsedCache.delete(file);
  });
  let stagesFromGem: GemStages | undefined;
  let envFiles: EnvStageFiles | null = null;
  if (!stageNames.length) {
    // No stage files: still read the config for its tasks, hooks and requires.
    const s = new Session(sessionOpts);
    if (major === 3) runCap3(s, null, null);
    else runCap2(s, null, null);
    keep(s, null);
    // A deploy.rb whose settings come from a file named by ENV (`cap deploy DEPLOY=x` loads config/deploy/x.yml):
    // each such file is a stage, and none is in the repo. Named and asked, not one stage "production".
    // Capistrano 2 without stages deploys config/deploy.rb's own servers (`server "x", :app, :web`):
    // that is the one stage there is, named after its rails_env (Capistrano 2's default: production).
    // Roles whose hosts are not known here (`role :web, ENV["WEB_HOST"]`) still declare that stage:
    // its servers become the stage's `servers.<stage>` question, not a missing stage.
    // (Only where deploy.rb itself declares no known server: servers it names are that one stage's.)
    envFiles = major === 2 && !minaTool && !unloadable && has("config/deploy.rb") && !s.servers.list(null).length ? envStageFiles("config/deploy.rb", parse("config/deploy.rb")?.text ?? "", repo.paths) : null;
    if (envFiles) {
      const shape = envFiles.pattern ?? `a path built from ENV[${JSON.stringify(envFiles.env)}]`;
      warn(envFiles.source.file, envFiles.source.line, `capistrano.env-stage-files: config/deploy.rb loads its settings from ${shape}, the file \`cap deploy ${envFiles.env}=<name>\` names: each such file is a stage, and the repo holds ${envFiles.examples.length ? `only ${envFiles.examples.join(", ")}, ${envFiles.examples.length === 1 ? "an example" : "examples"} of that shape (not read as stages)` : "none of them"}; its stages, servers and settings are asked (stages.none), not read as one stage`);
    } else if (major === 2 && !unloadable && (s.servers.list(null).length > 0 || s.unread.some((u) => u.servers))) {
      const envAt = s.vars.sourceOf("rails_env");
      const env = s.vars.has("rails_env") && !(envAt && pluginDefaults.has(envAt)) ? rubyToS(s.vars.fetch("rails_env")) : null;
      const name = env && /^[a-z][a-z0-9_-]*$/i.test(env) ? env : "production";
      warn("config/deploy.rb", 1, `Capistrano 2 without stages: config/deploy.rb's servers are read as one stage, ${name}${env ? " (its rails_env)" : " (Capistrano 2's default rails_env)"}`);
      stages.push(stageOf(s, name, "config/deploy.rb", 1));
    }
    if (major === 2 && !minaTool && !stages.length) {
      const files = [...s.loadedFiles()].map((p) => parse(p)).filter((p): p is NonNullable<typeof p> => p !== null);
      stagesFromGem = gemStages(files, s.requires, has) ?? undefined;
    }
  }

  /**
   * capistrano/setup sets the stage as a Symbol; capistrano-multiconfig as the String it was given;
   * mina-multistage as the String its stage file's basename is.
   */
  function stageValue(name: string): RValue {
    return multi || minaTool ? name : { sym: name };
  }

  /**
   * capistrano-multiconfig's stages, when the Capfile requires the gem; its stages_root is the
   * Capfile's (read by running the Capfile, as the gem reads it when required).
   */
  function multiconfigOf(): { stages: MulticonfigStage[]; byName: Map<string, MulticonfigStage>; deployRb: string } | null {
    const capfile = has(CAPFILE) ? parse(CAPFILE)?.text ?? "" : "";
    const at = multiconfigRequire(capfile, CAPFILE);
    if (!at) {
      const lock = has("Gemfile.lock") ? repo.read("Gemfile.lock") : { error: "" };
      if ("text" in lock && lockHasMulticonfig(lock.text) && repo.paths.some((p) => /^config\/deploy\/[^/]+\/.+\.rb$/.test(p)))
        warn("Gemfile.lock", 1, "capistrano-multiconfig is in the lockfile but the Capfile does not require capistrano/multiconfig: only config/deploy/<stage>.rb files are read as stages (the nested ones are not)");
      return null;
    }
    const probe = new Session(sessionOpts);
    probe.runFile(CAPFILE, true);
    let root = MULTICONFIG_ROOT;
    if (probe.vars.has("stages_root")) {
      const v = rubyToS(probe.vars.fetch("stages_root"));
      if (v && !v.startsWith("/") && !v.split("/").includes("..")) root = v.replace(/^\.\//, "").replace(/\/+$/, "");
      else warn(probe.vars.sourceOf("stages_root")?.file ?? CAPFILE, probe.vars.sourceOf("stages_root")?.line ?? at.line, `capistrano-multiconfig's stages_root is not a known path inside the repo: its default ${MULTICONFIG_ROOT} is read`);
    }
    const stages = multiconfigStages(repo.paths, root);
    for (const st of stages) for (const f of st.chain) multiconfigFiles.add(f);
    return { stages, byName: new Map(stages.map((s) => [s.name, s])), deployRb: `${root}.rb` };
  }

  /**
   * mina-multistage's `stages_dir`, when config/deploy.rb requires the gem and sets it elsewhere than
   * config/deploy (a literal path inside the repo); null otherwise. The gem lists `<stages_dir>/*.rb`
   * as its stages and its stage task loads `<stages_dir>/<stage>.rb` (lib/mina/multistage.rb).
   */
  function minaStagesDir(): string | null {
    if (!has("config/deploy.rb")) return null;
    const probe = new Session({ ...sessionOpts, warn: () => {}, unusable: () => {}, lazyValues: new Map() });
    probe.runFile("config/deploy.rb", true);
    // Mina's requires are not plugins of the session (gems, not repo files): read from the text.
    const requires = /^\s*require\s*\(?\s*["']mina\/multistage["']/m.test(parse("config/deploy.rb")?.text ?? "");
    if (!requires || !probe.vars.has("stages_dir")) return null;
    const v = rubyToS(probe.vars.fetch("stages_dir"));
    const at = probe.vars.sourceOf("stages_dir") ?? { file: "config/deploy.rb", line: 0 };
    const dir = v?.replace(/^\.\//, "").replace(/\/+$/, "") ?? null;
    if (dir === "config/deploy") return null;
    if (!dir || dir.startsWith("/") || dir.split("/").includes("..")) {
      warn(at.file, at.line, "mina-multistage's stages_dir is not a known path inside the repo: its stage files are read from config/deploy, its default");
      return null;
    }
    return dir;
  }

  /**
   * mina-multistage's own list of stages, where config/deploy.rb sets one before requiring the gem
   * (lib/mina/multistage.rb, endoze/mina-multistage): up to 1.0.0 `set :stages, [...]` names the
   * stage tasks (default: the files in stages_dir); from 1.0.1 on `set :all_stages` does, and
   * `stages` only names the files `multistage:init` creates. A listed stage whose file is missing
   * fails (its task `load`s the file: LoadError); a file not listed is no task (`mina <name>` is
   * "Don't know how to build task"). Null when no list applies: the stage files are the stages.
   */
  function minaListedStages(dir: string, files: string[]): string[] | null {
    const text = parse("config/deploy.rb")?.text ?? "";
    const req = text.split("\n").findIndex((l) => /^\s*require\s*\(?\s*["']mina\/multistage["']/.test(l));
    if (req < 0) return null;
    const probe = new Session({ ...sessionOpts, warn: () => {}, unusable: () => {}, lazyValues: new Map() });
    probe.runFile("config/deploy.rb", true);
    // Set before the require: the gem reads both when it is loaded.
    const setBefore = (name: string) => {
      const at = probe.vars.sourceOf(name);
      return probe.vars.has(name) && at?.file === "config/deploy.rb" && at.line <= req ? at : null;
    };
    const stagesAt = setBefore("stages");
    const allAt = setBefore("all_stages");
    if (!stagesAt && !allAt) return null;
    let version: string | null = null;
    if (has("Gemfile.lock")) {
      const r = repo.read("Gemfile.lock");
      if ("text" in r) version = parseLockfile(r.text).specs.find((x) => x.name === "mina-multistage")?.version ?? null;
    }
    const [maj = 0, min = 0, patch = 0] = (version ?? "").split(".").map((x) => Number.parseInt(x, 10) || 0);
    const old = version !== null && (maj < 1 || (maj === 1 && min === 0 && patch === 0));
    const at = old ? stagesAt : allAt;
    if (!old && stagesAt && !allAt)
      warn(stagesAt.file, stagesAt.line, `mina-multistage ${version ?? "(not in Gemfile.lock: read as the newest, 1.0.x)"}: \`set :stages\` names only the stage files \`mina multistage:init\` creates; the stages are the files in ${dir}/ (1.0.1 on; up to 1.0.0 this list was the stages)`);
    if (!at) return null;
    const list = probe.vars.fetch(old ? "stages" : "all_stages");
    const names = Array.isArray(list) && list.every((x) => typeof x === "string" || isSym(x)) ? list.map((x) => rubyToS(x)!) : null;
    if (!names) {
      warn(at.file, at.line, `mina-multistage's ${old ? "stages" : "all_stages"} is not a list known statically: its stages are read from the files in ${dir}/`);
      return null;
    }
    const out: string[] = [];
    for (const n of [...new Set(names)]) {
      if (files.includes(n)) out.push(n);
      else warn(at.file, at.line, `stage ${n} is listed here but ${dir}/${n}.rb does not exist: \`mina ${n}\` fails (mina-multistage's stage task loads that file), so stage ${n} is not deployable and gets no overlay`);
    }
    for (const f of files)
      if (!names.includes(f)) warn(`${dir}/${f}.rb`, 1, `not a stage: mina-multistage makes tasks only of the stages listed at ${at.file}:${at.line}, so \`mina ${f} deploy\` fails ("Don't know how to build task"); no overlay`);
    return out;
  }

  /** A Mina run: the file with `env` given, then `tasks` (the target's task, the environment task). */
  function minaRun(env: Record<string, string | null>, tasks: string[], quiet = false): Session {
    // A probe run (markers for values) says nothing: what it meets is said by the real runs.
    const s = new Session({ ...sessionOpts, env, ...(quiet ? { warn: () => {}, unusable: () => {}, lazyValues: new Map() } : {}) });
    runCap3(s, null, null);
    for (const t of tasks) s.runTask(t);
    return s;
  }

  function runCap3(s: Session, stage: string | null, file: string | null) {
    cap3Stage(s, stage, file, cap3Config(s, stage, file));
  }

  /** Capfile, defaults and config/deploy.rb, as loaded before the stage's file. */
  function cap3Config(s: Session, stage: string | null, file: string | null): Cap3Loaded {
    if (has(CAPFILE)) s.runFile(CAPFILE, true);
    for (const imp of [...s.imports]) s.runFile(imp, true);
    // capistrano/setup's stage task sets :stage before it loads config/deploy.rb. mina-multistage's
    // sets it only when the stage's task runs, after the whole of config/deploy.rb (cap3Stage).
    if (stage && !minaTool) s.vars.set("stage", stageValue(stage), { file: file!, line: 1 });
    const stageEntry = s.vars.entry("stage");
    s.vars.watch = new Set();
    const requires = s.requires.map((r) => r.value);
    // Mina is not Capistrano: its own defaults (deploy paths, branch, rails_env), cited to its require.
    if (minaTool) s.runSnippet(snippet(bareReads ? "mina 0.3" : "mina 1", bareReads ? MINA_03 : MINA_1), minaSource());
    if (minaTool && minaMajor === 1 && /^\s*require\s*\(?\s*["']mina\/rails["']/m.test(parse("config/deploy.rb")?.text ?? "")) s.runSnippet(snippet("mina/rails 1", MINA_1_RAILS), minaSource());
    else s.runSnippet(snippet("capistrano/defaults.rb", CAP3_CORE), capfileSource("Capistrano", /capistrano\/setup/));
    const gitInstalled = s.installs.some((i) => /SCM::Git\b/.test(i.value));
    const scmInstalled = s.installs.some((i) => /SCM::/.test(i.value));
    if (gitInstalled) s.runSnippet(snippet("capistrano/scm/git.rb", CAP3_GIT), capfileSource("Capistrano's git plugin", /SCM::Git/));
    {
      for (const req of requires.filter(modelled))
        for (const key of CAP3_PLUGINS[req] ?? []) s.runSnippet(snippet(key, CAP3_PLUGIN_SNIPPETS[key]), capfileSource(req === MB_REQUIRE ? MB : req === "capistrano/unicorn_nginx" ? "capistrano-unicorn-nginx" : req, new RegExp(`["']${escapeRe(req)}["']`)));
      const mbAt = s.requires.find((r) => r.value === MB_REQUIRE)?.source;
      if (mbAt && !mbLock && !(options.stubbed ?? []).includes(MB_REQUIRE))
        warn(mbAt.file, mbAt.line, `capfile.mb-not-locked: the Capfile requires ${MB_REQUIRE} but Gemfile.lock does not lock ${MB}: \`cap\` cannot load it with this bundle, so what its recipes ran (unicorn, nginx, crontab, sidekiq, deploy_to) is not known and its defaults are not read`);
      else if (mbAt && mbLock && !mbLock.version.startsWith(`${MB_READ_VERSION}.`))
        warn("Gemfile.lock", mbLock.line, `${MB} ${mbLock.version} is locked; its defaults and recipes are read as those of ${MB_READ_VERSION}.x, which may differ`);
    }
    s.runLoadDefaults();
    if (!minaTool && !multi) s.deployRbAfterDefaults = deployRb;
    if (has(deployRb)) s.runFile(deployRb, true);
    const readStage = s.vars.watch.has("stage") || s.vars.watch.has("*");
    s.vars.watch = null;
    return { requires, scmInstalled, sameForEveryStage: !readStage && s.vars.entry("stage") === stageEntry };
  }

  /** The stage's own file and what Capistrano does after it. */
  function cap3Stage(s: Session, stage: string | null, file: string | null, { requires, scmInstalled }: Cap3Loaded) {
    const own = stage !== null && multi?.byName.get(stage);
    if (minaTool && stage && file) s.vars.set("stage", stageValue(stage), { file, line: 1 });
    if (own) for (const f of own.chain) f !== deployRb && s.runFile(f, true);
    else if (file && has(file)) {
      s.stageFile = file;
      s.runFile(file, true);
    }
    applyOverrides(s, stage);
    // Capistrano::Configuration::SCMResolver#resolve (capistrano/setup's stage task calls it;
    // capistrano-multiconfig's does not: :scm stays as set and only an installed SCM plugin runs).
    const scm = s.vars.has("scm") ? s.vars.fetch("scm") : null;
    if (scm !== null && !multi) {
      const usingDefault = isSym(scm) && scm.sym === "default-git";
      if (usingDefault) s.vars.set("scm", { sym: "git" }, s.vars.sourceOf("scm")!);
      if (scmInstalled) s.vars.delete("scm");
      else if (usingDefault || rubyToS(scm) === "git") s.runSnippet(snippet("capistrano/scm/git.rb", CAP3_GIT), s.vars.sourceOf("scm")!);
    }
    {
      const after = [...new Set(requires.filter(modelled).map((r) => CAP3_AFTER_STAGE[r]).filter(Boolean))];
      for (const code of after) s.runSnippet(snippet("capistrano/rails/set_rails_env.rake", code), capfileSource("capistrano-rails", /capistrano\/rails/));
      // capistrano-rvm hooks `rvm:hook` after every stage task: it sets :rvm_path on the servers, from
      // :rvm_custom_path or from where the servers' RVM is found. What the deploy's lambdas fetch
      // later (`"#{fetch :rvm_path}/bin/rvm"` in whenever_variables) is that path, never the nil of load time.
      if (requires.some((r) => r === "capistrano/rvm" && modelled(r))) {
        const at = capfileSource("capistrano-rvm", /capistrano\/rvm/);
        // A reference, as release_path is: known only on the servers, and kept in the text built on it.
        s.vars.set("rvm_path", { cap: "rvm_path" }, at);
      }
    }
  }

  function runCap2(s: Session, stage: string | null, file: string | null, task: string | null = null) {
    cap2Config(s);
    cap2Stage(s, stage, file, task);
  }

  /** Built-in recipes, Capfile and config/deploy.rb: loaded before the stage is known (always shared). */
  function cap2Config(s: Session): true {
    s.runSnippet(snippet("capistrano/recipes/deploy.rb", CAP2_CORE), capfileSource("Capistrano 2", /load\s+['"]deploy['"]/));
    if (has(CAPFILE)) s.runFile(CAPFILE, true);
    if (has("config/deploy.rb")) s.runFile("config/deploy.rb", true);
    s.fireLoad();
    // Moonshine's `on :start` moonshine:configure: config/moonshine.yml's keys, over deploy.rb's.
    moonshine ??= usesMoonshine(ctx) ? moonshineSettings(ctx) : [];
    for (const m of moonshine) s.vars.set(m.name, m.value, m.source);
    return true;
  }

  function cap2Stage(s: Session, stage: string | null, file: string | null, task: string | null = null, declared?: Source) {
    if (stage && file) s.vars.set("stage", { sym: stage }, declared ?? { file, line: 1 });
    s.stageFile = file;
    if (file && has(file)) s.runFile(file, true);
    // A stage written as a task: `cap production deploy` runs the task, then deploy.
    if (task) s.runTask(task);
    // whenever's v2 recipe, where deploy.rb, the Capfile or this stage's file required it: its `_cset`s
    // keep what the deploy set, so they are run once the stage's own values are in.
    const whenever = s.requires.find((r) => /^whenever\/capistrano(?:\/v2\/recipes)?$/.test(r.value));
    if (whenever) {
      pluginDefaults.set(whenever.source, "whenever/capistrano (v2)");
      s.runSnippet(snippet("whenever/capistrano/v2/recipes.rb", CAP2_WHENEVER), whenever.source);
    }
    applyOverrides(s, stage);
    s.resolveDynamicRoles();
  }

  function applyOverrides(s: Session, stage: string | null) {
    const given = stage !== null ? options.overrides?.stages[stage] : undefined;
    if (!given) return;
    for (const [name, value] of Object.entries(given)) s.vars.set(name, value, options.overrides!.source);
  }

  function stageOf(s: Session, name: string, file: string, line = 1): Stage {
    // Task bodies a hook runs on every deploy set their variables for the steps after it: the stage's value.
    // Hooks matched by their full names (hook-names.ts), as Rake runs them (Capistrano 3, not Mina).
    const resolve = (h: HookDef): HookDef => {
      const at = major === 3 && !minaTool ? s.hookScopes.get(h) : undefined;
      return at ? resolveHook(h, at, (n) => CAP3_FRAMEWORK_TASKS.has(n) || taskNames(s).has(n)) : h;
    };
    const { sets: hookedSets, conflicts } = s.applyHookedSets(resolve);
    for (const h of hookedSets)
      if (!warnedSets.has(`${h.set.file}:${h.set.line}`)) {
        warnedSets.add(`${h.set.file}:${h.set.line}`);
        warn(h.set.file, h.set.line, `capistrano.task-set: task ${h.task} sets ${h.variable}, and the hook \`${h.hook.kind} ${h.hook.target}\` (${h.hook.source.file}:${h.hook.source.line}) runs it on every deploy: from that step on the deploy ran with this value, whatever the stage file or a default said, so it is each stage's ${h.variable}`);
      }
    const variables: Record<string, Fact<RValue>> = {};
    for (const k of s.vars.keys()) {
      const value = s.vars.fetch(k);
      const source = s.vars.sourceOf(k);
      const defaultOf = source ? pluginDefaults.get(source) : undefined;
      variables[k] = { value, source: source ?? { file, line }, ...(defaultOf ? { defaultOf } : {}) };
    }
    const user = major === 2 && typeof variables["user"]?.value === "string" ? (variables["user"].value as string) : null;
    const stage: Stage = { name, source: { file, line }, variables, servers: s.servers.list(user) };
    if (s.asked.length) stage.asked = s.asked;
    const own = s.stageFile ? s.requires.filter((r) => r.source.file === s.stageFile) : [];
    if (own.length) stage.plugins = own.map((r) => ({ value: r.value, source: r.source }));
    if (s.capAborts.length) stage.capAborts = s.capAborts[0];
    if (s.unfollowedLoads.length) stage.unfollowedLoad = s.unfollowedLoads[0];
    if (hookedSets.length) stage.hookedSets = hookedSets.map((h) => ({ variable: h.variable, task: h.task, set: h.set, hook: h.hook }));
    if (conflicts.length) stage.hookedSetConflicts = conflicts.map((c) => c.map((h) => ({ variable: h.variable, task: h.task, set: h.set, hook: h.hook })));
    const unread = unreadOf(s.unread);
    // No server read, but a call we do not know ran (a plugin's `ec2_role`): its servers are not
    // known, which is not the same as none (that would suspend its CronJobs on a false reason).
    // Mina's one server is its `domain`: once that is known, no other call declares servers.
    const minaHost = minaTool && s.vars.has("domain") && rubyToS(s.vars.fetch("domain")) !== null;
    const call = stage.servers.length === 0 && !minaHost && !unread.some((u) => u.what === "servers") ? s.unknownCalls[0] : undefined;
    if (call) unread.push({ what: "servers", source: call.source, message: `\`${call.name}\` (a method or plugin not known statically) may declare the stage's servers` });
    if (unread.length) stage.unread = unread;
    // Maybe changes of a variable that is not known anyway (unread below) say nothing more.
    const maybe = s.maybe.filter((m) => !unread.some((u) => u.what === "variable" && u.name === m.name));
    if (maybe.length) stage.maybe = maybe;
    // A variable an output reads, set in code that was not followed: its value is not known (the
    // value before that code would be a guess). Overrides (answers) stand.
    for (const u of unread)
      if (u.what === "variable" && u.name && !(options.overrides?.stages[name] && u.name in options.overrides.stages[name]))
        variables[u.name] = { value: { unknown: `set in code that could not be followed (${u.message})`, expr: u.name, source: u.source }, source: u.source };
    return stage;
  }

  // Mina (`require "mina/rails"` in config/deploy.rb) is not Capistrano, but its deploy.rb is the same
  // `set`/`fetch`/`task` DSL: it is read alike, and its one host, `set :domain`, is the server that ran
  // everything (Mina deploys web, app and db work to that host). Stage files are mina-multistage's.
  const mina = isMina(parse, has);
  if (mina && stages.length === 0 && parse("config/deploy.rb")) {
    // Targets named in config/deploy.rb itself (per-target tasks, `to=` branches, the environment
    // task): each a run of the file with its task or its variable, kept when it knows its host.
    const { targets, envTasks, vars: compared } = minaTargets(parse("config/deploy.rb")!);
    const vars = [...compared];
    // A list the variable must be in (`raise ... unless %w[sandbox production].include?(ENV['to'])`): each value a target.
    for (const g of envGuards(parse("config/deploy.rb")!)) {
      if (!vars.includes(g.env)) vars.push(g.env);
      for (const value of g.values)
        if (!targets.some((t) => t.name === value)) targets.push({ name: value, env: { [g.env]: value }, tasks: envTasks, source: parse("config/deploy.rb")!.sourceOf(g.node), named: true });
    }
    // Targets named by the file a command-line variable makes the run load (`mina deploy on=staging`
    // requiring config/deploy/staging…rb): found by a run given a marker for each variable.
    const selectors = envReads(parse("config/deploy.rb")!).filter((v) => !vars.includes(v));
    if (selectors.length) {
      const probe = minaRun(Object.fromEntries(selectors.map((v) => [v, envMarker(v)])), envTasks, true);
      for (const miss of probe.missedLoads)
        for (const v of selectors) {
          const found = valuesLoading(miss.target, envMarker(v), repo.paths);
          if (!found.length && miss.target.includes(envMarker(v)))
            warn(miss.source.file, miss.source.line, `mina.target-file-unknown: this load builds its path from ENV[${JSON.stringify(v)}] (${miss.target.split(envMarker(v)).join(`<${v}>`)}) and no repo file matches: the targets \`mina deploy ${v}=…\` selects are not known`);
          for (const { value, file } of found) {
            if (targets.some((t) => t.name === value)) continue;
            if (!vars.includes(v)) vars.push(v);
            targets.push({ name: value, env: { [v]: value }, tasks: envTasks, source: { file, line: 1 } });
            warn(file, 1, `Mina target ${v}=${value}: \`mina deploy ${v}=${value}\` loads this file (${miss.source.file}:${miss.source.line} builds its path from ENV[${JSON.stringify(v)}]); read as stage ${value}`);
          }
        }
      // Targets named by the task an `invoke` picks with the variable while deploy.rb loads
      // (`invoke :"env:#{server}"`, server from ENV['to']): each repo task that name fits.
      const defined = probe.definedTasks();
      for (const inv of probe.invokes)
        for (const v of selectors) {
          if (!inv.name.includes(envMarker(v))) continue;
          const found = valuesInvoking(inv.name, envMarker(v), defined);
          if (!found.length) warn(inv.source.file, inv.source.line, `mina.target-task-unknown: this invoke builds its task name from ENV[${JSON.stringify(v)}] (${inv.name.split(envMarker(v)).join(`<${v}>`)}) and no task of the repo fits it: the targets \`mina deploy ${v}=…\` selects are not known`);
          for (const { value, task, source } of found) {
            if (targets.some((t) => t.name === value)) continue;
            if (!vars.includes(v)) vars.push(v);
            targets.push({ name: value, env: { [v]: value }, tasks: envTasks, source, selects: task, named: true });
          }
        }
    }
    const runs = targets.map((t) => ({ ...t, s: minaRun(t.env, t.tasks) }));
    // Given no target, the variables the file branches on are unset.
    const plain = minaRun(Object.fromEntries(vars.map((v) => [v, null])), envTasks);
    const hostOf = (s: Session) => (s.vars.has("domain") ? rubyToS(s.vars.fetch("domain")) : null);
    const known = runs.filter((r) => hostOf(r.s) !== null || r.named);
    const plainHost = hostOf(plain);
    const plainName = minaStageName(plain);
    // The run given no target may be one of the targets: the one whose env task it invoked
    // (`ENV['to'] || default_server`), or whose value its ENV was given (`ENV['to'] ||= 'sandbox'`).
    const byDefault = known.find((r) => (r.selects && plain.invokes.some((i) => i.name === r.selects)) || (Object.keys(r.env).length > 0 && Object.entries(r.env).every(([k, v]) => plain.envValue(k) === v)));
    const clash = byDefault ? undefined : known.find((r) => r.name === plainName);
    if (plainHost !== null && !clash && !byDefault) known.push({ name: plainName, env: {}, tasks: envTasks, source: { file: "config/deploy.rb", line: 1 }, s: plain });
    else if (plainHost !== null && clash && hostOf(clash.s) !== plainHost)
      warn("config/deploy.rb", 1, `Mina: a deploy given no target goes to ${plainHost}; it is not made a stage, since its name (${plainName}) is that of the target at line ${clash.source.line}`);
    const byName = new Map(known.map((r) => [r.name, r]));
    const accepted = acceptedStages(ctx, known.map((r) => r.name), (n) => byName.get(n)!.source);
    if (accepted.length) {
      sessions.length = 0;
      kept.length = 0;
      for (const name of accepted) {
        const r = byName.get(name)!;
        keep(r.s, name);
        stages.push(stageOf(r.s, name, r.source.file, r.source.line));
      }
      const how = (n: string) => {
        const r = byName.get(n)!;
        const given = Object.keys(r.env).length ? Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(" ") : r.tasks[0] === n ? `task ${n}` : "no target given";
        return `${given}${r.selects ? `, task ${r.selects} at ${r.source.file}:${r.source.line}` : ""}${r === byDefault ? "; the default: a deploy given no target goes here" : ""}`;
      };
      if (targets.length) warn("config/deploy.rb", 1, `Mina: ${accepted.length} target(s) read from config/deploy.rb: ${accepted.map((n) => `${n} (${how(n)})`).join(", ")}`);
    }
  }
  if (mina) {
    if (stages.length === 0 && sessions[0] && sessions[0].vars.has("domain")) stages.push(stageOf(sessions[0], minaStageName(sessions[0]), "config/deploy.rb", 1));
    for (const st of stages) {
      const domain = st.variables["domain"];
      let host = domain ? rubyToS(domain.value) : null;
      // A URL is no SSH host (Mina runs `ssh <domain>`, which fails on one): not taken as the server.
      if (domain && host && /^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
        warn(domain.source.file, domain.source.line, `mina.domain-url: stage ${st.name}'s \`domain\` is a URL (${host}), not the host Mina reaches by SSH: it is not taken as the stage's server`);
        (st.unread ??= []).push({ what: "servers", source: domain.source, message: `Mina's \`domain\` is a URL (${host}), not a host` });
        host = null;
        continue;
      }
      if (!domain || !host || st.servers.some((x) => x.host === host)) {
        // `set :domain, ""` is known: empty, so the stage names no server (a scrubbed or unused target).
        if (!st.servers.length && domain && host === "") warn(domain.source.file, domain.source.line, `Mina stage ${st.name}: \`domain\` is set to an empty string; the stage declares no server`);
        else if (!st.servers.length) {
          const source = domain?.source ?? st.source;
          const message = domain ? "Mina's `domain` is not known statically" : "Mina's `domain` is not set";
          const unreadServers = st.unread?.some((u) => u.what === "servers");
          // No domain at all (and nothing unknown that could give one): the stage declares no server.
          warn(source.file, source.line, `Mina stage ${st.name}: ${domain ? "`domain` is not known statically; its server is not known" : unreadServers ? "`domain` is not set; its server is not known" : "`domain` is not set; the stage declares no server"}`);
          // The server exists but could not be read: a question (servers.<stage>), not a stage without servers.
          if (domain) (st.unread ??= []).push({ what: "servers", source, message });
        }
        continue;
      }
      const user = st.variables["user"] ? rubyToS(st.variables["user"].value) : null;
      st.servers.push({ host, user, port: null, roles: ["web", "app", "db"], primary: true, properties: {}, source: domain.source });
    }
  }

  /**
   * Mina's lists of paths linked from shared/ (mina-shared.ts), when the deploy runs its link task;
   * a list set while no loaded file invokes the task links nothing, and is said so.
   */
  function minaLinks(): [string, LinkedPath["kind"] | "either"][] {
    const lists = minaSharedLists(minaMajor);
    const files = [...(sessions[0]?.loadedFiles() ?? [])];
    const invoked = files.some((p) => INVOKES_LINK.test(parse(p)?.text ?? ""));
    for (const st of stages) {
      for (const [key] of lists) {
        const v = st.variables[key];
        if (!invoked && v && Array.isArray(v.value) && v.value.length && !v.defaultOf)
          warn(v.source.file, v.source.line, `mina.shared-not-linked: ${key} is set, but no deploy file invokes deploy:link_shared_paths, the task that links it from shared/ (Mina runs it only when the deploy task invokes it): these paths are read as the repo's`);
      }
      const old = st.variables["shared_paths"];
      if (minaMajor === 1 && old && Array.isArray(old.value) && old.value.length)
        warn(old.source.file, old.source.line, "mina.shared-paths-unlinked: Mina 1.x links only shared_dirs and shared_files (its deploy:link_shared_paths); shared_paths is read by its setup task alone, to create folders, so these paths were not linked and are read as the repo's");
    }
    return invoked ? lists : [];
  }

  const first = sessions[0];
  const capistrano: CapistranoFacts = {
    major,
    ...(mina ? { tool: "mina" as const } : {}),
    // With a Capistrano 2 stage file's own requires (Stage.plugins): every stage's, once each.
    // (analyze.ts takes out those of the stages it drops.)
    requires: [...first.requires, ...stages.flatMap((st) => st.plugins ?? [])]
      .filter((r, i, all) => all.findIndex((x) => x.value === r.value && x.source.file === r.source.file && x.source.line === r.source.line) === i)
      .map((r) => ({ value: r.value, source: r.source })),
    lock,
    tasks: withStages(tasks, onStages.tasks, stages),
    hooks: withStages(hooks, onStages.hooks, stages),
    ...(condHooks.length ? { conditionalHooks: withStages(condHooks, onStages.cond, stages) } : {}),
    ...(stagesFromGem ? { stagesFromGem } : {}),
    ...(envFiles ? { envStageFiles: envFiles } : {}),
  };
  // A link or a copy (ln, cp, mv, install, cat) counts only in a task the deploy runs, as
  // deploy-task-lines.ts reads task lines: a task no hook runs is no part of the deploy (run by hand,
  // if at all). Run also: one of Capistrano's own flow tasks a repo redefines or extends (the deploy
  // calls it without a hook), and a task some task invokes by name (read wherever the call is written,
  // so a doubt counts the task). Mina runs its tasks by `invoke`, not hooks: not filtered.
  // A task run only by a conditional hook counts, its link saying so.
  // Each stage's deploy runs its own hooks and tasks (stage-scope.ts): a link task hooked in
  // production.rb alone links nothing on staging's servers. Stages whose deploys define the same
  // hooks and tasks share one reading. A stage whose run loads code not followed (Stage.unfollowedLoad)
  // may hook any of them: every stage's hooks count there, as a doubt counts the task.
  const runs = new Map<string, ReturnType<typeof deployRunTasks>>();
  const ranOn = (i: number) => {
    const st = stages[i]?.unfollowedLoad ? undefined : stages[i];
    const lists = [capistrano.hooks, capistrano.conditionalHooks ?? [], capistrano.tasks] as const;
    const key = st ? lists.map((xs) => xs.flatMap((x, j) => (x.stages && onStage(x, st.name) ? [j] : [])).join(",")).join("|") : "";
    let r = runs.get(key);
    if (!r) {
      const on = <T extends { stages?: string[] }>(xs: readonly T[]) => xs.filter((x) => !st || onStage(x, st.name));
      r = deployRunTasks(on(lists[0]), on(lists[1]), on(lists[2]), major, (p) => parse(p)?.text ?? "");
      runs.set(key, r);
    }
    return r;
  };
  const unhooked = (l: Kept["manualLinks"][number], i: number) => !mina && !ranOn(i).ran.has(l.task);
  // Said once, for a link no stage's deploy runs.
  const ranSomewhere = new Set<string>();
  kept.forEach((k, i) => k.manualLinks.forEach((l) => !unhooked(l, i) && ranSomewhere.add(`${l.source.file}:${l.source.line}:${l.path}`)));
  const namedUnhooked = new Set<string>();
  for (const k of kept)
    for (const l of k.manualLinks) {
      const key = `${l.source.file}:${l.source.line}:${l.path}`;
      if (ranSomewhere.has(key) || namedUnhooked.has(key)) continue;
      namedUnhooked.add(key);
      if (l.via !== undefined)
        warn(l.source.file, l.source.line, `capistrano.copy-unhooked: task ${l.task} copies over the release's ${l.path || "root"} with ${l.via}, but no hook runs that task in the deploy: the copy is not read as what the servers ran (where someone ran the task by hand, that server's ${l.path || "release"} holds the copy, not the repo's file)`);
      else
        warn(l.source.file, l.source.line, `capistrano.link-unhooked: task ${l.task} links shared/${l.path} into the release, but no hook runs that task in the deploy (nor does Capistrano's flow or an invoke): the link is not read as what the servers ran (where someone ran the task by hand, that server's ${l.path || "release"} is the shared file, not the repo's)`);
    }
  const onlyIf = (l: Kept["manualLinks"][number], i: number) => {
    const c = mina ? undefined : ranOn(i).onlyIf.get(l.task);
    return c === undefined ? l : { ...l, condition: l.condition ? `${l.condition}; and ${c}` : c };
  };
  // h-hw's per-stage deployRunTasks (ranOn) already drops a task a stage's hooks never reach; this
  // names it, and keeps the doubt where a stage's run hit code not followed.
  // A task only some stages' deploys run (its hook, or the task itself, written in those stages'
  // files): its link is those stages' alone; `cap staging deploy` never made it, so staging's servers
  // read the release's file (the repo's database.yml). A stage whose run hit code not followed keeps
  // the link, the doubt said (stage-scope.ts stageRunsOf).
  const taskRuns = new Map<string, StageRun[] | null>();
  const runsOn = (l: Kept["manualLinks"][number], i: number): boolean => {
    if (mina || !stages[i]) return true;
    const key = `${l.task}\0${l.source.file}`;
    if (!taskRuns.has(key)) {
      const def = capistrano.tasks.find((t) => t.name === l.task && t.source.file === l.source.file) ?? capistrano.tasks.find((t) => t.name === l.task);
      taskRuns.set(key, def ? stageRunsOf(capistrano, def, stages, (p) => parse(p)?.text ?? "") : null);
    }
    const r = taskRuns.get(key)?.[i];
    return !r || r.runs;
  };
  const deployKept = kept.map((k, i) => ({ ...k, manualLinks: k.manualLinks.filter((l) => !unhooked(l, i) && runsOn(l, i)).map((l) => onlyIf(l, i)) }));
  // Said where a stage's deploy got no link of that path at all (a stage file's own task of the same
  // name linking it there is that stage's link, nothing to say).
  const namedStaged = new Set<string>();
  for (const [i, k] of kept.entries())
    for (const l of k.manualLinks) {
      if (unhooked(l, i)) continue;
      runsOn(l, i);
      const r = taskRuns.get(`${l.task}\0${l.source.file}`);
      const key = `${l.source.file}:${l.source.line}:${l.path}`;
      if (!r || namedStaged.has(key)) continue;
      namedStaged.add(key);
      const what = l.via !== undefined ? `copies over the release's ${l.path || "root"} with ${l.via}` : `links shared/${l.path} into the release`;
      const linksPath = (j: number) => deployKept[j]!.manualLinks.some((x) => x.path === l.path && x.kind === l.kind);
      const off = r.filter((x, j): x is Extract<StageRun, { runs: false }> => !x.runs && !linksPath(j));
      if (off.length)
        warn(l.source.file, l.source.line, `capistrano.link-stages: task ${l.task} ${what}, but the deploy of stage${off.length > 1 ? "s" : ""} ${off.map((x) => x.stage).join(", ")} never runs it (${off[0]!.why}), nor links ${l.path || "it"} otherwise: there the servers read the release's ${l.path || "files"}, not the servers' copy`);
      for (const d of r) if (d.runs && d.doubt) warn(d.doubt.source.file, d.doubt.source.line, `capistrano.link-stage-doubt: task ${l.task} ${what} (${l.source.file}:${l.source.line}); no hook read in stage ${d.stage}'s deploy runs it, but ${d.doubt.why}: read as linked there too, the servers' copy; confirm on a server of stage ${d.stage}`);
    }
  const linked = expandLinkedGlobs(linkedOf(stages, deployKept, major, mina ? minaLinks() : null, repo.paths), repo.paths, tasks, hooks, warn);
  const releaseCopies = releaseCopiesOf(stages, deployKept, has);
  if (releaseCopies.length) capistrano.releaseCopies = releaseCopies;
  // A linked file the checkout lacks existed only on the servers: the image will not have it (hazards.ts).
  // capistrano-rails links public/<assets_prefix>: precompiled assets, rebuilt by every deploy (a cache, like public/assets).
  const assetDirs = new Set(stages.map((st) => st.variables["assets_prefix"]?.value).filter((v): v is string => typeof v === "string").map((v) => `public/${v.replace(/^\/+|\/+$/g, "")}`));
  for (const l of linked) if (l.kind === "dir" && assetDirs.has(l.path) && l.class === "other") l.class = "cache";
  for (const l of linked)
    if (l.kind === "file" && !l.path.startsWith("/") && !has(l.path)) {
      l.serverOnly = true;
      const example = exampleCopies(l.path).find(has);
      if (example) l.example = example;
    }
  refuseBadRailsEnvs(ctx, stages);
  return { capistrano, stages, linked, ...(recipes.size ? { recipes: [...recipes] } : {}) };
}

/**
 * Where a repo keeps the example of a file the servers held: `x.yml.example`, `x.example.yml`,
 * `x.dist.rb`, `x.sample`... (the real one is gitignored and lived in shared/).
 */
function exampleCopies(path: string): string[] {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  const dot = base.indexOf(".", 1);
  const out: string[] = [];
  for (const tag of ["dist", "example", "sample", "template", "default"]) {
    out.push(`${path}.${tag}`);
    if (dot > 0) out.push(`${dir}${base.slice(0, dot)}.${tag}${base.slice(dot)}`, `${dir}${base.slice(0, dot)}_${tag}${base.slice(dot)}`);
  }
  return out;
}

/** The stages whose run defined a kept task or hook; `every`: a run of no stage defined it. */
interface StageSet {
  every: boolean;
  names: string[];
}

/**
 * Each entry with `stages` set where the runs of only some of the stages defined it (a hook or task
 * written in one stage's file, or under a branch on the stage): in `stages`' order. An entry every
 * stage defined stays as it was (absent `stages`: every stage).
 */
function withStages<T extends { stages?: string[] }>(list: T[], seen: StageSet[], stages: Stage[]): T[] {
  return list.map((x, i) => {
    const e = seen[i];
    if (!e || e.every || !stages.length) return x;
    const on = new Set(e.names);
    if (stages.every((st) => on.has(st.name))) return x;
    return { ...x, stages: stages.filter((st) => on.has(st.name)).map((st) => st.name) };
  });
}

/** What linkedOf reads of a stage's session. */
type Kept = Pick<Session, "linkedSources" | "manualLinks" | "recipeGems">;

/**
 * capistrano-ext's multistage recipe copied into the repo (`vendor/plugins/<plugin>/recipes/multistage.rb`):
 * named multistage.rb, it makes a task of each of `stages` that sets `:stage` and loads its file.
 */
function vendoredMultistage(path: string, text: string): boolean {
  return /(^|\/)multistage\.rb$/.test(path) && !STAGE_FILE.test(path) && /\bstages\.each\b/.test(text) && /\bset\s*\(?\s*:stage\s*,/.test(text);
}

/** mina-multistage's stages: the names of `<dir>/*.rb` (its `Dir["#{stages_dir}/*.rb"]`), sorted. */
function minaStageFiles(paths: readonly string[], dir: string): string[] {
  const prefix = `${dir}/`;
  return paths
    .filter((p) => p.startsWith(prefix) && /^[^/]+\.rb$/.test(p.slice(prefix.length)))
    .map((p) => p.slice(prefix.length, -3))
    .sort();
}

/** Mina's deploy.rb requires its own recipes (`mina/rails`, `mina/git`, `mina/bundler`). */
function isMina(parse: (p: string) => ParsedRuby | null, has: (p: string) => boolean): boolean {
  return has("config/deploy.rb") && /^\s*require\s*\(?\s*["']mina\//m.test(parse("config/deploy.rb")?.text ?? "");
}

/** Whether Gemfile.lock resolves the gem. */
function lockedGem(repo: AnalyzerContext["repo"], gem: string): boolean {
  if (!hasPath(repo, "Gemfile.lock")) return false;
  const read = repo.read("Gemfile.lock");
  return "text" in read && parseLockfile(read.text).specs.some((x) => x.name === gem);
}

/** The major version of mina Gemfile.lock resolves: 0 (0.x), 1 (1.x and later), null when it resolves none. */
function minaLockedMajor(repo: AnalyzerContext["repo"]): 0 | 1 | null {
  if (!hasPath(repo, "Gemfile.lock")) return null;
  const read = repo.read("Gemfile.lock");
  if (!("text" in read)) return null;
  const spec = parseLockfile(read.text).specs.find((x) => x.name === "mina");
  return spec ? (/^0\./.test(spec.version) ? 0 : 1) : null;
}

/** Whether Gemfile.lock resolves mina below 1.0 (0.3's settings answer bare names; 1.x's only `fetch`). */
function minaBeforeOne(repo: AnalyzerContext["repo"]): boolean {
  if (!hasPath(repo, "Gemfile.lock")) return false;
  const read = repo.read("Gemfile.lock");
  if (!("text" in read)) return false;
  const spec = parseLockfile(read.text).specs.find((x) => x.name === "mina");
  return !!spec && /^0\./.test(spec.version);
}

/** A Mina app without stage files deploys one environment: its rails_env, else production (mina/rails' default). */
function minaStageName(s: Session): string {
  const env = s.vars.has("rails_env") ? rubyToS(s.vars.fetch("rails_env")) : null;
  return env && /^[a-z][a-z0-9_-]*$/i.test(env) ? env : "production";
}

/** What loading the config before the stage's file (Capistrano 3) leaves for after it. */
interface Cap3Loaded {
  /** The Capfile's requires and whether it installed an SCM plugin, as they were before the defaults. */
  requires: string[];
  scmInstalled: boolean;
  /**
   * Nothing read the stage's name (nor set it again): every stage would compute the same, and
   * goes on from a copy. (The name is then the only thing a stage changes in this state.)
   */
  sameForEveryStage: boolean;
}

/**
 * The deploy files are read as one Capistrano major, and Gemfile.lock locks the other (a Capfile
 * with `load 'deploy'` next to capistrano 3.x): the locked one cannot load these files, so the
 * deploy ran with a Capistrano installed outside the bundle, which one is not known. Named warning
 * `capistrano.locked-version-mismatch` at the lockfile's line.
 */
function lockedMajorMismatch(ctx: AnalyzerContext, major: 2 | 3, warn: (file: string, line: number, message: string) => void): void {
  if (!hasPath(ctx.repo, "Gemfile.lock")) return;
  const lock = ctx.repo.read("Gemfile.lock");
  if (!("text" in lock)) return;
  const lines = lock.text.split(/\r?\n/);
  const at = lines.findIndex((l) => /^    capistrano \((\d+)\.[^)]*\)\s*$/.test(l));
  if (at < 0) return;
  const version = /\(([^)]+)\)/.exec(lines[at]!)![1]!;
  const locked = Number.parseInt(version, 10);
  if (locked !== 2 && locked !== 3) return;
  if (locked === major) {
    // Same major, but the files use what a later 3.x brought (locked-features.ts).
    if (major !== 3) return;
    const newer = featuresNewerThan(ctx, version, capfilePath(ctx.repo) ?? "Capfile", ctx.repo.paths.filter((p) => p === "config/deploy.rb" || STAGE_FILE.test(p)));
    if (!newer.length) return;
    const uses = newer.map((n) => `${n.what} at ${n.source.file}:${n.source.line} (from ${n.since}, ${n.cited})`).join("; ");
    warn("Gemfile.lock", at + 1, `capistrano.locked-version-mismatch: Gemfile.lock locks capistrano ${version}, but the deploy files use what later Capistrano 3 versions brought: ${uses}. The locked Capistrano cannot load these files, so the deploy ran with another Capistrano installed outside the bundle, which one is not known; the files are read as the later Capistrano 3 reads them`);
    return;
  }
  warn("Gemfile.lock", at + 1, `capistrano.locked-version-mismatch: Gemfile.lock locks capistrano ${version}, but the Capfile and deploy files are Capistrano ${major}'s (${major === 2 ? "`load 'deploy'`, capistrano-ext's multistage" : "`require 'capistrano/setup'`"}): the locked Capistrano cannot load them, so the deploy ran with another Capistrano installed outside the bundle, which one is not known; the files are read as Capistrano ${major}`);
}

/** Capistrano 2 shows itself by `load 'deploy'` in the Capfile, capistrano-ext's multistage, or a 2.x lock. */
function detectMajor(ctx: AnalyzerContext, parse: (p: string) => ParsedRuby | null): 2 | 3 {
  const text = (p: string) => (hasPath(ctx.repo, p) ? parse(p)?.text ?? "" : "");
  const capfile = text(capfilePath(ctx.repo) ?? "Capfile");
  const deploy = text("config/deploy.rb");
  if (/require\s*\(?\s*["']capistrano\/(setup|deploy)["']/.test(capfile)) return 3;
  if (/^\s*load\s*\(?\s*["']deploy["']/m.test(capfile) || /capistrano\/ext\/multistage/.test(capfile + deploy)) return 2;
  const lock = hasPath(ctx.repo, "Gemfile.lock") ? ctx.repo.read("Gemfile.lock") : { error: "" };
  if ("text" in lock && /^    capistrano \(2\./m.test(lock.text)) return 2;
  return 3;
}

/** `minaLists`: Mina's lists in place of Capistrano's (null for Capistrano); `paths`: the repo's, for a Mina 0.3 entry's kind. */
function linkedOf(stages: Stage[], sessions: Kept[], major: 2 | 3, minaLists: [string, LinkedPath["kind"] | "either"][] | null, paths: readonly string[]): LinkedPath[] {
  const out: LinkedPath[] = [];
  // By path and kind, each with the set of its stages: every stage links the same few paths, and a
  // scan of the list per stage would grow with the square of the stages.
  const byKey = new Map<string, { linked: LinkedPath; stages: Set<string> }>();
  // stage null: a deploy with no stage read (its servers not in the repo), whose links are every deploy's.
  const add = (path: string, kind: LinkedPath["kind"], stage: string | null, source: Source, via?: LinkedPath["via"], condition?: string, shared?: string) => {
    const key = `${kind}\0${path}`;
    const hit = byKey.get(key);
    if (hit) {
      if (stage !== null && !hit.stages.has(stage)) hit.stages.add(stage), hit.linked.stages.push(stage);
      return;
    }
    const linked: LinkedPath = { path, kind, class: classifyLinked(path, kind), stages: stage === null ? [] : [stage], source, ...(via ? { via } : {}), ...(condition ? { condition } : {}), ...(shared !== undefined ? { shared } : {}) };
    byKey.set(key, { linked, stages: new Set(stage === null ? [] : [stage]) });
    out.push(linked);
  };
  stages.forEach((st, i) => {
    const s = sessions[i];
    const lists: [string, LinkedPath["kind"] | "either"][] = minaLists ?? (major === 3 ? [["linked_files", "file"], ["linked_dirs", "dir"]] : [["shared_children", "dir"]]);
    for (const [key, kind] of lists) {
      const v = st.variables[key]?.value;
      if (!Array.isArray(v)) continue;
      for (const x of v) {
        const p = rubyToS(x)?.replace(/^\.\//, "").replace(/\/+$/, "") ?? null;
        if (p === null || p === "") continue;
        add(p, minaLists ? sharedPathKind(p, paths, kind) : (kind as LinkedPath["kind"]), st.name, s.linkedSources.get(`${key}\0${rubyToS(x)}`) ?? st.variables[key].source);
      }
    }
    // `append :linked_files, "x" if ENV["X"]` (Stage.maybe): linked on the deploys where that held,
    // read as the servers' copy with its condition said (a known entry only; the others are named by the maybe).
    if (!minaLists && major === 3)
      for (const m of st.maybe ?? []) {
        const kind = m.name === "linked_files" ? "file" : m.name === "linked_dirs" ? "dir" : null;
        if (m.change !== "append" || !kind) continue;
        for (const x of m.values) {
          const p = typeof x === "string" ? x.replace(/^\.\//, "").replace(/\/+$/, "") : "";
          if (p) add(p, kind, st.name, m.source, undefined, `only on deploys of stage ${st.name} run ${m.condition} (${m.source.file}:${m.source.line})`);
        }
      }
    // `ln -s #{shared_path}/x #{release_path}/x` in a task body: a link made by hand (Cap 2 style).
    // `cp #{shared_path}/x #{release_path}/x` too: a copy of the servers' file is that file for the app.
    for (const l of s.manualLinks) if (l.fromRelease === undefined) add(l.path, l.kind, st.name, l.source, l.via, l.condition, l.shared);
    // A recipe gem's list of paths its task links from shared/ (simple-rails-deploy's normal_symlinks:
    // `rm -rf` then `ln -nfs`, so each path is the link itself).
    for (const { gem } of s.recipeGems ?? []) {
      const v = gem.linkedList ? st.variables[gem.linkedList] : undefined;
      if (!v || !Array.isArray(v.value)) continue;
      for (const x of v.value) {
        const p = rubyToS(x)?.replace(/^\/+|\/+$/g, "");
        if (p) add(p, p.split("/").pop()!.includes(".") ? "file" : "dir", st.name, v.source);
      }
    }
  });
  // No stage (Capistrano 2 whose servers the repo does not name): the hooked tasks' links are still
  // what every deploy of it did, so the repo's copies of those files are not what the servers ran.
  if (!stages.length && sessions[0] && !minaLists)
    for (const l of sessions[0].manualLinks) if (l.fromRelease === undefined) add(l.path, l.kind, null, l.source, l.via, l.condition, l.shared);
  for (const l of out) l.stages.sort();
  return out;
}

/**
 * `cp #{release_path}/config/database.yml.#{rails_env} #{release_path}/config/database.yml` in a task:
 * per stage, the repo file the servers ran under that path (`#{x}` and `#{fetch(:x)}` from the stage's
 * variables; anything else is not known, and said so).
 */
function releaseCopiesOf(stages: Stage[], sessions: Kept[], has: (p: string) => boolean): ReleaseCopy[] {
  const out: ReleaseCopy[] = [];
  stages.forEach((st, i) => {
    for (const l of sessions[i]!.manualLinks) {
      if (l.fromRelease === undefined) continue;
      let hit = out.find((c) => c.path === l.path && c.written === l.fromRelease && c.source.file === l.source.file && c.source.line === l.source.line);
      if (!hit) out.push((hit = { path: l.path, written: l.fromRelease, stages: [], source: l.source }));
      if (hit.stages.some((x) => x.stage === st.name)) continue;
      let why: string | undefined;
      const file = l.fromRelease.replace(/#\{\s*(?:fetch\(\s*:(\w+)\s*\)|(\w+))\s*\}/g, (all, a?: string, b?: string) => {
        const v = st.variables[(a ?? b)!]?.value;
        const s = v === undefined ? null : rubyToS(v);
        if (s === null) why ??= `${all} has no value known for stage ${st.name}`;
        return s ?? all;
      });
      if (!why && /#\{/.test(file)) why = `${file} is interpolated with an expression not evaluated statically`;
      if (!why && !has(file)) why = `${file} is not in the repo`;
      hit.stages.push(why ? { stage: st.name, file: null, why } : { stage: st.name, file });
    }
  });
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
export { same };
