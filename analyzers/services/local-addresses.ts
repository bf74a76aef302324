// Backing services the app reaches on its own machine: `redis://localhost:6379`, `127.0.0.1:11211`,
// a Unix socket, or no address at all where the client then falls back to localhost. On EC2 the
// service ran on the same box (the deploy may even have started it: analyzers/services/backing.ts);
// in a pod localhost is the pod itself, where nothing listens, so the app fails, or worse, reaches
// whatever the pod happens to run there. Each address is found with its file:line and the stages
// whose Rails env reads it.
//
// Rules:
// - Read where the app configures its clients: config/initializers/**, config/application.rb,
//   config/environment.rb, config/environments/<env>.rb (for that env only), config/*.yml with
//   per-environment sections or without, database.yml (the committed one, not an example: the
//   image has only the committed file), cable.yml, and Global's values.
// - An address counts when it names a backing service: by its scheme (redis://, amqp://, postgres://),
//   its port (6379, 11211, 9200...), or the words of what reads it (`Redis.new`, `config.cache_store =
//   :mem_cache_store`, a key path `elasticsearch.host`, the file `sunspot.yml`). `http://localhost:3000`
//   in a CORS or mailer setting names none and is left alone.
// - Ruby branches on the Rails env (`if Rails.env.production?`, `unless`, `case Rails.env`, `else`) are
//   decided per stage; another condition around an address makes the stage unsure, with the condition.
// - `ENV.fetch("X", "redis://localhost")`, `ENV["X"] || ...`, `ENV["X"] ||= ...`, the `else` of
//   `if ENV["X"]`, and ERB `<%= ENV.fetch("X") { ... } %>` in YAML: the address is X's default only.
// - No address where the client then uses localhost: database.yml without host/url/socket (the
//   PostgreSQL and MySQL clients use the local socket), cable.yml's redis adapter without url,
//   `cache_store = :mem_cache_store` / `:redis_cache_store` without one. Labelled as the default.
// - `shared:` in a config/*.yml file reaches a stage as the app's Rails version's config_for merges it
//   (src/model/config-for-shared.ts): not at all before 6.0, shallowly in 6.0.0–6.0.3, deeply from 6.0.4;
//   an unknown version is read the current way, with a named warning saying it is an assumption.
// - An SMTP address counts only in a stage where smtp is, or may be, ActionMailer's delivery method:
//   the env's boot files assign it (literal, or not known), else the delivery_method the same
//   config hash holds beside it (the config that holds the address names the method), else Rails'
//   default, :smtp.
import type { AnalyzerContext, GlobalFacts, LocalAddress, RValue, Source, Stage } from "../../src/model.js";
import { isSym, railsEnvOf } from "../../src/model.js";
import { SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";
import { isEnvRef, isHash } from "../ruby/evaluate.js";
import { argsOf, childrenOf, kind, literalName, parseRuby, type ParsedRuby } from "../ruby/prism.js";
import { readErbYaml } from "../rails/erb-yaml.js";
import { searchDaemonAddresses } from "./search-daemons.js";
import { CURRENT_SECTION_LOOKUP, CURRENT_SHARED_MERGE, sectionLookupOf, sharedMergeOf, type SharedMerge } from "../../src/model/config-for-shared.js";

type Kind = LocalAddress["kind"];

const SCHEME_KIND: Record<string, Kind> = {
  redis: "redis", rediss: "redis", "redis+unix": "redis", memcached: "memcached", amqp: "rabbitmq", amqps: "rabbitmq",
  postgres: "postgresql", postgresql: "postgresql", postgis: "postgresql", mysql: "mysql", mysql2: "mysql", trilogy: "mysql",
  mongodb: "mongodb", smtp: "smtp",
};
const PORT_KIND: Record<string, Kind> = {
  "6379": "redis", "6380": "redis", "11211": "memcached", "9200": "elasticsearch", "9300": "elasticsearch", "5432": "postgresql",
  "3306": "mysql", "5672": "rabbitmq", "27017": "mongodb", "8983": "solr", "9312": "sphinx", "9306": "sphinx", "25": "smtp",
};
/** Words of what reads an address (a call, a key path, a file name), most specific first. */
const WORD_KIND: [RegExp, Kind][] = [
  [/opensearch/i, "opensearch"],
  [/elastic|searchkick|chewy/i, "elasticsearch"],
  [/memcache|dalli|mem_cache/i, "memcached"],
  [/redis|sidekiq|resque/i, "redis"],
  [/sneakers|bunny|amqp|rabbit/i, "rabbitmq"],
  [/sunspot|solr/i, "solr"],
  [/sphinx/i, "sphinx"],
  [/mongo/i, "mongodb"],
  [/smtp/i, "smtp"],
  [/postgres/i, "postgresql"],
  [/mysql/i, "mysql"],
];

const LOCAL_HOST = String.raw`localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0`;
const URL_LOCAL = new RegExp(String.raw`^([a-z][a-z0-9+.-]*)://(?:[^@/\s]*@)?(${LOCAL_HOST})(?::(\d*))?(?:[/?#]|$)`, "i");
const BARE_LOCAL = new RegExp(String.raw`^(${LOCAL_HOST}|::1)(?::(\d+))?(?::\d+)?$`, "i");
const SOCKET = /^(?:(redis|unix|redis\+unix):\/\/)?(\/[\w.\/-]+\.sock)$/i;

interface Found {
  scheme?: string;
  port?: string;
  socket?: true;
}

/** The string as an address of the machine itself, or null. */
export function localAddressOf(text: string): Found | null {
  const t = text.trim();
  let m = URL_LOCAL.exec(t);
  // `"http://localhost:#{port}"`: the port follows in an interpolation.
  if (m) return { scheme: m[1]!.toLowerCase(), ...(m[3] ? { port: m[3] } : {}) };
  m = BARE_LOCAL.exec(t);
  if (m) return m[2] ? { port: m[2] } : {};
  m = SOCKET.exec(t);
  if (m) return { ...(m[1] ? { scheme: m[1].toLowerCase() } : {}), socket: true };
  return null;
}

function kindOf(found: Found, words: string): Kind | null {
  if (found.scheme && SCHEME_KIND[found.scheme]) return SCHEME_KIND[found.scheme]!;
  if (found.port && PORT_KIND[found.port]) return PORT_KIND[found.port]!;
  for (const [re, k] of WORD_KIND) if (re.test(words)) return k;
  return null;
}

/**
 * A URL as scheme://host:port/path: its userinfo is hidden and its query and fragment cut (`?password=`,
 * `?sslmode=…&sslkey=…`: a query may carry a credential under any name). `#{…}` is Ruby, not a fragment.
 */
const shown = (address: string): string => {
  const t = address.trim();
  const url = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^@/\s]*@)?/i.exec(t);
  if (!url) return t.slice(0, 120);
  const rest = t.slice(url[0].length);
  const cut = rest.search(/[?]|#(?!\{)/);
  const kept = cut < 0 ? rest : `${rest.slice(0, cut)}${rest[cut] === "?" ? "?…" : "#…"}`;
  return `${url[1]}${url[0].endsWith("@") ? `${SECRET_SHOWN_AS}@` : ""}${kept}`.slice(0, 120);
};

interface StageEnv {
  stage: string;
  env: string;
}

/** Stages and their Rails envs; an app without Capistrano stages is judged for production. */
function stageEnvs(stages: Stage[]): StageEnv[] {
  return stages.length ? stages.map((s) => ({ stage: s.name, env: railsEnvOf(s) })) : [{ stage: "production", env: "production" }];
}

export function localAddresses(ctx: AnalyzerContext, stages: Stage[], global: GlobalFacts | null, railsVersion?: string | null, databaseFromServers = false): LocalAddress[] {
  const envs = stageEnvs(stages);
  // The files are read again here: their problems were said once, by the analyzers that own them.
  const quiet: AnalyzerContext = { ...ctx, problem: () => {} };
  const known = sharedMergeOf(railsVersion);
  const shared: SharedRule = { mode: known ?? CURRENT_SHARED_MERGE, lookup: sectionLookupOf(railsVersion) ?? CURRENT_SECTION_LOOKUP, assumed: known === null, warn: (p) => ctx.problem(p) };
  const mail = mailDelivery(ctx, envs);
  const out: LocalAddress[] = [];
  const add = (a: LocalAddress) => {
    if (!a.stages.length && !a.unsure?.stages.length) return;
    const same = out.find((x) => x.source.file === a.source.file && x.source.line === a.source.line && x.address === a.address && x.what === a.what);
    if (!same) return void out.push(a);
    same.stages = [...new Set([...same.stages, ...a.stages])];
  };
  for (const file of ctx.repo.paths) {
    if (!/^config\/(initializers\/.+|application|environment|environments\/[^/]+)\.rb$/.test(file)) continue;
    const envFile = /^config\/environments\/([^/]+)\.rb$/.exec(file)?.[1];
    const applies = envFile ? envs.filter((e) => e.env === envFile) : envs;
    if (!applies.length) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !/localhost|127\.|::1|0\.0\.0\.0|\.sock\b|cache_store/.test(r.text)) continue;
    const parsed = parseRuby(file, r.text);
    for (const a of rubyAddresses(parsed, applies)) add(a.kind === "smtp" ? mail.onlySmtp(a, envs) : a);
  }
  const db = "config/database.yml";
  // A database.yml linked from shared/ is not what the servers connected with (rails/database-linked.ts says so).
  if (ctx.repo.paths.includes(db) && !databaseFromServers) for (const a of databaseAddresses(quiet, db, envs)) add(a);
  if (ctx.repo.paths.includes("config/cable.yml")) for (const a of cableAddresses(quiet, "config/cable.yml", envs)) add(a);
  // config/settings/<env>.yml beside config/settings.yml (the config gem): read for that env only.
  for (const file of ctx.repo.paths) {
    const m = /^config\/([^/]+)\/([^/]+)\.ya?ml$/.exec(file);
    if (!m || !ctx.repo.paths.includes(`config/${m[1]}.yml`)) continue;
    const only = envs.filter((e) => e.env === m[2]);
    if (only.length) for (const a of yamlAddresses(quiet, file, only, shared, mail, m[1])) add(a);
  }
  for (const file of ctx.repo.paths) {
    // An example copy (application.example.yml) is not what the servers read: theirs is unknown.
    if (!/^config\/[^/]+\.ya?ml$/.test(file) || /^config\/(database|cable|webpacker|shakapacker|storage|locales?|deploy|schedule)\.ya?ml$/.test(file) || /[._-](example|sample|dist|template|default)\.ya?ml$/.test(file)) continue;
    for (const a of yamlAddresses(quiet, file, envs, shared, mail)) add(a);
  }
  if (global) for (const a of globalAddresses(quiet, global, envs, mail)) add(a);
  for (const a of searchDaemonAddresses(quiet, stages)) add(a);
  for (const a of socketAddresses(quiet, envs)) add(a);
  return out;
}

// --- Sockets the app's own code opens --------------------------------------------------------

/** `UNIXSocket.new("/abs/path.sock")` / `TCPSocket.new("localhost", 1234)` (also `.open`, without parentheses). */
const SOCKET_OPEN = /\b(UNIXSocket|TCPSocket)\.(?:new|open)\s*\(?\s*(['"])([^'"#]+)\2(?:\s*,\s*(\d+))?/;

/**
 * A socket the app's own code opens to a literal address of its machine: a service beside the app on
 * the server (a Node side process, a local daemon), which no pod runs. A TCP port that is not written
 * (`TCPSocket.new("localhost", $port)`) says no service, and may be the app's own: left alone.
 * config/environments/<env>.rb counts for that env only; app/, lib/ and the rest of config/ for every stage.
 */
function socketAddresses(ctx: AnalyzerContext, envs: StageEnv[]): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const file of ctx.repo.paths) {
    if (!/^(?:app|lib|config)\/.+\.rb$/.test(file)) continue;
    const envFile = /^config\/environments\/([^/]+)\.rb$/.exec(file)?.[1];
    const applies = envFile ? envs.filter((e) => e.env === envFile) : envs;
    if (!applies.length) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !/\b(?:UNIX|TCP)Socket\./.test(r.text)) continue;
    r.text.split(/\r?\n/).forEach((line, i) => {
      if (/^\s*#/.test(line)) return;
      const m = SOCKET_OPEN.exec(line);
      if (!m) return;
      const [, klass, , target, port] = m;
      let address: string;
      let found: Found | null;
      if (klass === "UNIXSocket") {
        if (!target!.startsWith("/")) return;
        address = target!;
        found = { socket: true };
      } else {
        const host = localAddressOf(target!);
        if (!host || port === undefined) return;
        address = `${target}:${port}`;
        found = { port };
      }
      const k = kindOf(found, line) ?? "local";
      out.push({ kind: k, what: `${klass} in the app's code`, address, source: { file, line: i + 1 }, stages: applies.map((e) => e.stage) });
    });
  }
  return out;
}

// --- Ruby -------------------------------------------------------------------------------------

const isEnvConst = (n: any) => (kind(n) === "ConstantReadNode" && n.name === "ENV") || (kind(n) === "ConstantPathNode" && !n.parent && n.name === "ENV");

/** `ENV["X"]` / `ENV.fetch("X"...)` / `ENV.key?("X")`: the variable's name. */
function envReadName(n: any): string | null {
  if (kind(n) !== "CallNode" || !isEnvConst(n.receiver)) return null;
  if (!["[]", "fetch", "key?", "has_key?", "include?"].includes(n.name)) return null;
  return literalName(argsOf(n)[0]);
}

/** A test of whether ENV holds X (`ENV["X"]`, `ENV["X"].present?`, `ENV.key?("X")`); `negated` for `.blank?`/`.nil?`/`!`. */
function presenceTest(n: any): { env: string; negated: boolean } | null {
  if (kind(n) === "ParenthesesNode") return presenceTest(n.body?.body?.[0]);
  if (kind(n) !== "CallNode") return null;
  const direct = envReadName(n);
  if (direct && n.name !== "fetch") return { env: direct, negated: false };
  if (n.name === "!" && n.receiver) {
    const inner = presenceTest(n.receiver);
    return inner ? { env: inner.env, negated: !inner.negated } : null;
  }
  const recv = n.receiver ? envReadName(n.receiver) : null;
  if (recv && argsOf(n).length === 0) {
    if (n.name === "present?") return { env: recv, negated: false };
    if (n.name === "blank?" || n.name === "nil?" || n.name === "empty?") return { env: recv, negated: true };
  }
  return null;
}

const isRailsEnvExpr = (n: any): boolean => {
  if (kind(n) === "CallNode" && n.name === "env" && kind(n.receiver) === "ConstantReadNode" && n.receiver.name === "Rails" && argsOf(n).length === 0) return true;
  if (kind(n) === "CallNode" && (n.name === "to_s" || n.name === "to_sym") && n.receiver) return isRailsEnvExpr(n.receiver);
  const env = envReadName(n);
  return env === "RAILS_ENV" || env === "RACK_ENV";
};

const literalList = (n: any): string[] | null => {
  if (kind(n) !== "ArrayNode") return null;
  const out = (n.elements ?? []).map(literalName);
  return out.every((x: string | null) => x !== null) ? out : null;
};

/** Whether a condition holds in Rails env `env`; null when it tests something else. */
function holds(n: any, env: string): boolean | null {
  switch (kind(n)) {
    case "ParenthesesNode": {
      const body = n.body?.body ?? [];
      return body.length === 1 ? holds(body[0], env) : null;
    }
    case "OrNode": {
      const [a, b] = [holds(n.left, env), holds(n.right, env)];
      return a === true || b === true ? true : a === false && b === false ? false : null;
    }
    case "AndNode": {
      const [a, b] = [holds(n.left, env), holds(n.right, env)];
      return a === false || b === false ? false : a === true && b === true ? true : null;
    }
    case "CallNode": {
      const args = argsOf(n);
      if (n.name === "!" && n.receiver) {
        const v = holds(n.receiver, env);
        return v === null ? null : !v;
      }
      if (n.receiver && isRailsEnvExpr(n.receiver) && args.length === 0 && /^\w+\?$/.test(n.name) && n.name !== "nil?" && n.name !== "blank?" && n.name !== "present?") return n.name.slice(0, -1) === env;
      if (["==", "!=", "eql?", "==="].includes(n.name) && n.receiver && args.length === 1) {
        const [l, r] = [n.receiver, args[0]];
        const lit = isRailsEnvExpr(l) ? literalName(r) : isRailsEnvExpr(r) ? literalName(l) : null;
        if (lit === null) return null;
        return n.name === "!=" ? lit !== env : lit === env;
      }
      if (n.name === "include?" && args.length === 1 && isRailsEnvExpr(args[0])) {
        const list = literalList(n.receiver);
        return list ? list.includes(env) : null;
      }
      if (n.name === "in?" && n.receiver && isRailsEnvExpr(n.receiver) && args.length === 1) {
        const list = literalList(args[0]);
        return list ? list.includes(env) : null;
      }
      return null;
    }
    default:
      return null;
  }
}

interface Scope {
  /** Per env: runs (true), does not (false), not known (null). */
  runs(env: string): boolean | null;
  /** The first condition the analysis does not decide. */
  condition: string | null;
  /** The ENV variable whose absence the address stands in for. */
  envDefault: string | null;
  /** A branch on whether ENV holds a variable is around it (its name): an address there is that variable's stand-in, any other statement runs or not by the pod's environment. */
  envTested: string | null;
}

/** What the branches around a node say, from its ancestors (outermost first). */
function scopeOf(chain: any[], p: ParsedRuby): Scope {
  const tests: { node: any; want: boolean }[] = [];
  const cases: { values: string[] | null; inElse: boolean; others: string[] }[] = [];
  let envDefault: string | null = null;
  let envTested: string | null = null;
  let condition: string | null = null;
  const within = (outer: any, inner: any) => !!outer && !!inner && inner.location.startOffset >= outer.location.startOffset && inner.location.startOffset + inner.location.length <= outer.location.startOffset + outer.location.length;
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    const k = kind(parent);
    if (k === "IfNode" || k === "UnlessNode") {
      const inThen = within(parent.statements, child) || child === parent.statements;
      const other = k === "IfNode" ? parent.subsequent : parent.elseClause;
      const inElse = other && (child === other || within(other, child));
      if (!inThen && !inElse) continue;
      const want = (k === "IfNode") === inThen;
      const presence = presenceTest(parent.predicate);
      if (presence) envTested = presence.env;
      if (presence) {
        // The branch taken when X is unset: the address there is X's default.
        if (want === presence.negated) envDefault = presence.env;
        continue;
      }
      tests.push({ node: parent.predicate, want });
    } else if (k === "CaseNode" && parent.predicate && isRailsEnvExpr(parent.predicate)) {
      const whens: any[] = parent.conditions ?? [];
      const all = whens.flatMap((w) => (w.conditions ?? []).map(literalName));
      const known = all.every((x: string | null) => x !== null) ? (all as string[]) : null;
      const inWhen = whens.find((w) => child === w || within(w, child));
      if (inWhen) cases.push({ values: (inWhen.conditions ?? []).map(literalName).every((x: string | null) => x !== null) ? inWhen.conditions.map(literalName) : null, inElse: false, others: [] });
      else if (parent.elseClause && within(parent.elseClause, child)) cases.push({ values: known, inElse: true, others: known ?? [] });
    }
  }
  for (const t of tests) if (condition === null && ["production", "staging", "development", "test"].every((e) => holds(t.node, e) === null)) condition = p.textOf(t.node).replace(/\s+/g, " ").slice(0, 80);
  const runs = (env: string): boolean | null => {
    let unknown = false;
    for (const t of tests) {
      const h = holds(t.node, env);
      if (h === null) unknown = true;
      else if (h !== t.want) return false;
    }
    for (const c of cases) {
      if (c.values === null) unknown = true;
      else if (c.inElse ? c.values.includes(env) : !c.values.includes(env)) return false;
    }
    return unknown ? null : true;
  };
  if (condition === null && tests.length) condition = p.textOf(tests[0]!.node).replace(/\s+/g, " ").slice(0, 80);
  return { runs, condition, envDefault, envTested };
}

/** The ENV variable a string is the fallback of, from the expression around it. */
function fallbackOf(chain: any[]): string | null {
  for (let i = chain.length - 2; i >= 0; i--) {
    const parent = chain[i];
    const child = chain[i + 1];
    const k = kind(parent);
    if (k === "CallNode" && parent.name === "fetch" && isEnvConst(parent.receiver)) {
      const args = argsOf(parent);
      if (args[0] !== child) return literalName(args[0]);
    }
    if (k === "OrNode" && parent.right === child) {
      const env = envReadName(parent.left) ?? (kind(parent.left) === "CallNode" && parent.left.receiver ? envReadName(parent.left.receiver) : null);
      if (env) return env;
    }
    if (k === "IndexOrWriteNode" && isEnvConst(parent.receiver) && parent.value === child) return literalName(argsOf(parent)[0]);
    // A statement boundary: the fallback is an expression's, never a whole block's; but the block
    // of `ENV.fetch("X") { ... }` is that call's fallback.
    if (k === "StatementsNode") {
      const block = chain[i - 1];
      const call = chain[i - 2];
      if (kind(block) === "BlockNode" && kind(call) === "CallNode" && call.name === "fetch" && isEnvConst(call.receiver)) return literalName(argsOf(call)[0]);
      return null;
    }
  }
  return null;
}

/** A short name of the statement that holds an address: `config.redis=`, `$redis = Redis.new`. */
function describe(n: any, p: ParsedRuby): string {
  const k = kind(n);
  if (k === "CallNode") {
    const recv = n.receiver ? p.textOf(n.receiver) : "";
    // Only a plain name chain (`Rails.application.config`): a receiver with arguments may hold a password.
    const head = recv && recv.length <= 60 && /^[$@]{0,2}[\w:.]+$/.test(recv) ? `${recv}.${n.name}` : n.name;
    return head;
  }
  if (k === "IndexOrWriteNode") return `${p.textOf(n).split("||=")[0]!.trim().slice(0, 60)} ||=`;
  if (/VariableWriteNode$|ConstantWriteNode$|OrWriteNode$/.test(k) && n.name && n.value) {
    const v = describe(n.value, p);
    return v ? `${n.name} = ${v}` : String(n.name);
  }
  return "";
}

function rubyAddresses(p: ParsedRuby, envs: StageEnv[]): LocalAddress[] {
  const out: LocalAddress[] = [];
  const visit = (node: any, chain: any[]) => {
    const k = kind(node);
    if (k === "StringNode") {
      const text: string = node.unescaped?.value ?? "";
      const found = localAddressOf(text);
      if (found) {
        const statement = [...chain].reverse().find((a, i, rev) => kind(rev[i + 1]) === "StatementsNode") ?? chain[1] ?? node;
        const calls = chain.filter((a) => kind(a) === "CallNode" && a.block).map((a) => describe(a, p)).filter(Boolean);
        const what = [describe(statement, p), ...calls.reverse()].filter(Boolean).filter((x, i, all) => all.indexOf(x) === i).join(" in ");
        const words = `${p.file} ${p.textOf(statement).slice(0, 400)} ${calls.join(" ")}`;
        const k2 = kindOf(found, words);
        if (k2) out.push(place(k2, what || "a client setting", text, { file: p.file, line: p.lineOf(node.location.startOffset) }, [...chain, node], p, envs));
      }
    }
    // `config.cache_store = :mem_cache_store` (or :redis_cache_store) with no address: the store's default.
    if (k === "CallNode" && node.name === "cache_store=") {
      const args = argsOf(node);
      const flat = args.length === 1 && kind(args[0]) === "ArrayNode" ? args[0].elements : args;
      const store = literalName(flat[0]);
      const rest = flat.slice(1);
      const addressGiven = rest.some((a: any) => kind(a) !== "KeywordHashNode" && kind(a) !== "HashNode") || rest.some((a: any) => (a.elements ?? []).some((e: any) => ["url", "servers", "host"].includes(literalName(e.key) ?? "")));
      const source = { file: p.file, line: p.lineOf(node.location.startOffset) };
      if (store === "mem_cache_store" && !addressGiven)
        out.push({ ...place("memcached", "config.cache_store = :mem_cache_store", "localhost:11211", source, [...chain, node], p, envs), defaultOf: "mem_cache_store given no address (Rails 5 and older: localhost:11211; Rails 6+: Dalli's MEMCACHE_SERVERS, else 127.0.0.1:11211)" });
      if (store === "redis_cache_store" && !addressGiven)
        out.push({ ...place("redis", "config.cache_store = :redis_cache_store", "127.0.0.1:6379", source, [...chain, node], p, envs), defaultOf: "redis_cache_store given no url (the redis client reads REDIS_URL, else 127.0.0.1:6379)", envDefault: "REDIS_URL" });
    }
    for (const c of childrenOf(node)) visit(c, [...chain, node]);
  };
  visit(p.root, []);
  return out;
}

function place(k: Kind, what: string, address: string, source: Source, chain: any[], p: ParsedRuby, envs: StageEnv[]): LocalAddress {
  const scope = scopeOf(chain, p);
  const fallback = fallbackOf(chain) ?? scope.envDefault;
  const stages: string[] = [];
  const unsure: string[] = [];
  for (const e of envs) {
    const r = scope.runs(e.env);
    if (r === true) stages.push(e.stage);
    else if (r === null) unsure.push(e.stage);
  }
  return { kind: k, what, address: shown(address), source, ...(fallback ? { envDefault: fallback } : {}), stages, ...(unsure.length ? { unsure: { stages: unsure, condition: scope.condition ?? "a condition" } } : {}) };
}

// --- YAML -------------------------------------------------------------------------------------

const ENV_SECTIONS = new Set(["development", "test", "production", "staging", "default", "defaults", "shared"]);

/** A string leaf, or an ENV read's default: the address and the variable it is the default of. */
function leafAddress(v: RValue): { text: string; envDefault?: string } | null {
  if (typeof v === "string") return { text: v };
  if (isEnvRef(v) && typeof v.default === "string") return { text: v.default, envDefault: v.env };
  return null;
}

/** Leaves with the port their hash gives beside them (`host: localhost` next to `port: 9200`). */
function walkLeaves(v: RValue, path: (string | number)[], visit: (v: RValue, path: (string | number)[], port: string | null) => void, port: string | null = null): void {
  if (isHash(v)) {
    const p = typeof v.port === "number" || typeof v.port === "string" ? String(v.port) : null;
    for (const [k, x] of Object.entries(v)) walkLeaves(x, [...path, k], visit, p);
  } else if (Array.isArray(v)) v.forEach((x, i) => walkLeaves(x, [...path, i], visit, port));
  else visit(v, path, port);
}

/** The address with the port written beside it, when it names none itself. */
const withPort = (found: Found | null, port: string | null): Found | null => (found && !found.port && port && !found.socket ? { ...found, port } : found);

/** How `shared:` reaches a stage here: the app's Rails version's rule, or the current one assumed (then said once per file). */
interface SharedRule {
  mode: SharedMerge;
  /** Whether Symbol section names count, and whether a `false` section takes shared's values. */
  lookup: { symbolKeys: boolean; falseTakesShared: boolean };
  assumed: boolean;
  warn(p: { file: string; line: number; message: string; severity: "warning" }): void;
}

function yamlAddresses(ctx: AnalyzerContext, file: string, envs: StageEnv[], shared: SharedRule, mail: MailDelivery, named?: string): LocalAddress[] {
  const r = ctx.repo.read(file);
  if ("error" in r || !/localhost|127\.|::1|0\.0\.0\.0|\.sock\b/.test(r.text)) return [];
  const y = readErbYaml(ctx, file);
  if (!y || !isHash(y.value)) return [];
  // Before Rails 6.1 config_for looks its sections up by String: a `:production:` key is none.
  const top = (shared.lookup.symbolKeys ? null : y.stringTop) ?? y.value;
  const sectioned = Object.keys(top).some((k) => ENV_SECTIONS.has(k) || envs.some((e) => e.env === k));
  const out: LocalAddress[] = [];
  const base = named ?? file.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
  // The config gem's layout: config/settings.yml, overridden per env by config/settings/<env>.yml.
  const overlays = new Map<string, RValue>();
  for (const e of named ? [] : envs) {
    const o = [`config/${base}/${e.env}.yml`, `config/${base}/${e.env}.yaml`].find((f) => ctx.repo.paths.includes(f));
    const v = o ? readErbYaml(ctx, o)?.value : undefined;
    if (v !== undefined && v !== null) overlays.set(e.stage, v);
  }
  const overridden = (stage: string, path: (string | number)[]): boolean => {
    let cur: RValue | undefined = overlays.get(stage);
    for (const k of path) {
      if (cur === undefined || !isHash(cur) || !(String(k) in cur)) return false;
      cur = cur[String(k)];
    }
    return cur !== undefined;
  };
  // How config_for merges `shared:` under an env's section (src/model/config-for-shared.ts): a shared leaf
  // reaches the stage whose section does not set that key (deep: at any level; shallow: its
  // top-level key), and none whose section is not a Hash. Before 6.0 it reaches none.
  const sharedReaches = (env: string, path: (string | number)[]): boolean => {
    if (shared.mode === "none") return false;
    let cur: RValue | undefined = top[env];
    // 6.0.0–6.0.3 read `config[env] || {}`: a `false` section is empty there too.
    if (cur === undefined || cur === null || ((shared.mode === "shallow" || shared.lookup.falseTakesShared) && cur === false)) return true;
    if (shared.mode === "shallow") return isHash(cur) && !(String(path[1]) in cur);
    for (const k of path.slice(1)) {
      if (!isHash(cur)) return false;
      if (!(String(k) in cur)) return true;
      cur = cur[String(k)];
    }
    return false;
  };
  const sectionOf = (stage: string): RValue | undefined => top[envs.find((e) => e.stage === stage)?.env ?? ""];
  const visitIn = (value: RValue, prefix: (string | number)[], stages: string[]) =>
    walkLeaves(value, prefix, (leaf, path, port) => {
      const a = leafAddress(leaf);
      const found = withPort(a ? localAddressOf(a.text) : null, port);
      let reads = prefix[0] === "shared" && sectioned ? envs.filter((e) => stages.includes(e.stage) && sharedReaches(e.env, path)).map((e) => e.stage) : sectioned ? stages : stages.filter((st) => !overridden(st, path));
      if (!a || !found || !reads.length) return;
      const k = kindOf(found, `${base} ${path.join(" ")}`);
      if (!k) return;
      if (k === "smtp") {
        // The delivery_method beside it: in the env's own section first, then in shared's.
        const rel = path.slice(sectioned ? 1 : 0);
        const roots = (st: string): RValue[] => (sectioned ? [sectionOf(st), shared.mode !== "none" ? top.shared : undefined] : [top]).filter((r): r is RValue => r !== undefined);
        reads = reads.filter((st) => mail.mayBeSmtp(envs.find((e) => e.stage === st)!.env, deliveryBeside(roots(st), rel)));
        if (!reads.length) return;
      }
      out.push({ kind: k, what: `${file} ${path.join(".")}`, address: shown(a.text), source: { file, line: y.lineOf(path) }, ...(a.envDefault ? { envDefault: a.envDefault } : {}), stages: reads });
    });
  if (!sectioned) visitIn(top, [], envs.map((e) => e.stage));
  else
    for (const e of envs) {
      const section = top[e.env];
      if (section !== undefined) visitIn(section, [e.env], [e.stage]);
    }
  if (sectioned && shared.mode !== "none" && isHash(top.shared) && !envs.some((e) => e.env === "shared")) {
    const before = out.length;
    visitIn(top.shared, ["shared"], envs.map((e) => e.stage));
    if (shared.assumed && out.length > before)
      shared.warn({
        file,
        line: y.lineOf(["shared"]),
        message: `config.shared-unknown-rails: ${file}'s shared: section is read as Rails 6.0.4+ config_for reads it (deep-merged under each environment's section), an assumption: the app's Rails version is not known (no rails or railties in Gemfile.lock). Rails before 6.0 ignores shared:, 6.0.0–6.0.3 merge it shallowly, so which stages read its addresses depends on the version`,
        severity: "warning",
      });
  }
  return out;
}

const ADAPTER_KIND: Record<string, Kind> = { postgresql: "postgresql", postgis: "postgresql", mysql2: "mysql", mysql: "mysql", trilogy: "mysql" };

/** database.yml, per stage: the production host (or socket, or none: the client's local socket). */
function databaseAddresses(ctx: AnalyzerContext, file: string, envs: StageEnv[]): LocalAddress[] {
  const y = readErbYaml(ctx, file);
  if (!y || !isHash(y.value)) return [];
  const out: LocalAddress[] = [];
  for (const e of envs) {
    const section = y.value[e.env];
    if (!isHash(section)) continue;
    const direct = ["adapter", "url", "host", "database", "socket"].some((key) => key in section);
    const configs: [RValue, string[]][] = direct ? [[section, [e.env]]] : Object.entries(section).filter(([, v]) => isHash(v)).map(([k, v]) => [v, [e.env, k]]);
    for (const [c, path] of configs) {
      if (!isHash(c)) continue;
      const adapter = typeof c.adapter === "string" ? c.adapter : null;
      const what = `database.yml ${path.join(".")}`;
      const at = (key: string) => ({ file, line: y.lineOf([...path, key]) });
      let named = false;
      for (const key of ["url", "host", "socket"]) {
        if (!(key in c)) continue;
        // A socket counts only where no host or url is given (the clients use the socket for no host, or localhost).
        if (key === "socket" && ("host" in c || "url" in c)) continue;
        const a = leafAddress(c[key]!);
        if (key !== "socket" && c[key] !== null) named = true;
        // An ENV read without a default names the address elsewhere; its value is not this file's.
        if (!a) continue;
        const found = key === "socket" ? { socket: true as const } : localAddressOf(a.text);
        if (!found) continue;
        const k = (adapter && ADAPTER_KIND[adapter]) ?? kindOf(found, adapter ?? "");
        if (!k) continue;
        out.push({ kind: k, what: `${what} ${key}`, address: shown(a.text), source: at(key), ...(a.envDefault ? { envDefault: a.envDefault } : {}), stages: [e.stage] });
        named = true;
      }
      if (!named && adapter && ADAPTER_KIND[adapter] && !("socket" in c))
        out.push({ kind: ADAPTER_KIND[adapter]!, what: `${what} (no host, url or socket)`, address: "the local Unix socket", defaultOf: `the ${adapter} client given no host`, source: { file, line: y.lineOf(path) }, stages: [e.stage] });
    }
  }
  return out;
}

/** cable.yml, per stage: the redis adapter's url, or none (the redis client's REDIS_URL, else localhost). */
function cableAddresses(ctx: AnalyzerContext, file: string, envs: StageEnv[]): LocalAddress[] {
  const y = readErbYaml(ctx, file);
  if (!y || !isHash(y.value)) return [];
  const out: LocalAddress[] = [];
  for (const e of envs) {
    const c = y.value[e.env];
    if (!isHash(c) || c.adapter !== "redis") continue;
    if (!("url" in c) && !("host" in c)) {
      out.push({ kind: "redis", what: `cable.yml ${e.env} (redis adapter, no url)`, address: "127.0.0.1:6379", envDefault: "REDIS_URL", defaultOf: "the redis client given no url", source: { file, line: y.lineOf([e.env, "adapter"]) }, stages: [e.stage] });
      continue;
    }
    for (const key of ["url", "host"]) {
      const a = key in c ? leafAddress(c[key]!) : null;
      if (!a || !localAddressOf(a.text)) continue;
      out.push({ kind: "redis", what: `cable.yml ${e.env}.${key}`, address: shown(a.text), source: { file, line: y.lineOf([e.env, key]) }, ...(a.envDefault ? { envDefault: a.envDefault } : {}), stages: [e.stage] });
    }
  }
  return out;
}

/**
 * Global's values per stage env, each with the line it came from in that env: the env's own section
 * when it holds the key, else the `default` section (the namespace's `sources` name one line for
 * every env, which for a default an env did not override is the wrong one).
 */
function globalAddresses(ctx: AnalyzerContext, global: GlobalFacts, envs: StageEnv[], mail: MailDelivery): LocalAddress[] {
  const out: LocalAddress[] = [];
  const files = new Map<string, ReturnType<typeof readErbYaml>>();
  const read = (file: string) => {
    if (!files.has(file)) files.set(file, /\.ya?ml$/.test(file) && ctx.repo.paths.includes(file) ? readErbYaml(ctx, file) : null);
    return files.get(file)!;
  };
  const has = (v: RValue | undefined, path: (string | number)[]): boolean => {
    let cur: RValue | undefined = v;
    for (const k of path) {
      if (cur === undefined || !isHash(cur) || !(String(k) in cur)) return false;
      cur = cur[String(k)];
    }
    return true;
  };
  const lineIn = (ns: GlobalFacts["namespaces"][number], env: string, path: (string | number)[]): Source | null => {
    for (const file of [...ns.files].reverse()) {
      const y = read(file);
      if (!y || !isHash(y.value)) continue;
      for (const section of [env, `:${env}`, "default", ":default"]) if (has(y.value[section], path)) return { file, line: y.lineOf([section, ...path]) };
    }
    return null;
  };
  for (const ns of global.namespaces)
    for (const e of envs) {
      const value = ns.values[e.env];
      if (value === undefined) continue;
      walkLeaves(value, [], (leaf, path, port) => {
        const a = leafAddress(leaf);
        const found = withPort(a ? localAddressOf(a.text) : null, port);
        const dotted = path.join(".");
        if (!a || !found) return;
        const source = lineIn(ns, e.env, path) ?? ns.sources[dotted];
        if (!source) return;
        const k = kindOf(found, `${ns.name} ${dotted}`);
        if (!k) return;
        if (k === "smtp" && !mail.mayBeSmtp(e.env, deliveryBeside([value], path))) return;
        out.push({ kind: k, what: `Global.${ns.name}.${dotted}`, address: shown(a.text), source, ...(a.envDefault ? { envDefault: a.envDefault } : {}), stages: [e.stage] });
      });
    }
  return out;
}

// --- ActionMailer's delivery method -----------------------------------------------------------

/**
 * What an env's boot leaves in ActionMailer's delivery_method: `default` (nothing assigns it: Rails'
 * :smtp), a method's name, or `unknown` (assigned something that is not a literal).
 */
type Delivered = "default" | "unknown" | string;

export interface MailDelivery {
  /** Whether smtp is, or may be, the env's method; `beside` is the delivery_method the config holding the address names. */
  mayBeSmtp(env: string, beside?: RValue): boolean;
  /** The address with only the stages (sure or unsure) where smtp may be the method. */
  onlySmtp(a: LocalAddress, envs: StageEnv[]): LocalAddress;
}

const DELIVERY_RECEIVER = /(?:^|\.)action_mailer$|^(?:::)?ActionMailer::Base$/;
const ENV_REQUIRE = /^(?:\.\/|\.\.\/environments\/)?([\w-]+?)(?:\.rb)?$/;

/**
 * The delivery_method each env's boot may end with, in Rails' order: config/application.rb, the
 * env's config/environments file (and the env files it requires, e.g. staging.rb requiring
 * production.rb), then config/initializers in name order. Each assignment counts for the envs its
 * branches run in; one under an undecided condition adds its value to what the env may hold.
 */
export function mailDelivery(ctx: AnalyzerContext, envs: StageEnv[]): MailDelivery {
  const parsed = new Map<string, ParsedRuby | null>();
  const parse = (file: string): ParsedRuby | null => {
    if (!parsed.has(file)) {
      const r = ctx.repo.paths.includes(file) ? ctx.repo.read(file) : null;
      parsed.set(file, r && !("error" in r) && /delivery_method|require/.test(r.text) ? parseRuby(file, r.text) : null);
    }
    return parsed.get(file)!;
  };
  const byEnv = new Map<string, Set<Delivered>>();
  const initializers = ctx.repo.paths.filter((f) => /^config\/initializers\/.+\.rb$/.test(f)).sort();
  for (const env of new Set(envs.map((e) => e.env))) {
    let may = new Set<Delivered>(["default"]);
    const apply = (p: ParsedRuby | null) => {
      for (const a of p ? assignments(p) : []) {
        const decided = a.scope.runs(env);
        const runs = decided !== false && a.scope.envTested ? null : decided;
        if (runs === false) continue;
        if (runs === true) may = new Set([a.value]);
        else may.add(a.value);
      }
    };
    apply(parse("config/application.rb"));
    for (const f of envFileChain(env, parse)) apply(parse(f));
    for (const f of initializers) apply(parse(f));
    byEnv.set(env, may);
  }
  const mayBeSmtp = (env: string, beside?: RValue): boolean => {
    const named = beside === undefined ? undefined : beside !== null && isSym(beside) ? beside.sym : typeof beside === "string" ? beside : "unknown";
    for (const d of byEnv.get(env) ?? new Set<Delivered>(["default"])) {
      const m = d === "default" || d === "unknown" ? (named ?? (d === "default" ? "smtp" : "unknown")) : d;
      if (m === "smtp" || m === "unknown") return true;
    }
    return false;
  };
  const onlySmtp = (a: LocalAddress, all: StageEnv[]): LocalAddress => {
    const keep = (st: string) => mayBeSmtp(all.find((e) => e.stage === st)?.env ?? st);
    const unsure = a.unsure ? a.unsure.stages.filter(keep) : [];
    const { unsure: _, ...rest } = a;
    return { ...rest, stages: a.stages.filter(keep), ...(unsure.length ? { unsure: { stages: unsure, condition: a.unsure!.condition } } : {}) };
  };
  return { mayBeSmtp, onlySmtp };
}

/** How deep env files requiring env files are followed (a real app chains two or three). */
const MAX_ENV_REQUIRE_DEPTH = 16;

/**
 * config/environments/<env>.rb after the env files it requires (first), each once: as Ruby's
 * require_relative, a file already loading or loaded is not loaded again, so a file requiring itself
 * or two requiring each other end (the inner require returns false and the file's body runs once).
 */
function envFileChain(env: string, parse: (file: string) => ParsedRuby | null): string[] {
  const out: string[] = [];
  const loading = new Set<string>();
  const visit = (file: string, depth: number) => {
    if (loading.has(file) || depth > MAX_ENV_REQUIRE_DEPTH) return;
    loading.add(file);
    const p = parse(file);
    const required: string[] = [];
    const walk = (n: any) => {
      if (kind(n) === "CallNode" && !n.receiver && (n.name === "require_relative" || n.name === "require")) {
        const arg = argsOf(n)[0];
        // require_relative "production", or require File.expand_path("../production", __FILE__)
        const text = n.name === "require_relative" ? literalName(arg) : kind(arg) === "CallNode" && arg.name === "expand_path" ? literalName(argsOf(arg)[0])?.replace(/^\.\.\//, "") ?? null : null;
        const m = text ? ENV_REQUIRE.exec(text) : null;
        if (m) required.push(`config/environments/${m[1]}.rb`);
      }
      for (const c of childrenOf(n)) walk(c);
    };
    if (p) walk(p.root);
    // What it requires ran before its own body.
    for (const r of required) visit(r, depth + 1);
    out.push(file);
  };
  visit(`config/environments/${env}.rb`, 0);
  return out;
}

/** `config.action_mailer.delivery_method = x` and `ActionMailer::Base.delivery_method = x`, with their branches. */
function assignments(p: ParsedRuby): { value: Delivered; scope: Scope }[] {
  const out: { value: Delivered; scope: Scope }[] = [];
  const visit = (node: any, chain: any[]) => {
    if (kind(node) === "CallNode" && node.name === "delivery_method=" && node.receiver && DELIVERY_RECEIVER.test(p.textOf(node.receiver).replace(/\s+/g, ""))) {
      const name = literalName(argsOf(node)[0]);
      out.push({ value: name ?? "unknown", scope: scopeOf([...chain, node], p) });
    }
    for (const c of childrenOf(node)) visit(c, [...chain, node]);
  };
  visit(p.root, []);
  return out;
}

/** The delivery_method named in the nearest Hash around a leaf (its parent first), in the first root that has one. */
function deliveryBeside(roots: RValue[], path: (string | number)[]): RValue | undefined {
  for (const root of roots) {
    const hashes: RValue[] = [];
    let cur: RValue | undefined = root;
    for (const k of path.slice(0, -1)) {
      if (!isHash(cur)) break;
      hashes.push(cur);
      cur = cur[String(k)];
    }
    if (isHash(cur) && hashes.length === path.length - 1) hashes.push(cur);
    for (const h of hashes.reverse()) if (isHash(h) && "delivery_method" in h) return h.delivery_method;
  }
  return undefined;
}
