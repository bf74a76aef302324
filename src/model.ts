// The AppModel: everything the analyzers learned about the app, each fact with the file and line it
// came from. Analyzers fill it, emitters read it; this file holds types only, so every folder may
// import it (see ARCHITECTURE.md). The JSON shape printed by `analyze --json` is this object;
// schema/appmodel.schema.json describes it and MODEL_VERSION versions it.
// Version 2: a repo's own Hash whose keys would read as a tagged value is written as a HashValue.

export const MODEL_VERSION = 2 as const;

/** A place in the repo: path relative to the repo root (always with `/`), 1-based line. */
export interface Source {
  file: string;
  line: number;
}

/** A fact and where it came from. */
export interface Fact<T> {
  value: T;
  source: Source;
  /**
   * Set when no file says the value: it is this software's default (`"Unicorn"`, `"Sidekiq 6+"`),
   * and source names the file that left it unset (line 0), never a line as if the line said it.
   */
  defaultOf?: string;
}

// ---------------------------------------------------------------------------------------------
// Values as Ruby computes them, in a JSON-safe form. Plain JSON scalars, arrays and objects stand
// for themselves (object keys are the Ruby keys as strings: Capistrano and Global both read keys
// indifferently). Ruby types JSON cannot carry are tagged objects, each with one distinctive key.
// ---------------------------------------------------------------------------------------------

/** A Ruby Symbol (`:foo`). */
export interface Sym {
  sym: string;
}
/**
 * A Ruby Float that a JSON number cannot mark as one: integral (`2.0`, which JSON writes as 2, an
 * Integer to Ruby) or not finite (`.inf`, `.nan`). Holds Ruby's `Float#to_s`. Other Floats are numbers.
 */
export interface FloatValue {
  float: string;
}
/** A YAML/Ruby Date (`2020-01-01`), kept as its ISO text. */
export interface DateValue {
  date: string;
}
/** A YAML Time (`2020-01-01 10:00:00 +01:00`), kept as its text. */
export interface TimeValue {
  time: string;
}
/** A reference to the process environment: `ENV["X"]`, `ENV.fetch("X", d)`. Resolved in the pod. */
export interface EnvRef {
  env: string;
  default: RValue | null;
  /**
   * The ERB tag's whole Ruby expression, when it does more than read the variable
   * (`ENV["POOL"].to_i`, `ENV.fetch("T", "5").to_f`): what the app really gets is that expression's
   * value, so the config files carry the expression, not the raw text.
   */
  ruby?: string;
}

/**
 * The model's tagged scalars, by their text as well as their one key: a user's Hash of the same
 * shape (`formats: {date: "%Y-%m-%d"}`) is a Hash, not a Date to write back raw.
 */
export function isFloatValue(v: unknown): v is FloatValue {
  return oneKey(v, "float") && /^(?:-?\d+\.\d+(?:e[+-]\d+)?|-?Infinity|NaN)$/.test((v as FloatValue).float);
}
export function isDateValue(v: unknown): v is DateValue {
  return oneKey(v, "date") && /^-?\d{4,}-\d{2}-\d{2}$/.test((v as DateValue).date);
}
export function isTimeValue(v: unknown): v is TimeValue {
  return oneKey(v, "time") && /^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|[ \t]+)\d{1,2}:\d\d:\d\d/.test((v as TimeValue).time);
}
/**
 * One of the model's tagged values (Unknown, EnvRef, Symbol, Interp, CapRef, Float, Date, Time),
 * not a plain Hash of settings. The one test every folder uses.
 */
export function isTaggedValue(v: unknown): boolean {
  if (isPlainHash(v)) return false;
  return isUnknown(v) || isEnvRefShape(v) || isSym(v) || isInterp(v) || oneKey(v, "cap") || isFloatValue(v) || isDateValue(v) || isTimeValue(v);
}
export const isUnknown = (v: unknown): v is Unknown => isObject(v) && typeof v.unknown === "string" && !isPlainHash(v) && Object.keys(v).every((k) => k === "unknown" || k === "expr" || k === "source" || k === "erb" || k === "truthy");
/** An Unknown the app evaluates again itself: its ERB tag is carried as written (see Unknown.erb). */
export const isCarriedErb = (v: unknown): v is Unknown & { erb: string } => isUnknown(v) && typeof v.erb === "string";
export const isSym = (v: unknown): v is Sym => oneKey(v, "sym");
export const isInterp = (v: unknown): v is Interp => isObject(v) && Array.isArray(v.interp) && Object.keys(v).length === 1 && !isPlainHash(v);

/**
 * The brand of a repo's own Hash whose keys happen to spell a tagged value (`{sym: "short"}`,
 * `{env: "X", default: "y"}`, `{date: "2024-03-01"}` in a Global file): a non-enumerable symbol
 * property, so no key a YAML or Ruby Hash can have collides with it, and the Hash's JSON and
 * entries stay its own. Every predicate above reads it first.
 */
const PLAIN_HASH: unique symbol = Symbol("rails2k8s.plainHash");
export const isPlainHash = (v: unknown): boolean => typeof v === "object" && v !== null && (v as { [PLAIN_HASH]?: true })[PLAIN_HASH] === true;
/** Marks a Hash built from the repo's keys as a plain Hash when its shape would read as a tagged value; returns it. */
export function plainHash<T extends object>(o: T): T {
  // `{erb: …}` too: the config_for writer's shape for ERB code it writes as is (emitters/rails-config);
  // and `{hash: {…}}`, the JSON wrapper of such a Hash (HashValue), so that one is wrapped in turn.
  if (!isPlainHash(o) && (isTaggedValue(o) || oneKey(o, "erb") || looksLikeHashValue(o))) Object.defineProperty(o, PLAIN_HASH, { value: true, enumerable: false });
  return o;
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const looksLikeHashValue = (o: object): boolean => isObject(o) && isObject(o.hash) && Object.keys(o).length === 1;

/**
 * `o[k] = v` as an own enumerable data property. A key read from the repo is data: `__proto__`
 * assigned plainly would set the object's prototype instead, and the key would vanish from the output.
 */
export function setOwn<T>(o: { [k: string]: T }, k: string, v: T): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function oneKey(v: unknown, key: string): boolean {
  if (typeof v !== "object" || v === null || Array.isArray(v) || isPlainHash(v)) return false;
  // The value's type first: listing the keys of every Hash asked about (thousands in a large Global
  // section) cost more than all else in a walk.
  if (typeof (v as Record<string, unknown>)[key] !== "string") return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === key && typeof (v as Record<string, unknown>)[key] === "string";
}

/**
 * Every ENV read in a value, in order: EnvRefs (and the ENV reads in their defaults), inside
 * Interps, Hashes and Arrays; never inside an Unknown, which says what it is itself.
 */
export function envReadsOf(v: RValue, acc: EnvRef[] = []): EnvRef[] {
  if (Array.isArray(v)) v.forEach((x) => envReadsOf(x, acc));
  else if (isEnvRefShape(v)) {
    acc.push(v);
    if (v.default !== null) envReadsOf(v.default, acc);
  } else if (v !== null && typeof v === "object") {
    const o = v as Record<string, RValue>;
    if (Array.isArray(o.interp)) envReadsOf(o.interp, acc);
    else if (typeof o.unknown !== "string") Object.values(o).forEach((x) => envReadsOf(x, acc));
  }
  return acc;
}

/** An ENV read the app makes while it boots (a Global value, a database.yml entry). */
export interface BootEnvRead {
  env: string;
  default: RValue | null;
  source: Source;
  /** The value's dotted path (`payment.endpoint`) for a Global read; null for database.yml. */
  path: string | null;
  /** The key holding the read (`password`), when there is one. */
  key: string | null;
  /** database.yml only: under a key that names a secret. */
  secret?: boolean;
}

/** An ENV read in the app's Ruby or YAML ERB at boot (see analyzers/rails/boot-env.ts). */
export interface RubyEnvRead {
  env: string;
  /** The default the code gives (`ENV.fetch("X", d)`, `|| d`, the block); null when none. */
  default: RValue | null;
  source: Source;
  /** The Rails environment the file (or YAML section) applies to; null = every environment. */
  railsEnv: string | null;
  /** `ENV.fetch("X")` with no default: the boot fails without it. */
  required?: true;
}

/**
 * The ENV reads the app makes while it boots under the given Rails environments, in file order (a
 * name can come more than once): Global's values, namespace by namespace, then database.yml's
 * sections when `database` says that file is the one the app reads. One walk for the hazard that
 * names them and for the env files that list them.
 */
export function bootEnvReads(model: { global: GlobalFacts | null; rails: RailsFacts; bootEnv?: RubyEnvRead[] }, railsEnvs: ReadonlySet<string>, database: boolean): BootEnvRead[] {
  const out: BootEnvRead[] = [];
  for (const ns of model.global?.namespaces ?? []) {
    // The path as its dotted text, built on the way down (a leaf's path joined again at every leaf cost as much as the walk).
    const visit = (v: RValue, dotted: string | null, key: string | null) => {
      if (typeof v === "object" && v !== null && !Array.isArray(v) && !isTaggedValue(v)) {
        for (const k in v) visit((v as Record<string, RValue>)[k]!, dotted === null ? k : `${dotted}.${k}`, k);
        return;
      }
      if (v === null || typeof v !== "object") return;
      const reads = envReadsOf(v);
      if (!reads.length) return;
      const source = ns.sources[dotted ?? ""] ?? { file: ns.files[0] ?? model.global!.dir, line: 1 };
      for (const r of reads) out.push({ env: r.env, default: r.default, source, path: dotted === null ? ns.name : `${ns.name}.${dotted}`, key });
    };
    for (const [env, value] of Object.entries(ns.values)) if (railsEnvs.has(env)) visit(value, null, null);
  }
  if (database)
    for (const r of model.rails.database?.envReads ?? [])
      if (railsEnvs.has(r.railsEnv)) out.push({ env: r.env, default: r.default, source: r.source, path: null, key: null, ...(r.secret ? { secret: true } : {}) });
  // The app's own Ruby and YAML ERB: a read in config/environments/production.rb only where production runs.
  for (const r of model.bootEnv ?? []) if (r.railsEnv === null || railsEnvs.has(r.railsEnv)) out.push({ env: r.env, default: r.default, source: r.source, path: null, key: null });
  return out;
}

/**
 * Whether a JSON value is an EnvRef: `env` and `default`, and `ruby` when the tag converts the
 * value. Any other Hash with an `env` key is an ordinary Hash. The one test every folder uses.
 */
export function isEnvRefShape(v: unknown): v is EnvRef {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.env !== "string" || !("default" in o) || isPlainHash(v)) return false;
  const n = Object.keys(o).length;
  return n === 2 || (n === 3 && typeof o.ruby === "string");
}
/** A reference to a Capistrano variable not resolvable here (e.g. in a template rendered per stage). */
export interface CapRef {
  cap: string;
}
/** A string built from pieces, some not known statically (`"#{ENV['HOST']}:3000"`). */
export interface Interp {
  interp: RValue[];
}
/** A value the analyzers could not pin down. Never guessed: it becomes a gap. */
export interface Unknown {
  unknown: string; // the reason, in words
  expr?: string; // the source text, shortened
  /** A whole ERB tag's code in the app's own file (Global): carried as it is, Rails evaluates it again. */
  erb?: string;
  source?: Source;
  /** Ruby's truthiness where it is known though the value is not (`x && false`: nil or false, falsy either way). */
  truthy?: boolean;
}

export type RScalar = null | boolean | number | string;
/** A list of values (named so that the JSON schema's definition names do not depend on offsets). */
export type RValueList = RValue[];

export type RValue =
  | RScalar
  | Sym
  | FloatValue
  | DateValue
  | TimeValue
  | EnvRef
  | CapRef
  | Interp
  | Unknown
  | HashValue
  | RValue[]
  | { [key: string]: RValue };

/**
 * In the JSON of `analyze --json` only (src/model-json.ts): a repo's own Hash whose keys would read
 * as a tagged value (`{sym: "short"}`, `{env: "X", default: "y"}`, `{date: "…"}`) or as this wrapper
 * (`{hash: {…}}`), its entries under `hash`, so that a Hash is never read as a Symbol or a Date. In
 * memory such a Hash carries a brand instead (plainHash), which JSON cannot hold.
 */
export interface HashValue {
  hash: { [key: string]: RValue };
}

// ---------------------------------------------------------------------------------------------
// Input: the repo as the analyzers see it. src/repo.ts builds it from disk (with limits); tests
// build it from a plain object. Analyzers never touch the file system themselves.
// ---------------------------------------------------------------------------------------------

/** `invalid`: the bytes are not text (NUL bytes, not UTF-8), which Ruby refuses too; else a limit of ours or an I/O error. */
export type FileRead = { text: string } | { error: string; invalid?: true };

export interface RepoFiles {
  /** Every file path the walk found (relative, `/`-separated, sorted), excluding skipped trees. */
  paths: readonly string[];
  /** Reads a file as UTF-8 text, or says why it cannot (too big, binary, not UTF-8, unreadable). */
  read(path: string): FileRead;
  /**
   * Files under `dir` inside a tree the walk skipped (vendor/, tmp/...), listed only when a deploy
   * file loads from there by a literal path or glob (the stock Rails 2 Capfile's
   * `Dir['vendor/plugins/<plugin>/recipes/<file>.rb']` globbed). They stay out of `paths`, so no other analyzer sees
   * them; `read` reads them once listed. Absent for in-memory repos, whose `paths` hold everything.
   */
  skippedUnder?(dir: string): readonly string[];
}

const pathSets = new WeakMap<readonly string[], Set<string>>();
/**
 * Whether the repo holds a file. Analyzers ask this thousands of times (per stage, per include)
 * of a list that can hold 200,000 paths: a Set is built once per list.
 */
/**
 * A copy meant to be edited before use (config/nginx.conf.example, database.yml.sample), or a retired
 * copy kept beside the live file (`site.conf.old`, `.bak`, `.orig`, `.backup`: nothing on the servers
 * reads it under that name): read, and cited as an example's wherever its values are, so its limits
 * may be carried but its hosts are never facts.
 */
export const EXAMPLE_SUFFIX = /\.(?:example|sample|dist|default|template|tmpl|old|bak|orig|backup)$/i;
/** A retired copy (`.old`, `.bak`, `.orig`, `.backup`), worded apart from an example in citations. */
export const isRetiredCopy = (file: string): boolean => /\.(?:old|bak|orig|backup)$/i.test(file);
export const isExampleFile = (file: string): boolean => EXAMPLE_SUFFIX.test(file);

export function hasPath(repo: RepoFiles, path: string): boolean {
  let set = pathSets.get(repo.paths);
  if (!set) pathSets.set(repo.paths, (set = new Set(repo.paths)));
  return set.has(path);
}

/** Whether the repo holds a file, counting a skipped tree's files (RepoFiles#skippedUnder) for a deploy file's load. */
export function hasLoadablePath(repo: RepoFiles, path: string): boolean {
  if (hasPath(repo, path)) return true;
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  return !!dir && !!repo.skippedUnder && repo.skippedUnder(dir).includes(path);
}

/** A problem with the input: it is reported and analysis goes on with the rest. */
export interface Problem {
  file: string;
  line: number;
  message: string;
  severity: "error" | "warning";
}

export interface AnalyzerContext {
  repo: RepoFiles;
  problem(p: Problem): void;
  /**
   * Input the tool must not go on with (an alias bomb, a Global file that raises, a stage file that
   * cannot be read or named): the CLI exits 2 naming file and line, and writes nothing. Without it
   * (analyzers handed files in tests) the same is reported as an error problem.
   */
  unusable?(p: Omit<Problem, "severity">): void;
  /**
   * Recipe files the deploy loads from trees the walk skipped (vendor/plugins/<plugin>/recipes/*.rb,
   * RepoFiles#skippedUnder), set once the Capistrano config is read: the readers of the deploy's
   * commands (startLines) read them as deploy files.
   */
  deployRecipes?: readonly string[];
}

/** Reports unusable input where the caller listens for it, else as an error problem. */
export function reportUnusable(ctx: AnalyzerContext, p: Omit<Problem, "severity">): void {
  if (ctx.unusable) ctx.unusable(p);
  else ctx.problem({ ...p, severity: "error" });
}

export { stageSlug, stageLabel, shownPath } from "./model/names.js";

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

export interface AppModel {
  version: typeof MODEL_VERSION;
  /** The app's name: Capistrano's `application`, else the Rails module name, else the folder name. */
  name: Fact<string>;
  rails: RailsFacts;
  capistrano: CapistranoFacts | null;
  /** One per Capistrano stage, in name order. */
  stages: Stage[];
  /**
   * Stage files that declare no server at all, nothing unknown in them (an empty
   * config/deploy/development.rb): `cap development deploy` runs on no host. They get no overlay
   * and ask no question; the report and MIGRATION.md name them. Left in `stages` when every stage
   * is such a file (analyzers/capistrano/empty-stages.ts).
   */
  stagesWithoutServers?: StageWithoutServers[];
  /** The app server config, per file found (config/unicorn.rb, config/unicorn/<env>.rb, puma...). */
  appServers: AppServerConfig[];
  /** The web server the deploy started (null: nothing in the repo says). */
  webServer?: WebServerFacts | null;
  nginx: NginxFacts;
  /** Apache vhost configs and templates (Passenger under Apache), from analyzers/apache. */
  apache?: ApacheFacts;
  global: GlobalFacts | null;
  sidekiq: SidekiqFacts | null;
  /** One per job-runner process the servers ran (Sidekiq included), from analyzers/workers. */
  workers?: WorkerFacts[];
  /** Procfile processes and deploy-started daemons no Deployment carries (analyzers/workers/uncarried.ts). */
  uncarried?: UncarriedProcess[];
  cron: CronFacts | null;
  /** Datastores the deploy started on the servers (analyzers/services/backing.ts): the cluster must provide each. */
  services?: BackingService[];
  /** Backing services the app reaches at an address of its own machine (analyzers/services/local-addresses.ts). */
  localAddresses?: LocalAddress[];
  procfile: ProcfileEntry[];
  linked: LinkedPath[];
  /** Secrets found anywhere: names and where, never the values. */
  secrets: SecretRef[];
  gaps: Gap[];
  hazards: Hazard[];
  problems: Problem[];
  /**
   * ENV reads made while the app boots outside Global and database.yml: config/application.rb,
   * config/environments/<env>.rb, config/initializers/**, the app server config, ERB in config/*.yml.
   */
  bootEnv?: RubyEnvRead[];
  /** `Global.a.b` call sites in app/, lib/, config/ (for the codemod to Rails.configuration.x); found by `migrate`, absent from `analyze`. */
  globalCalls?: GlobalCallSite[];
  /** What the release tooling starts from: the commit the repo is at, the CI it already has. Absent in hand-built models. */
  release?: ReleaseFacts;
}

/** The CI providers rails2k8s writes a pipeline for. */
export type CiProvider = "github-actions" | "circleci" | "gitlab";

export interface ReleaseFacts {
  /** `git rev-parse --short HEAD` in the repo: the tag the overlays start from. Null when it is not a git checkout. */
  commit: Fact<string> | null;
  /** CI configs present in the repo (.github/workflows, .circleci, .gitlab-ci.yml), with the file that shows each. */
  ci: { provider: CiProvider; source: Source }[];
}

export interface GlobalCallSite {
  file: string;
  line: number;
  /** Byte offset and length of the `Global` constant in the file. */
  offset: number;
  length: number;
  /** The whole call chain as written, e.g. `Global.payment.endpoint`. */
  expr: string;
  /**
   * Already `Rails.configuration.x.<namespace>...` (rewritten by an earlier run, or by hand): not
   * edited again, but counted, so the guide reads the same on every run.
   */
  converted?: boolean;
  /** A Global read the codemod does not rewrite (`Global[:x]`, `Global.configuration.x`, in a view): listed for the team. */
  manual?: boolean;
}

// --- Rails facts (Gemfile.lock, .ruby-version, database.yml, assets) -------------------------

export interface RailsFacts {
  rubyVersion: Fact<string> | null;
  /**
   * Set when rubyVersion came from the deploy's own Ruby setting (analyzers/rails/deploy-ruby.ts),
   * not from the repo's Ruby files: which plugin variable of which stage, e.g.
   * "capistrano-rbenv's rbenv_ruby (stage production)".
   */
  rubyFrom?: string;
  /**
   * The app's Ruby is not MRI (`jruby`, `rbx`, `truffleruby`): a `jruby-9.4.5.0` in .ruby-version
   * or the deploy's rbenv_ruby/rvm_ruby_version/rvm_ruby_string/chruby_ruby, a lockfile RUBY VERSION
   * `(jruby …)`, or a lockfile resolved only for `java`. No official ruby image runs it.
   */
  rubyEngine?: Fact<string>;
  railsVersion: Fact<string> | null;
  bundlerVersion: Fact<string> | null;
  /** Gems resolved in Gemfile.lock (name → version), the platform-specific suffixes dropped. */
  gems: Record<string, Fact<string>>;
  /** Whether Gemfile.lock is in the repo (set by the analyzer when there is a Gemfile; absent in hand-built models). */
  lockfilePresent?: boolean;
  /** Gemfile groups each top-level gem belongs to (name → groups), e.g. capistrano → [development]. */
  gemGroups: Record<string, string[]>;
  /** Gems from git or path sources, and private gem servers (need build secrets). */
  privateSources: Fact<string>[];
  database: DatabaseFacts | null;
  /**
   * Per stage, the database the servers' own copy of a database config named (a template the deploy
   * rendered into shared/, or the per-stage repo file it copied in place): analyzers/rails/database-linked.ts.
   * Carried into each overlay beside DATABASE_URL and into MIGRATION.md (emitters/kustomize/rules/server-files.ts
   * serversDatabaseLines); never the password.
   */
  serversDatabases?: ServersDatabase[];
  /** config/mongoid.yml per Rails environment the stages run: what says which MongoDB (analyzers/rails/mongoid.ts). */
  mongoid?: MongoidFacts;
  assets: AssetFacts;
  /** The Rails environments the app defines: the names of config/environments/*.rb (absent in hand-built models). */
  environments?: string[];
  /** Rails env → the host `config.action_mailer.default_url_options` links to in config/environments/<env>.rb. */
  mailerHosts?: Record<string, Fact<string>>;
  /** The Rails application module (`module Shop` in config/application.rb). */
  appModule: Fact<string> | null;
  /** `config.time_zone`, when set. */
  timeZone: Fact<string> | null;
  /** Health check routes found in config/routes.rb (`get "/health"`, `rails/health#show`). */
  healthPaths: Fact<string>[];
  /** Secret-looking entries of config/secrets.yml and database.yml (or its example): places, never values. */
  secretKeys?: SecretKeyRef[];
  /** Rails encrypted credentials files present: config/master.key, config/credentials.yml.enc, config/credentials/<env>.{key,yml.enc}. */
  credentials?: Fact<string>[];
}

/** A secret-looking key in a YAML file Rails reads, and how its value is given (never the value). */
export interface SecretKeyRef {
  file: string;
  /** Dotted key path, e.g. `production.secret_key_base`. */
  path: string;
  /** Written in the file, read from ENV by an ERB tag, left empty, or not known statically. */
  given: "literal" | "env" | "empty" | "unknown";
  /** The ENV name when `given` is "env". */
  env?: string;
  source: Source;
}

export interface DatabaseFacts {
  /** Adapter per Rails environment from database.yml (or .example), e.g. production → mysql2. */
  adapters: Record<string, Fact<RValue>>;
  /** The database.yml file used, or the example when only that exists. */
  file: string;
  /** Its top-level sections that are mappings (the Rails environments it configures), in file order. */
  sections?: string[];
  /**
   * The ENV reads of its ERB, per Rails environment section (`host: <%= ENV["DB_HOST"] %>`): the app
   * makes them while it boots, so the pod must be given what the servers' environment held.
   */
  envReads?: DatabaseEnvRead[];
  /**
   * config/database.yml is linked from shared/: the servers connected with their own copy, so this
   * file's values are not what production used (analyzers/rails/database-linked.ts). `writes` are
   * the deploy lines that render or upload the servers' copy, `templates` the ERB files rendered.
   */
  serversCopy?: {
    linked: Source;
    writes: Source[];
    templates?: string[];
    /** How the servers' copy took the release's place: a link (the default) or a copy command. */
    via?: "cp" | "mv" | "install" | "cat";
    /** The copy landed only under this condition (LinkedPath.condition). */
    condition?: string;
    /** The servers' copy is a repo file the deploy copied over it, per stage (CapistranoFacts.releaseCopies). */
    fromRepo?: { stage: string; file: string | null; why?: string }[];
    /** The shared/ file the release links, when not shared/config/database.yml (a task's own `ln`). */
    shared?: string;
    /** fromRepo by an upload of the repo file to that shared/ file: the task, and whether no hook runs it (run by hand). */
    uploadedBy?: { task: string; byHand: boolean };
  };
}

/**
 * config/mongoid.yml as Mongoid reads it for each Rails environment the stages run: the ENV names its
 * ERB reads in each client (placeholders in each overlay's secrets.env) and the hosts and database
 * written in it (a password never kept). `inRepo` false: linked from shared/ and not in the repo.
 */
export interface MongoidFacts {
  file: string;
  inRepo: boolean;
  /** Where the clients are for the locked Mongoid: `clients` (5+), `sessions` (3/4), null (2: the section itself). */
  clientsKey: "clients" | "sessions" | null;
  /** Why that key: the locked version, or the file's own shape. */
  why: string;
  sections: MongoidSection[];
  /** The deploy links it from shared/ (linked_files): the servers connected with their own copy. */
  linked?: Source;
}

export interface MongoidSection {
  railsEnv: string;
  source?: Source;
  /** Why Mongoid finds no (default) client here: the app fails at boot or first query. */
  missing?: string;
  /** The section's clients, the `default` one first. */
  clients: {
    /** The client's name (null: Mongoid 2's section), and its dotted path under the section. */
    name: string | null;
    path: string;
    envReads: { env: string; key: string; default: RValue | null; source: Source }[];
    named: MongoidNamed[];
  }[];
}

/** A connection value written in mongoid.yml (`hosts`, `database`, `uri`), a user-info password cut. */
export interface MongoidNamed {
  key: string;
  value: string;
  passwordCut?: true;
  source: Source;
}

/** What one stage's servers' database config named (RailsFacts.serversDatabases). */
export interface ServersDatabase extends ServersDbParts {
  stage: string;
  /** The app's file the servers read: config/database.yml or config/mongoid.yml. */
  file: string;
  /** The repo file its content comes from: the template rendered, or the per-stage file copied. */
  from: string;
  /** The section read: the stage's Rails env as the analysis knows it. */
  section: string;
  /**
   * The servers' Rails may have read another section (hazard database.section-env): Capistrano 2's
   * rails_env is "production" unless the deploy sets it, while the section shown is the stage's name.
   */
  otherSection?: {
    railsEnv: string;
    why: string;
    /** The shown section's key line in `from`. */
    source: Source;
    /** What that other section names (no password), or null when the file has none. */
    holds: ServersDbParts | null;
  };
}

/** The parts of a database config that say which database a server used (src/model/servers-database.ts says them). */
export interface ServersDbParts {
  database: ServersDbValue;
  host: ServersDbValue;
  username: ServersDbValue;
}

/** One part of a servers' database: its value and line, not set in the file, or not known (why). */
export type ServersDbValue = { value: string; source: Source } | { none: string } | { unknown: string; source?: Source };

export interface DatabaseEnvRead {
  env: string;
  railsEnv: string;
  default: RValue | null;
  source: Source;
  /** Under a key that names a secret (`password:`): its default is one too. */
  secret?: boolean;
}

export interface AssetFacts {
  /**
   * `deploy-precompiled`: no pipeline gem is locked, but the deploy ran assets:precompile
   * (capistrano/rails/assets, Capistrano 2's deploy/assets) — so the image must too.
   */
  pipeline: Fact<"sprockets" | "propshaft" | "webpacker" | "jsbundling" | "importmap" | "deploy-precompiled" | "none">[];
  /** Node is needed in the image to build assets. */
  needsNode: Fact<boolean>;
  packageManager: Fact<"yarn" | "npm" | "pnpm" | "bun"> | null;
  /** Rails' `config.assets.prefix` when the app sets it (default /assets): the URL path, and public/<it> where precompile writes. */
  prefix?: Fact<string>;
  /** The front-end build around assets:precompile: Node's version, yarn's generation, what the deploy ran (analyzers/rails/frontend.ts). */
  frontend?: FrontendBuild;
}

export interface FrontendBuild {
  /** The Node version the repo pins (deploy variable, .node-version, .nvmrc, .tool-versions, engines), normalized; null: none. */
  nodeVersion: Fact<string> | null;
  /** yarn 2+ (berry): `.yarnrc.yml`, a `packageManager` of yarn@2+ or a berry lockfile; installs with `--immutable`. */
  yarnBerry?: Fact<boolean>;
  /** What a yarn 2+ install reads besides package.json and the lockfile (`.yarnrc.yml`, `.yarn/releases/*`). */
  installFiles?: string[];
  /** JS lockfiles in the repo's subdirectories where the deploy installed packages (`client/yarn.lock`). */
  lockfiles?: string[];
  /** Node commands the deploy ran besides assets:precompile, in deploy order. */
  steps: FrontendStep[];
}

export interface FrontendStep {
  /** The words the deploy ran, e.g. ["gulp", "build", "--production"]. */
  argv: string[];
  /** Working directory, relative to the repo root ("" = the root). */
  dir: string;
  /** Environment the deploy set for it (SSHKit's `with`, a plugin's env variables), names upper-cased as SSHKit does. */
  env: Record<string, string>;
  /** A package install that the lockfile install of the image replaces (at the root) or repeats (in a subdirectory). */
  install?: boolean;
  source: Source;
  /** Why the image build cannot run it: then it is named as a warning (assets.frontend-build), not carried. */
  uncarried?: string;
}

// --- Capistrano ---------------------------------------------------------------------------------

export interface CapistranoFacts {
  major: 2 | 3;
  /** Set when the deploy tool is Mina, whose deploy.rb is read with the same DSL (analyzers/capistrano/index.ts). */
  tool?: "mina";
  /** Capfile requires (capistrano/rails, capistrano3/unicorn, ...). */
  requires: Fact<string>[];
  /** `lock "~> 3.x"` in deploy.rb. */
  lock: Fact<string> | null;
  tasks: TaskDef[];
  hooks: HookDef[];
  /**
   * Hooks written under a condition the analysis cannot decide (`if ENV['X'] == 'true'`): they ran
   * only on the deploys where it held, so they are not in `hooks`; a reader that needs to know a
   * task ran at least on some deploys (the units it restarts exist on its roles) reads them here.
   */
  conditionalHooks?: ConditionalHook[];
  /**
   * A task copies one of the release's own files over another (`cp #{release_path}/config/database.yml.#{rails_env}
   * #{release_path}/config/database.yml`): the servers ran `from` under `path` (analyzers/capistrano/manual-links.ts).
   */
  releaseCopies?: ReleaseCopy[];
  /**
   * Capistrano 2 with no stage in the repo, whose deploy files read :stage: the stage tasks come from
   * a gem it requires (analyzers/capistrano/gem-stages.ts). The gems, the first read, and the stage
   * names its comparisons spell (`stage == "production"`).
   */
  stagesFromGem?: GemStages;
  /**
   * Capistrano 2 with no stage in the repo, whose config/deploy.rb loads its settings from a file whose
   * path it builds from ENV (`cap deploy DEPLOY=<name>` reads config/deploy/<name>.yml): those files
   * are the stages, kept off the repo; the repo's files of that shape are examples
   * (analyzers/capistrano/env-stage-files.ts). Asked (stages.none), never read as one stage.
   */
  envStageFiles?: { env: string; pattern: string | null; source: Source; examples: string[] };
}

export interface GemStages {
  gems: Fact<string>[];
  read: Source;
  names: Fact<string>[];
}

export interface ReleaseCopy {
  /** The path the app read in the release. */
  path: string;
  /** The source as written, release-relative, `#{…}` unresolved. */
  written: string;
  /** Per stage: the repo file it named, or why it is not known. */
  stages: { stage: string; file: string | null; why?: string }[];
  /** The copy line. */
  source: Source;
}

export interface TaskDef {
  /** Full name with namespaces, e.g. `deploy:upload_configs`. */
  name: string;
  source: Source;
  /** Template files the task's body mentions (ERB under config/, e.g. config/global/aws.yml.erb). */
  templates: string[];
  /** Remote paths it uploads to, when statically visible. */
  uploads: string[];
  /** Templates it renders with the recipes' `template(from, to)` helper, each with its destination. */
  renders?: TemplateRender[];
  /** The stages whose deploy defines the task (one written in a stage's own file exists there only); absent: every stage. */
  stages?: string[];
  /** It lists shared/ on the servers and sets this list to what it found: the globs in the list are expanded there (the `set` line). */
  expandsLinkedGlobs?: { key: "linked_files" | "linked_dirs"; source: Source };
}

/** `template "unicorn.rb.erb", "#{shared_path}/config/unicorn.rb"` in a task body. */
export interface TemplateRender {
  /** The repo path of the ERB file. */
  template: string;
  /** The destination as the Ruby expression written (quotes included), evaluated per stage by readers. */
  destination: string;
  source: Source;
  /** A per-stage template (`template "unicorn.rb", to, true` → unicorn.rb.<stage>.erb): rendered on this stage only. */
  stage?: string;
}

export interface HookDef {
  kind: "before" | "after";
  target: string;
  task: string;
  source: Source;
  /**
   * The stages whose deploy defines the hook: one written in a stage's own file
   * (config/deploy/<stage>.rb), or under a branch on the stage, is in that stage only. Absent: every
   * stage (the Capfile, deploy.rb and what they load). Read it with onStage (analyzers/capistrano/stage-scope.ts).
   */
  stages?: string[];
}

/** A hook under a condition not known statically, with the line of that condition. */
export interface ConditionalHook extends HookDef {
  condition: Source;
}

export interface Stage {
  name: string;
  source: Source;
  /** Every variable as Capistrano computes it for this stage, lambdas resolved. */
  variables: Record<string, Fact<RValue>>;
  servers: Server[];
  /**
   * Variables set with `ask`: Capistrano prompts at each deploy (the variable holds the default
   * when stdin is not a terminal). A person typed these; the migration must decide where they come from.
   */
  asked?: AskedVariable[];
  /**
   * Code of the stage's run that would declare servers or set a variable an output reads, and that
   * the analysis could not follow: the server list (and such variables) may be incomplete.
   */
  unread?: UnreadCode[];
  /**
   * Not a stage of the repo: the one overlay written when no stage was found (the person confirmed
   * it, gap stages.none). Nothing says which servers it had.
   */
  undeclared?: true;
  /**
   * Capistrano 2: gems the stage's own file requires (`require 'capistrano-resque'` in
   * config/deploy/production.rb; a Capistrano 3 one is a warning, cap3.plugin-after-defaults). Their tasks and hooks exist in this stage only; they are also in
   * CapistranoFacts.requires, with this file as their source.
   */
  plugins?: Fact<string>[];
  /**
   * Capistrano 3: the locked `cap` aborts this stage (a plugin required after load:defaults ran,
   * cap3.plugin-after-defaults): no deploy of it ran with the repo as it stands. Its overlay is
   * still written from these files; the report and MIGRATION.md say so.
   */
  capAborts?: { message: string; source: Source };
  /**
   * Variables a task body sets that a hook on a deploy step runs (`set :rails_env, "production"` in a
   * task `set_env`, `before 'deploy:assets:precompile', 'set_env'`): the stage's value from that step
   * on, whatever the stage file says (its fact cites the set line; this names the task and hook).
   */
  hookedSets?: { variable: string; task: string; set: Source; hook: HookDef }[];
  /**
   * The first code the stage's run loads or evaluates that was not followed (`instance_eval(File.read(…))`,
   * a `load` of a computed path): the tasks and hooks read for the stage may be incomplete, so the
   * stage is never said to run no hook of a task (analyzers/workers/stage-hooks.ts).
   */
  unfollowedLoad?: { call: string; source: Source };
  /**
   * Task-body sets of one variable that hooks before the app's start run with different values: the
   * analysis does not pick one (which ran last depends on hook order it does not prove), applies none,
   * and names them (hazard stage.hooked-set-conflict).
   */
  hookedSetConflicts?: { variable: string; task: string; set: Source; hook: HookDef }[][];
  /**
   * `append :k, x if ENV["X"]` and the like: a change to a list variable under a condition the analysis
   * does not decide (the deploying shell's). The variable keeps what is certain (its entries from
   * before, in `variables`); each of these may also have happened on the servers.
   */
  maybe?: MaybeChange[];
  /**
   * The environment the deploy's own app-server start line gave the process on this stage
   * (`unicorn_rails -E staging`, `RAILS_ENV=x bundle exec unicorn`, `puma -e x`), when its lines
   * agree (analyzers/appserver/start-line-env.ts). Whether it decides the stage's RAILS_ENV:
   * startedRailsEnv.
   */
  startedEnv?: StartedEnv;
  /**
   * Capistrano 2 whose other stages are switch tasks (`task :production do role … end`): this stage is
   * config/deploy.rb's top level, what a plain `cap deploy` (no switch task) deployed. Its name is the
   * tool's (see analyzers/capistrano/top-level-stage.ts): `by` says what it was taken from, `source`
   * the line that says it (the first top-level server for "default"), `envRead` whether that value
   * reads ENV (a name to confirm).
   */
  topLevel?: { by: "rails_env" | "stage" | "default"; source: Source; envRead?: string };
}

/** The environment one app-server start line gives the process it starts (Stage.startedEnv). */
export interface StartedEnv {
  env: string;
  /** The variable the line sets: RAILS_ENV (a prefix, unicorn_rails -E, rails s -e) or RACK_ENV (unicorn -E, puma -e). */
  variable: "RAILS_ENV" | "RACK_ENV";
  /** True when the line sets RAILS_ENV over whatever the process inherited (a prefix, unicorn_rails -E); false when an inherited RAILS_ENV wins. */
  sets: boolean;
  /** The words that say it, e.g. "`unicorn_rails -E staging`". */
  how: string;
  source: Source;
  /**
   * The line is one the deploy runs for this stage: a task of its deploy files, the stage's own file,
   * the Procfile it runs, a service file the deploy names (links, uploads, renders) or that is named
   * for the stage. A unit nothing in the deploy names (documentation, an example, a docker trial)
   * decides nothing: it is only named where it disagrees (hazard stage.rails-env-start-line).
   */
  byDeploy: boolean;
  /**
   * Whether the line ran on this stage is not certain (its file is not seen loaded by the stage's run,
   * the run loaded code not followed): the words of that doubt. Such a line never overrides a stated
   * rails_env (startedRailsEnv); hazard stage.rails-env-start-line names the doubt.
   */
  doubt?: string;
}

/** A list change that ran only on deploys where `condition` held (Stage.maybe). */
export interface MaybeChange {
  /** The variable (`linked_files`). */
  name: string;
  /** `append`: the entries may also be in the list; `remove`: they may be gone from it. */
  change: "append" | "remove";
  /** The arguments as written (`ENV['LINKED_FILES']`). */
  expr: string;
  /** Their values as far as known (an Unknown where not). */
  values: RValue[];
  /** In words: "when `ENV['LINKED_FILES']` holds", "unless `x`". */
  condition: string;
  source: Source;
}

export interface StageWithoutServers {
  name: string;
  /** The stage's file. */
  source: Source;
  /** Set when `cap <stage>` aborts while loading it (Stage.capAborts): then its file is not "nothing unknown". */
  capAborts?: { message: string; source: Source };
  /**
   * The lines of other stage files that `require`/`require_relative` this one: a helper they load,
   * not a deploy target (Capistrano 3 still defines `cap <name>` for it, which deploys to no host).
   */
  loadedBy?: Source[];
}

export interface UnreadCode {
  what: "servers" | "variable";
  /** The variable, for `what: "variable"`. */
  name?: string;
  source: Source;
  /** Why it could not be followed. */
  message: string;
}

export interface AskedVariable {
  name: string;
  /** The default `ask` was given (what Capistrano uses without a terminal). */
  default: RValue;
  source: Source;
  /** `ask ..., echo: false`: the typed answer was hidden, a secret. */
  echo?: false;
}

export interface Server {
  host: string;
  user: string | null;
  port: number | null;
  roles: string[];
  primary: boolean;
  /** Other options given to `server`/`role` (e.g. `no_release: true`), by name. */
  properties: Record<string, RValue>;
  source: Source;
}

// --- App servers (Unicorn, Puma) ------------------------------------------------------------------

export interface AppServerConfig {
  /** "passenger": only the config emitters/app-server.ts derives from Passenger's settings; analyzers read Unicorn and Puma. */
  kind: "unicorn" | "puma" | "passenger";
  file: string;
  /** The Rails environment this file serves, when the file is per environment. Null = all. */
  env: string | null;
  /** Stages whose Capistrano config points at this file (`unicorn_config_path`, `puma_conf`). */
  stages: string[];
  /** Unicorn: worker_processes; Puma: workers. */
  workers: Fact<RValue> | null;
  /** Puma: threads min..max. */
  threads: Fact<RValueList> | null;
  listen: ListenSpec[];
  /** Unicorn: `timeout` (60 when unset, with source = the file's first line); Puma: worker_timeout. */
  timeout: Fact<RValue> | null;
  preloadApp: Fact<RValue> | null;
  pid: Fact<RValue> | null;
  stdoutPath: Fact<RValue> | null;
  stderrPath: Fact<RValue> | null;
  workingDirectory: Fact<RValue> | null;
  /** Hooks defined: before_fork, after_fork, before_exec, on_worker_boot, ... */
  hooks: Fact<string>[];
  /** Client set-up inside the hooks (`after_fork: Sidekiq.configure_client`), each at its line: not carried, listed. */
  hookCalls?: Fact<string>[];
  /** A config the deploy renders from a template: the task's render call, and why the server started that file. */
  renderedBy?: Fact<string>;
  /** A config no deploy file names, loaded by how the deploy starts the server (capistrano3-puma 6+: `puma -e <env>`). */
  startedBy?: Fact<string>;
  /** The repo does not hold `file` (it was on the servers: linked from shared/, a path outside the release, a service's own config). */
  notInRepo?: true;
  /**
   * Numbers a server the image replaces ran (Thin's `servers`, `timeout`): offered as the
   * suggestion of the unread number's question, labelled with `label` (whose value and where).
   */
  suggested?: { workers?: Fact<number> & { label: string }; timeout?: Fact<number> & { label: string } };
}

/** Web servers a deploy may start; only Unicorn and Puma have a container config here. */
export type WebServerKind = "unicorn" | "puma" | "passenger" | "thin";

/** The web server the deploy started on the servers, decided from what started it (analyzers/appserver/started.ts). */
export interface WebServerFacts {
  /** Null when the evidence disagrees and nothing breaks the tie. */
  kind: WebServerKind | null;
  /** `<kind>: <what says so>`, strongest first: Capistrano plugin, Procfile, deploy commands, service files. */
  evidence: Fact<string>[];
  /** When Passenger ran: its settings as the repo states them (analyzers/appserver/passenger.ts). */
  passenger?: PassengerFacts;
  /** The web servers the deploy restarts that the image does not run (`service iodine restart`): `kind` is null, asked as web.server with their lines as evidence. */
  unsupported?: string[];
  /** When Thin ran: the config the deploy started it with, read as Thin reads it (analyzers/appserver/thin.ts). */
  thin?: ThinFacts;
  /** The server the image runs in place of one it cannot (Thin): the answer to web.server; `kind` stays what the deploy started. */
  image?: "unicorn" | "puma" | "passenger";
  /** Nothing in the repo decided the kind: it is the answer to web.server (src/gaps/appserver.ts), said with the answers file (`the answer to web.server in .rails2k8s.yml`). */
  answered?: Fact<string>;
  /**
   * Stages whose deploy starts no web server while other stages' do: every piece of evidence is
   * in other stages' own files (a Capistrano 2 stage file's `require 'capistrano-unicorn'`, its
   * restart hooks). Their overlays get no web Deployment, Service, HPA, PDB or edge.
   */
  notStartedOn?: WebNotStarted[];
  /**
   * Per stage name, the environment the deploy's start line gave the web server
   * (unicorn_rails `--path /x` in capistrano3-unicorn's unicorn_options → RAILS_RELATIVE_URL_ROOT):
   * analyzers/appserver/start-options.ts. The stage's config.env carries it.
   */
  startEnv?: Record<string, StartEnv[]>;
}

/** One variable a stage's web server start line set, with the option that set it. */
export interface StartEnv {
  name: string;
  value: string;
  /** The line of the setting that holds the option. */
  source: Source;
  /** How, e.g. "unicorn_rails --path /staging (capistrano3-unicorn's unicorn_options), which sets it". */
  why: string;
}

/** Thin's config as `thin -C FILE` loads it (Thin::Runner#load_options_from_config_file!: ERB, YAML, each key to a Symbol, the file's value over the command line's). */
export interface ThinFacts {
  /** The start line naming the config (`bundle exec thin -C config/thin.yml start`). */
  startedWith: Source;
  /** The config's path in the repo, or the path as the line gives it. */
  file: string;
  /** Why the file is not read (only the servers hold it), when it is not. */
  unread?: string;
  /** The keys read that map (servers, timeout, environment, port, socket, chdir, pid, wait, max_conns), each at its line. */
  settings: Record<string, Fact<RValue>>;
  /** `-e ENV` on the start line, used by Thin where the file sets no environment. */
  envFlag?: Fact<RValue>;
  /** A path computed per stage (`config/thin/#{fetch(:stage)}.yml`) naming different files: each stage's own (the fields above are production's, else the first stage's). */
  byStage?: Record<string, ThinFacts>;
}

export interface WebNotStarted {
  stage: string;
  /** Why, naming the stages that start it and where. */
  why: string;
  /** The stage's file, which starts none. */
  source: Source;
}

/** Passenger's settings wherever the repo states them; what none states is Passenger's default (emitters/app-server.ts). */
export interface PassengerFacts {
  settings: PassengerSetting[];
  /** capistrano-passenger's variables per stage (passenger_roles, passenger_restart_with_touch, passenger_environment_variables): named, not carried. */
  capistrano: Fact<string>[];
}

/** One Passenger setting, by Passenger Standalone's Passengerfile.json key. */
export interface PassengerSetting {
  /** max_pool_size, min_instances, max_requests, pool_idle_time, start_timeout, max_request_queue_size, friendly_error_pages, environment. */
  key: string;
  value: number | boolean | string;
  /** The line that says it, and the directive as written there. */
  source: Source;
  directive: string;
  /** The stage whose render of a per-stage template said it; null: every stage. */
  stage: string | null;
  /** From a copy meant to be edited (`nginx.conf.example`): used only where no real file says it. */
  example?: boolean;
}

export interface ListenSpec {
  kind: "unix" | "tcp" | "unknown";
  /** Socket path, or host:port / port as written, or the Unknown's text. */
  address: RValue;
  /** Options such as backlog, tcp_nopush. */
  options: Record<string, RValue>;
  source: Source;
}

// --- nginx --------------------------------------------------------------------------------------

export interface NginxFacts {
  /** Each nginx config file or template found, parsed. Templates once per stage they render for. */
  files: NginxFile[];
  /**
   * nginx files found that are no stage's servers' config, so read for nothing (no hosts, TLS,
   * limits, sidecar, routes or defaults): a developer's own (under a development-named folder, or
   * serving a macOS home path /Users/<name>/…, and serving no stage's deploy_to), or another
   * deployment's (a config per stage kept, and this one's paths lie under no stage's deploy_to).
   * Named in the report with the hosts they hold.
   */
  notServed?: NginxNotServed[];
}

export interface NginxNotServed {
  file: string;
  why: "development" | "other-deployment";
  /** What says so, in words: the folder, or the path it serves and why that is no server's. */
  detail: string;
  source: Source;
  /** Its server_names: named, never routed. */
  hosts: string[];
}

export interface NginxDirective {
  name: string;
  args: string[];
  source: Source;
  block?: NginxDirective[];
  /** The code of an OpenResty `*_by_lua_block { ... }`, kept as text (its braces are Lua's, not nginx's). */
  raw?: string;
}

export interface NginxFile {
  file: string;
  /** For `.erb` templates: the stage whose variables rendered it. Null for plain files. */
  stage: string | null;
  /** The full directive tree, includes resolved where the included file is in the repo. */
  directives: NginxDirective[];
  servers: NginxServer[];
  upstreams: NginxUpstream[];
  /**
   * A copy to be edited before use (`nginx.conf.example`, `.sample`): its limits and locations are
   * read when no real config exists, but its server_names are never taken as the stage's hosts.
   */
  example?: boolean;
  /**
   * A Jinja (Ansible) or Go template: read for what it writes literally; each templated value is
   * kept as written (`{{ upload_limit }}`), unresolved, and never written into a generated config.
   */
  template?: "jinja" | "go-template";
  /**
   * For a plain file: the one stage whose deploy_to holds the paths it serves (an upstream socket,
   * a `root`), when the repo keeps one such file per stage (`config/nginx/<app>.conf` each naming
   * its own /var/www/<application>/shared/... socket). Cited at the line of that path.
   */
  servesStage?: Fact<string>;
  /**
   * For a plain file where the repo keeps a config per stage (other files carry servesStage): every
   * absolute path it serves lies under no stage's deploy_to (`/home/root/apps/other_app/...`), so it
   * is another deployment's config kept in the repo, not one this app's servers ran. Cited at its
   * first such path. Its hosts, TLS and limits are no stage's.
   */
  servesNoStage?: Source;
  /**
   * For an `.erb` template: no deploy task renders it, while a task renders another template of its
   * folder (`nginx:setup` renders nginx_unicorn.erb, not nginx_unicorn_nossl.erb). It is read with
   * the stage's variables all the same; `renders` is the task line that renders the sibling.
   */
  notRendered?: { sibling: string; renders: Source };
  /**
   * For a plain file a deploy task links into nginx's folders under a condition on the stage
   * (`unless "production" == rails_env`): the stages where the condition holds (none when it is not
   * known), cited at the ln line. The file is the config of those stages only.
   */
  linkedFor?: { stages: string[]; source: Source };
  /**
   * For a plain file: the stages whose own deploy files name it (Mina's `def nginx_template` in each
   * stage file, a per-stage `set :nginx_config`), when two or more do. Each of those stages' deploys
   * rendered it, so its server_names are shared evidence, no one stage's: asked, never picked.
   */
  sharedBy?: { stages: string[]; sources: Source[] };
}

/** An nginx word whose value the analysis does not know: an ERB tag or a Jinja/Go template tag kept as written. */
export const unresolvedNginxWord = (s: string): boolean => s.includes("<%") || s.includes("{{") || s.includes("{%");

/** A `listen` directive. (Named types keep the generated JSON schema's definition names stable.) */
export interface NginxListen {
  port: number | null;
  ssl: boolean;
  http2: boolean;
  default: boolean;
  address: string;
}

/** A `server` line of an upstream. */
export interface NginxUpstreamServer {
  address: string;
  kind: "unix" | "tcp";
  options: string[];
}

export interface NginxServer {
  source: Source;
  serverNames: Fact<string>[];
  listens: Fact<NginxListen>[];
  certificates: Fact<string>[];
  clientMaxBodySize: Fact<string> | null;
  /** proxy_read_timeout / proxy_send_timeout / proxy_connect_timeout / keepalive_timeout... by name. */
  timeouts: Record<string, Fact<string>>;
  /** `return 301 https://...` on a plain-HTTP server, or `rewrite ... permanent`. */
  redirectsToHttps: Fact<boolean> | null;
  root: Fact<string> | null;
  tryFiles: Fact<string[]> | null;
  locations: NginxLocation[];
  /** proxy_set_header lines by header name. */
  proxyHeaders: Record<string, Fact<string>>;
  /** Directives the edge cannot express (rewrite, if, auth_basic, lua, error_page...). */
  unportable: Fact<string>[];
}

export interface NginxLocation {
  source: Source;
  modifier: string | null; // "=", "~", "~*", "^~" or null
  path: string;
  proxyPass: string | null;
  /** `expires`, `gzip_static`, `add_header Cache-Control`: an asset location. */
  assets: boolean;
  /** A location answering health checks (`/health`, `/up`, `/ping`, `return 200`). */
  health: boolean;
  /** Upgrade/Connection headers set: websocket (Action Cable). */
  websocket: boolean;
  directives: NginxDirective[];
}

export interface NginxUpstream {
  name: string;
  source: Source;
  servers: Fact<NginxUpstreamServer>[];
  /** ip_hash, hash $cookie_..., sticky: requests stick to one backend. */
  sticky: Fact<string> | null;
}

// --- Apache (Passenger under Apache) -------------------------------------------------------------

export interface ApacheFacts {
  /** Each Apache config or `.erb` template found; templates once per stage they render for. */
  files: ApacheFile[];
}

export interface ApacheDirective {
  name: string;
  args: string[];
  source: Source;
  /** The body of a section (`<VirtualHost *:80>`, `<Directory ...>`, `<IfModule ...>`). */
  block?: ApacheDirective[];
}

export interface ApacheFile {
  file: string;
  /** For `.erb` templates: the stage whose variables rendered it. Null for plain files. */
  stage: string | null;
  directives: ApacheDirective[];
  vhosts: ApacheVhost[];
  /** A copy to be edited before use (`apache.conf.example`): its hosts are never taken as facts. */
  example?: boolean;
}

export interface ApacheVhost {
  source: Source;
  /** The `<VirtualHost>` address as written (`*:80`). */
  address: string;
  port: number | null;
  /** `SSLEngine on`. */
  ssl: Fact<boolean> | null;
  /** ServerName, then each ServerAlias word. */
  serverNames: Fact<string>[];
  /** LimitRequestBody in bytes as written (the vhost's own, else the file's server-wide one); 0 is unlimited. */
  limitRequestBody: Fact<string> | null;
  documentRoot: Fact<string> | null;
  /** A plain-HTTP vhost sending every request to https:// (`Redirect / https://…`, a RewriteRule to https://): nginx's redirectsToHttps. */
  redirectsToHttps?: Fact<boolean> | null;
  /**
   * The one stage this vhost serves: the stage whose deploy_to holds the directory it serves
   * (DocumentRoot, PassengerAppRoot, RailsBaseURI's target, PassengerRoot), else the stage whose
   * rails_env its RailsEnv/RackEnv/PassengerAppEnv names, else the stage a config/apache/<stage>.conf
   * file is named for. Its hosts are that stage's alone. Cited at the line that says it.
   */
  servesStage?: Fact<string>;
  /**
   * The vhost serves nothing of this app's stages: every absolute directory it serves lies under no
   * stage's deploy_to (a static site, another domain, another deployment), or it names a Rails
   * environment no stage deploys. Its hosts are no stage's: named in the report, never routed.
   * `why` says which, cited at that line.
   */
  servesNoStage?: { why: string; source: Source };
}

// --- Global ---------------------------------------------------------------------------------------

export interface GlobalFacts {
  /** `config/global` or as configured in an initializer. */
  dir: string;
  /** Gem version from Gemfile.lock (loading rules differ slightly between majors). */
  gemVersion: string | null;
  /** Every namespace file, with values per Rails environment, as Global would give them. */
  namespaces: GlobalNamespace[];
  /** ERB templates Capistrano renders into config/global on the servers, with per-stage values. */
  templates: GlobalTemplate[];
  /**
   * Files with plain top-level keys (no `default:`, no environment section): Global reads none of
   * their keys, so their namespace is empty wherever they apply.
   */
  plainFiles?: { file: string; line: number; keys: string[] }[];
}

export interface GlobalNamespace {
  /** Dotted path of the namespace (`aws`, `services.payment`). */
  name: string;
  /** The files contributing, in merge order. */
  files: string[];
  /** Rails env → merged value (the gem's rules: default, env section, `<name>.<env>.yml`). */
  values: Record<string, RValue>;
  /** Leaf paths (dotted) → where each leaf came from, for provenance. */
  sources: Record<string, Source>;
  /**
   * Leaf paths (dotted, relative to the namespace) whose key looks secret and whose value is
   * written in the file (not read from ENV): the values are in `values`, never to be printed.
   */
  secretPaths?: string[];
  /**
   * Its files are the repo's copy of files the servers replaced with their own (a linked config/global,
   * or the file linked by itself): `values` are not the stages' (analyzers/linked-config-values.ts).
   * `label` says so in words, with the link's line; `stages` where linked (empty: every stage).
   */
  repoCopy?: { label: string; source: Source; stages: string[] };
}

export interface GlobalTemplate {
  template: string; // e.g. config/deploy/templates/global/aws.yml.erb
  target: string; // e.g. config/global/aws.yml on the server
  /** Stage → the namespace's value for that stage's Rails env (sections already merged), rendered with that stage's variables. */
  rendered: Record<string, RValue>;
  source: Source;
}

// --- Workers and cron -----------------------------------------------------------------------------

export interface SidekiqFacts {
  file: string | null;
  concurrency: Fact<RValue> | null;
  timeout: Fact<RValue> | null;
  queues: Fact<RValue>[];
  /** Per Rails environment overrides (`production: { concurrency: 20 }`). */
  envOverrides: Record<string, Record<string, RValue>>;
  /** capistrano-sidekiq in the Capfile, sidekiq in Procfile, or a `sidekiq` role. */
  evidence: Fact<string>[];
  /** `-t N`/`--timeout N` on the command the servers ran: Sidekiq's CLI flag wins over the config file's. */
  commandTimeout?: Fact<number>;
  /** capistrano-sidekiq's variables, per stage name (analyzers/workers/sidekiq-plugin.ts). */
  plugin?: Record<string, SidekiqStagePlugin>;
  /** Per stage name, the processes capistrano-sidekiq started, by its version's rules (analyzers/workers/sidekiq-started.ts). */
  started?: Record<string, SidekiqStarted>;
  /**
   * `file` is a linked file: the servers read their shared/ copy, so the values above are the repo's
   * copy's. `linked` is the linked_files entry, `uploads` the deploy lines that upload the servers' copy.
   */
  repoCopy?: { linked: Source; uploads: Source[] };
  /**
   * capistrano-sidekiq 3.x: per stage name, its systemd units, one per sidekiq_config_files entry
   * (analyzers/workers/sidekiq-config-files.ts). Absent before 3.x.
   */
  units?: Record<string, SidekiqUnit[]>;
  /** The files those units pass with `--config config/<entry>`, by entry: the repo path and its settings (null when the repo has no such file). */
  configFiles?: Record<string, { file: string; facts: SidekiqConfigFacts | null }>;
  /**
   * capistrano-sidekiq's variables the deploy sets but nothing it loads reads
   * (analyzers/workers/plugin-unread-settings.ts): the servers ran without them, so no replica
   * count or role is taken from them (emitters/kustomize/rules/sidekiq.ts).
   */
  unreadSettings?: string[];
}

/** Sidekiq processes capistrano-sidekiq started on one stage: over `servers` servers with its `roles`. */
export interface SidekiqStarted {
  processes: number;
  servers: number;
  roles: string[];
  why: string;
  source: Source | null;
}

/** The sidekiq_config_files entry whose unit passes no `--config` (Sidekiq finds config/sidekiq.yml itself). */
export const SIDEKIQ_PLAIN_ENTRY = "sidekiq.yml";

/** One systemd unit capistrano-sidekiq 3.x installs on a stage's servers for a sidekiq_config_files entry. */
export interface SidekiqUnit {
  /** The entry (`sidekiq.yml`, `mailers.yml`): the unit runs `sidekiq -e <sidekiq_env>`, plus `--config config/<entry>` unless it is `sidekiq.yml`. */
  entry: string;
  /** The unit's name after `<sidekiq_service_unit_name>`: "" for sidekiq.yml, else `.<entry without its extension>`. */
  suffix: string;
  /** Servers of the stage's sidekiq_roles that run it; null where the stage lists no servers (the stage's own list then says it ran). */
  servers: number | null;
  /** Where the entry is listed (a server line, or the stage's sidekiq_config_files); null: the gem's default ['sidekiq.yml']. */
  source: Source | null;
}

/** A Sidekiq config file's settings (SidekiqFacts' fields of the same names; spelled out for the schema generator). */
export interface SidekiqConfigFacts {
  concurrency: Fact<RValue> | null;
  timeout: Fact<RValue> | null;
  queues: Fact<RValue>[];
  envOverrides: Record<string, Record<string, RValue>>;
}

/** Words capistrano-sidekiq appended to a start line, or Sidekiq's own start line's options, as Sidekiq's CLI reads them: its `-q`s, the last `-c`, its `-t` (seconds). */
export interface SidekiqOptionWords {
  words: string[];
  queues: string[];
  concurrency: number | null;
  timeout: number | null;
  /** The `-C` file of Sidekiq's own start line (analyzers/workers/sidekiq-line.ts): the repo path and its settings, read in place of the default file's. */
  config?: { file: string; facts: SidekiqConfigFacts };
  /** Sidekiq's own start line these options come from (sidekiq-line.ts); absent for capistrano-sidekiq's words. */
  line?: Source;
  /**
   * RAILS_MAX_THREADS as that line's process saw it (sidekiq-line.ts): the line's own assignment, else
   * its systemd unit's `Environment=`; `unknown` where a file of the servers (`EnvironmentFile=`) may
   * set it. Sidekiq ≥ 4.2 takes it where no -c and no config file sets the concurrency.
   */
  maxThreads?: { value: string; source: Source; via: string } | { unknown: string; source: Source };
  /** Why the line's process did not see Capistrano's default_env (a unit systemd starts has its own environment). */
  ownEnvironment?: string;
}

/** What capistrano-sidekiq's start and stop did on one stage, from its variables; absent = not set. */
export interface SidekiqStagePlugin {
  /** The plugin whose variables these are, when not capistrano-sidekiq ("capistrano-mb": its sidekiq recipe's unit). */
  via?: string;
  /** `sidekiq_timeout`: seconds its stop (sidekiqctl stop, monit) waited after TERM before SIGKILL. */
  stopWait?: Fact<number>;
  /** `sidekiq_concurrency` → `--concurrency`. */
  concurrency?: Fact<number>;
  /** `sidekiq_queue` → one `--queue` each (they replace the config file's queues). */
  queues?: Fact<string[]>;
  /** `sidekiq_config` → `--config`, as a repo path, with that file's settings. */
  config?: Fact<string> & { facts: SidekiqConfigFacts };
  /** `sidekiq_env` → `--environment`, when it differs from the stage's Rails env. */
  env?: Fact<string>;
  /**
   * `sidekiq_options_per_process` when every process of the stage ran the same words: added to the
   * command line after the plugin's flags, with the queues they add (`-q`) and the concurrency they set (`-c`, the last wins).
   */
  options?: Fact<string[]> & { queues: string[]; concurrency: number | null };
  /**
   * `sidekiq_options_per_process` when the stage's processes ran different words: each distinct set,
   * with how many of a server's `processes` got it (a process past the list's end got none: the set
   * of no words). One worker Deployment runs each set (analyzers/workers/sidekiq-processes.ts).
   */
  perProcess?: Fact<string[]> & { processes: number; sets: (SidekiqOptionWords & { processes: number })[] };
  /** Entries of `sidekiq_options_per_process` past the stage's `processes`: no process ever started with them. */
  unusedOptions?: Fact<string[]> & { processes: number };
}

/**
 * The Unknown that stands for a job's `:output` redirection when its path is computed on the server
 * (`set :output, "#{path}/log/cron.log"`): the container sends output to the pod's log instead, so
 * an emitter may drop exactly this piece and keep the rest of the command.
 */
export const CRON_OUTPUT_UNKNOWN = "output redirection not known statically";

/** A job-runner process: its backend's row in analyzers/workers/backends.ts says how it stops. */
export interface WorkerFacts {
  /** Backend id (analyzers/workers/backends.ts). */
  backend: string;
  /** The backend as people write it (delayed_job, Resque...). */
  label: string;
  /** What the stop signal does with running jobs, and what SIGKILL would do (backends.ts). */
  drain: string;
  /** Deployment suffix, unique among the workers (`worker` for Sidekiq, else `worker-<id>[-<name>]`). */
  name: string;
  /** The command: a Procfile/systemd line when it is plain words, else the backend's standard command. */
  args: string[];
  /** `VAR=value` words that led the command line: env of the container. */
  env: Record<string, string>;
  /** Variables its line or unit set whose values look secret: held out of \`env\` (a tracked file), named for the stage's secrets. */
  secretEnv?: { name: string; source: Source | null }[];
  /** Where the command comes from; `standard` means the gem's documented command (labelled as such). */
  commandFrom: "procfile" | "service" | "sidekiq" | "standard" | "capistrano";
  commandSource: Source | null;
  /** Why a line the repo gave was not used as is (shell syntax), when it was not. */
  commandNote?: string;
  queues: string[];
  stopSignal: "TERM" | "QUIT" | "INT";
  /** Seconds the backend drains after its stop signal; `source` null = the gem's default. */
  stopTimeout: { seconds: number; source: Source | null };
  /** Server roles the process ran on, per stage: replicas follow them. */
  roles: string[];
  /** `roles` are the backend's usual role names, not the deploy's: no server lacking them says it did not run there. */
  rolesGuessed?: true;
  /** Stage variable giving processes per server (the plugin's), if the backend's plugin has one. */
  processesVariable?: string;
  evidence: Fact<string>[];
  /** False when no Deployment can be emitted for it; `why` then says what is missing. */
  carried: boolean;
  why?: string;
  /**
   * Only the lockfile names the backend: nothing in the repo starts its workers (no Procfile line,
   * service file, plugin, hook, task or role). Mentioned, never carried, and no hazard.
   */
  notStarted?: true;
  /**
   * Processes per server in each stage, when the deploy set them per entry (capistrano-resque's
   * `:workers` hash) or ran the backend elsewhere in some stages (0: GoodJob `:async` there).
   * A stage absent from a present map ran none. Absent: `processesVariable` or 1. `unknown`: the
   * deploy set the count in a way the analysis could not read; the count is then asked (a gap).
   * `roles`: the roles it ran on in that stage where they differ by stage (dlss-capistrano's
   * `<backend>_systemd_role` set per stage); absent: `roles`.
   */
  perStage?: Record<string, { processes: number; why: string; source: Source | null; unknown?: string; roles?: string[] }>;
  /**
   * Stages whose deploy never started it: the hooks (or the task) that start it are written in other
   * stages' own files only (HookDef.stages, TaskDef.stages). 0 replicas there, whatever the roles,
   * perStage or the plugin's variables say.
   */
  offStages?: Record<string, { why: string; source: Source }>;
  /**
   * Stages whose deploy neither started nor restarted it although the app has it (capistrano-sidekiq
   * with `sidekiq_default_hooks` false and no hook of its tasks: started by hand, if at all). The
   * worker keeps its replicas there, labelled with why (analyzers/workers/stage-hooks.ts).
   */
  notStartedByDeploy?: Record<string, { why: string; source: Source }>;
  /**
   * A Sidekiq worker split by capistrano-sidekiq's `sidekiq_options_per_process`: the words its
   * processes got after each stage's own flags ([] for the processes that got none). Absent on the
   * one Sidekiq worker that runs each stage's command as a whole.
   */
  sidekiqOptions?: SidekiqOptionWords;
  /**
   * Sidekiq's own start line per stage, where each stage's servers ran their own file's (an eye or
   * bluepill file per stage, supervisor-stage-sidekiq.ts): that stage's overlay runs these options.
   */
  stageSidekiqOptions?: Record<string, SidekiqOptionWords>;
  /**
   * A Sidekiq worker split by capistrano-sidekiq 3.x's sidekiq_config_files: the entry whose unit it
   * runs, and the repo file Sidekiq read for it (null: not in the repo). Replicas are the servers
   * running that unit on each stage (SidekiqFacts units).
   */
  sidekiqConfig?: { entry: string; file: string | null };
  /** Processes per server the service file starts (a god file's `N.times { God.watch … }`), on every stage. */
  processesPerServer?: { value: number; why: string; source: Source };
  /** The deploy starts it on `primary(:role)`: the role's first server only, whatever the server count. */
  primaryOnly?: { role: string; source: Source };
  /**
   * The backend ran inside the web server's processes in every stage (GoodJob `:async`, Solid
   * Queue's Puma plugin): no Deployment, and nothing is lost, since the web pods run it too.
   */
  inWeb?: { why: string; source: Source };
  /** Ports the process listens on (an init script's websocket server): named, since its clients need a Service and a route rails2k8s does not write. */
  ports?: { port: number; source: Source; websocket: boolean }[];
  /**
   * A process that does not boot Rails (an init script's daemon), so the heartbeat initializer never
   * runs in it: its liveness is the port answering, or the process alone being alive (`none` says why).
   * Absent: the heartbeat file.
   */
  liveness?: { tcpPort: number; source: Source } | { none: string };
  /** Exactly one pod on every stage, replaced with Recreate, never scaled; the text says why (a backend's schedulers are SINGLETON_BACKENDS instead). */
  singleton?: string;
}

/** A process the servers ran that no Deployment carries: named in MIGRATION.md and the report. */
/** A datastore the deploy started on the servers (Redis, memcached, Elasticsearch). */
export interface BackingService {
  kind: "redis" | "memcached" | "elasticsearch" | "opensearch" | "postgresql" | "mysql";
  /** The unit or program name, as the deploy names it (`redis-cache`, `redis-server`). */
  name: string;
  /** The deploy line that starts it, as shell words (command_map applied). */
  command: string;
  source: Source;
  /** The `command_map` entry that gave the command its program. */
  via?: Source;
  /** The repo's config of the service, and how it was tied to it; null when none is. */
  config: { file: string; how: string; linked?: Source } | null;
  /** Settings that decide what the cluster must provide (Redis: maxmemory, maxmemory-bytes, maxmemory-policy, appendonly, save). */
  settings: Record<string, Fact<string>>;
}

/**
 * An address on the app's own machine (localhost, 127.0.0.1, a Unix socket) at which the app reaches a
 * backing service in a stage's Rails env (analyzers/services/local-addresses.ts). On EC2 the service
 * ran on the same box; in a pod localhost is the pod itself, where nothing listens.
 */
export interface LocalAddress {
  /** `local`: a service of the server's own that nothing names (a socket the app's code opens). */
  kind: BackingService["kind"] | "rabbitmq" | "solr" | "mongodb" | "sphinx" | "smtp" | "local";
  /** What reads it, in words: "Sidekiq's Redis", "database.yml production host", "cache_store". */
  what: string;
  /** The address as written, credentials cut; for a client default, the address the client falls back to. */
  address: string;
  source: Source;
  /** The ENV variable this address is the default of: the app uses it only where the variable is unset. */
  envDefault?: string;
  /** Not written anywhere: the client's own default (`defaultOf` names the client), used because nothing names an address. */
  defaultOf?: string;
  /** The stages whose Rails env reads it. */
  stages: string[];
  /** Stages where a condition around it decides whether it is read, and the analysis cannot tell (the condition as written). */
  unsure?: { stages: string[]; condition: string };
  /** Read from the repo's copy of a file the servers replaced (a linked config directory): in words, with the link's line. */
  repoCopy?: string;
}

export interface UncarriedProcess {
  /** The Procfile process name, the service's unit name, or the daemon's name. */
  name: string;
  /** The line as written (or what runs it). */
  command: string;
  source: Source;
  why: string;
  /** A line that never ran on the servers (a Heroku-style web line beside the one the deploy starts). */
  devOnly?: true;
  /** A web server line the web Deployment replaces (it runs the app server the image starts). */
  replacedByWeb?: true;
}

export interface CronFacts {
  /** The first schedule file read (whenever's default, config/schedule.rb, unless the deploy names another). */
  file: string;
  /** `set :job_template`, `env :PATH`, `set :output`, `job_type` redefinitions of `file`. */
  settings: Record<string, Fact<RValue>>;
  jobs: CronJob[];
  /** Each whenever schedule file the deploy loaded, and what loaded it (analyzers/whenever/loaded.ts). Absent: `file` alone. */
  files?: ScheduleFile[];
}

/** whenever's own default schedule file (`-f`, lib/whenever/command_line.rb). */
export const WHENEVER_DEFAULT_FILE = "config/schedule.rb";

/** A whenever schedule file the servers loaded (`whenever -f FILE`), with what made them load it. */
export interface ScheduleFile {
  file: string;
  /** The deploy line or variable that loads it; absent when nothing in the deploy runs whenever. */
  loadedBy?: Source;
  /** How the deploy ran whenever on it, in words. */
  how: string;
  /** The repo's own deploy task that ran whenever on it: its roles (whenever_roles does not apply); `byRole`: the line passes `--roles`. */
  taskRoles?: { roles: string[]; byRole: boolean };
  /** Stage names whose deploy loads it, when not every stage (a per-stage `whenever_load_file`). */
  stages?: string[];
  /** The file exists but nothing in the deploy runs whenever (no plugin, no whenever command): read as whenever's default. */
  notRunByDeploy?: true;
  /** This file's `set`, `env` and `job_type` lines. */
  settings: Record<string, Fact<RValue>>;
}

/** The settings of the schedule file a job came from (its `env` lines, `set :output`). */
export function cronSettingsOf(cron: CronFacts, job: CronJob): Record<string, Fact<RValue>> {
  return cron.files?.find((f) => f.file === job.source.file)?.settings ?? (job.source.file === cron.file ? cron.settings : {});
}

/** Every schedule file's settings, each once (for the secrets and the config they hold). */
export function allCronSettings(cron: CronFacts | null): [string, Fact<RValue>][] {
  if (!cron) return [];
  const all = cron.files?.length ? cron.files.map((f) => f.settings) : [cron.settings];
  return all.flatMap((s) => Object.entries(s));
}

export interface CronJob {
  /**
   * The Rails envs whose schedule defines this job, when not all of the stages' envs do (a job under
   * `if @environment == :production`); absent = every stage's.
   */
  envs?: string[];
  /** The cron expression(s) whenever would write (`0 3 * * 0`); `@reboot` style kept as is. */
  schedules: string[];
  /** runner / rake / command / custom job type name. */
  type: string;
  /** The task as written (`"reports:daily"`, `"Report.nightly"`). */
  task: RValue;
  /**
   * The schedule's `job_type` line that redefined this whenever built-in type (rake, runner, script)
   * with a template not whenever 1.0's own: the CronJob runs the line that template rendered, not
   * one rebuilt from the task.
   */
  redefinedType?: Source;
  /**
   * whenever raises on this job's `every`/`at:` (`every '0 4 * * * *'`: Couldn't parse), at the
   * `every` line. `whenever` then fails on the whole file: no crontab line came of any of its jobs,
   * and none gets a CronJob (emitters/kustomize/cronjobs.ts).
   */
  wheneverRaises?: { message: string; source: Source };
  /** The full command line whenever writes, from its templates. */
  command: RValue;
  /**
   * `roles:` of the job as written ([] when none: whenever's Capistrano integration then installs it
   * on the servers with one of `whenever_roles`, default [:db]); the servers it ran on follow per stage.
   */
  roles: string[];
  /** Files the command runs by a path relative to the app (`script/backup.sh`) that the repo does not hold. */
  missingFiles?: string[];
  /**
   * How the job supervised the servers' own processes (a daemon's start, a signal, a pid file:
   * analyzers/whenever/process-control.ts), each mark with file:line; `processes` are the backend ids
   * (and `web`) it speaks of. Its CronJob is written suspended: the cluster runs and restarts those.
   */
  controlsProcess?: { what: string[]; processes: string[] };
  /**
   * An identical earlier job (same time, command and roles): whenever wrote both as one crontab line
   * (`30,30 4 * * *`), which cron ran once per time. This job has no line (no schedules) of its own.
   */
  sameLineAs?: Source;
  /** The roles of the repo's deploy task that ran whenever on this job's file (its ScheduleFile.taskRoles). */
  taskRoles?: { roles: string[]; byRole: boolean };
  /**
   * Stages whose deploy ran whenever with no `--roles` (a whenever_command String that SSHKit sends as
   * written drops the task's `--roles=`, analyzers/whenever/command-string.ts): whenever then wrote
   * every job on each server it ran on, so the job's `roles:` did not choose its servers there.
   */
  rolesNotPassedOn?: string[];
  /** The stages whose deploy loaded this job's file, when not every stage. */
  stages?: string[];
  /**
   * The condition around the job call that the analysis cannot decide (`if File.exist?(...)`, an
   * ENV read, a constant from elsewhere, a loop over a server-side list): whether whenever wrote it
   * is not known, so its CronJob is written suspended until someone confirms the servers ran it.
   */
  condition?: { text: string; source: Source };
  /**
   * The stages whose whenever variables (`set :whenever_variables`) make the schedule define this
   * job, when not every stage's do; `with` names the deploy line that sets them.
   */
  /** `by`: "environment" where the stages differ by the environment their deploy exported to whenever, not by its variables. */
  onStages?: { stages: string[]; with: Source; by?: "environment" };
  /**
   * Where `condition` stays undecided, when other stages decide it (by their Rails env or whenever
   * variables) and run the job: the Rails envs (`envs`) or stage names (`stages`). Absent = everywhere.
   */
  conditionOn?: { envs?: string[]; stages?: string[] };
  /** The `environment` whenever's run put into `command` (RAILS_ENV=…): one stage's, not every stage's. */
  environment?: string;
  /** Per stage, the `environment` its whenever variables passed (absent: each stage's Rails env). */
  environmentOn?: Record<string, string>;
  /** Per stage, how whenever got that environment when not from the deploy's --set (its own default, the schedule's `set`), or why it is not known. */
  environmentHow?: Record<string, string>;
  /** Stages whose whenever run installed no crontab (a String whenever_command without --update-crontab): no claim about its environment. */
  environmentUnclaimed?: string[];
  source: Source;
}

export interface ProcfileEntry {
  name: string;
  command: string;
  source: Source;
}

// --- Linked files and dirs -------------------------------------------------------------------------

/**
 * Linked files a variable takes the place of in the pod (emitters/kustomize/rules/server-files.ts serverOnlyFiles,
 * serverDotenvFiles): Rails reads DATABASE_URL without config/database.yml, RAILS_MASTER_KEY without
 * a credentials key, and a dotenv file's variables go to the stage's env files.
 */
export const CREDENTIALS_KEY_FILE = /^config\/credentials\/([^/]+)\.key$/;
export const DOTENV_FILE = /(^|\/)\.env(\.[^/]+)?$/;
export const hasEnvStandIn = (path: string): boolean => path === "config/database.yml" || path === "config/master.key" || CREDENTIALS_KEY_FILE.test(path) || DOTENV_FILE.test(path);

export interface LinkedPath {
  path: string;
  kind: "file" | "dir";
  /** secret file (keys, credentials), config file, data dir (uploads), cache dir (tmp, logs). */
  class: "secret" | "config" | "data" | "cache" | "log" | "pids" | "other";
  /** Stages where it is linked; empty when the deploy has no stage read (every deploy of it linked it). */
  stages: string[];
  source: Source;
  /** Copied from shared/ by a task (`cp`, `mv`, `install`, `cat x > y`) rather than linked: the same file for the app. */
  via?: "cp" | "mv" | "install" | "cat";
  /**
   * The copy landed only under a condition (cp -u over the checkout's file, a `test -f` guard): in words
   * (analyzers/capistrano/manual-links.ts); or the entry was appended to linked_files/linked_dirs under
   * a condition of the deploying shell (Stage.maybe): linked only on deploys where that held.
   */
  condition?: string;
  /** The shared/ path it comes from when not shared/<path> (a task's `ln -nfs #{deploy_to}/shared/database.yml …/config/database.yml`). */
  shared?: string;
  /** A linked file the checkout does not hold: it existed only on the servers' shared/ directory. */
  serverOnly?: boolean;
  /** For a serverOnly file: the example copy the repo holds instead (production.dist.rb, application.yml.example). */
  example?: string;
  /**
   * One of the repo's paths a glob entry of the list matches (`config/*.yml`): the entry names no
   * file, it names whatever the servers' shared/ held that matches; each repo path it matches is read
   * as replaced by the servers' copy. `expandedBy`: the repo task that expands it there.
   */
  glob?: { pattern: string; expandedBy?: { task: string; source: Source } };
  /**
   * A linked directory under config/ (analyzers/linked-config-dirs.ts): the repo's files under it.
   * The servers replaced the whole directory with their shared/ copy, so none of these is what ran.
   */
  repoFiles?: string[];
}

export interface SecretRef {
  /** What holds the secret: an ENV name, a Global key path, a linked file, a Capistrano variable (`:name`). */
  name: string;
  kind: "env" | "global" | "file" | "yaml" | "capistrano";
  /** Why it counts as secret: key name pattern, known secret file, ... */
  reason: string;
  source: Source;
}

// --- Gaps, hazards ----------------------------------------------------------------------------------

/**
 * One condition of Gap.askIf: the earlier answer `id` is one of `oneOf`, or (`or`) another earlier
 * answer matches a regular expression — ci.aws.role_arn is asked for EKS access or an ECR image.
 */
export interface AskCondition {
  id: string;
  oneOf: string[];
  /** `label` says what the expression accepts, in words ("an ECR repository"). */
  or?: { id: string; matches: string; label: string };
}

export interface Gap {
  /** Stable id, e.g. `image.registry`, `stage.production.namespace`, `cap.production.ask.branch`. */
  id: string;
  question: string;
  /** Why it is asked: the missing or unknown fact. */
  why: string;
  default: RValue;
  /** Choices, when the answer is one of a set. */
  choices?: string[];
  source?: Source;
  /** The answer is a secret value: asked with a hidden prompt, never saved to the answers file, never printed. */
  secret?: boolean;
  /** The grammar the answer must follow (src/answers.ts formatProblem): an answers file may come with the repo. */
  format?: AnswerFormat;
  /** replicas: the smallest count accepted (the HPA's minimum, today's servers). */
  min?: number;
  /** Asked only when each named earlier answer (or its default) is one of the values: gateway.name only for the gateway target. */
  askIf?: AskCondition[];
  /** An earlier answer that says more than the repo: the first whose value matches (a regular expression) gives the why and default. */
  whyIf?: { id: string; matches: string; why: string; default?: RValue; question?: string; min?: number }[];
  /** No default can stand in for the answer: `--yes` refuses (exit 2) unless the answers file holds it. */
  required?: boolean;
  /** The default is a placeholder that must be replaced (a host under .invalid): `--yes` keeps it and says so. */
  placeholder?: boolean;
  /** The default is a suggestion from weak evidence (a mailer's link host) to confirm: `--yes` keeps it and says so. */
  suggestion?: boolean;
}

/** Grammars of answers that become names, references, hosts, quantities or zones in the output (src/answers.ts formatProblem). */
export type AnswerFormat =
  | "dns-label"
  | "dns-subdomain"
  | "image-repository"
  | "image-tag"
  | "host-list"
  | "time-zone"
  | "env-var-list"
  | "resources"
  | "replicas"
  | "cron-schedule"
  | "cron-command"
  | "acm-certificate-arn"
  | "server-list"
  | "git-branch"
  | "iam-role-arn"
  | "eks-cluster"
  | "key-scheme"
  | "git-url"
  | "sops-recipient"
  | "nginx-size"
  | "http-path"
  | "version"
  | "count"
  | "thread-range"
  | "seconds";

export interface Hazard {
  id: string;
  message: string;
  /** What to do about it in the move. */
  advice: string;
  source: Source;
  /** The edge targets (`edge.target` answers) on which it holds; absent: all. MIGRATION.md leaves it out on another target. */
  edgeTargets?: string[];
}

// ---------------------------------------------------------------------------------------------
// Answers and emitted files (the emitters' contract)
// ---------------------------------------------------------------------------------------------

/** The wizard's answers, by gap id (see src/gaps/). Saved to .rails2k8s.yml. */
export type Answers = Record<string, RValue>;

/** A file an emitter produces. Paths are repo-relative with `/`. */
export interface EmittedFile {
  path: string;
  content: string;
  /** File mode (e.g. 0o755 for bin/docker-entrypoint); default 0o644. */
  mode?: number;
  /** Holds secret values: written git-ignored, never shown in a diff or in the terminal. */
  secret?: boolean;
  /** Why the file is written, for the review's summary; default: by path (src/review.ts whyWritten). */
  why?: string;
}

/** Where a generated file's content came from, for MIGRATION.md: source fact → generated file. */
export interface Provenance {
  output: string;
  what: string;
  source: Source;
}

/** An edit of an existing file, by byte range; applied only when the range still holds `expect`. */
export interface FilePatch {
  path: string;
  edits: { offset: number; length: number; expect: string; replacement: string }[];
  source: Source;
}

export interface EmitResult {
  files: EmittedFile[];
  /** Edits to files the team wrote (the codemod), shown in the diff like every other change. */
  patches?: FilePatch[];
  provenance: Provenance[];
  /** Things the emitter could not carry over (e.g. an nginx rewrite), with their source. */
  notes: { message: string; source?: Source }[];
}

/** An emitter: pure, never reads the disk, never prompts. */
export type Emitter = (model: AppModel, answers: Answers) => EmitResult;

// ---------------------------------------------------------------------------------------------
// Derived facts every folder needs the same way (pure accessors, no I/O)
// ---------------------------------------------------------------------------------------------

/**
 * The Rails environment a stage deploys: its `rails_env`, else the stage's name — what
 * capistrano-rails computes (`fetch(:rails_env) || fetch(:stage)` in deploy:set_rails_env).
 */
export function railsEnvOf(stage: Stage): string {
  const started = startedRailsEnv(stage);
  if (started) return started.env;
  const cap2 = cap2DefaultEnv(stage);
  if (cap2) return cap2.env;
  const v = stage.variables["rails_env"]?.value;
  return typeof v === "string" && v !== "" ? v : typeof v === "object" && v !== null && "sym" in v && typeof v.sym === "string" ? v.sym : railsEnvFallback(stage)?.value ?? stage.name;
}

/** The stage's rails_env is only Capistrano 2's own `_cset :rails_env, "production"`: no file of the repo sets it. */
export function railsEnvIsCap2Default(stage: Stage): boolean {
  return stage.variables["rails_env"]?.defaultOf === "Capistrano 2";
}

/**
 * A stage whose rails_env is only Capistrano 2's `_cset :rails_env, "production"`: that is what its
 * recipes (deploy:migrate) ran with, not what the app process was started with. The environment the
 * deploy exported to its commands (default_environment / default_env RAILS_ENV, else RACK_ENV) is
 * the evidence of that, cited; with none, the stage's name stands in (capistrano-ext's multistage
 * stage, as before), and Capistrano 2's production is the doubt (hazards stage.rails-env-cap2-default
 * and database.section-env). Null when the value is not that default, or it is the stage's own name.
 */
export function cap2DefaultEnv(stage: Stage): { env: string; evidence: { name: string; source: Source; startLine?: true } | null } | null {
  if (!railsEnvIsCap2Default(stage)) return null;
  const fact = stage.variables["rails_env"]!;
  const started = startedRailsEnv(stage);
  if (started) return started.env === fact.value ? null : { env: started.env, evidence: { name: `start line ${started.how}`, source: started.source, startLine: true } };
  for (const variable of ["default_environment", "default_env"])
    for (const name of ["RAILS_ENV", "RACK_ENV"]) {
      const env = stage.variables[variable];
      const h = env?.value;
      if (!env || !h || typeof h !== "object" || Array.isArray(h)) continue;
      const hit = Object.entries(h as Record<string, RValue>).find(([k]) => k.replace(/^:/, "").toUpperCase() === name);
      const val = hit ? hit[1] : undefined;
      const text = typeof val === "string" && val !== "" ? val : typeof val === "object" && val !== null && typeof (val as { sym?: unknown }).sym === "string" ? (val as { sym: string }).sym : null;
      if (text !== null) return text === fact.value ? null : { env: text, evidence: { name: `${variable} ${name}`, source: env.source } };
    }
  return fact.value === stage.name ? null : { env: stage.name, evidence: null };
}

/** The RAILS_ENV the deploy exported to its commands (default_environment / default_env), when a literal. */
export function exportedRailsEnv(stage: Stage): string | null {
  for (const variable of ["default_environment", "default_env"]) {
    const h = stage.variables[variable]?.value;
    if (!h || typeof h !== "object" || Array.isArray(h)) continue;
    const hit = Object.entries(h as Record<string, RValue>).find(([k]) => k.replace(/^:/, "").toUpperCase() === "RAILS_ENV");
    const v = hit?.[1];
    if (typeof v === "string" && v !== "") return v;
    if (typeof v === "object" && v !== null && typeof (v as { sym?: unknown }).sym === "string") return (v as { sym: string }).sym;
  }
  return null;
}

/**
 * The stage's start line, where it decides the RAILS_ENV the app process ran (Stage.startedEnv);
 * null where it does not. Precedence is what the process really ran, not which file is more
 * trusted: the start line is what started the app, so
 * - a line the deploy runs (StartedEnv.byDeploy) that sets RAILS_ENV itself (`RAILS_ENV=x …`,
 *   `unicorn_rails -E x`) decides over everything, a stated `set :rails_env` included: whatever the deploy exported or set, the
 *   process got x (that the deploy's recipes, migrations first, ran with the other is hazard
 *   stage.rails-env-start-line);
 * - a weaker line (`unicorn -E x`, `puma -e x`: RACK_ENV; `rails s -e x`: RAILS_ENV only if unset)
 *   gave x only when RAILS_ENV was not already in the process's environment. It decides where
 *   nothing states the stage's env (no rails_env, only a default — Capistrano 2's or a plugin's —,
 *   or one not known statically) and the deploy exports no RAILS_ENV; against a stated rails_env
 *   it does not (that may have been exported to the start: a doubt, the same hazard);
 * - a line whose stage scope is in doubt (StartedEnv.doubt) never overrides a stated rails_env.
 */
export function startedRailsEnv(stage: Stage): StartedEnv | null {
  const started = stage.startedEnv;
  // a unit file nothing in the deploy installs or names (documentation, an example) is no evidence of the servers
  if (!started?.byDeploy) return null;
  const fact = stage.variables["rails_env"];
  const v = fact?.value;
  const stated = !!fact && !fact.defaultOf && (typeof v === "string" && v !== "" || typeof v === "object" && v !== null && ("sym" in v || "env" in v));
  // a line that may not be this stage's does not outrank what the stage states
  if (started.doubt && stated) return null;
  if (started.sets) return started;
  return stated || exportedRailsEnv(stage) !== null ? null : started;
}

/**
 * `set :rails_env, ENV['X'] || 'staging'`: the deploy ran 'staging' unless the deploying machine
 * exported X. That fallback is the stage's env (a doubt, hazard stage.rails-env-from-env), never the
 * stage's name.
 */
export function railsEnvFallback(stage: Stage): { env: string; value: string; source: Source } | null {
  const fact = stage.variables["rails_env"];
  const v = fact?.value as unknown;
  if (!fact || !v || typeof v !== "object" || Array.isArray(v) || typeof (v as { env?: unknown }).env !== "string") return null;
  const d = (v as { default?: unknown }).default;
  const value = typeof d === "string" && d !== "" ? d : typeof d === "object" && d !== null && typeof (d as { sym?: unknown }).sym === "string" ? (d as { sym: string }).sym : null;
  return value === null ? null : { env: (v as { env: string }).env, value, source: fact.source };
}

/**
 * The roles whose servers got a whenever job's cron lines on a stage: the job's own `roles:`, else
 * the stage's `whenever_roles` (whenever/capistrano writes role-less jobs on every server of those
 * roles), else `:db`, whenever's default.
 */
/**
 * The servers of a stage whose crontab held the job. whenever's Capistrano task runs on the servers
 * with a `whenever_roles` role only (`on roles(fetch(:whenever_roles))`), each with `--roles=<its
 * roles>`; a job with `roles:` is written where the server also has one of those. Without the
 * Capistrano task (no `whenever_roles` on the stage), the job's roles alone (default :db).
 */
export function cronServersOf(stage: Stage, job: CronJob): Stage["servers"] {
  if (job.roles.length && job.rolesNotPassedOn?.includes(stage.name)) job = { ...job, roles: [] };
  const has = (roles: string[]) => (s: Stage["servers"][number]) => s.roles.some((r) => roles.includes(r));
  // The repo's own task ran whenever on the servers of its roles; with `--roles` a job's `roles:` filter too.
  if (job.taskRoles) {
    const ran = stage.servers.filter(has(job.taskRoles.roles));
    return job.taskRoles.byRole && job.roles.length ? ran.filter(has(job.roles)) : ran;
  }
  const ran = stage.servers.filter(has(cronRolesOf(stage, job)));
  const whenever = wheneverRolesOf(stage);
  // Capistrano 2's recipe (whenever/capistrano/v2/support.rb) passes `--roles` with the server's
  // roles among whenever_roles only: cronRolesOf already holds just those.
  return job.roles.length && whenever && !cap2Whenever(stage) ? ran.filter(has(whenever)) : ran;
}

/** The stage runs whenever's Capistrano 2 recipe (its `whenever_options`, a v2 default only). */
const cap2Whenever = (stage: Stage): boolean => stage.variables["whenever_options"] !== undefined;

/** The stage's `whenever_roles` as names, or null when the stage has none (whenever's Capistrano task not loaded). */
function wheneverRolesOf(stage: Stage): string[] | null {
  const f = stage.variables["whenever_roles"];
  return f ? roleNames(f.value) : null;
}

/** Role names as Capistrano takes them: a string, a symbol, or a list of them. */
const roleNames = (v: RValue | undefined): string[] =>
  typeof v === "string" ? [v] : Array.isArray(v) ? v.flatMap(roleNames) : typeof v === "object" && v !== null && "sym" in v && typeof v.sym === "string" ? [v.sym] : [];

export function cronRolesOf(stage: Stage, job: CronJob): string[] {
  if (job.roles.length && job.rolesNotPassedOn?.includes(stage.name)) job = { ...job, roles: [] };
  if (job.roles.length && cap2Whenever(stage) && !job.taskRoles) {
    const whenever = wheneverRolesOf(stage) ?? ["db"];
    return job.roles.filter((r) => whenever.includes(r));
  }
  if (job.taskRoles) return job.taskRoles.byRole && job.roles.length ? job.roles.filter((r) => job.taskRoles!.roles.includes(r)) : job.taskRoles.roles;
  if (job.roles.length) return job.roles;
  const fromStage = wheneverRolesOf(stage) ?? [];
  return fromStage.length ? fromStage : ["db"];
}

// --- What looks secret: one rule for every folder (analyzers/secrets.ts explains the sources) -----

// The name rules live in src/model/secret-names.ts (no import of this module: secret-shapes and
// secret-env use them too); re-exported here so that every folder asks the same question.
export { COUNT_OR_DURATION_KEY, looksSecretEnv, looksSecretKey, SECRET_KEY } from "./model/secret-names.js";
import { COUNT_OR_DURATION_KEY, looksSecretKey } from "./model/secret-names.js";

/** What stands in the model for a value an Apache environment directive gave a secret-named variable. */
export const APACHE_SECRET_NOT_KEPT = "(secret value not kept)";
/** Directives that set an environment variable for the app: `SetEnv NAME value` (mod_passenger has no directive of its own for it under Apache). */
export const APACHE_ENV_DIRECTIVES = new Set(["setenv"]);


/**
 * A Global/YAML value secret by its key's name alone (no shape of its own): the name looks secret
 * (looksSecretKey), and neither the name says it counts something or measures time, nor is the value
 * (or an ENV read's default) a Boolean.
 * Narrow on purpose: a String under `token_*` / `*_key` stays secret whatever it looks like.
 */
export function secretByKeyName(key: string, value: unknown): boolean {
  if (!looksSecretKey(key) || COUNT_OR_DURATION_KEY.test(key)) return false;
  const v = isEnvRefShape(value) ? value.default : value;
  if (typeof v === "boolean") return false;
  // A number under a token/key/secret name is a credential like a String (`api_key: 1234567890123456`):
  // only a count or a duration (returned above) is exempt, the same rule the write guard applies.
  return true;
}

/**
 * HTTP header names that carry credentials: Authorization, Cookie, Set-Cookie, Api-Key, X-Api-Key,
 * X-Auth-Token... The nginx sidecar leaves such a header out when its value is written literally,
 * and the redaction hides the value wherever the model holds it: one rule for both.
 */
export const looksCredentialHeader = (name: string): boolean =>
  /^(?:proxy-)?authorization$|(?:^|-)(?:set-)?cookie$|(?:^|-)(?:api-?key|token|secret|password|passwd|credentials?|auth)(?:-|$)/i.test(name);

// A value shaped like a secret (a token, a key, a webhook, a URL password...), whatever it is called:
// the rules live in their own module, re-exported here so that every folder asks the same question.
import { looksSecretValue } from "./model/secret-shapes.js";
export { looksSecretValue };

/** A URL with a password in it (`postgres://user:pw@host/db`): a secret whatever its key is called. */
export function isCredentialUrl(v: unknown): boolean {
  if (typeof v !== "string") return false;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^/\s@]+)@/i.exec(v);
  // A placeholder (`${RABBIT_PASSWORD}`, `<%= … %>`, `%{password}`) names where the password comes from.
  return m !== null && !/^(?:\$|%\{|<%|\{\{|#\{)/.test(m[1]!);
}

