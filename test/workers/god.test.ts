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
// stubbed to record each watch) lists the processes and the env each got. The analysis reads each
// stage's own file (a directory named for the stage; the file above serves the others) and writes
// one worker per distinct (command, env), its processes per server per stage.
const QUEUED = (table: string) => `RELEASE = "/srv/parcel/current"
LANES = { ${table} }.map { |q, n| Array.new(n, q) }.flatten
LANE_COUNT = LANES.length

(1..LANE_COUNT).each do |i|
  God.watch do |w|
    w.name  = "lane-#{i}"
    w.dir   = RELEASE
    lane = "@#{LANES[i - 1]}"
    w.pid_file = "/srv/parcel/shared/pids/lane.#{i}.pid"
    w.env   = { "QUEUE" => lane, "TERM_CHILD" => i, "PIDFILE" => w.pid_file }
    w.start = "bundle exec rake resque:work"
  end
end
`;
const CONSUMERS = (list: string) => `consumers = "${list}"
God.watch do |w|
  w.name = "rabbit"
  w.env = { 'WORKERS' => consumers, 'RAILS_ENV' => 'production', 'QUIET' => false }
  w.start = "bundle exec rake sneakers:run"
end
`;

describe("god files per stage directory", () => {
  const files = {
    "config/god/jobs.god": QUEUED("mail: 2, billing: 1"),
    "config/god/staging/jobs.god": QUEUED("mail: 1"),
    "config/god/rabbit.god": CONSUMERS("Ledger::Consumer,Inbox"),
    "config/god/staging/rabbit.god": CONSUMERS("Inbox"),
  };
  const stub = 'module God; @w = []; def self.watch; o = Struct.new(:name, :dir, :env, :start, :group, :pid_file).new; yield o; @w << o; end; def self.all = @w; end; load ARGV[0]; puts God.all.map { |w| [w.start, w.env.reject { |k, _| %w[PIDFILE RAILS_ENV].include?(k) }.transform_values(&:to_s)] }.to_json';
  const run = (text: string): [string, Record<string, string>][] => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-god-"));
    writeFileSync(join(dir, "x.god"), text);
    const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "x.god")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  const app = () =>
    analyzeFiles(
      pluginApp("", { production: 'server "j1.parcel.example.org", roles: %w[web app db jobs]\nserver "j2.parcel.example.org", roles: %w[web app db jobs]\nset :resque_roles, :jobs\n', staging: 'server "s1.parcel.example.org", roles: %w[web app db jobs]\nset :resque_roles, :jobs\n' }, files, { resque: "2.6.0", sneakers: "2.12.0" }, ""),
      "parcel",
    );

  it("real Ruby runs each file's loop: its watch count is the one the analysis reads, or one it says it cannot read", () => {
    const count = (text: string) => {
      const dir = mkdtempSync(join(tmpdir(), "r2k-god-"));
      writeFileSync(join(dir, "jobs.god"), text);
      const r = spawnSync("ruby", ["-e", 'module God; @w = []; def self.watch; o = Struct.new(:name, :dir, :env, :start, :group, :keepalive, :pid_file).new; yield o; @w << o; end; def self.all = @w; end; load ARGV[0]; puts God.all.length', join(dir, "jobs.god")], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return Number(r.stdout.trim());
    };
    const all: Record<string, string> = { ...files, "config/jobs.god": GOD };
    for (const [path, text] of Object.entries(all)) {
      const read = godWatchCount(path, text, text.split("\n").findIndex((l) => l.includes("w.start")));
      // a count the analysis reads is Ruby's; one it cannot read is said, never a guess
      if (read === null) expect([path, count(text)]).toEqual([path, 1]); // no loop: one watch
      else if ("count" in read && read.count !== undefined) expect([path, read.count]).toEqual([path, count(text)]);
      else expect([path, read]).toEqual([path, expect.objectContaining({ unknown: expect.any(String) })]);
    }
    expect(godWatchCount("config/jobs.god", GOD, GOD.split("\n").findIndex((l) => l.includes("w.start")))).toMatchObject({ count: count(GOD) });
  });

  it("each stage's processes are the ones real Ruby's run of that stage's file lists, per (command, env)", async () => {
    const m = await app();
    for (const [stage, own] of [["production", ["config/god/jobs.god", "config/god/rabbit.god"]], ["staging", ["config/god/staging/jobs.god", "config/god/staging/rabbit.god"]]] as const) {
      const real = own.flatMap((f) => run(files[f as keyof typeof files]));
      const counted = new Map<string, number>();
      for (const [cmd, env] of real) {
        // Resque's TERM_CHILD only needs to be set: god gave each process its own number.
        const e = { ...env, ...(env["TERM_CHILD"] ? { TERM_CHILD: "1" } : {}) };
        const k = JSON.stringify([cmd.split(" ").slice(-1)[0], Object.fromEntries(Object.entries(e).sort())]);
        counted.set(k, (counted.get(k) ?? 0) + 1);
      }
      const ours = new Map<string, number>();
      for (const w of m.workers!.filter((x) => x.backend === "resque" || x.backend === "sneakers")) {
        const n = w.perStage?.[stage]?.processes ?? 0;
        if (n) ours.set(JSON.stringify([w.args.slice(-1)[0], Object.fromEntries(Object.entries(w.env).sort())]), n);
      }
      expect([stage, Object.fromEntries(ours)]).toEqual([stage, Object.fromEntries(counted)]);
    }
    expect(m.problems.some((p) => /service files start it/.test(p.message))).toBe(false);
  });

  it("replicas: a stage's processes per server × its servers with the role, 0 where its file does not start that kind", async () => {
    const m = await app();
    const plan = makePlan(m, {});
    const specs = workerSpecs(plan);
    const mail = m.workers!.find((w) => w.env["QUEUE"] === "@mail")!;
    const billing = m.workers!.find((w) => w.env["QUEUE"] === "@billing")!;
    const replicas = (w: typeof mail) => Object.fromEntries(specs.find((s) => s.facts === w)!.stages.map((s, i) => [plan.stages[i]!.stage.name, s.replicas]));
    expect(replicas(mail)).toEqual({ production: 4, staging: 1 });
    expect(replicas(billing)).toEqual({ production: 2, staging: 0 });
    expect(mail.queues).toEqual(["@mail"]);
    expect(mail.perStage!["staging"]!.why).toMatch(/config\/god\/staging\/jobs\.god:\d+ starts 1 process with QUEUE=@mail .*its directory names the stage/);
  });

  it("a w.env value the file does not state is named, and left out", async () => {
    const text = QUEUED("mail: 1").replace('"QUEUE" => lane', '"QUEUE" => ENV.fetch("LANE")');
    const m = await analyzeFiles(pluginApp("", { production: 'server "j1.parcel.example.org", roles: %w[web app db]\n' }, { "config/god/jobs.god": text }, { resque: "2.6.0" }, ""), "parcel");
    expect(m.problems.some((p) => p.file === "config/god/jobs.god" && /sets QUEUE in w\.env to a value not known statically/.test(p.message))).toBe(true);
    expect(m.workers!.find((w) => w.backend === "resque")!.env["QUEUE"]).toBeUndefined();
  });
});
