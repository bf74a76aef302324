// Eye and bluepill files kept per stage (`eye load #{current_path}/config/eye/#{fetch(:stage)}.eye`):
// each stage's servers ran its own file's processes. Where a job backend's process is in them, the
// worker does not yet take each stage's command and count from its own file, and a stage whose file
// the repo lacks ran something the analysis cannot read: both are said at the load line, never left
// silent (the worker ran the backend's standard command with no word before). The app ("parcel", a
// Resque deploy with three stages) and its eye files are written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

const EYE = (n: number, q: string) =>
  `Eye.application "parcel" do\n  working_dir "/srv/parcel/current"\n  (1..${n}).each do |i|\n    process "jobs-#{i}" do\n      pid_file "tmp/pids/jobs-#{i}.pid"\n      start_command "bundle exec rake resque:work QUEUE=${q}"\n      daemonize true\n      stop_grace 20.seconds\n    end\n  end\nend\n`;
const LOAD = 'namespace :eye do\n  task :load do\n    on roles(:jobs) do\n      execute :eye, :load, "#{current_path}/config/eye/#{fetch(:stage)}.eye"\n    end\n  end\nend\nafter "deploy:published", "eye:load"\n';
const stages = { production: 'server "p1.parcel.example.org", roles: %w[web app db jobs]\n', staging: 'server "s1.parcel.example.org", roles: %w[web app db jobs]\n', qa: 'server "q1.parcel.example.org", roles: %w[web app db jobs]\n' };

describe("eye files per stage", () => {
  it("a backend's processes in a file per stage are said with each stage's own file and count, and the stage whose file is missing is named", async () => {
    const m = await analyzeFiles(pluginApp(LOAD, stages, { "config/eye/production.eye": EYE(3, "mail"), "config/eye/staging.eye": EYE(1, "reports") }, { resque: "2.6.0" }, ""), "parcel");
    const w = m.problems.filter((p) => p.message.startsWith("workers.supervisor-stage-files:"));
    expect(w.map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:6"]);
    expect(w[0]!.message).toMatch(/production: config\/eye\/production\.eye:6 starts 3 × `bundle exec rake resque:work QUEUE=mail`; staging: config\/eye\/staging\.eye:6 starts 1 × `bundle exec rake resque:work QUEUE=reports`/);
    expect(w[0]!.message).toMatch(/the Resque worker does not take each stage's command and processes from its own file.*stage qa's config\/eye\/qa\.eye is not in the repo/);
  });

  it("a stage whose file is missing is named even where the files start no job backend", async () => {
    const crawler = 'Eye.application "parcel" do\n  process "crawler" do\n    start_command "bundle exec ruby script/crawler.rb"\n  end\nend\n';
    const m = await analyzeFiles(pluginApp(LOAD, stages, { "config/eye/production.eye": crawler, "config/eye/staging.eye": crawler, "script/crawler.rb": "loop { sleep 1 }\n" }, {}, ""), "parcel");
    const w = m.problems.filter((p) => p.message.startsWith("workers.supervisor-stage-files:"));
    expect(w.map((p) => p.message)).toEqual([expect.stringMatching(/loads config\/eye\/qa\.eye on stage qa, not in the repo: what that stage ran under eye is not known/)]);
  });
});
