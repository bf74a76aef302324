// Per-stage settings as env files: config.env (committed, non-secret) feeds the ConfigMap generator,
// secrets.env (git-ignored, values only where the repo already held them) feeds the Secret generator,
// and secrets.env.example (committed) lists its keys without values. Containers read both via envFrom.
import { passengerEnvName, passengerValues } from "../container/passengerfile.js";
import type { ApacheDirective, EmitResult, EmittedFile, RValue, Source } from "../../src/model.js";
import { allCronSettings, APACHE_ENV_DIRECTIVES, APACHE_SECRET_NOT_KEPT, bootEnvReads, isFloatValue } from "../../src/model.js";
import { configEnvFile, secretEnvExample, secretEnvFile } from "../contract.js";
import { answerList } from "./answers.js";
import { envComment, envExpressible, envLine, isEnvKey } from "../encode/envfile.js";
import type { Plan, StagePlan } from "./plan.js";
import { APP_SERVER_DEFAULTS, isPlaceholderNumber, isUnconfirmedSuggestion } from "../app-server.js";
import { containerAppServer } from "../container/rules.js";
import { apacheFilesFor } from "./rules/site-files.js";
import { defaultEnv, railsEnvWhy, HOST_LAYOUT_ENV } from "./rules/stage.js";
import { MAX_WORKERS_PER_POD, podsPerServer, workersPerPod } from "./rules/web.js";
import { secretKeys, serverOnlyFiles, serverOnlyFilesOf, serversDatabaseLines } from "./rules/server-files.js";
import type { WordsEncoding } from "../../src/model/servers-database.js";
import { numberOf } from "../../src/model/numbers.js";
import { mongoidEnvKeys, mongoidSection, mongoidWords } from "../../src/model/mongoid-words.js";
import { envValueShown, secretEnvEntry, secretEnvName } from "../../src/model/secret-env.js";
import { webNotStarted } from "./left-out.js";

/** The env var holding the stage's hosts (comma-separated), for `config.hosts` and URL helpers. */
export const HOSTS_ENV = "APP_HOSTS";

export interface StageEnv {
  config: [string, string][];
  secrets: [string, string][];
  /** Read by the app while it boots and set by nothing here: listed commented out, to fill in. */
  unset: BootRead[];
  /** A comment over a config line: its value is a placeholder (src/gaps/appserver.ts). */
  comments?: Record<string, string>;
  /** Comment lines over a secret's line (in secrets.env and its example): what the servers used instead (no value of the secret). */
  secretComments?: Record<string, string[]>;
}

export interface BootRead {
  name: string;
  source: Source;
  /** The default the app falls back to (`ENV.fetch("X", default)`), null when it has none. */
  fallback: RValue | null;
  /** Held under a key that names a secret: a secret whatever the variable is called. */
  secret?: boolean;
}

/** Rails' relative URL root (Rails::Application::Configuration reads it at boot; unicorn_rails' --path sets it). */
const RELATIVE_URL_ROOT = "RAILS_RELATIVE_URL_ROOT";

export function stageEnv(plan: Plan, sp: StagePlan, hosts: string[], out: EmitResult): StageEnv {
  const keys = answerList(plan.answers, "secret.keys", secretKeys(plan.model));
  const secretSet = new Set(keys);
  const config = new Map<string, string>();
  const secrets = new Map<string, string>(keys.map((k) => [k, ""]));
  const cfg = configEnvFile(sp.stage.name);
  const sec = secretEnvFile(sp.stage.name);
  // Two places in the repo that prefill one secret variable with different values: the first is
  // kept, and the team is told (without the values) to take the servers' value.
  const conflicting = new Set<string>();
  /** Values an env file cannot carry (a line break): left out, and said, once per variable. */
  const sources = new Map<string, Source>();
  const keySource = (name: string) => sources.get(name) ?? null;
  const inexpressible = new Map<string, { source: Source | null; secret: boolean }>();
  /** Puts a variable in the file it belongs to, and says which (for the provenance). */
  const put = (name: string, value: string | null, secret: boolean, source: Source | null = null): string => {
    if (source && !sources.has(name)) sources.set(name, source);
    const isSecret = secret || secretSet.has(name) || secretEnvEntry(name, value);
    if (value !== null && !envExpressible(value) && !inexpressible.has(name)) inexpressible.set(name, { source, secret: isSecret });
    if (isSecret) {
      const had = secrets.get(name);
      if (value !== null && envExpressible(value)) {
        if (had && had !== value) conflicting.add(name);
        else secrets.set(name, value);
      } else if (had === undefined) secrets.set(name, "");
      return sec;
    }
    if (value !== null && envExpressible(value)) config.set(name, value);
    return cfg;
  };
  config.set("RAILS_ENV", sp.railsEnv);
  const envWhy = railsEnvWhy(sp.stage);
  out.provenance.push({ output: cfg, what: envWhy.what, source: envWhy.source });
  config.set("RAILS_LOG_TO_STDOUT", "true");
  // Without nginx in the pod, Rails serves the precompiled assets itself.
  if (!plan.sidecar) config.set("RAILS_SERVE_STATIC_FILES", "true");
  config.set(HOSTS_ENV, hosts.join(","));
  // The image runs one server config; each stage keeps its own capacity and timeout through ENV.
  // A stage whose deploy starts no web server has none to carry (its overlay runs no web pod).
  const serves = webNotStarted(plan.model, sp.stage.name) === null;
  const workers = numberOf(sp.appServer?.workers?.value);
  // Passenger Standalone reads PASSENGER_<KEY> over Passengerfile.json: each stage's own numbers.
  if (serves && plan.kind === "passenger") {
    config.set("PASSENGER_ENVIRONMENT", sp.railsEnv);
    for (const v of passengerValues(plan.model, plan.model.stages.length ? sp.stage.name : null)) {
      config.set(passengerEnvName(v.key), typeof v.value === "boolean" ? String(v.value) : String(v.value));
      out.provenance.push({ output: cfg, what: `${passengerEnvName(v.key)}=${v.value}: ${v.what}`, source: v.source ?? { file: plan.model.webServer?.evidence[0]?.source.file ?? "Gemfile", line: 0 } });
    }
  } else if (serves && workers !== null && sp.appServer?.workers) {
    const perServer = Math.round(workers);
    // Puma's `workers 0` is single mode, a number of its own: never spread into one worker a pod.
    const n = plan.kind === "puma" && perServer <= 0 ? 0 : workersPerPod(perServer);
    config.set("WEB_CONCURRENCY", String(n));
    const what = plan.kind === "puma" ? "workers" : "worker_processes";
    out.provenance.push({
      output: cfg,
      what: `${n === perServer ? `WEB_CONCURRENCY=${n} (this stage's ${what})` : `WEB_CONCURRENCY=${n}: this stage's ${what} ${perServer} per server, spread over ${podsPerServer(perServer)} pods per server (at most ${MAX_WORKERS_PER_POD} workers a pod; the HPA minimum counts those pods)`}${isUnconfirmedSuggestion(sp.appServer.workers) ? `: ${sp.appServer.workers.defaultOf}` : ""}`,
      source: sp.appServer.workers.source,
    });
  }
  const comments: Record<string, string> = {};
  // A stage whose config states no worker count (or that no config serves) runs the server's
  // default, labelled, never the image's default, which is production's number.
  if (serves && (plan.kind === "unicorn" || plan.kind === "puma") && !sp.appServer?.workers) {
    const d = APP_SERVER_DEFAULTS[plan.kind].workers;
    const image = containerAppServer(plan.model);
    const imageWorkers = image && image.kind === plan.kind ? numberOf(image.workers?.value) : null;
    if (imageWorkers !== null && imageWorkers !== d) {
      config.set("WEB_CONCURRENCY", String(d));
      const label = plan.kind === "puma" ? "Puma" : "Unicorn";
      const why = sp.appServer
        ? `${sp.appServer.file} sets no ${plan.kind === "puma" ? "workers" : "worker_processes"}`
        : `no ${label} config of the repo serves stage ${sp.stage.name} (Rails env ${sp.railsEnv})`;
      comments["WEB_CONCURRENCY"] = `${label}'s default: ${why} (the image's default is another stage's)`;
      out.provenance.push({ output: cfg, what: `WEB_CONCURRENCY=${d}: ${label}'s default, ${why}`, source: sp.appServer ? { file: sp.appServer.file, line: 0 } : sp.stage.source });
    }
  }
  const placeholder = (name: string, f: { defaultOf?: string } | null | undefined) => {
    // A replaced server's number no one confirmed (Thin's servers): said as that, in the file and the notes.
    // Both are said the same way on the terminal and in MIGRATION.md; only the file's label differs.
    if (isUnconfirmedSuggestion(f as never)) comments[name] = `SUGGESTION: ${f!.defaultOf}`;
    else if (isPlaceholderNumber(f as never))
      comments[name] = `PLACEHOLDER: ${f!.defaultOf} (the number stage ${sp.stage.name}'s servers ran, from ${sp.appServer!.file}, is not readable from the repo)`;
    else return;
    out.notes.push({ message: `${cfg}: ${name}=${config.get(name)} is ${f!.defaultOf}` });
  };
  if (config.has("WEB_CONCURRENCY")) placeholder("WEB_CONCURRENCY", sp.appServer?.workers);
  // Puma's threads per stage: set where the stage's differ from the image's (production's), or stand in for an unread number.
  const stageThreads = threadNumbers(sp.appServer?.threads?.value);
  if (serves && plan.kind === "puma" && stageThreads) {
    const image = threadNumbers(containerAppServer(plan.model)?.threads?.value);
    const held = isPlaceholderNumber(sp.appServer!.threads);
    if (held || !image || image[0] !== stageThreads[0] || image[1] !== stageThreads[1]) {
      config.set("RAILS_MIN_THREADS", String(stageThreads[0]));
      config.set("RAILS_MAX_THREADS", String(stageThreads[1]));
      if (held) placeholder("RAILS_MIN_THREADS", sp.appServer!.threads);
      else out.provenance.push({ output: cfg, what: `RAILS_MIN_THREADS=${stageThreads[0]}, RAILS_MAX_THREADS=${stageThreads[1]} (this stage's Puma threads)`, source: sp.appServer!.threads!.source });
    }
  }
  if (serves && plan.kind === "unicorn") {
    config.set("UNICORN_TIMEOUT", String(sp.webTimeout.seconds));
    placeholder("UNICORN_TIMEOUT", sp.appServer?.timeout);
    const t = sp.appServer?.timeout;
    if (!sp.webTimeout.source && !comments["UNICORN_TIMEOUT"])
      comments["UNICORN_TIMEOUT"] = !sp.appServer ? `Unicorn's default: no Unicorn config of the repo serves stage ${sp.stage.name}` : !t?.defaultOf || t.defaultOf === "Unicorn" ? `Unicorn's default: ${sp.appServer.file} sets no timeout` : `${t.defaultOf}'s default: no file of the repo sets the timeout`;
    if (sp.webTimeout.source) out.provenance.push({ output: cfg, what: `UNICORN_TIMEOUT=${sp.webTimeout.seconds} (this stage's timeout; the grace period follows it)`, source: sp.webTimeout.source });
  }
  for (const e of defaultEnv(sp.stage)) {
    const output = put(e.name, e.value, false, e.source);
    // A value or key left out is not listed as carried over: the notes below say what happened to it.
    if (isEnvKey(e.name) && (e.value === null || envExpressible(e.value) || output === sec)) out.provenance.push({ output, what: `${e.name} (Capistrano default_env)`, source: e.source });
  }
  // What the stage's web server start line set (unicorn_rails --path → RAILS_RELATIVE_URL_ROOT): after
  // default_env, as the option set it in the process after the environment it started with.
  // A value an env file cannot carry (a line break) is left out by `put`: neither listed as carried
  // nor said to be set, and the note says what the pods then lack.
  for (const e of serves ? (plan.model.webServer?.startEnv?.[sp.stage.name] ?? []) : []) {
    const output = put(e.name, e.value, false, e.source);
    const written = (output === cfg ? config.get(e.name) : secrets.get(e.name)) === e.value;
    if (written) out.provenance.push({ output, what: `${e.name}: ${e.why}`, source: e.source });
    if (e.name === RELATIVE_URL_ROOT) {
      // An earlier value (default_env) stays in the file: the start line overrode it on the servers.
      const earlier = !written && output === cfg && config.has(e.name);
      const set = written
        ? `${cfg} sets ${RELATIVE_URL_ROOT} for the pods`
        : `${cfg} does not set it to that: the value holds a line break, which a kustomize env file cannot carry, so it is not written${earlier ? ` (${cfg} keeps the ${RELATIVE_URL_ROOT} the stage's environment gave before the start line, which that line overrode on the servers)` : " and the pods run without it"}; set it another way (a ConfigMap entry from a file)`;
      out.notes.push({
        message: `stage ${sp.stage.name}: the app ran mounted under ${e.value} (${e.why}): its links and asset paths start with it, and ${set}. The route written serves the app at /: send ${e.value} to it as the old nginx did (a path-prefix match on the route, the prefix kept or stripped as the servers' nginx did), or links will point where nothing answers`,
        source: e.source,
      });
    }
  }
  // Apache's `SetEnv NAME value` in the stage's vhosts: Passenger hands it to the app as ENV.
  for (const e of apacheSetEnv(plan.model, sp.stage)) {
    const output = put(e.name, e.value, false, e.source);
    if (isEnvKey(e.name) && (envExpressible(e.value) || output === sec)) out.provenance.push({ output, what: `${e.name} (Apache SetEnv, ${e.source.file})`, source: e.source });
  }
  // whenever's `env` lines that hold a secret: every cron line had them; the CronJobs read them
  // from the Secret, prefilled with the value the schedule wrote.
  for (const [key, fact] of allCronSettings(plan.model.cron)) {
    const name = key.slice(4);
    if (key.startsWith("env:") && typeof fact.value === "string" && (secretSet.has(name) || secretEnvEntry(name, fact.value))) out.provenance.push({ output: put(name, fact.value, true, fact.source), what: `${name} (whenever env, ${fact.source.file})`, source: fact.source });
  }
  // Global values that config_for now reads from ENV: secrets, stage-varying and server-only ones.
  for (const e of plan.config.env) {
    if (e.stage !== sp.stage.name) continue;
    const output = put(e.name, e.value, e.secret, e.source ?? null);
    if (e.source) out.provenance.push({ output, what: `${e.name} (${e.path}: ${e.why})`, source: e.source });
  }
  for (const f of serverOnlyFilesOf(plan.model, sp.railsEnv))
    out.provenance.push({ output: put(f.env, null, true, f.source), what: `${f.env}: ${f.file} lived only on the servers (linked_files); fill it from stage ${sp.stage.name}'s own servers`, source: f.source });
  // What the servers' own database config named, over the variable that replaces it (never its password).
  const secretComments: Record<string, string[]> = {};
  for (const d of serversDatabaseLines(plan.model, sp.stage.name, ENV_COMMENT_WORDS))
    if (d.env && secrets.has(d.env)) (secretComments[d.env] ??= []).push(`Stage ${sp.stage.name}: ${d.line}. Fill ${d.env} with ${d.sectionKnown ? "that database" : `the database of the section a server's RAILS_ENV names`} (the password from a server's shared/${d.file}).`);
  // Mongoid has no DATABASE_URL: the names its mongoid.yml reads decide which MongoDB the stage
  // reaches, so each is a secret placeholder left empty (a default prefilled would look decided),
  // with what the file says of it (src/model/mongoid-words.ts); never guessed.
  const mongoKeys = new Set<string>();
  const mongo = mongoidSection(plan.model.rails.mongoid, sp.railsEnv);
  for (const r of mongoidEnvKeys(plan.model.rails.mongoid, sp.railsEnv)) {
    const first = mongoKeys.size === 0;
    mongoKeys.add(r.env);
    out.provenance.push({ output: put(r.env, null, true, r.source), what: `${r.env}: read by ${r.source.file} (${r.key || "its section"}), which MongoDB stage ${sp.stage.name} connects to; to fill in from the stage's servers, never guessed`, source: r.source });
    // A default is shown only where the one rule says it may be (its name, the mongoid.yml key it
    // fills, its shape, a user-info: src/model/secret-env.ts).
    const shown = typeof r.default === "string" && envValueShown(r.env, r.default, r.key) ? `; left unset, the app falls back to ${JSON.stringify(r.default)}, which may not be what the servers had` : "";
    (secretComments[r.env] ??= []).push(`${first ? `Stage ${sp.stage.name}: ${r.source.file}, section ${JSON.stringify(sp.railsEnv)}: ${mongoidWords(plan.model.rails.mongoid!, mongo!, ENV_COMMENT_WORDS)}. ` : ""}Fill ${r.env} from a server of stage ${sp.stage.name} (its environment, or the process's); never guessed${shown}.`);
  }
  // What the app reads while it boots and nothing here sets: a secret gets its empty line in
  // secrets.env like every other; the rest is listed, commented out, in config.env.
  const unset: BootRead[] = [];
  for (const r of bootReads(plan, sp)) {
    if (config.has(r.name) || mongoKeys.has(r.name)) continue;
    const secret = r.secret || secretSet.has(r.name) || secretEnvEntry(r.name, r.fallback);
    if (!secret) {
      if (!secrets.has(r.name)) unset.push(r);
      continue;
    }
    // Prefilled with the read's default, so that the pod gets what the app got wherever the
    // servers did not set it (an empty line would give "" instead of the default).
    const prefill = envText(r.fallback);
    if (prefill === null && r.fallback !== null) {
      // Its fallback is another variable (or not text): a line here, even empty, would hide that
      // fallback. Only an empty placeholder goes; another read's prefill stays.
      if (secrets.get(r.name) === "") secrets.delete(r.name);
      out.notes.push({ message: `${sec}: ${r.name} is read while the app boots with a fallback that is not text (another variable, or a Symbol); add it to this file only if stage ${sp.stage.name}'s servers set it`, source: r.source });
      continue;
    }
    out.provenance.push({ output: put(r.name, prefill, true, r.source), what: `${r.name}: read while the app boots (secret)${prefill !== null ? ", prefilled with its default" : ""}; fill it in from stage ${sp.stage.name}'s servers`, source: r.source });
  }
  for (const [name, { source, secret }] of inexpressible)
    out.notes.push({
      message: secret
        ? `${sec}: the value of ${name} holds a line break, which a kustomize env file cannot carry; its line is left empty: create that Secret key from a file (a secretGenerator \`files:\` entry) or set it as one line`
        : `${cfg}: the value of ${name} holds a line break, which a kustomize env file cannot carry; it is left out: set it in the overlay another way (a ConfigMap entry from a file) or as one line`,
      ...(source ? { source } : {}),
    });
  // Env files, envFrom and every shell want a name: a key that is not one cannot be set this way.
  for (const [map, file] of [[config, cfg], [secrets, sec]] as const)
    for (const name of [...map.keys()])
      if (!isEnvKey(name)) {
        map.delete(name);
        out.notes.push({ message: `${file}: ${JSON.stringify(name)} is not an environment variable name (letters, digits and _, not starting with a digit); it is left out: the app cannot receive it through envFrom`, ...(keySource(name) ? { source: keySource(name)! } : {}) });
      }
  for (const name of conflicting)
    out.notes.push({ message: `${sec}: ${name} has different defaults in different places of the repo; the first is prefilled: set the value stage ${sp.stage.name}'s servers had` });
  for (const k of config.keys()) secrets.delete(k);
  for (const r of unset.filter((r) => !isEnvKey(r.name))) {
    unset.splice(unset.indexOf(r), 1);
    out.notes.push({ message: `${cfg}: the app reads ${JSON.stringify(r.name)} while it boots, which is not an environment variable name envFrom can set; set it another way`, source: r.source });
  }
  if (unset.length) {
    out.notes.push({
      message: `${cfg}: the app reads ${unset.map((r) => r.name).join(", ")} while it boots, and nothing in the repo sets ${unset.length === 1 ? "it" : "them"}: ${unset.length === 1 ? "its value" : "their values"} came from the environment the old setup gave (the servers', or the deploying machine's for a Capistrano template). Fill in the commented line${unset.length === 1 ? "" : "s"} with stage ${sp.stage.name}'s values, or the app runs on ${unset.length === 1 ? "its default" : "their defaults"}`,
      source: unset[0].source,
    });
    for (const r of unset) out.provenance.push({ output: cfg, what: `${r.name}: read while the app boots; not set (commented out, to fill in from stage ${sp.stage.name}'s servers)`, source: r.source });
  }
  return { config: [...config], secrets: [...secrets].sort(([a], [b]) => a.localeCompare(b)), unset, ...(Object.keys(comments).length ? { comments } : {}), ...(Object.keys(secretComments).length ? { secretComments } : {}) };
}

/** Puma's [min, max] threads when both are readable numbers (one value: min = max). */
function threadNumbers(v: RValue | undefined): [number, number] | null {
  if (!Array.isArray(v) || !v.length || v.length > 2) return null;
  const n = v.map((x) => numberOf(x));
  if (n.some((x) => x === null || !Number.isInteger(x) || x < 0)) return null;
  return [n[0]!, n[n.length - 1]!];
}

/** A default as the text an env var holds to give it back (ENV values are text); null if none can. */
function envText(v: RValue | null): string | null {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  return isFloatValue(v) ? v.float : null;
}

/**
 * The ENV names the stage's config_for files read as Global's files did (`<%= ENV["X"] %>` kept as
 * it was), first read first. Values the config plan moved to a variable of their own are left out:
 * the app no longer reads the old name.
 */
function bootReads(plan: Plan, sp: StagePlan): BootRead[] {
  // Prefilled reads (a secret default taken out of the file) are still read under their names.
  const moved = plan.config.env.filter((e) => e.stage === sp.stage.name && !e.prefill).map((e) => e.path);
  const isMoved = (path: string) => moved.some((m) => path === m || path.startsWith(`${m}.`));
  // database.yml's ERB, when the committed file is the one the app reads (else DATABASE_URL is).
  const database = !serverOnlyFiles(plan.model).some((f) => f.file === "config/database.yml");
  const out = new Map<string, BootRead>();
  for (const r of bootEnvReads(plan.model, new Set([sp.railsEnv]), database)) {
    if (out.has(r.env) || (r.path !== null && isMoved(r.path))) continue;
    const secret = r.secret || (r.key !== null && secretEnvName(r.key));
    out.set(r.env, { name: r.env, source: r.source, fallback: r.default, ...(secret ? { secret: true } : {}) });
  }
  return [...out.values()];
}

export function envFiles(stage: string, env: StageEnv): EmittedFile[] {
  const header = (what: string) => envComment(`Stage ${stage}: ${what}`);
  return [
    {
      path: configEnvFile(stage),
      content: header("non-secret settings (committed), read by the configMapGenerator in kustomization.yaml.") + env.config.map(([k, v]) => (env.comments?.[k] ? envComment(env.comments[k]) : "") + envLine(k, v)).join("") + unsetLines(stage, env.unset),
    },
    {
      path: secretEnvFile(stage),
      content: header("secrets (git-ignored: never commit this file), read by the secretGenerator in kustomization.yaml.") + UNSET_SECRET_NOTE + env.secrets.map(([k, v]) => secretNote(env, k) + secretLine(k, v)).join(""),
      secret: true,
    },
    {
      path: secretEnvExample(stage),
      content: header("the keys of secrets.env, without values (committed). Copy to secrets.env and fill in.") + UNSET_SECRET_NOTE + env.secrets.map(([k]) => secretNote(env, k) + secretLine(k, "")).join(""),
    },
  ];
}

/**
 * A secret without a value is a commented line, so the pod does not get it at all: an empty
 * SECRET_KEY_BASE would beat the credentials and an empty DATABASE_URL database.yml, and boot fails.
 */
const secretNote = (env: StageEnv, key: string): string => (env.secretComments?.[key] ?? []).map(envComment).join("");
/** An env file's comment holds the repo's values as JSON strings (envComment keeps it one line). */
const ENV_COMMENT_WORDS: WordsEncoding = { quote: (v) => JSON.stringify(v), cite: (s) => s, text: (s) => s };
const secretLine = (key: string, value: string): string => (value === "" ? envComment(`${key}=`) : envLine(key, value));
const UNSET_SECRET_NOTE = envComment("A commented key is absent from the pod (an empty value would override the app's fallback): uncomment it when you fill it in.");

/**
 * The variables to fill in, commented out: an empty `X=` would set X to "", which `ENV.fetch("X",
 * default)` returns instead of the default.
 */
function unsetLines(stage: string, unset: BootRead[]): string {
  if (!unset.length) return "";
  let text = "\n" + envComment(`Read by the app while it boots, set by nothing above: for stage ${stage} these came from the environment`);
  text += "# the old setup gave them (the servers', or the deploying machine's for a template Capistrano rendered).\n";
  text += "# Uncomment and fill in each with that value; left commented, the app falls back to the default shown (or nil).\n";
  for (const r of unset) {
    const shown = envValueShown(r.name, r.fallback);
    const fallback = shown ? `default ${JSON.stringify(r.fallback)}` : r.fallback === null ? "no default" : "a default (see the source)";
    text += envComment(`${r.source.file}:${r.source.line}, ${fallback}`) + envComment(`${r.name}=`);
  }
  return text;
}

/**
 * The values the stage's Apache configs give the app with SetEnv (one or two words, as Apache takes
 * it). A secret one was never kept (analyzers/apache lists it as a secret), and one no stage knows
 * (ERB text) was said where it was read: neither is carried.
 */
function apacheSetEnv(model: Plan["model"], stage: StagePlan["stage"]): { name: string; value: string; source: Source }[] {
  const out: { name: string; value: string; source: Source }[] = [];
  const walk = (ds: ApacheDirective[]) => {
    for (const d of ds) {
      if (APACHE_ENV_DIRECTIVES.has(d.name.toLowerCase()) && (d.args.length === 1 || d.args.length === 2)) {
        const [name, value = ""] = d.args as [string, string?];
        if (value !== APACHE_SECRET_NOT_KEPT && !value.includes("<%") && !name.includes("<%") && !HOST_LAYOUT_ENV.test(name)) out.push({ name, value, source: d.source });
      }
      if (d.block) walk(d.block);
    }
  };
  for (const f of apacheFilesFor(model, stage)) if (!f.example) walk(f.directives);
  return out;
}
