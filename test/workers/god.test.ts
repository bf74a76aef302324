// A god file that starts its watch in a loop (`POOL.times do |n| God.watch …`) ran that many worker
// processes on each server: the worker Deployment's replicas are the role's servers × that count.
// The god file and app are written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

// One god file per stage directory, each looping over a queue table: real Ruby (god's own DSL
// stubbed to record each watch) shows the processes and QUEUE values differ by file. One Deployment
// with the standard command is written, so every file is named as not read, never dropped silently.
const QUEUED = (table: string) => `RELEASE = "/srv/parcel/current"
LANES = { ${table} }.map { |q, n| Array.new(n, q) }.flatten

(1..LANES.length).each do |i|
  God.watch do |w|
    w.name  = "lane-#{i}"
    w.dir   = RELEASE
    w.env   = { "QUEUE" => "@#{LANES[i - 1]}", "TERM_CHILD" => "1" }
    w.start = "bundle exec rake resque:work"
  end
end
`;

describe("god files per stage directory", () => {
  const files = { "config/god/jobs.god": QUEUED("mail: 2, billing: 1"), "config/god/staging/jobs.god": QUEUED("mail: 1") };

  it("real Ruby runs each file's loop: its watch count is the one the analysis reads, or one it says it cannot read", () => {
    const stub = 'module God; @w = []; def self.watch; o = Struct.new(:name, :dir, :env, :start, :group, :keepalive).new; yield o; @w << o; end; def self.all = @w; end; load ARGV[0]; puts God.all.map { |w| (w.env || {})["QUEUE"] }.join(",")';
    const run = (text: string) => {
      const dir = mkdtempSync(join(tmpdir(), "r2k-god-"));
      writeFileSync(join(dir, "jobs.god"), text);
      const r = spawnSync("ruby", ["-e", stub, join(dir, "jobs.god")], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim().split(",");
    };
    const all: Record<string, string> = { ...files, "config/jobs.god": GOD };
    for (const [path, text] of Object.entries(all)) {
      const watches = run(text).length;
      const read = godWatchCount(path, text, text.split("\n").findIndex((l) => l.includes("w.start")));
      // a count the analysis reads is Ruby's; one it cannot read is said, never a guess
      if (read && "count" in read && read.count !== undefined) expect([path, read.count]).toEqual([path, watches]);
      else expect([path, read]).toEqual([path, expect.objectContaining({ unknown: expect.any(String) })]);
    }
    expect(godWatchCount("config/jobs.god", GOD, GOD.split("\n").findIndex((l) => l.includes("w.start")))).toMatchObject({ count: run(GOD).length });
    expect(run(files["config/god/jobs.god"]).join(",")).toBe("@mail,@mail,@billing");
    expect(run(files["config/god/staging/jobs.god"]).join(",")).toBe("@mail");
  });

  it("the analysis names both files as not read, with their loops", async () => {
    const m = await analyzeFiles(
      pluginApp("", { production: 'server "j1.parcel.example.org", roles: %w[web app db]\n', staging: 'server "s1.parcel.example.org", roles: %w[web app db]\n' }, files, { resque: "2.6.0" }, ""),
      "parcel",
    );
    const said = m.problems.filter((p) => /service files start it/.test(p.message));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toMatch(/^Resque: 2 service files start it \(config\/god\/jobs\.god:9, config\/god\/staging\/jobs\.god:9\);.*process counts: \(1\.\.LANES\.length\)\.each do \|i\|: .*QUEUE or WORKERS\) is not read/);
    expect(m.workers!.find((x) => x.backend === "resque")).toMatchObject({ commandFrom: "standard" });
  });
});
