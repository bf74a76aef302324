// A Capistrano 2 deploy exports its Procfile through foreman (`foreman export upstart /etc/init -f
// #{current_path}/Procfile … --concurrency=\"feed=2,chat=1,mail=0\"`, the formation of foreman before
// 0.60, its value in shell quotes escaped inside the Ruby string). Each process the formation runs
// is a long-running process of the servers: carried as a worker Deployment with the Procfile command
// when that command is fully known, named with its count when it is not, and a process at 0 never
// ran. Judged by real foreman (0.87: its `-m` is the same formation) exporting the same Procfile.
// Files written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";

const PROCFILE = "web: bundle exec rails s\nfeed: bundle exec ruby lib/feed.rb\nchat: bundle exec ruby lib/chat.rb --room $ROOM\nmail: bundle exec ruby lib/mail.rb\n";
const FORMATION = "feed=2,chat=1,mail=0";

/** Real foreman's upstart export: the jobs it writes per process name. */
function realExport(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-foreman-"));
  writeFileSync(join(dir, "Procfile"), PROCFILE);
  const r = spawnSync("foreman", ["export", "upstart", join(dir, "out"), "-f", join(dir, "Procfile"), "-d", dir, "-a", "post", "-u", "deploy", "-m", FORMATION], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const counts: Record<string, number> = {};
  for (const f of readdirSync(join(dir, "out"))) {
    const m = /^post-(\w+)-\d+\.conf$/.exec(f);
    if (m) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  }
  return counts;
}

const DEPLOY = `set :application, "post"
set :repository, "git@git.example.org:mail/post.git"
set :deploy_to, "/srv/post"
set :user, "deploy"
role :web, "p1.example.org"
role :app, "p1.example.org", "p2.example.org"
role :db, "p1.example.org", :primary => true
namespace :procs do
  task :export, :roles => :app do
    run "cd #{current_path} && sudo foreman export upstart /etc/init -f #{current_path}/Procfile -a #{application} -u #{user} --concurrency=\\"${FORMATION}\\""
  end
end
after "deploy:update", "procs:export"
namespace :deploy do
  task :restart do
    run "touch #{current_path}/tmp/restart.txt"
  end
end
`;

describe("Procfile processes the deploy exports through foreman", () => {
  it("run as the formation says: carried with its count, named when the command is not known, and 0 is not run", async () => {
    const lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (6.1.7)\n    passenger (6.0.18)\n    foreman (0.78.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  passenger\n  foreman\n\nBUNDLED WITH\n   2.5.10\n";
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy'\nload 'config/deploy'\n",
        "config/deploy.rb": DEPLOY,
        Procfile: PROCFILE,
        "lib/feed.rb": "loop { sleep 10 }\n",
        "lib/chat.rb": "loop { sleep 10 }\n",
        "lib/mail.rb": "loop { sleep 10 }\n",
        Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "passenger"\ngem "foreman"\n',
        "Gemfile.lock": lock,
      }),
      "post",
    );
    const real = realExport();
    expect(real).toEqual({ feed: 2, chat: 1 });
    const feed = m.workers!.find((w) => w.name === "worker-feed")!;
    expect(feed.carried).toBe(true);
    expect(feed.args).toEqual(["bundle", "exec", "ruby", "lib/feed.rb"]);
    expect(feed.processesPerServer?.value).toBe(real["feed"]);
    expect(feed.roles).toEqual(["app"]);
    expect([feed.stopSignal, feed.stopTimeout.seconds]).toEqual(["TERM", 5]);
    expect(m.workers!.some((w) => w.name === "worker-chat" || w.name === "worker-mail")).toBe(false);
    const chat = m.uncarried!.find((u) => u.name === "chat")!;
    expect(chat.why).toMatch(new RegExp(`foreman export ran, ${real["chat"]} per server .*reads \\$ROOM`));
    const mail = m.uncarried!.find((u) => u.name === "mail")!;
    expect(mail.devOnly).toBe(true);
    const answers = { web: { server: "passenger" } } as any;
    const guide = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    const sw = guide.split("\n").find((l) => /Switch traffic/.test(l))!;
    expect(sw).toMatch(/keep `chat` running/);
    expect(sw).not.toMatch(/`mail`/);
    expect(sw).not.toMatch(/keep [^;]*`feed`/);
  });
});
