// config/mongoid.yml: which MongoDB each Rails environment connects to. ActiveRecord's database has a
// stand-in the pod can be given (DATABASE_URL); Mongoid's has none, so what decides it is said here:
// the ENV names its ERB reads (each stage's overlay gets them as secret placeholders, to fill in from
// that stage's servers, never guessed) and the hosts and database written in the file (cited, a
// password cut). Read as Mongoid reads it: ERB, then YAML (Psych's rules), then the section named by
// the Rails environment (Mongoid::Config#load! → Environment.load_yaml(path)[env]).
//
// Where the connection is, by version (Mongoid::Config#load_configuration):
// - Mongoid 5 and later: `self.clients = configuration[:clients]`, and `clients=` raises
//   Errors::NoClientsConfig without a `default` client (mongoid lib/mongoid/config.rb);
// - Mongoid 3 and 4 (Moped): `self.sessions = configuration[:sessions]` (same file, 3.0/4.0);
// - Mongoid 2: the section itself (`host:`, `port:`, `database:`, `uri:`, Config#from_hash).
// Within a client, `uri:` wins over `hosts:` + `database:` (Clients::Factory builds the client from
// the URI when one is given). Every client of the section is a connection the app may make; the
// `default` one is the one models use unless `store_in client:` says another.
import type { AnalyzerContext, LinkedPath, MongoidFacts, MongoidNamed, MongoidSection, RailsFacts, RValue, Source, Stage } from "../../src/model.js";
import { envReadsOf, hasPath, railsEnvOf } from "../../src/model.js";
import { isHash } from "../ruby/evaluate.js";
import { readErbYaml } from "./erb-yaml.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";
import { withoutPassword } from "../../src/model/servers-database.js";

export const MONGOID_FILE = "config/mongoid.yml";
/** The keys of a client (or of a Mongoid 2 section) that say where the database is. */
const NAMING = ["uri", "database", "hosts", "host", "port"] as const;

/** The key that holds the clients for the locked Mongoid, and why; null: Mongoid 2's flat section. */
function clientsKeyOf(version: string | null, sections: Record<string, RValue>[]): { key: "clients" | "sessions" | null; why: string } {
  const major = version ? Number(/^(\d+)/.exec(version)?.[1]) : NaN;
  if (major >= 5) return { key: "clients", why: `mongoid ${version} (Gemfile.lock) reads \`clients\`` };
  if (major === 3 || major === 4) return { key: "sessions", why: `mongoid ${version} (Gemfile.lock) reads \`sessions\`` };
  if (major === 2) return { key: null, why: `mongoid ${version} (Gemfile.lock) reads the section's own keys` };
  // No locked version: the file's own shape says which generation wrote it.
  const has = (k: string) => sections.some((s) => isHash(s[k]));
  if (has("clients")) return { key: "clients", why: "no locked mongoid version; the file has `clients` (Mongoid 5+)" };
  if (has("sessions")) return { key: "sessions", why: "no locked mongoid version; the file has `sessions` (Mongoid 3/4)" };
  return { key: null, why: "no locked mongoid version; the file has neither `clients` nor `sessions` (Mongoid 2's flat section)" };
}

/**
 * What config/mongoid.yml says per Rails environment the stages run, or null without one (or
 * without the mongoid gem locked, where a stray file is not read by the app). `linked`: the deploy
 * links it from shared/, so the repo's copy is the image's, not what the servers connected with.
 */
export function readMongoid(ctx: AnalyzerContext, rails: Pick<RailsFacts, "gems" | "lockfilePresent">, stages: Stage[], linked: LinkedPath[]): MongoidFacts | null {
  const gem = rails.gems["mongoid"];
  const link = linked.find((l) => l.kind === "file" && l.path === MONGOID_FILE);
  if (!hasPath(ctx.repo, MONGOID_FILE)) {
    // Linked and not in the repo: only the servers had it (analyzers/hazards.ts mongoidServersOnly).
    return link && (gem || link.serverOnly) ? { file: MONGOID_FILE, inRepo: false, clientsKey: null, why: "", sections: [], linked: link.source } : null;
  }
  // A lockfile without mongoid: a stray file the app never loads. No lockfile: the file is taken as read.
  if (!gem && rails.lockfilePresent !== false) return null;
  const yaml = readErbYaml(ctx, MONGOID_FILE);
  if (!yaml || !isHash(yaml.value)) return null;
  const top = yaml.value as Record<string, RValue>;
  // No stage: the one overlay migrate writes runs production (emitters/kustomize/plan.ts stagesOf).
  const envs = stages.length ? [...new Set(stages.map(railsEnvOf))] : ["production"];
  const { key, why } = clientsKeyOf(gem?.value ?? null, Object.values(top).filter(isHash) as Record<string, RValue>[]);
  const at = (path: (string | number)[]): Source => ({ file: MONGOID_FILE, line: yaml.lineOf(path) || 1 });
  const sections: MongoidSection[] = [];
  for (const env of envs) {
    const section = top[env];
    if (section === undefined || !isHash(section)) {
      sections.push({ railsEnv: env, missing: `${MONGOID_FILE} has no ${env} section`, clients: [] });
      continue;
    }
    const s = section as Record<string, RValue>;
    const holder = key === null ? { [env]: s } : s[key];
    if (key !== null && (holder === undefined || !isHash(holder))) {
      // A file written for another generation (`sessions` under Mongoid 5+): the locked one reads none of it.
      const other = key === "clients" ? "sessions" : "clients";
      const only = isHash(s[other]) ? ` (only \`${other}\`, which that version does not read)` : "";
      sections.push({ railsEnv: env, missing: `its ${env} section has no \`${key}\`${only}`, source: at([env]), clients: [] });
      continue;
    }
    const clients = Object.entries(holder as Record<string, RValue>).filter(([, c]) => isHash(c));
    const out: MongoidSection = { railsEnv: env, source: at([env]), clients: [] };
    if (key !== null && !clients.some(([n]) => n === "default")) out.missing = `its ${env} section's \`${key}\` has no \`default\` client`;
    // The default client first: the one models use.
    clients.sort(([a], [b]) => Number(b === "default") - Number(a === "default"));
    for (const [name, c] of clients) {
      const base = key === null ? [env] : [env, key, name];
      const client = { name: key === null ? null : name, path: key === null ? "" : `${key}.${name}`, envReads: [] as MongoidSection["clients"][number]["envReads"], named: [] as MongoidNamed[] };
      // A `hosts:` list item is cited at its own line, said under its key.
      const visit = (v: RValue, path: (string | number)[], key: string) => {
        if (isHash(v)) {
          for (const [k, x] of Object.entries(v as Record<string, RValue>)) visit(x, [...path, k], [...path, k].slice(base.length).join("."));
          return;
        }
        if (Array.isArray(v)) {
          v.forEach((x, i) => visit(x, [...path, i], key));
          return;
        }
        for (const r of envReadsOf(v)) if (!client.envReads.some((e) => e.env === r.env)) client.envReads.push({ env: r.env, key, default: r.default, source: at(path) });
      };
      visit(c, base, "");
      for (const k of NAMING) {
        const v = (c as Record<string, RValue>)[k];
        if (v === undefined) continue;
        const said = literalOf(v);
        if (said !== null) client.named.push({ key: k, value: said.text, ...(said.passwordCut ? { passwordCut: true as const } : {}), source: at([...base, k]) });
      }
      if (client.envReads.length || client.named.length) out.clients.push(client);
    }
    sections.push(out);
  }
  return { file: MONGOID_FILE, inRepo: true, clientsKey: key, why, sections, ...(link ? { linked: link.source } : {}) };
}

/**
 * A value written in the file as it may be kept and shown: text (a `hosts:` list joined), its
 * user-info password cut (`admin@mongo1:27017 (password not shown)` is said by the caller from
 * `passwordCut`); null where any part is read from ENV or not known here.
 */
function literalOf(v: RValue): { text: string; passwordCut?: true } | null {
  const items = Array.isArray(v) ? v : [v];
  if (!items.length || !items.every((x) => typeof x === "string" || typeof x === "number")) return null;
  const text = items.map(String).join(", ");
  const cut = cutSecretShapes(text, SECRET_SHOWN_AS);
  const bare = withoutPassword(cut);
  if (bare !== null) return { text: bare, passwordCut: true };
  // Anything else secret-shaped in it is not shown at all.
  return cut === text ? { text } : null;
}
