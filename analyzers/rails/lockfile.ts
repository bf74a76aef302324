// Gemfile.lock as Bundler's LockfileParser reads it (bundler/lib/bundler/lockfile_parser.rb): sections
// start at column 0 (GIT, PATH, GEM, PLUGIN SOURCE, PLATFORMS, DEPENDENCIES, RUBY VERSION,
// BUNDLED WITH, CHECKSUMS); source options are `  key: value`; specs are 4-space `name (version[-platform])`
// lines with their dependencies at 6 spaces. Unknown sections are skipped, as Bundler does.
//
// Why not @snyk/gemfile (the one maintained npm parser): it gives no line numbers (every fact here
// carries file:line), folds platform variants, and would be one more runtime dependency for ~100
// lines. The oracle test (test/rails/lockfile-oracle.test.ts) holds this parser to Bundler's own.

export type LockSourceType = "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE";

export interface LockSource {
  type: LockSourceType;
  /** `remote:` values (GEM may list several in old lockfiles). */
  remotes: string[];
  /** Other options: revision, branch, tag, ref, glob, submodules... */
  options: Record<string, string>;
  line: number;
}

export interface LockSpec {
  name: string;
  version: string;
  /** Platform suffix (`x86_64-linux`), null for pure-Ruby gems. */
  platform: string | null;
  /** Index into `sources`. */
  source: number;
  dependencies: { name: string; requirement: string | null }[];
  line: number;
}

export interface LockDependency {
  name: string;
  requirement: string | null;
  /** `!`: the gem comes from a non-default source (git, path, a `source` block). */
  pinned: boolean;
  line: number;
}

export interface Lockfile {
  sources: LockSource[];
  specs: LockSpec[];
  platforms: string[];
  /** The PLATFORMS section's heading line, when there is one. */
  platformsLine?: number;
  dependencies: LockDependency[];
  /** `ruby 3.1.4p223` as written. */
  rubyVersion: { value: string; line: number } | null;
  bundledWith: { value: string; line: number } | null;
  errors: { line: number; message: string }[];
}

const SOURCE_TYPES = new Set<string>(["GEM", "GIT", "PATH", "PLUGIN SOURCE"]);
// Bundler's NAME_VERSION: the version is everything up to the first `-`, the rest is the platform.
const NAME_VERSION = /^( {2}| {4}| {6})(?! )(.*?)(?: \(([^-]*)(?:-(.*))?\))?(!)?$/;

export function parseLockfile(text: string): Lockfile {
  const out: Lockfile = { sources: [], specs: [], platforms: [], dependencies: [], rubyVersion: null, bundledWith: null, errors: [] };
  let section: string | null = null;
  let current: LockSource | null = null;
  let lastSpec: LockSpec | null = null;
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    if (/^\S/.test(raw)) {
      section = raw.trim();
      lastSpec = null;
      current = null;
      if (section === "PLATFORMS") out.platformsLine ??= line;
      if (SOURCE_TYPES.has(section)) {
        current = { type: section as LockSourceType, remotes: [], options: {}, line };
        out.sources.push(current);
      } else if (/^(<<<<<<<|=======|>>>>>>>)/.test(section)) {
        out.errors.push({ line, message: "merge conflict markers in Gemfile.lock" });
      }
      return;
    }
    if (section === null) return;
    if (current) {
      const opt = /^ {2}([a-z_]+): (.*)$/.exec(raw);
      if (opt) {
        if (opt[1] === "remote") current.remotes.push(opt[2]);
        else current.options[opt[1]] = opt[2];
        return;
      }
      if (raw === "  specs:") return;
      const m = NAME_VERSION.exec(raw);
      if (!m) {
        out.errors.push({ line, message: `unreadable line in ${section}: ${raw.trim().slice(0, 60)}` });
        return;
      }
      if (m[1].length === 4) {
        lastSpec = { name: m[2], version: m[3] ?? "", platform: m[4] ?? null, source: out.sources.length - 1, dependencies: [], line };
        out.specs.push(lastSpec);
      } else if (m[1].length === 6 && lastSpec) {
        lastSpec.dependencies.push({ name: m[2], requirement: m[3] ?? null });
      }
      return;
    }
    switch (section) {
      case "PLATFORMS":
        out.platforms.push(raw.trim());
        return;
      case "DEPENDENCIES": {
        const m = NAME_VERSION.exec(raw);
        if (m && m[1].length === 2) {
          const req = m[3] === undefined ? null : m[4] === undefined ? m[3] : `${m[3]}-${m[4]}`;
          out.dependencies.push({ name: m[2], requirement: req, pinned: m[5] === "!", line });
        }
        return;
      }
      case "RUBY VERSION":
        if (!out.rubyVersion) out.rubyVersion = { value: raw.trim(), line };
        return;
      case "BUNDLED WITH":
        if (!out.bundledWith) out.bundledWith = { value: raw.trim(), line };
        return;
      default:
        return; // CHECKSUMS and sections a newer Bundler adds: not needed here.
    }
  });
  return out;
}

/** `ruby 2.5.7p0 (jruby 9.2.11.1)`: Bundler writes the engine in parentheses when it is not MRI. */
export function lockRubyEngine(written: string): string | null {
  const m = /^ruby\s+\S+\s+\((\w+)\s[^)]*\)$/.exec(written.trim());
  return m && m[1] !== "ruby" ? m[1] : null;
}

/** `ruby 3.1.4p223` → `3.1.4`; `ruby 3.3.0.preview1` stays with its prerelease part. */
export function lockRubyVersion(written: string): string | null {
  const m = /^ruby\s+(\d+\.\d+(?:\.\d+)?(?:\.[a-z]+\d*)?)(?:p\d+)?$/.exec(written.trim());
  return m ? m[1] : null;
}
