// Stage files that add their servers through a helper module kept beside them in config/deploy/
// (`Fleet.place([:north])`, whose methods call `server`), the helper itself loaded by each stage
// with require_relative. Each stage was read as "declares no server" (its CronJobs suspended for a
// false reason) and the helper became a stage with its own overlay. Real cap says: the stage has
// the module's servers, and the helper is a stage name to cap (a task per config/deploy/*.rb)
// that deploys to no host.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { prepareCopy, runCap } from "./cap.js";

beforeAll(async () => {
  await initPrism();
});

const stageFile = (name: string) => ["require_relative 'fleet'", "", "set :rails_env, 'production'", `Fleet.place([:${name}])`, ""].join("\n");
const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'lock "3.17.0"\nset :application, "ledger"\nset :repo_url, "git@example.net:acme/ledger.git"\n',
  "config/deploy/fleet.rb": [
    "module Fleet",
    "  BOXES = { north: '10.20.0.11', south: '10.20.0.12' }",
    "",
    "  def self.place(names)",
    "    names.each { |n| add(BOXES.fetch(n), [:app, :web, n]) }",
    "  end",
    "",
    "  def self.add(ip, roles)",
    "    server ip, roles: roles, user: 'ledger'",
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/deploy/north.rb": stageFile("north"),
  "config/deploy/south.rb": stageFile("south"),
};

describe("servers added by a helper module; the helper file itself", () => {
  it("a stage that calls into the module has its servers unread (asked), not none; the helper is named as one", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    expect(m.stages.map((s) => s.name).sort()).toEqual(["north", "south"]);
    for (const s of m.stages) {
      expect(s.servers).toEqual([]);
      expect(s.unread).toEqual([expect.objectContaining({ what: "servers", source: { file: s.source.file, line: 4 } })]);
      expect(m.gaps.some((g) => g.id === `servers.${s.name}`)).toBe(true);
    }
    expect(m.stagesWithoutServers).toEqual([
      {
        name: "fleet",
        source: { file: "config/deploy/fleet.rb", line: 1 },
        loadedBy: [
          { file: "config/deploy/north.rb", line: 1 },
          { file: "config/deploy/south.rb", line: 1 },
        ],
      },
    ]);
  });

  it("real cap: the stage has the module's servers, and the helper is a stage of its own with none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-helper-"));
    for (const [p, t] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), t);
    }
    const app = prepareCopy(dir);
    const north = await runCap(app, "north");
    expect(north.servers.map((s) => [s.host, s.roles.sort()])).toEqual([["10.20.0.11", ["app", "north", "web"]]]);
    // Capistrano 3 defines a task per config/deploy/*.rb: `cap fleet` is a stage, deploying to no host.
    const fleet = await runCap(app, "fleet");
    expect(fleet.servers).toEqual([]);
  }, 120_000);
});
