// A Capistrano 2 single-stage app provisioned with Moonshine and supervised by god: moonshine.yml's
// keys are Capistrano variables (deploy_to, domain → the stage's host), its manifest installs
// Passenger with the pool size the file gives, and the god watch loop's stop_timeout bounds the
// delayed_job workers' drain. The app, its moonshine.yml and its god file are written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import { godWatchStop } from "../../analyzers/workers/god.js";

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (3.2.22)\n    delayed_job (3.0.5)\n    god (0.13.7)\n    capistrano (2.15.9)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  delayed_job\n  god\n  capistrano\n\nBUNDLED WITH\n   1.17.3\n";

const MOONSHINE = `# read by Capistrano and by the manifest
:application: bindery
:user: deployer
:deploy_to: /srv/bindery
:domain: books.bindery.example.net
:passenger:
  :max_pool_size: 5
  :max_instances_per_app: 0
`;

const GOD = `APP = "/srv/bindery/current"

3.times do |n|
  God.watch do |w|
    w.name = "jobs-#{n}"
    w.group = "jobs"
    w.stop_timeout = 2.minutes
    w.start = "cd #{APP} && RAILS_ENV=production script/delayed_job start -i #{n}"
    w.stop = "cd #{APP} && script/delayed_job stop -i #{n}"
    w.transition(:up, :restart) do |on|
      on.condition(:memory_usage) do |c|
        c.above = 300.megabytes
        c.times = 3
      end
    end
  end
end
`;

const repo = (extra: Record<string, string> = {}, drop: string[] = []) =>
  memoryRepo(Object.fromEntries(Object.entries({
    Capfile: "load 'deploy'\nDir['vendor/plugins/*/recipes/*.rb'].each { |plugin| load(plugin) }\nload 'config/deploy'\n",
    "config/deploy.rb": 'server "app1.bindery.example.net", :app, :web, :db, :primary => true\nset :deploy_to, "/var/www/elsewhere"\n\nnamespace :jobs do\n  task :restart do\n    sudo "god restart jobs"\n  end\nend\n',
    "config/moonshine.yml": MOONSHINE,
    "app/manifests/application_manifest.rb": 'class ApplicationManifest < Moonshine::Manifest::Rails\n  recipe :default_stack\nend\n',
    "config/god/jobs.god": GOD,
    "script/delayed_job": "#!/usr/bin/env ruby\nrequire 'delayed/command'\nDelayed::Command.new(ARGV).daemonize\n",
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "delayed_job"\ngem "god"\ngem "capistrano"\n',
    "Gemfile.lock": LOCK,
    ...extra,
  } as Record<string, string>).filter(([k]) => !drop.includes(k))));

describe("Moonshine + god", () => {
  it("moonshine.yml's settings win over deploy.rb's and name the stage's host", async () => {
    const m = await analyzeFiles(repo(), "bindery");
    const [st] = m.stages;
    expect(st!.variables["deploy_to"]).toMatchObject({ value: "/srv/bindery", source: { file: "config/moonshine.yml", line: 4 } });
    expect(stageHosts(m, st!)).toEqual([{ host: "books.bindery.example.net", source: { file: "config/moonshine.yml", line: 5 } }]);
    expect(m.gaps.some((g) => g.id === `stage.${st!.name}.hosts`)).toBe(false);
  });

  it("Passenger from the manifest, with its pool size cited", async () => {
    const m = await analyzeFiles(repo(), "bindery");
    expect(m.webServer?.kind).toBe("passenger");
    expect(m.webServer!.evidence).toContainEqual({ value: expect.stringMatching(/^passenger: PassengerMaxPoolSize 5: up to 5 app processes per server/), source: { file: "config/moonshine.yml", line: 7 } });
    expect(m.webServer!.evidence).toContainEqual({ value: expect.stringMatching(/recipe :default_stack/), source: { file: "app/manifests/application_manifest.rb", line: 2 } });
  });

  it("a pool size past the process-count bound (or not a whole number) is not known, cited at its line, never a fact", async () => {
    for (const written of ["100000", "2.5", "lots"]) {
      const m = await analyzeFiles(repo({ "config/moonshine.yml": MOONSHINE.replace(":max_pool_size: 5", `:max_pool_size: ${written}`) }), "bindery");
      const pool = m.webServer!.evidence.filter((e) => /pool size|PassengerMaxPoolSize/.test(e.value));
      expect(pool, written).toEqual([{ value: expect.stringMatching(/^passenger: pool size not known: config\/moonshine\.yml :passenger: :max_pool_size .* is not a whole number from 0 to 1000$/), source: { file: "config/moonshine.yml", line: 7 } }]);
    }
    const edge = await analyzeFiles(repo({ "config/moonshine.yml": MOONSHINE.replace(":max_pool_size: 5", ":max_pool_size: 1000") }), "bindery");
    expect(edge.webServer!.evidence.some((e) => /^passenger: PassengerMaxPoolSize 1000:/.test(e.value))).toBe(true);
  });

  it("a manifest without Passenger's recipe: no Passenger; no Moonshine at all: moonshine.yml sets nothing", async () => {
    const noRecipe = await analyzeFiles(repo({ "app/manifests/application_manifest.rb": "class ApplicationManifest < Moonshine::Manifest::Rails\n  recipe :mysql_server\nend\n" }), "bindery");
    expect(noRecipe.webServer?.kind ?? null).not.toBe("passenger");
    expect(noRecipe.stages[0]!.variables["deploy_to"]!.value).toBe("/srv/bindery");
    const none = await analyzeFiles(repo({}, ["app/manifests/application_manifest.rb"]), "bindery");
    expect(none.stages[0]!.variables["deploy_to"]).toMatchObject({ value: "/var/www/elsewhere", source: { file: "config/deploy.rb", line: 2 } });
    expect(none.webServer?.kind ?? null).not.toBe("passenger");
  });

  it("the god loop's stop_timeout is the drain: 3 workers per server, grace from 120s", async () => {
    const m = await analyzeFiles(repo(), "bindery");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.stopTimeout).toEqual({ seconds: 120, source: { file: "config/god/jobs.god", line: 7 } });
    expect(w.evidence.some((e) => /above 300\.megabytes/.test(e.value) && e.source.line === 12)).toBe(true);
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => [s.replicas, s.grace])).toEqual([[3, workerGracePeriod(120)]]);
    // no server has a worker role: the count is the god loop's on one server, and said so
    expect(spec.stages[0]!.replicasWhy).toMatch(/one server × 3 \(config\/god\/jobs\.god:3 starts 3 watches/);
  });

  it("stop_timeout only counts inside the watch that starts the process", () => {
    const text = 'God.watch do |w|\n  w.start = "a"\nend\nGod.watch do |w|\n  w.stop_timeout = 30.seconds\n  w.start = "b"\nend\n';
    // the first watch sets none: god's own default (God::STOP_TIMEOUT_DEFAULT), labelled as god's
    expect(godWatchStop("x.god", text, 1).stopTimeout).toMatchObject({ seconds: 10, godDefault: true, source: { line: 1 } });
    expect(godWatchStop("x.god", text, 5).stopTimeout).toMatchObject({ seconds: 30, source: { line: 5 } });
  });
});
