// How a stage's servers' database is said, in one place for the report's hazard, each overlay's
// secrets.env comment and MIGRATION.md: "database X on host Y as user Z (from file:line, …)". Each
// repo value goes through the caller's encoder (`quote`: code() for Markdown, a JSON string in an env
// comment or the report); a part the file does not set says so, one not known statically is named
// unknown. No password is ever part of it (the analyzer keeps none: analyzers/rails/database-linked.ts),
// and a part whose value is itself secret-shaped (a `database:` holding a URL with its password, a key
// id) is said as not shown: the same words from the model as the emitters have it and from the
// redacted one MIGRATION.md and `analyze` get (src/redact.ts hides such a value whole, as an object).
import { isCredentialUrl, type ServersDbParts, type ServersDbValue, type Source } from "../model.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "./secret-shapes.js";

const PART_WORDS: Record<keyof ServersDbParts, string> = { database: "database", host: "on host", username: "as user" };

/** The encoders of the target: a repo value, a file:line, and the analysis' own prose (which may name files). */
export interface WordsEncoding {
  quote: (v: string) => string;
  cite: (fileLine: string) => string;
  text: (prose: string) => string;
}

/** "database "x" on host "y" as user "z" (from f:4, f:8, f:6)", every part through `enc`. */
export function serversDatabaseWords(d: ServersDbParts, enc: WordsEncoding): string {
  const { quote, text } = enc;
  const cited: Source[] = [];
  const part = (v: ServersDbValue, words: string): string => {
    if ("value" in v) {
      cited.push(v.source);
      const shown = shownValue(v.value);
      if (shown === null) return `${words} ${NOT_SHOWN}`;
      const bare = withoutPassword(shown);
      return bare === null ? `${words} ${quote(shown)}` : `${words} ${quote(bare)} ${PASSWORD_NOT_SHOWN}`;
    }
    if ("none" in v) return `${words} not set (${text(v.none)})`;
    if (v.source) cited.push(v.source);
    return `${words} unknown (${text(v.unknown)})`;
  };
  const said = (Object.keys(PART_WORDS) as (keyof ServersDbParts)[]).map((k) => part(d[k], PART_WORDS[k])).join(" ");
  // One file's lines together: `t.erb:4, 8, 6`.
  const byFile = new Map<string, number[]>();
  for (const c of cited) if (!byFile.get(c.file)?.includes(c.line)) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c.line]);
  const at = [...byFile].map(([f, lines]) => `${f}:${lines.join(", ")}`);
  return at.length ? `${said} (from ${at.map(enc.cite).join(", ")})` : said;
}

const NOT_SHOWN = "not shown (a secret value)";
/** Said after a host or URL whose user-info held a password (`admin:…@db1`), shown without it. */
export const PASSWORD_NOT_SHOWN = "(password not shown)";

/**
 * A value with its user-info password cut (`admin:[secret]@db1.internal`, as cutSecretShapes and the
 * redaction leave it) as said to a person: `admin@db1.internal`; null when it holds no such cut.
 */
export function withoutPassword(cut: string): string | null {
  const mark = `:${SECRET_SHOWN_AS}@`;
  return cut.includes(mark) ? cut.split(mark).join("@") : null;
}

/**
 * A part's value as it may be shown: null when it is a secret whole (hidden by the redaction, a URL
 * with a password, nothing but a secret by its shape), else with its secret parts cut, as
 * src/redact.ts shows them. Never the raw secret, whichever model it is read from.
 */
function shownValue(v: unknown): string | null {
  if (typeof v !== "string" || isCredentialUrl(v)) return null;
  const cut = cutSecretShapes(v, SECRET_SHOWN_AS);
  return cut !== v && cut.split(SECRET_SHOWN_AS).join("").trim() === "" ? null : cut;
}
