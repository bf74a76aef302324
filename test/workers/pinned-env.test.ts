// A Procfile whose worker lines name their own environment (`rake … RAILS_ENV=production`): rake
// sets ENV from such arguments, so carried as written the staging pod would run production. The pod
// follows its stage's RAILS_ENV; a stage whose rails_env differs from the line's is warned about.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

const procfile = [
  "jobs: bundle exec rake resque:work QUEUE=mail,default RAILS_ENV=production",
  "clock: RAILS_ENV=production bundle exec rake resque:scheduler",
].join("\n");

const repo = () =>
  pluginApp(
    "",
    {
      production: 'server "app1.example.net", roles: %w[web app db]\n',
      staging: 'server "stg1.example.net", roles: %w[web app db]\nset :rails_env, "staging"\n',
    },
    { Procfile: `${procfile}\n` },
    { resque: "2.6.0", "resque-scheduler": "4.10.2" },
    "",
  );

describe("a worker line that sets RAILS_ENV itself", () => {
  it("rake really takes RAILS_ENV from its argument, over the environment the pod gives it", () => {
    const dir = mkdtempSync(join(tmpdir(), "pinned-env-"));
    try {
      writeFileSync(join(dir, "Rakefile"), 'task(:env) { puts ENV["RAILS_ENV"] }\n');
      const out = execFileSync("rake", ["-f", join(dir, "Rakefile"), "env", "RAILS_ENV=production"], { env: { ...process.env, RAILS_ENV: "staging" }, encoding: "utf8" });
      expect(out.trim()).toBe("production");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is carried without the assignment, and the stage whose rails_env differs is named", async () => {
    const m = await analyzeFiles(repo(), "parcel");
    const resque = m.workers.find((w) => w.backend === "resque")!;
    expect(resque.args).toEqual(["bundle", "exec", "rake", "resque:work", "QUEUE=mail,default"]);
    const scheduler = m.workers.find((w) => w.backend === "resque-scheduler")!;
    expect(scheduler.args).toEqual(["bundle", "exec", "rake", "resque:scheduler"]);
    expect(JSON.stringify(m.workers.map((w) => [w.args, w.env]))).not.toContain("RAILS_ENV");
    const warned = m.problems.filter((p) => p.message.includes("sets RAILS_ENV=production"));
    expect(warned.map((p) => [p.file, p.line])).toEqual([
      ["Procfile", 1],
      ["Procfile", 2],
    ]);
    for (const p of warned) expect(p.message).toMatch(/stage staging \(rails_env staging\) runs another environment: the pod drops the assignment/);
    expect(warned.some((p) => p.message.includes("stage production"))).toBe(false);
  });

  it("says nothing where every stage runs the line's environment", async () => {
    const m = await analyzeFiles(
      pluginApp("", { production: 'server "app1.example.net", roles: %w[web app db]\n' }, { Procfile: `${procfile}\n` }, { resque: "2.6.0", "resque-scheduler": "4.10.2" }, ""),
      "parcel",
    );
    expect(m.problems.filter((p) => p.message.includes("sets RAILS_ENV="))).toEqual([]);
    expect(m.workers.find((w) => w.backend === "resque")!.args).toEqual(["bundle", "exec", "rake", "resque:work", "QUEUE=mail,default"]);
  });
});
