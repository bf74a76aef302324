// A linked_files entry with glob characters names whatever the servers' shared/ held that matches it,
// never a file called `config/*.yml`. Here a repo task lists shared/ and sets linked_files to what it
// found (the shape of a real deploy seen in the corpus, written anew): every repo file the glob
// matches is the servers' copy, config/database.yml among them, so the repo's sqlite3 section is not
// production's database. Judged by real `cap` (the list it evaluates holds the glob itself) and real
// Ruby's Dir.glob (which repo files the glob matches).
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { prepareCopy, runCap } from "./cap.js";

const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\n',
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
  "config/deploy.rb": [
    'set :application, "ledger"',
    'set :repo_url, "git@git.example.test:acct/ledger.git"',
    'set :deploy_to, "/srv/ledger"',
    'append :linked_files, "config/*.yml", "config/keys/k?.pem", "public/robots.txt"',
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "ledger1.example.test", user: "deploy", roles: %w[web app db]\n',
  "lib/capistrano/tasks/expand.rake": [
    "namespace :deploy do",
    "  desc 'Turn the patterns of linked_files into the files shared/ holds'",
    "  task :expand_links do",
    "    found = []",
    "    on release_roles :all do",
    "      within shared_path do",
    "        fetch(:linked_files, []).each do |entry|",
    "          if entry.include?('*') || entry.include?('?')",
    "            found.concat capture(:ls, entry, raise_on_non_zero_exit: false).split",
    "          else",
    "            found << entry",
    "          end",
    "        end",
    "      end",
    "    end",
    "    set :linked_files, found",
    "  end",
    "end",
    'before "deploy:check", "deploy:expand_links"',
    "",
  ].join("\n"),
  "config/database.yml": "development:\n  adapter: sqlite3\n  database: db/dev.sqlite3\nproduction:\n  adapter: sqlite3\n  database: db/live.sqlite3\n",
  "config/ledger.yml": "a: 1\n",
  "config/.hidden.yml": "b: 2\n",
  "config/locales/en.yml": "en: {}\n",
  "config/keys/k1.pem": "not a key\n",
  "config/keys/k10.pem": "not a key\n",
  "config/application.rb": "module Ledger; end\n",
  "public/robots.txt": "User-agent: *\n",
};

function writeRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "r2k-ledger-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

/** Real Ruby's Dir.glob of a pattern inside the repo (what `ls` lists in a shared/ shaped like it). */
const rubyGlob = (root: string, pattern: string): string[] =>
  execFileSync("ruby", ["-e", "Dir.chdir(ARGV[0]); puts Dir.glob(ARGV[1]).sort", root, pattern], { encoding: "utf8" }).split("\n").filter(Boolean);

/**
 * A shared/ shaped like the servers': the repo's files, and the files the app reads that live only on
 * servers (git-ignored: database.yml, master.key, .env...), which every such shared/ holds whatever
 * the repo holds. Real Dir.glob there is what the shell expanded the entry to.
 */
const SERVERS_ONLY = ["config/database.yml", "config/mongoid.yml", "config/secrets.yml", "config/master.key", "config/application.yml", ".env"];
const sharedLike = (files: Record<string, string>): string => writeRepo({ ...Object.fromEntries(SERVERS_ONLY.map((p) => [p, "servers: own\n"])), ...files });

beforeAll(async () => {
  await initPrism();
});

describe("linked_files globs", () => {
  it("a glob a repo task expands in shared/ is every repo file it matches, the servers' copy; database.yml among them makes the servers' database unknown", async () => {
    const root = writeRepo(FILES);
    const real = await runCap(prepareCopy(root), "production");
    const list = real.variables["linked_files"] as string[];
    expect(list).toEqual(["config/*.yml", "config/keys/k?.pem", "public/robots.txt"]);

    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    // No glob stands as a literal path.
    expect(m.linked.filter((l) => /[*?[]/.test(l.path))).toEqual([]);
    for (const pattern of list.filter((p) => /[*?]/.test(p))) {
      const got = m.linked.filter((l) => l.glob?.pattern === pattern).map((l) => l.path).sort();
      expect(got).toEqual(rubyGlob(sharedLike(FILES), pattern));
      expect(got.length).toBeGreaterThan(0);
      const said = m.problems.filter((p) => p.message.startsWith(`capistrano.linked-glob: linked_files entry ${pattern} `));
      expect(said).toHaveLength(1);
      expect([said[0]!.file, said[0]!.line]).toEqual(["config/deploy.rb", 4]);
      expect(said[0]!.message).toContain("task deploy:expand_links (lib/capistrano/tasks/expand.rake:3; before deploy:check at lib/capistrano/tasks/expand.rake:19)");
    }
    const db = m.linked.find((l) => l.path === "config/database.yml")!;
    expect(db.glob).toEqual({ pattern: "config/*.yml", expandedBy: { task: "deploy:expand_links", source: { file: "lib/capistrano/tasks/expand.rake", line: 3 } } });
    expect(db.source).toEqual({ file: "config/deploy.rb", line: 4 });
    // The repo's sqlite3 section is not what production used: the servers' copy is asked for (DATABASE_URL).
    expect(m.rails.database?.serversCopy?.linked).toEqual({ file: "config/deploy.rb", line: 4 });
    const dbSaid = m.problems.find((p) => p.message.startsWith("database.servers-copy:"))!;
    expect(dbSaid.message).toContain("by the glob config/*.yml (config/deploy.rb:4, which task deploy:expand_links expands in shared/");
    expect(dbSaid.message).toContain("DATABASE_URL");
    expect(m.hazards.some((h) => h.message.includes("config/*.yml"))).toBe(false);
  });

  it("a glob no task expands is still a glob over shared/, said so", async () => {
    const files = { ...FILES, Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n' };
    const root = writeRepo(files);
    const m = await analyzeFiles(memoryRepo(files), "ledger");
    expect(m.linked.filter((l) => l.glob?.pattern === "config/*.yml").map((l) => l.path).sort()).toEqual(rubyGlob(sharedLike(files), "config/*.yml"));
    expect(m.linked.find((l) => l.path === "config/database.yml")?.glob).toEqual({ pattern: "config/*.yml" });
    const said = m.problems.find((p) => p.message.startsWith("capistrano.linked-glob: linked_files entry config/*.yml "))!;
    expect(said.message).toContain("no task of the deploy expands it");
    expect(m.rails.database?.serversCopy).toBeTruthy();
  });
  it("a glob that names a servers-only file the repo lacks (database.yml git-ignored) links the servers' copy and asks for DATABASE_URL", async () => {
    const files: Record<string, string> = { ...FILES, Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n', "config/database.example.yml": "production:\n  adapter: postgresql\n  database: ledger\n" };
    delete files["config/database.yml"];
    const root = writeRepo(files);
    // real cap keeps the glob itself in linked_files; the shell on the servers expands it in shared/
    const real = await runCap(prepareCopy(root), "production");
    expect(real.variables["linked_files"]).toEqual(["config/*.yml", "config/keys/k?.pem", "public/robots.txt"]);
    const m = await analyzeFiles(memoryRepo(files), "ledger");
    const expected = rubyGlob(sharedLike(files), "config/*.yml");
    expect(expected).toContain("config/database.yml");
    expect(m.linked.filter((l) => l.glob?.pattern === "config/*.yml").map((l) => l.path).sort()).toEqual(expected);
    const db = m.linked.find((l) => l.path === "config/database.yml")!;
    expect(db).toMatchObject({ kind: "file", serverOnly: true, example: "config/database.example.yml", glob: { pattern: "config/*.yml" }, source: { file: "config/deploy.rb", line: 4 } });
    const { serverOnlyFiles } = await import("../../emitters/kustomize/rules/server-files.js");
    expect(serverOnlyFiles(m).find((f) => f.file === "config/database.yml")).toMatchObject({ env: "DATABASE_URL", source: { file: "config/deploy.rb", line: 4 } });
    const said = m.problems.find((p) => p.message.startsWith("capistrano.linked-glob: linked_files entry config/*.yml "))!;
    expect(said.message).toContain("it also matches config/application.yml, config/database.yml, config/mongoid.yml, config/secrets.yml, which the repo does not hold");
  });
  it("a brace glob past the alternatives it expands is named, not silently cut (real Dir.glob links the late one)", async () => {
    // 2^9 = 512 alternatives; the file the last one names is in the repo
    const pattern = `config/${"{a,b}".repeat(9)}.yml`;
    const files: Record<string, string> = { ...FILES, Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n', "config/bbbbbbbbb.yml": "x: 1\n", "config/deploy.rb": FILES["config/deploy.rb"]!.replace('"config/*.yml"', JSON.stringify(pattern)) };
    const root = writeRepo(files);
    expect(rubyGlob(root, pattern)).toEqual(["config/bbbbbbbbb.yml"]);
    const started = Date.now();
    const m = await analyzeFiles(memoryRepo(files), "ledger");
    expect(Date.now() - started).toBeLessThan(30_000);
    const said = m.problems.filter((p) => p.message.startsWith("capistrano.linked-glob-braces:"));
    expect(said).toHaveLength(1);
    expect([said[0]!.file, said[0]!.line]).toEqual(["config/deploy.rb", 4]);
    expect(said[0]!.message).toContain(`entry ${pattern} has more than 256`);
  });
});
