// Global's filesystem backend (lib/global/backend/filesystem.rb, same rules in v1–v3), on the repo:
//   load_from_path(p)      = load_from_file(p).deep_merge(load_from_directory(p))
//   load_from_file(p)      = when p.yml exists: file[:default] (Symbol first, then String) deep-merged
//                            with file[env], then with the whole of p.<env>.yml when that exists
//   load_from_directory(p) = for each entry of Dir["p/*"] (sorted, hidden files excluded): its name
//                            without ".yml" is a namespace — skipped when it still holds a dot
//                            (x.yaml, x.production.yml, x.yml.erb) — valued load_from_path(p/name)
// So a sibling `config/global.yml` gives top-level keys, a subdirectory a nested namespace merged
// with a same-named file, an extensionless file an empty namespace.
import type { AnalyzerContext } from "../../src/model.js";
import { RubyHash, isRubyHash, type RubyVal } from "../ruby/yaml.js";
import { deepMerge, mergeInto, singleKey } from "./deep-merge.js";
import { readGlobalFile, type GlobalFile } from "./read-file.js";

/** Directory → the entries directly in it (files and subdirectories), for every directory of `paths`. */
export function entriesByDir(paths: Iterable<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of paths) {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      let set = out.get(d);
      if (!set) out.set(d, (set = new Set()));
      set.add(parts[i]!);
    }
  }
  return out;
}

/** Global raises while loading (the app does not boot with this config). */
export class GlobalRaise extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line = 1,
    /** False where only our own reading failed (a file over the size limit): Ruby may well load it. */
    readonly certain = true,
  ) {
    super(message);
  }
}

export interface Backend {
  /** Global's whole configuration for one environment, keys typed, entries with their files. */
  load(env: string): RubyHash;
  /** Every file read so far (for the list of sections they hold). */
  files(): GlobalFile[];
}

/**
 * `overrides`: files as the servers have them instead of the repo's (a template Capistrano renders
 * to config/global/aws.yml). Where Global would raise, the namespace's value becomes an Unknown
 * (Ruby fails the whole configuration) and `onRaise` hears of it.
 */
export interface BackendOptions {
  overrides?: Map<string, GlobalFile>;
  /** Files already read (shared between the environments and stages). */
  cache?: Map<string, GlobalFile>;
  /**
   * Namespaces already loaded, by path and env (shared between the stages): a subtree that no
   * override touches loads the same for every stage. Values are never mutated (deepMerge copies).
   */
  subtrees?: Map<string, RubyHash>;
  onRaise?(e: GlobalRaise): void;
  /**
   * global 0.x (lib/global/base.rb of v0.1.2–v0.2.2): `configurations[env]` (the String only, no
   * Symbol section), no `<name>.<env>.yml` overlay, and a directory's namespaces replace a same-named
   * key of the parent file (they are Configuration objects, which deep_merge! does not merge).
   */
  legacy?: boolean;
  /** The app's activesupport version (Gemfile.lock): what `1.month` is in the files' ERB. */
  activeSupport?: string | null;
}

export function filesystemBackend(ctx: AnalyzerContext, dir: string, opts: BackendOptions = {}): Backend {
  const overrides = opts.overrides ?? new Map<string, GlobalFile>();
  const cache = opts.cache ?? new Map<string, GlobalFile>();
  // Only what lies under the Global dir (or beside it: global.yml, global.<env>.yml) can be read.
  const paths = new Set(ctx.repo.paths.filter((p) => p.startsWith(dir)));
  for (const p of overrides.keys()) paths.add(p);
  const isFile = (p: string) => paths.has(p);
  // Directory → the names directly in it, built once: Global walks every directory per env and stage.
  const children = entriesByDir(paths);
  const isDir = (p: string) => children.has(p);
  const read = (file: string): GlobalFile => {
    const o = overrides.get(file);
    if (o) return o;
    let f = cache.get(file);
    if (!f) {
      // Global's files are rendered inside the app: ActiveSupport is loaded there.
      f = readGlobalFile(ctx, file, { scope: { activeSupport: true, activeSupportVersion: opts.activeSupport ?? null }, trims: false });
      cache.set(file, f);
    }
    return f;
  };

  const loadYml = (file: string): RubyVal => {
    const f = read(file);
    if (f.raises) throw new GlobalRaise(f.raises, file, f.raisesLine ?? 1, !f.unread);
    return f.ruby;
  };

  const section = (conf: RubyVal, key: string, file: string): RubyHash => {
    // get_config_by_key: `return {} if config.empty?; config[key.to_sym] || config[key.to_s] || {}`
    if (conf === null || conf === undefined) throw new GlobalRaise("the file is empty (or holds only comments): Global calls `empty?` on nil and raises", file);
    if ((typeof conf === "string" || Array.isArray(conf)) && conf.length === 0) return new RubyHash();
    if (isRubyHash(conf) && conf.entries.size === 0) return new RubyHash();
    if (!isRubyHash(conf)) throw new GlobalRaise("the file does not hold a mapping: Global cannot look up its sections", file);
    const v = truthy(conf.get({ sym: key })) ?? truthy(conf.get(key)) ?? new RubyHash();
    if (!isRubyHash(v)) throw new GlobalRaise(`section "${key}" is not a mapping: Global's deep_merge raises`, file);
    return v;
  };

  const loadFromFile = (p: string, env: string): RubyHash => {
    const file = `${p}.yml`;
    if (!isFile(file)) return new RubyHash();
    const conf = loadYml(file);
    let config = deepMerge(section(conf, "default", file), opts.legacy ? stringSection(conf, env, file) : section(conf, env, file));
    const overlay = `${p}.${env}.yml`;
    if (!opts.legacy && isFile(overlay)) {
      const o = loadYml(overlay);
      // `config.deep_merge!(load_yml_file(env_file) || {})`
      if (o === null || o === false) return config;
      if (!isRubyHash(o)) throw new GlobalRaise("the overlay does not hold a mapping: Global's deep_merge raises", overlay);
      config = deepMerge(config, o);
    }
    return config;
  };

  // 0.x: `config.deep_merge!(configurations[env] || {})`.
  const stringSection = (conf: RubyVal, key: string, file: string): RubyHash => {
    if (!isRubyHash(conf)) return section(conf, key, file);
    const v = truthy(conf.get(key)) ?? new RubyHash();
    if (!isRubyHash(v)) throw new GlobalRaise(`section "${key}" is not a mapping: Global's deep_merge raises`, file);
    return v;
  };

  const entriesOf = (p: string): string[] => {
    const names = [...(children.get(p) ?? [])].filter((name) => !name.startsWith("."));
    // Dir[] sorts (Ruby ≥ 3.0) by byte order.
    return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  };

  const loadFromDirectory = (p: string, env: string): RubyHash => {
    const config = new RubyHash();
    if (!isDir(p)) return config;
    for (const entry of entriesOf(p)) {
      const ns = entry.endsWith(".yml") ? entry.slice(0, -4) : entry;
      if (ns.includes(".")) continue;
      let value: RubyVal;
      try {
        value = loadFromPath(`${p}/${ns}`, env);
      } catch (e) {
        if (!(e instanceof GlobalRaise)) throw e;
        opts.onRaise?.(e);
        value = { unknown: `Global raises while loading ${e.file}: ${e.message}`, source: { file: e.file, line: 1 } };
      }
      mergeInto(config, singleKey(ns, value, `${p}/${entry}`));
    }
    return config;
  };

  const subtrees = opts.subtrees ?? new Map<string, RubyHash>();
  const overridden = [...overrides.keys()];
  const touched = (p: string) => overridden.some((o) => o.startsWith(`${p}.`) || o.startsWith(`${p}/`));
  const loadFromPath = (p: string, env: string): RubyHash => {
    const key = `${p}\0${env}`;
    const shared = !touched(p);
    const known = shared ? subtrees.get(key) : undefined;
    if (known) return known;
    let value: RubyHash;
    if (opts.legacy) {
      value = loadFromFile(p, env);
      for (const e of loadFromDirectory(p, env).entries.values()) value.set(e);
    } else value = deepMerge(loadFromFile(p, env), loadFromDirectory(p, env));
    if (shared) subtrees.set(key, value);
    return value;
  };

  return {
    load(env) {
      try {
        return loadFromPath(dir, env);
      } catch (e) {
        if (!(e instanceof GlobalRaise)) throw e;
        opts.onRaise?.(e);
        // The sibling config/global.yml raised: its keys are unknown, the directory still loads.
        return loadFromDirectory(dir, env);
      }
    },
    files: () => [...cache.values(), ...overrides.values()],
  };
}

const truthy = (v: RubyVal | undefined): RubyVal | undefined => (v === undefined || v === null || v === false ? undefined : v);
