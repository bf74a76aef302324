// The model as it may be shown: `analyze` (report and --json), MIGRATION.md and every message. The
// emitters need the real values (they carry them to the git-ignored secret env files); a person's
// terminal, a CI log or a committed file must never hold one. Two passes over a copy:
//  1. a string under a key that names a secret (`api_key`, `STRIPE_SECRET_KEY`, a stage variable
//     `slack_webhook_token`, a Global path the analysis classed secret) becomes an Unknown saying so;
//  2. any other string that contains one of those values (an expression echoed in an Unknown, a
//     value copied to an innocent-looking key) has it cut out.
import { looksSecretEnv, looksSecretKey } from "../analyzers/secrets.js";
import { isCredentialUrl, isEnvRefShape, type AppModel, type RValue } from "./model.js";

export const SECRET_SHOWN_AS = "[secret]";
const HIDDEN: RValue = { unknown: "secret value (not shown)" };
/**
 * Only values that cannot be ordinary words are cut out of other strings: `secret`, `changeme` or
 * `production` would cut ids, paths and messages apart. A real secret is long and mixes kinds of
 * characters; a word that is someone's password is still hidden where it stands (pass 1).
 */
const scrubbable = (v: string) => v.length >= 8 && (/\d/.test(v) || /[^A-Za-z0-9]/.test(v) || (/[a-z]/.test(v) && /[A-Z]/.test(v)));
/** Fields that name things (ids, files, kinds): never rewritten, whatever they contain. */
const NAMING = new Set(["id", "file", "path", "kind", "class", "name", "target", "template", "env", "version"]);

/** The model's own fields about secrets hold names and places, not values. */
const STRUCTURAL = new Set(["secrets", "secretKeys", "secretPaths", "secret", "credentials"]);

const secretName = (k: string) => !STRUCTURAL.has(k) && (looksSecretKey(k) || (/^[A-Z0-9_]+$/.test(k) && looksSecretEnv(k)));

export function redactModel(model: AppModel): AppModel {
  return redact(model).model;
}

/** The secret values the model holds (longest first), to cut out of any text made from it. */
export function secretValues(model: AppModel): string[] {
  return redact(model).values;
}

/** Both at once: one pass over the model where a caller needs the shown model and the values. */
export function redactWithValues(model: AppModel): { model: AppModel; values: string[] } {
  return redact(model);
}

/** A text with every given secret value cut out. */
export function scrubText(text: string, values: string[]): string {
  return scrub(text, values) as string;
}

function redact(model: AppModel): { model: AppModel; values: string[] } {
  const found = new Set<string>();
  // Every object and array is rebuilt (the model itself is never touched). A path is only kept where
  // a rule reads it: under Global values, as the dotted text the secret paths use.
  const hide = (v: unknown, key: string | null, secretPath: ((path: string) => boolean) | null, path: string): unknown => {
    if (typeof v === "string" || typeof v === "number") {
      const secret = (key !== null && secretName(key)) || (secretPath !== null && secretPath(path)) || isCredentialUrl(v);
      if (!secret || v === "") return v;
      if (scrubbable(String(v))) found.add(String(v));
      return HIDDEN;
    }
    const sub = (k: string) => (secretPath === null ? "" : path === "" ? k : `${path}.${k}`);
    if (Array.isArray(v)) return v.map((x, i) => hide(x, key, secretPath, sub(String(i))));
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    // References name where a value comes from, not a value: an ENV reference's default (a
    // database.yml read's too) is secret when the variable's name is, or the key holding it.
    const keyOf = (k: string) => (k === "default" && typeof o.env === "string" ? (o.secret === true ? "password" : secretName(o.env) || key === null ? o.env : key) : k);
    const out: Record<string, unknown> = {};
    for (const k in o) {
      const x = hide(o[k], keyOf(k), secretPath, k === "default" && typeof o.env === "string" ? path : sub(k));
      if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
      else out[k] = x;
    }
    // An Unknown under a secret key: its expression is the secret's source text.
    if (typeof o.unknown === "string" && typeof o.expr === "string" && key !== null && secretName(key)) out.expr = SECRET_SHOWN_AS;
    // The expression around a hidden default holds it too.
    if (isEnvRefShape(o) && typeof o.ruby === "string" && holdsHidden(out.default)) out.ruby = SECRET_SHOWN_AS;
    return out;
  };

  // Stage variables: the variable's own name counts as the key of its value; the default of a
  // hidden `ask` is a secret written in the deploy config.
  const stages = model.stages.map((st) => {
    const variables: typeof st.variables = {};
    for (const [name, fact] of Object.entries(st.variables)) variables[name] = { ...fact, value: hide(fact.value, name, null, "") as RValue };
    const asked = st.asked?.map((a) => ({ ...a, default: hide(a.default, a.echo === false ? "password" : a.name, null, "") as RValue }));
    return { ...st, variables, ...(st.asked ? { asked } : {}) };
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
      return { ...ns, values: hide(ns.values, null, paths.size ? secretPath : null, "") as typeof ns.values };
    }),
  };
  const first = hide({ ...model, stages, ...(model.global ? { global } : {}) }, null, null, "") as AppModel;
  const values = [...found].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return { model: values.length ? (scrub(first, values) as AppModel) : first, values };
}

function scrub(v: unknown, secrets: string[]): unknown {
  if (typeof v === "string") return secrets.reduce((s, x) => (s.includes(x) ? s.split(x).join(SECRET_SHOWN_AS) : s), v);
  if (Array.isArray(v)) return v.map((x) => scrub(x, secrets));
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, NAMING.has(k) ? x : scrub(x, secrets)]));
}

/** Whether a redacted value hides something, at any depth. */
function holdsHidden(v: unknown): boolean {
  if (v === HIDDEN) return true;
  if (Array.isArray(v)) return v.some(holdsHidden);
  return v !== null && typeof v === "object" && Object.values(v).some(holdsHidden);
}
