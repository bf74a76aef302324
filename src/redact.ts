// The model as it may be shown: `analyze` (report and --json), MIGRATION.md and every message. The
// emitters need the real values (they carry them to the git-ignored secret env files); a person's
// terminal, a CI log or a committed file must never hold one. Two passes over a copy:
//  1. a string under a key that names a secret (`api_key`, `STRIPE_SECRET_KEY`, a stage variable
//     `slack_webhook_token`, a Global path the analysis classed secret) becomes an Unknown saying so;
//  2. any other string that contains one of those values (an expression echoed in an Unknown, a
//     value copied to an innocent-looking key) has it cut out.
import { looksSecretEnv, looksSecretKey } from "../analyzers/secrets.js";
import type { AppModel, RValue } from "./model.js";

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

/** A text with every given secret value cut out. */
export function scrubText(text: string, values: string[]): string {
  return scrub(text, values) as string;
}

function redact(model: AppModel): { model: AppModel; values: string[] } {
  const found = new Set<string>();
  const hide = (v: unknown, key: string | null, secretPath: (path: string[]) => boolean, path: string[]): unknown => {
    if (typeof v === "string" || typeof v === "number") {
      const secret = (key !== null && secretName(key)) || secretPath(path);
      if (!secret || v === "") return v;
      if (scrubbable(String(v))) found.add(String(v));
      return HIDDEN;
    }
    if (Array.isArray(v)) return v.map((x, i) => hide(x, key, secretPath, [...path, String(i)]));
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    // References name where a value comes from; they are not values.
    if (typeof o.env === "string" && "default" in o && Object.keys(o).length === 2) return { env: o.env, default: hide(o.default, o.env, secretPath, path) };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, hide(x, k, secretPath, [...path, k])]));
  };
  const none = () => false;

  const copy = structuredClone(model);
  // Stage variables: the variable's own name counts as the key of its value.
  for (const st of copy.stages) {
    for (const [name, fact] of Object.entries(st.variables)) fact.value = hide(fact.value, name, none, []) as RValue;
    // The default of a hidden `ask` is a secret written in the deploy config.
    for (const a of st.asked ?? []) a.default = hide(a.default, a.echo === false ? "password" : a.name, none, []) as RValue;
  }
  // Global: the paths the analysis classed secret (by its rules or the file's own), per env.
  for (const ns of copy.global?.namespaces ?? []) {
    const paths = new Set(ns.secretPaths ?? []);
    ns.values = hide(ns.values, null, (p) => paths.has(p.slice(1).join(".")), []) as typeof ns.values;
  }
  const first = hide(copy, null, none, []) as AppModel;
  const values = [...found].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return { model: values.length ? (scrub(first, values) as AppModel) : first, values };
}

function scrub(v: unknown, secrets: string[]): unknown {
  if (typeof v === "string") return secrets.reduce((s, x) => (s.includes(x) ? s.split(x).join(SECRET_SHOWN_AS) : s), v);
  if (Array.isArray(v)) return v.map((x) => scrub(x, secrets));
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, NAMING.has(k) ? x : scrub(x, secrets)]));
}
