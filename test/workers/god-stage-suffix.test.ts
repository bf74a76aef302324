// God files kept per stage by their names (config/god/lanes_production.god, config/god/lanes.staging.god,
// config/god/production.god), as a deploy that loads `#{fetch(:stage)}`-named files finds them: each
// stage's workers come from its own file, never another stage's. A stage none of the files is named
// for, where no file without a stage in its name exists, loads one of them or none: its count is asked,
// with a warning. Real Ruby (god's `God.watch` stubbed to record each watch) lists what each file starts.
// The app ("parcel", a Resque deploy with three stages) is written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { pluginApp } from "./app.js";

const LANES = (n: number) => `RELEASE = "/srv/parcel/current"
${n}.times do |i|
  God.watch do |w|
    w.name  = "lane-#{i}"
    w.dir   = RELEASE
    w.env   = { "QUEUE" => "mail" }
    w.start = "bundle exec rake resque:work"
  end
end
`;
const stub = 'module God; @w = []; def self.watch; o = Struct.new(:name, :dir, :env, :start).new; yield o; @w << o; end; def self.all = @w; end; load ARGV[0]; puts God.all.length';
const realCount = (text: string): number => {
  const dir = mkdtempSync(join(tmpdir(), "r2k-god-"));
  writeFileSync(join(dir, "x.god"), text);
  const r = spawnSync("ruby", ["-e", stub, join(dir, "x.god")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.trim());
};
const servers = (host: string) => `server "${host}", roles: %w[web app db jobs]\nset :resque_roles, :jobs\n`;
const app = (files: Record<string, string>, stages: string[]) =>
  analyzeFiles(
    pluginApp('namespace :god do\n  task :start do\n    on roles(:jobs) do\n      execute "god -c #{current_path}/config/god/lanes_#{fetch(:stage)}.god"\n    end\n  end\nend\nafter "deploy:published", "god:start"\n', Object.fromEntries(stages.map((s) => [s, servers(`${s}1.parcel.example.org`)])), files, { resque: "2.6.0" }, ""),
    "parcel",
  );

describe("god files per stage by their names", () => {
  it("each stage's processes are its own file's, as real Ruby counts them", async () => {
    const files = { "config/god/lanes_production.god": LANES(3), "config/god/lanes.staging.god": LANES(1) };
    const m = await app(files, ["production", "staging"]);
    const ws = m.workers!.filter((w) => w.backend === "resque");
    expect(ws).toHaveLength(1);
    const w = ws[0]!;
    expect(w.perStage!["production"]!.processes).toBe(realCount(files["config/god/lanes_production.god"]));
    expect(w.perStage!["staging"]!.processes).toBe(realCount(files["config/god/lanes.staging.god"]));
    const plan = makePlan(m, {});
    const spec = workerSpecs(plan).find((s) => s.facts === w)!;
    expect(Object.fromEntries(spec.stages.map((s, i) => [plan.stages[i]!.stage.name, s.replicas]))).toEqual({ production: 3, staging: 1 });
  });

  it("a stage no file is named for gets no other stage's count: it is asked, and said", async () => {
    const m = await app({ "config/god/lanes_production.god": LANES(3), "config/god/lanes_staging.god": LANES(1) }, ["production", "staging", "qa"]);
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.perStage!["qa"]!.unknown).toMatch(/which god file stage qa's deploy loads is not read/);
    expect(m.problems.some((p) => /^workers\.god-stage-file-unknown: Resque: stage qa has no god file of its own/.test(p.message))).toBe(true);
    expect(m.gaps.some((g) => /qa/.test(g.id) && /processes/.test(g.id))).toBe(true);
  });

  it("a file named for no stage serves only the stages without one of their own", async () => {
    const m = await app({ "config/god/lanes.god": LANES(2), "config/god/lanes_production.god": LANES(3) }, ["production", "staging"]);
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.perStage!["production"]!.processes).toBe(3);
    expect(w.perStage!["staging"]!.processes).toBe(2);
  });
});
