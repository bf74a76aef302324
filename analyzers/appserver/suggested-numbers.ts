// Numbers offered as the default of a web number's question (AppServerConfig.suggested), when the
// config the servers ran is not in the repo but the repo holds a file that says something of it:
// - an example copy (config/unicorn.rb.sample, config/unicorn.example.rb, config/puma.rb.example),
//   kept beside a config the servers held in shared/: "the repo's example", never what ran;
// - the repo's own config/unicorn.rb when the deploy starts the server with a file outside the
//   release (`unicorn_config_path "/etc/unicorn.conf"`): "the repo's config/unicorn.rb, which the
//   servers do not read".
// Either way the number stays a gap (src/gaps/appserver.ts asks it); the file's value is only its
// labelled default, and a value that is not a plain literal is offered as nothing.
import type { AnalyzerContext, AppServerConfig, Fact, RValue } from "../../src/model.js";
import { parseRuby } from "../ruby/prism.js";
import { readUnicorn } from "./unicorn.js";
import { readPuma } from "./puma.js";
import type { ServerKind } from "./files.js";

type Suggested = NonNullable<AppServerConfig["suggested"]>;

const TAGS = "sample|example|dist|template|default";
/** `config/unicorn.rb.sample`, `config/unicorn.example.rb`, `config/unicorn.rb-example`, `config/puma/production.rb.example`. */
const EXAMPLE = new RegExp(`^config\\/(unicorn|puma)(?:\\/[^/]+?)?(?:(?:\\.rb|\\.conf)?[._-](?:${TAGS})(?:\\.rb)?)$`);

/** The example copies of a server's config the repo holds, the every-environment ones first. */
export function exampleConfigFiles(paths: readonly string[], kind: ServerKind): string[] {
  return paths.filter((p) => EXAMPLE.exec(p)?.[1] === kind).sort((a, b) => Number(a.includes(`${kind}/`)) - Number(b.includes(`${kind}/`)) || (a < b ? -1 : a > b ? 1 : 0));
}

/** A whole number the file writes, with its line (not a default the reader filled in). */
function literal(f: Fact<RValue> | null, min: number): Fact<number> | null {
  if (!f || f.defaultOf || typeof f.value !== "number" || !Number.isInteger(f.value) || f.value < min) return null;
  return { value: f.value, source: f.source };
}

/**
 * The workers and timeout `file` writes, as suggestions labelled by `whose` ("the repo's example
 * config/unicorn.rb.sample", "the repo's config/unicorn.rb") and `tail` (", not what the servers ran").
 */
export function suggestedFrom(ctx: AnalyzerContext, kind: ServerKind, file: string, whose: string, tail: string): Suggested | null {
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  const parsed = parseRuby(file, r.text);
  if (parsed.errors.length) return null;
  const base = { file, env: null, stages: [] };
  const cfg = kind === "unicorn" ? readUnicorn(parsed, base, null) : readPuma(parsed, base, null);
  return suggestedOf(cfg, whose, tail);
}

/** The same, from a config already read (the repo's own config/unicorn.rb). */
export function suggestedOf(cfg: AppServerConfig, whose: string, tail: string): Suggested | null {
  const out: Suggested = {};
  const words = { workers: cfg.kind === "puma" ? "workers" : "worker_processes", timeout: cfg.kind === "puma" ? "worker_timeout" : "timeout" };
  for (const key of ["workers", "timeout"] as const) {
    const f = literal(cfg[key], key === "workers" ? (cfg.kind === "puma" ? 0 : 1) : 1);
    if (f) out[key] = { ...f, label: `${whose} (\`${words[key]} ${f.value}\`, ${f.source.file}:${f.source.line})${tail}` };
  }
  return Object.keys(out).length ? out : null;
}

/** The suggestions of the first example copy of `kind`'s config the repo holds, labelled as the repo's example. */
export function exampleSuggested(ctx: AnalyzerContext, kind: ServerKind, preferred?: string): { file: string; suggested: Suggested } | null {
  const files = exampleConfigFiles(ctx.repo.paths, kind);
  for (const file of preferred && files.includes(preferred) ? [preferred, ...files.filter((f) => f !== preferred)] : files) {
    const s = suggestedFrom(ctx, kind, file, `the repo's example ${file}`, ", an example, not what the servers ran");
    if (s) return { file, suggested: s };
  }
  return null;
}
