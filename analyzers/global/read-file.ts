// One Global YAML file as the app reads it: ERB first (`ERB.new(File.read(f)).result`, no trim
// mode, no Capistrano binding — or, for a template Capistrano renders, the stage's variables),
// then YAML by Psych's rules; ERB values the analysis cannot know come back as EnvRef / Unknown
// values where the tags were. Each Hash entry remembers its file, for provenance.
import type { AnalyzerContext, RValue } from "../../src/model.js";
import { renderErb, restoreString, TOKEN_RE } from "../ruby/erb.js";
import type { Scope } from "../ruby/evaluate.js";
import { isEnvRef, isInterp } from "../ruby/evaluate.js";
import { loadRubyYaml, isRubyHash, type RubyVal } from "../ruby/yaml.js";
import { lastAtOrBefore } from "../ruby/line-index.js";
import { perItem } from "../per-item.js";

export interface GlobalFile {
  file: string;
  /** The loaded document (keys typed), or null when Global would raise on it. */
  ruby: RubyVal;
  /** Why Global raises on this file (YAML error, ERB syntax, ...); null when it loads. */
  raises: string | null;
  /** The line Global raises at (a YAML error's, a raising ERB tag's). */
  raisesLine?: number;
  /** Not read for a reason of ours (size limit, I/O), not one Ruby shares: whether Global raises is not known. */
  unread?: true;
  /** ENV names read by ERB tags (rendered on the deploying machine for Capistrano templates). */
  envReads: { name: string; line: number }[];
}

export interface ReadOptions {
  /** The Scope of the ERB tags: `{}` for Global's own rendering, a stage's for Capistrano templates. */
  scope: Scope;
  /** Capistrano templates are rendered with `trim_mode: "-"` by the usual tasks; Global never trims. */
  trims: boolean;
}

/** One Global file; an exception reading it costs that file alone (unread: whether Global raises on it is not known). */
export function readGlobalFile(ctx: AnalyzerContext, file: string, opts: ReadOptions): GlobalFile {
  return perItem(ctx, { file }, "this Global file", { file, ruby: null, raises: "not read (internal error)", raisesLine: 1, unread: true, envReads: [] }, () => readGlobalFileUnguarded(ctx, file, opts));
}

function readGlobalFileUnguarded(ctx: AnalyzerContext, file: string, opts: ReadOptions): GlobalFile {
  const r = ctx.repo.read(file);
  if ("error" in r) {
    ctx.problem({ file, line: 0, message: r.error, severity: "error" });
    // Psych raises on NUL bytes and invalid UTF-8 as surely as we refuse them; a size limit is ours.
    return { file, ruby: null, raises: r.error, raisesLine: 1, envReads: [], ...(r.invalid ? {} : { unread: true as const }) };
  }
  return parseGlobalText(ctx, file, r.text, opts);
}

export function parseGlobalText(ctx: AnalyzerContext, file: string, text: string, opts: ReadOptions): GlobalFile {
  if (!opts.trims) {
    const trimmed = /-%>/.exec(text);
    if (trimmed) {
      const line = text.slice(0, trimmed.index).split("\n").length;
      const message = "Global renders ERB without a trim mode: `-%>` is a Ruby syntax error there, so this file does not load";
      ctx.problem({ file, line, message, severity: "error" });
      return { file, ruby: null, raises: message, raisesLine: line, envReads: [] };
    }
  }
  const rendered = renderErb(file, text, opts.scope, ctx.problem);
  if (rendered.raises.length) {
    const r = rendered.raises[0];
    return { file, ruby: null, raises: r.why, raisesLine: r.line, envReads: [] };
  }
  if (rendered.logic.length) {
    ctx.problem({ file, line: rendered.logic[0].line, message: "ERB code tags (<% %>): read as if every branch rendered, which may differ from what the servers load", severity: "warning" });
  }
  const y = loadRubyYaml(rendered.output);
  if (y.errors.length) {
    for (const e of y.errors.slice(0, 3)) ctx.problem({ file, line: e.line, message: `YAML: ${e.message}`, severity: "error" });
    return { file, ruby: null, raises: `YAML: ${y.errors[0].message}`, raisesLine: y.errors[0].line, envReads: [] };
  }
  const names = new Set<string>();
  for (const v of rendered.refs.values()) collectEnv(v, (name) => names.add(name));
  const envReads = envReadLines(text, names);
  const quoted = rendered.refs.size ? quotedTokens(rendered.output, rendered.refs) : new Set<string>();
  return { file, ruby: restoreAndStamp(y.ruby, rendered.refs, file, new Set(), quoted), raises: null, envReads };
}

/**
 * Tokens written inside a quoted YAML scalar (`key: "<%= ENV['X'] %>"`): Psych reads what the tag
 * printed as a String there, whatever it looks like ("012345" stays text), while a bare tag's
 * output is typed by YAML's rules ("012345" is the octal Integer 5349). The quote count before the
 * token on its line tells which (quoted scalars spanning lines are not followed).
 */
function quotedTokens(output: string, refs: Map<string, RValue>): Set<string> {
  const out = new Set<string>();
  // One pass over the output for every token where it stands (a 2 MB file has thousands of tags: a
  // search for each token grew with their product); a token's first place on a line is the one judged.
  const judged = new Map<string, number>();
  for (const m of output.matchAll(TOKEN_RE)) {
    const token = m[0];
    if (!refs.has(token)) continue;
    const start = output.lastIndexOf("\n", m.index) + 1;
    if (judged.get(token) === start) continue;
    judged.set(token, start);
    const before = output.slice(start, m.index);
    const doubles = (before.replace(/\\./g, "").match(/"/g) ?? []).length;
    const singles = (before.replace(/''/g, "").match(/'/g) ?? []).length;
    if (doubles % 2 === 1 || singles % 2 === 1) out.add(token);
  }
  return out;
}

/**
 * The line of each ENV name read: the first line that mentions ENV and the name. Searched in the
 * ENV lines joined, once per name, rather than line by line for every name.
 */
function envReadLines(text: string, names: Set<string>): { name: string; line: number }[] {
  if (!names.size) return [];
  const envLines: number[] = [];
  const kept: string[] = [];
  text.split("\n").forEach((l, i) => {
    if (l.includes("ENV")) envLines.push(i + 1), kept.push(l);
  });
  const joined = kept.join("\n");
  // Where each kept line starts in `joined`, to map a match back to its line.
  const starts: number[] = [];
  for (let i = 0, at = 0; i < kept.length; at += kept[i].length + 1, i++) starts.push(at);
  return [...names].map((name) => {
    const at = !kept.length || name.includes("\n") ? -1 : joined.indexOf(name);
    if (at < 0) return { name, line: 1 };
    return { name, line: envLines[lastAtOrBefore(starts, at)] };
  });
}

function collectEnv(v: RValue, add: (name: string) => void): void {
  if (isEnvRef(v)) {
    add(v.env);
    if (v.default !== null) collectEnv(v.default, add);
  } else if (isInterp(v)) v.interp.forEach((p) => collectEnv(p, add));
}

/**
 * Puts ERB values back in place of their tokens and stamps every entry with its file, in place: the
 * value was just loaded for this file alone (entries an alias shares belong to the same file).
 */
function restoreAndStamp(v: RubyVal, refs: Map<string, RValue>, file: string, seen: Set<object>, quoted: Set<string>): RubyVal {
  if (typeof v === "string") {
    if (!refs.size) return v;
    const r = restoreString(v, refs);
    // A quoted tag alone in its scalar is a String: the Interp says so (a bare EnvRef is YAML-typed).
    return (quoted.has(v) && isEnvRef(r) ? { interp: [r] } : r) as RubyVal;
  }
  if (Array.isArray(v)) {
    if (seen.has(v)) return v;
    seen.add(v);
    for (let i = 0; i < v.length; i++) v[i] = restoreAndStamp(v[i], refs, file, seen, quoted);
    return v;
  }
  if (isRubyHash(v)) {
    if (seen.has(v)) return v;
    seen.add(v);
    for (const e of v.entries.values()) {
      e.value = restoreAndStamp(e.value, refs, file, seen, quoted);
      e.file ??= file;
    }
    return v;
  }
  return v;
}
