// A god file that starts its watch in a loop (`POOL.times do |n| God.watch …`) ran that many worker
// processes on each server: the worker Deployment's replicas are the role's servers × that count.
// The god file and app are written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { godWatchCount } from "../../analyzers/workers/god.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { pluginApp } from "./app.js";

const GOD = `PARCEL_ROOT = "/srv/parcel/current"
POOL_SIZE = 3 # one per core

POOL_SIZE.times do |n|
  God.watch do |w|
    w.name  = "parcel-jobs-#{n}"
    w.group = "jobs"
    w.dir   = PARCEL_ROOT
    w.start = "bundle exec rake resque:work"
    w.keepalive
  end
end
`;

describe("god loops", () => {
  it("N.times around God.watch: N processes per server, replicas = servers × N", async () => {
    const m = await analyzeFiles(
      pluginApp(
        "",
        { production: 'server "j1.parcel.example.org", roles: %w[jobs]\nserver "j2.parcel.example.org", roles: %w[jobs]\nserver "w1.parcel.example.org", roles: %w[web app db]\nset :rails_env, "production"\n' },
        { "config/jobs.god": GOD },
        { resque: "2.6.0" },
        "",
      ),
      "parcel",
    );
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.processesPerServer).toEqual({ value: 3, why: "config/jobs.god:4 starts 3 watches (POOL_SIZE.times do |n|)", source: { file: "config/jobs.god", line: 4 } });
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => s.replicas)).toEqual([6]);
    expect(spec.stages[0]!.replicasWhy).toMatch(/× 3 \(config\/jobs\.god:4 starts 3 watches/);
  });

  it("ranges, literal counts, a count the file does not state, no loop", () => {
    const at = (text: string) => godWatchCount("w.god", text, text.split("\n").findIndex((l) => l.includes("w.start")));
    expect(at('(1..4).each do |i|\n  God.watch do |w|\n    w.start = "x"\n  end\nend\n')).toMatchObject({ count: 4 });
    expect(at('(0...2).each do |i|\n  God.watch do |w|\n    w.start = "x"\n  end\nend\n')).toMatchObject({ count: 2 });
    expect(at('5.times { |i|\n  God.watch do |w|\n    w.start = "x"\n  end\n}\n')).toMatchObject({ count: 5 });
    expect(at('ENV["N"].to_i.times do |i|\n  God.watch do |w|\n    w.start = "x"\n  end\nend\n')).toMatchObject({ unknown: expect.stringMatching(/computed/) });
    expect(at('workers.times do |i|\n  God.watch do |w|\n    w.start = "x"\n  end\nend\n')).toMatchObject({ unknown: expect.stringMatching(/workers is not a number/) });
    expect(at('God.watch do |w|\n  w.start = "x"\nend\n')).toBeNull();
  });
});
