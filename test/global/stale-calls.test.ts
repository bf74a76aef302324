// A `Global.<ns>` call site whose namespace no file defines (the file was deleted, the call left):
// Global raises there today; after the switch to config_for the read would be a silent nil. Each
// such call site is a named warning; reads of existing namespaces are not.
import { describe, it, expect } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const APP: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\ngem "unicorn"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    global (0.1.2)\n    rails (6.1.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails (~> 6.1)\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n",
  "config/application.rb": "module Club\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": 'set :application, "club"\nset :repo_url, "git@example.com:club.git"\n',
  "config/deploy/production.rb": 'server "web1.example.com", user: "deploy", roles: %w[web app]\n',
  "config/global/site.yml": "default:\n  title: Club\n",
  "config/global/social/twitter.yml": "default:\n  handle: club\n",
  "app/models/member.rb": "class Member\n  def family\n    Global.admin.family_id\n  end\n\n  def title\n    Global.site.title + Global.social.twitter.handle\n  end\n\n  def flag?\n    ::Global.features.enabled\n  end\nend\n",
};

describe("call sites of a namespace with no file", () => {
  it("one warning per call site, naming the namespace; none for namespaces that exist", async () => {
    const model = await analyzeFiles(memoryRepo(APP), "club");
    const stale = model.problems.filter((p) => /no file of config\/global defines a namespace/.test(p.message));
    expect(stale.map((p) => [p.file, p.line, p.severity, /^Global\.(\w+)/.exec(p.message)?.[1]])).toEqual([
      ["app/models/member.rb", 3, "warning", "admin"],
      ["app/models/member.rb", 11, "warning", "features"],
    ]);
    expect(stale[0]!.message).toMatch(/silently gives nil/);
  });
});
