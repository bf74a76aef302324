// From Global's whole configuration (per environment) to the model's namespaces: one per file or
// directory of config/global (and per top-level key of a sibling config/global.yml). A nested
// directory is its own namespace (`services.search`), and its parent's value leaves its keys out;
// deep-merging the children back into the parents gives Global's configuration exactly.
import type { RValue, Source } from "../../src/model.js";
import { RubyHash, isRubyHash, keyString, rubyToValue, setKey, type RubyVal } from "../ruby/yaml.js";
import { isHash } from "../ruby/evaluate.js";
import { looksSecretValue } from "../secrets.js";
import { secretByKeyName } from "../../src/model.js";

export interface NamespaceSlice {
  name: string;
  /** The namespace's value, String keys (with_indifferent_access), child namespaces left out. */
  value: RValue;
  /** Leaf path → where its value was written. */
  sources: Record<string, Source>;
  /** Files whose entries make up the value. */
  files: Set<string>;
}

/**
 * Splits one environment's configuration. `childrenOf(name)` lists the nested namespaces of a
 * namespace (its directory's entries, as Global names them); `ownFiles(name)` the files that
 * define it. A directory with no file of its own shows only through its children, unless it has
 * none: then it is an empty namespace, as in Global.
 */
export function sliceNamespaces(config: RubyHash, childrenOf: (name: string) => string[], ownFiles: (name: string) => string[], siblingFile: string): NamespaceSlice[] {
  const out: NamespaceSlice[] = [];
  const visit = (name: string, value: RubyVal, fromSibling = false) => {
    const children = isRubyHash(value) ? childrenOf(name).filter((c) => findEntry(value, c)) : [];
    const own = isRubyHash(value) ? without(value, children) : value;
    const sources: Record<string, Source> = {};
    const files = new Set<string>([...(fromSibling ? [siblingFile] : []), ...ownFiles(name)]);
    collectSources(own, "", sources, files);
    const empty = isRubyHash(own) && own.entries.size === 0;
    if (!empty || children.length === 0 || files.size > 0) out.push({ name, value: rubyToValue(own), sources, files });
    for (const c of children) visit(`${name}.${c}`, findEntry(value as RubyHash, c)!.value);
  };
  // A top-level key first written by the sibling config/global.yml keeps that entry (deep_merge).
  for (const e of config.entries.values()) visit(keyString(e.key, e.floatKey), e.value, e.file === siblingFile);
  return out;
}

/** The entry a String key reads after with_indifferent_access (the last of a Symbol/String pair). */
function findEntry(h: RubyHash, key: string) {
  let found;
  for (const e of h.entries.values()) if (keyString(e.key, e.floatKey) === key) found = e;
  return found;
}

function without(h: RubyHash, keys: string[]): RubyHash {
  if (!keys.length) return h;
  const out = new RubyHash();
  for (const [id, e] of h.entries) if (!keys.includes(keyString(e.key, e.floatKey))) out.entries.set(id, e);
  return out;
}

function collectSources(v: RubyVal, prefix: string, sources: Record<string, Source>, files: Set<string>): void {
  if (!isRubyHash(v)) return;
  for (const e of v.entries.values()) {
    const key = keyString(e.key, e.floatKey);
    const p = prefix ? `${prefix}.${key}` : key;
    if (e.file) files.add(e.file);
    if (isRubyHash(e.value) && e.value.entries.size > 0) collectSources(e.value, p, sources, files);
    else if (e.file) setKey(sources as never, p, { file: e.file, line: e.line } as never);
  }
}

/**
 * The sources records made here: every value a `{ file, line }` pair of a string and a number, made
 * by collectSources (the only writer, with addSources/firstSources moving such pairs between them).
 * Redaction walks past them (nothing there to hide) without enumerating a key per leaf to check.
 */
const provenanceRecords = new WeakSet<object>();
export const markProvenance = (sources: Record<string, Source>): void => void provenanceRecords.add(sources);
export const isProvenanceRecord = (v: unknown): boolean => typeof v === "object" && v !== null && provenanceRecords.has(v);

/** Merges the sources of another environment: a leaf keeps the first place found. */
export function addSources(into: Record<string, Source>, more: Record<string, Source>): void {
  for (const k in more) if (!Object.hasOwn(into, k)) setKey(into as never, k, more[k] as never);
}

/**
 * The sources of a namespace's first environment: `more` itself when nothing was collected yet (a
 * copy of a large tree's one entry per leaf cost as much as collecting them). A path named like a
 * property every object has (`constructor`, `__proto__`) is an own key like any other.
 */
export function firstSources(into: Record<string, Source>, more: Record<string, Source>): Record<string, Source> {
  for (const _ in into) return addSources(into, more), into;
  return more;
}

/**
 * Dotted leaf paths whose value is written in the file (not ENV) and is a secret: by its key's name
 * (not a count, a duration or a flag: src/model.ts secretByKeyName), or by its own shape (a webhook under `notify`, a token under `misc`).
 */
export function secretLeaves(value: RValue): string[] {
  const out: string[] = [];
  // The keys down to the current value: a dotted path is made only for a leaf reported (a large
  // namespace has hundreds of thousands of leaves, and few secrets).
  const keys: string[] = [];
  const walk = (v: RValue, key: string | null) => {
    if (isHash(v)) {
      for (const k of Object.keys(v)) {
        keys.push(k);
        walk(v[k], k);
        keys.pop();
      }
      return;
    }
    if (key !== null && (secretByKeyName(key, v) || shapedSecret(v)) && isLiteral(v)) out.push(keys.join("."));
  };
  walk(value, null);
  return out;
}

const shapedSecret = (v: RValue): boolean => (Array.isArray(v) ? v.some(shapedSecret) : looksSecretValue(v));

function isLiteral(v: RValue): boolean {
  if (typeof v === "string") return v !== "";
  if (typeof v === "number") return true;
  if (Array.isArray(v)) return v.length > 0 && v.every(isLiteral);
  return false;
}
