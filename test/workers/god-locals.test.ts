// A god file is Ruby that god loads: its `w.start` may name a local set in the watch, the file's
// constants and the loop's variable. The analysis computes the command as that Ruby does (checked
// against real Ruby running the file with god's DSL stubbed), so the delayed_job line is found, its
// loop's count becomes replicas and its stop_timeout the grace period. The app and god files are
// written for this test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { godStarts } from "../../analyzers/workers/god-starts.js";
import { pluginApp } from "./app.js";

const KILN = `KILN_HOME = "/opt/kiln/current"
kiln_env = "production"

2.times do |slot|
  God.watch do |w|
    runner = "cd #{KILN_HOME} && RAILS_ENV=#{kiln_env} bundle exec script/delayed_job --queue=ovens -i #{slot}"
    w.name = "kiln-dj-#{slot}"
    w.start = "/bin/sh -c '#{runner} start'"
    w.stop = "/bin/sh -c '#{runner} stop'"
    w.stop_timeout = 45.seconds
    w.keepalive
  end
end
`;
const SCRIPT = { "script/delayed_job": "#!/usr/bin/env ruby\nrequire File.expand_path('../../config/environment', __FILE__)\nrequire 'delayed/command'\nDelayed::Command.new(ARGV).daemonize\n" };
const dj = { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8", daemons: "1.4.1" };
const stages = (deployTo: string) => ({ production: `set :deploy_to, "${deployTo}"\nserver "j1.kiln.example.org", roles: %w[jobs]\nserver "j2.kiln.example.org", roles: %w[jobs]\nserver "w1.kiln.example.org", roles: %w[web app db]\nset :rails_env, "production"\n` });

/** Real Ruby loads the file with god's DSL stubbed: each watch's start command, in order. */
function rubyStarts(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "r2k-god-locals-"));
  writeFileSync(join(dir, "x.god"), text);
  const syntax = spawnSync("ruby", ["-c", join(dir, "x.god")], { encoding: "utf8" });
  expect(syntax.status, syntax.stderr).toBe(0);
  const stub = "class Integer; def seconds = self; end; module God; @w = []; def self.watch; o = Struct.new(:name, :start, :stop, :stop_timeout) { def keepalive; end }.new; yield o; @w << o; end; def self.all = @w; end; load ARGV[0]; puts God.all.map(&:start).to_json";
  const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "x.god")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const container = (o: any) => o.spec.template.spec.containers[0];
let m: AppModel;
let built: Built;

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  m = await analyzeFiles(pluginApp("", stages("/opt/kiln"), { "config/god/kiln.god": KILN, ...SCRIPT }, dj, ""), "kiln");
  built = emitAndBuild(m);
}, 120_000);

afterAll(() => removeTrees());

describe("a god watch whose start names locals, constants and the loop variable", () => {
  it("the command is the one real Ruby computes for the first watch; the count is Ruby's", () => {
    const real = rubyStarts(KILN);
    const read = godStarts("config/god/kiln.god", KILN).starts.get(8)!;
    expect(read.command).toBe(real[0]);
    expect(read.commands).toEqual(real);
  });

  it("the Deployment: script/delayed_job run on its queue, 2 watches × 2 job servers, god's stop_timeout as the drain", () => {
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.carried).toBe(true);
    expect(w.commandSource).toEqual({ file: "config/god/kiln.god", line: 8 });
    expect(w.stopTimeout).toEqual({ seconds: 45, source: { file: "config/god/kiln.god", line: 10 } });
    const d = find(built.stages["production"]!, "Deployment", "-worker-delayed-job");
    expect(container(d).args ?? container(d).command).toEqual(["bundle", "exec", "script/delayed_job", "run", "--queues=ovens"]);
    expect(d.spec.replicas).toBe(4);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(45));
    expect(m.problems.filter((p) => p.file === "config/god/kiln.god")).toEqual([]);
  });

  it("without a stop_timeout, god's own default is labelled as god's; a stop command leaves the backend's default", async () => {
    const text = KILN.replace("    w.stop_timeout = 45.seconds\n", "");
    const m2 = await analyzeFiles(pluginApp("", stages("/opt/kiln"), { "config/god/kiln.god": text, ...SCRIPT }, dj, ""), "kiln");
    const w = m2.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.stopTimeout.seconds).toBe(60);
    expect(w.evidence.some((e) => /god's default stop_timeout, God::STOP_TIMEOUT_DEFAULT = 10/.test(e.value) && /backend|delayed_job's default stop timeout \(60s\) is kept/.test(e.value))).toBe(true);
    // No stop command: god sent its stop signal itself and KILLed 10s later.
    const bare = text.replace(/    w\.stop = .*\n/, "");
    const m3 = await analyzeFiles(pluginApp("", stages("/opt/kiln"), { "config/god/kiln.god": bare, ...SCRIPT }, dj, ""), "kiln");
    const w3 = m3.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w3.stopTimeout).toEqual({ seconds: 10, source: { file: "config/god/kiln.god", line: 5 } });
    expect(w3.evidence.some((e) => /god sent TERM \(god's default stop_signal\) and KILL 10s later/.test(e.value))).toBe(true);
  });

  it("a RAILS_ROOT that is not the stage's release is a named doubt; the worker is still read", async () => {
    const m2 = await analyzeFiles(pluginApp("", stages("/srv/kiln"), { "config/god/kiln.god": KILN, ...SCRIPT }, dj, ""), "kiln");
    expect(m2.workers!.find((x) => x.backend === "delayed-job")!.carried).toBe(true);
    const p = m2.problems.find((x) => x.file === "config/god/kiln.god" && x.line === 1)!;
    expect(p.message).toMatch(/KILN_HOME \(\/opt\/kiln\/current\) is not the release the deploy puts on its servers, \/srv\/kiln\/current/);
  });

  it("a local god cannot be read here is named with its line, never dropped silently", async () => {
    const text = KILN.replace('kiln_env = "production"', 'kiln_env = `cat /etc/kiln-env`.strip');
    const m2 = await analyzeFiles(pluginApp("", stages("/opt/kiln"), { "config/god/kiln.god": text, ...SCRIPT }, dj, ""), "kiln");
    const p = m2.problems.find((x) => x.file === "config/god/kiln.god" && x.line === 8)!;
    expect(p.message).toMatch(/start command .* is not known statically: .*\(config\/god\/kiln\.god:2\)/);
  });
});
