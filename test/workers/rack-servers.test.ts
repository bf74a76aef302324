// A second Rack file (faye.ru) that the deploy configures — its port set in deploy.rb, its config
// linked, the layout loading its client from that port — but that nothing in the repo starts (scout
// s26 finding 6: a real repo's Faye push server vanished without a word). The app is written here:
// "bazaar", a market chat on Capistrano 3 + Unicorn whose Faye server ran beside it on the servers.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { renderReport } from "../../src/report.js";
import type { AppModel } from "../../src/model.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { lock } from "./app.js";

const guide = (m: AppModel) => {
  const answers = defaultAnswers(m, {});
  return emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
};

const PUSH_RU = `# run it with: bundle exec thin -p 9400 -R ./push.ru start
require "faye"
Faye::WebSocket.load_adapter "thin"

bayeux = Faye::RackAdapter.new(mount: "/push", timeout: 30)
run bayeux
`;
const DEPLOY = `set :application, "bazaar"
set :repo_url, "git@git.example.org:shops/bazaar.git"
set :linked_files, %w{config/database.yml config/push.yml}

# the push server
set :push_port, 9400
set :push_mount, "push"
`;
const LAYOUT = `<!DOCTYPE html>
<html>
<head>
  <title>Bazaar</title>
  <%= javascript_include_tag "http://#{PUSH[Rails.env]['host']}:#{PUSH[Rails.env]['port']}/push.js" %>
</head>
<body><%= yield %></body>
</html>
`;
const GEMS = { rails: "4.1.6", unicorn: "4.8.3", thin: "1.6.3", faye: "1.0.3" };

const bazaar = (over: Record<string, string> = {}) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
    "config/deploy.rb": DEPLOY,
    "config/deploy/production.rb": 'server "shop1.bazaar.example.org", roles: %w[web app db]\n',
    Gemfile: `source "https://rubygems.org"\n${Object.keys(GEMS).map((g) => `gem "${g}"`).join("\n")}\n`,
    "Gemfile.lock": lock(GEMS),
    "config/unicorn/production.rb": "worker_processes 2\n",
    "config.ru": 'require ::File.expand_path("../config/environment", __FILE__)\nrun Rails.application\n',
    "push.ru": PUSH_RU,
    "app/views/layouts/application.html.erb": LAYOUT,
    ...over,
  });

describe("a second Rack server nothing in the repo starts", () => {
  it("is named as not carried, with its file, its port and where it is set, and the page that loads it", async () => {
    const m = await analyzeFiles(bazaar(), "bazaar");
    const u = (m.uncarried ?? []).find((x) => x.name === "push")!;
    expect(u).toBeDefined();
    expect(u.source).toEqual({ file: "push.ru", line: 6 });
    expect(u.command).toBe("push.ru");
    expect(u.why).toContain("a second Rack server: push.ru (a Faye push server, port 9400 set at config/deploy.rb:6), not carried");
    expect(u.why).toContain("its own comment starts it as `run it with: bundle exec thin -p 9400 -R ./push.ru start` (push.ru:1)");
    expect(u.why).toContain("the app reaches it there: app/views/layouts/application.html.erb:5");
    expect(renderReport(m, { color: false })).toMatch(/NOT CARRIED: push: a second Rack server: push\.ru/);
    const md = guide(m);
    expect(md).toMatch(/\*\*Not carried\*\*: `push` \(`push\.ru`, `push\.ru:6`\): a second Rack server/);
    expect(md).toMatch(/keep `push` running on the servers/);
  });

  it("one an init script of the repo starts is read there, not named twice; config.ru is the web server's", async () => {
    const script = `#!/bin/sh\n### BEGIN INIT INFO\n# Provides: bazaar_push\n### END INIT INFO\ncase "$1" in\n  start)\n    cd /srv/bazaar/current && bundle exec thin -R push.ru -p 9400 start\n    ;;\nesac\n`;
    const m = await analyzeFiles(bazaar({ "config/init.d/bazaar_push": script }), "bazaar");
    const named = [...(m.uncarried ?? []).map((u) => u.name), ...(m.workers ?? []).map((w) => w.name)];
    expect(named.filter((n) => /push/.test(n))).toHaveLength(1);
    expect((m.uncarried ?? []).some((u) => u.source.file === "config.ru")).toBe(false);
  });
});
