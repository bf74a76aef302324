// Thin, started by the deploy's own tasks (`invoke "thin:restart"`, a thin.yml template the deploy
// renders onto the servers), is the web server the servers ran: like Passenger, it is replaced by
// the server the bundle has and said so; when the bundle has neither Puma nor Unicorn, the refusal
// names what the deploy ran, never a server the repo did not run.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerKind } from "../../emitters/app-server.js";
import { emitContainer } from "../../emitters/container/index.js";
import { RefusedInput } from "../../emitters/encode/refuse.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g} (1.0.0)\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.4.22\n`;

/** An app whose deploy.rb restarts Thin through its own tasks file, with the Thin config as a deploy template. */
const thinApp = (gems: string[]) =>
  analyzeFiles(
    memoryRepo({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.cap").each { |r| import r }\n',
      Gemfile: 'source "https://rubygems.org"\n',
      "Gemfile.lock": LOCK(gems),
      "config/deploy.rb": [
        'set :application, "quizbowl"',
        'set :repo_url, "https://example.com/quizbowl.git"',
        "namespace :deploy do",
        "  after :publishing, :bounce do",
        '    invoke "thin:restart"',
        "  end",
        "end",
        "",
      ].join("\n"),
      "config/deploy/production.rb": 'server "quiz.example.org", roles: %w[web app db]\n',
      "lib/capistrano/tasks/thin.cap": 'namespace :thin do\n  task :restart do\n    on roles(:app) do\n      execute "/etc/init.d/thin_#{fetch(:application)} restart"\n    end\n  end\nend\n',
      "lib/capistrano/templates/thin.yml.erb": "servers: <%= fetch(:thin_servers, 2) %>\nsocket: /tmp/thin.<%= fetch(:application) %>.sock\n",
    }),
    "quizbowl",
  );

describe("Thin started by the deploy", () => {
  it("is the web server the deploy started, with the task line and the template as evidence", async () => {
    const m = await thinApp(["rails", "thin"]);
    expect(m.webServer?.kind).toBe("thin");
    expect(m.webServer?.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: expect.stringMatching(/^thin: deploy task: invoke "thin:restart"/), source: { file: "config/deploy.rb", line: 5 } }),
        expect.objectContaining({ value: "thin: deploy template lib/capistrano/templates/thin.yml.erb", source: { file: "lib/capistrano/templates/thin.yml.erb", line: 1 } }),
      ]),
    );
  });

  it("with Puma in the bundle: the image runs Puma, and says it replaces Thin", async () => {
    const m = await thinApp(["puma", "rails", "thin"]);
    expect(appServerKind(m)).toBe("puma");
    const out = emitContainer(m, {});
    expect(out.notes.some((n) => /the servers ran Thin, which has no container config here; the image runs Puma/.test(n.message))).toBe(true);
  });

  it("with neither Puma nor Unicorn in the bundle: the refusal names Thin, what the deploy ran", async () => {
    const m = await thinApp(["rails", "thin"]);
    let refused: unknown = null;
    try {
      emitContainer(m, {});
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(RefusedInput);
    expect((refused as Error).message).toMatch(/the deploy started Thin, which has no container config here, so the image runs Puma or Unicorn in its place, and Gemfile\.lock holds neither/);
    expect((refused as Error).message).not.toMatch(/the image starts unicorn/);
  });
});

describe("Passenger's restart file built with File.join", () => {
  it("is Passenger's evidence (Capistrano 2 `run ... touch`)", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy'\nload 'config/deploy'\n",
        Gemfile: 'source "https://rubygems.org"\n',
        "Gemfile.lock": LOCK(["rails", "thin"]),
        "config/deploy.rb": [
          'set :application, "gallery"',
          'server "gallery.example.net", :app, :web, :db, primary: true',
          "namespace :deploy do",
          "  task :restart, roles: :app do",
          "    run \"touch #{File.join(current_path, 'tmp', 'restart.txt')}\"",
          "  end",
          "end",
          "",
        ].join("\n"),
      }),
      "gallery",
    );
    expect(m.webServer?.kind).toBe("passenger");
    expect(m.webServer?.evidence[0]?.source).toEqual({ file: "config/deploy.rb", line: 5 });
  });
});
