// SysV init scripts kept in the repo that start a daemon of the app which is no web server and no job
// backend (issue 13: a real repo's three EventMachine websocket servers were dropped without a word).
// The app is written here: "tally", a scoring board deployed by Capistrano 3 to /srv/tally, whose
// servers ran websocket broadcasters from init scripts installed by a setup script. Each daemon is
// carried as a worker Deployment with its real command, or named as not carried with its line; the
// port it listens on is named. The script's own variables are checked against real `sh`, and the
// Deployments are built with kubectl kustomize and validated.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { startCommand } from "../../analyzers/workers/init-scripts.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { renderReport } from "../../src/report.js";
import type { AppModel } from "../../src/model.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { validateObject } from "../kustomize/validate.js";
import { defaultAnswers } from "../kustomize/answers.js";

beforeAll(() => requireKubectl());
afterAll(removeTrees);

const guide = (m: AppModel) => {
  const answers = defaultAnswers(m, {});
  return emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
};

/** An LSB init script in the shape Debian's are written: variables on top, a `case "$1"` below. */
const initScript = (name: string, cmd: string, stop = "kill -INT `cat $PIDFILE`") => `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Required-Start:    $remote_fs
# Default-Start:     2 3 4 5
# Short-Description: ${name} for the scoring board
### END INIT INFO
set -e
OWNER="tally"
HOME_DIR="/srv/$OWNER"
APP_ROOT="$HOME_DIR/current"
START_CMD="cd $APP_ROOT && ${cmd}"
PIDFILE="$APP_ROOT/tmp/pids/${name}.pid"

running () {
  test -s "$PIDFILE" && kill -0 \`cat $PIDFILE\`
}

case "$1" in
  start)
    running && echo "already up" && exit 0
    echo "starting ${name}"
    su - $OWNER -c "$START_CMD"
    ;;
  stop)
    ${stop}
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 1
    ;;
esac
`;

/** An em-websocket broadcaster on `port`; `detach` adds a Process.daemon call at its top. */
const broadcaster = (port: number, detach = false) => `require "em-websocket"
${detach ? "Process.daemon\n" : ""}
peers = []
EventMachine.run do
  EventMachine::WebSocket.start(host: "0.0.0.0", port: ${port}) do |ws|
    ws.onopen { peers << ws }
    ws.onmessage { |msg| peers.each { |p| p.send(msg) } }
    ws.onclose { peers.delete(ws) }
  end
end
`;

const tally = (extra: Record<string, string>) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'set :application, "tally"\nset :deploy_to, "/srv/tally"\n',
    "config/deploy/production.rb": 'server "board1.example.net", roles: %w[app web db]\n',
    "config/deploy/staging.rb": 'server "board-stage.example.net", roles: %w[app web db]\n',
    ...extra,
  });

describe("init scripts that start the app's own daemons", () => {
  it("an installed websocket server whose command is known is a worker Deployment with that command, its port named and probed", async () => {
    const m = await analyzeFiles(
      tally({
        "sys/rc/scores_feed": initScript("scores_feed", "bundle exec ruby bin/scores_feed.rb"),
        "bin/scores_feed.rb": broadcaster(9301),
        "sys/setup.sh": "#!/bin/sh\ncp sys/rc/scores_feed /etc/init.d/scores_feed\nupdate-rc.d scores_feed defaults\n",
      }),
      "tally",
    );
    const w = m.workers!.find((x) => x.name === "worker-scores-feed")!;
    expect(w).toBeDefined();
    expect(w.carried).toBe(true);
    expect(w.args).toEqual(["bundle", "exec", "ruby", "bin/scores_feed.rb"]);
    expect(w.commandSource).toEqual({ file: "sys/rc/scores_feed", line: 23 });
    expect(w.stopSignal).toBe("INT");
    expect(w.ports).toEqual([{ port: 9301, source: { file: "bin/scores_feed.rb", line: 5 }, websocket: true }]);
    expect(w.evidence.map((e) => `${e.source.file}:${e.source.line}`)).toContain("sys/setup.sh:2");
    const { stages } = emitAndBuild(m);
    for (const [stage, objs] of Object.entries(stages)) {
      for (const o of objs) validateObject(o);
      const d = find(objs, "Deployment", "worker-scores-feed") as any;
      const c = d.spec.template.spec.containers[0];
      expect(c.args).toEqual(["bundle", "exec", "ruby", "bin/scores_feed.rb"]);
      expect(c.ports).toEqual([{ containerPort: 9301, protocol: "TCP" }]);
      // It boots no Rails: the heartbeat would never beat; the port answering is its liveness.
      expect(c.livenessProbe.tcpSocket).toEqual({ port: 9301 });
      expect(c.env.map((e: any) => e.name)).not.toContain("RAILS2K8S_HEARTBEAT_FILE");
      expect(d.spec.replicas, stage).toBe(1);
      expect(d.spec.strategy).toEqual({ type: "Recreate" });
    }
    const g = guide(m);
    expect(g).toMatch(/worker-scores-feed.*bundle exec ruby bin\/scores_feed\.rb.*listens on `9301` \(`bin\/scores_feed\.rb:5`\).*Service and a route/);
  });

  it("a server that detaches itself (Process.daemon) is named as not carried, with the detach line and its port", async () => {
    const m = await analyzeFiles(
      tally({
        "script/judges_ws_initd": initScript("judges_ws", "bundle exec ruby bin/judges_ws.rb &"),
        "bin/judges_ws.rb": broadcaster(9302, true),
        "script/boot.local": "#!/bin/sh -e\nservice judges_ws start\nexit 0\n",
      }),
      "tally",
    );
    expect(m.workers!.some((w) => w.name === "worker-judges-ws")).toBe(false);
    const u = m.uncarried!.find((x) => x.name === "judges_ws")!;
    expect(u.source).toEqual({ file: "script/judges_ws_initd", line: 23 });
    expect(u.command).toBe("bundle exec ruby bin/judges_ws.rb");
    expect(u.why).toMatch(/EventMachine websocket server.*script\/boot\.local:2.*not carried: bin\/judges_ws\.rb:2 detaches the process \(Process\.daemon\).*listens on 9302 \(bin\/judges_ws\.rb:6\).*Service and a route/);
    expect(renderReport(m, { color: false })).toMatch(/NOT CARRIED: judges_ws: .*script\/judges_ws_initd:23/);
    expect(guide(m)).toMatch(/\*\*Not carried\*\*: `judges_ws`/);
  });

  it("a script nothing installs, and a start command the shell fills in at run time, are named, not carried", async () => {
    const m = await analyzeFiles(
      tally({
        "config/init.d/lobby_push": initScript("lobby_push", "thin -R lobby.ru -p 9400 -d start"),
        "lobby.ru": 'require "faye"\nrun Faye::RackAdapter.new(mount: "/push")\n',
        "config/init.d/ticker": initScript("ticker", "bundle exec ruby script/ticker.rb --since $(date +%s)"),
        "script/ticker.rb": "loop { sleep 1 }\n",
        "Rakefile": 'task :boot do\n  sh "sudo service ticker start"\nend\n',
      }),
      "tally",
    );
    expect(m.workers!.filter((w) => w.backend === "daemon")).toEqual([]);
    const lobby = m.uncarried!.find((x) => x.name === "lobby_push")!;
    expect(lobby.why).toMatch(/a Faye server.*nothing in the repo installs or starts this init script.*listens on 9400 \(config\/init\.d\/lobby_push:23\)/);
    const ticker = m.uncarried!.find((x) => x.name === "ticker")!;
    expect(ticker.why).toMatch(/not carried: its start command .* is not known/);
    expect(ticker.source).toEqual({ file: "config/init.d/ticker", line: 23 });
  });

  it("init scripts of the web server, of a job backend, or of a program that is not the app's are left to their own readers", async () => {
    const m = await analyzeFiles(
      tally({
        "config/init.d/tally_web": initScript("tally_web", "bundle exec unicorn -c config/unicorn.rb -E production -D"),
        "config/unicorn.rb": "worker_processes 2\n",
        "config/init.d/cache": "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: cache\n### END INIT INFO\ncase \"$1\" in\n  start)\n    /usr/bin/memcached -d -m 64\n    ;;\nesac\n",
      }),
      "tally",
    );
    expect((m.uncarried ?? []).map((u) => u.name)).not.toContain("tally_web");
    expect((m.uncarried ?? []).map((u) => u.name)).not.toContain("cache");
    expect((m.workers ?? []).filter((w) => w.backend === "daemon")).toEqual([]);
  });

  it("a god watch and a systemd unit of the repo that start such a server are carried too; the unit's restart is no longer 'a unit file on the servers'", async () => {
    const m = await analyzeFiles(
      tally({
        "config/deploy.rb":
          'set :application, "tally"\nset :deploy_to, "/srv/tally"\nnamespace :deploy do\n  task :restart do\n    on roles(:app) do\n      execute "god -c #{current_path}/config/tally.god"\n      execute :sudo, :systemctl, :restart, "tally-relay"\n    end\n  end\n  after :publishing, :restart\nend\n',
        // god: Process#spawn chdirs into w.dir before it runs w.start (god lib/god/process.rb).
        "config/tally.god": 'God.watch do |w|\n  w.name = "board_push"\n  w.dir = "/srv/tally/current"\n  w.start = "bundle exec ruby script/board_push.rb"\n  w.stop_signal = "QUIT"\n  w.keepalive\nend\n',
        "script/board_push.rb": 'require "em-websocket"\nEM.run { EM::WebSocket.run(host: "0.0.0.0", port: 8090) { |ws| ws.onmessage { |m| ws.send(m) } } }\n',
        "config/systemd/tally-relay.service": "[Unit]\nDescription=relay\n[Service]\nWorkingDirectory=/srv/tally/current\nExecStart=/home/tally/.rbenv/shims/bundle exec thin -R relay.ru -p 9292 start\nKillSignal=SIGINT\n[Install]\nWantedBy=multi-user.target\n",
        "relay.ru": 'require "private_pub"\nrun PrivatePub.faye_app\n',
      }),
      "tally",
    );
    const push = m.workers!.find((w) => w.name === "worker-board-push")!;
    expect(push.args).toEqual(["bundle", "exec", "ruby", "script/board_push.rb"]);
    expect(push.commandSource).toEqual({ file: "config/tally.god", line: 4 });
    expect(push.stopSignal).toBe("QUIT");
    expect(push.ports!.map((p) => p.port)).toEqual([8090]);
    const relay = m.workers!.find((w) => w.name === "worker-tally-relay")!;
    expect(relay.args).toEqual(["bundle", "exec", "thin", "-R", "relay.ru", "-p", "9292", "start"]);
    expect(relay.commandNote).toMatch(/\/home\/tally\/\.rbenv\/shims\/bundle` is the servers' bundle/);
    expect(relay.stopSignal).toBe("INT");
    expect(relay.ports).toEqual([{ port: 9292, source: { file: "config/systemd/tally-relay.service", line: 5 }, websocket: true }]);
    expect((m.uncarried ?? []).map((u) => u.name)).not.toContain("tally-relay");
    const { stages } = emitAndBuild(m);
    for (const objs of Object.values(stages)) for (const o of objs) validateObject(o);
  });

  it("the start line's variables are filled in as real sh fills them", () => {
    // sh runs the script's top-level assignments, then the start branch's line with `su` as a function
    // that prints the words it got: the same words as the line the analysis filled in.
    const script = initScript("scores_feed", "bundle exec ruby bin/scores_feed.rb");
    const top = script.split("\n").filter((l) => /^[A-Z_]+=/.test(l)).join("\n");
    const ours = startCommand(script)!;
    expect(ours.lineNo).toBe(23);
    const line = script.split("\n")[ours.lineNo - 1]!.trim();
    const shell = execFileSync("sh", ["-c", `${top}\nsu() { printf '%s\\n' "$@"; }\n${line}`], { encoding: "utf8" });
    const filled = execFileSync("sh", ["-c", `su() { printf '%s\\n' "$@"; }\n${ours.line}`], { encoding: "utf8" });
    expect(shell).toBe("-\ntally\n-c\ncd /srv/tally/current && bundle exec ruby bin/scores_feed.rb\n");
    expect(filled).toBe(shell);
  });
});
