// Secrets found anywhere in the model: names and places, never values. The name rules below are
// the one place that decides what "looks secret" (ENV names, YAML keys, Global keys).
//
// Sources: every ENV reference in the model (walked generically, so a fact another analyzer adds
// later is covered too), Global leaves (the Global helper's `secretPaths` when it gives them, else
// key names), linked files classed secret (or named like key files), secret-looking keys of
// config/secrets.yml and database.yml, Rails encrypted credentials, credentials in gem source URLs,
// whenever's `env` lines, nginx headers carrying credentials, and any value written in the deploy
// config whose shape is a secret's (src/model/secret-shapes.ts).
import type { AppModel, SecretRef, Source, RValue, GlobalNamespace } from "../src/model.js";
import { isHash } from "./ruby/evaluate.js";
import { APACHE_ENV_DIRECTIVES, APACHE_SECRET_NOT_KEPT } from "./apache/index.js";

// --- what looks secret ---------------------------------------------------------------------------

// The name rules live with the model (src/model.ts): analyzers, emitters and the redaction of
// what is shown all decide "looks secret" the same way.
export { looksSecretEnv, looksSecretKey, isCredentialUrl, looksSecretValue } from "../src/model.js";
import { allCronSettings, looksCredentialHeader, looksSecretKey, looksSecretValue, secretByKeyName } from "../src/model.js";
import { secretEnvEntry, secretEnvName } from "../src/model/secret-env.js";

/** Files that hold secrets by their name, whatever class the deploy config gave them. */
const SECRET_FILE = /(^|\/)(master\.key|[^/]+\.key|[^/]+\.pem|[^/]+\.p12|credentials[^/]*|secrets\.ya?ml|\.env(\.[^/]+)?|database\.yml|[^/]*secret[^/]*|[^/]*password[^/]*|id_rsa[^/]*|[^/]+\.keystore)$/i;

// --- finding them ----------------------------------------------------------------------------------

export function findSecrets(model: Omit<AppModel, "secrets" | "gaps" | "hazards">): SecretRef[] {
  const out: SecretRef[] = [];
  const seen = new Set<string>();
  const add = (r: SecretRef) => {
    const key = `${r.kind}\0${r.name}\0${r.source.file}\0${r.source.line}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(r);
  };

  for (const ref of envRefs(model)) {
    if (secretEnvName(ref.name)) add({ name: ref.name, kind: "env", reason: "ENV name looks secret", source: ref.source });
  }

  // Written in the deploy config: default_env entries the servers exported, variables named like secrets.
  for (const st of model.stages) {
    for (const [name, fact] of Object.entries(st.variables)) {
      const v = fact.value;
      // A plugin's load:defaults value is the plugin's, not something the repo wrote.
      if (fact.defaultOf) continue;
      if (name === "default_env" && isObj(v)) {
        for (const [k, x] of Object.entries(v)) {
          const env = /^[a-z_][a-z0-9_]*$/.test(k) ? k.toUpperCase() : k;
          if (typeof x === "string" && x !== "" && (secretEnvEntry(env, x) || looksSecretKey(k))) add({ name: env, kind: "env", reason: "value written in Capistrano's default_env", source: fact.source });
        }
      } else if (typeof v === "string" && v !== "" && looksSecretKey(name) && !(filePath(v) && !looksSecretValue(v))) {
        add({ name: `:${name}`, kind: "capistrano", reason: "Capistrano variable named like a secret, its value written in the deploy config", source: fact.source });
      } else if (holdsSecretShape(v)) {
        add({ name: `:${name}`, kind: "capistrano", reason: "Capistrano variable holding a value shaped like a secret (a token, key, webhook or password)", source: fact.source });
      }
    }
  }

  for (const ns of model.global?.namespaces ?? []) for (const r of globalSecrets(ns)) add(r);
  for (const t of model.global?.templates ?? []) {
    const ns = t.target.replace(/^config\/global\//, "").replace(/\.ya?ml$/, "").replace(/\//g, ".");
    for (const rendered of Object.values(t.rendered)) {
      for (const path of leafPaths(rendered)) {
        const leaf = valueAt(rendered, path);
        if (secretByKeyName(path[path.length - 1], leaf)) add({ name: [ns, ...path].join("."), kind: "global", reason: `key name looks secret (template ${t.template})`, source: t.source });
        else if (holdsSecretShape(leaf)) add({ name: [ns, ...path].join("."), kind: "global", reason: `value shaped like a secret (template ${t.template})`, source: t.source });
      }
    }
  }

  // whenever's `env :NAME, "value"`: written at the top of the crontab, so every job had it.
  for (const [key, fact] of allCronSettings(model.cron)) {
    if (!key.startsWith("env:")) continue;
    const name = key.slice(4);
    if (fact.value !== "" && fact.value !== null && (secretEnvName(name) || holdsSecretShape(fact.value))) add({ name, kind: "env", reason: `value written in ${fact.source.file} (whenever \`env\`)`, source: fact.source });
  }

  // nginx headers that carry credentials to the app or an upstream (`proxy_set_header Authorization "Basic …"`).
  for (const f of model.nginx.files)
    for (const server of f.servers)
      for (const [header, fact] of Object.entries(server.proxyHeaders)) {
        if (!fact.value || fact.value.includes("$")) continue;
        if (looksCredentialHeader(header) || looksSecretValue(fact.value)) add({ name: `${f.file}: proxy_set_header ${header}`, kind: "file", reason: "credentials written in an nginx header", source: fact.source });
      }

  // Apache's `SetEnv NAME value` (analyzers/apache keeps no such value).
  const apacheEnv = (ds: NonNullable<AppModel["apache"]>["files"][number]["directives"]) => {
    for (const d of ds) {
      if (APACHE_ENV_DIRECTIVES.has(d.name.toLowerCase()) && d.args[1] === APACHE_SECRET_NOT_KEPT) add({ name: d.args[0]!, kind: "env", reason: `value written in an Apache config (${d.name})`, source: d.source });
      if (d.block) apacheEnv(d.block);
    }
  };
  for (const f of model.apache?.files ?? []) apacheEnv(f.directives);

  for (const l of model.linked) {
    if (l.kind !== "file") continue;
    if (l.class === "secret") add({ name: l.path, kind: "file", reason: "linked file classed secret", source: l.source });
    else if (SECRET_FILE.test(l.path)) add({ name: l.path, kind: "file", reason: "linked file named like a secret file", source: l.source });
  }

  for (const k of model.rails.secretKeys ?? []) {
    const where = `${k.file}:${k.path}`;
    const example = /\.(example|sample|dist|template)$|\.example\.yml$/.test(k.file);
    if (k.given === "env" && k.env) add({ name: k.env, kind: "env", reason: `read by ${where}`, source: k.source });
    else if (k.given === "literal") add({ name: where, kind: "yaml", reason: example ? "value written in the committed example file" : "secret value written in the file", source: k.source });
    else add({ name: where, kind: "yaml", reason: k.given === "empty" ? "secret key left empty: filled on the servers" : "secret key with a value not known statically", source: k.source });
  }

  const creds = model.rails.credentials ?? [];
  const masterKey = creds.find((c) => c.value === "config/master.key");
  if (masterKey) add({ name: "config/master.key", kind: "file", reason: "Rails master key committed to the repo", source: masterKey.source });
  const encrypted = creds.find((c) => c.value === "config/credentials.yml.enc");
  if (encrypted) add({ name: "RAILS_MASTER_KEY", kind: "env", reason: "config/credentials.yml.enc needs the master key at boot", source: encrypted.source });
  for (const c of creds) {
    const m = /^config\/credentials\/([^/]+)\.yml\.enc$/.exec(c.value);
    if (m) add({ name: "RAILS_MASTER_KEY", kind: "env", reason: `${c.value} needs config/credentials/${m[1]}.key (or RAILS_MASTER_KEY) in ${m[1]}`, source: c.source });
  }

  for (const s of model.rails.privateSources) {
    if (s.value.includes("REDACTED@")) add({ name: s.value, kind: "file", reason: "credentials written in a gem source URL", source: s.source });
  }
  return out;
}

/** Global leaves that look secret: the helper's `secretPaths` when present, else the key names. */
function globalSecrets(ns: GlobalNamespace): SecretRef[] {
  const firstSource: Source = { file: ns.files[0] ?? `config/global/${ns.name}.yml`, line: 1 };
  const given = (ns as GlobalNamespace & { secretPaths?: string[] }).secretPaths;
  const paths = new Set<string>();
  if (Array.isArray(given)) given.forEach((p) => paths.add(p));
  else for (const value of Object.values(ns.values)) for (const path of leafPaths(value)) if (looksSecretKey(path[path.length - 1])) paths.add(path.join("."));
  return [...paths].map((p) => ({ name: `${ns.name}.${p}`, kind: "global" as const, reason: Array.isArray(given) ? "Global value classed secret" : "key name looks secret", source: ns.sources[p] ?? firstSource }));
}

/** Headers whose value is a credential whatever it looks like. */

/** A value (at any depth: lists, hashes, the parts of an interpolation) shaped like a secret. */
export function holdsSecretShape(v: unknown, depth = 0): boolean {
  if (depth > 50) return false;
  if (typeof v === "string" || typeof v === "number") return looksSecretValue(v);
  if (Array.isArray(v)) return v.some((x) => holdsSecretShape(x, depth + 1));
  return isObj(v) && Object.values(v).some((x) => holdsSecretShape(x, depth + 1));
}

function valueAt(v: RValue, path: string[]): RValue | undefined {
  let at: unknown = v;
  for (const k of path) at = isObj(at) ? at[k] : undefined;
  return at as RValue | undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Leaf key paths of a plain value (tagged values such as EnvRef are leaves). */
export function leafPaths(v: RValue, prefix: string[] = []): string[][] {
  if (isHash(v)) {
    return Object.entries(v).flatMap(([k, x]) => leafPaths(x as RValue, [...prefix, k]));
  }
  return prefix.length ? [prefix] : [];
}

/** Every ENV reference in the model, with the nearest enclosing source. */
export function envRefs(model: object): { name: string; source: Source }[] {
  const out: { name: string; source: Source }[] = [];
  // A Set, not a WeakSet: it lives for this walk only, and a WeakSet of every object of a large
  // model (10,000 stages) is far slower to fill and to collect.
  const seen = new Set<object>();
  const walk = (v: unknown, src: Source | null, depth: number) => {
    if (depth > 200 || v === null || typeof v !== "object") return;
    // Values are shared between parts of the model (a Global namespace and the template that
    // renders it); only a visit that knew a source may close the door on later ones.
    if (seen.has(v as object)) return;
    if (src) seen.add(v as object);
    if (Array.isArray(v)) {
      for (const x of v) walk(x, src, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    const here = isSource(o.source) ? (o.source as Source) : src;
    if (typeof o.env === "string" && "default" in o) {
      if (here) out.push({ name: o.env, source: here });
      walk(o.default, here, depth + 1);
      return;
    }
    // database.yml's ENV reads are listed again under `envReads`: the file's own rule names them.
    for (const k in o) if (k !== "problems" && k !== "source" && k !== "envReads") walk(o[k], here, depth + 1);
  };
  walk(model, null, 0);
  return out;
}

const isSource = (s: unknown): boolean => isObj(s) && typeof s.file === "string" && typeof s.line === "number";

/** `/etc/ssl/private/app.key`, `~/.ssh/id_rsa`, `./certs/x.pem`: where a secret lives, not the secret. */
const filePath = (v: string): boolean => /^(?:\/|~\/|\.\.?\/)[^\s:;|&$`'"]+$/.test(v);
