// A schedule that redefines one of whenever's own job types (`job_type :runner, "…"`): the servers ran
// the line that template rendered, so the CronJob runs that line (less whenever's `cd`, RAILS_ENV and
// output, which the image and the pod give), not one rebuilt from the task as for whenever's own
// templates (whenever 1.0's lib/whenever/setup.rb). What is left out on purpose (the servers' RVM
// loaded by `source …/scripts/rvm &&`) is named in the notes with the job_type line. Judged line by
// line against the real `whenever -f` (the crontab the servers held) and `kubectl kustomize`.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { runWhenever } from "./crontab.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "redefined_types_schedule.rb");

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.2)\n    rails (7.1.3)\n    puma (6.4.2)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n  puma\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const repo = () =>
  memoryRepo({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "whenever"\ngem "capistrano"\n',
    "Gemfile.lock": LOCK,
    "bin/rails": "",
    "script/weekly_digest": "#!/bin/sh\n",
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": 'set :application, "ledger"\nset :deploy_to, "/srv/ledger"\n',
    "config/deploy/production.rb": 'server "p1.ledger.example.org", roles: %w[app db web]\n',
    "config/schedule.rb": readFileSync(FILE, "utf8"),
  });

/** whenever's line inside its `/bin/bash -l -c '…'`, quotes restored, output and RAILS_ENV as the pod has them. */
const inner = (line: string) => line.replace(/^\/bin\/bash -l -c '([\s\S]*)'$/, "$1").replace(/'\\''/g, "'");

describe("a repo's redefinition of whenever's rake/runner/script", () => {
  let m: AppModel;
  beforeAll(async () => {
    m = await analyzeFiles(repo(), "ledger");
  });

  it("marks the jobs of a redefined type with the job_type line, and not those whose template is whenever's own", () => {
    const by = (t: string) => m.cron!.jobs.find((j) => j.type === t)!;
    expect(by("runner").redefinedType).toEqual({ file: "config/schedule.rb", line: 4 });
    expect(by("rake").redefinedType).toEqual({ file: "config/schedule.rb", line: 5 });
    expect(by("script").redefinedType).toBeUndefined();
  });

  it("each CronJob runs the line whenever wrote, less the cd, RAILS_ENV, output and the RVM it loaded", () => {
    const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const commands = all(stages["production"]!, "CronJob").map((c) => [c["spec"].schedule, c["spec"].jobTemplate.spec.template.spec.containers[0].args[2] as string]);
    const printed = runWhenever(FILE, { gemfile: true, binRails: true }, "environment=production").lines;
    expect(printed).toHaveLength(3);
    for (const l of printed) {
      const line = inner(l.command);
      const ours = commands.find(([s]) => s === l.schedule);
      expect(ours, l.schedule).toBeDefined();
      // the servers' line is ours with whenever's cd (and the RVM the template sourced) in front, and
      // RAILS_ENV/-e where the ConfigMap gives it
      const body = line.replace(/^source \$\{HOME\}\/\.rvm\/scripts\/rvm && /, "").replace(/^cd \S+ && /, "").replace(/^RAILS_ENV=production /, "").replace(/ -e production /, ' -e "$RAILS_ENV" ');
      expect(ours![1]).toBe(body);
    }
    expect(commands.map(([, c]) => c).sort()).toEqual([
      "bundle exec script/weekly_digest",
      'flock -n /tmp/ledger-runner.lock nice -n 10 bundle exec bin/rails runner -e "$RAILS_ENV" \'Ledger.reconcile\'',
      "rake ledger:prune --silent",
    ]);
    // the RVM it loaded is named, with the job_type line that wrote it
    expect(result.notes.some((n) => n.message.includes("`source ${HOME}/.rvm/scripts/rvm &&` left out: it chose the servers' Ruby") && n.message.includes("`job_type :runner` at config/schedule.rb:4"))).toBe(true);
  });
});
