// Thin's config (`thin -C config/thin.yml start`) read as Thin reads it, judged by Thin's own Runner
// (Debian's thin 1.8.1, test/appserver/thin_config.rb); a Thin deploy asks which server the image
// runs in its place, and the worker and timeout questions offer Thin's numbers, labelled as Thin's,
// worded for the server answered (driven through the wizard with @inquirer/testing).
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { render } from "@inquirer/testing";
import { confirm, input, password, select } from "@inquirer/prompts";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { askGaps, type Prompts } from "../../src/wizard.js";
import { withAnsweredWebNumbers, withAnsweredWebServer } from "../../src/gaps/appserver.js";
import { appServerFor, appServerKind } from "../../emitters/app-server.js";
import { thinFlag } from "../../analyzers/appserver/thin.js";
import { analyzeDir } from "../../src/analyze.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import { recordingIo } from "../migrate/helpers.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g} (1.0.0)\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.4.22\n`;

// A talks site restarted by its own deploy task with a Thin config in the release.
const THIN_YML = "pid: tmp/pids/thin.pid\nservers: 3\n:timeout: 45\nenvironment: production\nport: 4000\nmax_conns: 512\nthreaded: true\n";
const files = (gems: string[], thinYml = THIN_YML, stageEnv = ""): Record<string, string> => ({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
      Gemfile: 'source "https://rubygems.org"\n',
      "Gemfile.lock": LOCK(gems),
      "config/deploy.rb": ['set :application, "talks"', 'set :repo_url, "https://example.com/talks.git"', "namespace :deploy do", "  task :restart do", "    on roles(:web) do", '      execute "cd #{release_path} && bundle exec thin -C config/thin.yml -e staging restart"', "    end", "  end", "  after :publishing, :restart", "end", ""].join("\n"),
      "config/deploy/production.rb": `server "talks.example.org", roles: %w[web app db]\n${stageEnv}`,
      "config/thin.yml": thinYml,
});
const app = (gems: string[], thinYml = THIN_YML, stageEnv = "") => analyzeFiles(memoryRepo(files(gems, thinYml, stageEnv)), "talks");

/** `migrate --yes` (no terminal) on the files in a fresh directory: the exit code, stdout and MIGRATION.md. */
async function migrated(tree: Record<string, string>): Promise<{ code: number; out: string; guide: string; dir: string }> {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-thin-migrate-")), "talks");
  for (const [p, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const noPrompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
  const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };
  const io = recordingIo();
  const code = await runMigrate(dir, { yes: true }, io, env);
  return { code, out: io.stdout() + io.stderr(), guide: code === 0 ? readFileSync(join(dir, "MIGRATION.md"), "utf8") : "", dir };
}


describe("Thin's config, as Thin's Runner loads it", () => {
  it("servers, timeout (a Symbol key), environment (the file over -e) and port agree with real Thin", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-thin-"));
    writeFileSync(join(dir, "thin.yml"), THIN_YML);
    const r = spawnSync("ruby", [join(__dirname, "thin_config.rb"), join(dir, "thin.yml"), "-e", "staging"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const thin = JSON.parse(r.stdout);
    const m = await app(["puma", "rails", "thin"]);
    const s = m.webServer?.thin?.settings ?? {};
    expect({ servers: s["servers"]?.value, timeout: s["timeout"]?.value, environment: s["environment"]?.value, port: s["port"]?.value }).toEqual({ servers: thin.servers, timeout: thin.timeout, environment: thin.environment, port: thin.port });
    expect(s["timeout"]?.source).toEqual({ file: "config/thin.yml", line: 3 });
    expect(m.webServer?.thin?.startedWith).toEqual({ file: "config/deploy.rb", line: 6 });
  });

  it("an ENV read in Thin's config is Thin's, on the servers: no boot read of the pods, the count an Unknown naming it", async () => {
    const m = await app(["puma", "rails", "thin"], "servers: <%= ENV.fetch('THIN_SERVERS') %>\ntimeout: 45\n");
    expect((m.bootEnv ?? []).map((r) => r.env)).not.toContain("THIN_SERVERS");
    expect(JSON.stringify(m.hazards)).not.toMatch(/THIN_SERVERS/);
    expect(m.webServer?.thin?.settings["servers"]).toEqual({ value: { unknown: expect.stringMatching(/Thin's `servers` \(config\/thin\.yml:1\) was ENV THIN_SERVERS on the servers/) }, source: { file: "config/thin.yml", line: 1 } });
    const g = m.gaps.find((x) => x.id === "stage.production.web.workers")!;
    expect(g).toMatchObject({ placeholder: true });
    expect(g.suggestion).toBeUndefined();
    expect(g.why).toMatch(/THIN_SERVERS/);
  });

  it("a path per stage (`config/thin/#{fetch(:stage)}.yml`) is read for each stage, as that stage's deploy names it", async () => {
    const tree = files(["puma", "rails", "thin"]);
    tree["config/deploy.rb"] = tree["config/deploy.rb"]!.replace("-C config/thin.yml -e staging", "-C config/thin/#{fetch(:stage)}.yml");
    delete tree["config/thin.yml"];
    tree["config/thin/production.yml"] = "servers: 3\ntimeout: 45\n";
    tree["config/thin/staging.yml"] = "servers: 2\n";
    tree["config/deploy/staging.rb"] = 'server "staging.example.org", roles: %w[web app db]\n';
    const m = await analyzeFiles(memoryRepo(tree), "talks");
    expect(m.webServer?.thin).toMatchObject({ file: "config/thin/production.yml", byStage: { production: { file: "config/thin/production.yml" }, staging: { file: "config/thin/staging.yml" } } });
    expect(m.webServer?.thin?.unread).toBeUndefined();
    const byId = Object.fromEntries(m.gaps.map((g) => [g.id, g]));
    expect(byId["stage.production.web.workers"]).toMatchObject({ default: 3, suggestion: true, source: { file: "config/thin/production.yml", line: 1 } });
    expect(byId["stage.staging.web.workers"]).toMatchObject({ default: 2, suggestion: true, source: { file: "config/thin/staging.yml", line: 1 } });
    // staging's file sets no timeout: Thin's default, labelled as Thin's, for that stage alone.
    expect(byId["stage.staging.web.timeout"]!.why).toMatch(/Thin's default timeout 30 \(config\/thin\/staging\.yml sets none\)/);
    // A stage whose file the repo does not hold: that stage's config is on the servers, said for it.
    delete tree["config/thin/staging.yml"];
    const gone = await analyzeFiles(memoryRepo(tree), "talks");
    expect(gone.webServer?.thin?.byStage?.["staging"]?.unread).toMatch(/config\/thin\/staging\.yml \(config\/thin\/#\{fetch\(:stage\)\}\.yml for stage staging\), which the repo does not hold/);
    expect(gone.webServer?.thin?.byStage?.["production"]?.unread).toBeUndefined();
  });

  it("the start line's flags are found in linear time on a line repeating `thin`", () => {
    const line = `execute "${"thin ".repeat(40_000)}-C "`;
    const t0 = process.hrtime.bigint();
    expect(thinFlag(line, "config")).toBeNull();
    expect(thinFlag(line, "environment")).toBeNull();
    const quoted = ` thin${' -C "#{'.repeat(20_000)}`;
    expect(thinFlag(quoted, "config")).toBeNull();
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(200);
    expect(thinFlag("cd x && bundle exec thin -C config/thin.yml -e production start", "config")).toBe("config/thin.yml");
    expect(thinFlag("bundle exec thin start --config='#{release_path}/config/thin.yml' --environment=staging", "environment")).toBe("staging");
    expect(thinFlag("bundle exec thin start --config='#{release_path}/config/thin.yml'", "config")).toBe("#{release_path}/config/thin.yml");
  });

  it("a stage whose RAILS_ENV differs from Thin's environment is warned on, at the config's line", async () => {
    const m = await app(["puma", "rails", "thin"], THIN_YML, 'set :rails_env, "staging"\n');
    expect(m.problems.some((p) => p.file === "config/thin.yml" && p.line === 4 && /Thin ran in environment "production".*stage production's RAILS_ENV is "staging"/.test(p.message))).toBe(true);
  });
});

describe("a Thin deploy asks which server the image runs", () => {
  it("web.server is asked, with Thin's start line as evidence; the numbers offer Thin's, labelled as Thin's", async () => {
    const m = await app(["puma", "rails", "thin", "unicorn"]);
    const byId = Object.fromEntries(m.gaps.map((g) => [g.id, g]));
    expect(byId["web.server"]).toMatchObject({ choices: ["puma", "unicorn"], required: true, source: { file: "config/deploy.rb", line: 6 } });
    expect(byId["web.server"]!.question).toMatch(/The servers ran Thin/);
    expect(byId["stage.production.web.workers"]).toMatchObject({ default: 3, suggestion: true, source: { file: "config/thin.yml", line: 2 } });
    expect(byId["stage.production.web.workers"]!.why).toMatch(/Thin's `servers: 3` \(config\/thin\.yml:2\)/);
    expect(byId["stage.production.web.timeout"]).toMatchObject({ default: 45, suggestion: true });
  });

  it("with one server gem locked, it is the suggestion; unconfirmed, the count the image runs is labelled as Thin's", async () => {
    const m = await app(["puma", "rails", "thin"]);
    expect(m.gaps.find((g) => g.id === "web.server")).toMatchObject({ default: "puma", suggestion: true });
    const answered = withAnsweredWebNumbers(withAnsweredWebServer(m, { "web.server": "puma" }, ".rails2k8s.yml"), {}, ".rails2k8s.yml");
    expect(answered.webServer?.kind).toBe("thin");
    expect(appServerKind(answered)).toBe("puma");
    const server = appServerFor(answered, answered.stages[0]!);
    expect(server?.workers).toMatchObject({ value: 3, defaultOf: expect.stringMatching(/^Thin's `servers: 3` \(config\/thin\.yml:2\).*a suggestion no one confirmed/) });
  });

  it("Passenger is never Thin's replacement, locked or not: only Puma and Unicorn take Thin's numbers", async () => {
    const m = await app(["passenger", "puma", "rails", "thin"]);
    expect(m.gaps.find((g) => g.id === "web.server")).toMatchObject({ choices: ["puma"], default: "puma", suggestion: true });
    const passenger = withAnsweredWebServer(m, { "web.server": "passenger" }, ".rails2k8s.yml");
    expect(passenger.webServer?.image).toBeUndefined();
    expect(appServerKind(passenger)).toBe("puma");
    expect(m.gaps.find((g) => g.id === "stage.production.web.workers")).toMatchObject({ default: 3, suggestion: true });
    const none = await app(["passenger", "rails", "thin"]);
    expect(none.gaps.find((g) => g.id === "web.server")).toMatchObject({ choices: ["puma", "unicorn"], default: null, required: true });
    expect(none.gaps.find((g) => g.id === "web.server")!.why).toMatch(/Gemfile\.lock holds none of puma, unicorn, so/);
  });

  it("no servers key: Thin ran one process, its own default, and says so", async () => {
    const m = await app(["puma", "rails", "thin"], "timeout: 20\n");
    const g = m.gaps.find((x) => x.id === "stage.production.web.workers");
    expect(g).toMatchObject({ default: 1, suggestion: true });
    expect(g!.why).toMatch(/Thin's default servers 1 \(config\/thin\.yml sets none: one process per server\)/);
  });
});

describe("migrate --yes on a Thin deploy", () => {
  it("MIGRATION.md says Thin ran, the reason web.server was asked: never that nothing named a server", async () => {
    const r = await migrated(files(["puma", "rails", "thin"]));
    expect(r.code, r.out).toBe(0);
    expect(r.guide).toMatch(/the deploy starts Thin \(config\/deploy\.rb:6\), a web server the image does not run[^\n]*: the image runs puma/);
    expect(r.guide).not.toMatch(/nothing in the repo says which web server the deploy started/);
  });

  it("Thin's servers: 3, taken with --yes, is labelled in the outputs as a suggestion no one confirmed, not as an answer", async () => {
    const r = await migrated(files(["puma", "rails", "thin"]));
    expect(r.code, r.out).toBe(0);
    const env = readFileSync(join(r.dir, "k8s/overlays/production/config.env"), "utf8");
    expect(env).toMatch(/WEB_CONCURRENCY=3/);
    expect(env).toMatch(/SUGGESTION: Thin's `servers: 3` \(config\/thin\.yml:2\), the processes Thin ran per server, a suggestion no one confirmed: answer stage\.production\.web\.workers/);
    // The files table: the number's source is Thin's config, labelled, never the answers file as if answered.
    expect(r.guide).toMatch(/WEB_CONCURRENCY=3 \(this stage's workers\): Thin's `servers: 3` \(config\/thin\.yml:2\)[^|\n]*a suggestion no one confirmed[^|\n]*\| `config\/thin\.yml:2`/);
    expect(r.guide).not.toMatch(/WEB_CONCURRENCY=3 \(this stage's workers\) \| `\.rails2k8s\.yml`/);
  });
});

/** The wizard's prompts on virtual streams: selects pick `choose`, inputs take their default; every screen kept. */
function scripted(choose: string, screens: string[]): Prompts {
  return {
    select: (async (config: { choices: { value: string }[] }) => {
      const r = await render(select, config as never);
      screens.push(r.getScreen());
      for (const c of config.choices) {
        if (c.value === choose) break;
        r.events.keypress("down");
      }
      r.events.keypress("enter");
      return r.answer;
    }) as never,
    input: (async (config: unknown) => {
      const r = await render(input, config as never);
      screens.push(r.getScreen());
      r.events.keypress("enter");
      return r.answer;
    }) as never,
    confirm,
    password,
  };
}

describe("the numbers' questions follow the server answered to web.server", () => {
  for (const [kind, words, min] of [
    ["unicorn", /How many Unicorn worker_processes did each web server of stage production run\?/, 1],
    ["puma", /How many Puma workers \(0 = single mode\) did each web server of stage production run\?/, 0],
  ] as const)
    it(`answered ${kind}: the worker and timeout questions are worded for ${kind}, Thin's numbers as their defaults`, async () => {
      const m = await app(["puma", "rails", "thin", "unicorn"]);
      const gaps = m.gaps.filter((g) => g.id === "web.server" || g.id.startsWith("stage.production.web."));
      const screens: string[] = [];
      const answers = await askGaps(gaps, () => {}, scripted(kind, screens));
      expect(answers["web.server"]).toBe(kind);
      expect(answers["stage.production.web.workers"]).toBe(3);
      expect(answers["stage.production.web.timeout"]).toBe(45);
      const workers = screens.find((s) => /worker/.test(s))!;
      expect(workers).toMatch(words);
      expect(workers).toContain("(3)");
      expect(screens.some((s) => new RegExp(`Which ${kind === "puma" ? "Puma worker_timeout" : "Unicorn timeout"} \\(seconds\\)`).test(s))).toBe(true);
      expect(screens.join("\n")).not.toMatch(kind === "puma" ? /Unicorn/ : /Puma/);
      expect(m.gaps.find((g) => g.id === "stage.production.web.workers")!.whyIf?.find((w) => w.matches === `^${kind}$`)?.min).toBe(min);
    });
});
