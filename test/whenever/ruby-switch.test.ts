// A cron line that ran its task through the servers' Ruby switch (`<rvm_path>/bin/rvm 2.7.8 do`,
// `rbenv exec`, `chruby-exec 3.2.2 --`): the image has no RVM, rbenv or chruby, its one Ruby runs the
// rest, so the CronJob runs the line without the switch, and a note says what was left out. The
// RVM path comes from capistrano-rvm's rvm:hook on the servers: not known, never read as empty text
// (a CronJob running `/bin/rvm …` fails on every run). Judged against the real `whenever -f --set`
// (the line the servers' crontab held) and `kubectl kustomize` (the CronJob's command).
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel, RValue } from "../../src/model.js";
import { runWhenever } from "./crontab.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "ruby_switch_schedule.rb");

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.2)\n    capistrano-rvm (0.1.2)\n    rails (7.1.3)\n    puma (6.4.2)\n    thor (1.3.0)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  capistrano-rvm\n  rails\n  puma\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const repo = () =>
  memoryRepo({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "whenever"\ngem "capistrano"\ngem "capistrano-rvm"\n',
    "Gemfile.lock": LOCK,
    "bin/rails": "",
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rvm"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": `set :application, "ledger"
set :deploy_to, "/srv/ledger"
set :rvm_type, :user
set :rvm_ruby_version, "2.7.8"
set :whenever_variables, -> { "'environment=#{fetch :whenever_environment}&rvm_path=#{fetch :rvm_path}/bin/rvm&rvm_ruby_version=#{fetch :rvm_ruby_version}'" }
`,
    "config/deploy/production.rb": 'server "p1.ledger.example.org", roles: %w[app db web]\n',
    "config/schedule.rb": readFileSync(FILE, "utf8"),
  });

/** A command's text, a piece not known shown as `<?>`. */
const textOf = (v: RValue): string =>
  typeof v === "string" ? v : v && typeof v === "object" && "interp" in v ? (v.interp as RValue[]).map((p) => (typeof p === "string" ? p : "<?>")).join("") : "<?>";

// What the servers' deploy passed: capistrano-rvm's rvm:hook had set rvm_path to the user's RVM.
const PASSED = "environment=production&rvm_path=/home/deploy/.rvm/bin/rvm&rvm_ruby_version=2.7.8";
const cdless = (s: string) => s.replace(/cd \S+ && /, "cd <release> && ");

describe("the servers' Ruby switch in a cron line", () => {
  let m: AppModel;
  beforeAll(async () => {
    m = await analyzeFiles(repo(), "ledger");
  });

  it("reads the RVM path capistrano-rvm sets on the servers as not known, never as empty text", () => {
    const thor = m.cron!.jobs.find((j) => j.type === "thor")!;
    const text = textOf(thor.command);
    expect(text).not.toMatch(/\s\/bin\/rvm/);
    expect(text).toContain("<?>/bin/rvm 2.7.8 do bundle exec thor ledger:settle");
    // the line whenever wrote on the servers is ours with the RVM path in place
    const printed = runWhenever(FILE, { gemfile: true, binRails: true }, PASSED).lines.map((l) => cdless(l.command));
    expect(printed).toContain(cdless(text).replace("<?>", "/home/deploy/.rvm"));
  });

  it("runs each CronJob without the switch, and says what was left out", () => {
    const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const jobs = all(stages["production"]!, "CronJob").map((c) => ({ suspend: c["spec"].suspend === true, command: c["spec"].jobTemplate.spec.template.spec.containers[0].args[2] as string }));
    const commands = jobs.map((j) => j.command).sort();
    expect(commands).toEqual(['bin/rails runner -e "$RAILS_ENV" \'Ledger.compact!\'', "bundle exec rake ledger:sweep --silent", "bundle exec thor ledger:settle"]);
    expect(jobs.every((j) => !j.suspend)).toBe(true);
    const left = (sw: string) => result.notes.some((n) => n.message.includes(`\`${sw}\` left out: it chose the servers' Ruby`));
    expect(left("<not known>/bin/rvm 2.7.8 do")).toBe(true);
    expect(left("rbenv exec")).toBe(true);
    expect(left("/usr/local/bin/chruby-exec 3.2.2 --")).toBe(true);
  });
});
