// The config plan: for every Global namespace, what each Rails environment's section of its
// config_for file holds, and which values must come from the pod's environment instead — with
// the per-stage values of those variables. Pure; the files are written from it by the other
// modules of this folder, and the Kustomize emitter reads `env` to fill the stages' env files.
//
// A value goes to the environment (an ERB `ENV` reference in the file) when:
// - it is secret (by key name, the analysis, or the user's answer): never in a tracked file;
// - two stages deploy the same Rails environment but render different values (e.g. `demo` and
//   `production` both run RAILS_ENV=production): one file section cannot hold both;
// - it is not known here (only the servers know it): the variable is a placeholder to fill.
// Everything else is written literally, section by section, exactly as Global computes it.
import type { AppModel, Answers, RValue, Source, Stage, GlobalNamespace } from "../../src/model.js";
import { isCarriedErb, isCredentialUrl, isDateValue, isEnvRefShape, isFloatValue, isSym, isTaggedValue, isTimeValue, looksSecretKey, looksSecretValue, plainHash, isPlainHash as isRepoHash, railsEnvOf, secretByKeyName, setOwn, type EnvRef } from "../../src/model.js";
import { secretEnvName } from "../../src/model/secret-env.js";
import { sharedMergeOf } from "../../src/model/config-for-shared.js";
import { type OutValue, erbCode, rubyLiteral, writeFlow } from "./yaml-writer.js";
import { rubyString, rubyStringBody } from "../encode/ruby.js";

export interface ConfigEnvVar {
  stage: string;
  name: string;
  /** The value as the pod's environment must hold it; null = unknown here, to be filled. */
  value: string | null;
  secret: boolean;
  /** Why the value is in the environment, and what it replaces (`payment.api_key`). */
  why: string;
  path: string;
  source?: Source;
  /**
   * The app's own variable, prefilled with a secret default taken out of the file: the config file
   * still reads it under this name (as it does any other read of the value at `path`).
   */
  prefill?: true;
}

export interface PlannedFile {
  namespace: string;
  /** config/custom/<ns path>.yml */
  path: string;
  /** The name to pass to config_for: `custom/<ns path>`. */
  configFor: string;
  /** Rails env → that environment's value (shared section excluded). */
  sections: Record<string, OutValue>;
  shared: OutValue | null;
  files: string[];
  /** The namespace's files are the repo's copy of files the servers replaced (GlobalNamespace.repoCopy): in words. */
  repoCopy?: string;
}

export interface ConfigPlan {
  envs: string[];
  files: PlannedFile[];
  env: ConfigEnvVar[];
  /** Leaves whose value only the servers know. */
  unknowns: { path: string; stage: string; source?: Source }[];
  /** Values that cannot be carried exactly, with why. */
  notes: { message: string; source?: Source }[];
}

/** Answer id listing extra dotted paths the user marks secret (see src/gaps/config.ts). */
export const SECRET_PATHS_ANSWER = "config.secret_paths";

/** One rule for what looks secret, the analysis's own (analyzers/secrets.ts). */
export const isSecretKey = (key: string): boolean => looksSecretKey(key);

/** A value written in the file (not read from ENV), at any depth. */
function holdsLiteral(v: RValue): boolean {
  if (typeof v === "string") return v !== "";
  if (typeof v === "number") return true;
  if (Array.isArray(v)) return v.some(holdsLiteral);
  if (isPlainHash(v)) return Object.values(v).some(holdsLiteral);
  return false;
}

const MISSING = Symbol("missing");
type Slot = RValue | typeof MISSING;

/**
 * The plans made, by model and answers: the rails-config, Kustomize and release emitters all read
 * the plan of the same run, and a large Global tree took a second per plan. A plan is never changed
 * once made (its readers only read it).
 */
const planned = new WeakMap<AppModel, WeakMap<Answers, ConfigPlan>>();

export function planConfig(model: AppModel, answers: Answers): ConfigPlan {
  let byAnswers = planned.get(model);
  if (!byAnswers) planned.set(model, (byAnswers = new WeakMap()));
  const known = byAnswers.get(answers);
  if (known) return known;
  const plan = makeConfigPlan(model, answers);
  byAnswers.set(answers, plan);
  return plan;
}

function makeConfigPlan(model: AppModel, answers: Answers): ConfigPlan {
  const g = model.global;
  const plan: ConfigPlan = { envs: [], files: [], env: [], unknowns: [], notes: [] };
  if (!g || model.stages.length === 0) return plan;
  const stages = model.stages;
  const envs = [...new Set(stages.map(railsEnvOf))];
  plan.envs = envs;
  const localEnvs = [...new Set(g.namespaces.flatMap((n) => Object.keys(n.values)))].filter((e) => !envs.includes(e));

  const answered = answers[SECRET_PATHS_ANSWER];
  const extraSecret = new Set(Array.isArray(answered) ? answered.filter((x): x is string => typeof x === "string") : []);
  const names = new EnvNames(model);
  const sharedOk = supportsSharedSection(model.rails.railsVersion?.value ?? null);

  for (const ns of [...g.namespaces].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const template = g.templates.find((t) => namespaceOfTarget(t.target, g.dir) === ns.name);
    const secretPaths = new Set([...((ns as GlobalNamespace & { secretPaths?: string[] }).secretPaths ?? []), ...[...extraSecret].filter((p) => p.startsWith(ns.name + ".")).map((p) => p.slice(ns.name.length + 1))]);
    const valueFor = (s: Stage): RValue => {
      const v = template && s.name in template.rendered ? template.rendered[s.name] : ns.values[railsEnvOf(s)];
      return v === undefined ? {} : v;
    };
    const sections: Record<string, OutValue> = {};
    const moved: MovedSecrets = { toEnv: new Map(), prefilled: new Map() };
    for (const env of envs) {
      const group = stages.filter((s) => railsEnvOf(s) === env);
      const ctx: WalkCtx = { ns, group, secretPaths, names, plan, env, moved };
      setOwn(sections, env, walk(ctx, [], group.map(valueFor)));
    }
    // Environments no stage deploys (development, test): the app's own test suite and laptops run
    // them, so their sections are written too, as the repo's Global files hold them (already
    // committed there; only the deployed stages' values move to the pod's environment).
    // A secret the deployed stages moved to the environment never stays behind in these sections:
    // where one holds the same literal (a shared `development: &default` anchor), it reads the
    // same variable there too (see localSection).
    for (const env of localEnvs) setOwn(sections, env, localSection(ns, env, plan, moved));
    const allEnvs = [...envs, ...localEnvs];
    const nsPath = ns.name.split(".").join("/");
    let shared: OutValue | null = null;
    let envSections = sections;
    if (sharedOk && allEnvs.length > 1) {
      const split = factorShared(allEnvs.map((e) => sections[e]));
      if (split) {
        shared = split.shared;
        envSections = Object.fromEntries(allEnvs.map((e, i) => [e, split.rest[i]]));
      }
    }
    plan.files.push({ namespace: ns.name, path: `config/custom/${nsPath}.yml`, configFor: `custom/${nsPath}`, sections: envSections, shared, files: ns.files, ...(ns.repoCopy ? { repoCopy: ns.repoCopy.label } : {}) });
  }
  return plan;
}

/**
 * The secrets the deployed stages' walk took out of the file, by path (JSON of the key list): those
 * moved to a variable (with the tag their sections read it by) and those whose ENV read lost a
 * secret default; each with the deployed values they came from.
 */
interface MovedSecrets {
  toEnv: Map<string, { out: OutValue; name: string; deployed: RValue[] }>;
  prefilled: Map<string, RValue[]>;
}

/**
 * An environment's section written from the repo's values; what only a server knows is left nil.
 * Under a path whose deployed value is a secret moved out of the file, the local value is kept only
 * when it shares no literal (a String, a number, an ENV read's default, at any depth) with any
 * deployed stage's value there; else the section reads the same variable as the deployed ones
 * (a secret default is dropped from its ENV read). Each case is a named note.
 */
function localSection(ns: GlobalNamespace, env: string, plan: ConfigPlan, moved?: MovedSecrets): OutValue {
  const conv = (v: RValue, path: string[]): OutValue => {
    // Most namespaces move no secret: no key made per node of a large tree.
    const key = path.length && (moved?.toEnv.size || moved?.prefilled.size) ? JSON.stringify(path) : null;
    const dotted = path.join(".");
    const toEnv = key === null ? undefined : moved?.toEnv.get(key);
    if (toEnv) {
      if (sharesLiteral(v, toEnv.deployed)) {
        plan.notes.push({ message: `${ns.name}.${dotted} in ${env} held the same secret as a deployed stage: read from ENV["${toEnv.name}"] in ${env} too, never written in the tracked config file (set ${toEnv.name} where ${env} runs)`, source: ns.sources[dotted] });
        return toEnv.out;
      }
      if (literalScalars(v).size) plan.notes.push({ message: `${ns.name}.${dotted} in ${env}: the ${env} literal is kept in the tracked config file, since it differs from every deployed stage's secret value (read from ENV["${toEnv.name}"] there); check that it is not a real credential`, source: ns.sources[dotted] });
    }
    const prefilled = key === null ? undefined : moved?.prefilled.get(key);
    if (prefilled && sharesLiteral(v, prefilled)) {
      const stripped = withoutSecretDefaults(v, []);
      plan.notes.push({ message: `${ns.name}.${dotted} in ${env}: the secret default of its ENV read (the deployed stages' too) is left out of the tracked config file${stripped === null ? ", and the value with it: written as nil there" : ""}`, source: ns.sources[dotted] });
      return stripped === null ? null : toOut(stripped);
    }
    if (isPlainHash(v)) return plainHash(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conv(x, [...path, k])])));
    if (hasUnknown(v)) {
      plan.notes.push({ message: `${ns.name}.${path.join(".")} in ${env} is not known statically: written as nil there`, source: ns.sources[path.join(".")] });
      return null;
    }
    return toOut(v);
  };
  const v = ns.values[env];
  return v === undefined ? {} : conv(v, []);
}

interface WalkCtx {
  ns: GlobalNamespace;
  group: Stage[];
  secretPaths: Set<string>;
  names: EnvNames;
  plan: ConfigPlan;
  env: string;
  moved?: MovedSecrets;
}

const isPlainHash = (v: Slot): v is { [k: string]: RValue } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isTaggedValue(v as RValue);


const same = (a: Slot, b: Slot) => a === b || (a !== MISSING && b !== MISSING && JSON.stringify(a) === JSON.stringify(b));

/** Walks the values of one namespace for all stages of one Rails env, leaf by leaf. */
function walk(ctx: WalkCtx, path: string[], values: Slot[], dotted = path.join(".")): OutValue {
  const leafKey = path[path.length - 1] ?? "";
  // The list itself when no stage misses the key (the common case): no copy per node.
  const present = values.includes(MISSING) ? values.filter((v): v is RValue => v !== MISSING) : (values as RValue[]);
  // ERB the app evaluates itself (`<%= 1.month.from_now.year %>`), the same on every stage: carried
  // as written; Rails evaluates it in config_for as Global did. Never an empty variable.
  if (values.length && values.every((v) => isCarriedErb(v) && same(v, values[0]))) return toOut(values[0] as RValue);
  // Under a secret path or key, a Hash or Array written in the file is one secret value: it goes to
  // the environment whole (YAML flow text), never into the tracked file. The default of an ENV read
  // is written in the file too (`ENV.fetch("SMTP_PASSWORD", "...")`), quoted or bare: a secret when
  // the key is, when the variable's name is, or when its value is shaped like a secret (a URL with
  // a password, a token, a key).
  const secretContext =
    underSecretPath(ctx.secretPaths, dotted) ||
    present.some((v) => secretByKeyName(leafKey, v)) ||
    present.some((v) => looksSecretValue(v) || envReadsIn(v).some((r) => looksSecretValue(r.default)) || (Array.isArray(v) && listHoldsSecret(v)));
  const secretHere =
    path.length > 0 &&
    ((secretContext && present.some((v) => holdsLiteral(v) || envReadsIn(v).some(literalDefault))) || present.some((v) => envReadsIn(v).some((r) => secretEnvName(r.env) && literalDefault(r))));
  // ENV reads whose defaults are the only secret: the file keeps the reads without their defaults,
  // and each variable keeps its name, prefilled in secrets.env with the default (what the app got
  // wherever the servers did not set it; their value replaces it where they did).
  let secret = secretHere;
  if (secretHere && present.length === values.length) {
    const prefills: { env: string; text: string | null }[][] = [];
    const stripped = (values as RValue[]).map((v) => {
      const found: { env: string; text: string | null }[] = [];
      prefills.push(found);
      return withoutSecretDefaults(v, found);
    });
    if (stripped.every((v): v is RValue => v !== null)) {
      const source = ctx.ns.sources[dotted];
      if (ctx.moved) {
        const key = JSON.stringify(path);
        ctx.moved.prefilled.set(key, [...(ctx.moved.prefilled.get(key) ?? []), ...(values as RValue[])]);
      }
      prefills.forEach((found, i) => {
        for (const f of found) ctx.plan.env.push({ stage: ctx.group[i].name, name: f.env, value: f.text, secret: true, prefill: true, why: `secret default of ENV["${f.env}"], prefilled: where stage ${ctx.group[i].name}'s servers set ${f.env}, their value replaces it`, path: `${ctx.ns.name}.${dotted}`, source });
      });
      values = stripped;
      secret = false;
    }
  }
  if (!secret && present.length > 0 && present.length === values.length && present.every(isPlainHash)) {
    // A Set keeps the first-seen order: a list searched per key grew with the square of a large section's keys.
    let keys: Iterable<string>;
    if (present.length === 1) keys = Object.keys(present[0] as object);
    else {
      const seen = new Set<string>();
      for (const v of present) for (const k of Object.keys(v as object)) seen.add(k);
      keys = seen;
    }
    const out: { [k: string]: OutValue } = {};
    // One path array for the whole walk, a key pushed for each level (a copy per node of a large tree
    // was much of the walk); names.take only reads it. Own keys only, set as own properties
    // (a Global key `__proto__` is a key like any other).
    for (const k of keys) {
      path.push(k);
      setOwn(out, k, walk(ctx, path, present.map((v) => (Object.hasOwn(v as object, k) ? (v as Record<string, RValue>)[k] : MISSING)), path.length > 1 ? `${dotted}.${k}` : k));
      path.pop();
    }
    return plainHash(out);
  }
  const allSame = values.every((v) => same(v, values[0]));
  if (values.some((v) => v === MISSING)) {
    ctx.plan.notes.push({ message: `${ctx.ns.name}.${dotted} exists for some stages of ${ctx.env} only; written as an environment variable that is empty where the key was missing (Global raised NoMethodError there, config_for gives nil)` });
  }
  if (!secret && allSame) {
    const v = values[0] === MISSING ? null : values[0];
    if (!hasUnknown(v)) return toOut(v);
  }
  // To the environment: one variable, a value per stage.
  const name = ctx.names.take(ctx.ns.name, path);
  const allStrings = values.every((v) => v === MISSING || v === null || typeof v === "string" || (isEnvRefShape(v) && v.ruby === undefined));
  // A conversion the Global file applied to an ENV read (`.to_i`) does not follow the value into a
  // variable of its own: said, for the team to check the type (not the expression itself, which
  // may hold a secret default).
  const converted = values.find((v): v is EnvRef => isEnvRefShape(v) && v.ruby !== undefined);
  if (converted) ctx.plan.notes.push({ message: `${ctx.ns.name}.${dotted}: Global's file converted ENV["${converted.env}"] in Ruby; in ${ctx.env} the value now comes from ${name} as it is, without that conversion: check its type`, source: ctx.ns.sources[dotted] });
  for (let i = 0; i < ctx.group.length; i++) {
    const v = values[i];
    const stage = ctx.group[i].name;
    const source = ctx.ns.sources[dotted];
    let text: string | null;
    if (v === MISSING || v === null) text = "";
    else if (hasUnknown(v) || isEnvRefShape(v)) {
      // An ENV reference or an unknown stays a value to fill in the pod's environment.
      text = isEnvRefShape(v) ? envDefaultText(v) : null;
      if (text === null) ctx.plan.unknowns.push({ path: `${ctx.ns.name}.${dotted}`, stage, source });
    } else text = typeof v === "string" ? v : writeFlow(v);
    if (text !== null && /[\r\n]/.test(text)) {
      ctx.plan.notes.push({ message: `${ctx.ns.name}.${dotted} holds a multi-line value, which an env file cannot carry: set ${name} for stage ${stage} by hand`, source });
      text = null;
    }
    const why = secret ? "secret value" : !allSame ? `differs between stages that run ${ctx.env}` : "known only on the servers";
    ctx.plan.env.push({ stage, name, value: text, secret, why, path: `${ctx.ns.name}.${dotted}`, source });
  }
  // Strings come back through to_json, so no YAML rule retypes them; other types as YAML text.
  const read = `ENV[${rubyString(name, { erb: true })}]`;
  const out = { erb: allStrings ? `<%= ${read}&.to_json %>` : `<%= ${read} %>` };
  if (secret && ctx.moved) {
    const key = JSON.stringify(path);
    const known = ctx.moved.toEnv.get(key);
    if (known) known.deployed.push(...present);
    else ctx.moved.toEnv.set(key, { out, name, deployed: [...present] });
  }
  return out;
}

/** The literal scalars a value writes (Strings, numbers, ENV reads' defaults, Interp parts), at any depth. */
function literalScalars(v: RValue, into = new Set<string>(), depth = 0): Set<string> {
  if (depth > 100) return into;
  if (typeof v === "string") {
    if (v !== "") into.add(`s:${v}`);
  } else if (typeof v === "number") into.add(`n:${v}`);
  else if (isFloatValue(v)) into.add(`n:${Number(v.float)}`);
  else if (Array.isArray(v)) v.forEach((x) => literalScalars(x, into, depth + 1));
  else if (isEnvRefShape(v)) {
    if (v.default !== null) literalScalars(v.default, into, depth + 1);
  } else if (typeof v === "object" && v !== null && Array.isArray((v as { interp?: unknown }).interp)) (v as { interp: RValue[] }).interp.forEach((x) => literalScalars(x, into, depth + 1));
  else if (isPlainHash(v)) for (const x of Object.values(v)) literalScalars(x, into, depth + 1);
  return into;
}

/** Whether a value writes any literal one of the deployed values writes. */
function sharesLiteral(v: RValue, deployed: RValue[]): boolean {
  const mine = literalScalars(v);
  if (!mine.size) return false;
  const theirs = new Set<string>();
  for (const d of deployed) literalScalars(d, theirs);
  for (const x of mine) if (theirs.has(x)) return true;
  return false;
}

/**
 * Whether a dotted path is one of the secret paths or lies under one: the path itself and each of
 * its prefixes that ends before a dot, looked up (a scan of every secret path at every node grew
 * with their product).
 */
function underSecretPath(paths: Set<string>, dotted: string): boolean {
  if (!paths.size) return false;
  if (paths.has(dotted)) return true;
  for (let i = dotted.indexOf("."); i >= 0; i = dotted.indexOf(".", i + 1)) if (paths.has(dotted.slice(0, i))) return true;
  return false;
}

/**
 * A list is a leaf here (never walked item by item): one holding a secret-named literal in a Hash,
 * or a value shaped like a secret, is secret whole.
 */
function listHoldsSecret(v: RValue): boolean {
  if (Array.isArray(v)) return v.some(listHoldsSecret);
  if (looksSecretValue(v)) return true;
  if (!isPlainHash(v)) return false;
  return Object.entries(v).some(([k, x]) => (secretByKeyName(k, x) && holdsLiteral(x)) || listHoldsSecret(x));
}

/** The ENV reads a value makes at its top (an EnvRef, its defaults, the parts of an Interp). */
function envReadsIn(v: Slot): readonly EnvRef[] {
  if (isEnvRefShape(v)) return [v, ...(v.default !== null ? envReadsIn(v.default) : [])];
  if (typeof v === "object" && v !== null && !Array.isArray(v) && Array.isArray((v as { interp?: unknown }).interp)) return (v as { interp: RValue[] }).interp.flatMap(envReadsIn);
  return NO_READS;
}
/** Most values read no ENV: one empty list for all of them (asked three times per node of a large tree). */
const NO_READS: readonly EnvRef[] = Object.freeze([]);

/** A default written as a literal in the file (not another ENV read). */
const literalDefault = (r: EnvRef): boolean => r.default !== null && (holdsLiteral(r.default) || isTaggedScalar(r.default));

/** A Symbol or Float default: written in the file as a literal too. */
const isTaggedScalar = (v: RValue): boolean => isSym(v) || isFloatValue(v) || isDateValue(v) || isTimeValue(v);

/**
 * A value whose secrets are only the literal defaults of its ENV reads (bare, quoted, inside a
 * string such as a URL, or inside a converting expression), with those defaults taken out; each
 * read and its default's text go to `found`. Null when something else in it would stay written.
 */
function withoutSecretDefaults(v: RValue, found: { env: string; text: string | null }[]): RValue | null {
  if (typeof v === "object" && v !== null && !Array.isArray(v) && Array.isArray((v as { interp?: unknown }).interp)) {
    const parts: RValue[] = [];
    for (const p of (v as { interp: RValue[] }).interp) {
      const q = typeof p === "string" ? p : withoutSecretDefaults(p, found);
      if (q === null) return null;
      parts.push(q);
    }
    return { interp: parts };
  }
  if (!isEnvRefShape(v)) return null;
  // The read whose default is the literal: the last of an `||` or fetch chain.
  let last: EnvRef = v;
  while (last.default !== null && isEnvRefShape(last.default)) last = last.default;
  const text = last.default === null ? null : envDefaultText(last);
  if (last.default !== null && text === null) return null;
  if (last.default !== null) found.push({ env: last.env, text });
  const bare = (r: EnvRef): EnvRef => ({ env: r.env, default: r === last ? null : r.default !== null && isEnvRefShape(r.default) ? bare(r.default) : r.default });
  if (v.ruby === undefined) return bare(v);
  if (last.default === null) return { ...bare(v), ruby: v.ruby };
  // A converting expression holds the default as Ruby source: taken out where it is one of the
  // plain forms (`ENV.fetch("X", lit)`, `|| lit`), the variable then holding the literal's text.
  const cut = withoutLiteral(v.ruby, last.env);
  if (cut === null) return null;
  found[found.length - 1] = { env: last.env, text: cut.text };
  return { ...bare(v), ruby: cut.ruby };
}

/**
 * `ENV.fetch("X", lit)` → `ENV.fetch("X")`, or `… || lit` → `…`, in Ruby source, with the
 * literal as the variable's text (what `ENV["X"]` must hold for the expression to give what the
 * literal gave); null when the source has neither form, or more than one literal.
 */
function withoutLiteral(ruby: string, env: string): { ruby: string; text: string } | null {
  const LIT = String.raw`("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?)`;
  const name = env.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const fetch = new RegExp(String.raw`(ENV\.fetch\(\s*["']${name}["'])\s*,\s*${LIT}\s*\)`);
  const or = new RegExp(String.raw`\s*\|\|\s*${LIT}(?![\w"'])`);
  const byFetch = fetch.exec(ruby);
  const byOr = byFetch ? null : or.exec(ruby);
  const lit = byFetch ? byFetch[2] : byOr?.[1];
  if (lit === undefined) return null;
  const out = byFetch ? ruby.replace(fetch, "$1)") : ruby.replace(or, "");
  if (fetch.test(out) || or.test(out)) return null;
  // A bare number is Ruby source too: `010` is the Integer 8.
  const number = (t: string) => (/^-?0\d+$/.test(t) ? String(parseInt(t, 8)) : t);
  const text = lit.startsWith('"') ? JSON.parse(lit.replace(/\\#/g, "#")) : lit.startsWith("'") ? lit.slice(1, -1).replace(/\\([\\'])/g, "$1") : number(lit);
  return { ruby: out, text };
}

/** An ENV read's default as the text of a variable; null when it is not a literal (another read). */
function envDefaultText(v: { env: string; default: RValue | null }): string | null {
  if (typeof v.default === "string") return v.default;
  // A Float default is its Ruby text; what reads the variable then types it as the default was.
  if (isFloatValue(v.default)) return v.default.float;
  return v.default === null || !holdsLiteral(v.default) || hasUnknown(v.default) || isEnvRefShape(v.default) ? null : writeFlow(v.default);
}

function hasUnknown(v: RValue): boolean {
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  if (isCarriedErb(o)) return false;
  if (typeof o.unknown === "string" || typeof o.cap === "string") return true;
  if (Array.isArray(o.interp)) return (o.interp as RValue[]).some((p) => typeof p === "object" && p !== null && (hasUnknown(p) || typeof (p as Record<string, unknown>).cap === "string"));
  if (isTaggedValue(v)) return false;
  return Object.values(o as Record<string, RValue>).some(hasUnknown);
}

/** Converts a known value (EnvRefs and Interps included) to what the YAML writer places. */
function toOut(v: RValue): OutValue {
  if (Array.isArray(v)) return v.map(toOut);
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  if (isEnvRefShape(o)) return { erb: o.ruby !== undefined ? `<%= ${erbCode(o.ruby)} %>` : envErb(o.env, o.default) };
  // A bare tag Global's file rendered in the app: the same tag, the same text for YAML to type.
  if (isCarriedErb(o)) return { erb: `<%= ${erbCode(o.erb)} %>` };
  if (Array.isArray(o.interp)) return { erb: `<%= ${interpRuby(o.interp as RValue[])}.to_json %>` };
  if (isTaggedValue(v)) return v;
  const out: { [k: string]: OutValue } = {};
  for (const [k, x] of Object.entries(o as Record<string, RValue>)) setOwn(out, k, toOut(x));
  return plainHash(out);
}

/**
 * An Interp (a quoted ERB tag, or text around tags) is a String to Global; as one Ruby string
 * literal printed through to_json it stays exactly that String, whatever the environment holds
 * (`"012345"` is not retyped as an octal Integer, a `: ` or `#` does not break the YAML).
 */
function interpRuby(parts: RValue[]): string {
  const lit = (t: string) => rubyStringBody(t, { erb: true });
  const body = parts
    .map((p) => {
      if (typeof p === "string") return lit(p);
      if (isEnvRefShape(p)) {
        if (p.ruby !== undefined) return `#{${erbCode(p.ruby)}}`;
        const d = p.default === null ? null : rubyLiteral(p.default);
        const env = rubyString(p.env, { erb: true });
        return `#{${d === null ? `ENV[${env}]` : `ENV.fetch(${env}, ${d})`}}`;
      }
      if (isCarriedErb(p)) return `#{(${erbCode(p.erb)})}`;
      return lit(typeof p === "number" || typeof p === "boolean" ? String(p) : JSON.stringify(p));
    })
    .join("");
  return `"${body}"`;
}

/** The ERB tag reproducing an ENV reference the way Global's file read it. */
export function envErb(name: string, dflt: RValue | null): string {
  const lit = dflt === null ? null : rubyLiteral(dflt);
  const env = rubyString(name, { erb: true });
  return lit === null ? `<%= ENV[${env}] %>` : `<%= ENV.fetch(${env}, ${lit}) %>`;
}

/**
 * `shared:` in config_for files: written only where the app's Rails deep-merges it with the env
 * section as Global did (6.0.4+; src/model/config-for-shared.ts). An unknown version gets none: plain
 * environment sections read the same on every version.
 */
export function supportsSharedSection(version: string | null): boolean {
  return sharedMergeOf(version) === "deep";
}

/** Splits env sections into what all share (deep) and what each adds; null when nothing is shared. */
export function factorShared(sections: OutValue[]): { shared: OutValue; rest: OutValue[] } | null {
  const common = intersect(sections);
  if (common === null || Object.keys(common).length === 0) return null;
  return { shared: common, rest: sections.map((s) => subtract(s, common)) };
}

const isMap = (v: OutValue): v is { [k: string]: OutValue } => typeof v === "object" && v !== null && !Array.isArray(v) && !("erb" in v && Object.keys(v).length === 1 && !isRepoHash(v)) && !isTaggedValue(v as RValue);

function intersect(list: OutValue[]): { [k: string]: OutValue } | null {
  if (!list.every(isMap)) return null;
  const [first, ...others] = list as { [k: string]: OutValue }[];
  const out: { [k: string]: OutValue } = {};
  for (const [k, v] of Object.entries(first)) {
    if (!others.every((o) => Object.hasOwn(o, k))) continue;
    const vs = [v, ...others.map((o) => o[k])];
    if (vs.every(isMap)) {
      const sub = intersect(vs);
      if (sub && Object.keys(sub).length) setOwn(out, k, sub);
    } else if (vs.every((x) => JSON.stringify(x) === JSON.stringify(v))) setOwn(out, k, v);
  }
  return plainHash(out);
}

function subtract(v: OutValue, common: { [k: string]: OutValue }): OutValue {
  if (!isMap(v)) return v;
  const out: { [k: string]: OutValue } = {};
  for (const [k, x] of Object.entries(v)) {
    if (!Object.hasOwn(common, k)) setOwn(out, k, x);
    else if (isMap(x) && isMap(common[k])) {
      const rest = subtract(x, common[k] as { [k: string]: OutValue });
      if (isMap(rest) && Object.keys(rest).length) setOwn(out, k, rest);
    } else if (JSON.stringify(x) !== JSON.stringify(common[k])) setOwn(out, k, x);
  }
  return plainHash(out);
}

/** `config/global/aws.yml` → `aws`; `config/global/services/search.yml` → `services.search`. */
export function namespaceOfTarget(target: string, dir: string): string {
  let rel = target.startsWith(dir + "/") ? target.slice(dir.length + 1) : target.split("/").pop() ?? target;
  rel = rel.replace(/\.ya?ml(\.erb)?$/, "");
  return rel.split("/").join(".");
}

/** Environment variable names for values moved out of the files: unique, never an existing one. */
class EnvNames {
  private used = new Set<string>();
  private byPath = new Map<string, string>();
  constructor(model: AppModel) {
    const visit = (v: unknown) => {
      if (Array.isArray(v)) for (const x of v) visit(x);
      else if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (typeof o.env === "string" && "default" in o) this.used.add(o.env);
        for (const k in o) visit(o[k]);
      }
    };
    // A namespace's sources are files and lines (one per leaf, as many as its values): no ENV read there.
    const g = model.global as unknown as Record<string, unknown> | null;
    if (g)
      for (const k in g) {
        if (k !== "namespaces" || !Array.isArray(g.namespaces)) visit(g[k]);
        else for (const ns of g.namespaces as Record<string, unknown>[]) for (const f in ns) if (f !== "sources") visit(ns[f]);
      }
  }
  take(ns: string, path: string[]): string {
    const key = [ns, ...path].join(".");
    const known = this.byPath.get(key);
    if (known) return known;
    const base = [ns.replace(/\./g, "_"), ...path].join("_").toUpperCase().replace(/[^A-Z0-9_]+/g, "_").replace(/^([0-9])/, "_$1");
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    this.byPath.set(key, name);
    return name;
  }
}

export type { OutValue };
