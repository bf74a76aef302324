// A deploy that restarts a web server the image does not run (`sudo service iodine restart`) while
// capistrano-bundler's `bundle_bins` lists `pumactl`: bundle_bins only says which commands run
// through `bundle exec`, never that a server was started, so Puma is not read as started. The
// unknown server leads to the web.server question with the restart line as its evidence; the
// restarted service is the web Deployment's, not a process left uncarried.
// Fixture: "quarry", written for this test.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";

const lock = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.19.2)", "    capistrano-bundler (2.1.0)", "      capistrano (~> 3.1)", "    nio4r (2.7.0)", "    puma (6.4.2)", "      nio4r (~> 2.0)", "    rails (7.1.3)", "    iodine (0.7.57)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano", "  capistrano-bundler", "  iodine", "  puma", "  rails", "", "BUNDLED WITH", "   2.5.6", ""].join("\n");

function quarry(bins: boolean): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/bundler"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
    "config/deploy.rb": ['lock "~> 3.19"', 'set :application, "quarry"', 'set :repo_url, "https://git.example.test/stone/quarry.git"', ...(bins ? ["set :bundle_bins, fetch(:bundle_bins) << :pumactl"] : []), ""].join("\n"),
    "config/deploy/production.rb": 'server "web1.quarry.example.test", user: "deploy", roles: %w[front app db]\n',
    "lib/capistrano/tasks/restart.rake": ["namespace :deploy do", "  task :bounce do", "    on roles(:front) do", "      execute 'sudo service iodine restart'", "    end", "  end", "  after :publishing, :bounce", "end", ""].join("\n"),
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "iodine"\n',
    "Gemfile.lock": lock,
    "config/puma.rb": 'threads 5, 5\nport ENV.fetch("PORT", 3000)\n',
    "config/application.rb": 'require_relative "boot"\nrequire "rails/all"\nmodule Quarry\n  class Application < Rails::Application\n  end\nend\n',
  };
}

beforeAll(async () => {
  await initPrism();
});

describe("a web server the image does not run, restarted by the deploy", () => {
  for (const bins of [true, false])
    it(`is asked as web.server with the restart line as evidence${bins ? ", bundle_bins' pumactl not read as a start" : ""}`, async () => {
      const m = await analyzeFiles(memoryRepo(quarry(bins)), "quarry");
      expect(m.webServer?.kind).toBeNull();
      expect(m.webServer?.unsupported).toEqual(["iodine"]);
      expect(m.webServer?.evidence.map((e) => `${e.source.file}:${e.source.line}`)).toEqual(["lib/capistrano/tasks/restart.rake:4"]);
      const gap = m.gaps.find((g) => g.id === "web.server")!;
      expect(gap.why).toMatch(/the deploy restarts iodine \(lib\/capistrano\/tasks\/restart\.rake:4\), a web server the image does not run/);
      const text = renderReport(m, { color: false });
      expect(text).toMatch(/started by the deploy: iodine, which the image does not run: asked as web\.server/);
      expect(text).not.toMatch(/NOT CARRIED: iodine/);
    });
});
