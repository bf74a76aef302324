// Our Gemfile.lock parser against Bundler's own LockfileParser, on every fixture lockfile and on
// synthetic ones covering GIT/PATH sources, several GEM remotes, platform variants, CHECKSUMS-free
// old and new Bundler output. One Ruby process for all cases.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { parseLockfile, lockRubyVersion } from "../../analyzers/rails/lockfile.js";
import { runRuby } from "../yaml/ruby.js";

const fixtures = ["shop", "legacy", "ledger"].map((app) => ({ name: app, text: readFileSync(`fixtures/apps/${app}/Gemfile.lock`, "utf8") }));

const synthetic = [
  {
    name: "path-and-git-branch",
    text: `GIT
  remote: https://github.com/example/forked_gem.git
  revision: 0123456789abcdef0123456789abcdef01234567
  branch: fix-ruby-3
  specs:
    forked_gem (1.2.3)
      rack (>= 2.0)

PATH
  remote: vendor/engines/billing
  specs:
    billing (0.1.0)
      rails (>= 6.0)

GEM
  remote: https://rubygems.org/
  remote: https://gems.example.com/
  specs:
    ffi (1.15.5)
    ffi (1.15.5-arm64-darwin)
    ffi (1.15.5-x86_64-linux)
    rack (2.2.8)
    sorbet-runtime (0.5.11144)
    grpc (1.60.0-x86_64-linux-gnu)
      google-protobuf (~> 3.25)
    google-protobuf (3.25.1-x86_64-linux)

PLATFORMS
  arm64-darwin-22
  ruby
  x86_64-linux

DEPENDENCIES
  billing!
  ffi
  forked_gem!
  grpc (~> 1.60)
  rack (~> 2.2, >= 2.2.4)

RUBY VERSION
   ruby 3.3.0p0

BUNDLED WITH
   2.5.3
`,
  },
  {
    name: "no-ruby-version-crlf",
    text: "GEM\r\n  remote: https://rubygems.org/\r\n  specs:\r\n    rake (13.0.6)\r\n    json (2.6.3-java)\r\n\r\nPLATFORMS\r\n  java\r\n\r\nDEPENDENCIES\r\n  json\r\n  rake\r\n\r\nBUNDLED WITH\r\n   2.3.26\r\n",
  },
];

const cases = [...fixtures, ...synthetic];

// Bundler's view: first version per gem name (platform variants share it), platforms per spec,
// git/path sources, dependencies with their pinned source, Ruby and Bundler versions.
const SCRIPT = `
require "bundler"
out = JSON.parse($stdin.read).map do |c|
  l = Bundler::LockfileParser.new(c["text"])
  gems = {}
  l.specs.each { |s| gems[s.name] ||= s.version.to_s }
  {
    "name" => c["name"],
    "gems" => gems,
    "variants" => l.specs.map { |s| [s.name, s.version.to_s, s.platform.to_s != "ruby"] }.sort_by(&:to_s),
    "bundler" => l.bundler_version&.to_s,
    "ruby" => l.ruby_version,
    "platforms" => l.platforms.map(&:to_s).sort,
    "git" => l.sources.select { |s| s.is_a?(Bundler::Source::Git) }.map { |s| [s.uri, s.revision, s.options["branch"], s.options["tag"]] },
    "path" => l.sources.select { |s| s.instance_of?(Bundler::Source::Path) }.map { |s| s.path.to_s },
    "deps" => l.dependencies.map { |n, d| [n, !d.source.nil?] }.sort,
  }
end
puts JSON.generate(out)
`;

describe("Gemfile.lock parser vs Bundler::LockfileParser", () => {
  let oracle: any[];
  beforeAll(() => {
    oracle = runRuby(SCRIPT, cases);
  });

  for (const c of cases) {
    it(`reads ${c.name} as Bundler does`, () => {
      const want = oracle.find((o) => o.name === c.name);
      const lock = parseLockfile(c.text);
      expect(lock.errors).toEqual([]);
      const gems: Record<string, string> = {};
      for (const s of lock.specs) gems[s.name] ??= s.version;
      expect(gems).toEqual(want.gems);
      // Platforms only as "has one": RubyGems normalizes their names (x86_64-linux-gnu → x86_64-linux).
      const variants = lock.specs.map((s) => [s.name, s.version, s.platform !== null]);
      const key = (v: unknown[]) => JSON.stringify(v);
      expect(variants.map(key).sort()).toEqual(want.variants.map(key).sort());
      expect(lock.bundledWith?.value ?? null).toBe(want.bundler);
      expect(lock.rubyVersion?.value ?? null).toBe(want.ruby);
      expect([...lock.platforms].sort()).toEqual(want.platforms);
      const git = lock.sources.filter((s) => s.type === "GIT").map((s) => [s.remotes[0], s.options.revision, s.options.branch ?? null, s.options.tag ?? null]);
      expect(git).toEqual(want.git);
      expect(lock.sources.filter((s) => s.type === "PATH").map((s) => s.remotes[0])).toEqual(want.path);
      expect(lock.dependencies.map((d) => [d.name, d.pinned]).sort()).toEqual(want.deps);
    });
  }

  it("strips the patch level from RUBY VERSION", () => {
    expect(lockRubyVersion("ruby 3.1.4p223")).toBe("3.1.4");
    expect(lockRubyVersion("ruby 2.3.8p459")).toBe("2.3.8");
    expect(lockRubyVersion("jruby 9.4")).toBe(null);
    expect(lockRubyVersion("ruby 3.1.4p223$(touch /tmp/x)")).toBe(null);
  });

  it("reports merge conflict markers instead of guessing", () => {
    const lock = parseLockfile("GEM\n  remote: https://rubygems.org/\n  specs:\n<<<<<<< HEAD\n    rake (13.0.6)\n=======\n    rake (13.1.0)\n>>>>>>> main\n");
    expect(lock.errors.length).toBeGreaterThan(0);
  });
});
