// Rendering the app server's values as Ruby for the container configs: today's value stays the
// default, and the pod's environment (WEB_CONCURRENCY...) can change it without a new image.
import type { AppServerConfig, Fact, RValue } from "../../src/model.js";
import { isPlaceholderNumber } from "../app-server.js";
import { rubyCommentValue, rubyInteger, rubyString } from "../encode/ruby.js";

function isEnvRef(v: RValue | undefined): v is { env: string; default: RValue } {
  return !!v && typeof v === "object" && !Array.isArray(v) && "env" in v && typeof (v as { env: unknown }).env === "string";
}

/** A whole number's text, checked: it is written as Ruby code. */
function scalarText(v: RValue): string | null {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? String(v) : null;
  if (typeof v === "string" && /^\d+$/.test(v.trim())) return v.trim();
  return null;
}

export interface RubyInt {
  /** The Ruby expression. */
  expr: string;
  /** The default it falls back to (for comments and tests). */
  value: number;
  /** True when the app's value could not be read (the emitter notes it). */
  unread: boolean;
}

/** `Integer(ENV.fetch("NAME", "default"))`, every part a Ruby literal. */
const envInt = (name: string, dflt: string) => `Integer(ENV.fetch(${rubyString(name)}, ${rubyString(dflt)}))`;

/**
 * An integer setting read from ENV `name`, with today's value as the default. When the app itself
 * read another ENV name, that name still works (and wins over today's default).
 */
export function intFromEnv(name: string, fact: Fact<RValue> | null, fallback: number): RubyInt {
  const v = fact?.value;
  if (v === undefined || v === null) return { expr: envInt(name, String(fallback)), value: fallback, unread: false };
  const lit = scalarText(v);
  if (lit !== null) return { expr: envInt(name, lit), value: Number(lit), unread: false };
  if (isEnvRef(v)) {
    const d = v.default === null ? null : scalarText(v.default);
    const def = d ?? String(fallback);
    if (v.env === name) return { expr: envInt(name, def), value: Number(def), unread: false };
    return { expr: `Integer(ENV.fetch(${rubyString(name)}) { ENV.fetch(${rubyString(v.env)}, ${rubyString(def)}) })`, value: Number(def), unread: false };
  }
  return { expr: envInt(name, String(fallback)), value: fallback, unread: true };
}

/** A whole number written literally (or an ENV read with a literal default). */
export function literalInt(fact: Fact<RValue> | null, fallback: number): RubyInt {
  const v = fact?.value;
  if (v === undefined || v === null) return { expr: rubyInteger(fallback), value: fallback, unread: false };
  const lit = scalarText(v);
  if (lit !== null) return { expr: lit, value: Number(lit), unread: false };
  if (isEnvRef(v)) {
    const d = v.default === null ? null : scalarText(v.default);
    return { expr: envInt(v.env, d ?? String(fallback)), value: Number(d ?? fallback), unread: false };
  }
  return { expr: rubyInteger(fallback), value: fallback, unread: true };
}

/** A boolean setting: true/false as written; anything else is unread. */
export function boolOf(fact: Fact<RValue> | null, fallback: boolean): { value: boolean; unread: boolean } {
  const v = fact?.value;
  if (typeof v === "boolean") return { value: v, unread: false };
  if (v === undefined || v === null) return { value: fallback, unread: false };
  return { value: fallback, unread: true };
}

/** Text of a value for notes. */
export function show(v: RValue): string {
  if (v === null) return "nil";
  if (typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if ("env" in v) return `ENV[${JSON.stringify((v as { env: string }).env)}]`;
  if ("unknown" in v) return String((v as { expr?: string }).expr ?? (v as { unknown: string }).unknown);
  return JSON.stringify(v);
}

/**
 * A comment over the numbers when some are placeholders (the config that held them is only on the
 * servers): the file then says itself that they are to be filled in, not only MIGRATION.md. "" otherwise.
 */
export function answeredNumbersComment(server: AppServerConfig | null): string {
  if (!server) return "";
  const names = server.kind === "puma" ? { workers: "workers", threads: "threads", timeout: "worker_timeout" } : { workers: "worker_processes", threads: "", timeout: "timeout" };
  const held = (["workers", "threads", "timeout"] as const).filter((k) => isPlaceholderNumber(server[k]));
  if (!held.length) return "";
  return `# PLACEHOLDERS: ${held.map((k) => names[k]).join(", ")} below ${held.length === 1 ? "is" : "are"} ${server.kind === "puma" ? "Puma" : "Unicorn"}'s default${held.length === 1 ? "" : "s"}, standing in for\n# the number${held.length === 1 ? "" : "s"} the servers ran from ${rubyCommentValue(server.file)}, not readable from the repo: answer the stage.<stage>.web.*\n# questions in .rails2k8s.yml and run rails2k8s migrate again (MIGRATION.md lists them).\n`;
}
