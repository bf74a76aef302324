// Mapping rules of config and secrets the servers held: the Secret's keys (secretKeys), files only the
// servers had and the variable that takes their place (serverOnlyFiles, serverOnlyFilesOf,
// ServerOnlyFile), the database the servers' own config named (serversDatabaseLines), and dotenv or
// Figaro files loaded into ENV (serverDotenvFiles, FIGARO_FILE). Index of all rules: ./README.md.
import { type Source, CREDENTIALS_KEY_FILE, DOTENV_FILE } from "../../../src/model.js";
import { secretEnvName } from "../../../src/model/secret-env.js";
import { serversDatabaseWords, type WordsEncoding } from "../../../src/model/servers-database.js";
import { type ModelLike, defaultEnv } from "./stage.js";

/**
 * Secret keys the app needs: ENV names found as secrets, SECRET_KEY_BASE which production Rails
 * needs, and what replaces the secret files that lived only on the servers (see serverOnlyFiles).
 */
export function secretKeys(model: ModelLike): string[] {
  const keys = new Set<string>();
  for (const s of model.secrets) if (s.kind === "env" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name)) keys.add(s.name);
  keys.add("SECRET_KEY_BASE");
  // A worker's start line or unit set them, their values held out of its Deployment (workers/index.ts withoutSecretEnv).
  for (const w of model.workers ?? []) for (const e of w.secretEnv ?? []) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name)) keys.add(e.name);
  for (const st of model.stages) for (const e of defaultEnv(st)) if (secretEnvName(e.name)) keys.add(e.name);
  // A per-environment credentials key gives its stages the variable (stageEnv), not every stage.
  for (const f of serverOnlyFiles(model)) if (f.railsEnv === undefined) keys.add(f.env);
  return [...keys].sort();
}

/**
 * Files the app reads that existed only on the servers (Capistrano's linked_files, not committed),
 * and the variable that takes their place in the pod. Without config/database.yml Rails reads
 * DATABASE_URL (4.1+), so each overlay names its own database; without config/master.key it reads
 * RAILS_MASTER_KEY (5.2+).
 */
export function serverOnlyFiles(model: ModelLike): ServerOnlyFile[] {
  const out: ServerOnlyFile[] = [];
  const linked = (p: string) => model.linked.find((l) => l.kind === "file" && l.path === p);
  // Linked (or copied) from shared/, or a repo file per stage copied over it by the deploy (serversCopy.fromRepo).
  const fromRepo = model.rails.database?.serversCopy?.fromRepo ? model.rails.database.serversCopy.linked : undefined;
  const db = linked("config/database.yml")?.source ?? fromRepo;
  // A committed database.yml that is also linked from shared/ is not what the servers ran (serversCopy).
  const committedDb = model.rails.database && model.rails.database.file === "config/database.yml" && !model.rails.database.serversCopy;
  if (db && !committedDb) out.push({ file: "config/database.yml", env: "DATABASE_URL", source: db });
  const key = linked("config/master.key");
  if (key) out.push({ file: "config/master.key", env: "RAILS_MASTER_KEY", source: key.source });
  // Rails 6+ per-environment credentials: config/credentials/<env>.key, also read from
  // RAILS_MASTER_KEY (which Rails takes first), for the stages running that environment.
  for (const l of model.linked) {
    const m = CREDENTIALS_KEY_FILE.exec(l.path);
    if (l.kind === "file" && m) out.push({ file: l.path, env: "RAILS_MASTER_KEY", source: l.source, railsEnv: m[1] });
  }
  return out;
}

/**
 * What stage `stage`'s servers' own database config named (RailsFacts.serversDatabases), one line per
 * file, said where the overlay takes its place: beside DATABASE_URL in secrets.env (`env`), and in
 * MIGRATION.md. "the servers used database X on host Y as user Z (from file:line)", each repo value
 * through `enc`, the encoder of the target file; a part not known is named unknown; never a password.
 * `sectionKnown` is false where the servers' Rails may have read another section (otherSection): the
 * line then says what is certain (the section the file renders under the stage's name, and what it
 * names) apart from what is the hazard (which section their Rails read), and names neither as used.
 */
export function serversDatabaseLines(model: ModelLike, stage: string, enc: WordsEncoding): { file: string; env: string | null; line: string; sectionKnown: boolean }[] {
  const replaced = new Set(serverOnlyFiles(model).map((f) => f.file));
  return (model.rails.serversDatabases ?? [])
    .filter((d) => d.stage === stage)
    .map((d) => {
      const env = d.file === "config/database.yml" && replaced.has(d.file) ? "DATABASE_URL" : null;
      const o = d.otherSection;
      if (!o) return { file: d.file, env, sectionKnown: true, line: `${enc.cite(d.file)}, section ${enc.quote(d.section)}: the servers used ${serversDatabaseWords(d, enc)}` };
      const other = o.holds
        ? `if they ran ${enc.quote(o.railsEnv)}, they read its ${enc.quote(o.railsEnv)} section: ${serversDatabaseWords(o.holds, enc)}`
        : `it renders no ${enc.quote(o.railsEnv)} section, so a Rails running ${enc.quote(o.railsEnv)} there would not have booted with it`;
      return {
        file: d.file,
        env,
        sectionKnown: false,
        line: `${enc.cite(d.file)}: the servers' copy certainly renders section ${enc.quote(d.section)}, with ${serversDatabaseWords(d, enc)}; which section their Rails read is not certain (hazard database.section-env): ${enc.text(o.why)}; ${other}`,
      };
    });
}

export interface ServerOnlyFile {
  file: string;
  env: string;
  source: Source;
  /** Only for the stages running this Rails environment (a per-environment credentials key). */
  railsEnv?: string;
}

/** The server-only files that give a stage its variable: an environment's own key over master.key. */
export function serverOnlyFilesOf(model: ModelLike, railsEnv: string): ServerOnlyFile[] {
  const all = serverOnlyFiles(model).filter((f) => f.railsEnv === undefined || f.railsEnv === railsEnv);
  const ownKey = all.some((f) => f.railsEnv === railsEnv);
  return all.filter((f) => !(ownKey && f.file === "config/master.key"));
}

/**
 * Linked files whose keys the app loaded into ENV from the servers' disk: dotenv files (`.env`,
 * `.env.production`), and Figaro's config/application.yml when figaro is locked (Figaro copies its
 * keys into ENV as the app boots, as dotenv does).
 */
export function serverDotenvFiles(model: ModelLike): { file: string; source: Source; loader: "dotenv" | "Figaro"; inRepo: boolean }[] {
  const figaro = Boolean(model.rails.gems["figaro"]);
  return model.linked
    .filter((l) => l.kind === "file" && (DOTENV_FILE.test(l.path) || (figaro && l.path === FIGARO_FILE)))
    .map((l) => ({ file: l.path, source: l.source, loader: DOTENV_FILE.test(l.path) ? ("dotenv" as const) : ("Figaro" as const), inRepo: !l.serverOnly }));
}

/** Where Figaro reads its keys (Figaro::Application#default_path, under Rails). */
export const FIGARO_FILE = "config/application.yml";
