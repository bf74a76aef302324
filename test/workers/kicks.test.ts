// kicks is Sneakers renamed (ruby-amqp/kicks from 3.0.0): its gem ships lib/sneakers.rb and
// `rake sneakers:run`, so an app with `gem "kicks"` runs Sneakers workers (backends.ts PROVIDING_GEMS).
// The deploy here restarts them from its own hooked task on :worker; before this, the tool said
// "sneakers is not in Gemfile.lock" and advised adding sneakers next to kicks.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

const DEPLOY = `set :deploy_to, "/srv/tally"
namespace :sneakers do
  task :restart do
    on roles(:worker) do
      execute :sudo, :service, "tally-consumers", :restart
    end
  end
end
after "deploy:published", "sneakers:restart"
`;
const STAGES = { production: 'server "web1.tally.example.org", roles: %w[web app db]\nserver "mq1.tally.example.org", roles: %w[worker]\n' };
const INIT = { "config/initializers/consumers.rb": 'require "sneakers"\nSneakers.configure(amqp: ENV["TALLY_AMQP_URL"])\n' };

describe("kicks provides Sneakers", () => {
  it("a locked kicks is the Sneakers gem: a carried worker, the version and the rename cited", async () => {
    const m = await analyzeFiles(pluginApp(DEPLOY, STAGES, INIT, { kicks: "3.4.0" }, ""), "tally");
    const w = m.workers!.find((x) => x.backend === "sneakers")!;
    expect(w.carried).toBe(true);
    expect(w.args).toEqual(["bundle", "exec", "rake", "sneakers:run"]);
    const gem = w.evidence.find((e) => e.value.startsWith("kicks 3.4.0 in Gemfile.lock"))!;
    expect(gem.value).toContain("kicks is Sneakers renamed (ruby-amqp/kicks, from 3.0.0)");
    expect(gem.source.file).toBe("Gemfile.lock");
    expect(JSON.stringify(m)).not.toContain("sneakers is not in Gemfile.lock");
    expect(m.hazards.some((h) => h.id === "workers.backend-not-migrated")).toBe(false);
  });

  it("a kicks older than the rename is not read as Sneakers", async () => {
    const m = await analyzeFiles(pluginApp(DEPLOY, STAGES, INIT, { kicks: "2.9.0" }, ""), "tally");
    const w = m.workers!.find((x) => x.backend === "sneakers")!;
    expect(w.carried).toBe(false);
    expect(w.why).toContain("sneakers is not in Gemfile.lock");
  });
});
