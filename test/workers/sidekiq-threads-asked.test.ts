// A Sidekiq worker whose thread count only a placeholder stands for (its unit's EnvironmentFile= is a
// file of the servers, which may set RAILS_MAX_THREADS): the count is a question per stage, with the
// placeholder as its labelled default. `--yes` keeps the placeholder, says so and saves it commented
// out; an answer, replayed from the answers file, is the pod's pinned -c, sizes the worker's memory
// and is what MIGRATION.md says. (The app "parcel" and its unit are this test's own.)
import { beforeAll, describe, expect, it } from "vitest";
import { render } from "@inquirer/testing";
import { input } from "@inquirer/prompts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import { promptFor, type Prompts } from "../../src/wizard.js";
import { recordingIo } from "../migrate/helpers.js";
import { lock } from "./app.js";
import { writeApp } from "../written-files.js";

beforeAll(async () => {
  await initPrism();
});

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

const UNIT = "config/systemd/parcel-jobs.service";
const gems = { rails: "7.1.3", puma: "6.4.2", pg: "1.5.6", sidekiq: "6.4.1" };
const app = (): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'set :application, "parcel"\nset :repo_url, "git@git.example.org:ops/parcel.git"\nset :deploy_to, "/srv/parcel"\nnamespace :jobs do\n  task :bounce do\n    on roles(:app) do\n      execute :sudo, :systemctl, :restart, "parcel-jobs"\n    end\n  end\nend\nafter "deploy:published", "jobs:bounce"\n',
  "config/deploy/production.rb": 'server "one.parcel.example.net", roles: %w[web app db]\nserver "two.parcel.example.net", roles: %w[web app]\n',
  "config/deploy/staging.rb": 'server "try.parcel.example.net", roles: %w[web app db]\n',
  Gemfile: `source "https://rubygems.org"\n${Object.keys(gems).map((g) => `gem "${g}"`).join("\n")}\n`,
  "Gemfile.lock": lock(gems),
  "config/puma.rb": "threads 5, 5\n",
  [UNIT]: ["[Unit]", "Description=parcel jobs", "", "[Service]", "EnvironmentFile=/etc/parcel/jobs.env", "WorkingDirectory=/srv/parcel/current", "ExecStart=/usr/bin/env bundle exec sidekiq -q default", "", "[Install]", "WantedBy=multi-user.target", ""].join("\n"),
});

const onDisk = (files: Record<string, string>): string => writeApp(files, "r2k-sk-threads-", "app");
const read = (dir: string, p: string) => readFileSync(join(dir, p), "utf8");
const docs = (dir: string, p: string): any[] => parseAllDocuments(read(dir, p)).map((d) => d.toJS());
const baseWorker = (dir: string) => docs(dir, "k8s/base/worker-deployment.yaml")[0].spec.template.spec.containers[0];
/** The overlay's patch of the worker container, where the stage's differs from the base. */
const stageWorker = (dir: string, stage: string) =>
  docs(dir, `k8s/overlays/${stage}/patches.yaml`).find((o) => o?.kind === "Deployment" && /-worker$/.test(o.metadata.name))?.spec.template.spec.containers[0];

describe("a Sidekiq thread count only a placeholder stands for", () => {
  it("is asked per stage, the placeholder its labelled default, cited at the EnvironmentFile= line", async () => {
    const m = await analyzeFiles(memoryRepo(app()), "parcel");
    const g = m.gaps.filter((x) => /^workers\.[a-z]+\.worker\.threads$/.test(x.id));
    expect(g.map((x) => x.id).sort()).toEqual(["workers.production.worker.threads", "workers.staging.worker.threads"]);
    for (const x of g) {
      expect(x).toMatchObject({ default: 10, placeholder: true, format: "count", min: 1, source: { file: UNIT, line: 5 } });
      expect(x.why).toMatch(/^EnvironmentFile=\/etc\/parcel\/jobs\.env .* may set it.*The default 10 is Sidekiq 6\.4's default.*a placeholder/);
    }
  });

  it("the wizard asks it as a number, at least 1", async () => {
    const m = await analyzeFiles(memoryRepo(app()), "parcel");
    const spec = promptFor(m.gaps.find((x) => x.id === "workers.production.worker.threads")!);
    expect(spec.kind).toBe("input");
    const r = await render(input, spec.config as never);
    expect(r.getScreen()).toContain("(10)");
    r.events.keypress("backspace");
    r.events.type("0");
    r.events.keypress("enter");
    await r.nextRender();
    expect(r.getScreen()).toMatch(/expected a whole number from 1/);
    r.events.keypress("backspace");
    r.events.type("6");
    r.events.keypress("enter");
    expect((spec.parse as (v: string) => unknown)(await r.answer)).toBe(6);
  });

  it("--yes keeps the placeholder, says so, saves it commented out and lists it in MIGRATION.md", async () => {
    const dir = onDisk(app());
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(0);
    expect(io.stdout()).toMatch(/workers\.production\.worker\.threads = 10 {2}\(default, a placeholder: answer it before the cut-over/);
    expect(baseWorker(dir).args).toEqual(["bundle", "exec", "sidekiq", "-c", "10", "-q", "default"]);
    expect(read(dir, ".rails2k8s.yml")).toMatch(/# A placeholder, not confirmed: uncomment the line below[^\n]*\n# workers\.production\.worker\.threads: 10\n/);
    const guide = read(dir, "MIGRATION.md");
    expect(guide).toMatch(/`workers\.production\.worker\.threads` \| `10` \| placeholder, to answer/);
    expect(guide).toMatch(/as a placeholder: answer workers\.production\.worker\.threads with the servers' value/);
  });

  it("answered in the answers file: --yes --answers replays it into each stage's -c, the worker's memory and MIGRATION.md", async () => {
    const dir = onDisk({ ...app(), "answers.yml": "# rails2k8s answers\nworkers.production.worker.threads: 4\nworkers.staging.worker.threads: 20\n" });
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true, answers: join(dir, "answers.yml") }, io, env)).toBe(0);
    expect(io.stdout()).toMatch(/workers\.production\.worker\.threads = 4 {2}\(saved in /);
    expect(baseWorker(dir).args).toEqual(["bundle", "exec", "sidekiq", "-c", "4", "-q", "default"]);
    expect(stageWorker(dir, "staging")?.args).toEqual(["bundle", "exec", "sidekiq", "-c", "20", "-q", "default"]);
    expect(stageWorker(dir, "production")?.args).toBeUndefined();
    // Memory grows with the most threads any stage runs (20), not the placeholder's 10.
    expect(baseWorker(dir).resources.requests.memory).toBe("600Mi");
    const guide = read(dir, "MIGRATION.md");
    expect(guide).not.toMatch(/Sidekiq concurrency is not known/);
    expect(guide).toMatch(/production: sidekiq concurrency 4 → -c 4, the answer to workers\.production\.worker\.threads/);
    expect(guide).toMatch(/`workers\.staging\.worker\.threads` \| `20` \| answered/);
    expect(parse(read(dir, "answers.yml"))).toMatchObject({ "workers.production.worker.threads": 4, "workers.staging.worker.threads": 20 });
    // Replayed once more from the answers file it saved: the same output.
    const again = recordingIo();
    expect(await runMigrate(dir, { yes: true, answers: join(dir, "answers.yml") }, again, env)).toBe(0);
    expect(again.stdout()).toContain("Nothing to write");
  });

  it("resources.worker answered with sizes of its own stays as answered", async () => {
    const dir = onDisk({ ...app(), ".rails2k8s.yml": "# rails2k8s answers\nworkers.production.worker.threads: 30\nresources.worker: {requests: {cpu: 500m, memory: 900Mi}, limits: {cpu: 500m, memory: 1Gi}}\n" });
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    expect(baseWorker(dir).resources).toEqual({ requests: { cpu: "500m", memory: "900Mi" }, limits: { cpu: "500m", memory: "1Gi" } });
  });

  it("capistrano-sidekiq's sidekiq_config off the repo: the answer is pinned with -c over the config the pod reads", async () => {
    const plugin = { ...gems, "capistrano-sidekiq": "0.5.4" };
    const { [UNIT]: _unit, ...rest } = app();
    const files = {
      ...rest,
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/sidekiq"\n',
      "config/deploy.rb": 'set :application, "parcel"\nset :repo_url, "git@git.example.org:ops/parcel.git"\nset :deploy_to, "/srv/parcel"\nset :sidekiq_config, "/etc/sidekiq/parcel.yml"\n',
      Gemfile: `source "https://rubygems.org"\n${Object.keys(plugin).map((g) => `gem "${g}"`).join("\n")}\n`,
      "Gemfile.lock": lock(plugin),
      "config/sidekiq.yml": ":queues:\n  - default\n",
    };
    const m = await analyzeFiles(memoryRepo(files), "parcel");
    expect(m.gaps.find((x) => x.id === "workers.production.worker.threads")).toMatchObject({ default: 10, placeholder: true, source: { file: "config/deploy.rb", line: 4 } });
    const dir = onDisk({ ...files, ".rails2k8s.yml": "# rails2k8s answers\nworkers.production.worker.threads: 16\nworkers.staging.worker.threads: 16\n" });
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const args: string[] = baseWorker(dir).args;
    expect(args.slice(args.indexOf("-c"), args.indexOf("-c") + 2)).toEqual(["-c", "16"]);
    expect(read(dir, "MIGRATION.md")).not.toMatch(/Sidekiq concurrency is not known/);
  });
});
