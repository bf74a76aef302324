// How one Rails environment's Mongoid connection is said, in one place for the report's hazard, each
// overlay's secrets.env comment and MIGRATION.md: per client, the ENV names its ERB reads (to fill
// in, never guessed) and the values written in the file, each with file:line. Each repo value goes
// through the caller's encoder; a password was cut by the analyzer (analyzers/rails/mongoid.ts) and
// is only said to be not shown.
import type { MongoidFacts, MongoidSection } from "../model.js";
import { PASSWORD_NOT_SHOWN, type WordsEncoding } from "./servers-database.js";

/** The section of `railsEnv` in config/mongoid.yml, when the repo holds the file. */
export function mongoidSection(m: MongoidFacts | undefined, railsEnv: string): MongoidSection | null {
  return m?.inRepo ? (m.sections.find((s) => s.railsEnv === railsEnv) ?? null) : null;
}

/** The ENV names the section's clients read: each overlay running `railsEnv` gets them as secret placeholders. */
export function mongoidEnvKeys(m: MongoidFacts | undefined, railsEnv: string): MongoidSection["clients"][number]["envReads"] {
  const s = mongoidSection(m, railsEnv);
  const out: MongoidSection["clients"][number]["envReads"] = [];
  for (const c of s?.clients ?? []) for (const r of c.envReads) if (!out.some((o) => o.env === r.env)) out.push(r);
  return out;
}

/**
 * "client `clients.default`: uri read from ENV X (f:16); database "d" (f:4), hosts "h" (f:6)", one
 * part per client; "" when the section names nothing.
 */
export function mongoidWords(m: MongoidFacts, s: MongoidSection, enc: WordsEncoding): string {
  const parts: string[] = [];
  for (const c of s.clients) {
    const said: string[] = [];
    for (const r of c.envReads) said.push(`${r.key || "a value"} read from ENV ${enc.quote(r.env)} (${enc.cite(`${r.source.file}:${r.source.line}`)})`);
    for (const n of c.named) said.push(`${n.key} ${enc.quote(n.value)}${n.passwordCut ? ` ${PASSWORD_NOT_SHOWN}` : ""} written in the file (${enc.cite(`${n.source.file}:${n.source.line}`)})`);
    parts.push(c.name === null ? said.join(", ") : `client ${enc.quote(c.path)}: ${said.join(", ")}`);
  }
  return parts.join("; ");
}

/** A host that is the server itself: no pod reaches a MongoDB there. */
export const LOCAL_MONGO_HOST = /(^|[\s,@/])(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)(:\d+)?(?=$|[\s,/?])/;
