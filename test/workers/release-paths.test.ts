// The release in a worker's start line is found from each stage's own deploy_to (and Capistrano's
// current_directory / shared_directory), not only by the shape `…/current`: a `cd` into a stage's
// release is the image's app directory, paths under it are read relative to it, paths under a stage's
// shared_path are named as the servers', and a `cd` into deploy_to itself is not the release. Real
// `cap` (3.17) is the oracle for where each stage's current_path, releases and shared_path are.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readStartLine, serverLayout } from "../../analyzers/workers/start-line.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { prepareCopy } from "../capistrano/cap.js";

const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const LOCK = `GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    pg (1.5.6)\n    delayed_job (4.1.11)\n    delayed_job_active_record (4.1.8)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  pg\n  delayed_job_active_record\n`;

const files = (monitStart: string): Record<string, string> => ({
  Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n`,
  "Gemfile.lock": LOCK,
  "config/deploy.rb": `set :application, "ledger"\nset :repo_url, "git@git.example.org:ops/ledger.git"\nset :deploy_to, "/srv/ledger"\n`,
  "config/deploy/production.rb": `server "j1.ledger.example.org", user: "deploy", roles: %w[web app db]\n`,
  "config/deploy/staging.rb": `server "s1.ledger.example.org", user: "deploy", roles: %w[web app db]\nset :deploy_to, "/home/deploy/ledger"\nset :current_directory, "live"\nset :shared_directory, "/data/ledger-shared"\n`,
  "config/monit/jobs.monitrc": `check process dj_mail\n  with pidfile /tmp/dj_mail.pid\n  start program = "${monitStart}" with timeout 60 seconds\n`,
});

/** Real cap: each stage's current_path, releases_path and shared_path. */
function capPaths(app: Record<string, string>, stages: string[]): Record<string, { current: string; releases: string; shared: string }> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-paths-"));
  cleanup.push(dir);
  for (const [p, c] of Object.entries(app)) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
  const copy = prepareCopy(dir);
  cleanup.push(join(copy, ".."));
  writeFileSync(join(copy, "..", "paths.rake"), `task "r2k:paths" do\n  puts "R2K-PATHS" + JSON.generate({ current: current_path.to_s, releases: releases_path.to_s, shared: shared_path.to_s })\nend\n`);
  appendFileSync(join(copy, "Capfile"), `\nload ${JSON.stringify(join(copy, "..", "paths.rake"))}\n`);
  const out: Record<string, { current: string; releases: string; shared: string }> = {};
  for (const st of stages) {
    const r = spawnSync("cap", [st, "r2k:paths"], { cwd: copy, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: copy, LANG: "C.UTF-8", RUBYOPT: `-r${join(copy, "..", "prelude.rb")} -rjson` } });
    const line = r.stdout.split("\n").find((l) => l.includes("R2K-PATHS"));
    expect(line, `cap ${st}: ${r.stderr}`).toBeDefined();
    out[st] = JSON.parse(line!.slice(line!.indexOf("R2K-PATHS") + 9));
  }
  return out;
}

const pick = (ws: string[]) => ws.includes("bundle");

describe("each stage's release and shared paths, as real cap has them", () => {
  it("deploy_to, current_directory and an absolute shared_directory give the same paths as cap", async () => {
    const app = files("/bin/true");
    const real = capPaths(app, ["production", "staging"]);
    const m = await analyzeFiles(memoryRepo(app), "ledger");
    const layout = serverLayout(m.stages);
    expect(Object.fromEntries(layout.map((l) => [l.stage, { current: l.current, releases: l.releases, shared: l.shared }]))).toEqual(real);
  });

  it("a monit start line that cds into staging's `live` release is the release (by shape it is not)", async () => {
    const m = await analyzeFiles(memoryRepo(files("/bin/su - deploy -c 'cd /home/deploy/ledger/live && QUEUE=mail bundle exec rake jobs:work'")), "ledger");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect([w.commandFrom, w.args, w.env]).toEqual(["service", ["bundle", "exec", "rake", "jobs:work"], { QUEUE: "mail" }]);
    expect(w.commandNote).toMatch(/`cd \/home\/deploy\/ledger\/live` is the release \(stage staging's deploy_to \/home\/deploy\/ledger, config\/deploy\/staging\.rb:2\)/);
  });
});

describe("start lines read against the stages' layout", () => {
  const layoutOf = async () => serverLayout((await analyzeFiles(memoryRepo(files("/bin/true")), "ledger")).stages);

  it("paths under the release are relative to the image's app directory; paths under shared_path are named, kept", async () => {
    const layout = await layoutOf();
    const r = readStartLine("cd /srv/ledger/current && bundle exec rake jobs:work --config=/srv/ledger/current/config/dj.yml --log /data/ledger-shared/log/dj.log", pick, [], layout);
    expect("words" in r && r.words).toEqual(["bundle", "exec", "rake", "jobs:work", "--config=config/dj.yml", "--log", "/data/ledger-shared/log/dj.log"]);
    const notes = "notes" in r ? r.notes.join("\n") : "";
    expect(notes).toContain("`cd /srv/ledger/current` is the release (stage production's deploy_to /srv/ledger, config/deploy.rb:3)");
    expect(notes).toContain("`--config=/srv/ledger/current/config/dj.yml` is in the release: read relative to the image's app directory");
    expect(notes).toContain("`/data/ledger-shared/log/dj.log` (shared_path of stage staging, config/deploy/staging.rb:2) is a path of the servers' shared directory");
  });

  it("a cd into shared_path or into deploy_to itself is not the release, said with the stage", async () => {
    const layout = await layoutOf();
    expect(readStartLine("cd /srv/ledger/shared/jobs && bundle exec rake jobs:work", pick, [], layout)).toEqual({ unknown: expect.stringMatching(/^`cd \/srv\/ledger\/shared\/jobs` changes to the servers' shared directory \(shared_path of stage production's deploy_to \/srv\/ledger, config\/deploy\.rb:3\)/) });
    expect(readStartLine("cd /srv/ledger && bundle exec rake jobs:work", pick, [], layout)).toEqual({ unknown: expect.stringMatching(/^`cd \/srv\/ledger` changes to deploy_to itself .* not the release \(\/srv\/ledger\/current\)/) });
  });

  it("a release of the right shape that no stage deploys to is taken by its shape, said; with no deploy_to the shape alone decides", async () => {
    const layout = await layoutOf();
    const r = readStartLine("cd /opt/other/current && bundle exec rake jobs:work", pick, [], layout);
    expect("notes" in r && r.notes.join("\n")).toMatch(/is the release by its shape only \(no stage deploys there: deploy_to \/srv\/ledger, \/home\/deploy\/ledger\)/);
    const bare = readStartLine("cd /opt/other/current && bundle exec rake jobs:work --config=/opt/other/current/x.yml", pick, [], []);
    expect(bare).toEqual({ words: ["bundle", "exec", "rake", "jobs:work", "--config=/opt/other/current/x.yml"], env: {}, notes: expect.arrayContaining(["`cd /opt/other/current` is the release: the image's app directory, where the pod starts"]) });
  });
});

describe("on disk", () => {
  it("analyzeDir gives the same worker as in memory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-paths-disk-"));
    cleanup.push(dir);
    for (const [p, c] of Object.entries(files("/bin/sh -c 'cd /home/deploy/ledger/live && QUEUE=mail bundle exec rake jobs:work'"))) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
    const m = await analyzeDir(dir);
    expect(m.workers!.find((x) => x.backend === "delayed-job")!.env).toEqual({ QUEUE: "mail" });
  });
});
