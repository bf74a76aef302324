// Where whenever wrote no crontab line, no CronJob runs: a stage whose servers have none of the
// job's roles. A stage file that declares no server gets no overlay at all. A stage named in `set :stages` without
// its file is no stage at all (`cap <stage>` fails). A repo with no stage at all gets no invented overlay unless a person confirms it.
// Judged by the real `whenever -f --roles` per server of each stage and `kubectl kustomize`.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { renderReport } from "../../src/report.js";
import { parseCrontab } from "../whenever/crontab.js";
import { kustomizeBuild, requireKubectl, type K8sObject } from "../kustomize/kubectl.js";
import { analyze } from "../capistrano/analyze.js";
import { copyFixture, recordingIo } from "./helpers.js";

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

beforeAll(() => void requireKubectl());

/** What Capistrano's whenever wrote on one server: `whenever -f` with that server's roles, in its release. */
function crontabOf(dir: string, railsEnv: string, roles: string[]): number {
  const r = spawnSync("whenever", ["-f", join(dir, "config/schedule.rb"), "--set", `environment=${railsEnv}`, "--roles", roles.join(",")], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" },
  });
  if (r.status !== 0) throw new Error(`whenever failed: ${r.stderr}`);
  return parseCrontab(r.stdout).lines.length;
}

const running = (objs: K8sObject[]) => objs.filter((o) => o.kind === "CronJob" && o["spec"].suspend !== true);

describe("a stage file that declares no server", () => {
  it("gets no overlay beside stages with servers; those keep whenever's lines; MIGRATION.md and the report name it", async () => {
    const dir = copyFixture("shop");
    // A review stage someone started and never gave a host.
    writeFileSync(join(dir, "config/deploy/review.rb"), '# Review apps: servers to be added\nset :branch, "review"\n');
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    const model = await analyzeDir(dir, (p) => p.startsWith("k8s/") || p === "MIGRATION.md" || p === ".rails2k8s.yml" || p === "Dockerfile");
    expect(model.stages.map((s) => s.name)).toEqual(["production", "staging"]);
    expect(model.stagesWithoutServers).toEqual([{ name: "review", source: { file: "config/deploy/review.rb", line: 1 } }]);
    // Suspended on every stage for what the command runs (a path only the servers had): not a stage matter.
    const everywhere = kustomizeBuild(dir, "k8s/base").filter((o) => o.kind === "CronJob" && o["spec"].suspend === true).length;
    for (const st of model.stages) {
      const objs = kustomizeBuild(dir, `k8s/overlays/${st.name}`);
      const env = typeof st.variables["rails_env"]?.value === "string" ? (st.variables["rails_env"].value as string) : st.name;
      // cron ran each line once per server; a CronJob runs it once: the most lines any one server had.
      const lines = Math.max(0, ...st.servers.map((s) => crontabOf(dir, env, s.roles)));
      const expected = lines && lines - everywhere;
      expect(running(objs).length, `stage ${st.name}`).toBe(expected);
    }
    expect(existsSync(join(dir, "k8s/overlays/review"))).toBe(false);
    expect(running(kustomizeBuild(dir, "k8s/overlays/production")).length).toBeGreaterThan(0);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(guide).toMatch(/stage review defines no servers: no overlay written \(config\/deploy\/review\.rb declares no server/);
    expect(renderReport(model, { color: false })).toMatch(/review {2}config\/deploy\/review\.rb:1\n {4}\(defines no servers: no overlay written/);
  });
});

describe("a stage whose servers come from a plugin or method the analysis does not know", () => {
  // cap-ec2: the Capfile requires the plugin, the stage file declares its servers by EC2 tags.
  const withEc2 = (dir: string, stage: string) => {
    writeFileSync(join(dir, "Capfile"), readFileSync(join(dir, "Capfile"), "utf8") + 'require "cap-ec2/capistrano"\n');
    writeFileSync(join(dir, "config/deploy/ec2.rb"), `set :rails_env, "production"\n${stage}`);
  };

  it("is not a stage without servers: its servers are the required question servers.<stage>, and --yes stops naming it", async () => {
    const dir = copyFixture("shop");
    withEc2(dir, 'ec2_role :app, user: "deploy"\nec2_role :db, user: "deploy"\n');
    const model = await analyzeDir(dir);
    const ec2 = model.stages.find((s) => s.name === "ec2")!;
    expect(ec2.servers).toEqual([]);
    expect(ec2.unread).toEqual([expect.objectContaining({ what: "servers", source: { file: "config/deploy/ec2.rb", line: 2 } })]);
    expect(model.gaps.find((g) => g.id === "servers.ec2")).toMatchObject({ required: true });
    const report = renderReport(model, { color: false });
    expect(report).not.toMatch(/ec2 {2}config\/deploy\/ec2\.rb:1\n {4}\(declares no server/);
    expect(report).toMatch(/servers not read: `ec2_role`/);
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(2);
    expect(io.stderr()).toMatch(/servers\.ec2/);
    expect(existsSync(join(dir, "k8s"))).toBe(false);
  });

  it("a loop the evaluator gave up on that calls an unknown method is a question too", async () => {
    const dir = copyFixture("shop");
    withEc2(dir, 'fetch(:ec2_tags).each { |t| ec2_role t, user: "deploy" }\n');
    const model = await analyzeDir(dir);
    expect(model.stages.find((s) => s.name === "ec2")!.unread).toEqual([expect.objectContaining({ what: "servers" })]);
    expect(model.gaps.some((g) => g.id === "servers.ec2")).toBe(true);
  });

  it("a stage file with nothing unknown in it still declares no server", async () => {
    const dir = copyFixture("shop");
    withEc2(dir, "# servers to be added\n");
    const model = await analyzeDir(dir);
    expect(model.stages.some((s) => s.name === "ec2")).toBe(false);
    expect(model.stagesWithoutServers?.map((s) => s.name)).toEqual(["ec2"]);
    expect(model.gaps.some((g) => g.id.includes("ec2"))).toBe(false);
    expect(renderReport(model, { color: false })).toMatch(/ec2 {2}config\/deploy\/ec2\.rb:1\n {4}\(defines no servers: no overlay written/);
  });
});

describe("a stage named in `set :stages` without its own file (Capistrano 2 multistage)", () => {
  // capistrano-ext's stage task is `load "config/deploy/<stage>"`; Capistrano 2's load raises
  // LoadError ("no such file to load") when the file is not there, so `cap staging deploy` never ran.
  const files = {
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": [
      'set :application, "bakery"',
      "set :stages, %w(staging production)",
      'set :default_stage, "staging"',
      'require "capistrano/ext/multistage"',
      'after "deploy:restart", "bakery:warm"',
      "",
    ].join("\n"),
    "config/deploy/production.rb": 'server "oven1.bakery.example.org", :app, :web, :db, primary: true\n',
  };

  it("is not a stage: a warning cites the `set :stages` line and says cap fails for it", async () => {
    const r = await analyze(files);
    expect(r.stages.map((s) => s.name)).toEqual(["production"]);
    expect(r.problems).toContainEqual(
      expect.objectContaining({
        file: "config/deploy.rb",
        line: 2,
        severity: "warning",
        message: expect.stringMatching(/^stage staging is declared here but config\/deploy\/staging\.rb does not exist: `cap staging` fails .*LoadError.*not deployable and gets no overlay/),
      }),
    );
    expect(r.stage("production").source).toEqual({ file: "config/deploy/production.rb", line: 1 });
  });

  it("when no declared stage has its file, config/deploy.rb's servers are not made into an invented stage; its hooks are still read", async () => {
    const r = await analyze({ Capfile: files.Capfile, "config/deploy.rb": files["config/deploy.rb"] + 'server "oven9.bakery.example.org", :app, :web, :db\n' });
    expect(r.stages).toEqual([]);
    expect(r.problems.filter((p) => /does not exist: `cap (staging|production)` fails/.test(p.message)).map((p) => p.line)).toEqual([2, 2]);
    expect(r.problems.some((p) => /Capistrano 2 without stages/.test(p.message))).toBe(false);
    expect(r.capistrano!.hooks.map((h) => h.task)).toContain("bakery:warm");
  });

  it("has no field in the published Stage shape: no stage is ever made for it, so nothing reads one", () => {
    const schema = JSON.parse(readFileSync(new URL("../../schema/appmodel.schema.json", import.meta.url), "utf8"));
    expect(Object.keys(schema.definitions.Stage.properties)).not.toContain("missingFile");
  });
});

describe("capistrano-ext's stage_dir set elsewhere", () => {
  it("the stages are not dropped for want of config/deploy/<stage>.rb; a warning says their files are not read", async () => {
    const r = await analyze({
      Capfile: "load 'deploy'\nload 'config/deploy'\n",
      "config/deploy.rb": 'set :application, "bakery"\nset :stage_dir, "deploy/stages"\nset :stages, %w(production)\nrequire "capistrano/ext/multistage"\n',
      "deploy/stages/production.rb": 'server "oven1.bakery.example.org", :app, :web, :db\n',
    });
    expect(r.stages.map((s) => s.name)).toEqual(["production"]);
    expect(r.problems).toContainEqual(expect.objectContaining({ file: "config/deploy.rb", line: 2, message: expect.stringMatching(/^capistrano-ext's stage_dir is set elsewhere than config\/deploy/) }));
    expect(r.problems.some((p) => /LoadError/.test(p.message))).toBe(false);
  });
});

describe("a repo whose deploy config names no stage", () => {
  const stageless = () => {
    const dir = copyFixture("shop");
    rmSync(join(dir, "config/deploy/production.rb"));
    rmSync(join(dir, "config/deploy/staging.rb"));
    writeFileSync(join(dir, "config/deploy/server.rb.example"), 'server "example.com", roles: %w[web app db]\n');
    return dir;
  };

  it("--yes stops with exit 2 and the question stages.none; nothing is written", async () => {
    const dir = stageless();
    const model = await analyzeDir(dir);
    expect(model.stages).toEqual([]);
    expect(model.gaps[0]).toMatchObject({ id: "stages.none", required: true, choices: ["production"] });
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(2);
    expect(io.stderr()).toMatch(/stages\.none: No Capistrano stage was found\. Write one overlay, "production"/);
    expect(existsSync(join(dir, "k8s"))).toBe(false);
    expect(existsSync(join(dir, "MIGRATION.md"))).toBe(false);
  });

  it("with production confirmed, the one overlay is written and its CronJobs stay as whenever wrote them", async () => {
    const dir = stageless();
    writeFileSync(join(dir, ".rails2k8s.yml"), "# rails2k8s answers\nstages.none: production\n");
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    expect(running(kustomizeBuild(dir, "k8s/overlays/production")).length).toBeGreaterThan(0);
  });
});
