// One run of a Capistrano config for one stage, statically: the files are walked statement by
// statement in the order Capistrano loads them, and the DSL calls (`set`, `fetch`, `append`,
// `server`, `role`, `task`, `before`...) act on a model of Capistrano's own state. Expressions go
// through the shared evaluator; whatever is not static becomes an Unknown with its source, and
// statements we do not model are reported as warnings, never run and never a crash.
import { afterDefaults, lateDefaults, type LockedCap } from "./after-defaults.js";
import { isCapfileName } from "./capfile.js";
import type { AskedVariable, ConditionalHook, HookDef, MaybeChange, RValue, Source, TaskDef } from "../../src/model.js";
import { kind, argsOf, statementsOf, literalName, parseRuby, type ParsedRuby } from "../ruby/prism.js";
import { evaluate, fileJoin, isEnvRef, isHash, isKnown, isSym, isUnknown, releaseRootUnknown, rubyToS, same, unknown, type Scope } from "../ruby/evaluate.js";
import { Variables, isLazy, type Lazy, type Reads, type Stored } from "./variables.js";
import { Servers } from "./servers.js";
import { linkedGlobExpansion, scanTask } from "./tasks.js";
import type { HookScope } from "./hook-names.js";
import { compileGlob } from "./glob.js";
import type { RepoFiles } from "../../src/model.js";
import { hasLoadablePath, hasPath } from "../../src/model.js";
import { deployExampleSaid } from "./deploy-examples.js";
import { Budget, EVAL_LIMITS } from "../ruby/idioms/limits.js";
import { yieldsOf, bindParams, caseBranch, closureOf } from "../ruby/idioms/blocks.js";
import { readDataFile, declaredIn, LOOP_METHODS, localMutation, type Unread } from "./follow.js";
import { DeployGlobal } from "./global-reads.js";
import { RUBY_CONSTANTS, definedInDeployFiles } from "./load-constants.js";
import { manualLinksIn, manualLinksOfLines, spreadHitsDatabase, type ManualLink } from "./manual-links.js";
import { hasTaskLoop, MAX_LOOP_ELEMENTS, MAX_UNROLLED, MAX_UNROLLED_BYTES, runLinesOf, type TaskLoop } from "./task-loops.js";
import { repoRenderHelpers, type RenderHelper } from "./render-helpers.js";
import { cap2RecipeGem, type Cap2RecipeGem } from "./cap2-recipe-gems.js";
import { MINA_SHARED_KEYS } from "./mina-shared.js";

export interface SessionOptions {
  major: 2 | 3;
  repo: RepoFiles;
  /** Parses a repo file once for all stages; null when missing or unreadable (already reported). */
  parse(path: string): ParsedRuby | null;
  /** Reports a problem once per file:line:message across stages. */
  warn(file: string, line: number, message: string): void;
  /** Reports input that must stop the run (a data file that is an alias bomb). */
  unusable?(file: string, line: number, message: string): void;
  /** A bare name reads its variable, as in Capistrano 2 (Mina before 1.0 does the same). */
  bareReads?: boolean;
  /** ENV variables given to the run (Mina's `mina deploy to=staging`); the others are unset. */
  env?: Record<string, string | null>;
  /** Mina: its deploy paths (`current_path`...) are its own settings, not Capistrano's computed helpers. */
  mina?: boolean;
  /**
   * The values of stored callables already computed in a session this one was forked from or with
   * (see Session#lazyValue), by callable; one map for the whole analysis.
   */
  lazyValues?: Map<Lazy, LazyValue>;
  /** The Capistrano Gemfile.lock resolves: decides what a plugin required after load:defaults did (after-defaults.ts). */
  lockedCap?: LockedCap | null;
  /** Labels the values set at `source` as `what`'s defaults (a recipe gem's, cap2-recipe-gems.ts). */
  labelDefaults?(source: Source, what: string): void;
}

/** A stored callable's value and everything its computation read. */
interface LazyValue {
  value: RValue;
  env: SessionOptions["env"];
  reads: Reads;
  constants: Map<string, RValue | undefined>;
  defs: Map<string, Def | undefined>;
}

type Def = { node: any; parsed: ParsedRuby };

interface Frame {
  parsed: ParsedRuby;
  locals: Map<string, RValue>;
  /** Rake namespaces around the statement. */
  ns: string[];
  /** Sources reported for facts from this frame (built-in defaults say where they were required). */
  sourceOverride?: Source;
  /** Inside a task body: nothing runs. */
}

/** Methods a Global value answers itself (Configuration delegates them to its Hash, or Ruby's String has them): never a key read. */
const HASH_METHODS = new Set(["to_hash", "to_h", "to_s", "to_str", "to_a", "to_sym", "to_i", "to_json", "inspect", "keys", "values", "each", "map", "size", "length", "dup", "first", "last", "compact", "freeze", "class", "strip", "split", "downcase", "upcase", "join", "flatten"]);
/** Calls that are part of the DSL but have no effect on variables or servers. */
const NO_OPS = new Set(["desc", "puts", "print", "warn", "p", "validate", "invoke", "invoke!", "run_locally", "info", "debug", "error", "abort", "default_run_options", "ssh_options", "logger", "depend", "include", "extend", "private", "module_function"]);

/** Names Capistrano resolves to paths under deploy_to (dsl/paths.rb); values are Pathnames there. */
const PATH_HELPERS = new Set(["deploy_to", "deploy_path", "shared_path", "current_path", "releases_path", "release_path", "repo_path", "revision_log", "stage_config_path", "deploy_config_path"]);

/** What a Capistrano configuration responds to (its DSL), for `respond_to?` guards in Capfiles. */
const DSL_METHODS = new Set(["namespace", "task", "set", "fetch", "role", "server", "load", "before", "after", "desc", "run"]);

/** A set in a task body that a hook runs on a deploy. */
export type HookedSet = { variable: string; task: string; set: Source; hook: HookDef };

/**
 * Deploy steps a hook on which runs before the app is started (deploy:publishing / deploy:restart) and
 * before it is migrated or its assets compiled: Capistrano 3's flow (deploy.rake: starting, started,
 * updating, updated, publishing…; capistrano-rails hooks migrate and compile_assets after
 * deploy:updated, so only `before deploy:updated` is surely earlier) and Capistrano 2's
 * (deploy → update → update_code → finalize_update, then migrate in deploy:migrations, then symlink,
 * restart). `before`/`after` each listed separately: an `after` a step runs after it.
 */
const HOOK_BEFORE_START: Record<"before" | "after", ReadonlySet<string>> = {
  before: new Set(["deploy", "deploy:starting", "deploy:started", "deploy:updating", "deploy:updated", "deploy:check", "deploy:set_rails_env", "deploy:migrate", "deploy:assets:precompile", "deploy:compile_assets", "deploy:update", "deploy:update_code", "deploy:finalize_update"]),
  after: new Set(["deploy:starting", "deploy:started", "deploy:updating", "deploy:check", "deploy:set_rails_env"]),
};

function runsBeforeStart(h: HookDef): boolean {
  const kind = h.kind === "before" || h.kind === "after" ? h.kind : null;
  return kind !== null && HOOK_BEFORE_START[kind].has(h.target.replace(/^:/, ""));
}

/** Variables whose `set` inside a task body a hook makes the stage's (Session.applyHookedSets): the Rails environment the deploy ran. */
const TASK_SET_VARIABLES = new Set(["rails_env"]);

/** Cap 2: these are configuration attributes (Hashes), used with `[]=`. */
const CAP2_HASH_ATTRS = new Set(["ssh_options", "default_run_options", "default_environment"]);

/** Calls that run code of another file or string: not followed, they may define tasks and hooks of the run. */
const EVALS = new Set(["eval", "instance_eval", "class_eval", "module_eval", "instance_exec", "class_exec", "load", "require", "require_relative", "import"]);

export class Session {
  /** The repo's own render helpers (render-helpers.ts), read once. */
  private renderHelpers?: Map<string, RenderHelper>;
  readonly vars: Variables;
  readonly servers: Servers = new Servers();
  readonly tasks: TaskDef[] = [];
  readonly hooks: HookDef[] = [];
  /** Hooks under a condition not known statically (conditionalHooks below): not part of every deploy. */
  readonly condHooks: ConditionalHook[] = [];
  /** Where each hook was written (hook-names.ts resolves its names from there); shared with forks, as the hooks are. */
  readonly hookScopes: WeakMap<HookDef, HookScope> = new WeakMap();
  /** `require`/`load` of a path known but not in the repo, in order (what a run loads by a computed name). */
  readonly missedLoads: { target: string; source: Source }[] = [];
  /** Inside the path argument of `require`/`load`: `__dir__` names the deploying machine's checkout (read as the repo). */
  private localPath = false;
  readonly requires: { value: string; source: Source }[] = [];
  /** Capistrano 2 recipe gems required (cap2-recipe-gems.ts), each at its require line. */
  readonly recipeGems: { gem: Cap2RecipeGem; source: Source }[] = [];
  readonly installs: { value: string; source: Source }[] = [];
  readonly imports: string[] = [];
  readonly asked: AskedVariable[] = [];
  lock: { value: string; source: Source } | null = null;
  /** Where each linked_files / linked_dirs entry (Mina: shared_paths / shared_dirs / shared_files) first appeared. */
  readonly linkedSources = new Map<string, Source>();
  /** `namespace :load do task :defaults` bodies from the Capfile and imported files. */
  readonly loadDefaults: { body: any; frame: Frame }[] = [];
  /** `ln -s #{shared_path}/x #{release_path}/x` written in task bodies (the Capistrano 2 way to link). */
  /** `task`: the task whose body holds it (a copy counts only when a hook runs that task: index.ts). */
  readonly manualLinks: { path: string; kind: "file" | "dir"; source: Source; task: string; via?: ManualLink["via"]; fromRelease?: string; condition?: string; shared?: string }[] = [];
  /** Task bodies holding a loop whose links are not read yet (readLoopLinks). */
  private loopTasks: { name: string; body: any; frame: Frame; source: Source }[] = [];
  /** Top-level task bodies: Capistrano 2 stages written as `task :production do role ... end`. */
  private topTasks = new Map<string, { body: any; frame: Frame; source: Source }>();
  /**
   * Mina (Rake): every task by its full name, each definition's body and prerequisites in order (a
   * task defined again adds its actions to the first's, as Rake does).
   */
  private minaTasks = new Map<string, { body: any; frame: Frame; source: Source; prereqs: string[] }[]>();
  /** Mina (Rake): the tasks this run has invoked; Rake runs a task once per run. */
  private invokedTasks = new Set<string>();
  /** Mina: each `invoke` run outside a task the analysis skipped, with the task name it computed (known or not). */
  readonly invokes: { name: string; source: Source }[] = [];
  private loaded = new Set<string>();
  /** The repo files being run now, outermost first: a `load` of one of them is a cycle. */
  private running: string[] = [];
  /** Constants assigned at a file's top level (`DOMAIN = "example.com"`). */
  private constants = new Map<string, RValue>();
  /** Global as the deploy configured it (global-reads.ts). */
  private global: DeployGlobal;
  /** `x[k]` nodes that read a key Global does not have (nil): a read on them names the key. */
  private globalMissing = new WeakMap<object, string>();
  /** Helper methods defined in the config (`def host(name) ... end`), called with known arguments. */
  private defs = new Map<string, Def>();
  /**
   * Modules and classes the loaded files define, by name: their methods are not run here, but a call
   * into one (`Deployer.deploy_to([:web1])` in a stage file) that may call `server`/`role` means the
   * stage's servers are not read (not that it has none).
   */
  private modules = new Map<string, { node: any; parsed: Def["parsed"] }>();
  private callDepth = 0;
  /** Statements run so far: whether a computation did more than compute a value. */
  private execs = 0;
  /** Where a computation under way records the constants and helper methods it looked up. */
  private lookups: { constants: LazyValue["constants"]; defs: LazyValue["defs"] } | null = null;
  /** Iterations of every loop of this run (one stage), bounded. */
  readonly budget = new Budget();
  /** Code that would declare servers or set variables and was not followed (for gaps). */
  readonly unread: Unread[] = [];
  /**
   * List changes under a condition not known statically (maybeChanges): the variable keeps its
   * certain entries, and each of these may also have happened. A later `set` or `delete` of the
   * variable ends them (what it stored is certain again).
   */
  maybe: MaybeChange[] = [];
  /**
   * Top-level calls to methods neither Capistrano nor we know (`ec2_role :app` from cap-ec2): such
   * a method may declare servers, so a stage with none read is not taken as declaring none.
   */
  readonly unknownCalls: { name: string; source: Source }[] = [];
  /**
   * Code this run loads or evaluates but that was not followed (`instance_eval(File.read(…))`,
   * `eval File.read(…)`, a `load` of a path not known statically): what it defines or hooks is not
   * known, so the run's tasks and hooks may be incomplete (Stage.unfollowedLoad).
   */
  readonly unfollowedLoads: { call: string; source: Source }[] = [];
  private serverLimitSaid = false;
  /**
   * Capistrano 2: the stage file this session runs (config/deploy/<stage>.rb). multistage loads it
   * like deploy.rb, so a gem it requires is a plugin, of that stage alone.
   */
  stageFile: string | null = null;
  /**
   * Capistrano 3 with capistrano/setup: config/deploy.rb, which its stage task loads (with the stage
   * file) only after it ran `load:defaults` and froze that task (immutable_task.rb).
   */
  deployRbAfterDefaults: string | null = null;
  /**
   * Capistrano 2's `on :load do ... end` blocks, in the order registered: `cap` fires :load once
   * every recipe is loaded (the Capfile and what it loads), before the stage task runs
   * (Capistrano::CLI::Execute#execute!: load_recipes, trigger(:load), then the requested tasks).
   */
  private onLoad: { body: any; frame: Frame }[] = [];
  private loadFired = false;
  /**
   * Capistrano 2's `role(:app) { host }`: the block is called when the role's servers are first
   * listed, at task time, after the stage file ran (Role::DynamicServerList#to_ary).
   */
  private dynamicRoles: { role: string; node: any; frame: Frame; options: Record<string, RValue> }[] = [];
  /** Requires that make the locked `cap` abort this stage (after-defaults.ts), with the warning's text. */
  readonly capAborts: { message: string; source: Source }[] = [];
  /**
   * `set :rails_env, …` as a statement of a task body: nothing runs while the files load, but a hook
   * that runs the task on a deploy makes it the value of every step after the hook (hookedSets).
   */
  private taskSets: { task: string; node: any; frame: Frame }[] = [];

  constructor(private opts: SessionOptions, from?: Session) {
    this.global = from ? from.global.copy() : new DeployGlobal(opts.repo);
    if (!from) {
      this.vars = new Variables((lazy, key, stored) => (stored ? this.lazyValue(lazy, key) : this.resolveLazy(lazy, key)));
      return;
    }
    // A copy of `from`'s state: what runs next in this session leaves `from` as it was. Facts
    // already made (values, tasks, sources) are shared; they are never changed in place.
    this.vars = from.vars.copy((lazy, key, stored) => (stored ? this.lazyValue(lazy, key) : this.resolveLazy(lazy, key)));
    this.servers = from.servers.copy();
    this.tasks.push(...from.tasks);
    this.hooks.push(...from.hooks);
    this.condHooks.push(...from.condHooks);
    this.hookScopes = from.hookScopes;
    this.requires.push(...from.requires);
    this.installs.push(...from.installs);
    this.imports.push(...from.imports);
    this.asked.push(...from.asked);
    this.unknownCalls.push(...from.unknownCalls);
    this.maybe.push(...from.maybe);
    this.unfollowedLoads.push(...from.unfollowedLoads);
    this.lock = from.lock;
    for (const [k, v] of from.linkedSources) this.linkedSources.set(k, v);
    // Task bodies keep the locals of where they were defined; running one sets locals in its frame.
    const frameCopy = (f: Frame): Frame => ({ ...f, locals: new Map(f.locals) });
    for (const d of from.loadDefaults) this.loadDefaults.push({ body: d.body, frame: frameCopy(d.frame) });
    this.manualLinks.push(...from.manualLinks);
    for (const t of from.loopTasks) this.loopTasks.push({ ...t, frame: frameCopy(t.frame) });
    this.recipeGems.push(...from.recipeGems);
    this.capAborts.push(...from.capAborts);
    for (const t of from.taskSets) this.taskSets.push({ ...t, frame: frameCopy(t.frame) });
    for (const [k, t] of from.topTasks) this.topTasks.set(k, { ...t, frame: frameCopy(t.frame) });
    for (const [k, ds] of from.minaTasks) this.minaTasks.set(k, ds.map((d) => ({ ...d, frame: frameCopy(d.frame) })));
    for (const t of from.invokedTasks) this.invokedTasks.add(t);
    this.invokes.push(...from.invokes);
    for (const o of from.onLoad) this.onLoad.push({ body: o.body, frame: frameCopy(o.frame) });
    this.loadFired = from.loadFired;
    for (const d of from.dynamicRoles) this.dynamicRoles.push({ ...d, frame: frameCopy(d.frame) });
    for (const p of from.loaded) this.loaded.add(p);
    for (const [k, v] of from.constants) this.constants.set(k, v);
    for (const [k, v] of from.defs) this.defs.set(k, v);
    for (const [k, v] of from.modules) this.modules.set(k, v);
  }

  /** A session that goes on from this one's state (the deploy config every stage loads the same). */
  fork(): Session {
    return new Session(this.opts, this);
  }

  // --- running files ----------------------------------------------------------------------------

  /**
   * Top-level tasks that declare servers (`role`/`server` in their body): the stages of a
   * Capistrano 2 config without multistage (`cap production deploy` runs `production` first).
   */
  stageTasks(): { name: string; source: Source }[] {
    const declares = (n: any): boolean => kind(n) === "CallNode" && !n.receiver && (n.name === "role" || n.name === "server");
    return [...this.topTasks].filter(([, t]) => statementsOf(t.body).some(declares)).map(([name, t]) => ({ name, source: t.source }));
  }

  /** The repo files this session has run (required, loaded), in order. */
  loadedFiles(): ReadonlySet<string> {
    return this.loaded;
  }

  /** Runs a top-level task's body, as `cap <task>` does before the tasks after it (Mina: as Rake invokes it). */
  runTask(name: string): void {
    if (this.opts.mina && this.minaTasks.has(name)) return this.invokeTask(name);
    const t = this.topTasks.get(name);
    if (t) this.runStatements(statementsOf(t.body), t.frame);
  }

  /**
   * The task-body sets (taskSets) that a deploy runs before it starts (or migrates) the app: a task an
   * unconditional hook on such a step (`before 'deploy:assets:precompile', 'set_env'`, HOOK_BEFORE_START)
   * runs sets the variable for every step after that hook, so it is the stage's value for what the
   * deploy ran (Capistrano 2's `set` in a task body and Capistrano 3's alike: they change the one
   * configuration the later steps fetch from). Run here, on the stage's own state, after its file.
   * A hook is matched by its full names (`resolve`, hook-names.ts: `before :starting, :env` inside
   * `namespace :deploy` runs deploy:env before deploy:starting). A set under a conditional hook, a hook
   * after the app started (after deploy:published, `after 'deploy'`) or on a step a deploy does not run
   * in order (rollback, cleanup) is only named: the app ran before it changed the value. Two counting
   * sets of different values are not chosen between: neither is applied, and the conflict is returned.
   */
  applyHookedSets(resolve: (h: HookDef) => HookDef = (h) => h): { sets: HookedSet[]; conflicts: HookedSet[][] } {
    const out: HookedSet[] = [];
    const bare = (t: string) => t.replace(/^:/, "");
    const counting: { ts: { task: string; node: any; frame: Frame }; set: HookedSet; value: unknown }[] = [];
    const hooks = this.hooks.map((h) => ({ h: resolve(h), written: h }));
    for (const ts of this.taskSets) {
      const mine = hooks.filter(({ h }) => bare(h.task) === ts.task);
      const at = ts.frame.parsed.sourceOf(ts.node);
      const variable = String(this.nameOf(argsOf(ts.node)[0], ts.frame));
      const early = mine.find(({ h }) => runsBeforeStart(h));
      if (!early) {
        const late = mine[0]?.h;
        if (late) this.opts.warn(at.file, at.line, `capistrano.task-set-late: task ${ts.task} sets ${variable}, and the hook \`${late.kind} ${late.target}\` (${late.source.file}:${late.source.line}) runs it only after the app was started or migrated (or on a step a deploy does not run in order): the app ran with the stage's ${variable}, and the value changed after it started; the stage's ${variable} is read without it`);
        const cond = this.condHooks.find((h) => bare(resolve(h).task) === ts.task);
        if (!late && cond) this.opts.warn(at.file, at.line, `capistrano.task-set-conditional: task ${ts.task} sets ${variable}, and only a conditional hook runs it (${cond.condition.file}:${cond.condition.line}): the stage's ${variable} is read without it`);
        continue;
      }
      const args = argsOf(ts.node);
      const value = args.length > 1 ? this.ev(args[1], { ...ts.frame, locals: new Map(ts.frame.locals) }) : null;
      counting.push({ ts, set: { variable, task: ts.task, set: { file: at.file, line: at.line }, hook: early.h }, value });
    }
    const conflicts: HookedSet[][] = [];
    for (const variable of new Set(counting.map((c) => c.set.variable))) {
      const mine = counting.filter((c) => c.set.variable === variable);
      const values = new Set(mine.map((c) => JSON.stringify(c.value ?? null)));
      if (mine.length > 1 && values.size > 1) {
        conflicts.push(mine.map((c) => c.set));
        continue;
      }
      for (const c of mine) {
        this.execSet(c.ts.node, { ...c.ts.frame, locals: new Map(c.ts.frame.locals) }, false);
        out.push(c.set);
      }
    }
    return { sets: out, conflicts };
  }

  /** Capistrano 2's trigger(:load): the `on :load` blocks, in the order they were registered. */
  fireLoad(): void {
    if (this.loadFired) return;
    this.loadFired = true;
    for (const o of this.onLoad) this.runStatements(statementsOf(o.body), o.frame);
  }

  /**
   * Capistrano 2's dynamic roles, called as `cap` calls them when a task lists its servers: after the
   * stage file. A block whose value is a known host (or list of hosts) declares them; any other is
   * not followed, as before.
   */
  resolveDynamicRoles(): void {
    const pending = this.dynamicRoles.splice(0);
    for (const d of pending) {
      const f = d.frame;
      const body = statementsOf(d.node.block.body);
      const v = body.length === 1 ? this.ev(body[0], f) : null;
      const list = v === null ? null : Array.isArray(v) ? v : [v];
      const hosts = list?.map((x) => this.hostOf(x, f, d.node)) ?? null;
      if (!hosts || !hosts.length || hosts.some((h) => h === null)) {
        this.notFollowed(f, d.node, `role ${d.role}: its hosts come from a block computed at deploy time (${short(f.parsed.textOf(d.node))}), not known statically`);
        continue;
      }
      this.servers.addRole(d.role, hosts as string[], d.options, this.src(f, d.node));
    }
  }

  /**
   * Capistrano 2's `on(event, ...)`: a block for :load runs when :load fires (fireLoad); one registered
   * after that (in a stage file, which the stage task loads) never runs. The other events run tasks
   * as hooks do (execOnEvent).
   */
  private execOn(node: any, f: Frame): void {
    const args = argsOf(node);
    const event = args.length ? this.nameOf(args[0], f) : null;
    if (event !== null && event !== "load") return this.execOnEvent(event, node, f);
    if (event !== "load" || !node.block || kind(node.block) !== "BlockNode") return;
    if (this.loadFired) return this.warnAt(f, node, "`on :load` registered after Capistrano 2 fired :load (it fires once the Capfile's recipes are loaded, before the stage task loads this file): its block never runs, and is not read");
    this.onLoad.push({ body: node.block.body, frame: { ...f, locals: new Map(f.locals) } });
  }

  /**
   * `on :start|:finish|:exit|:before|:after, "task"…, :only/:except => …` (or a block), read as the
   * hooks they are. Capistrano 2 (lib/capistrano/configuration/callbacks.rb `on`/`trigger`,
   * lib/capistrano/callback.rb `applies_to?`, lib/capistrano/cli/execute.rb): each top-level task of
   * `cap <stage> deploy` runs through `find_and_execute_task(action, :before => :start, :after =>
   * :finish)`, so :start/:finish fire around `deploy` when :only names it, or when there is no :only
   * and :except does not name it; :exit fires once after every task with no task, and `applies_to?(nil)`
   * is true whatever :only/:except say. :before/:after fire around every task :only names (without
   * :only, around every task: not read as any one hook, and said).
   */
  private execOnEvent(event: string, node: any, f: Frame): void {
    if (!["start", "finish", "exit", "before", "after"].includes(event)) return this.warnAt(f, node, `on :${event}: not an event Capistrano 2 triggers (:before, :after, :start, :finish, :load, :exit), so it never fires; not read`);
    const args = argsOf(node).slice(1);
    const last = args.length ? args[args.length - 1] : null;
    const opts = last && (kind(last) === "KeywordHashNode" || kind(last) === "HashNode") ? this.ev(last, f) : null;
    const taskArgs = opts === null ? args : args.slice(0, -1);
    const names = taskArgs.map((a) => this.nameOf(a, f));
    if (names.some((n) => n === null)) return this.warnAt(f, node, `on :${event} with task names not known statically: what it runs is not read`);
    const listOf = (key: string): string[] | null => {
      if (opts === null) return [];
      if (!isHash(opts)) return null;
      const v = opts[key];
      if (v === undefined || v === null) return [];
      const vs = Array.isArray(v) ? v : [v];
      const out = vs.map((x) => (isSym(x) ? x.sym : typeof x === "string" ? x : null));
      return out.some((x) => x === null) ? null : (out as string[]);
    };
    const only = listOf("only");
    const except = listOf("except");
    if (only === null || except === null) return this.warnAt(f, node, `on :${event}: its :only/:except tasks are not known statically, so whether it runs on a deploy is not read`);
    const hookKind: "before" | "after" = event === "start" || event === "before" ? "before" : "after";
    let targets: string[];
    if (event === "exit") targets = ["deploy"];
    else if (only.length) targets = only;
    else if (event === "before" || event === "after") return this.warnAt(f, node, `on :${event} with no :only runs around every task cap runs, not one task: not read as a hook`);
    else if (except.includes("deploy")) return this.warnAt(f, node, `on :${event} with :except naming deploy: it does not fire around \`cap deploy\` (it may fire around the other top-level tasks of the command, such as a stage task); not read as a deploy hook`);
    else targets = ["deploy"];
    const body = node.block && kind(node.block) === "BlockNode" ? node.block : null;
    const at = this.src(f, node);
    // A block is an anonymous callback (ProcCallback): read as a task named for where it is written.
    const tasks = body ? [`on :${event} block (${at.file}:${at.line})`] : (names as string[]);
    if (!tasks.length) return this.warnAt(f, node, `on :${event} names no task and has no block (Capistrano 2 raises ArgumentError)`);
    for (const target of targets) for (const t of tasks) this.hooks.push({ kind: hookKind, target, task: t, source: at });
    if (body) this.addTask(tasks[0], node, body, f);
  }

  /** Runs a repo file's top level. `once`: a second `require` of it does nothing. */
  runFile(path: string, once = false): void {
    if (once && this.loaded.has(path)) return;
    this.loaded.add(path);
    const parsed = this.opts.parse(path);
    if (!parsed) return;
    this.running.push(path);
    try {
      this.runStatements(statementsOf(parsed.root), { parsed, locals: new Map(), ns: [] });
    } finally {
      this.running.pop();
    }
  }

  /** Runs Ruby that is not in the repo (Capistrano's own defaults), reporting facts at `source`. */
  runSnippet(parsed: ParsedRuby, source: Source): void {
    this.runStatements(statementsOf(parsed.root), { parsed, locals: new Map(), ns: [], sourceOverride: source });
  }

  /** Runs the recorded `load:defaults` task bodies, in definition order. */
  runLoadDefaults(): void {
    for (const d of this.loadDefaults) this.runStatements(statementsOf(d.body), d.frame);
  }

  private runStatements(stmts: any[], frame: Frame): void {
    for (const s of stmts) {
      try {
        this.exec(s, frame);
      } catch (e) {
        this.warnAt(frame, s, `could not follow this statement (${(e as Error).message})`);
      }
    }
  }

  // --- statements -----------------------------------------------------------------------------------

  private exec(node: any, f: Frame): void {
    this.execs++;
    switch (kind(node)) {
      case "CallNode":
        return this.execCall(node, f);
      case "LocalVariableWriteNode":
        f.locals.set(node.name, this.ev(node.value, f));
        return;
      case "IfNode":
      case "UnlessNode": {
        // `load 'deploy' if respond_to?(:namespace)`, Capistrano 2's own Capfile line: the
        // configuration does respond to its DSL.
        const p = node.predicate;
        const dslProbe = kind(p) === "CallNode" && !p.receiver && p.name === "respond_to?" && argsOf(p).length === 1 && kind(argsOf(p)[0]) === "SymbolNode" && DSL_METHODS.has(argsOf(p)[0].unescaped?.value);
        const c = dslProbe ? true : this.ev(node.predicate, f);
        const t = isUnknown(c) || (typeof c === "object" && c !== null && !Array.isArray(c) && !isHash(c) && !isSym(c)) ? null : c !== null && c !== false;
        if (t === null) {
          this.conditionalHooks(node, f);
          const read = this.maybeChanges(node, f);
          if (read.all) return;
          return this.notFollowed(f, node, `condition not known statically (${short(f.parsed.textOf(node.predicate))}): neither branch followed${read.keys.size ? ` (its ${[...read.keys].map((k) => `:${k}`).join(", ")} change${read.keys.size > 1 ? "s are" : " is"} read as maybe, see capistrano.maybe-change)` : ""}`, read.keys);
        }
        const takeThen = kind(node) === "IfNode" ? t : !t;
        if (takeThen) return this.runStatements(statementsOf(node.statements), f);
        const other = kind(node) === "IfNode" ? node.subsequent ?? node.consequent : node.elseClause ?? node.else_clause;
        if (!other) return;
        if (kind(other) === "ElseNode") return this.runStatements(statementsOf(other.statements), f);
        return this.exec(other, f);
      }
      case "ParenthesesNode":
      case "BeginNode":
      case "StatementsNode":
        return this.runStatements(statementsOf(node), f);
      case "ConstantWriteNode":
        this.constants.set(node.name, this.ev(node.value, f));
        return;
      case "CaseNode": {
        const b = caseBranch(node, this.scope(f), (n, sc) => evaluate(n, f.parsed, sc));
        if (!b) return this.notFollowed(f, node, `case over a value not known statically (${short(f.parsed.textOf(node.predicate ?? node))}): no branch followed`);
        return this.runStatements(statementsOf(b.statements), f);
      }
      case "LocalVariableOperatorWriteNode":
      case "LocalVariableOrWriteNode":
      case "LocalVariableAndWriteNode": {
        const cur = f.locals.get(node.name) ?? null;
        if (kind(node) === "LocalVariableOrWriteNode") {
          if (cur === null || cur === false) f.locals.set(node.name, this.ev(node.value, f));
          return;
        }
        if (kind(node) === "LocalVariableAndWriteNode") {
          if (cur !== null && cur !== false) f.locals.set(node.name, this.ev(node.value, f));
          return;
        }
        const op: string = node.binaryOperator ?? node.operator;
        f.locals.set(node.name, this.applyOp(cur, op, this.ev(node.value, f), f, node));
        return;
      }
      case "DefNode":
        if (!node.receiver) this.defs.set(node.name, { node, parsed: f.parsed });
        return;
      case "IndexOrWriteNode":
        if (this.envOrWrite(node, f)) return;
        break;
      case "ModuleNode":
      case "ClassNode": {
        const name = f.parsed.textOf(node.constantPath).replace(/^::/, "");
        const prev = this.modules.get(name);
        // a module reopened in several files: any of its bodies may call `server`
        this.modules.set(name, prev && declaredIn(prev.node).servers ? prev : { node, parsed: f.parsed });
        return;
      }
      case "StringNode":
      case "SymbolNode":
      case "NilNode":
        return; // helper methods and constants: used only from task bodies, which never run here
      default:
        this.warnAt(f, node, `${short(f.parsed.textOf(node))}: not followed statically`);
    }
  }

  private execCall(node: any, f: Frame): void {
    const name: string = node.name;
    const args = argsOf(node);
    const recv = node.receiver;
    if (recv) return this.execMethodCall(node, f);

    switch (name) {
      case "set":
      case "_cset":
      case "set_if_empty":
        return this.execSet(node, f, name !== "set");
      case "set_default":
        if (this.setDefaultSets()) return this.execSet(node, f, true);
        break;
      case "append":
      case "remove":
        return this.execAppend(node, f, name);
      case "ask":
        return this.execAsk(node, f);
      case "lock":
        if (args.length) {
          const v = this.ev(args[0], f);
          this.lock = { value: rubyToS(v) ?? f.parsed.textOf(args[0]), source: this.src(f, node) };
        }
        return;
      case "server":
        return this.execServer(node, f);
      case "role":
        return this.execRole(node, f);
      case "namespace": {
        const ns = args.length ? this.nameOf(args[0], f) : null;
        if (ns === null || !node.block) return this.warnAt(f, node, "namespace with a name not known statically: not followed");
        return this.runStatements(statementsOf(node.block.body), { ...f, ns: [...f.ns, ns] });
      }
      case "task":
        return this.execTask(node, f);
      case "before":
      case "after":
        return this.execHook(node, f, name);
      case "require":
      case "require_relative":
      case "load":
      case "import":
        return this.execRequire(node, f, name);
      case "on":
        if (this.opts.major === 2) return this.execOn(node, f);
        return;
      case "install_plugin":
        if (args.length) this.installs.push({ value: f.parsed.textOf(args[0]), source: this.src(f, node) });
        return;
      case "delete":
        if (args.length) {
          const k = this.nameOf(args[0], f);
          if (k !== null) this.vars.delete(k), this.endMaybe(k);
        }
        return;
      case "fetch":
        this.ev(node, f); // a bare fetch still memoizes a lambda or stores a callable default
        return;
      case "invoke":
        if (this.opts.mina) return this.execInvoke(node, f);
        break;
    }
    if ((this.opts.major === 2 || this.opts.bareReads) && args.length === 0 && !node.block && this.vars.has(name)) return; // reading a variable
    if (NO_OPS.has(name) || PATH_HELPERS.has(name)) return;
    this.warnAt(f, node, `call to \`${name}\` not followed statically`);
    if (!f.sourceOverride) this.unknownCalls.push({ name, source: this.src(f, node) });
    if (EVALS.has(name) && !f.sourceOverride) this.unfollowedLoads.push({ call: name, source: this.src(f, node) });
  }

  /**
   * Whether `set_default :k, v` sets k when nothing has: Mina 0.3's own `set_default`, and the helper
   * Capistrano 2 recipe collections define (`def set_default(name, *args, &block) set(name, *args,
   * &block) unless exists?(name) end`), which the app's config/recipes/*.rb use for every plugin
   * variable. A repo definition that calls no `set` is something else: not followed, as before.
   */
  private setDefaultSets(): boolean {
    const def = this.defs.get("set_default");
    if (!def) return true;
    return /(?<![\w.:])set(?:\s*\(|\s+[:\w])/.test(def.parsed.textOf(def.node.body ?? def.node));
  }

  /** `x.each { }`, `fetch(:k) << v`, `fetch(:default_env)[:K] = v`, `ssh_options[:k] = v` (Cap 2). */
  private execMethodCall(node: any, f: Frame): void {
    const name: string = node.name;
    const recv = node.receiver;
    const args = argsOf(node);
    if (kind(recv) === "ConstantReadNode" && recv.name === "Global" && name === "configure" && node.block && kind(node.block) === "BlockNode") return this.execGlobalConfigure(node.block, f);
    // Capistrano 2's recipe-file wrapper: the block is evaluated in the one configuration, as if written at top level.
    if (name === "load" && node.block && kind(node.block) === "BlockNode" && kind(recv) === "CallNode" && recv.name === "instance" && /^:?:?Capistrano::Configuration$/.test(f.parsed.textOf(recv.receiver ?? recv)))
      return this.runStatements(statementsOf(node.block.body), f);
    if (LOOP_METHODS.has(name) && node.block && kind(node.block) === "BlockNode") {
      const list = this.ev(recv, f);
      const yields = isUnknown(list) ? list.unknown : yieldsOf(list, name, this.evArgs(args, f));
      if (typeof yields === "string") return this.notFollowed(f, node, `\`${name}\` over ${short(f.parsed.textOf(recv))}: block not followed (${yields})`);
      const over = this.budget.take(yields.length);
      if (over) return this.notFollowed(f, node, over);
      for (const y of yields) {
        const bound = bindParams(node.block.parameters, y);
        if (!bound) return this.notFollowed(f, node, "block parameters not bound statically (optional, splat or keyword): block not followed");
        const locals = new Map(f.locals);
        bound.forEach((v, k) => locals.set(k, v));
        this.runStatements(statementsOf(node.block.body), { ...f, locals });
        // Assignments to the enclosing method's variables outlive the block, as in Ruby.
        for (const k of f.locals.keys()) if (!bound.has(k)) f.locals.set(k, locals.get(k)!);
      }
      return;
    }
    // `hosts << "app1"`, `hosts.push(...)`, `hosts.concat(...)` on a local Array.
    if (kind(recv) === "LocalVariableReadNode") {
      const cur = f.locals.get(recv.name);
      const next = cur === undefined ? undefined : localMutation(cur, name, this.evArgs(args, f));
      if (next !== undefined) {
        f.locals.set(recv.name, next);
        return;
      }
    }
    // A mutation of a stored variable through the object `fetch` returns.
    const target = this.mutationTarget(recv, f);
    if (target) {
      const cur = this.vars.fetch(target);
      const a = this.evArgs(args, f);
      let next: RValue | undefined;
      if ((name === "push" || name === "<<" || name === "concat" || name === "unshift") && Array.isArray(cur)) {
        const add = name === "concat" ? a.flatMap((x) => (Array.isArray(x) ? x : [x])) : a;
        next = name === "unshift" ? [...add, ...cur] : [...cur, ...add];
      } else if (name === "delete" && Array.isArray(cur) && a.length === 1 && isKnown(a[0]!)) {
        next = cur.filter((x) => !same(x, a[0]!));
      } else if (name === "[]=" && isHash(cur) && a.length === 2) {
        const k = isSym(a[0]) ? a[0].sym : typeof a[0] === "string" ? a[0] : null;
        if (k !== null) next = { ...cur, [k]: a[1] };
      } else if ((name === "merge!" || name === "update") && isHash(cur) && isHash(a[0])) next = { ...cur, ...a[0] };
      if (next !== undefined) {
        this.noteLinked(target, cur, next, this.src(f, node));
        this.vars.replace(target, next);
        return;
      }
    }
    if (this.opts.major === 2 && name === "[]=" && kind(recv) === "CallNode" && !recv.receiver && CAP2_HASH_ATTRS.has(recv.name)) {
      const attr: string = recv.name;
      const cur = this.vars.has(attr) ? this.vars.fetch(attr) : {};
      const a = args.map((x) => this.ev(x, f));
      const k = isSym(a[0]) ? a[0].sym : typeof a[0] === "string" ? a[0] : null;
      if (isHash(cur) && k !== null) {
        if (this.vars.has(attr)) this.vars.replace(attr, { ...cur, [k]: a[1] });
        else this.vars.set(attr, { [k]: a[1] }, this.src(f, node));
        return;
      }
    }
    const mod = kind(recv) === "ConstantReadNode" || kind(recv) === "ConstantPathNode" ? this.modules.get(f.parsed.textOf(recv).replace(/^::/, "")) : undefined;
    if (mod && !f.sourceOverride) {
      // A call into repo code that may declare servers: its servers are unread (asked), never "none".
      const d = declaredIn(mod.node);
      const at = `${mod.parsed.file}:${mod.parsed.sourceOf(mod.node).line}`;
      const message = `\`${short(f.parsed.textOf(node))}\` runs ${f.parsed.textOf(recv)} (${at}), repo code not followed statically${d.servers ? " that calls `server`/`role`: the stage's servers are not read" : ""}`;
      this.warnAt(f, node, message);
      if (d.servers || d.variables.length) this.unread.push({ ...d, source: this.src(f, node), message });
      return;
    }
    this.warnAt(f, node, `${short(f.parsed.textOf(node))}: not followed statically`);
  }

  /** The variable a receiver reads when it is `fetch(:k)` (Cap 3) or a bare variable name (Cap 2). */
  private mutationTarget(recv: any, f: Frame): string | null {
    if (kind(recv) !== "CallNode" || recv.receiver) return null;
    const a = argsOf(recv);
    if (recv.name === "fetch" && a.length >= 1) {
      const k = this.nameOf(a[0], f);
      return k !== null && this.vars.has(k) ? k : null;
    }
    if ((this.opts.major === 2 || this.opts.bareReads) && a.length === 0 && this.vars.has(recv.name)) return recv.name;
    return null;
  }

  // --- set / fetch / append / ask ----------------------------------------------------------------------

  private execSet(node: any, f: Frame, ifEmpty: boolean): void {
    const args = argsOf(node);
    const key = args.length ? this.nameOf(args[0], f) : null;
    if (key === null) return this.warnAt(f, node, "set of a name not known statically");
    if (ifEmpty && this.vars.has(key)) return;
    let value: Stored;
    const block = node.block && kind(node.block) === "BlockNode" ? node.block : null;
    this.global.lastLeaf = null;
    if (args.length < 2 && block) value = this.lazyOf(block, f);
    else if (args.length >= 2) value = this.storedOf(args[1], f);
    else value = null;
    const prev = this.vars.has(key) && !isLazy(this.vars.peekRaw(key)) ? (this.vars.peekRaw(key) as RValue) : null;
    // A built-in default that re-sets a value unchanged (`set :x, fetch(:x, d)`) keeps its origin.
    if (f.sourceOverride && this.vars.has(key) && !isLazy(value) && prev !== null && same(prev, value as RValue)) return;
    this.vars.set(key, value, this.globalSource(value, f) ?? this.src(f, node));
    this.endMaybe(key);
    if (!isLazy(value)) this.noteLinked(key, prev, value as RValue, this.src(f, node));
  }

  /** What a `set`/`delete` of `key` stored is certain: the maybe changes before it no longer hold. */
  private endMaybe(key: string): void {
    if (this.maybe.some((m) => m.name === key)) this.maybe = this.maybe.filter((m) => m.name !== key);
  }

  /** Arguments as Ruby passes them: `*list` spreads a known Array, else stays one Unknown. */
  private evArgs(args: any[], f: Frame): RValue[] {
    return args.flatMap((a) => {
      if (kind(a) !== "SplatNode" || !a.expression) return [this.ev(a, f)];
      const v = this.ev(a.expression, f);
      return Array.isArray(v) ? v : [unknown(f.parsed, a, "a splat of a value not known statically")];
    });
  }

  private execAppend(node: any, f: Frame, name: "append" | "remove"): void {
    const args = argsOf(node);
    const key = args.length ? this.nameOf(args[0], f) : null;
    if (key === null) return this.warnAt(f, node, `${name} to a name not known statically`);
    const cur = this.vars.fetch(key);
    const vals = this.evArgs(args.slice(1), f);
    const base = toArray(cur);
    if (base === null) {
      this.vars.set(key, unknown(f.parsed, node, `${name} to :${key}, whose value is not known statically`), this.src(f, node));
      return;
    }
    const next = name === "append" ? [...base, ...vals] : base.filter((x) => !vals.some((y) => same(x, y)));
    // A certain remove of everything a maybe append added: that maybe no longer holds.
    if (name === "remove") this.maybe = this.maybe.filter((m) => !(m.name === key && m.change === "append" && m.values.every((v) => isKnown(v) && vals.some((y) => same(v, y)))));
    this.noteLinked(key, cur, next, this.src(f, node));
    this.vars.set(key, next, this.src(f, node));
  }

  private execAsk(node: any, f: Frame): void {
    const args = argsOf(node);
    const key = args.length ? this.nameOf(args[0], f) : null;
    if (key === null) return this.warnAt(f, node, "ask for a name not known statically");
    const dflt = args.length > 1 && kind(args[1]) !== "KeywordHashNode" ? this.ev(args[1], f) : null;
    this.vars.set(key, { kind: "question", default: dflt }, this.src(f, node));
    // `echo: false` hides what is typed: Capistrano's own sign that the answer is a secret.
    const opts = args.find((a: any) => kind(a) === "KeywordHashNode");
    const hidden = !!opts?.elements?.some((e: any) => kind(e.key) === "SymbolNode" && e.key.unescaped?.value === "echo" && kind(e.value) === "FalseNode");
    this.asked.push({ name: key, default: dflt, source: this.src(f, node), ...(hidden ? { echo: false } : {}) });
  }

  /** A value as `set` stores it: callables stay lazy. */
  private storedOf(node: any, f: Frame): Stored {
    const k = kind(node);
    if (k === "LambdaNode") {
      if (hasParams(node)) return unknown(f.parsed, node, "a lambda with parameters (Capistrano stores it as it is)");
      return this.lazyOf(node, f);
    }
    if (k === "CallNode" && node.block && kind(node.block) === "BlockNode" && ((!node.receiver && (node.name === "lambda" || node.name === "proc")) || (node.name === "new" && kind(node.receiver) === "ConstantReadNode" && node.receiver.name === "Proc"))) {
      if (hasParams(node.block)) return unknown(f.parsed, node, "a callable with parameters (Capistrano stores it as it is)");
      return this.lazyOf(node.block, f);
    }
    return this.ev(node, f);
  }

  private lazyOf(blockOrLambda: any, f: Frame): Lazy {
    return { kind: "lazy", body: blockOrLambda.body, parsed: f.parsed, locals: new Map(f.locals) };
  }

  /**
   * A stored callable's value on its first fetch. Every stage forked from the shared config holds
   * the same callables (`deploy_to`, the git plugin's defaults...): a value one stage computed is
   * that of another stage when everything the computation read (variables, by their entries,
   * constants, helper methods, ENV given) is the same there, and it only computed: it ran no
   * statement, changed no variable, took nothing from the loop budget, and holds no callable (a
   * lambda keeps the session it was made in). Otherwise it is computed again, as it always was.
   * Only a fetch that no other computation is waiting on (none under way, no helper call, no
   * watch of the names read) is kept or taken.
   */
  private lazyValue(lazy: Lazy, key: string): RValue {
    const memo = this.opts.lazyValues;
    const top = memo && this.vars.computing === 1 && this.vars.watch === null && this.vars.reads === null && this.callDepth === 0 && this.budget.depth === 0;
    if (!top) return this.resolveLazy(lazy, key);
    const known = memo.get(lazy);
    if (known && known.env === this.opts.env && this.vars.same(known.reads) && sameLookups(known.constants, this.constants) && sameLookups(known.defs, this.defs)) return known.value;
    const reads: Reads = { names: new Map(), all: false };
    const lookups = { constants: new Map<string, RValue | undefined>(), defs: new Map<string, Def | undefined>() };
    const before = { writes: this.vars.writes, execs: this.execs, iterations: this.budget.iterations };
    this.vars.reads = reads;
    this.lookups = lookups;
    let value: RValue;
    try {
      value = this.resolveLazy(lazy, key);
    } finally {
      this.vars.reads = null;
      this.lookups = null;
    }
    const onlyComputed = this.vars.writes === before.writes && this.execs === before.execs && this.budget.iterations === before.iterations;
    if (onlyComputed && !holdsCallable(value) && ![...reads.names.values()].some((e) => e && !isLazy(e.value) && holdsCallable(e.value as RValue)) && ![...lookups.constants.values()].some((v) => v !== undefined && holdsCallable(v)))
      memo.set(lazy, { value, env: this.opts.env, reads, ...lookups });
    return value;
  }

  private resolveLazy(lazy: Lazy, _key: string): RValue {
    const stmts = statementsOf(lazy.body);
    if (!stmts.length) return null;
    const f: Frame = { parsed: lazy.parsed, locals: new Map(lazy.locals), ns: [] };
    for (const s of stmts.slice(0, -1)) {
      if (kind(s) === "LocalVariableWriteNode") f.locals.set(s.name, this.ev(s.value, f));
      else this.exec(s, f);
    }
    return this.ev(stmts[stmts.length - 1], f);
  }

  /** Records where each new linked_files / linked_dirs entry came from. */
  private noteLinked(key: string, before: RValue | null, after: RValue, source: Source): void {
    if (key !== "linked_files" && key !== "linked_dirs" && !(this.opts.mina && MINA_SHARED_KEYS.has(key))) return;
    if (!Array.isArray(after)) return;
    const prev = Array.isArray(before) ? before : [];
    for (const v of after) {
      const s = rubyToS(v);
      if (s === null || prev.some((p) => same(p, v))) continue;
      const id = `${key}\0${s}`;
      if (!this.linkedSources.has(id)) this.linkedSources.set(id, source);
    }
  }

  // --- servers and roles ---------------------------------------------------------------------------------

  private execServer(node: any, f: Frame): void {
    const args = argsOf(node);
    if (!args.length) return;
    if (this.servers.count >= EVAL_LIMITS.servers) {
      if (!this.serverLimitSaid) this.notFollowed(f, node, `more than ${EVAL_LIMITS.servers} servers: the rest are not read (limit)`);
      this.serverLimitSaid = true;
      return;
    }
    this.global.lastLeaf = null;
    const hostValue = this.ev(args[0], f);
    const hostSource = this.globalSource(hostValue, f);
    const hostName = this.hostOf(hostValue, f, node);
    // a host read from Global: the Unknown names the Global key and why
    const why = isUnknown(hostValue) && /^Global\b/.test(hostValue.unknown) ? `: ${hostValue.unknown}` : "";
    if (hostName === null) return this.notFollowed(f, node, `server whose host is not known statically (${short(f.parsed.textOf(args[0]))})${why}`);
    const rest = args.slice(1).map((a) => this.ev(a, f));
    let props: Record<string, RValue> = {};
    const roles: RValue[] = [];
    for (const r of rest) {
      if (isHash(r)) props = { ...props, ...r };
      else roles.push(r); // Capistrano 2: `server "h", :app, :web`
    }
    if (roles.length) props = { ...props, roles: [...roles, ...(Array.isArray(props.roles) ? props.roles : props.roles !== undefined ? [props.roles] : [])] };
    // What cannot be read is said, not guessed: a server without its roles, or a primary that
    // might be false, would size and place the workloads wrong.
    const roleList = Array.isArray(props.roles) ? props.roles : props.roles !== undefined ? [props.roles] : [];
    if (roleList.some((r) => !isKnown(r))) this.warnAt(f, node, `roles of server ${hostName} not known statically: read without them`);
    if (props.primary !== undefined && !isKnown(props.primary)) {
      this.warnAt(f, node, `primary: of server ${hostName} not known statically: read as not primary`);
      props = { ...props, primary: false };
    }
    this.servers.addHost(hostName, props, hostSource ?? this.src(f, node));
  }

  /** The YAML line of a value just read from Global, when the value is that leaf's (not a default's source). */
  private globalSource(value: Stored, f: Frame): Source | null {
    const leaf = this.global.lastLeaf;
    this.global.lastLeaf = null;
    if (!leaf || f.sourceOverride || isLazy(value) || !same(leaf.value, value as RValue)) return null;
    return leaf.source;
  }

  /**
   * `Global.configure do |config| config.environment = ...; config.config_directory = ... end`: what
   * the deploy's Global reads. A directory is read relative to where cap runs (the repo root).
   */
  private execGlobalConfigure(block: any, f: Frame): void {
    const param: string | undefined = block.parameters?.parameters?.requireds?.[0]?.name;
    for (const st of statementsOf(block.body)) {
      if (kind(st) !== "CallNode" || !param || kind(st.receiver) !== "LocalVariableReadNode" || st.receiver.name !== param) continue;
      const a = argsOf(st);
      if (a.length !== 1 || (st.name !== "environment=" && st.name !== "config_directory=")) continue;
      const how = short(f.parsed.textOf(a[0]));
      if (st.name === "environment=") {
        const v = this.ev(a[0], f);
        const env = isSym(v) ? v.sym : isKnownString(v) ? (v as string) : null;
        this.global.setup = { ...this.global.setup, environment: { value: env, how } };
      } else {
        let n = a[0];
        if (kind(n) === "CallNode" && n.name === "to_s" && n.receiver && !argsOf(n).length) n = n.receiver;
        const expand = kind(n) === "CallNode" && kind(n.receiver) === "ConstantReadNode" && n.receiver.name === "File" && n.name === "expand_path" && argsOf(n).length === 1;
        const v = this.ev(expand ? argsOf(n)[0] : n, f);
        const dir = isKnownString(v) && !(v as string).startsWith("/") && !(v as string).split("/").includes("..") ? normalize((v as string).replace(/^\.\//, "")).replace(/\/+$/, "") : null;
        this.global.setup = { ...this.global.setup, dir: { value: dir, how } };
      }
    }
  }

  private execRole(node: any, f: Frame): void {
    const args = argsOf(node);
    const role = args.length ? this.nameOf(args[0], f) : null;
    if (role === null) return this.warnAt(f, node, "role with a name not known statically");
    const vals = args.slice(1).map((a) => this.ev(a, f));
    let options: Record<string, RValue> = {};
    if (vals.length && isHash(vals[vals.length - 1])) options = vals.pop() as Record<string, RValue>;
    // Capistrano 2's `role(:web) { host }`: the block is called when the servers are listed, after
    // the stage file (resolveDynamicRoles). Capistrano 3 has no such form.
    if (node.block && kind(node.block) === "BlockNode") {
      if (this.opts.major !== 2) return this.notFollowed(f, node, `role ${role}: its hosts come from a block computed at deploy time (${short(f.parsed.textOf(node))}), not known statically`);
      this.dynamicRoles.push({ role, node, frame: { ...f, locals: new Map(f.locals) }, options });
      return;
    }
    const hosts: string[] = [];
    for (const v of vals.flatMap((x) => (Array.isArray(x) ? x : [x]))) {
      const s = this.hostOf(v, f, node);
      if (s === null) this.notFollowed(f, node, `role host not known statically (${short(f.parsed.textOf(node))})`);
      else hosts.push(s);
    }
    this.servers.addRole(role, hosts, options, this.src(f, node));
  }

  /** A host name; from `ENV.fetch("HOST", "default")` the default, as Capistrano gets it with HOST unset. */
  private hostOf(v: RValue, f: Frame, node: any): string | null {
    if (isKnownString(v)) return v as string;
    if (isEnvRef(v) && typeof v.default === "string") {
      this.warnAt(f, node, `host from ENV[${JSON.stringify(v.env)}]: its default ${v.default} is used (the value given at deploy time may differ)`);
      return v.default;
    }
    return null;
  }

  // --- tasks, hooks, requires --------------------------------------------------------------------------------

  private execTask(node: any, f: Frame): void {
    const args = argsOf(node);
    if (!args.length) return;
    let nameNode = args[0];
    if (kind(nameNode) === "KeywordHashNode" || kind(nameNode) === "HashNode") nameNode = nameNode.elements[0]?.key;
    const name = this.nameOf(nameNode, f);
    if (name === null) return this.warnAt(f, node, "task with a name not known statically");
    const full = [...f.ns, name].join(":");
    const body = node.block && kind(node.block) === "BlockNode" ? node.block : null;
    this.addTask(full, node, body, f);
    if (f.ns.length === 0 && body) this.topTasks.set(full, { body: body.body, frame: { ...f, locals: new Map(f.locals) }, source: this.src(f, node) });
    if (this.opts.mina && !f.sourceOverride) {
      const prereqs = this.prerequisitesOf(args[0], f);
      const defs = this.minaTasks.get(full) ?? [];
      defs.push({ body: body?.body ?? null, frame: { ...f, locals: new Map(f.locals) }, source: this.src(f, node), prereqs });
      this.minaTasks.set(full, defs);
    }
    if (full === "load:defaults" && body) this.loadDefaults.push({ body: body.body, frame: { ...f, locals: new Map(f.locals), ns: [] } });
  }

  /** `task :x => [:environment, :y]`: the prerequisites' names (none known statically: none). */
  private prerequisitesOf(arg: any, f: Frame): string[] {
    if (kind(arg) !== "KeywordHashNode" && kind(arg) !== "HashNode") return [];
    const v = arg.elements[0]?.value;
    const list = kind(v) === "ArrayNode" ? v.elements : v ? [v] : [];
    return list.map((x: any) => this.nameOf(x, f)).filter((x: string | null): x is string => x !== null);
  }

  /**
   * Mina's `invoke :task` (0.3 helpers.rb:19-27, `Rake.application.invoke_task`; 1.x the same): the
   * task runs there and then, its prerequisites first, and only once per run. Outside a task body
   * this runs while deploy.rb loads (`invoke :"env:#{server}"` picks the target's settings). A task
   * the repo does not define (a gem's, `rvm:use[2.1.5]`) is not followed, as before.
   */
  private execInvoke(node: any, f: Frame): void {
    const args = argsOf(node);
    const name = args.length ? this.nameOf(args[0], f) : null;
    if (name === null) return this.warnAt(f, node, "invoke of a task name not known statically: not followed");
    // Rake's task arguments (`rvm:use[2.1.5]`) are not part of the name.
    const task = name.replace(/\[[^\]]*\]$/, "");
    this.invokes.push({ name: task, source: this.src(f, node) });
    const full = this.minaTasks.has(task) ? task : [...f.ns, task].join(":");
    this.invokeTask(full);
  }

  /** Rake's Task#invoke: prerequisites (looked up from the task's namespace outwards), then every action; once. */
  private invokeTask(full: string): void {
    const defs = this.minaTasks.get(full);
    if (!defs || this.invokedTasks.has(full)) return;
    this.invokedTasks.add(full);
    if (this.callDepth >= EVAL_LIMITS.depth) return;
    this.callDepth++;
    try {
      const scope = full.split(":").slice(0, -1);
      for (const d of defs)
        for (const p of d.prereqs) {
          let found: string | null = null;
          for (let i = scope.length; i >= 0 && !found; i--) {
            const cand = [...scope.slice(0, i), p].join(":");
            if (this.minaTasks.has(cand)) found = cand;
          }
          if (found) this.invokeTask(found);
        }
      for (const d of defs) if (d.body) this.runStatements(statementsOf(d.body), { ...d.frame, locals: new Map(d.frame.locals) });
    } finally {
      this.callDepth--;
    }
  }

  /**
   * `ENV['to'] ||= 'sandbox'` in a run given the variable (set or unset, as Mina's command line does):
   * unset, it is set from here on, and what reads it sees the value. Copy on write: the run's own ENV.
   */
  private envOrWrite(node: any, f: Frame): boolean {
    const recv = node.receiver;
    const a = argsOf(node);
    if (kind(recv) !== "ConstantReadNode" || recv.name !== "ENV" || a.length !== 1) return false;
    const name = literalName(a[0]);
    if (name === null || this.envValue(name) === undefined) return false;
    if (this.envValue(name) !== null) return true;
    const v = this.ev(node.value, f);
    if (typeof v !== "string") return false;
    this.opts = { ...this.opts, env: { ...this.opts.env, [name]: v } };
    return true;
  }

  /** Mina: the tasks the repo's files define (full names), each at its first definition. */
  definedTasks(): { name: string; source: Source }[] {
    return [...this.minaTasks].map(([name, ds]) => ({ name, source: ds[0]!.source }));
  }

  /** The value a run's ENV holds for `name`: undefined when the run was not given it (unknown). */
  envValue(name: string): string | null | undefined {
    return this.opts.env && Object.hasOwn(this.opts.env, name) ? this.opts.env[name] : undefined;
  }

  private addTask(name: string, node: any, body: any, f: Frame): void {
    const source = this.src(f, node);
    if (this.tasks.some((t) => t.name === name && t.source.file === source.file && t.source.line === source.line)) return;
    this.renderHelpers ??= repoRenderHelpers(this.opts.repo);
    const { templates, uploads, renders, erbCalls, unfollowed } = body ? scanTask(body, f.parsed, this.opts.repo, f.locals, this.renderHelpers) : { templates: [], uploads: [], renders: [], erbCalls: [], unfollowed: [] };
    for (const u of unfollowed)
      this.opts.warn(u.source.file, u.source.line, `render-helper.not-followed: task ${name} renders a template with the repo's own ${u.helper.name} (${u.helper.source.file}:${u.helper.source.line}), but which template is not known statically: ${u.why}. What it wrote on the servers is not read`);
    // Mina's erb() rendering that reaches no path the analysis can follow: what it set on the servers is not read.
    if (this.opts.mina)
      for (const c of erbCalls)
        this.opts.warn(c.source.file, c.source.line, `mina.erb-not-followed: task ${name} renders ${c.template} with Mina's erb() helper, but where the rendering is written is not known statically (only \`echo '#{erb(...)}' > <path>\` and a local written that way are followed): the settings it rendered on the servers are not read`);
    const expands = body ? linkedGlobExpansion(body, f.parsed) : null;
    this.tasks.push({ name, source, templates, uploads, ...(renders.length ? { renders } : {}), ...(expands ? { expandsLinkedGlobs: expands } : {}) });
    if (body && !f.sourceOverride)
      for (const st of statementsOf(body.body))
        if (kind(st) === "CallNode" && !st.receiver && st.name === "set" && argsOf(st).length >= 2 && TASK_SET_VARIABLES.has(String(this.nameOf(argsOf(st)[0], f))))
          this.taskSets.push({ task: name, node: st, frame: { ...f, locals: new Map(f.locals) } });
    if (!body) return;
    // A loop's list may be a variable a later file sets (the stage file): read once every file ran.
    if (hasTaskLoop(body)) this.loopTasks.push({ name, body, frame: { ...f, locals: new Map(f.locals) }, source });
    else this.readTaskLinks(name, f, source, manualLinksIn(f.parsed.textOf(body), f.parsed.sourceOf(body).line, this.opts.repo), []);
  }

  /**
   * The links and copies of the task bodies that hold a loop (task-loops.ts), read with the lists as
   * the run left them: once, after the run's last file (the stage's), before its facts are taken.
   */
  readLoopLinks(): void {
    for (const t of this.loopTasks.splice(0)) {
      const listOf = (node: any, bound: ReadonlyMap<string, RValue>) => this.ev(node, bound.size ? { ...t.frame, locals: new Map([...t.frame.locals, ...bound]) } : t.frame);
      const { lines, loops } = runLinesOf(t.body, t.frame.parsed, listOf);
      this.readTaskLinks(t.name, t.frame, t.source, manualLinksOfLines(lines, this.opts.repo), loops);
    }
  }

  private readTaskLinks(name: string, f: Frame, source: Source, links: ManualLink[], loops: TaskLoop[]): void {
    const notRead = new Map<TaskLoop, ManualLink[]>();
    for (const l of links) {
      const at = f.sourceOverride ? source : { file: source.file, line: l.line };
      if (l.spread !== undefined) {
        // Which files land is known only on the servers: named, never taken as the repo's files.
        if (!f.sourceOverride)
          this.opts.warn(at.file, at.line, `capistrano.copy-spread: task ${name} copies shared/${l.spread} over the release's ${l.path || "root"} with ${l.via}: each file the servers held there replaced the repo's${spreadHitsDatabase(l.path, l.spread) ? " (config/database.yml among them, if shared/ had one: then the servers connected with that copy, not the repo's)" : ""}, and which files they held is not in the repo, so what is read here from the repo's ${l.path || "files"} may not be what the servers read. Compare with a server's shared/${l.spread.replace(/\/[^/]*[*?[].*$/, "")}`);
        continue;
      }
      // A path still built on a loop's block variable: the loop was not unrolled (its list is not
      // known) or the expression was not read; such a path names no file.
      const loop = loops.find((x) => x.source.line <= l.line && l.line <= x.endLine && x.vars.some((v) => readsVar([l.path, l.shared, l.fromRelease], v)));
      if (loop) {
        notRead.set(loop, [...(notRead.get(loop) ?? []), l]);
        continue;
      }
      this.manualLinks.push({ path: l.path, kind: l.kind, source: at, task: name, ...(l.via ? { via: l.via } : {}), ...(l.fromRelease !== undefined ? { fromRelease: l.fromRelease } : {}), ...(l.condition ? { condition: l.condition } : {}), ...(l.shared !== undefined ? { shared: l.shared } : {}) });
      if (l.intoExisting !== undefined && !f.sourceOverride)
        this.opts.warn(at.file, at.line, `capistrano.link-into-dir: the link target ${l.intoExisting || "(the release itself)"} is a directory the checkout holds, so ln put the link inside it, at ${l.path} (ln's rule for an existing directory; nothing removes it first), and ${l.intoExisting || "the release"} itself stayed the repo's`);
    }
    for (const loop of loops)
      if (loop.cut?.length)
        this.opts.warn(loop.source.file, loop.source.line, `capistrano.loop-cut: task ${name} runs its block once for each element of \`${loop.list}\`, and only the first ${MAX_LOOP_ELEMENTS} elements (at most ${MAX_UNROLLED} copies of loop bodies per task, ${MAX_UNROLLED_BYTES} bytes of them), each a String, Symbol or Integer, are read: what the block did for ${loop.cut.length} more (${loop.cut.slice(0, 10).join(", ")}${loop.cut.length > 10 ? ", ..." : ""}) is not read`);
    for (const [loop, ls] of notRead) {
      const why = loop.unknown !== undefined ? `whose elements are not known statically (${loop.unknown})` : "but the path is built from the block variable with an expression not read statically";
      const what = [...new Set(ls.map((l) => `${l.via ? `${l.via} ` : ""}${l.fromRelease !== undefined ? l.fromRelease : `shared/${l.shared ?? l.path}`} → ${l.path || "(the release)"} (line ${l.line})`))].join(", ");
      const db = ls.find((l) => l.fromRelease === undefined && mayName(l.path, "config/database.yml"));
      const at = f.sourceOverride ? source : loop.source;
      this.opts.warn(at.file, at.line, `capistrano.loop-links-not-read: task ${name} links or copies into the release once for each element of \`${loop.list}\`, ${why}: ${what}. Which files the servers took from shared/ there is not read, so the repo's copies of them may not be what the servers ran${db ? "; config/database.yml may be among them (read as the servers' copy, which is not certain)" : ""}`);
      if (db)
        this.manualLinks.push({ path: "config/database.yml", kind: "file", source: f.sourceOverride ? source : { file: source.file, line: db.line }, task: name, ...(db.via ? { via: db.via } : {}), condition: `only if \`${loop.list}\` (${loop.source.file}:${loop.source.line}) held the element that names it, which is not known statically` });
    }
  }

  private execHook(node: any, f: Frame, kindName: "before" | "after"): void {
    const args = argsOf(node);
    const names = args.filter((a) => kind(a) !== "KeywordHashNode" && kind(a) !== "HashNode").map((a) => this.nameOf(a, f));
    const body = node.block && kind(node.block) === "BlockNode" ? node.block : null;
    // Capistrano 2's `after "deploy:update_code" do … end`: an anonymous callback (ProcCallback) run
    // around that task, read as a task named for where it is written, as `on :after` blocks are.
    if (this.opts.major === 2 && !this.opts.mina && names.length === 1 && names[0] !== null && body) {
      const at = this.src(f, node);
      const task = `${kindName} block (${at.file}:${at.line})`;
      this.hooks.push({ kind: kindName, target: names[0], task, source: at });
      return this.addTask(task, node, body, f);
    }
    if (names.length < 2 || names.some((n) => n === null)) return this.warnAt(f, node, `${kindName} hook with task names not known statically`);
    const [target, ...tasks] = names as string[];
    tasks.forEach((t, i) => {
      const h: HookDef = { kind: kindName, target, task: t, source: this.src(f, node) };
      this.hooks.push(h);
      // Capistrano 3 defines the first name's task from the block (task_enhancements.rb), in this namespace.
      this.hookScopes.set(h, { ns: f.ns, defines: body !== null && i === 0 });
    });
    if (body) this.addTask([...f.ns, tasks[0]].join(":"), node, body, f);
  }

  private execRequire(node: any, f: Frame, how: string): void {
    const args = argsOf(node);
    if (!args.length) return;
    this.localPath = true;
    let v: RValue;
    try {
      v = this.ev(args[0], f);
    } finally {
      this.localPath = false;
    }
    const target = typeof v === "string" ? v : null;
    if (target === null) {
      this.unfollowedLoads.push({ call: how, source: this.src(f, node) });
      return this.warnAt(f, node, `${how} of a path not known statically`);
    }
    // A path that leaves the checkout (absolute, or climbing above the repo root) names a file of the
    // deploying machine, not of the repo: it is never read, and never mistaken for a repo file.
    const outside = outsideRepo(target, how === "require_relative" ? f.parsed.file : "");
    if (outside) return this.warnAt(f, node, `capistrano.load-outside-repo: ${how} ${target} names a file outside the repo (${outside}): what it sets, defines or hooks is not read`);
    const found = this.findLoadable(target, how, f.parsed.file);
    // `load` runs a file again each time (Kernel#load), so two recipes that load each other recurse
    // in Ruby until the stack runs out, unless a condition stops it. Read once here, and said.
    if (found && how === "load" && this.running.includes(found)) {
      const chain = [...this.running.slice(this.running.indexOf(found)), found].join(" → ");
      return this.warnAt(f, node, `capistrano.load-cycle: load ${target} runs ${found}, which is still being loaded (${chain}): Kernel#load runs a file again each time, so unless a condition stops it Ruby recurses until its stack is exhausted and cap aborts while loading the recipes; each file is read once here`);
    }
    if (!found) this.missedLoads.push({ target, source: this.src(f, node) });
    // Plugins: Capfile requires (Cap 3); Cap 2 also loads recipes in the Capfile (`load 'deploy'`)
    // and requires plugins from config/deploy.rb.
    // A Capistrano 2 stage file's gems are that stage's (Stage.plugins). Capistrano 3 loads deploy.rb
    // and the stage file after load:defaults ran and was frozen: a plugin required there never got its
    // defaults (one that defines them aborts cap), so it is no plugin of the stage, only a warning.
    const late = this.opts.major === 3 && !this.opts.mina && (f.parsed.file === this.stageFile || f.parsed.file === this.deployRbAfterDefaults);
    if (late && !found && how === "require" && CAP3_PLUGIN_NAME.test(target)) {
      const w = afterDefaults(target, f.parsed.file, this.opts.lockedCap ?? null, f.parsed.file === this.stageFile);
      this.warnAt(f, node, w.message);
      if (w.aborts) this.capAborts.push({ message: w.message, source: this.src(f, node) });
      if (w.loaded) {
        // Before 3.5.0 its tasks and hooks ran on the stage: the stage's plugin, without its defaults.
        const at = this.src(f, node);
        this.requires.push({ value: target, source: at });
        for (const d of lateDefaults(target, `${at.file}:${at.line}`)) if (!this.vars.has(d.name)) this.vars.set(d.name, { unknown: d.why }, at);
      }
    }
    const pluginFile = isCapfileName(f.parsed.file) || (this.opts.major === 2 && (f.parsed.file === "config/deploy.rb" || f.parsed.file === this.stageFile));
    if (pluginFile && !found && (how === "require" || (how === "load" && this.opts.major === 2))) this.requires.push({ value: target, source: this.src(f, node) });
    // A Capistrano 2 recipe gem whose defaults are known: run them here, labelled as the gem's.
    const gem = this.opts.major === 2 && !found && how === "require" ? cap2RecipeGem(target) : undefined;
    if (gem && !f.sourceOverride) {
      const at = this.src(f, node);
      this.opts.labelDefaults?.(at, gem.gem);
      this.recipeGems.push({ gem, source: at });
      this.runSnippet(parseRuby(`(${gem.gem})`, gem.defaults), at);
      this.warnAt(f, node, `capistrano.recipe-gem: ${gem.gem} sets deploy values from its own files, not in the repo: its defaults are read as ${gem.gem}'s (from its ${gem.from})${gem.linkedList ? `, and the paths of :${gem.linkedList} as linked from shared/` : ""}; not read: ${gem.notRead}`);
    }
    if (how === "import") {
      if (found) this.imports.push(found);
      else this.warnAt(f, node, `import of ${target}: no such file in the repo`);
      return;
    }
    if (found) return this.runFile(found, how !== "load");
    // mina-stack (div/mina-stack lib/mina-stack.rb:10) loads the app's server files when required:
    // `Dir['config/servers/*.rb'].each { |f| load f }`, whose `env:<name>` tasks are the targets.
    if (this.opts.mina && how === "require" && target === "mina-stack") {
      for (const p of this.opts.repo.paths.filter((x) => /^config\/servers\/[^/]+\.rb$/.test(x)).sort()) this.runFile(p);
      return;
    }
    // Gems (capistrano/rails...) are not in the repo: their effect is modelled by the defaults.
    if (how === "require_relative" || target.startsWith(".") || target.startsWith("config/") || target.startsWith("lib/")) {
      // Ruby's load/require add .rb: a committed example of that file (config/deploy.rb.example) is named.
      const rb = normalize(target).replace(/^\.\//, "").replace(/(?:\.rb)?$/, ".rb");
      this.warnAt(f, node, `${how} ${target}: no such file in the repo${deployExampleSaid(this.opts.repo, rb)}`);
    }
  }

  /** A required file in the repo: `lib/` is on Capistrano's load path; relative paths from the file. */
  private findLoadable(target: string, how: string, from: string): string | null {
    // A file a glob listed under a skipped tree (vendor/plugins/*/recipes) is loadable too.
    const have = (p: string) => hasLoadablePath(this.opts.repo, p);
    const norm = (p: string) => normalize(p);
    const cands: string[] = [];
    if (how === "require_relative") {
      const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/")) : "";
      const base = norm(dir ? `${dir}/${target}` : target);
      cands.push(base, `${base}.rb`);
    } else {
      const t = norm(target.replace(/^\.\//, ""));
      cands.push(t, `${t}.rb`);
      if (how === "require") cands.push(`lib/${t}.rb`, `lib/${t}`);
    }
    return cands.find((c) => c && have(c)) ?? null;
  }

  // --- expressions ------------------------------------------------------------------------------------

  ev(node: any, f: Frame): RValue {
    return evaluate(node, f.parsed, this.scope(f));
  }

  private scope(f: Frame): Scope {
    return {
      local: (name) => f.locals.get(name),
      call: (node, ev) => this.callHook(node, ev, f),
      constant: (name, node) => {
        const v = this.constants.get(name);
        this.lookups?.constants.set(name, v);
        if (v === undefined && node && this.vars.computing === 0) this.constantAtLoad(name, node, f);
        return v;
      },
      budget: this.budget,
      env: (name) => (this.opts.env && Object.hasOwn(this.opts.env, name) ? this.opts.env[name] : undefined),
      envDefault: (env, node) => this.warnAt(f, node, `decided by ENV[${JSON.stringify(env)}] unset (its default); the value given at deploy time may differ`),
    };
  }

  /**
   * A constant read while the files load (not in a lambda or a task, which cap runs later) that no
   * file loaded so far assigned: Ruby raises NameError there, and `cap <stage>` aborts before any
   * task. Only a value-shaped name (`SECRET_KEY_BASE`) not defined in the deploy files nor one of
   * Ruby's own is taken as such: a class name may come from any gem the Capfile loads.
   */
  private constantAtLoad(name: string, node: any, f: Frame): void {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || RUBY_CONSTANTS.has(name) || this.capAborts.length) return;
    if (this.opts.mina || definedInDeployFiles(this.opts.repo, name)) return;
    const at = this.src(f, node);
    // `{ NAME: }`: the implicit value's node is the key's own name, followed by its colon.
    const omitted = new RegExp(`(?:^|[{,(\\s])${name}:(?!:)`).test(f.parsed.text.split("\n")[at.line - 1] ?? "");
    const message = `cap.constant-unknown-at-load: ${at.file}:${at.line} reads the constant ${name}${omitted ? ` (\`${name}:\` with no value is Ruby 3.1's hash value omission, a read of ${name}; before Ruby 3.1 a syntax error)` : ""}, which no deploy file defines: Ruby raises NameError while cap loads the stage, so \`cap\` aborts before any task ran`;
    this.warnAt(f, node, message);
    this.capAborts.push({ message, source: at });
  }

  private callHook(node: any, ev: (n: any) => RValue, f: Frame): RValue | undefined {
    if (kind(node) === "SourceFileNode" && this.localPath) return f.parsed.file;
    if (kind(node) !== "CallNode") return undefined;
    const name: string = node.name;
    const args = argsOf(node);
    const recv = node.receiver;
    if (!recv) {
      if (name === "fetch" && args.length >= 1) {
        const key = this.nameOf(args[0], f);
        if (key === null) return unknown(f.parsed, node, "fetch of a name not known statically");
        const block = node.block && kind(node.block) === "BlockNode" ? node.block : null;
        let dflt: Stored | undefined = args.length > 1 ? this.storedOf(args[1], f) : undefined;
        if (dflt === undefined && block) {
          if (this.vars.has(key)) return this.vars.fetch(key);
          return this.resolveLazy(this.lazyOf(block, f), key);
        }
        return this.vars.fetch(key, dflt, this.src(f, node));
      }
      // Mina's `__dir__` is a folder of the checkout it runs from: read as the repo's own folder where a
      // file is loaded from it, never as a value (a path on the deploying machine).
      if (name === "__dir__" && args.length === 0 && this.localPath) return f.parsed.file.includes("/") ? f.parsed.file.slice(0, f.parsed.file.lastIndexOf("/")) : ".";
      if (this.opts.mina && PATH_HELPERS.has(name) && name !== "deploy_to" && args.length === 0 && this.vars.has(name)) return this.vars.fetch(name);
      if (PATH_HELPERS.has(name) && args.length === 0) return this.pathHelper(name, node, f);
      if ((name === "roles" || name === "release_roles" || name === "primary" || name === "role_properties") && this.opts.major === 3)
        return unknown(f.parsed, node, "servers selected at deploy time");
      if ((this.opts.major === 2 || this.opts.bareReads) && args.length === 0 && !node.block && !f.locals.has(name) && this.vars.has(name)) return this.vars.fetch(name);
      // Capistrano 2's `exists?(:k)` (Variables#exists?): whether anything set it, whatever its value.
      if (this.opts.major === 2 && name === "exists?" && args.length === 1 && !this.defs.has(name)) {
        const key = this.nameOf(args[0], f);
        return key === null ? unknown(f.parsed, node, "exists? of a name not known statically") : this.vars.has(key);
      }
      if (name === "lambda" || name === "proc") return unknown(f.parsed, node, "a callable inside a value (not called by Capistrano)");
      const def = this.defs.get(name);
      this.lookups?.defs.set(name, def);
      if (def) return this.callDef(def, args.map(ev), node, f);
      return undefined;
    }
    // Pathname-like helpers: shared_path.join("x"), current_path.to_s
    if (kind(recv) === "CallNode" && !recv.receiver && PATH_HELPERS.has(recv.name) && (name === "join" || name === "to_s" || name === "to_path" || name === "+" || name === "/")) {
      const base = ev(recv);
      if (typeof base !== "string") return isUnknown(base) ? base : undefined;
      if (name === "to_s" || name === "to_path") return base;
      const parts = args.map(ev);
      if (!parts.every((p) => typeof p === "string")) return undefined;
      return (parts as string[]).reduce(pathJoin, base);
    }
    const global = this.globalRead(node, recv, name, args, ev, f);
    if (global !== undefined) return global;
    if (kind(recv) === "ConstantReadNode") {
      const c: string = recv.name;
      if (c === "File" && name === "read" && args.length === 1) {
        const p = ev(args[0]);
        if (typeof p !== "string") return unknown(f.parsed, node, "File.read of a path not known statically");
        const r = this.opts.repo.read(normalize(p.replace(/^\.\//, "")));
        return "text" in r ? r.text : unknown(f.parsed, node, `File.read(${JSON.stringify(p)}): ${r.error}`);
      }
      const data = readDataFile(c, name, node, args, ev, this.opts.repo, f.parsed, this.opts.unusable);
      if (data !== undefined) return data;
      if (c === "File" && name === "join") {
        const parts = (args.map(ev) as RValue[]).flat(Infinity as 1) as RValue[];
        return parts.every((p) => typeof p === "string") ? fileJoin(parts as string[]) : undefined;
      }
      if (c === "File" && (name === "exist?" || name === "file?") && args.length === 1) {
        const p = ev(args[0]);
        return typeof p === "string" ? hasPath(this.opts.repo, normalize(p.replace(/^\.\//, ""))) : undefined;
      }
      // `load File.join(File.dirname(__FILE__), "strategies", "x")`: a recipe loading its neighbour.
      if (c === "File" && name === "dirname" && args.length === 1) {
        const p = ev(args[0]);
        if (typeof p !== "string") return undefined;
        const t = p.replace(/\/+$/, "");
        return t.includes("/") ? t.slice(0, t.lastIndexOf("/")) || "/" : ".";
      }
      if (c === "File" && name === "basename" && args.length >= 1) {
        const p = ev(args[0]);
        const ext = args.length > 1 ? ev(args[1]) : "";
        if (typeof p !== "string" || typeof ext !== "string") return undefined;
        let b = p.replace(/\/+$/, "").split("/").pop() ?? "";
        if (ext === ".*") b = b.replace(/\.[^.]*$/, "");
        else if (ext && b.endsWith(ext)) b = b.slice(0, -ext.length);
        return b;
      }
      // `File.expand_path("../deploy/tasks", __FILE__)` where a file is loaded: a folder of the checkout.
      if (c === "File" && name === "expand_path" && args.length === 2 && this.localPath) {
        const [rel, base] = args.map(ev);
        return typeof rel === "string" && typeof base === "string" && !rel.startsWith("/") && !base.startsWith("/") ? normalize(`${base}/${rel}`) || "." : undefined;
      }
      if (c === "Dir" && (name === "glob" || name === "[]") && args.length >= 1) {
        const was = this.localPath;
        this.localPath = true;
        let pats: RValue[];
        try {
          pats = args.map(ev);
        } finally {
          this.localPath = was;
        }
        if (!pats.every((p) => typeof p === "string")) return unknown(f.parsed, node, "Dir.glob of a pattern not known statically");
        return globRepo(this.opts.repo, pats as string[]);
      }
      if (c === "Pathname" && name === "new" && args.length === 1) {
        const p = ev(args[0]);
        return typeof p === "string" ? p : undefined;
      }
    }
    return undefined;
  }

  /** `Global.configuration`, `Global.deploy`, and `[k]` / `.k` on what they gave (global-reads.ts); undefined for any other call. */
  private globalRead(node: any, recv: any, name: string, args: any[], ev: (n: any) => RValue, f: Frame): RValue | undefined {
    const at = (reason: string) => unknown(f.parsed, node, reason);
    const plain = args.length === 0 && !node.block;
    if (kind(recv) === "ConstantReadNode" && recv.name === "Global") {
      if (!plain || name === "configure") return undefined;
      if (name === "environment") return this.global.setup.environment?.value ?? at("Global's environment is not set by the deploy");
      return this.global.root(name === "configuration" ? null : name, at);
    }
    const index = name === "[]" && args.length === 1;
    if (!index && !(plain && /^[a-z_]\w*$/.test(name) && !HASH_METHODS.has(name))) return undefined;
    // only chains that can hold a Global value: Global..., fetch(:k)..., a local
    let root = recv;
    while (root && kind(root) === "CallNode" && root.receiver) root = root.receiver;
    const rootOk = root && ((kind(root) === "ConstantReadNode" && root.name === "Global") || (kind(root) === "CallNode" && !root.receiver && root.name === "fetch") || kind(root) === "LocalVariableReadNode");
    if (!rootOk) return undefined;
    const r = ev(recv);
    const missing = this.globalMissing.get(recv);
    if (r === null && missing !== undefined) return at(`Global key ${missing} is not set for this stage's environment (nil), so this read raises in Ruby`);
    const res = this.global.member(r, index ? ev(args[0]) : name, !index, at);
    if (res === null && index) {
      const o = DeployGlobal.originOf(r)!;
      const k = ev(args[0]);
      this.globalMissing.set(node, `${o.key ? `${o.key}.` : ""}${isSym(k) ? k.sym : String(k)}`);
    }
    return res;
  }

  /** A helper method of the config, run on known arguments (its body evaluated like a lambda's). */
  private callDef(def: { node: any; parsed: ParsedRuby }, args: RValue[], node: any, f: Frame): RValue {
    const params = def.node.parameters;
    const req: string[] = (params?.requireds ?? []).map((r: any) => r.name);
    const opt: any[] = params?.optionals ?? [];
    const simple = !params || (!params.rest && !(params.keywords?.length) && !params.keywordRest && !(params.posts?.length));
    if (!simple || args.length < req.length || args.length > req.length + opt.length) return unknown(f.parsed, node, `call to \`${def.node.name}\` with arguments we cannot bind statically`);
    if (this.callDepth > 20) return unknown(f.parsed, node, "helper methods call each other too deeply");
    this.callDepth++;
    try {
      const locals = new Map<string, RValue>(req.map((n, i) => [n, args[i]]));
      const inner: Frame = { parsed: def.parsed, locals, ns: [] };
      opt.forEach((o: any, i: number) => locals.set(o.name, req.length + i < args.length ? args[req.length + i] : this.ev(o.value, inner)));
      return this.resolveLazy({ kind: "lazy", body: def.node.body, parsed: def.parsed, locals }, def.node.name);
    } finally {
      this.callDepth--;
    }
  }

  private pathHelper(name: string, node: any, f: Frame): RValue {
    if (name === "release_path") {
      if (this.vars.has("release_path")) return this.vars.fetch("release_path");
      const current = this.pathHelper("current_path", node, f);
      return isUnknown(current) ? releaseRootUnknown(current, "release_path") : current;
    }
    // Capistrano 3 dsl/paths.rb: repo-relative, `Pathname.new fetch(:stage_config_path, "config/deploy")`.
    if (name === "stage_config_path" || name === "deploy_config_path") return this.vars.fetch(name, name === "stage_config_path" ? "config/deploy" : "config/deploy.rb");
    const deployTo = this.opts.major === 2 ? this.vars.fetch("deploy_to") : this.vars.fetch("deploy_to");
    if (name === "deploy_to") return deployTo;
    if (typeof deployTo !== "string") {
      const u = isUnknown(deployTo) ? deployTo : unknown(f.parsed, node, `${name}: deploy_to is not known statically`);
      return name === "current_path" ? releaseRootUnknown(u, "current_path") : u;
    }
    const sub = (k: string, d: string) => {
      const v = this.vars.fetch(k, d);
      return typeof v === "string" ? v : d;
    };
    switch (name) {
      case "deploy_path":
        return deployTo;
      case "shared_path":
        return pathJoin(deployTo, sub(this.opts.major === 2 ? "shared_dir" : "shared_directory", "shared"));
      case "current_path":
        return pathJoin(deployTo, sub(this.opts.major === 2 ? "current_dir" : "current_directory", "current"));
      case "releases_path":
        return pathJoin(deployTo, sub(this.opts.major === 2 ? "version_dir" : "releases_directory", "releases"));
      case "repo_path": {
        if (this.vars.has("repo_path")) return this.vars.fetch("repo_path");
        return pathJoin(deployTo, "repo");
      }
      case "revision_log":
        return pathJoin(deployTo, "revisions.log");
    }
    return unknown(f.parsed, node, `${name} is not known statically`);
  }

  /** A symbol or string literal (or an expression giving one). */
  nameOf(node: any, f: Frame): string | null {
    if (!node) return null;
    const lit = literalName(node);
    if (lit !== null) return lit;
    const v = this.ev(node, f);
    if (isSym(v)) return v.sym;
    return typeof v === "string" ? v : null;
  }

  /** A statement not followed: warned, and remembered when it would declare servers or set variables. */
  /**
   * Hooks (`before`/`after`, also inside a `namespace`) under a condition that is not known statically,
   * an `if ENV["X"]` most often: they ran only on deploys where the condition held, which the repo does
   * not say. Each is named at its own line and not counted as part of the deploy; what real cap does with
   * the variable unset (as it runs here) is said, not taken.
   */
  private conditionalHooks(node: any, f: Frame): void {
    if (f.sourceOverride) return;
    const cond = short(f.parsed.textOf(node.predicate));
    const env = /\bENV\b/.test(cond);
    const bare = /^ENV\[\s*(?:"[^"]*"|'[^']*')\s*\]$/.test(f.parsed.textOf(node.predicate).trim());
    const positive = kind(node) === "IfNode";
    // branch: which branch of this condition (null inside a nested one, whose own condition also decides).
    const visit = (stmts: any[], ns: string[], branch: boolean | null) => {
      for (const st of stmts) {
        const k = kind(st);
        if (k === "IfNode" || k === "UnlessNode") {
          visit(statementsOf(st.statements), ns, null);
          const other = k === "IfNode" ? st.subsequent ?? st.consequent : st.elseClause ?? st.else_clause;
          if (other) visit(kind(other) === "ElseNode" ? statementsOf(other.statements) : [other], ns, null);
          continue;
        }
        if (k !== "CallNode" || st.receiver) continue;
        if (st.name === "namespace" && st.block) {
          const a = argsOf(st)[0];
          const n = a && kind(a) === "SymbolNode" ? a.unescaped?.value : a && kind(a) === "StringNode" ? a.unescaped?.value : null;
          visit(statementsOf(st.block.body), n ? [...ns, n] : ns, branch);
        } else if (st.name === "before" || st.name === "after") {
          const names = argsOf(st).filter((a: any) => kind(a) === "SymbolNode" || kind(a) === "StringNode").map((a: any) => a.unescaped?.value as string);
          const what = names.length >= 2 ? `${st.name} ${names[0]}: ${names.slice(1).join(", ")}` : short(f.parsed.textOf(st));
          // With the variable unset (cap run with an empty environment), a bare `if ENV["X"]` is false and
          // `unless ENV["X"]` true; any other test of it (`== "true"`, `.to_s.empty?`) is not worked out here.
          const unsetRuns = bare && branch !== null ? branch === !positive : null;
          if (names.length >= 2)
            for (const t of names.slice(1)) {
              const h: ConditionalHook = { kind: st.name, target: names[0]!, task: t, source: this.src(f, st), condition: f.parsed.sourceOf(node) };
              this.condHooks.push(h);
              // Its names resolve as an unconditional hook's do (hook-names.ts), from the namespace it sits in.
              this.hookScopes.set(h, { ns, defines: false });
            }
          this.warnAt(f, st, `capistrano.conditional-hook: the hook ${what} is inside \`${positive ? "if" : "unless"} ${cond}\` (${f.parsed.file}:${f.parsed.sourceOf(node).line}), ${env ? "a value of the deploying shell's environment" : "a condition not known statically"}: it ran only on deploys where that held, which the repo does not say, so it is not counted as part of the deploy${unsetRuns === null ? "" : ` (with the variable unset, cap ${unsetRuns ? "runs" : "does not run"} it)`}; check how the deploys were run`);
        }
      }
    };
    visit(statementsOf(node.statements), f.ns, true);
    const other = kind(node) === "IfNode" ? node.subsequent ?? node.consequent : node.elseClause ?? node.else_clause;
    if (other) visit(kind(other) === "ElseNode" ? statementsOf(other.statements) : [other], f.ns, false);
  }

  /**
   * The list changes of an `if`/`unless` whose condition is not known statically (`append
   * :linked_files, ENV['LINKED_FILES'] if ENV['LINKED_FILES']`). Capistrano ran the branch on some
   * deploys and not on others, so an `append` leaves the list's entries certain and may add its
   * values; a `remove` of values the list does not hold changes nothing either way. Each is kept as a
   * maybe (Stage.maybe, warned capistrano.maybe-change with its line) and the variable keeps its
   * value from before. Read only when it is certain to be the same statement on every such deploy: a
   * branch is read statement by statement until one that is not a list change (or a hook, or a
   * no-op call) whose values may depend on what it did; a change whose arguments read a variable
   * changed before it in the branch, a `remove` of something the list may hold, a list not known,
   * and a variable also changed in code not read stay as before (not followed, the variable unknown).
   * `all`: every statement of both branches was read so.
   */
  private maybeChanges(node: any, f: Frame): { keys: Set<string>; all: boolean } {
    const none = { keys: new Set<string>(), all: false };
    if (f.sourceOverride) return none;
    const cond = short(f.parsed.textOf(node.predicate));
    const isIf = kind(node) === "IfNode";
    const other = isIf ? node.subsequent ?? node.consequent : node.elseClause ?? node.else_clause;
    const branches: { stmts: any[]; when: string }[] = [{ stmts: statementsOf(node.statements), when: isIf ? `when \`${cond}\` holds` : `unless \`${cond}\` holds` }];
    // An `elsif` has a condition of its own: not read here (its code stays not followed).
    const unreadOther = other && kind(other) !== "ElseNode" ? other : null;
    if (other && kind(other) === "ElseNode") branches.push({ stmts: statementsOf(other.statements), when: isIf ? `unless \`${cond}\` holds` : `when \`${cond}\` holds` });
    const found: MaybeChange[] = [];
    const notRead: any[] = unreadOther ? [unreadOther] : [];
    for (const b of branches) {
      const changed = new Map<string, MaybeChange["change"]>();
      let blocked = false;
      for (const st of b.stmts) {
        const m = blocked ? null : this.maybeChange(st, f, changed, b.when);
        if (m === "skip") continue;
        if (m === null) {
          blocked = true;
          notRead.push(st);
          continue;
        }
        changed.set(m.name, changed.get(m.name) === "remove" ? "remove" : m.change);
        found.push(m);
      }
    }
    // A variable that code not read also changes stays not known: its maybe would say less than that.
    const elsewhere = new Set(notRead.flatMap((n) => declaredIn(n).variables));
    const keys = new Set<string>();
    for (const m of found) {
      if (elsewhere.has(m.name)) continue;
      keys.add(m.name);
      this.maybe.push(m);
      const vals = m.values.map((v) => (isUnknown(v) ? null : rubyToS(v) ?? null));
      const known = vals.every((v) => v !== null) ? ` (${vals.join(", ")})` : " (not known statically)";
      const what =
        m.change === "append"
          ? `:${m.name} keeps its entries from before, certain, and maybe also ${m.expr}${known}: the servers' list held it only on deploys run that way`
          : `:${m.name} does not hold ${m.expr}, so either way its entries stay as they were`;
      this.opts.warn(m.source.file, m.source.line, `capistrano.maybe-change: \`${m.change} :${m.name}, ${m.expr}\` runs only ${m.condition}, which the analysis does not decide (a condition of the deploying machine, ${f.parsed.file}:${f.parsed.sourceOf(node).line}): ${what}; check how the deploys were run`);
    }
    for (const n of notRead) for (const k of declaredIn(n).variables) keys.delete(k);
    return { keys, all: notRead.length === 0 };
  }

  /**
   * One statement of such a branch: a list change read as a maybe, "skip" for a hook
   * (conditionalHooks names it) or a call that changes nothing, null for anything else.
   * `changed`: the variables changed before it in the branch.
   */
  private maybeChange(st: any, f: Frame, changed: Map<string, MaybeChange["change"]>, condition: string): MaybeChange | "skip" | null {
    if (kind(st) !== "CallNode") return null;
    const args = argsOf(st);
    let key: string | null = null;
    let change: MaybeChange["change"];
    let valueArgs: any[];
    if (!st.receiver && (st.name === "append" || st.name === "remove")) {
      key = args.length ? literalName(args[0]) : null;
      change = st.name;
      valueArgs = args.slice(1);
    } else if (!st.receiver && (st.name === "before" || st.name === "after" || (NO_OPS.has(st.name) && !st.block && st.name !== "invoke" && st.name !== "invoke!"))) {
      return "skip";
    } else if (st.receiver && (st.name === "push" || st.name === "<<" || st.name === "concat") && !st.block) {
      // `fetch(:linked_files) << x`, `fetch(:linked_dirs).push(x)`: the same as an append.
      key = this.mutationTarget(st.receiver, f);
      change = "append";
      valueArgs = args;
    } else return null;
    // Appends after appends to the same list all may add; anything else after a change of it has a maybe for base.
    if (key === null || (changed.has(key) && (change !== "append" || changed.get(key) !== "append"))) return null;
    const base = toArray(this.vars.fetch(key));
    if (base === null) return null;
    // What the arguments read: a variable the branch changed before them holds a value not known here.
    const outer = this.vars.watch;
    const watch = new Set<string>();
    this.vars.watch = watch;
    let values: RValue[];
    try {
      values = this.evArgs(valueArgs, f);
      if (st.name === "concat") values = values.flatMap((x) => (Array.isArray(x) ? x : [x]));
    } finally {
      this.vars.watch = outer;
      if (outer) for (const w of watch) outer.add(w);
    }
    if (watch.has("*") || [...watch].some((w) => changed.has(w))) return null;
    // A remove of a value the list may hold: with or without it is not known (the variable stays unknown).
    if (change === "remove" && !values.every((v) => isKnown(v) && !base.some((x) => same(x, v)))) return null;
    const expr = valueArgs.map((a) => f.parsed.textOf(a)).join(", ");
    return { name: key, change, expr, values, condition, source: this.src(f, st) };
  }

  /** `read`: variables whose changes in `node` were read anyway (maybeChanges): not unread. */
  private notFollowed(f: Frame, node: any, message: string, read?: ReadonlySet<string>): void {
    this.warnAt(f, node, message);
    if (f.sourceOverride) return;
    const d = declaredIn(node);
    if (read?.size) d.variables = d.variables.filter((v) => !read.has(v));
    if (d.servers || d.variables.length) this.unread.push({ ...d, source: f.parsed.sourceOf(node), message });
    // A loop we gave up on that calls a method we do not know (`hosts.each { |h| ec2_role h }`).
    const call = d.servers ? null : unknownCallIn(node);
    if (call) this.unknownCalls.push({ name: call.name, source: f.parsed.sourceOf(call) });
  }

  /** `x += y` on a local: the operator as a method of the current value. */
  private applyOp(cur: RValue, op: string, v: RValue, f: Frame, node: any): RValue {
    const scope: Scope = { ...this.scope(f), local: (n) => (n === "__r2k_l" ? cur : n === "__r2k_r" ? v : f.locals.get(n)) };
    const parsed = opSnippet(op);
    const stmts = statementsOf(parsed.root);
    const res = evaluate(stmts[stmts.length - 1], parsed, scope);
    return isUnknown(res) ? unknown(f.parsed, node, `\`${op}=\` on a value not known statically`) : res;
  }

  private src(f: Frame, node: any): Source {
    return f.sourceOverride ?? f.parsed.sourceOf(node);
  }

  private warnAt(f: Frame, node: any, message: string): void {
    if (f.sourceOverride) return;
    const s = f.parsed.sourceOf(node);
    this.opts.warn(s.file, s.line, message);
  }
}

/** A gem that is a Capistrano plugin by its name (capistrano/x, capistrano-x, x/capistrano, whenever/capistrano). */
const CAP3_PLUGIN_NAME = /(?:^|[/_-])capistrano3?(?:$|[/_-])/;

/** Whether each name looked up holds what it held then. */
function sameLookups<T>(was: Map<string, T | undefined>, now: Map<string, T>): boolean {
  for (const [k, v] of was) if (now.get(k) !== v) return false;
  return true;
}

/** A lambda inside a value (see makeClosure): it is called in the session that made it. */
function holdsCallable(v: RValue): boolean {
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v)) return v.some(holdsCallable);
  if (closureOf(v)) return true;
  for (const x of Object.values(v)) if (holdsCallable(x as RValue)) return true;
  return false;
}

/** Receiver-less calls with arguments that the session or plain Ruby gives a meaning to. */
const KNOWN_CALLS = new Set([...NO_OPS, ...PATH_HELPERS, ...DSL_METHODS, "_cset", "set_if_empty", "set_default", "append", "remove", "ask", "lock", "require", "require_relative", "import", "install_plugin", "delete", "lambda", "proc", "raise", "fail", "format", "sprintf", "Integer", "Float", "String", "Array", "Hash", "sleep", "system", "exit", "loop", "catch", "throw", "primary", "roles", "release_roles", "execute", "test", "capture", "within", "with", "as", "upload!", "download!"]);

/** The first call in `node` (a block not followed) to a method we do not know, which may declare servers. */
function unknownCallIn(node: any): any | null {
  let found: any = null;
  const walk = (n: any, depth: number): void => {
    if (found || !n || typeof n !== "object" || depth > 200) return;
    if (kind(n) === "CallNode" && !n.receiver && argsOf(n).length > 0 && !KNOWN_CALLS.has(n.name)) {
      found = n;
      return;
    }
    for (const [key, v] of Object.entries(n)) {
      if (key === "location" || key === "constructor") continue;
      if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
      else if (v && typeof v === "object" && kind(v).endsWith("Node")) walk(v, depth + 1);
    }
  };
  walk(node, 0);
  return found;
}

// --- helpers ----------------------------------------------------------------------------------------

/** `l <op> r` as a parsed expression, once per operator. */
const OP_SNIPPETS = new Map<string, ParsedRuby>();
function opSnippet(op: string): ParsedRuby {
  let p = OP_SNIPPETS.get(op);
  if (!p) OP_SNIPPETS.set(op, (p = parseRuby("(operator)", `__r2k_l = nil; __r2k_r = nil; __r2k_l ${/^[-+*\/%|&^<>]+$/.test(op) ? op : "+"} __r2k_r`)));
  return p;
}

function hasParams(node: any): boolean {
  const p = node?.parameters;
  if (!p) return false;
  if (kind(p) === "NumberedParametersNode" || kind(p) === "ItParametersNode") return true;
  const inner = p.parameters;
  return !!inner && ((inner.requireds?.length ?? 0) > 0 || (inner.optionals?.length ?? 0) > 0 || !!inner.rest || (inner.posts?.length ?? 0) > 0 || (inner.keywords?.length ?? 0) > 0 || !!inner.keywordRest || !!inner.block);
}

/** Ruby's `Array(x)` for a value we know: nil → [], Array → itself, Hash → pairs, else [x]. */
function toArray(v: RValue): RValue[] | null {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  if (isUnknown(v)) return null;
  if (isHash(v)) return Object.entries(v).map(([k, x]) => [k, x]);
  return [v];
}

const isKnownString = (v: RValue): boolean => typeof v === "string";

function short(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > 70 ? one.slice(0, 67) + "..." : one;
}

/** Pathname#join: an absolute part replaces what came before. */
function pathJoin(base: string, part: string): string {
  if (part.startsWith("/")) return part;
  return `${base.replace(/\/+$/, "")}/${part}`;
}

/**
 * Why a loaded path is not a repo file: absolute (`/etc/x`, `~/x`), or `..` climbing above the repo
 * root from `from`'s folder (require_relative) or the root (load/require, run from the repo root).
 * null when it stays inside.
 */
function outsideRepo(target: string, from: string): string | null {
  if (target.startsWith("/") || target.startsWith("~")) return "an absolute path";
  let depth = from.includes("/") ? from.split("/").length - 1 : 0;
  for (const seg of target.split("/")) {
    if (seg === "..") depth--;
    else if (seg !== "" && seg !== ".") depth++;
    if (depth < 0) return "above the repo root";
  }
  return null;
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return out.join("/");
}

/**
 * Dir.glob against the repo's paths (sorted, as Ruby 3 sorts by default; Ruby before 3.0 gave the
 * file system's order, which for recipes loaded one after another changes only what a later `set` overrides).
 */
export function globRepo(repo: RepoFiles, patterns: string[]): string[] {
  const out: string[] = [];
  for (const pat of patterns) {
    const norm = normalize(pat.replace(/^\.\//, ""));
    const re = compileGlob(norm);
    for (const p of repo.paths) if (re.test(p) && !out.includes(p)) out.push(p);
    // The literal folder the pattern starts with may be one the walk skipped (vendor/): Ruby lists it.
    const segs = norm.split("/");
    const wild = segs.findIndex((x) => /[*?[{]/.test(x));
    const lit = segs.slice(0, wild < 0 ? -1 : wild).join("/");
    if (lit && repo.skippedUnder) for (const p of repo.skippedUnder(lit)) if (re.test(p) && !out.includes(p)) out.push(p);
  }
  return out.sort();
}

export { parseRuby };

/** Whether one of the texts interpolates the variable (`#{f}`, `#{f.upcase}`, `#{File.join(x, f)}`). */
function readsVar(texts: (string | undefined)[], v: string): boolean {
  const re = new RegExp(`#\\{[^}]*\\b${v}\\b`);
  return texts.some((t) => t !== undefined && re.test(t));
}

/** Whether a path with interpolations (`config/#{f}.yml`) may name `file`, each `#{...}` any text. */
function mayName(pattern: string, file: string): boolean {
  const re = pattern.split(/#\{[^}]*\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join(".*");
  return new RegExp(`^${re}$`).test(file);
}
