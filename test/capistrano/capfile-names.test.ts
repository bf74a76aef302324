// Capistrano's Rake application loads the first of capfile, Capfile, capfile.rb, Capfile.rb: a
// deploy whose Capfile is named otherwise is read the same, plugins and variables (real `cap` judges).
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { analyze, CAPFILE3 } from "./analyze.js";
import { prepareCopy, runCap } from "./cap.js";
import { capfilePath } from "../../analyzers/capistrano/capfile.js";
import { memoryRepo } from "../../src/repo.js";

const capfile = CAPFILE3 + `require "capistrano/bundler"\nset :from_capfile, "capfile-value"\n`;
const files = (name: string) => ({
  [name]: capfile,
  "config/deploy.rb": `set :application, "ledger"\nset :deploy_to, -> { "/srv/#{fetch(:from_capfile)}" }\n`,
  "config/deploy/production.rb": `server "app.example.com", roles: %w[web app]\n`,
});

describe("Capfile names", () => {
  it("picks the name Capistrano loads first", () => {
    expect(capfilePath(memoryRepo({ "Capfile.rb": "", capfile: "" }))).toBe("capfile");
    expect(capfilePath(memoryRepo({ "Capfile.rb": "", "capfile.rb": "" }))).toBe("capfile.rb");
    expect(capfilePath(memoryRepo({ "Capfile.rb": "" }))).toBe("Capfile.rb");
    expect(capfilePath(memoryRepo({ "config/Capfile": "" }))).toBeNull();
  });

  for (const name of ["Capfile.rb", "capfile", "capfile.rb"]) {
    it(`${name}: its requires and variables are read, as cap reads them`, async () => {
      const r = await analyze(files(name));
      expect(r.capistrano!.requires.map((q) => [q.value, q.source.file])).toContainEqual(["capistrano/bundler", name]);
      expect(r.v("production", "from_capfile")).toBe("capfile-value");
      expect(r.stage("production").variables["from_capfile"].source).toEqual({ file: name, line: 6 });

      const dir = mkdtempSync(join(tmpdir(), "r2k-capname-"));
      for (const [p, text] of Object.entries(files(name))) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), text);
      }
      const cap = await runCap(prepareCopy(dir), "production");
      expect(cap.variables["from_capfile"]).toBe("capfile-value");
      expect(cap.variables["deploy_to"]).toBe(r.v("production", "deploy_to"));
    }, 60_000);
  }
});
