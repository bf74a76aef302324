// Mina's whenever:update (`require 'mina/whenever'`, `invoke :'whenever:update'`). What it runs, by
// the Mina that Gemfile.lock resolves (mina-deploy/mina's lib/mina/whenever.rb at v0.2.1 and v0.3.8):
//   0.2.x-0.3.0: cd <deploy_to>/current ; bundle exec whenever --update-crontab <domain> --set 'environment=production&path=<deploy_to>/current'
//   0.3.1 on:    cd <deploy_to>/current ; bundle exec whenever --update-crontab <domain>_<rails_env> --set 'environment=<rails_env>&path=<deploy_to>/current'
// Never a --roles: whenever writes every job, whatever its `roles:`. Mina is not packaged here, so the
// oracle is that command's whenever part run by the real `whenever`.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { runWhenever } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "mina_schedule.rb");
const lock = (mina: string) => `GEM\n  remote: https://rubygems.org/\n  specs:\n    mina (${mina})\n    rails (4.2.11)\n    whenever (0.9.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mina\n  rails\n  whenever\n`;
const files = (mina: string): Record<string, string> => ({
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "mina"\ngem "whenever"\n',
  "Gemfile.lock": lock(mina),
  "bin/rails": "",
  "config/deploy.rb": "require 'mina/rails'\nrequire 'mina/git'\nrequire 'mina/whenever'\nset :domain, 'shop.example.org'\nset :deploy_to, '/srv/shop'\nset :rails_env, 'staging'\n\ntask :deploy do\n  deploy do\n    to :launch do\n      invoke :'whenever:update'\n    end\n  end\nend\n",
  "config/schedule.rb": readFileSync(FILE, "utf8"),
});
const TASKS = ["shop:nightly", "shop:drain", "shop:invoices"];

beforeAll(async () => {
  await initPrism();
});

describe("Mina's whenever:update vs its command run by the real whenever", () => {
  for (const [mina, env] of [["0.2.1", "production"], ["0.3.8", "staging"]] as const)
    it(`mina ${mina}: every job (no --roles), environment=${env}`, async () => {
      const lines = runWhenever(FILE, { gemfile: true, binRails: true }, `environment=${env}&path=/srv/shop/current`).lines;
      const want = new Set(lines.map((l) => TASKS.find((t) => l.command.includes(`${t} `))!));
      // the fixture exercises each outcome
      expect(want).toEqual(new Set(env === "production" ? TASKS : ["shop:nightly", "shop:drain"]));
      const m = await analyzeFiles(memoryRepo(files(mina)), "shop");
      const { stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
      const names = Object.keys(stages);
      expect(names).toHaveLength(1);
      const crons = all(stages[names[0]!]!, "CronJob");
      const running = crons.filter((x) => (x.spec as { suspend?: boolean }).suspend !== true).map((x) => JSON.stringify(x.spec));
      expect(new Set(TASKS.filter((t) => running.some((r) => r.includes(`${t} `))))).toEqual(want);
      // the Rails env whenever wrote into each line (the CronJob's RAILS_ENV) is the one the recipe passed
      for (const j of m.cron!.jobs) expect(j.environmentOn?.[names[0]!] ?? j.environment, j.task as string).toBe(env);
      expect(m.cron!.files![0]!.how).toMatch(new RegExp(`mina ${mina.replace(/\./g, "\\.")}.*environment=${env === "production" ? "production" : "<rails_env>"}.*no --roles`));
    }, 120_000);
});
