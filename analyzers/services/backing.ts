// Datastores the deploy itself starts on the servers (Redis, memcached, Elasticsearch): the cluster
// runs none of them, so each is a service the cluster (or a managed offering) must provide, named
// with the deploy line that started it and, for Redis, the settings of the config it ran with.
//
// Rules:
// - A deploy line starts one when, after SSHKit's `command_map` is applied (`command_map[:redis_cache]
//   = 'sudo service redis-cache'` makes `execute :redis_cache, 'start'` that service's start), it
//   starts a unit whose name says redis/memcached/elasticsearch, or runs the server program itself.
// - Its config is the file the command names (`redis-server config/redis.conf`), else a repo config of
//   that kind whose path names the unit (`redis-cache/redis.conf` for `redis-cache`), else the
//   repo's only one when the deploy starts one such service. None found: said, never guessed.
// - Redis settings are read as Redis reads its file: one directive a line, the last one wins.
// - Deploy lines are read one line at a time and, where Prism parses the file, as calls: a
//   `command_map[...] =` or an `execute` split over lines or given a heredoc is one command.
// - A systemd unit kept in the repo (`*.service`, `*.service.erb`, anywhere) whose ExecStart= runs
//   the server program is one such service, named for its unit (analyzers/services/unit-file.ts).
import type { AnalyzerContext, BackingService, Fact, LinkedPath, Source } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { startLines } from "../appserver/started.js";
import { startedUnits } from "../../src/model/service-managers.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";
import { DEPLOY_FILE } from "../appserver/started.js";
import { argsOf, kind as nodeKind, literalName, parseRuby, type ParsedRuby, childrenOf } from "../ruby/prism.js";
import { execStarts, readUnit } from "./unit-file.js";

type Kind = BackingService["kind"];
const KINDS: { kind: Kind; unit: RegExp; program: RegExp }[] = [
  { kind: "redis", unit: /redis/, program: /(?:^|\/)redis-server$/ },
  { kind: "memcached", unit: /memcache/, program: /(?:^|\/)memcached$/ },
  { kind: "elasticsearch", unit: /elasticsearch/, program: /(?:^|\/)elasticsearch$/ },
  { kind: "opensearch", unit: /opensearch/, program: /(?:^|\/)opensearch$/ },
  { kind: "postgresql", unit: /^postgres/, program: /(?:^|\/)(?:postgres|postmaster)$/ },
  { kind: "mysql", unit: /^(?:mysql|mariadb)/, program: /(?:^|\/)(?:mysqld|mysqld_safe|mariadbd)$/ },
];

/** `SSHKit.config.command_map[:name] = "command"` (Capistrano 3), as written on one line. */
const COMMAND_MAP = /command_map\s*\[\s*:(\w+)\s*\]\s*=\s*(['"])([^'"#]*)\2/;
/** `execute :name, args…` / `sudo :name, …` / `test :name …`: the first word is a command_map key. */
const EXECUTE = /^\s*(?:execute|sudo|capture)\s*\(?\s*:(\w+)\s*(?:,\s*(.*?))?\)?\s*$/;
/** A Ruby deploy line as shell words: symbols, quotes and commas gone. */
// Secrets are cut first: the colons and quotes this drops are what the shapes are found by
// (`"postgres://app:pw@db/x"` became `postgres //app pw@db/x`, a password no rule then sees).
const asShell = (line: string) => cutSecretShapes(line, SECRET_SHOWN_AS).replace(/[:'",()]/g, " ").replace(/\s+/g, " ").trim();


/** A command the deploy runs, as shell words in one string, with the line that runs it. */
interface DeployCommand {
  shell: string;
  source: Source;
  /** The `command_map` entry that gave its program. */
  via?: Source;
  /** The systemd unit it is the ExecStart= of: the service is named for the unit. */
  unit?: string;
}

export function backingServices(ctx: AnalyzerContext, linked: LinkedPath[] = []): BackingService[] {
  const commands = deployCommands(ctx);
  const out: BackingService[] = [];
  for (const c of commands) {
    for (const found0 of servicesIn(c.shell)) {
      const found = c.unit ? { ...found0, name: c.unit } : found0;
      const same = out.find((s) => s.kind === found.kind && s.name === found.name);
      // Started twice (a restart, then the program by hand): one service; a size the second line gives is kept.
      if (same) {
        if (found.kind === "memcached" && found.memoryMb && !same.settings["memory"]) same.settings["memory"] = { value: `${found.memoryMb}m`, source: c.source };
        continue;
      }
      const config = configOf(ctx, found.kind, found.name, found.configPath, out.filter((s) => s.kind === found.kind).length === 0 && started(commands, found.kind) === 1);
      const service: BackingService = { kind: found.kind, name: found.name, command: shownCommand(c.shell), source: c.source, ...(c.via ? { via: c.via } : {}), config: null, settings: {} };
      if (config) {
        const link = linked.find((p) => p.kind === "file" && p.path === config.file.replace(/\.(example|sample)$/, ""));
        service.config = { file: config.file, how: config.how, ...(link ? { linked: link.source } : {}) };
        if (found.kind === "redis") service.settings = redisSettings(ctx, config.file);
      } else if (found.kind === "redis") service.settings = redisSettings(ctx, null);
      if (found.kind === "memcached" && found.memoryMb) service.settings["memory"] = { value: `${found.memoryMb}m`, source: c.source };
      out.push(service);
    }
  }
  return out;
}

/**
 * Every command the deploy runs: its task files line by line (command_map applied), the calls Prism
 * reads across lines (a multi-line `execute`, a heredoc, a `command_map[...] =` whose value is on
 * the next line), then the ExecStart= of the repo's systemd units.
 */
function deployCommands(ctx: AnalyzerContext): DeployCommand[] {
  const deploy = [...startLines(ctx)].filter((l) => !l.service);
  const map = new Map<string, { command: string; source: Source }>();
  for (const l of deploy) {
    const m = COMMAND_MAP.exec(l.text);
    if (m) map.set(m[1]!, { command: m[3]!.trim(), source: l.source });
  }
  const calls: { name: string; words: { sym?: string; text: string }[]; source: Source; lines: number }[] = [];
  for (const file of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !/command_map|<<[~-]?['"]?[A-Z]|\b(?:execute|sudo|capture)\b[^\n]*,\s*$/m.test(r.text)) continue;
    const parsed = parseRuby(file, r.text);
    walk(parsed.root, (n) => {
      if (nodeKind(n) !== "CallNode") return;
      const args = argsOf(n);
      if (n.name === "[]=" && n.receiver && nodeKind(n.receiver) === "CallNode" && n.receiver.name === "command_map" && args.length === 2) {
        const key = literalName(args[0]);
        const value = stringOf(args[1], parsed);
        if (key && value !== null && !map.has(key)) map.set(key, { command: value.trim(), source: parsed.sourceOf(n) });
        return;
      }
      if (!CALLS.has(n.name) || n.receiver) return;
      const words = args.map((a: any) => (nodeKind(a) === "SymbolNode" ? { sym: literalName(a) ?? "", text: literalName(a) ?? "" } : { text: stringOf(a, parsed) ?? "" }));
      const from = parsed.lineOf(n.location.startOffset);
      const to = parsed.lineOf(n.location.startOffset + n.location.length);
      // A heredoc's body lies after the call's own text: such a call counts as one over lines.
      const heredoc = args.some((a: any) => /^<<[~-]?/.test(parsed.textOf(a)));
      calls.push({ name: n.name, words, source: { file, line: from }, lines: heredoc ? 2 : to - from + 1 });
    });
  }
  const out: DeployCommand[] = [];
  for (const l of deploy) {
    if (COMMAND_MAP.test(l.text)) continue;
    const ex = EXECUTE.exec(l.text);
    const entry = ex ? map.get(ex[1]!) : undefined;
    out.push(entry ? { shell: asShell(`${entry.command} ${ex![2] ?? ""}`), source: l.source, via: entry.source } : { shell: asShell(l.text), source: l.source });
  }
  for (const c of calls) {
    // A one-line call with no heredoc was read above, line by line.
    if (c.lines === 1) continue;
    const first = c.words[0];
    const entry = first?.sym ? map.get(first.sym) : undefined;
    const rest = c.words.slice(entry ? 1 : 0).map((w) => w.text.replace(/\s+/g, " ").trim());
    const text = [...(entry ? [entry.command] : []), ...rest].join(" ");
    // A heredoc of several commands: each of its lines is a command of its own.
    for (const part of text.split(/\s*(?:&&|;|\|\|)\s*/)) out.push({ shell: asShell(part), source: c.source, ...(entry ? { via: entry.source } : {}) });
  }
  for (const file of ctx.repo.paths) {
    // Units of vendored code and of the test suite never ran on the app's servers.
    if (!/\.service(?:\.erb)?$/.test(file) || /^(?:vendor|node_modules|spec|test)\//.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const unit = file.replace(/^.*\//, "").replace(/\.service(?:\.erb)?$/, "");
    for (const e of execStarts(readUnit(r.text))) out.push({ shell: cutSecretShapes(e.command, SECRET_SHOWN_AS).replace(/["']/g, " ").replace(/\s+/g, " ").trim(), source: { file, line: e.line }, ...(/[<%$#{]/.test(unit) ? {} : { unit }) });
  }
  return out;
}

const CALLS = new Set(["execute", "sudo", "run", "capture", "test", "system"]);

/** A string argument's text: its value, an interpolation kept as written, a heredoc's body; `.strip` and the like see through. */
function stringOf(node: any, parsed: ParsedRuby): string | null {
  switch (nodeKind(node)) {
    case "StringNode":
    case "XStringNode":
      return node.unescaped?.value ?? null;
    case "InterpolatedStringNode":
    case "InterpolatedXStringNode":
      return (node.parts ?? []).map((p: any) => (nodeKind(p) === "StringNode" ? (p.unescaped?.value ?? "") : parsed.textOf(p))).join("");
    case "CallNode":
      if (/^(strip|chomp|squish|lstrip|rstrip|freeze)$/.test(node.name) && node.receiver) return stringOf(node.receiver, parsed);
      return null;
    default:
      return null;
  }
}

function walk(node: any, visit: (n: any) => void): void {
  if (!node || typeof node !== "object") return;
  visit(node);
  const kids: any[] = childrenOf(node);
  for (const c of kids) walk(c, visit);
}

/** How many distinct services of a kind the deploy starts (a lone one may pair with the repo's lone config). */
function started(commands: DeployCommand[], kind: Kind): number {
  const names = new Set<string>();
  for (const c of commands) for (const s of servicesIn(c.shell)) if (s.kind === kind) names.add(c.unit ?? s.name);
  return names.size;
}

function servicesIn(shell: string): { kind: Kind; name: string; configPath?: string; memoryMb?: string }[] {
  const out: { kind: Kind; name: string; configPath?: string; memoryMb?: string }[] = [];
  for (const raw of startedUnits(shell)) {
    const unit = raw.replace(/\.(service|socket|target|timer)$/, "");
    const k = KINDS.find((x) => x.unit.test(unit));
    if (k && !/\$|#\{/.test(raw)) out.push({ kind: k.kind, name: unit });
  }
  const words = shell.split(" ");
  words.forEach((w, i) => {
    const k = KINDS.find((x) => x.program.test(w));
    if (!k) return;
    // A config path follows redis-server (`redis-server /x/redis.conf`); `-m 64` sizes memcached.
    const next = words[i + 1];
    const configPath = k.kind === "redis" && next && /\.conf$/.test(next) ? next : undefined;
    const mi = words.indexOf("-m", i);
    const memoryMb = k.kind === "memcached" && mi > i && /^\d+$/.test(words[mi + 1] ?? "") ? words[mi + 1] : undefined;
    out.push({ kind: k.kind, name: w.replace(/^.*\//, ""), ...(configPath ? { configPath } : {}), ...(memoryMb ? { memoryMb } : {}) });
  });
  return out;
}

const CONFIG_OF: Record<Kind, RegExp> = {
  redis: /(?:^|\/)[^/]*redis[^/]*\.conf(?:\.example|\.sample)?$|(?:^|\/)[^/]*redis[^/]*\/[^/]+\.conf(?:\.example|\.sample)?$/,
  memcached: /(?:^|\/)memcached[^/]*\.conf$/,
  elasticsearch: /(?:^|\/)elasticsearch[^/]*\.ya?ml$/,
  opensearch: /(?:^|\/)opensearch[^/]*\.ya?ml$/,
  postgresql: /(?:^|\/)postgresql[^/]*\.conf$/,
  mysql: /(?:^|\/)(?:my|mysqld?)[^/]*\.cnf$/,
};

function configOf(ctx: AnalyzerContext, kind: Kind, name: string, named: string | undefined, lone: boolean): { file: string; how: string } | null {
  if (named) {
    // A server path (`#{shared_path}/config/redis.conf`, `/var/www/app/shared/config/redis.conf`): the repo's file at its tail.
    const tail = named.replace(/^.*?(?:shared|current|release)[_ ]?path\}?\/?/, "").replace(/^.*\/(?:shared|current|releases\/[^/]+)\//, "");
    for (const p of [tail, `${tail}.example`, `${tail}.sample`]) if (hasPath(ctx.repo, p)) return { file: p, how: `named by the command (${named})` };
    // A path of the servers only (`/etc/app/redis-cache.conf`): the repo's one file of that name is what was put there.
    const base = named.replace(/^.*\//, "");
    const same = /^[\w.-]+\.conf$/.test(base) ? ctx.repo.paths.filter((p) => [base, `${base}.erb`, `${base}.example`, `${base}.sample`].includes(p.replace(/^.*\//, ""))) : [];
    if (same.length === 1) return { file: same[0]!, how: `the repo's only file named ${base}, as the command names it (${named})` };
    return null;
  }
  const candidates = ctx.repo.paths.filter((p) => CONFIG_OF[kind].test(p));
  const byName = candidates.filter((p) => p.split("/").some((seg) => seg === name || seg.replace(/\.conf.*$/, "") === name));
  if (byName.length === 1) return { file: byName[0]!, how: `its path names the service ${name}` };
  if (byName.length === 0 && candidates.length === 1 && lone) return { file: candidates[0]!, how: "the repo's only config of this kind (the deploy does not name it)" };
  return null;
}

/** Redis's memtoll: `128mb` → bytes (k/m/g are powers of 1000, kb/mb/gb of 1024; any case). */
export function redisBytes(text: string): number | null {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? "b").toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1]) * mul[unit]!;
}

const REDIS_KEYS = ["maxmemory", "maxmemory-policy", "appendonly", "save", "port", "include"];

/**
 * The settings of a Redis config that decide what the service must be: maxmemory (bytes),
 * maxmemory-policy (evicting cache or noeviction store), persistence (appendonly, save). A setting
 * the file leaves out is Redis's default, labelled so.
 */
export function redisSettings(ctx: AnalyzerContext, file: string | null): Record<string, Fact<string>> {
  const out: Record<string, Fact<string>> = {};
  if (file) {
    const r = ctx.repo.read(file);
    if (!("error" in r))
      r.text.split(/\r?\n/).forEach((line, i) => {
        const words = line.trim().split(/\s+/);
        const key = words[0]?.toLowerCase();
        if (!key || key.startsWith("#") || !REDIS_KEYS.includes(key)) return;
        const value = words.slice(1).join(" ").replace(/^"(.*)"$/, "$1");
        const source = { file, line: i + 1 };
        // `save` lines add up (each is one snapshot rule); `save ""` clears them.
        if (key === "save" && out["save"] && value !== "") out["save"] = { value: `${out["save"].value}; ${value}`, source: out["save"].source };
        else out[key] = { value, source };
      });
  }
  const left = { file: file ?? "(no config)", line: 0 };
  out["maxmemory-policy"] ??= { value: "noeviction", source: left, defaultOf: "Redis" };
  out["maxmemory"] ??= { value: "0", source: left, defaultOf: "Redis" };
  if (out["maxmemory"]) {
    const bytes = redisBytes(out["maxmemory"].value);
    if (bytes !== null) out["maxmemory-bytes"] = { ...out["maxmemory"], value: String(bytes) };
  }
  return out;
}


/**
 * The deploy line as the report and MIGRATION.md show it: a password given as a flag
 * (`redis-server --requirepass X`) is cut before the line is stored, so no output path can carry it.
 * Cut before the 160-character limit, so a flag split by it cannot leave half a password.
 */
function shownCommand(shell: string): string {
  return cutSecretShapes(shell, SECRET_SHOWN_AS).slice(0, 160);
}
