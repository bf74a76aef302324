// The model as it may be shown: `analyze` (report and --json), MIGRATION.md and every message. The
// emitters need the real values (they carry them to the git-ignored secret env files); a person's
// terminal, a CI log or a committed file must never hold one. Two passes over a copy:
//  1. a string under a key that names a secret (`api_key`, `STRIPE_SECRET_KEY`, a stage variable
//     `slack_webhook_token`, a whenever `env:CRON_TOKEN`, a Global path the analysis classed secret),
//     or whose whole value is shaped like one (src/model/secret-shapes.ts), becomes an Unknown saying so;
//     a string that only contains a secret (a command with a Bearer token, a URL with a password)
//     keeps its text with the secret part cut;
//  2. any other string that contains one of those values (an expression echoed in an Unknown, a
//     value copied to an innocent-looking key) has it cut out.
// The values found are what every other output is checked against: the terminal (scrubbingIo), the
// answers file and the committed generated files (secretLeak).
import type { Io } from "./io.js";
import { looksSecretKey } from "../analyzers/secrets.js";
import { secretEnvEntry, secretEnvName } from "./model/secret-env.js";
import { isCredentialUrl, isEnvRefShape, isPlainHash, looksCredentialHeader, plainHash, railsEnvOf, type AppModel, type RValue, type Source } from "./model.js";
import { cutArgv, cutSecretShapes, SECRET_SHOWN_AS, secretSpans, type SecretShape } from "./model/secret-shapes.js";
import { isProvenanceRecord } from "../analyzers/global/namespaces.js";

const HIDDEN: RValue = { unknown: "secret value (not shown)" };
/**
 * Only values that cannot be ordinary words are cut out of other strings: `secret`, `changeme` or
 * `production` would cut ids, paths and messages apart. A real secret is long and mixes kinds of
 * characters; a word that is someone's password is still hidden where it stands (pass 1).
 */
const scrubbable = (v: string) => v.length >= 8 && (/\d/.test(v) || /[^A-Za-z0-9]/.test(v) || (/[a-z]/.test(v) && /[A-Z]/.test(v)));
/** Fields that name things (ids, files, kinds): never rewritten, whatever they contain. */
const NAMING = new Set(["id", "file", "path", "kind", "class", "name", "target", "template", "env", "version"]);

/**
 * Arrays of words that were one line: a worker's command (`args`), Sidekiq's option words, the
 * arguments of an nginx or Apache directive.
 */
const ARGV_KEYS = new Set(["args", "words"]);

/** The model's own fields about secrets hold names and places, not values. */
const STRUCTURAL = new Set(["secrets", "secretKeys", "secretPaths", "secret", "credentials"]);
/** HTTP headers (nginx `proxy_set_header`) whose value is a credential. */

const secretNameOf = (k: string) =>
  !STRUCTURAL.has(k) &&
  (looksSecretKey(k) || (/^[A-Z0-9_]+$/.test(k) && secretEnvName(k)) || (k.startsWith("env:") && secretEnvName(k.slice(4))) || looksCredentialHeader(k));
/** Keys repeat across the whole model (every stage has the same variable names): each is judged once. */
const secretNames = new Map<string, boolean>();
const secretName = (k: string): boolean => {
  let yes = secretNames.get(k);
  if (yes === undefined) {
    if (secretNames.size >= 100_000) secretNames.clear();
    secretNames.set(k, (yes = secretNameOf(k)));
  }
  return yes;
};
/** isCredentialUrl, without its regex for the many strings that hold no "://". */
const credentialUrl = (v: string) => v.includes("://") && isCredentialUrl(v);

export function redactModel(model: AppModel): AppModel {
  return redaction(model).model;
}

/** A text with every given secret value, and every secret by shape, cut out. */
export function scrubText(text: string, values: string[]): string {
  return cutSecretShapes(cutValues(text, values), SECRET_SHOWN_AS);
}

/** The model as shown and the secret values it held, in one pass. */
export function redaction(model: AppModel): { model: AppModel; values: string[] } {
  let found = new Set<string>();
  // Objects neither pass can change: both walk past them.
  const skipped = new WeakSet<object>();
  let anySkipped = false;
  // Parts redacted by their own rules first (Global values, by their secret paths): the pass over the
  // whole model leaves them as they are. Hiding again under a key that names no secret changes nothing
  // (what a value's shape or a URL password gives away is already cut), so only a secret key there
  // walks them again.
  const settled = new WeakSet<object>();
  let anySettled = false;
  // The model itself is never touched: an object or array with something hidden or cut is rebuilt,
  // one with nothing to hide is shown as it is (shared, not copied: a model of 10,000 stages is
  // mostly such parts, and a copy of it doubled the memory). A path is only kept where a rule reads
  // it: under Global values, as the dotted text the secret paths use.
  const hide = (v: unknown, key: string | null, secretPath: ((path: string) => boolean) | null, path: string): unknown => {
    if (typeof v === "string" || typeof v === "number") {
      if (v === "") return v;
      const secret = (key !== null && secretName(key)) || (secretPath !== null && secretPath(path)) || (typeof v === "string" && credentialUrl(v));
      if (!secret) return key !== null && NAMING.has(key) ? v : cutShapes(String(v), v);
      if (scrubbable(String(v))) found.add(String(v));
      return HIDDEN;
    }
    if (v === null || typeof v !== "object") return v;
    if (anySkipped && skipped.has(v)) return v;
    const secretKey = key !== null && secretName(key);
    if (secretPath === null && !secretKey && anySettled && settled.has(v)) return v;
    const sub = (k: string) => (secretPath === null ? "" : path === "" ? k : `${path}.${k}`);
    if (Array.isArray(v)) {
      // An argv is judged as the line it was, then word by word: a secret split over two words
      // (`--password`, `s3cr3t`) is no secret in either alone (analyzers/workers/init-scripts.ts
      // reads a daemon's the same way).
      const argv = key !== null && ARGV_KEYS.has(key) && v.length > 1 && v.every((x) => typeof x === "string") ? cutArgv(v as string[], SECRET_SHOWN_AS) : null;
      if (argv) for (const part of argv.parts) if (scrubbable(part)) found.add(part);
      const items: unknown[] = argv ? argv.words : v;
      let copy: unknown[] | null = argv ? [] : null;
      for (let i = 0; i < items.length; i++) {
        const x = hide(items[i], key, secretPath, secretPath === null ? "" : sub(String(i)));
        if (copy === null && x !== v[i]) copy = v.slice(0, i);
        if (copy !== null) copy.push(x);
      }
      return copy ?? v;
    }
    const o = v as Record<string, unknown>;
    // References name where a value comes from, not a value: an ENV reference's default (a
    // database.yml read's too) is secret when the variable's name is, or the key holding it.
    // A fact (`{ value, source }`) is named by the key holding it: `env:CRON_TOKEN`, `Authorization`.
    // Whether the default may be shown at all is the one rule of src/model/secret-env.ts (the variable's
    // name, the key it fills, its shape, a user-info): the config.env comment and the report say the same.
    const env = typeof o.env === "string" ? o.env : null;
    let out: Record<string, unknown> | null = null;
    for (const k in o) {
      const was = o[k];
      const x =
        k === "default" && env !== null
          ? hide(was, o.secret === true || secretEnvEntry(env, was, typeof o.key === "string" ? o.key : null) ? "password" : secretName(env) || key === null ? env : key, secretPath, path)
          : hide(was, k === "value" && key !== null && isSourceLike(o.source) ? key : k, secretPath, secretPath === null ? "" : sub(k));
      if (out === null && x !== was) out = copyBefore(o, k);
      if (out !== null) put(out, k, x);
    }
    // An Unknown under a secret key: its expression is the secret's source text.
    const expr = typeof o.unknown === "string" && typeof o.expr === "string" && secretKey;
    const erb = typeof o.unknown === "string" && typeof o.erb === "string" && secretKey;
    // The expression around a hidden default holds it too.
    const ruby = isEnvRefShape(o) && typeof o.ruby === "string" && holdsHidden(out === null ? o.default : out.default);
    if ((expr || erb || ruby) && out === null) out = copyBefore(o, null);
    if (out === null) return o;
    if (expr) out.expr = SECRET_SHOWN_AS;
    if (erb) out.erb = SECRET_SHOWN_AS;
    if (ruby) out.ruby = SECRET_SHOWN_AS;
    // A repo's Hash shaped like a tagged value stays one when shown (analyze --json wraps it).
    return isPlainHash(o) ? plainHash(out) : out;
  };

  // A value shaped like a secret: hidden whole when the secret is all it holds, else the secret part
  // is cut and the rest (a URL's host, a header's scheme, a command) still shown.
  const cutShapes = (text: string, v: string | number): unknown => {
    const spans = secretSpans(text);
    if (!spans.length) return v;
    let rest = "";
    let at = 0;
    for (const sp of spans) {
      const part = text.slice(sp.start, sp.end);
      if (scrubbable(part)) found.add(part);
      rest += text.slice(at, sp.start) + SECRET_SHOWN_AS;
      at = sp.end;
    }
    rest += text.slice(at);
    if (/^["'\s]*$/.test(rest.split(SECRET_SHOWN_AS).join(""))) {
      if (scrubbable(text)) found.add(text);
      return HIDDEN;
    }
    return rest;
  };

  // A namespace's values as an earlier redaction showed them (migrate redacts the analysis, then the
  // model made from it: the same Global values, which are most of a large model): the same copy, and
  // the secrets found in it found again.
  const globalValues = (values: object, secretPaths: string[], redact: () => unknown): unknown => {
    const key = secretPaths.join("\n");
    const done = shownGlobal.get(values);
    if (done && done.key === key) {
      for (const v of done.found) found.add(v);
      return done.shown;
    }
    const outer = found;
    found = new Set();
    let shown: unknown;
    try {
      shown = redact();
    } finally {
      const mine = found;
      found = outer;
      for (const v of mine) found.add(v);
      shownGlobal.set(values, { key, shown: shown!, found: [...mine] });
    }
    return shown;
  };
  // Global's provenance records (only `file`/`line` pairs, by construction) hold no value to hide: a
  // file name is never rewritten, a line is a number no secret shape matches. A large namespace has
  // one pair per leaf; a record not made by the analyzer (a model from elsewhere) is walked as before.
  const inert = <T extends object>(sources: T): T => {
    if (isProvenanceRecord(sources)) skipped.add(sources), (anySkipped = true);
    return sources;
  };

  const settle = (v: unknown): unknown => {
    // HIDDEN itself is shared: the pass over the whole model copies it as it always did.
    if (typeof v === "object" && v !== null && v !== HIDDEN) settled.add(v), (anySettled = true);
    return v;
  };
  // Stage variables: the variable's own name counts as the key of its value (the pass over the whole
  // model gives it that key: a fact is named by the key holding it). The default of a hidden `ask`
  // is a secret written in the deploy config.
  const stages = model.stages.map((st) => {
    if (!st.asked) return st;
    const asked = st.asked.map((a) => ({ ...a, default: hide(a.default, a.echo === false ? "password" : a.name, null, "") as RValue }));
    return { ...st, asked };
  });
  // Global: the paths the analysis classed secret (by its rules or the file's own), per env (the
  // first segment of a path under `values` is the env, which the secret paths leave out).
  const global = model.global && {
    ...model.global,
    namespaces: model.global.namespaces.map((ns) => {
      const paths = new Set(ns.secretPaths ?? []);
      const secretPath = (p: string) => {
        const dot = p.indexOf(".");
        return dot >= 0 && paths.has(p.slice(dot + 1));
      };
      return { ...ns, values: settle(globalValues(ns.values, ns.secretPaths ?? [], () => hide(ns.values, null, paths.size ? secretPath : null, ""))) as typeof ns.values, sources: inert(ns.sources) };
    }),
  };
  const first = hide({ ...model, stages, ...(model.global ? { global } : {}) }, null, null, "") as AppModel;
  const values = [...found].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return { model: values.length ? (scrub(first, values, anySkipped ? skipped : null) as AppModel) : first, values };
}

/** Each model's Global values as shown, by the values object (the analysis' and the model made from it share it). */
const shownGlobal = new WeakMap<object, { key: string; shown: unknown; found: string[] }>();


/** A new object with the keys of `o` before `stop` (all of them when null), in order. */
function copyBefore(o: Record<string, unknown>, stop: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const j in o) {
    if (j === stop) break;
    put(out, j, o[j]);
  }
  return out;
}

/** An own enumerable property, `__proto__` included (as a key of the model, not the prototype). */
function put(out: Record<string, unknown>, k: string, x: unknown) {
  if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  else out[k] = x;
}

/** The known values cut out of every string; what holds none is kept as it is (shared). */
function scrub(v: unknown, secrets: string[], skipped: WeakSet<object> | null = null): unknown {
  if (typeof v === "string") return cutValues(v, secrets);
  if (v === null || typeof v !== "object") return v;
  if (skipped !== null && skipped.has(v)) return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const x = scrub(v[i], secrets, skipped);
      if (copy === null && x !== v[i]) copy = v.slice(0, i);
      if (copy !== null) copy.push(x);
    }
    return copy ?? v;
  }
  const o = v as Record<string, unknown>;
  const entries = Object.entries(o);
  let changed = false;
  for (const e of entries) {
    if (NAMING.has(e[0])) continue;
    const x = scrub(e[1], secrets, skipped);
    if (x !== e[1]) (changed = true), (e[1] = x);
  }
  return changed ? (isPlainHash(o) ? plainHash(Object.fromEntries(entries)) : Object.fromEntries(entries)) : o;
}

/** Whether a redacted value hides something, at any depth. */
function holdsHidden(v: unknown): boolean {
  if (v === HIDDEN) return true;
  if (Array.isArray(v)) return v.some(holdsHidden);
  return v !== null && typeof v === "object" && Object.values(v).some(holdsHidden);
}

/** Known values cut out of a text, longest first (a value inside another is cut with it). */
function cutValues(text: string, values: string[]): string {
  let out = text;
  for (const x of values) if (out.includes(x)) out = out.split(x).join(SECRET_SHOWN_AS);
  return out;
}

// --- the terminal ------------------------------------------------------------------------------------

/** An Io that cuts secrets out of every write: shapes always, the model's known values once learnt. */
export interface ScrubbingIo extends Io {
  /** Values to cut from now on (the model's secrets once analyzed, a secret answer once typed). */
  learn(values: string[]): void;
  /** The same cut, for text that reaches the terminal another way (through the pager). */
  scrub(text: string): string;
}

export function scrubbingIo(io: Io): ScrubbingIo {
  const known: string[] = [];
  const clean = (s: string) => scrubText(s, known);
  return {
    out: (s) => io.out(clean(s)),
    err: (s) => io.err(clean(s)),
    color: io.color,
    scrub: clean,
    learn(values) {
      for (const v of values) if (v !== "" && !known.includes(v)) known.push(v);
      known.sort((a, b) => b.length - a.length);
    },
  };
}

// --- committed output ----------------------------------------------------------------------------------

export interface SecretLeak {
  /** The generated file and the line holding the value. */
  path: string;
  line: number;
  /** What it is: a shape's name, or "a secret value of the repo". */
  what: SecretShape | "secret value";
  /** Where the value came from in the repo, when the model says. */
  from: Source | null;
}

/**
 * The first secret a committed (non-secret) file would hold: a known value of the model, or any
 * value shaped like a secret. Null when the files are clean.
 */
export function secretLeak(files: { path: string; content: string }[], model: AppModel, values: string[], answers?: { file: string; values: Record<string, unknown> }): SecretLeak | null {
  const committed = undeployedValues(model);
  // A multi-line value is written escaped (YAML's double-quoted `\n`, as JSON writes it).
  const committedText = committed.flatMap((c) => [c, JSON.stringify(c)]);
  const already = (needle: string) => committedText.some((c) => c.includes(needle));
  for (const f of files) {
    let hit: { at: number; needle: string; what: SecretLeak["what"] } | null = null;
    for (const v of values) {
      const at = f.content.indexOf(v);
      if (at >= 0 && (hit === null || at < hit.at) && !already(v)) hit = { at, needle: v, what: "secret value" };
    }
    const span = secretSpans(f.content).find((sp) => !already(f.content.slice(sp.start, sp.end)));
    if (span && (hit === null || span.start < hit.at)) hit = { at: span.start, needle: f.content.slice(span.start, span.end), what: span.shape };
    if (!hit) continue;
    const needle = hit.needle;
    const answered = answers && Object.values(answers.values).some((v) => JSON.stringify(v ?? null).includes(JSON.stringify(needle).slice(1, -1)));
    return { path: f.path, line: f.content.slice(0, hit.at).split("\n").length, what: hit.what, from: whereFrom(model, needle) ?? (answered ? { file: answers.file, line: 0 } : null) };
  }
  return null;
}

/**
 * What the repo's Global files commit for environments no stage deploys (development, test): the
 * rails-config emitter writes those sections as the repo holds them (laptops and the test suite run
 * them), so a value there is already in a tracked file and copying it leaks nothing new.
 */
function undeployedValues(model: AppModel): string[] {
  const deployed = new Set(model.stages.map(railsEnvOf));
  const out: string[] = [];
  const leaves = (v: unknown, depth: number): void => {
    if (typeof v === "string" || typeof v === "number") out.push(String(v));
    else if (v !== null && typeof v === "object" && depth < 100) for (const x of Object.values(v)) leaves(x, depth + 1);
  };
  for (const ns of model.global?.namespaces ?? []) for (const [env, v] of Object.entries(ns.values)) if (!deployed.has(env)) leaves(v, 0);
  return out.filter((x) => x.length >= 8);
}

/** The source of the first fact of the model whose text holds the value (nearest enclosing source). */
export function whereFrom(model: AppModel, needle: string): Source | null {
  const seen = new Set<object>();
  const walk = (v: unknown, src: Source | null, depth: number): Source | null => {
    if (typeof v === "string") return v.includes(needle) ? src : null;
    if (v === null || typeof v !== "object" || depth > 200 || seen.has(v)) return null;
    seen.add(v);
    const o = v as Record<string, unknown>;
    const here = isSourceLike(o.source) ? (o.source as Source) : Array.isArray(o.files) && typeof o.files[0] === "string" ? { file: o.files[0], line: 0 } : src;
    for (const k in o) {
      if (k === "source" || k === "secrets") continue;
      const r = walk(o[k], here, depth + 1);
      if (r) return r;
    }
    return null;
  };
  return walk(model, null, 0);
}

const isSourceLike = (s: unknown): boolean => typeof s === "object" && s !== null && typeof (s as Source).file === "string" && typeof (s as Source).line === "number";
