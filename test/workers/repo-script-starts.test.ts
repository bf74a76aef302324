// A shell script of the repo that starts Shoryuken when nothing in the deploy does (a restart script
// run by hand or from the servers' crontab): the worker runs that line in the foreground, its
// daemon-only options left out, and a warning says who ran the script and that where it ran is not
// in the repo. Shoryuken is not packaged here: the options are read as its CLI documents them
// (bin/shoryuken's Thor options: -d daemonizes, -L/-P name a log and a pid file, -C the config whose
// `timeout` is the drain). The app ("quay") and its script are this test's own.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    puma (6.4.2)\n    pg (1.5.6)\n    shoryuken (4.0.2)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  puma\n  pg\n  shoryuken\n\nBUNDLED WITH\n   2.5.10\n";
const SCRIPT = `#!/bin/sh\n# bounce the queue consumers\ncd /srv/quay/current && pkill -f "[s]horyuken" ; QUAY_MODE=queue bundle exec shoryuken -R -C config/shoryuken.yml -d -L /var/log/quay/shoryuken.log -P /tmp/quay-shoryuken.pid\n`;
const files = (extra: Record<string, string>, deployExtra = ""): Record<string, string> => ({
  Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\n`,
  Gemfile: `source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "pg"\ngem "shoryuken"\n`,
  "Gemfile.lock": LOCK,
  "config/puma.rb": "threads 5, 5\n",
  "config/shoryuken.yml": "concurrency: 2\ntimeout: 20\nqueues:\n  - [quay_mail, 1]\n  - [quay_events, 2]\n",
  "config/deploy.rb": `set :application, "quay"\nset :repo_url, "git@git.example.org:ops/quay.git"\nset :deploy_to, "/srv/quay"\n${deployExtra}`,
  "config/deploy/production.rb": `server "a1.quay.example.org", user: "deploy", roles: %w[web app db]\nset :rails_env, "production"\n`,
  ...extra,
});
type Model = Awaited<ReturnType<typeof analyzeFiles>>;
const sh = (m: Model) => m.workers!.find((w) => w.backend === "shoryuken")!;

describe("Shoryuken started by a script of the repo", () => {
  it("the script's line in the foreground (-d, -L, -P left out), its config's timeout, and who ran it said", async () => {
    const m = await analyzeFiles(memoryRepo(files({ "ops/restart-consumers.sh": SCRIPT })), "quay");
    const w = sh(m);
    expect(w).toMatchObject({ carried: true, commandFrom: "service", args: ["bundle", "exec", "shoryuken", "-R", "-C", "config/shoryuken.yml"], env: { QUAY_MODE: "queue" }, commandSource: { file: "ops/restart-consumers.sh", line: 3 }, stopTimeout: { seconds: 20 } });
    expect(w.rolesGuessed).toBe(true);
    const warned = m.problems.filter((p) => p.file === "ops/restart-consumers.sh");
    expect(warned).toHaveLength(1);
    expect(warned[0]!.message).toContain("nothing in the deploy or config/schedule.rb runs the script");
  });

  it("a deploy task that names the script: said with its line", async () => {
    const m = await analyzeFiles(memoryRepo(files({ "ops/restart-consumers.sh": SCRIPT }, `task :consumers do\n  on roles(:app) do\n    execute "sh #{current_path}/ops/restart-consumers.sh"\n  end\nend\n`)), "quay");
    expect(sh(m).commandNote).toContain("config/deploy.rb:6 names the script");
  });

  it("a line the reader does not take (an unknown option): named, not carried, with the script's line", async () => {
    const m = await analyzeFiles(memoryRepo(files({ "ops/restart-consumers.sh": SCRIPT.replace("-R ", "--frobnicate ") })), "quay");
    const w = sh(m);
    expect(w.carried).toBe(false);
    expect(w.notStarted).toBeUndefined();
    expect(w.why).toContain("ops/restart-consumers.sh:3, a script of the repo, starts it");
  });

  it("no script, or one under vendor/: nothing in the repo starts it", async () => {
    for (const extra of [{}, { "vendor/gems/x/run.sh": SCRIPT }]) {
      const m = await analyzeFiles(memoryRepo(files(extra)), "quay");
      expect(sh(m)).toMatchObject({ carried: false, notStarted: true });
    }
  });

  // A script that says it is a laptop's (docker/dev-worker.sh with RAILS_ENV=development … -c 2) is
  // not the servers' start: named, never the worker of every stage, its -c not the servers'.
  it("a development-only script (RAILS_ENV=development, or under docker/ and named by no deploy line): named, not the worker", async () => {
    const dev = "#!/bin/sh\n# local development only\nRAILS_ENV=development bundle exec shoryuken -R -C config/shoryuken.yml -c 2\n";
    const exported = "#!/bin/sh\nexport RAILS_ENV=test\nbundle exec shoryuken -R -C config/shoryuken.yml -c 2\n";
    for (const [path, text, why] of [
      ["ops/dev-worker.sh", dev, /runs in the Rails environment "development", a development or test environment no stage deploys \(the stages deploy production\)/],
      ["ops/test-worker.sh", exported, /runs in the Rails environment "test"/],
      ["docker/worker.sh", SCRIPT, /sits under docker\/, a development or CI tree/],
    ] as const) {
      const m = await analyzeFiles(memoryRepo(files({ [path]: text })), "quay");
      const w = sh(m);
      expect(w).toMatchObject({ carried: false, notStarted: true });
      expect(w.args).not.toContain("2");
      const named = m.problems.filter((p) => p.file === path);
      expect(named).toHaveLength(1);
      expect(named[0]!.message).toMatch(why);
      expect(named[0]!.message).toContain("it is not taken as the servers' start");
    }
  });

  it("a production script beside a development one: the production one is the worker, the other named", async () => {
    const dev = "#!/bin/sh\nRAILS_ENV=development bundle exec shoryuken -R -C config/shoryuken.yml -c 2\n";
    const m = await analyzeFiles(memoryRepo(files({ "ops/restart-consumers.sh": SCRIPT.replace("QUAY_MODE=queue", "RAILS_ENV=production QUAY_MODE=queue"), "docker/dev-worker.sh": dev })), "quay");
    expect(sh(m)).toMatchObject({ carried: true, commandSource: { file: "ops/restart-consumers.sh", line: 3 } });
    expect(m.problems.filter((p) => p.file === "docker/dev-worker.sh")).toHaveLength(1);
  });
});
