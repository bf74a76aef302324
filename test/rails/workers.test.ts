// analyzers/workers: job backends found from the lockfile, Procfile, Capistrano and service files;
// the command is the repo's line when it is plain words, else the backend's standard one, said so.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { JOB_BACKENDS, backendOfCommand } from "../../analyzers/workers/backends.js";

const lock = (gems: Record<string, string>) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}`;

describe("job workers", () => {
  it("a systemd unit's ExecStart is evidence; its server paths make the standard command run, labelled", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "Gemfile.lock": lock({ shoryuken: "6.2.1", rails: "7.1.3" }),
        "lib/capistrano/templates/shoryuken.service.erb": "[Service]\nExecStart=/home/deploy/.rbenv/shims/bundle exec shoryuken -R -C config/shoryuken.yml\n",
      }),
      "queue-app",
    );
    const w = m.workers!.find((x) => x.backend === "shoryuken")!;
    expect(w.carried).toBe(true);
    expect(w.commandFrom).toBe("standard");
    expect(w.args).toEqual(["bundle", "exec", "shoryuken", "-R"]);
    expect(w.commandSource).toEqual({ file: "lib/capistrano/templates/shoryuken.service.erb", line: 2 });
    expect(w.commandNote).toMatch(/paths of the servers/);
    expect(w.stopSignal).toBe("TERM");
    expect(w.stopTimeout).toEqual({ seconds: 8, source: null });
  });

  it("a Procfile line with shell syntax is not run as is; plain lines keep their words and env", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "Gemfile.lock": lock({ delayed_job: "4.1.11", que: "2.3.0", rails: "7.0.8" }),
        Procfile: "web: bundle exec puma\njobs: bundle exec rake jobs:work 2>&1 | logger -t jobs\nque: RAILS_ENV=production QUE_WORKER_COUNT=4 bundle exec que ./config/environment.rb\n",
      }),
      "procs",
    );
    const dj = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(dj.commandFrom).toBe("standard");
    expect(dj.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
    expect(dj.commandNote).toMatch(/shell syntax/);
    const que = m.workers!.find((x) => x.backend === "que")!;
    expect(que.commandFrom).toBe("procfile");
    expect(que.args).toEqual(["bundle", "exec", "que", "./config/environment.rb"]);
    expect(que.env).toEqual({ QUE_WORKER_COUNT: "4" }); // RAILS_ENV comes from each stage's ConfigMap
    expect(m.hazards.filter((h) => h.id === "workers.backend-not-migrated")).toEqual([]);
  });

  it("every backend's table row recognises its own standard command", () => {
    for (const b of JOB_BACKENDS) expect(backendOfCommand(b.standardCommand.join(" "))?.id).toBe(b.id);
    expect(JOB_BACKENDS.find((b) => b.id === "resque")!.stopSignal).toBe("QUIT"); // TERM kills Resque's running job
  });
});
