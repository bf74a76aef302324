// The deploy's own Ruby (capistrano-rbenv's rbenv_ruby, capistrano-rvm's rvm_ruby_version,
// rvm-capistrano's rvm_ruby_string, capistrano-chruby's chruby_ruby), per stage, as evidence for the
// image's Ruby: below .ruby-version / the Gemfile's ruby / Gemfile.lock's RUBY VERSION, above the
// tool's default. The apps are this test's own ("tally"). Each stage's setting is judged by real
// Capistrano (`cap <stage>` dumping `fetch(:rbenv_ruby)`…): the analysis must read what cap fetches.
// JRuby (a `jruby-…` setting or a lockfile resolved for java only) is a named warning, and migrate's
// image emitter refuses it: no official ruby (MRI) image runs it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitContainer } from "../../emitters/container/index.js";
import { RefusedInput } from "../../emitters/encode/refuse.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";

const lock = (platforms = "ruby", ruby = "") =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n    puma (6.4.2)\n    rails (7.0.8)\n\nPLATFORMS\n  ${platforms.split(" ").join("\n  ")}\n\nDEPENDENCIES\n  puma\n  rails\n${ruby ? `\nRUBY VERSION\n   ${ruby}\n` : ""}\nBUNDLED WITH\n   2.4.22\n`;
const files = (deploy: string, stages: Record<string, string>, extra: Record<string, string> = {}, capfile = 'require "capistrano/rbenv"\n') => ({
  Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\n${capfile}`,
  "config/deploy.rb": `set :application, "tally"\nset :repo_url, "git@git.example.org:ops/tally.git"\n${deploy}`,
  ...Object.fromEntries(Object.entries(stages).map(([n, t]) => [`config/deploy/${n}.rb`, `server "${n}1.tally.example.org", roles: %w[web app db]\n${t}`])),
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\n',
  "Gemfile.lock": lock(),
  "config/puma.rb": "threads 5, 5\n",
  ...extra,
});
const warnings = (m: { problems: { message: string }[] }, id: string) => m.problems.filter((p) => p.message.startsWith(`${id}:`)).map((p) => p.message);
const dockerfile = (m: Parameters<typeof emitContainer>[0]) => emitContainer(m, {}).files.find((f) => f.path === "Dockerfile")!.content as string;

// Stages that disagree: deploy.rb's rbenv_ruby, staging's own.
const SPLIT = files('set :rbenv_ruby, "2.7.8"\n', { production: 'set :rails_env, "production"\n', staging: 'set :rails_env, "staging"\nset :rbenv_ruby, "3.0.6"\n' });

const cleanup: string[] = [];
const cap: Record<string, Record<string, unknown>> = {};
beforeAll(async () => {
  await initPrism();
  const dir = mkdtempSync(join(tmpdir(), "r2k-deploy-ruby-"));
  cleanup.push(dir);
  for (const [p, text] of Object.entries(SPLIT)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  for (const st of ["production", "staging"]) cap[st] = (await runCap(app, st)).variables;
}, 120_000);
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("the deploy's Ruby per stage", () => {
  it("is what real cap fetches for each stage", async () => {
    const m = await analyzeFiles(memoryRepo(SPLIT), "tally");
    for (const st of ["production", "staging"]) expect(m.stages.find((s) => s.name === st)!.variables["rbenv_ruby"]!.value).toBe(cap[st]!["rbenv_ruby"]);
    expect([cap["production"]!["rbenv_ruby"], cap["staging"]!["rbenv_ruby"]]).toEqual(["2.7.8", "3.0.6"]);
  });

  it("with no Ruby file in the repo it decides the image's Ruby: production's, the stages' disagreement named", async () => {
    const m = await analyzeFiles(memoryRepo(SPLIT), "tally");
    expect(m.rails.rubyVersion).toEqual({ value: "2.7.8", source: { file: "config/deploy.rb", line: 3 } });
    expect(m.rails.rubyFrom).toBe("capistrano-rbenv's rbenv_ruby (stage production)");
    expect(warnings(m, "ruby.deploy-stages-disagree")).toEqual([
      "ruby.deploy-stages-disagree: the stages deployed different Rubies: production 2.7.8 (config/deploy.rb:3), staging 3.0.6 (config/deploy/staging.rb:3); the image takes stage production's. One image serves every stage: check which Ruby each ran",
    ]);
    expect(m.gaps.some((g) => g.id === "container.ruby_version")).toBe(false);
    expect(dockerfile(m)).toMatch(/^ARG RUBY_VERSION=2\.7\.8$/m);
    expect(emitContainer(m, {}).provenance.find((p) => /ARG RUBY_VERSION/.test(p.what))?.what).toMatch(/^Ruby 2\.7\.8, the deploy's capistrano-rbenv's rbenv_ruby \(stage production\)/);
  });

  it("ranks below .ruby-version: the file decides, the deploy's other Ruby is a named warning", async () => {
    const m = await analyzeFiles(memoryRepo(files("", { production: 'set :rvm_ruby_version, "3.1.4@tally"\n' }, { ".ruby-version": "3.2.2\n" }, 'require "capistrano/rvm"\n')), "tally");
    expect(m.rails.rubyVersion).toEqual({ value: "3.2.2", source: { file: ".ruby-version", line: 1 } });
    expect(m.rails.rubyFrom).toBeUndefined();
    expect(warnings(m, "ruby.deploy-disagrees")).toEqual([
      "ruby.deploy-disagrees: stage production: capistrano-rvm's rvm_ruby_version is 3.1.4@tally, but .ruby-version:1 says 3.2.2 (used for the image): check which Ruby the servers ran",
    ]);
  });

  it("agrees with a lockfile's RUBY VERSION at the precision it gives (chruby's ruby-3.1 and 3.1.4): no warning", async () => {
    const f = files("", { production: 'set :chruby_ruby, "ruby-3.1"\n' }, {}, 'require "capistrano/chruby"\n');
    const m = await analyzeFiles(memoryRepo({ ...f, "Gemfile.lock": lock("ruby", "ruby 3.1.4p223") }), "tally");
    expect(m.rails.rubyVersion?.value).toBe("3.1.4");
    expect(m.problems.filter((p) => /^ruby\./.test(p.message))).toEqual([]);
  });

  it("a name that is no version (rvm's `default`) is said, not taken", async () => {
    const m = await analyzeFiles(memoryRepo(files("", { production: 'set :rvm_ruby_version, "default"\n' }, {}, 'require "capistrano/rvm"\n')), "tally");
    expect(m.rails.rubyVersion).toBeNull();
    expect(warnings(m, "ruby.deploy-unread")[0]).toMatch(/stage production: capistrano-rvm's rvm_ruby_version "default" names no Ruby version/);
  });
});

describe("JRuby", () => {
  it("rbenv_ruby jruby-1.7.15: the engine, a named warning, and migrate's image refused", async () => {
    const m = await analyzeFiles(memoryRepo(files("", { production: "set :rbenv_ruby, 'jruby-1.7.15'\n", staging: "set :rbenv_ruby, 'jruby-1.7.15'\n" })), "tally");
    expect(m.rails.rubyVersion).toBeNull();
    expect(m.rails.rubyEngine).toEqual({ value: "jruby", source: { file: "config/deploy/production.rb", line: 2 } });
    expect(warnings(m, "ruby.not-mri")[0]).toMatch(/^ruby\.not-mri: the app runs on jruby, not MRI: no official ruby image runs it/);
    let refused: unknown = null;
    try {
      emitContainer(m, {});
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(RefusedInput);
    expect((refused as Error).message).toMatch(/^config\/deploy\/production\.rb:2: ruby\.not-mri: the app runs on jruby, not MRI/);
  });

  it("a lockfile resolved for java only is JRuby, whatever the deploy says; `java ruby` is not", async () => {
    const java = await analyzeFiles(memoryRepo({ ...files("", { production: 'set :rbenv_ruby, "2.7.8"\n' }), "Gemfile.lock": lock("universal-java-11") }), "tally");
    expect(java.rails.rubyEngine).toEqual({ value: "jruby", source: { file: "Gemfile.lock", line: 7 } });
    expect(java.rails.rubyVersion).toBeNull();
    expect(warnings(java, "ruby.deploy-disagrees")[0]).toMatch(/rbenv_ruby is 2\.7\.8, but Gemfile\.lock:7 says jruby/);
    const both = await analyzeFiles(memoryRepo({ ...files("", { production: 'set :rbenv_ruby, "2.7.8"\n' }), "Gemfile.lock": lock("java ruby") }), "tally");
    expect(both.rails.rubyEngine).toBeUndefined();
    expect(both.rails.rubyVersion?.value).toBe("2.7.8");
  });

  it("a Capistrano 2 rvm_ruby_string with a patch level and gemset reads as its version", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy'\nload 'config/deploy'\n",
        "config/deploy.rb": 'require "rvm/capistrano"\nset :application, "tally"\nset :rvm_ruby_string, "ruby-1.9.3-p551@tally"\nserver "app1.tally.example.org", :app, :web, :db, :primary => true\n',
        Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\n',
        "Gemfile.lock": lock(),
      }),
      "tally",
    );
    expect(m.rails.rubyVersion).toEqual({ value: "1.9.3", source: { file: "config/deploy.rb", line: 3 } });
    expect(m.rails.rubyFrom).toMatch(/^rvm-capistrano's rvm_ruby_string \(stage /);
  });
});

// A variable is read only by its plugin: a `set :rbenv_ruby` left after the Capfile moved to
// capistrano/rvm (its require commented out) is read by nothing on the servers. Real cap says which
// plugins the Capfile loaded (its `stubbed` requires: these gems are not installed here).
describe("a Ruby-manager setting whose plugin is not loaded", () => {
  const LEFTOVER = files('set :rbenv_ruby, "2.1.2"\nset :rvm_ruby_version, "2.6.3"\n', { production: 'set :rails_env, "production"\n' }, {}, 'require "capistrano/rvm"\n# require "capistrano/rbenv"\n');
  it("is named and not taken: the loaded plugin's setting decides", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-deploy-ruby-leftover-"));
    cleanup.push(dir);
    for (const [p, text] of Object.entries(LEFTOVER)) {
      mkdirSync(join(dir, p, ".."), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const app = prepareCopy(dir);
    cleanup.push(join(app, ".."));
    const real = await runCap(app, "production");
    expect(real.stubbed).toContain("capistrano/rvm");
    expect(real.stubbed).not.toContain("capistrano/rbenv");
    const m = await analyzeFiles(memoryRepo(LEFTOVER), "tally");
    expect(m.rails.rubyVersion).toEqual({ value: "2.6.3", source: { file: "config/deploy.rb", line: 4 } });
    expect(m.rails.rubyFrom).toMatch(/^capistrano-rvm's rvm_ruby_version \(stage production\)/);
    expect(warnings(m, "ruby.deploy-plugin-not-loaded")[0]).toMatch(/stage production: rbenv_ruby "2\.1\.2" is read by capistrano-rbenv, which the deploy does not load \(no `require "capistrano\/rbenv"`\)/);
  }, 120_000);

  it("with no plugin loaded at all, the image's Ruby is not taken from the leftover", async () => {
    const m = await analyzeFiles(memoryRepo(files('set :rbenv_ruby, "2.1.2"\n', { production: "" }, {}, "")), "tally");
    expect(m.rails.rubyVersion).toBeNull();
    expect(warnings(m, "ruby.deploy-plugin-not-loaded")).toHaveLength(1);
  });
});
