// The analyze command as a user runs it: the built binary, on every fixture app.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, mkdtempSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import Ajv from "ajv";
import { main, colorAllowed } from "../../src/cli.js";
import { MODEL_VERSION } from "../../src/model.js";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/rails2k8s.js");
const APPS = readdirSync(join(ROOT, "fixtures/apps")).sort();
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync("node", [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

describe("rails2k8s analyze", () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "schema/appmodel.schema.json"), "utf8"));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it.each(APPS)("%s: --json validates against the published schema", (app) => {
    const r = run(["analyze", join(ROOT, "fixtures/apps", app), "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const model = JSON.parse(r.stdout);
    expect(model.version).toBe(MODEL_VERSION);
    const ok = validate(model);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(APPS)("%s: the report cites file:line and has no colour off a TTY", (app) => {
    const r = run(["analyze", join(ROOT, "fixtures/apps", app)]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(""); // no WASI ExperimentalWarning either
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout).toMatch(/config\/deploy[^\s]*\.rb:\d+/);
    for (const heading of ["App", "Stages and servers", "Web server", "nginx", "Config", "Workers", "Cron", "Secrets (names only)"]) {
      expect(r.stdout).toContain(`\n${heading}\n`);
    }
  });

  it("exits 2 with a clear message on a folder that is not a Rails app, and on one without deploy config", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-cli-"));
    let r = run(["analyze", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a Rails app/);
    expect(r.stdout).toBe("");
    writeFileSync(join(dir, "Gemfile"), 'source "https://rubygems.org"\ngem "rails"\n');
    r = run(["analyze", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no Capistrano deploy config/);
    r = run(["analyze", join(dir, "missing")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no such directory/);
  });

  it("exits 2 naming the subfolder that holds the Rails app when the root holds none, and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-cli-"));
    const app = (at: string) => {
      mkdirSync(join(dir, at, "config/deploy"), { recursive: true });
      writeFileSync(join(dir, at, "Gemfile"), 'source "https://rubygems.org"\ngem "rails"\n');
      writeFileSync(join(dir, at, "config/application.rb"), "module Shop\n  class Application < Rails::Application\n  end\nend\n");
      writeFileSync(join(dir, at, "Capfile"), 'require "capistrano/setup"\n');
      writeFileSync(join(dir, at, "config/deploy/production.rb"), 'server "web1.example.org", roles: %w[app web]\n');
    };
    app("backend");
    app("vendor/gems/shop-engine"); // a vendored gem's app: not the repo's
    app("backend/spec/dummy"); // an engine's test app: not the repo's
    mkdirSync(join(dir, "frontend"));
    writeFileSync(join(dir, "frontend/package.json"), "{}\n");
    for (const args of [["analyze", dir], ["analyze", dir, "--json"], ["migrate", dir, "--yes"]]) {
      const r = run(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("not a Rails app");
      expect(r.stderr).toContain("a Rails app is in backend/ (backend/config/application.rb): run rails2k8s on that folder");
      expect(r.stderr).not.toMatch(/vendor|dummy/);
    }
    expect(existsSync(join(dir, ".rails2k8s"))).toBe(false);
    expect(existsSync(join(dir, "k8s"))).toBe(false);
    app("admin");
    const r = run(["analyze", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Rails apps are in admin/ (admin/config/application.rb), backend/ (backend/config/application.rb): run rails2k8s on one of them");
    // The folder named is one the tool analyzes.
    expect(run(["analyze", join(dir, "backend")]).status).toBe(0);
  });

  it("exits 2 naming the files when a deploy file cannot be read, and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-cli-"));
    mkdirSync(join(dir, "config/deploy"), { recursive: true });
    writeFileSync(join(dir, "Gemfile"), 'source "https://rubygems.org"\n');
    writeFileSync(join(dir, "Capfile"), Buffer.from([0x72, 0x00, 0x01, 0x02]));
    writeFileSync(join(dir, "config/deploy/production.rb"), Buffer.from([0xff, 0xfe, 0x73, 0x65, 0x74]));
    for (const args of [["analyze", dir], ["analyze", dir, "--json"], ["migrate", dir, "--yes"]]) {
      const r = run(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/Capfile:1: binary file/);
      expect(r.stderr).toMatch(/config\/deploy\/production\.rb:1: not valid UTF-8/);
    }
    expect(existsSync(join(dir, ".rails2k8s"))).toBe(false);
    expect(existsSync(join(dir, "Dockerfile"))).toBe(false);
    // A readable config/deploy.rb does not make up for an unreadable stage file: `cap` cannot load it.
    writeFileSync(join(dir, "config/deploy.rb"), 'set :application, "x"\n');
    const r = run(["analyze", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/config\/deploy\/production\.rb:1: not valid UTF-8/);
    writeFileSync(join(dir, "Capfile"), 'require "capistrano/setup"\n');
    writeFileSync(join(dir, "config/deploy/production.rb"), 'server "a.example.com", roles: %w[web]\n');
    expect(run(["analyze", dir]).status).toBe(0);
  });

  it("keeps going past a Ruby syntax error and names file and line", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-cli-"));
    mkdirSync(join(dir, "config/deploy"), { recursive: true });
    writeFileSync(join(dir, "Gemfile"), 'source "https://rubygems.org"\n');
    writeFileSync(join(dir, "Capfile"), 'require "capistrano/setup"\n');
    writeFileSync(join(dir, "config/deploy.rb"), 'set :application, "x"\nset :broken, [1, 2\n');
    writeFileSync(join(dir, "config/deploy/production.rb"), 'server "a.example.com", roles: %w[web]\n');
    const r = run(["analyze", dir, "--json"]);
    expect(r.status).toBe(0);
    const model = JSON.parse(r.stdout);
    expect(model.problems.some((p: { file: string; line: number }) => p.file === "config/deploy.rb" && p.line >= 2)).toBe(true);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // never a stack trace
  });

  it("colours only on a TTY and never under NO_COLOR", async () => {
    expect(colorAllowed(true, {})).toBe(true);
    expect(colorAllowed(false, {})).toBe(false);
    expect(colorAllowed(undefined, {})).toBe(false);
    expect(colorAllowed(true, { NO_COLOR: "1" })).toBe(false);
    let out = "";
    const code = await main(["analyze", join(ROOT, "fixtures/apps", APPS[0])], { out: (s) => (out += s), err: () => {}, color: true });
    expect(code).toBe(0);
    expect(out).toMatch(/\x1b\[1m/);
  });
});
