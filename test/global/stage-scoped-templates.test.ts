// Global templates that only one stage's deploy renders: the task is written in deploy.rb's tasks
// file, but its hook is in production.rb alone, so `cap staging deploy` never ran it. Staging's
// servers read the release's own config/global/datastore.yml (the repo's), never a rendering with
// staging's variables that no deploy of staging made. Judged by real cap 3.17 per stage: which host
// got an upload when deploy:updated (and its hooks) ran.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { removeStepRuns, stepRan } from "../capistrano/step-ran.js";

const TASK = `namespace :settings do
  task :render do
    on roles(:app) do
      Dir.glob("config/global/templates/*.yml.erb").each do |t|
        upload! StringIO.new(ERB.new(File.read(t)).result(binding)),
                "#{release_path}/config/global/#{File.basename(t, '.erb')}"
      end
    end
  end
end
`;

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    global (2.1.0)\n    rails (6.1.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails (~> 6.1)\n\nBUNDLED WITH\n   2.4.22\n";

const APP: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
  "config/application.rb": "module Kiln\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": 'set :application, "kiln"\nset :repo_url, "git@example.com:kiln.git"\nset :deploy_to, "/srv/kiln"\n',
  "config/deploy/production.rb": 'server "web1.kiln.example.com", roles: %w[web app]\nset :store_host, "store.kiln-prod.internal"\nafter "deploy:updated", "settings:render"\n',
  "config/deploy/staging.rb": 'server "stg1.kiln.example.com", roles: %w[web app]\nset :rails_env, "staging"\nset :store_host, "store.kiln-staging.internal"\n',
  "lib/capistrano/tasks/settings.rake": TASK,
  "config/global/templates/datastore.yml.erb": "default:\n  host: <%= fetch(:store_host) %>\n  pool: 5\n",
  // what the release holds where the deploy did not render it
  "config/global/datastore.yml": "default:\n  host: localhost\n  pool: 2\n",
  "config/environments/production.rb": "Rails.application.configure do\nend\n",
  "config/environments/staging.rb": "Rails.application.configure do\nend\n",
};

beforeAll(async () => {
  await initPrism();
});
afterAll(() => removeStepRuns());

const uploads = (ran: [string, string][]) => ran.filter(([, c]) => c.includes("/config/global/datastore.yml")).map(([h]) => h);

describe("a Global template hooked in one stage's file is rendered on that stage only", () => {
  it("real cap renders it on production only; staging's Global reads the release's file, and no rendering is said to be staging's", async () => {
    expect(uploads(stepRan(APP, "production", "deploy:updated"))).toEqual(["web1.kiln.example.com"]);
    expect(uploads(stepRan(APP, "staging", "deploy:updated"))).toEqual([]);
    const m = await analyzeFiles(memoryRepo(APP), "kiln");
    const t = m.global!.templates.find((x) => x.target === "config/global/datastore.yml")!;
    expect(t.rendered).toEqual({ production: { host: "store.kiln-prod.internal", pool: 5 } });
    const ns = m.global!.namespaces.find((n) => n.name === "datastore")!;
    expect((ns.values as Record<string, Record<string, unknown>>)["staging"]).toEqual({ host: "localhost", pool: 2 });
    expect((ns.values as Record<string, Record<string, unknown>>)["production"]).toEqual({ host: "store.kiln-prod.internal", pool: 5 });
    expect(m.problems.map((p) => p.message)).toContainEqual(
      "global.template-other-stages: stage staging's deploy does not render config/global/templates/datastore.yml.erb (no hook of stage staging's deploy runs task settings:render (its hook after deploy:updated is only in the deploy of stage production (config/deploy/production.rb:3))): its servers read the release's config/global/datastore.yml (the repo's)",
    );
  });
});
