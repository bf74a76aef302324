// Capistrano 2 without multistage whose stages are switch tasks, and whose config/deploy.rb top level
// declares servers of its own. No Capistrano 2 runs here (Debian ships 3.x), so, as in cap2.test.ts,
// expectations follow Capistrano 2.15's own code by hand: `cap production deploy` runs the task
// `production` and then `deploy`; a plain `cap deploy` runs no switch task, so the roles and variables
// the top level set are the ones `deploy` used (Capistrano::CLI::Execute runs the given tasks in order
// on the one configuration the Capfile loaded). That deploy is a stage of its own.
import { describe, it, expect } from "vitest";
import { analyze } from "./analyze.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const CAPFILE2 = `load 'deploy'\nload 'config/deploy'\n`;

// A shop whose plain `cap deploy` goes to its preview box; `cap live deploy` switches to the live pair.
const deployRb = (top: string[]) =>
  [
    `set :application, "bakery"`,
    `set :user, "ops"`,
    ...top,
    ``,
    `desc "switch to the live servers"`,
    `task :live do`,
    `  set :rails_env, "live"`,
    `  set :deploy_to, "/opt/bakery"`,
    `  role :web, "oven1.bakery.example", "oven2.bakery.example"`,
    `  role :app, "oven1.bakery.example", "oven2.bakery.example"`,
    `end`,
  ].join("\n");

describe("Capistrano 2 switch tasks: the top level is a stage of its own", () => {
  it("top-level servers and rails_env: a stage named by that rails_env, before the switch tasks", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb([
        `server "preview.bakery.example", :web, :app, :db, :primary => true`,
        `set :slot, (ENV["SLOT"] || "blue")`,
        `set :rails_env, "preview"`,
        `set :deploy_to, "/opt/preview/#{slot}"`,
      ]),
    });
    expect(r.stages.map((s) => [s.name, s.source])).toEqual([
      ["preview", { file: "config/deploy.rb", line: 5 }],
      ["live", { file: "config/deploy.rb", line: 9 }],
    ]);
    expect(r.stage("preview").topLevel).toEqual({ by: "rails_env", source: { file: "config/deploy.rb", line: 5 } });
    expect(r.stage("preview").servers.map((s) => s.host)).toEqual(["preview.bakery.example"]);
    expect(r.v("preview", "rails_env")).toBe("preview");
    expect(r.v("preview", "deploy_to")).toEqual({ interp: ["/opt/preview/", { env: "SLOT", default: "blue" }] });
    expect(r.v("live", "rails_env")).toBe("live");
    expect(r.stage("live").topLevel).toBeUndefined();
  });

  it("named by the top level's `stage` when rails_env is Capistrano 2's default; \"default\" when nothing names it", async () => {
    const byStage = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb([`set :stage, "preview"`, `role :web, "preview.bakery.example"`, `role :app, "preview.bakery.example"`]),
    });
    expect(byStage.stages.map((s) => [s.name, s.topLevel?.by])).toEqual([["preview", "stage"], ["live", undefined]]);
    const unnamed = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb([`role :web, "preview.bakery.example"`, `role :app, "preview.bakery.example"`]),
    });
    expect(unnamed.stages.map((s) => [s.name, s.topLevel?.by, s.topLevel?.source.line])).toEqual([["default", "default", 3], ["live", undefined, undefined]]);
  });

  it("a name a switch task already has is not taken; an ENV rails_env gives its fallback, with the ENV name", async () => {
    const clash = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb([`set :rails_env, "live"`, `set :stage, :Live`, `role :web, "preview.bakery.example"`]),
    });
    expect(clash.stages.map((s) => s.name)).toEqual(["default", "live"]);
    const fromEnv = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb([`set :rails_env, ENV["BAKERY_ENV"] || "preview"`, `role :web, "preview.bakery.example"`]),
    });
    expect(fromEnv.stages[0]!.name).toBe("preview");
    expect(fromEnv.stages[0]!.topLevel).toEqual({ by: "rails_env", source: { file: "config/deploy.rb", line: 3 }, envRead: "BAKERY_ENV" });
  });

  it("switch tasks and a top level that declares no server: only the tasks are stages (as before)", async () => {
    const r = await analyze({ Capfile: CAPFILE2, "config/deploy.rb": deployRb([`set :rails_env, "preview"`]) });
    expect(r.stages.map((s) => s.name)).toEqual(["live"]);
  });

  it("the hazard names the stage as what a plain `cap deploy` deployed, the naming rule and the ENV reads", async () => {
    await initPrism();
    const model = await analyzeFiles(
      memoryRepo({
        Capfile: CAPFILE2,
        "config/deploy.rb": deployRb([
          `server "preview.bakery.example", :web, :app, :db, :primary => true`,
          `set :slot, (ENV["SLOT"] || "blue")`,
          `set :rails_env, "preview"`,
          `set :deploy_to, "/opt/preview/#{slot}"`,
        ]),
      }),
      "bakery",
      [],
      { callSites: false },
    );
    const h = model.hazards.filter((x) => x.id === "stage.cap2-top-level");
    expect(h).toHaveLength(1);
    expect(h[0]!.source).toEqual({ file: "config/deploy.rb", line: 5 });
    expect(h[0]!.message).toContain("plain `cap deploy`");
    expect(h[0]!.message).toContain(`its name "preview" is rails2k8s's, taken from the top level's rails_env (config/deploy.rb:5)`);
    expect(h[0]!.message).toContain("deploy_to (ENV['SLOT'], config/deploy.rb:6)");
    expect(h[0]!.message).toContain("slot (ENV['SLOT'], config/deploy.rb:4)");
  });
});

describe("a deploy.rb task's whenever command, with switch-task stages", () => {
  it("is every stage's (config/deploy.rb is no one stage's file), not the first stage's", async () => {
    await initPrism();
    const model = await analyzeFiles(
      memoryRepo({
        Capfile: CAPFILE2,
        "config/deploy.rb": [
          ...deployRb([`set :rails_env, "preview"`, `role :db, "preview.bakery.example", :primary => true`]).split("\n"),
          `task :live_db do`,
          `  role :db, "db.bakery.example", :primary => true`,
          `end`,
          `namespace :deploy do`,
          `  task :crontab, :roles => :db do`,
          `    run "cd #{current_path} && whenever --update-crontab bakery"`,
          `  end`,
          `end`,
          `after "deploy:symlink", "deploy:crontab"`,
        ].join("\n"),
        "config/schedule.rb": `every 1.day, :at => "4:30 am" do\n  rake "loaves:count"\nend\n`,
      }),
      "bakery",
      [],
      { callSites: false },
    );
    expect(model.stages.map((s) => s.name)).toEqual(["preview", "live", "live_db"]);
    const loaded = (model.cron?.files ?? []).find((f) => f.file === "config/schedule.rb")!;
    expect(loaded.loadedBy).toEqual({ file: "config/deploy.rb", line: 18 });
    expect(loaded.stages).toBeUndefined();
  });
});
