// A deploy config that reads its settings from Global (the global gem): `Global.configure { |c|
// c.environment = fetch(:stage).to_s; c.config_directory = File.expand_path("config/global/deploy") }`,
// then `set :settings, Global.configuration`, `fetch(:settings)["server"]["url"]`, or
// `Global.deploy.server.url`. `cap` runs that on the deploying machine with the repo's files, so
// each stage's value is the one the gem's filesystem backend loads from the repo for the
// environment the deploy configured (analyzers/global/backend.ts reads it as the gem does). Values
// read from Global carry their YAML line; where one is not knowable the Unknown names the Global key.
import type { AnalyzerContext, RValue, RepoFiles, Source, Unknown } from "../../src/model.js";
import { isSym, isUnknown } from "../../src/model.js";
import { filesystemBackend, GlobalRaise } from "../global/backend.js";
import { readSetup } from "../global/setup.js";
import { RubyHash, isRubyHash, keyString, rubyToValue, type RubyVal } from "../ruby/yaml.js";
import { isKnown } from "../ruby/evaluate.js";
import { parseLockfile } from "../rails/lockfile.js";
import { hasPath } from "../../src/model.js";

/** Where a value read from Global came from: its key (`deploy.server`) and the hash it was read from. */
interface Origin {
  key: string;
  hash: RubyHash;
  file: string;
}

// Values handed out by a Global read, by identity: a later `[k]` / `.k` on them is a Global read too.
const ORIGIN = new WeakMap<object, Origin>();

/** The deploy's Global setup, as `Global.configure` set it in the files run so far. */
export interface DeployGlobalSetup {
  environment?: { value: string | null; how: string };
  dir?: { value: string | null; how: string };
}

export class DeployGlobal {
  setup: DeployGlobalSetup = {};
  /** The YAML line of the last leaf read (a variable set from it cites that line). */
  lastLeaf: { value: RValue; source: Source } | null = null;
  private loaded = new Map<string, RubyHash | string>();
  private appDir: string | undefined;

  constructor(private repo: RepoFiles) {}

  copy(): DeployGlobal {
    const g = new DeployGlobal(this.repo);
    g.setup = { ...this.setup };
    g.loaded = this.loaded;
    return g;
  }

  /** Whether the receiver chain of a call starts at the constant Global, or at a value a Global read gave. */
  static originOf(v: RValue): Origin | undefined {
    return typeof v === "object" && v !== null ? ORIGIN.get(v) : undefined;
  }

  /** `Global.configuration` (name null) or `Global.<namespace>`: the value, or an Unknown naming the key. */
  root(name: string | null, unknownAt: (reason: string) => Unknown): RValue {
    const key = name ?? "configuration";
    const env = this.setup.environment;
    // not configured by the deploy: the directory the app's own setup gives Global
    const dir = this.setup.dir?.value ?? (this.appDir ??= readSetup({ repo: this.repo, problem: () => {} }).dir);
    if (this.setup.dir && this.setup.dir.value === null) return unknownAt(`Global.${key} is read by the deploy, but Global's config_directory (${this.setup.dir.how}) is not a repo path known statically`);
    if (!env || env.value === null)
      return unknownAt(`Global.${key} is read by the deploy, but ${env ? `Global's environment (${env.how}) is not known statically` : "the deploy sets no Global environment (`Global.configure { |c| c.environment = ... }`; the gem raises without one)"}`);
    const conf = this.load(dir, env.value);
    if (typeof conf === "string") return unknownAt(`Global.${key} (${dir}, environment ${env.value}) is not known statically: ${conf}`);
    if (name === null) return this.hand(conf, "", dir);
    return this.read(conf, name, "", dir, true, unknownAt);
  }

  /** `v[k]` or `v.k` where v came from a Global read; undefined when v did not. */
  member(v: RValue, k: RValue, method: boolean, unknownAt: (reason: string) => Unknown): RValue | undefined {
    const o = DeployGlobal.originOf(v);
    if (!o) return undefined;
    const name = typeof k === "string" ? k : isSym(k) ? k.sym : null;
    if (name === null) return undefined;
    return this.read(o.hash, name, o.key, o.file, method, unknownAt);
  }

  private read(hash: RubyHash, name: string, prefix: string, file: string, method: boolean, unknownAt: (reason: string) => Unknown): RValue {
    const key = prefix ? `${prefix}.${name}` : name;
    let entry;
    for (const e of hash.entries.values()) if (keyString(e.key, e.floatKey) === name) entry = e;
    // Configuration#[] is a Hash read (nil when absent); `.name` is method_missing, which raises then.
    if (!entry) return method ? unknownAt(`Global key ${key} is not in ${file} for this environment (Global raises NoMethodError)`) : null;
    const source: Source = { file: entry.file ?? `${file}.yml`, line: entry.line };
    if (isRubyHash(entry.value)) return this.hand(entry.value, key, file);
    const value = rubyToValue(entry.value as RubyVal);
    if (!isKnown(value)) return unknownAt(`Global key ${key} (${source.file}:${source.line}) is not known statically${isUnknown(value) ? `: ${value.unknown}` : ""}`);
    this.lastLeaf = { value, source };
    return value;
  }

  private hand(h: RubyHash, key: string, file: string): RValue {
    const v = rubyToValue(h);
    if (typeof v === "object" && v !== null) ORIGIN.set(v, { key, hash: h, file });
    return v;
  }

  private load(dir: string, env: string): RubyHash | string {
    const id = `${dir}\0${env}`;
    const known = this.loaded.get(id);
    if (known !== undefined) return known;
    let out: RubyHash | string;
    if (!this.repo.paths.some((p) => p === `${dir}.yml` || p.startsWith(`${dir}/`))) out = `the repo has neither ${dir}.yml nor ${dir}/ (the files are on the deploying machine only)`;
    else {
      let raised: string | null = null;
      const ctx: AnalyzerContext = { repo: this.repo, problem: () => {} };
      const conf = filesystemBackend(ctx, dir, { legacy: legacyGlobal(this.repo), onRaise: (e: GlobalRaise) => void (raised ??= `${e.file}: ${e.message}`) }).load(env);
      out = raised ?? conf;
    }
    this.loaded.set(id, out);
    return out;
  }
}

/** global 0.x reads sections as the String key only (analyzers/global/backend.ts, `legacy`). */
function legacyGlobal(repo: RepoFiles): boolean {
  if (!hasPath(repo, "Gemfile.lock")) return false;
  const r = repo.read("Gemfile.lock");
  if (!("text" in r)) return false;
  const spec = parseLockfile(r.text).specs.find((s) => s.name === "global");
  return !!spec && parseInt(spec.version, 10) === 0;
}
