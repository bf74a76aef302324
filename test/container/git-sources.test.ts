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

  it("git:// is not private: no build secret for it, and the hazard says bundle install fails because GitHub no longer serves git://", async () => {
    const m = await analyzeFiles(memoryRepo({ Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "paperclip", :git => "git://github.com/thoughtbot/paperclip.git"\n', "Gemfile.lock": LOCK("git://github.com/thoughtbot/paperclip.git") }), "atlas");
    const out = emitContainer(m, {});
    const docker = out.files.find((x) => x.path === "Dockerfile")!.content;
    expect(docker).not.toMatch(/--secret|type=secret|BUNDLE_GITHUB__COM/);
    expect(out.provenance.find((p) => p.what.startsWith("gem source git://"))!.what).toMatch(/fetched over https .*no longer serves git:\/\/\), no credential$/);
    const hazards = m.hazards.filter((h) => h.id === "gems.git-protocol");
    expect(hazards.map((h) => h.source)).toEqual([{ file: "Gemfile", line: 4 }]);
    expect(hazards[0]!.message).toMatch(/uses git:\/\/, which GitHub no longer serves .*bundle install fails/);
    expect(hazards[0]!.advice).toMatch(/^Change the source to https:\/\/github\.com\/thoughtbot\/paperclip\.git/);
    expect(JSON.stringify(m.hazards)).not.toMatch(/private/i);
  });

  it("an https source on the same host still gets its build secret (it may be private)", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "paperclip", :git => "git://github.com/thoughtbot/paperclip.git"\ngem "ledger", git: "https://github.com/acme/ledger.git"\n',
        "Gemfile.lock": LOCK("git://github.com/thoughtbot/paperclip.git").replace("GEM\n", "GIT\n  remote: https://github.com/acme/ledger.git\n  revision: 89abcdef0123456789abcdef0123456789abcdef\n  specs:\n    ledger (0.1.0)\n\nGEM\n").replace("  paperclip!\n", "  ledger!\n  paperclip!\n"),
      }),
      "atlas",
    );
    const docker = emitContainer(m, {}).files.find((x) => x.path === "Dockerfile")!.content;
    expect(docker).toContain("--mount=type=secret,id=BUNDLE_GITHUB__COM,env=BUNDLE_GITHUB__COM");
    expect(m.hazards.filter((h) => h.id === "gems.git-protocol").map((h) => h.source)).toEqual([{ file: "Gemfile", line: 4 }]);
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
