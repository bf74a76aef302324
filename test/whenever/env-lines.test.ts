// whenever's `env :NAME, value` lines are written at the top of the crontab, before any job, so
// every job of that schedule ran with them. The analyze report lists each one with what becomes of
// it: carried onto every CronJob, carried through the stage's Secret, or left out with the reason
// (PATH named the servers' directories; a value read from the server's own ENV when whenever ran is
// not known here). A secret's value never reaches the report. The env lines are the real
// `whenever -f`'s.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { runWhenever } from "./crontab.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

const TOKEN = "kq83hd72jsla92hdu3ka71hs";
const SCHEDULE = `env :PATH, ENV["PATH"]
env :QUEUE_REGION, "north"
env :MAPS_API_TOKEN, "${TOKEN}"
env :SHARD, ENV["SHARD"]
set :output, "log/cron.log"
every 2.hours do
  rake "tiles:refresh"
end
`;

const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails"\nrequire "whenever/capistrano"\n',
  "config/deploy.rb": 'lock "~> 3.17"\nset :application, "atlas"\nset :repo_url, "https://git.example.org/atlas.git"\n',
  "config/deploy/production.rb": 'server "maps.example.org", user: "deploy", roles: %w[web app db]\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "whenever"\n',
  "bin/rails": "",
  "config/schedule.rb": SCHEDULE,
};

describe("whenever env lines", () => {
  it("are listed in the report with their fate, each at its line; secrets by name only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-env-lines-"));
    writeFileSync(join(dir, "schedule.rb"), SCHEDULE);
    const real = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production", { env: { SHARD: "7" } });
    expect(real.env.map(([k]) => k)).toEqual(["PATH", "QUEUE_REGION", "MAPS_API_TOKEN", "SHARD"]);
    // SHARD is what the deploying server's environment held: nothing in the repo says so.
    expect(real.env.find(([k]) => k === "SHARD")![1]).toBe("7");

    const model = await analyzeFiles(memoryRepo(FILES), "atlas");
    const text = renderReport(model, { color: false });
    const lines = text.split("\n");
    const cron = lines.slice(lines.indexOf("Cron") + 1, lines.indexOf("", lines.indexOf("Cron")));
    const envLines = cron.filter((l) => l.startsWith("  env "));
    expect(envLines.map((l) => l.split(/[:=]/)[0]!.trim())).toEqual(real.env.map(([k]) => `env ${k}`));
    expect(envLines[0]).toMatch(/env PATH: not carried: it named the servers' directories.*config\/schedule.rb:1$/);
    expect(envLines[1]).toMatch(/env QUEUE_REGION="north": on every CronJob of config\/schedule.rb  config\/schedule.rb:2$/);
    expect(envLines[2]).toMatch(/env MAPS_API_TOKEN: a secret, through the stage's Secret.*config\/schedule.rb:3$/);
    expect(envLines[3]).toMatch(/env SHARD: not carried: its value is ENV\["SHARD"\] of whenever's run on the server.*config\/schedule.rb:4$/);
    expect(text).not.toContain(TOKEN);

    // The CronJob carries the plain one; the secret comes from the stage's Secret.
    const { stages } = emitAndBuild(model, { "cron.time_zone": "Etc/UTC" });
    const job = all(stages["production"]!, "CronJob")[0]!;
    const container = job["spec"].jobTemplate.spec.template.spec.containers[0];
    expect(container.env).toEqual(expect.arrayContaining([{ name: "QUEUE_REGION", value: "north" }]));
    expect((container.env ?? []).map((e: { name: string }) => e.name)).not.toContain("PATH");
    expect((container.env ?? []).map((e: { name: string }) => e.name)).not.toContain("SHARD");
    expect(JSON.stringify(job)).not.toContain(TOKEN);
  });
});
