// An app whose assets live under another prefix (`config.assets.prefix = "/fichas"`, with
// capistrano-rails' `set :assets_prefix, "fichas"` so the deploy links public/fichas and finds the
// manifest there): the image precompiles to public/fichas, the nginx sidecar serves /fichas/, the
// build context leaves the server copy out, and the deploy's linked dir is that one (not public/assets).
// capistrano-rails' assets.rake: `set :assets_prefix, fetch(:assets_prefix, 'assets')` at load, and
// `deploy:set_linked_dirs` (after deploy:set_rails_env, so after the stage's files) pushes
// "public/#{fetch(:assets_prefix)}" unless `public` itself is linked. nginx -t judges the sidecar.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitContainer } from "../../emitters/container/index.js";
import { NGINX_SIDECAR_CONFIG } from "../../emitters/contract.js";
import { nginxTest } from "./nginx-text.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (4.2.11)\n    sprockets-rails (2.3.3)\n    unicorn (5.4.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  sprockets-rails\n  unicorn\n\nBUNDLED WITH\n   1.17.3\n";
const files = (extra: Record<string, string> = {}) => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails/assets"\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "sprockets-rails"\ngem "unicorn"\n',
  "Gemfile.lock": LOCK,
  "config/deploy.rb": 'set :application, "oracle"\nset :linked_dirs, fetch(:linked_dirs, []).push("log", "public/fichas")\nset :assets_prefix, "fichas"\n',
  "config/deploy/production.rb": 'server "a1.example.org", roles: %w[web app db]\n',
  "config/initializers/assets.rb": 'Rails.application.config.assets.version = "1.0"\nRails.application.config.assets.prefix = "/fichas"\n',
  ...extra,
});

describe("assets under another prefix", () => {
  it("the analysis reads Rails' prefix and links the deploy's own assets dir (as a cache), never public/assets", async () => {
    const m = await analyzeFiles(memoryRepo(files()), "oracle", [], { callSites: false });
    expect(m.rails.assets.prefix).toEqual({ value: "/fichas", source: { file: "config/initializers/assets.rb", line: 2 } });
    const dirs = m.linked.filter((l) => l.kind === "dir");
    expect(dirs.map((l) => l.path)).not.toContain("public/assets");
    expect(dirs.find((l) => l.path === "public/fichas")).toMatchObject({ class: "cache", source: { file: "config/deploy.rb", line: 2 } });
  });

  it("without the prefix the plugin still links public/assets, cited to the Capfile line", async () => {
    const m = await analyzeFiles(memoryRepo(files({ "config/deploy.rb": 'set :application, "oracle"\n', "config/initializers/assets.rb": 'Rails.application.config.assets.version = "1.0"\n' })), "oracle", [], { callSites: false });
    expect(m.rails.assets.prefix).toBeUndefined();
    expect(m.linked.find((l) => l.path === "public/assets")).toMatchObject({ class: "cache", source: { file: "Capfile", line: 3 } });
  });

  it("the image precompiles to public/fichas, the sidecar serves /fichas/ (nginx -t passes), the context leaves public/fichas out", async () => {
    const m = await analyzeFiles(memoryRepo(files()), "oracle", [], { callSites: false });
    const out = emitContainer(m, { "container.nginx_sidecar": true });
    const conf = out.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content;
    expect(conf).toMatch(/location \^~ \/fichas\/ \{/);
    expect(conf).not.toContain("/assets/");
    expect(nginxTest(conf, mkdtempSync(join(tmpdir(), "assets-prefix-")))).toMatchObject({ ok: true });
    expect(out.files.find((f) => f.path === ".dockerignore")!.content).toMatch(/^\/public\/fichas\/$/m);
    const prov = out.provenance.map((p) => `${p.what} @${p.source.file}:${p.source.line}`);
    expect(prov).toContain("assets prefix /fichas (config.assets.prefix) → assets:precompile writes public/fichas, served at /fichas/ @config/initializers/assets.rb:2");
    expect(prov.some((p) => p.startsWith("assets under /fichas/ (config.assets.prefix) → location ^~ /fichas/"))).toBe(true);
  });

  it("only capistrano-rails' variable says it: carried, cited to that line", async () => {
    const m = await analyzeFiles(memoryRepo(files({ "config/initializers/assets.rb": 'Rails.application.config.assets.version = "1.0"\n' })), "oracle", [], { callSites: false });
    const out = emitContainer(m, { "container.nginx_sidecar": true });
    expect(out.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content).toMatch(/location \^~ \/fichas\/ \{/);
    expect(out.provenance.find((p) => p.what.startsWith("assets prefix /fichas (capistrano-rails :assets_prefix)"))!.source).toEqual({ file: "config/deploy.rb", line: 3 });
  });
});

describe("an assets prefix that names public itself or leaves it", () => {
  for (const bad of [".", "/./", "a/./b", "/a//b", "../x", "/"]) {
    it(`config.assets.prefix ${JSON.stringify(bad)} is a named warning at file:line and the default /assets stays`, async () => {
      const m = await analyzeFiles(memoryRepo(files({
        "config/deploy.rb": 'set :application, "oracle"\n',
        "config/initializers/assets.rb": `Rails.application.config.assets.version = "1.0"\nRails.application.config.assets.prefix = "${bad}"\n`,
      })), "oracle", [], { callSites: false });
      expect(m.rails.assets.prefix).toBeUndefined();
      expect(m.problems.some((p) => p.file === "config/initializers/assets.rb" && p.line === 2 && /config\.assets\.prefix/.test(p.message))).toBe(true);
      const out = emitContainer(m, { "container.nginx_sidecar": true });
      const ignore = out.files.find((f) => f.path === ".dockerignore")!.content;
      for (const l of ignore.split("\n").filter((l) => l && !l.startsWith("#"))) {
        expect(l.replace(/^!/, "").replace(/\/(\.\/)+/g, "/").replace(/\/+$/, "").replace(/^\/+/, "")).not.toBe("public");
      }
      const conf = out.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content;
      expect(conf).toMatch(/location \^~ \/assets\/ \{/);
      expect(nginxTest(conf, mkdtempSync(join(tmpdir(), "assets-prefix-")))).toMatchObject({ ok: true });
    });
  }

  it('capistrano-rails `set :assets_prefix, "."` is not taken either', async () => {
    const m = await analyzeFiles(memoryRepo(files({
      "config/deploy.rb": 'set :application, "oracle"\nset :assets_prefix, "."\n',
      "config/initializers/assets.rb": 'Rails.application.config.assets.version = "1.0"\n',
    })), "oracle", [], { callSites: false });
    const out = emitContainer(m, { "container.nginx_sidecar": true });
    expect(out.files.find((f) => f.path === ".dockerignore")!.content).not.toMatch(/^\/public\/\.\/?$/m);
  });
});
