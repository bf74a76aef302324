// Rails facts: Ruby/Rails/Bundler versions, gems and their groups, private gem sources, the
// database adapter, the asset pipeline, the app module and time zone, health routes, Procfiles,
// and the places secrets sit in Rails' own YAML. Each reader lives in analyzers/rails/.
import { readMailerHosts } from "./rails/mailer-hosts.js";
import type { AnalyzerContext, RailsFacts, ProcfileEntry, Fact, SecretKeyRef } from "../src/model.js";
import { parseLockfile, lockRubyEngine, lockRubyVersion, type Lockfile } from "./rails/lockfile.js";
import { readGemfile, redactUrl, type GemfileFacts } from "./rails/gemfile.js";
import { readDatabase } from "./rails/database.js";
import { readAssets } from "./rails/assets.js";
import { readApplication } from "./rails/application.js";
import { readHealthPaths } from "./rails/routes.js";
import { readProcfiles } from "./rails/procfile.js";
import { readErbYaml } from "./rails/erb-yaml.js";
import { secretKeysOf } from "./rails/secret-keys.js";
import { bootYamlFiles } from "./rails/boot-yaml.js";
import { hasPath } from "../src/model.js";

export interface RailsResult {
  rails: RailsFacts;
  procfile: ProcfileEntry[];
}

const LOCKFILE = "Gemfile.lock";
const GEMFILE = "Gemfile";

export function analyzeRails(ctx: AnalyzerContext): RailsResult {
  const has = (p: string) => hasPath(ctx.repo, p);
  const text = (p: string): string | null => {
    if (!has(p)) return null;
    const r = ctx.repo.read(p);
    if ("error" in r) {
      ctx.problem({ file: p, line: 0, message: r.error, severity: "warning" });
      return null;
    }
    return r.text;
  };

  const lockText = text(LOCKFILE);
  const lock = lockText === null ? null : parseLockfile(lockText);
  for (const e of lock?.errors ?? []) ctx.problem({ file: LOCKFILE, line: e.line, message: e.message, severity: "warning" });
  if (!lock && has(GEMFILE)) ctx.problem({ file: GEMFILE, line: 0, message: "no Gemfile.lock: gem versions are not known (run `bundle lock`)", severity: "warning" });
  const gemfileText = text(GEMFILE);
  const gemfile = gemfileText === null ? null : readGemfile(ctx, GEMFILE, gemfileText);

  const gems = lock ? gemsOf(lock) : {};
  const at = (line: number) => ({ file: LOCKFILE, line });
  // Without a lockfile, a Gemfile that pins Rails closely still names its series.
  const railsVersion = gems["rails"] ?? gems["railties"] ?? (lock ? null : (gemfile?.pinned["rails"] ?? gemfile?.pinned["railties"] ?? null));
  const bundlerVersion = lock?.bundledWith ? { value: lock.bundledWith.value, source: at(lock.bundledWith.line) } : null;

  const database = readDatabase(ctx);
  const app = readApplication(ctx);
  const secretKeys: SecretKeyRef[] = [];
  if (database) secretKeys.push(...secretKeysOf(database.facts.file, database.yaml));
  if (has("config/secrets.yml")) {
    const y = readErbYaml(ctx, "config/secrets.yml");
    if (y) secretKeys.push(...secretKeysOf("config/secrets.yml", y));
  }
  for (const b of bootYamlFiles(ctx)) {
    const y = readErbYaml(ctx, b.file);
    if (y) secretKeys.push(...secretKeysOf(b.file, y));
  }
  const credentials: Fact<string>[] = ctx.repo.paths
    .filter((p) => p === "config/master.key" || p === "config/credentials.yml.enc" || /^config\/credentials\/[^/]+\.(key|yml\.enc)$/.test(p))
    .map((p) => ({ value: p, source: { file: p, line: 0 } }));

  const ruby = rubyVersion(ctx, lock, gemfile, text);
  const rails: RailsFacts = {
    rubyVersion: ruby.version,
    ...(ruby.engine ? { rubyEngine: ruby.engine } : {}),
    railsVersion,
    bundlerVersion,
    gems,
    ...(has(GEMFILE) ? { lockfilePresent: lock !== null } : {}),
    gemGroups: gemfile?.gemGroups ?? {},
    privateSources: privateSources(gemfile, lock),
    database: database?.facts ?? null,
    assets: readAssets(ctx, gems),
    appModule: app.appModule,
    timeZone: app.timeZone,
    environments: ctx.repo.paths.filter((p) => /^config\/environments\/[^/]+\.rb$/.test(p)).map((p) => p.slice("config/environments/".length, -3)).sort(),
    mailerHosts: readMailerHosts(ctx),
    healthPaths: readHealthPaths(ctx, gems),
    secretKeys,
    credentials,
  };
  return { rails, procfile: readProcfiles(ctx) };
}

/** name → version from the lockfile's specs; a gem locked for several platforms appears once. */
function gemsOf(lock: Lockfile): Record<string, Fact<string>> {
  const out: Record<string, Fact<string>> = {};
  for (const s of lock.specs) out[s.name] ??= { value: s.version, source: { file: LOCKFILE, line: s.line } };
  return out;
}

/**
 * The Ruby the app runs on: `.ruby-version` first (what rbenv/rvm picked on the servers and what
 * Rails' Dockerfile template reads), then an exact `ruby "x.y.z"` in the Gemfile, then the
 * lockfile's RUBY VERSION (the Ruby that last ran `bundle lock`). Disagreement is reported. A
 * first-ranked Ruby that is not MRI (a `jruby-…` .ruby-version, a RUBY VERSION `(jruby …)`), or a
 * lockfile resolved for `java` only, is the engine, not a version: no official ruby image runs it.
 * The deploy's own Ruby settings rank below these (analyzers/rails/deploy-ruby.ts, after the stages).
 */
function rubyVersion(ctx: AnalyzerContext, lock: Lockfile | null, gemfile: GemfileFacts | null, text: (p: string) => string | null): { version: Fact<string> | null; engine: Fact<string> | null } {
  const candidates: (Fact<string> & { engine?: string })[] = [];
  const fromFile = (file: string): (Fact<string> & { engine?: string }) | null => {
    const t = text(file);
    if (t === null) return null;
    const v = normalizeRubyVersion(t);
    if (!v) {
      const other = otherRubyEngine(t);
      if (other) return { value: other.written, engine: other.engine, source: { file, line: 1 } };
      ctx.problem({ file, line: 1, message: "not a Ruby version (the file's first line must be one, such as 3.3.6): ignored", severity: "warning" });
      return null;
    }
    return { value: v, source: { file, line: 1 } };
  };
  const rv = fromFile(".ruby-version");
  if (rv) candidates.push(rv);
  if (gemfile?.ruby) {
    if (gemfile.ruby.file) {
      const f = gemfile.ruby.file.replace(/^\.\//, "");
      if (f !== ".ruby-version") {
        const v = fromFile(f);
        if (v) candidates.push(v);
      }
    } else if (gemfile.ruby.version && /^\d+\.\d+\.\d+/.test(gemfile.ruby.version)) {
      candidates.push({ value: normalizeRubyVersion(gemfile.ruby.version)!, source: gemfile.ruby.source });
    }
  }
  if (lock?.rubyVersion) {
    const v = lockRubyVersion(lock.rubyVersion.value);
    const engine = lockRubyEngine(lock.rubyVersion.value);
    if (engine) candidates.push({ value: lock.rubyVersion.value.trim(), engine, source: { file: LOCKFILE, line: lock.rubyVersion.line } });
    else if (v) candidates.push({ value: v, source: { file: LOCKFILE, line: lock.rubyVersion.line } });
    else if (/^ruby\s/.test(lock.rubyVersion.value.trim())) ctx.problem({ file: LOCKFILE, line: lock.rubyVersion.line, message: "RUBY VERSION is not a Ruby version (such as ruby 3.3.6p108): ignored", severity: "warning" });
  }
  const chosen = candidates[0] ?? null;
  for (const c of candidates.slice(1)) {
    if (chosen && c.value !== chosen.value) {
      ctx.problem({ file: c.source.file, line: c.source.line, message: `Ruby ${c.value} here, but ${chosen.source.file} says ${chosen.value} (used)`, severity: "warning" });
    }
  }
  // A lockfile resolved only for Java platforms installs on JRuby alone, whatever else says a version.
  const platforms = lock?.platforms ?? [];
  const javaOnly = platforms.length > 0 && platforms.every((p) => /(^|-)java(-|$)/.test(p));
  const engine: Fact<string> | null = chosen?.engine
    ? { value: chosen.engine, source: chosen.source }
    : javaOnly
      ? { value: "jruby", source: { file: LOCKFILE, line: lock?.platformsLine ?? 0 } }
      : null;
  return { version: chosen && !chosen.engine ? { value: chosen.value, source: chosen.source } : null, engine };
}

/** `jruby-9.4.5.0`, `rbx-3.107`, `truffleruby-23.1.2` (rbenv/rvm/chruby names): a Ruby that is not MRI. */
export function otherRubyEngine(text: string): { engine: string; written: string } | null {
  const first = text.split(/\r?\n/).map((l) => l.replace(/#.*/, "").trim()).find(Boolean);
  const m = first ? /^(jruby|rbx|rubinius|truffleruby|truffleruby\+graalvm|mruby|maglev|ironruby)(?:[- ]\S*)?$/i.exec(first) : null;
  return m ? { engine: m[1]!.toLowerCase().replace(/^rubinius$/, "rbx").replace(/\+graalvm$/, ""), written: first! } : null;
}

/** `ruby-2.3.8`, `2.3.8-p459`, `3.1.4@gemset`, `ruby 3.2.2` → the version number. */
export function normalizeRubyVersion(text: string): string | null {
  const first = text.split(/\r?\n/).map((l) => l.replace(/#.*/, "").trim()).find(Boolean);
  if (!first) return null;
  // The whole line must be a version (rbenv/rvm/chruby forms, an rvm `@gemset` after it): a version
  // followed by anything else is not what any version manager installs, and is not taken apart.
  const m = /^(?:ruby[- ])?(\d+\.\d+(?:\.\d+)?(?:[.-](?:preview|rc)\d+)?)(?:-?p\d+)?(?:@[\w.-]+)?$/i.exec(first);
  return m ? m[1] : null;
}

/** Gemfile sources first (what the team wrote, with lines), then what only the lockfile shows. */
function privateSources(gemfile: GemfileFacts | null, lock: Lockfile | null): Fact<string>[] {
  const out: Fact<string>[] = [...(gemfile?.privateSources ?? [])];
  const seen = new Set(out.map((f) => f.value));
  for (const s of lock?.sources ?? []) {
    for (const remote of s.type === "GEM" ? s.remotes.filter((r) => !/^https?:\/\/(www\.)?rubygems\.org\/?$/i.test(r)) : s.remotes) {
      const v = redactUrl(remote);
      const same = [...seen].some((x) => x.replace(/\/$/, "") === v.replace(/\/$/, ""));
      if (!same) {
        seen.add(v);
        out.push({ value: v, source: { file: LOCKFILE, line: s.line } });
      }
    }
  }
  return out;
}
