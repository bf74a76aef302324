// A list change under a condition of the deploying shell (`append :linked_files, ENV["X"] if ENV["X"]`)
// ran on some deploys and not on others. What the list held before stays certain (and linked: the
// servers' database.yml must not fall back to the repo's copy), and the change is a named maybe with
// its line. Judged by real `cap`, run once with the variables unset and once with them set: every
// entry the analysis takes as certain is in both lists, and each entry the set run adds is named by a
// maybe. A `set` or a `remove` that may hit an entry under such a condition keeps today's reading (the
// variable is not known).
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { prepareCopy, runCap } from "./cap.js";

const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\n',
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": [
    'set :application, "quill"',
    'set :repo_url, "git@git.example.test:team/quill.git"',
    'set :deploy_to, "/srv/quill"',
    'append :linked_files, "config/database.yml", "config/storage.yml"',
    'append :linked_dirs, "log", "tmp/pids"',
    "set :whenever_roles, [:db]",
    "",
  ].join("\n"),
  "config/deploy/production.rb": [
    'set :rails_env, "production"',
    'server "quill1.example.test", user: "deploy", roles: %w[web app db]',
    'append :linked_files, ENV["EXTRA_SHARED"] if ENV["EXTRA_SHARED"]',
    'if ENV["WITH_UPLOADS"]',
    '  append :linked_dirs, "public/uploads"',
    "  append :whenever_roles, :app",
    "end",
    'remove :linked_dirs, "vendor/bundle" unless ENV["KEEP_BUNDLE"]',
    "",
  ].join("\n"),
  "config/deploy/staging.rb": [
    'set :rails_env, "staging"',
    'server "quill-stage.example.test", user: "deploy", roles: %w[web app db]',
    'set :linked_files, %w[config/staging.yml] if ENV["OWN_FILES"]',
    'remove :linked_dirs, "log" if ENV["NO_LOG"]',
    "",
  ].join("\n"),
  "config/database.yml": "development:\n  adapter: sqlite3\n  database: db/dev.sqlite3\nproduction:\n  adapter: sqlite3\n  database: db/dev.sqlite3\n",
  "config/storage.yml": "local:\n  service: Disk\n",
  "config/application.rb": "module Quill; end\n",
};

/** What the run with the variables set gives each one (the added entries are these values). */
const SET_ENV = { EXTRA_SHARED: "config/master.key", WITH_UPLOADS: "1", KEEP_BUNDLE: "1", OWN_FILES: "1", NO_LOG: "1" };

function writeRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "r2k-quill-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

beforeAll(async () => {
  await initPrism();
});

describe("list changes under a condition of the deploying shell", () => {
  it("keep the list's certain entries (in both real runs) and name each entry the set run adds as a maybe", async () => {
    const root = writeRepo(FILES);
    const unset = await runCap(prepareCopy(root), "production");
    const set = await runCap(prepareCopy(root), "production", undefined, SET_ENV);
    const m = await analyzeFiles(memoryRepo(FILES), "quill");
    const st = m.stages.find((s) => s.name === "production")!;
    expect(st.unread ?? []).toEqual([]);
    for (const key of ["linked_files", "linked_dirs", "whenever_roles"]) {
      const got = st.variables[key]!.value as unknown[];
      expect(Array.isArray(got), key).toBe(true);
      // Certain: in the list whether or not the condition held.
      for (const x of got) {
        expect(unset.variables[key], key).toContainEqual(x);
        expect(set.variables[key], key).toContainEqual(x);
      }
      expect(got).toEqual(unset.variables[key]);
      // Each entry the set run adds is named by a maybe of that variable: its value, or the ENV variable it reads.
      const added = (set.variables[key] as unknown[]).filter((x) => !got.some((y) => JSON.stringify(y) === JSON.stringify(x)));
      expect(added.length, key).toBeGreaterThan(0);
      for (const x of added) {
        const named = (st.maybe ?? []).filter((d) => d.name === key && d.change === "append").some((d) => d.values.some((v) => JSON.stringify(v) === JSON.stringify(x)) || Object.entries(SET_ENV).some(([k, v]) => v === x && d.expr.includes(k)));
        expect(named, `${key}: ${JSON.stringify(x)}`).toBe(true);
      }
    }
    const extra = st.maybe!.find((d) => d.name === "linked_files")!;
    expect(extra).toMatchObject({ expr: 'ENV["EXTRA_SHARED"]', condition: 'when `ENV["EXTRA_SHARED"]` holds', source: { file: "config/deploy/production.rb", line: 3 } });
    const said = m.problems.filter((p) => p.message.startsWith("capistrano.maybe-change:"));
    expect(said.map((p) => `${p.file}:${p.line}`).sort()).toEqual(["config/deploy/production.rb:3", "config/deploy/production.rb:5", "config/deploy/production.rb:6", "config/deploy/production.rb:8"]);
    expect(said.find((p) => p.line === 3)!.message).toContain("maybe also ENV[\"EXTRA_SHARED\"]");
    // No "neither branch followed" left for what was read as a maybe.
    expect(m.problems.filter((p) => p.file === "config/deploy/production.rb" && p.message.includes("neither branch followed"))).toEqual([]);
    // The remove of an entry the list never holds changes nothing either way: said, and the list stays.
    expect(st.maybe!.find((d) => d.change === "remove")).toMatchObject({ name: "linked_dirs", values: ["vendor/bundle"], condition: 'unless `ENV["KEEP_BUNDLE"]` holds' });
    expect(said.find((p) => p.line === 8)!.message).toContain("does not hold");
    // The servers' database.yml stays linked for production: the repo's sqlite3 section is not taken as production's.
    const db = m.linked.find((l) => l.path === "config/database.yml")!;
    expect(db.stages).toContain("production");
    expect(m.rails.database?.serversCopy).toBeTruthy();
  });

  it("a known entry appended under such a condition is linked with its condition said: a maybe database.yml is read as the servers' copy, not certain", async () => {
    const files = {
      ...FILES,
      "config/deploy.rb": FILES["config/deploy.rb"]!.replace('"config/database.yml", "config/storage.yml"', '"config/storage.yml"'),
      "config/deploy/production.rb": 'set :rails_env, "production"\nserver "quill1.example.test", user: "deploy", roles: %w[web app db]\nappend :linked_files, "config/database.yml" unless ENV["REPO_DB"]\n',
    };
    delete (files as Record<string, string>)["config/deploy/staging.rb"];
    const root = writeRepo(files);
    const unset = await runCap(prepareCopy(root), "production");
    const set = await runCap(prepareCopy(root), "production", undefined, { REPO_DB: "1" });
    expect(unset.variables["linked_files"]).toEqual(["config/storage.yml", "config/database.yml"]);
    expect(set.variables["linked_files"]).toEqual(["config/storage.yml"]);
    const m = await analyzeFiles(memoryRepo(files), "quill");
    const st = m.stages.find((s) => s.name === "production")!;
    expect(st.variables["linked_files"]!.value).toEqual(set.variables["linked_files"]);
    const db = m.linked.find((l) => l.path === "config/database.yml")!;
    expect(db.stages).toEqual(["production"]);
    expect(db.source).toEqual({ file: "config/deploy/production.rb", line: 3 });
    expect(db.condition).toBe('only on deploys of stage production run unless `ENV["REPO_DB"]` holds (config/deploy/production.rb:3)');
    expect(m.rails.database?.serversCopy?.condition).toBe(db.condition);
    const said = m.problems.find((p) => p.message.startsWith("database.servers-copy:"))!;
    expect(said.message).toContain("which is not certain");
    expect(m.linked.find((l) => l.path === "config/storage.yml")?.condition).toBeUndefined();
  });

  it("a set, or a remove that may hit an entry, under such a condition leaves the variable not known, as before", async () => {
    const root = writeRepo(FILES);
    const unset = await runCap(prepareCopy(root), "staging");
    const set = await runCap(prepareCopy(root), "staging", undefined, SET_ENV);
    // The two runs differ: no one list is certain.
    expect(unset.variables["linked_files"]).not.toEqual(set.variables["linked_files"]);
    expect(unset.variables["linked_dirs"]).not.toEqual(set.variables["linked_dirs"]);
    const m = await analyzeFiles(memoryRepo(FILES), "quill");
    const st = m.stages.find((s) => s.name === "staging")!;
    expect((st.unread ?? []).filter((u) => u.what === "variable").map((u) => [u.name, u.source.line])).toEqual([
      ["linked_files", 3],
      ["linked_dirs", 4],
    ]);
    expect(st.variables["linked_files"]!.value).toHaveProperty("unknown");
    expect(st.variables["linked_dirs"]!.value).toHaveProperty("unknown");
    expect(st.maybe).toBeUndefined();
  });
});
