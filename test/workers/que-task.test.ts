// Que started by the repo's own deploy task: the arguments of one `execute(...)` spread over several
// lines (the files que requires are the app's jobs), read through start-stop-daemon, and the loop
// around it as processes per server. The versions differ: que 0.x keeps the last `-q` only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { unwrapCommand } from "../../src/model/service-managers.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { pluginApp } from "./app.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";

const CAPFILE = 'Dir.glob("lib/capistrano/tasks/*.rake").each { |f| import f }\n';

// A daemon per pair of job threads, under start-stop-daemon, its argv written one piece a line.
const DAEMON_TASK = `namespace :que do
  task :start do
    on roles(:jobs) do
      within release_path do
        (1..fetch(:job_threads) / 2).each do |n|
          execute "start-stop-daemon",
                  "--start", "--background", "--make-pidfile",
                  "--pidfile", "#{shared_path}/tmp/pids/que.#{n}.pid",
                  "--chdir #{release_path}",
                  "--exec", "/usr/bin/env", "--",
                  "bundle", "exec", "que",
                  "-w", "2", "--queue-name", "mailers", "-q", "billing",
                  "#{release_path}/config/" + "que_boot.rb",
                  ">>", "#{shared_path}/log/que.log", "2>&1"
        end
      end
    end
  end
  task :stop do
    on roles(:jobs) do
      execute "start-stop-daemon", "--stop", "--oknodo", "--pidfile", "#{shared_path}/tmp/pids/que.1.pid"
    end
  end
end
after "deploy:published", "que:start"
`;

const app = (que: string, task: string) =>
  analyzeFiles(
    pluginApp(
      "set :job_threads, 6\n",
      {
        production: `server "a1.ledger.example.org", roles: %w[web app db]\nserver "j1.ledger.example.org", roles: %w[jobs]\nserver "j2.ledger.example.org", roles: %w[jobs]\nset :rails_env, "production"\n`,
        staging: `server "s1.ledger.example.org", roles: %w[web app db jobs]\nset :rails_env, "staging"\nset :job_threads, 2\n`,
      },
      { "lib/capistrano/tasks/que.rake": task, "config/que_boot.rb": 'require_relative "environment"\n' },
      { que: que },
      CAPFILE,
    ),
    "ledger",
  );

let old: AppModel;
let recent: AppModel;
beforeAll(async () => {
  requireKubectl();
  old = await app("0.11.4", DAEMON_TASK);
  recent = await app("2.3.0", DAEMON_TASK);
});
afterAll(removeTrees);

describe("que from the repo's own deploy task", () => {
  it("runs the task's que line with its file to require (release path → app directory), start-stop-daemon taken off", () => {
    const w = old.workers!.find((x) => x.backend === "que")!;
    expect(w.args).toEqual(["bundle", "exec", "que", "-w", "2", "--queue-name", "mailers", "-q", "billing", "./config/que_boot.rb"]);
    expect(w.commandFrom).toBe("capistrano");
    expect(w.commandSource).toEqual({ file: "lib/capistrano/tasks/que.rake", line: 6 });
    expect(w.commandNote).toMatch(/start-stop-daemon --start/);
    expect(w.roles).toEqual(["jobs"]);
    expect(w.carried).toBe(true);
  });

  it("queues follow the pinned version: 0.x works the last -q only, 1.x and later every one", () => {
    expect(old.workers!.find((x) => x.backend === "que")!.queues).toEqual(["billing"]);
    expect(recent.workers!.find((x) => x.backend === "que")!.queues).toEqual(["mailers", "billing"]);
  });

  it("the loop's count per stage is processes per server: replicas = servers × count", () => {
    const w = old.workers!.find((x) => x.backend === "que")!;
    expect(w.perStage!["production"]!.processes).toBe(3);
    expect(w.perStage!["staging"]!.processes).toBe(1);
    const { stages } = emitAndBuild(old);
    const prod = find(stages["production"]!, "Deployment", "-worker-que");
    expect(prod.spec.replicas).toBe(6);
    expect(prod.spec.template.spec.containers[0].args ?? prod.spec.template.spec.containers[0].command).toContain("./config/que_boot.rb");
    expect(find(stages["staging"]!, "Deployment", "-worker-que").spec.replicas).toBe(1);
  });

  it("one que process per pod, its -w threads kept: the rule is stated in MIGRATION.md beside the worker", () => {
    const answers = defaultAnswers(old);
    const guide = emitMigrationGuide(old, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(old, answers) }))).content;
    const line = guide.split("\n").find((l) => l.includes("deployment/") && l.includes("que"))!;
    expect(line).toMatch(/one que process per pod: .* each keeps its line's --worker-count \(-w\) threads/);
    const { stages } = emitAndBuild(old);
    const c = find(stages["production"]!, "Deployment", "-worker-que").spec.template.spec.containers[0];
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    expect(argv.slice(argv.indexOf("-w"), argv.indexOf("-w") + 2)).toEqual(["-w", "2"]);
  });

  it("an option the pinned que does not have is said, and the standard command runs", async () => {
    const m = await app("0.11.4", DAEMON_TASK.replace('"-w", "2"', '"--wait-period", "20"'));
    const w = m.workers!.find((x) => x.backend === "que")!;
    expect(w.commandFrom).toBe("standard");
    expect(w.commandNote).toMatch(/--wait-period.*not an option of que 0\.11\.4/);
    expect(m.problems.some((p) => p.file === "lib/capistrano/tasks/que.rake" && /--wait-period/.test(p.message))).toBe(true);
  });
});

describe("unwrapCommand: start-stop-daemon", () => {
  it("takes --exec and the words after -- as the process, its own options off", () => {
    const r = unwrapCommand("start-stop-daemon --start -b -m -p /run/q.pid -d /srv/app --exec /usr/bin/env -- bundle exec que x.rb", (ws) => ws.includes("que"))!;
    expect(r.words).toEqual(["bundle", "exec", "que", "x.rb"]);
    expect(r.wrappers[0]).toMatch(/^start-stop-daemon --start/);
  });
  it("--startas wins over --exec; a --stop line is not a start", () => {
    expect(unwrapCommand("start-stop-daemon -S --exec /usr/bin/ruby --startas /srv/bin/que -- -w 3", () => true)!.words).toEqual(["/srv/bin/que", "-w", "3"]);
    expect(unwrapCommand("start-stop-daemon --stop --pidfile /run/q.pid", () => true)!.words[0]).toBe("start-stop-daemon");
  });
});
