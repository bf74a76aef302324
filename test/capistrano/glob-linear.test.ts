// Task-file globs (analyzers/capistrano/glob.ts) are matched without a backtracking regex.
// - An asterisk banner inside a task file (a deploy message framed with a line of 90 stars) was
//   compiled to one `[^/]*` per star and tested against every repo path: exponential backtracking,
//   analyze ran for tens of seconds and longer banners hung it. The CLI runs in a child process with
//   a kill timer (a hung regex blocks its own process, so an in-process timeout could not fire).
// - What the matcher says is checked against Ruby's own Dir.glob on a scratch tree.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileGlob } from "../../analyzers/capistrano/glob.js";

const ROOT = join(import.meta.dirname, "..", "..");
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-glob-"));
  cleanup.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

describe("a banner of asterisks in a Capistrano task file", () => {
  const STARS = "*".repeat(90);
  const files: Record<string, string> = {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "capistrano", "~> 3.17"\n',
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.2)\n    rails (7.0.8)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (~> 3.17)\n  rails\n",
    "config/deploy.rb": 'set :application, "heron"\nset :repo_url, "git@example.com:acme/heron.git"\n',
    "config/deploy/production.rb": 'server "heron-1.example.net", roles: %w[web app db]\n',
    "lib/capistrano/tasks/notify.rake": [
      "namespace :notify do",
      "  task :banner do",
      "    run_locally do",
      "      info <<~MSG",
      `        ${STARS}`,
      "        Deploy finished: remember to check the error tracker",
      `        ${STARS}`,
      "      MSG",
      // A one-line star string too, with no line break: it is still read as a glob.
      `      info "${STARS}"`,
      "    end",
      "  end",
      "end",
      'after "deploy:finished", "notify:banner"',
      "",
    ].join("\n"),
  };
  // ERB files for the pattern to be tried against (only `.erb` paths are), under a folder whose name
  // the stars could split in very many ways.
  for (let i = 0; i < 5; i++) files[`config/deploy/templates/site_${i}.conf.erb`] = "# x\n";

  it("analyze returns within seconds", () => {
    const dir = writeTree(files);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(ROOT, "bin", "rails2k8s.js"), "analyze", dir, "--json"], { encoding: "utf8", timeout: 20_000, killSignal: "SIGKILL", maxBuffer: 64 << 20 });
    const took = Date.now() - t0;
    expect(r.signal, `analyze was killed after ${took} ms`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(took).toBeLessThan(20_000);
    expect(JSON.parse(r.stdout).capistrano).toBeTruthy();
  }, 40_000);

  it("a pattern of many stars is matched in linear time", () => {
    const m = compileGlob("a" + "*".repeat(200) + "b*c*d*e*f*g*h*i*j*k*l*m*n*o*p*zz");
    const long = "a" + "bcdefghijklmnop".repeat(40) + "z";
    const t0 = Date.now();
    expect(m.test(long)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(200);
  });
});

describe("the matcher agrees with Ruby's Dir.glob", () => {
  const paths = [
    "config/deploy/templates/nginx.conf.erb",
    "config/deploy/templates/unicorn.rb.erb",
    "config/deploy/templates/.hidden.erb",
    "config/deploy/templates/sub/deeper/puma.rb.erb",
    "config/deploy/.dot/secret.erb",
    "config/deploy/staging.rb",
    "config/deploy/production.rb",
    "config/deploy/eu/production.rb",
    "lib/capistrano/tasks/a.rake",
    "lib/capistrano/tasks/b.cap",
    "lib/capistrano/tasks/c1.rake",
    "lib/capistrano/tasks/c22.rake",
  ];
  const patterns = [
    "config/deploy/templates/*.erb",
    "config/**/*.erb",
    "**/*.erb",
    "config/deploy/*.rb",
    "config/deploy/**/*.rb",
    "lib/capistrano/tasks/*.{rake,cap}",
    "lib/capistrano/tasks/c?.rake",
    "lib/capistrano/tasks/[ab].*",
    "lib/capistrano/tasks/[^a]*",
    "lib/capistrano/tasks/[a-b]*",
    "lib/***/*.rake",
    "config/deploy/templates/**",
    "config/deploy/{templates/*,eu/*}",
    "config/*/templates/*.rb.erb",
  ];

  it("on every pattern", () => {
    const dir = writeTree(Object.fromEntries(paths.map((p) => [p, "x\n"])));
    const script = `Dir.chdir(ARGV.shift); ARGV.each { |pat| puts Dir.glob(pat).select { |f| File.file?(f) }.sort.join(",") }`;
    const r = spawnSync("ruby", ["-e", script, dir, ...patterns], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const ruby = r.stdout.split("\n").slice(0, patterns.length);
    const ours = patterns.map((pat) => {
      const m = compileGlob(pat);
      return paths.filter((p) => m.test(p)).sort().join(",");
    });
    expect(ours).toEqual(ruby);
  });
});
