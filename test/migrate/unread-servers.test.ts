// Servers a stage declares in code the analysis cannot follow: a gap beside the stage, a question
// with no default, `--yes` refuses it, an answer adds the servers (and sizes the web tier from them).
import { describe, it, expect } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { renderReport } from "../../src/report.js";
import { copyFixture, edit, recordingIo } from "./helpers.js";

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

/** The shop fixture's production stage, its web servers now counted from an ENV variable. */
function plant(dir: string): void {
  edit(dir, "config/deploy/production.rb", (s) =>
    s.replace(
      /server "web1[^\n]*\nserver "web2[^\n]*\n/,
      '(1..ENV["WEB_COUNT"].to_i).each do |i|\n  server "web#{i}.shop.example.com", user: "deploy", roles: %w[web app]\nend\n',
    ),
  );
}

describe("servers that could not be read", () => {
  it("become a required gap named after the stage and the place", async () => {
    const dir = copyFixture("shop");
    plant(dir);
    const model = await analyzeDir(dir);
    const prod = model.stages.find((s) => s.name === "production")!;
    expect(prod.unread).toEqual([expect.objectContaining({ what: "servers", source: { file: "config/deploy/production.rb", line: 2 } })]);
    const gap = model.gaps.find((g) => g.id === "servers.production")!;
    expect(gap.question).toMatch(/^stage production: servers at config\/deploy\/production\.rb:2 could not be read; list them/);
    expect(gap).toMatchObject({ required: true, format: "server-list", default: [] });
    // The other stage was read in full: no question for it.
    expect(model.gaps.some((g) => g.id === "servers.staging")).toBe(false);
  });

  it("analyze shows it beside the stage, not only among the problems", async () => {
    const dir = copyFixture("shop");
    plant(dir);
    const text = renderReport(await analyzeDir(dir), { color: false });
    const stage = text.slice(text.indexOf("production"), text.indexOf("staging", text.indexOf("production")));
    expect(stage).toMatch(/servers not read: .*config\/deploy\/production\.rb:2.*may be only part of the stage/);
  });

  it("--yes stops with exit 2 naming the question; nothing is written", async () => {
    const dir = copyFixture("shop");
    plant(dir);
    const io = recordingIo();
    const code = await runMigrate(dir, { yes: true }, io, env);
    expect(code).toBe(2);
    expect(io.stderr() + io.stdout()).toMatch(/servers\.production: stage production: servers at config\/deploy\/production\.rb:2 could not be read/);
    expect(() => readFileSync(join(dir, "MIGRATION.md"))).toThrow();
  });

  it("with the answer saved, --yes runs and the HPA minimum counts the answered web servers", async () => {
    const dir = copyFixture("shop");
    plant(dir);
    writeFileSync(join(dir, ".rails2k8s.yml"), '# rails2k8s answers\nservers.production:\n  - "web1.shop.example.com web app"\n  - "web2.shop.example.com web app"\n  - "web3.shop.example.com web app"\n');
    const io = recordingIo();
    const code = await runMigrate(dir, { yes: true }, io, env);
    expect(io.stderr()).toBe("");
    expect(code).toBe(0);
    const patches = readFileSync(join(dir, "k8s/overlays/production/patches.yaml"), "utf8");
    expect(patches).toMatch(/minReplicas: 3/);
  });

  it("an answer that is not a server list is refused by its grammar", async () => {
    const { answerProblem } = await import("../../src/answers.js");
    const model = await analyzeFiles(
      memoryRepo({ Capfile: 'require "capistrano/setup"\n', "config/deploy/production.rb": 'fetch(:hosts).each { |h| server h, roles: %w[web] }\n' }),
      "x",
    );
    const gap = model.gaps.find((g) => g.id === "servers.production")!;
    expect(answerProblem(gap, ["web1.example.com web app"])).toBeNull();
    expect(answerProblem(gap, ["Web1;rm -rf / web"])).toMatch(/host role/);
    expect(answerProblem(gap, [])).toMatch(/at least one/);
  });
});

describe("more servers than the evaluation reads", () => {
  it("the question names the limit, not the valid line after it as unreadable", async () => {
    const dir = copyFixture("shop");
    edit(dir, "config/deploy/production.rb", (s) => s + Array.from({ length: 5100 }, (_, i) => `server "w${i}.example.com", user: "deploy", roles: %w[web app]`).join("\n") + "\n");
    const model = await analyzeDir(dir);
    const gap = model.gaps.find((g) => g.id === "servers.production")!;
    expect(gap.question).toMatch(/^stage production: more than 5000 servers, the most rails2k8s reads per stage: those from config\/deploy\/production\.rb:\d+ on are not read; list them/);
    expect(gap.question).not.toMatch(/could not be read/);
  });
});
