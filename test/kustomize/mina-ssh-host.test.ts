// Mina's `domain` is the host its deploy logs in to over SSH, not the name the site answers on. A
// stage whose nginx names its hosts through a value the analysis cannot know (an ENV read on the
// deploying machine) has no host evidence: a placeholder the edge routes and MIGRATION.md lists,
// with the SSH host offered in the question as a suggestion labelled for what it is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { all, emitAndBuild } from "./built.js";
import { defaultAnswers } from "./answers.js";
import { removeTrees, requireKubectl, type K8sObject } from "./kubectl.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";

beforeAll(async () => {
  requireKubectl();
  await initPrism();
});
afterAll(removeTrees);

const NGINX = [
  "upstream quay_app {",
  "  server unix:<%= deploy_to %>/tmp/app.sock fail_timeout=0;",
  "}",
  "server {",
  "  listen 80;",
  "  server_name <%= public_name %>;",
  "  client_max_body_size 12m;",
  "  location / { proxy_pass http://quay_app; }",
  "}",
  "",
].join("\n");

const app = (production: string) =>
  analyzeFiles(
    memoryRepo({
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "mina"\ngem "unicorn"\n',
      "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mina (0.3.8)\n    mina-multistage (1.0.2)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mina\n  unicorn\n",
      "config/application.rb": "module Quay\n  class Application < Rails::Application\n  end\nend\n",
      "config/deploy.rb": [
        "require 'erb'",
        "require 'mina/multistage'",
        "require 'mina/rails'",
        "set :application, 'quay'",
        "set :deploy_to, '/srv/quay'",
        "namespace :web do",
        "  task :site do",
        "    site = ERB.new(File.read('./config/nginx.conf.erb')).result(binding)",
        "    queue %(echo '#{site}' > /etc/nginx/sites-enabled/quay)",
        "  end",
        "end",
        "",
      ].join("\n"),
      "config/nginx.conf.erb": NGINX,
      "config/deploy/production.rb": production,
    }),
    "quay",
  );

const hostsOf = (objs: K8sObject[]): string[] => all(objs, "HTTPRoute").flatMap((r: any) => r.spec.hostnames);

describe("Mina: the SSH host is not the web host", () => {
  it("nginx names its host through an unknown ENV value: a placeholder, the SSH host only a labelled suggestion", async () => {
    const m = await app("set :domain, 'gate.quay.example.net'\nset :user, 'deploy'\nset :public_name, ENV['QUAY_PUBLIC_NAME']\n");
    expect(m.stages.find((s) => s.name === "production")!.servers.map((s) => s.host)).toEqual(["gate.quay.example.net"]);
    const gap = m.gaps.find((g) => g.id === "stage.production.hosts")!;
    expect(gap).toMatchObject({ default: ["set-me.production.quay.invalid"], placeholder: true });
    expect(gap.suggestion).toBeUndefined();
    expect(gap.why).toContain("A suggestion only: Mina's SSH host `domain` (config/deploy/production.rb:1) is gate.quay.example.net, the machine the deploy logged in to");
    const answers = defaultAnswers(m);
    const { result, stages } = emitAndBuild(m, answers);
    expect(hostsOf(stages["production"]!)).toEqual(["set-me.production.quay.invalid"]);
    // Written nowhere as the stage's host.
    expect(JSON.stringify(stages["production"])).not.toContain("gate.quay.example.net");
    expect(result.provenance.some((p) => p.what.includes("gate.quay.example.net"))).toBe(false);
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/\| `stage\.production\.hosts` \| `\["?set-me\.production\.quay\.invalid"?\]`? \| placeholder, to answer \|/);
  });

  it("an IP as the SSH host is not even suggested", async () => {
    const m = await app("set :domain, '198.51.100.23'\nset :public_name, ENV['QUAY_PUBLIC_NAME']\n");
    const gap = m.gaps.find((g) => g.id === "stage.production.hosts")!;
    expect(gap).toMatchObject({ default: ["set-me.production.quay.invalid"], placeholder: true });
    expect(gap.why).not.toContain("198.51.100.23");
  });

  it("where the stage's nginx render names the host, that is the fact (and the SSH host plays no part)", async () => {
    const m = await app("set :domain, 'gate.quay.example.net'\nset :public_name, 'quay.example.org'\n");
    expect(m.gaps.some((g) => g.id === "stage.production.hosts")).toBe(false);
    const { stages } = emitAndBuild(m, defaultAnswers(m));
    expect(hostsOf(stages["production"]!)).toEqual(["quay.example.org"]);
  });
});
