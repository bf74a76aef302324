// Gems from git: only an SSH remote needs the builder's SSH agent. An old lockfile's `git://github.com`
// remote (the anonymous git protocol, which GitHub no longer serves) is public: fetched over https,
// with no agent and no credential.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { classifySource } from "../../emitters/container/rules.js";
import { emitContainer } from "../../emitters/container/index.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = (remote: string) => `GIT\n  remote: ${remote}\n  revision: 0123456789abcdef0123456789abcdef01234567\n  specs:\n    paperclip (2.7.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    rails (4.2.11)\n    unicorn (5.4.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  paperclip!\n  rails\n  unicorn\n\nBUNDLED WITH\n   1.17.3\n`;

describe("git gem sources", () => {
  it("git:// is public and fetched over https; git@ and ssh:// need the agent", () => {
    const f = (value: string) => classifySource({ value, source: { file: "Gemfile.lock", line: 2 } });
    expect(f("git://github.com/thoughtbot/paperclip.git")).toMatchObject({ kind: "https", where: "github.com", gitProtocol: true });
    expect(f("git@github.com:acme/private.git")).toMatchObject({ kind: "ssh", where: "github.com" });
    expect(f("ssh://git@git.acme.internal/gems/x.git")).toMatchObject({ kind: "ssh" });
    expect(f("https://github.com/acme/x.git").kind).toBe("https");
  });

  it("the Dockerfile rewrites git:// to https and asks for no SSH agent", async () => {
    const m = await analyzeFiles(memoryRepo({ Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "paperclip", github: "thoughtbot/paperclip"\n', "Gemfile.lock": LOCK("git://github.com/thoughtbot/paperclip.git") }), "atlas");
    const docker = emitContainer(m, {}).files.find((x) => x.path === "Dockerfile")!.content;
    expect(docker).not.toMatch(/--mount=type=ssh|ssh-keyscan|openssh-client/);
    expect(docker).toContain("git config --global url.https://github.com/.insteadOf git://github.com/");
  });
});

describe("assets evidence from the deploy", () => {
  it("capistrano/rails/assets in the Capfile means the image precompiles, even with no pipeline gem locked", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails/assets"\n',
        Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\n',
        // An old lockfile: rails and its server, no pipeline gem among its specs.
        "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (3.2.22)\n    unicorn (4.9.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n\nBUNDLED WITH\n   1.17.3\n",
      }),
      "atlas",
    );
    expect(m.rails.assets.pipeline).toEqual([{ value: "deploy-precompiled", source: { file: "Capfile", line: 3 } }]);
    expect(emitContainer(m, {}).files.find((x) => x.path === "Dockerfile")!.content).toMatch(/assets:precompile/);
  });
  it("no evidence at all: none", async () => {
    const m = await analyzeFiles(memoryRepo({ Capfile: 'require "capistrano/setup"\n', Gemfile: 'source "https://rubygems.org"\ngem "rails"\n' }), "atlas");
    expect(m.rails.assets.pipeline.map((p) => p.value)).toEqual(["none"]);
  });
});
