// The Ruby the deploy itself switched to on the servers, per stage: capistrano-rbenv's `rbenv_ruby`
// (its RBENV_VERSION, the directory under <rbenv_path>/versions; the gem has no default and aborts
// without one), capistrano-rvm's `rvm_ruby_version` (unset, the servers' `rvm current`), Capistrano
// 2 rvm-capistrano's `rvm_ruby_string`, capistrano-chruby's `chruby_ruby` (no default either). It is
// evidence for the image's Ruby below the repo's Ruby files (.ruby-version, the Gemfile's `ruby`,
// Gemfile.lock's RUBY VERSION: analyzers/rails.ts) and above the tool's default. Stages that disagree,
// and a deploy that disagrees with those files, are named warnings; a `jruby-…` is the engine, which
// no official ruby image runs.
import type { AnalyzerContext, Fact, RailsFacts, Source, Stage } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { normalizeRubyVersion, otherRubyEngine } from "../rails.js";

/**
 * The variables, in the order a stage's is looked for, with the plugin that reads each and the
 * require that loads it. A variable is a fact of the servers only where its plugin was loaded: a
 * `set :rbenv_ruby` left behind after the Capfile moved to capistrano/rvm was read by nothing.
 * (capistrano-rbenv-install's capistrano/rbenv_install requires capistrano/rbenv itself.)
 */
export const DEPLOY_RUBY_VARIABLES: readonly { name: string; via: string; loadedBy: RegExp; require: string }[] = [
  { name: "rbenv_ruby", via: "capistrano-rbenv", loadedBy: /^capistrano\/rbenv(?:_install)?$/, require: "capistrano/rbenv" },
  { name: "rvm_ruby_version", via: "capistrano-rvm", loadedBy: /^capistrano\/rvm$/, require: "capistrano/rvm" },
  { name: "rvm_ruby_string", via: "rvm-capistrano", loadedBy: /^rvm\/capistrano(?:\/.*)?$/, require: "rvm/capistrano" },
  { name: "chruby_ruby", via: "capistrano-chruby", loadedBy: /^capistrano\/chruby$/, require: "capistrano/chruby" },
];

interface StageRuby {
  stage: string;
  what: string;
  written: string;
  source: Source;
  version: string | null;
  engine: string | null;
}

/** One stage's setting, or null where it sets none as a plain string (a Symbol such as rvm's `:local` is said, not read). */
function stageRuby(ctx: AnalyzerContext, stage: Stage, loaded: (require: RegExp) => boolean): StageRuby | null {
  for (const v of DEPLOY_RUBY_VARIABLES) {
    const f = stage.variables[v.name];
    if (!f) continue;
    const what = `${v.via}'s ${v.name}`;
    if (!loaded(v.loadedBy)) {
      ctx.problem({ ...f.source, message: `ruby.deploy-plugin-not-loaded: stage ${stage.name}: ${v.name} ${typeof f.value === "string" ? JSON.stringify(f.value) : ""} is read by ${v.via}, which the deploy does not load (no \`require "${v.require}"\`): nothing on the servers read it, so it says nothing of their Ruby`.replace("  ", " "), severity: "warning" });
      continue;
    }
    if (typeof f.value !== "string") {
      ctx.problem({ ...f.source, message: `ruby.deploy-unread: stage ${stage.name}: ${what} is not a plain version string the analysis can read, so it says nothing of the servers' Ruby`, severity: "warning" });
      return null;
    }
    const version = normalizeRubyVersion(f.value);
    const other = version ? null : otherRubyEngine(f.value);
    if (!version && !other) {
      // `default`, `system`, a gemset alone: a name the servers resolved, not a version.
      ctx.problem({ ...f.source, message: `ruby.deploy-unread: stage ${stage.name}: ${what} ${JSON.stringify(f.value)} names no Ruby version (the servers resolved it), so it says nothing of the image's Ruby`, severity: "warning" });
      return null;
    }
    return { stage: stage.name, what, written: f.value, source: f.source, version, engine: other?.engine ?? null };
  }
  return null;
}

/** `2.3` and `2.3.1` agree (rvm and chruby take the newest 2.3 installed); `2.3.0` and `2.3.1` do not. */
function agree(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  return x.slice(0, Math.min(x.length, y.length)).join(".") === y.slice(0, Math.min(x.length, y.length)).join(".");
}

const said = (r: StageRuby) => r.version ?? r.written;
const same = (a: StageRuby, b: StageRuby) => (a.engine ?? "mri") === (b.engine ?? "mri") && (a.engine ? a.written === b.written : agree(a.version!, b.version!));

/**
 * Reads the deploy's Ruby of each stage into `rails`: sets rubyVersion (with rubyFrom) or rubyEngine
 * where the repo's Ruby files said nothing, and warns where they or the stages disagree.
 */
export function deployRuby(ctx: AnalyzerContext, rails: RailsFacts, stages: Stage[], requires: readonly Fact<string>[]): void {
  // A Capistrano 2 stage file's own requires (Stage.plugins) load in that stage only.
  const stageOnly = (r: Fact<string>, stage: Stage) => stages.some((o) => o !== stage && (o.plugins ?? []).some((p) => p.source.file === r.source.file)) && !(stage.plugins ?? []).some((p) => p.source.file === r.source.file);
  const loadedIn = (stage: Stage) => (re: RegExp) => requires.some((r) => re.test(r.value) && !stageOnly(r, stage)) || (stage.plugins ?? []).some((p) => re.test(p.value));
  const per = stages.map((s) => stageRuby(ctx, s, loadedIn(s))).filter((r): r is StageRuby => r !== null);
  if (!per.length) return;
  // The image is one for every stage: production's Ruby where the stages differ (by name, then rails_env).
  const production = per.find((r) => r.stage === "production") ?? per.find((r) => railsEnvOf(stages.find((s) => s.name === r.stage)!) === "production") ?? null;
  const differ = per.filter((r) => !same(r, per[0]!));
  const chosen = differ.length === 0 ? per[0]! : production;
  if (differ.length) {
    const list = per.map((r) => `${r.stage} ${said(r)} (${r.source.file}:${r.source.line})`).join(", ");
    const taken = rails.rubyVersion ?? rails.rubyEngine ? "the repo's Ruby files decide the image's" : chosen ? `the image takes stage ${chosen.stage}'s` : "none is taken: the image's Ruby is asked (container.ruby_version)";
    ctx.problem({ ...(chosen ?? per[0]!).source, message: `ruby.deploy-stages-disagree: the stages deployed different Rubies: ${list}; ${taken}. One image serves every stage: check which Ruby each ran`, severity: "warning" });
  }
  // The repo's files rank higher: a deploy that disagrees with them is said, not used.
  const files = rails.rubyEngine && !rails.rubyVersion ? { said: rails.rubyEngine.value, source: rails.rubyEngine.source, engine: rails.rubyEngine.value } : rails.rubyVersion ? { said: rails.rubyVersion.value, source: rails.rubyVersion.source, engine: null } : null;
  if (files) {
    for (const r of per) {
      const ok = files.engine ? r.engine === files.engine : !r.engine && agree(r.version!, files.said);
      if (!ok)
        ctx.problem({ ...r.source, message: `ruby.deploy-disagrees: stage ${r.stage}: ${r.what} is ${r.written}, but ${files.source.file}:${files.source.line} says ${files.said} (used for the image): check which Ruby the servers ran`, severity: "warning" });
    }
    return;
  }
  if (!chosen) return;
  if (chosen.engine) rails.rubyEngine = { value: chosen.engine, source: chosen.source };
  else {
    rails.rubyVersion = { value: chosen.version!, source: chosen.source };
    rails.rubyFrom = `${chosen.what} (stage ${chosen.stage})`;
  }
}

/** The named warning for a Ruby that is not MRI, wherever it was read (migrate refuses to build it: emitters/container/dockerfile.ts). */
export function notMriWarning(ctx: AnalyzerContext, rails: RailsFacts): void {
  const e = rails.rubyEngine;
  if (!e) return;
  ctx.problem({ ...e.source, message: `ruby.not-mri: the app runs on ${e.value}, not MRI: no official ruby image runs it, so migrate writes no image for it. Move the app to MRI first (a .ruby-version and a Gemfile.lock resolved for ruby), or build a ${e.value} image of your own`, severity: "warning" });
}
