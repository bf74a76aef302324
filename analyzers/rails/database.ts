// config/database.yml (or its committed example when the real one is linked on the servers): the
// adapter per Rails environment. Follows what ActiveRecord reads: ERB, anchors and `<<` merges,
// Rails 6 multi-database sections (`production: { primary: {...}, replica: {...} }`), and `url:`,
// whose scheme is the adapter when no `adapter:` is written.
import type { AnalyzerContext, DatabaseEnvRead, DatabaseFacts, Fact, RValue } from "../../src/model.js";
import { envReadsOf, isCredentialUrl, looksSecretKey } from "../../src/model.js";
import { isHash, isEnvRef } from "../ruby/evaluate.js";
import { readErbYaml, type ErbYaml } from "./erb-yaml.js";

/** Candidates in order: the real file, then the examples teams commit beside a linked one. */
export const DATABASE_FILES = ["config/database.yml", "config/database.yml.example", "config/database.yml.sample", "config/database.example.yml", "config/database.yml.dist", "config/database.yml.template"];

export function findDatabaseFile(paths: readonly string[]): string | null {
  return DATABASE_FILES.find((f) => paths.includes(f)) ?? null;
}

// ActiveRecord's URL scheme → adapter (ConnectionUrlResolver; `postgres` is an alias).
const SCHEME_ADAPTER: Record<string, string> = { postgres: "postgresql", postgresql: "postgresql", postgis: "postgis", mysql2: "mysql2", mysql: "mysql2", trilogy: "trilogy", sqlite3: "sqlite3", sqlserver: "sqlserver", oracle: "oracle_enhanced" };

export function readDatabase(ctx: AnalyzerContext): { facts: DatabaseFacts; yaml: ErbYaml } | null {
  const file = findDatabaseFile(ctx.repo.paths);
  if (!file) return null;
  const yaml = readErbYaml(ctx, file);
  if (!yaml) return null;
  const adapters: Record<string, Fact<RValue>> = {};
  const envReads: DatabaseEnvRead[] = [];
  const sections = isHash(yaml.value) ? Object.entries(yaml.value).filter(([, v]) => isHash(v)).map(([k]) => k) : [];
  if (isHash(yaml.value)) {
    for (const [env, section] of Object.entries(yaml.value)) {
      if (!isHash(section)) continue;
      const found = adapterOf(section, [env], file, yaml);
      if (found) adapters[env] = found;
      const visit = (v: RValue, path: string[]) => {
        if (isHash(v)) for (const [k, x] of Object.entries(v)) visit(x, [...path, k]);
        else
          for (const r of envReadsOf(v)) {
            if (envReads.some((e) => e.env === r.env && e.railsEnv === env)) continue;
            const secret = looksSecretKey(path[path.length - 1]) || isCredentialUrl(r.default);
            envReads.push({ env: r.env, railsEnv: env, default: r.default, source: { file, line: yaml.lineOf(path) }, ...(secret ? { secret } : {}) });
          }
      };
      visit(section, [env]);
    }
  } else if (yaml.value !== null) {
    ctx.problem({ file, line: 1, message: "database.yml is not a mapping of environments", severity: "warning" });
  }
  return { facts: { adapters, file, sections, ...(envReads.length ? { envReads } : {}) }, yaml };
}

function adapterOf(section: Record<string, RValue>, path: string[], file: string, yaml: ErbYaml): Fact<RValue> | null {
  const at = (key: string) => ({ file, line: yaml.lineOf([...path, key]) });
  if ("adapter" in section) return { value: section.adapter, source: at("adapter") };
  if ("url" in section) {
    const url = section.url;
    if (typeof url === "string") {
      const m = /^([a-z0-9+.-]+):/i.exec(url);
      const adapter = m ? SCHEME_ADAPTER[m[1].toLowerCase()] ?? m[1].toLowerCase() : null;
      if (adapter) return { value: adapter, source: at("url") };
    }
    const name = isEnvRef(url) ? `ENV["${url.env}"]` : "the url";
    return { value: { unknown: `the adapter is the scheme of ${name}, known only at run time`, source: at("url") }, source: at("url") };
  }
  // Multi-database: the `primary` entry (or the first) names the app's main adapter.
  const subs = Object.entries(section).filter(([, v]) => isHash(v) && ("adapter" in (v as object) || "url" in (v as object)));
  const pick = subs.find(([k]) => k === "primary") ?? subs[0];
  if (pick) return adapterOf(pick[1] as Record<string, RValue>, [...path, pick[0]], file, yaml);
  return null;
}

