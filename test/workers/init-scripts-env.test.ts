// What a daemon's source gave its process beyond the command line — the environment a systemd unit,
// an init script or a god watch set — is carried where it is a literal (daemon-env-carried.test.ts);
// what is not (a file of the servers) must be named at its line (variable names only, never a value)
// and in MIGRATION.md's entry for the daemon, and a secret goes to the stage's secrets, never printed. The app written here is "ledger", a bookkeeping
// service deployed by Capistrano 3 to /srv/ledger, whose servers ran a small relay process.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { redactModel } from "../../src/redact.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { expectHeldNowhere } from "../written-files.js";
import type { AppModel } from "../../src/model.js";

const SECRETS = ["zzSignQ7pp31", "hushRelay4422", "apiKeyVv90qq"];

const ledger = (extra: Record<string, string>) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'set :application, "ledger"\nset :deploy_to, "/srv/ledger"\n',
    "config/deploy/production.rb": 'server "books1.example.org", roles: %w[app web db]\n',
    "bin/relay.rb": 'require "socket"\nserver = TCPServer.new(7411)\nloop { server.accept.close }\n',
    ...extra,
  });

const guide = (m: AppModel): string => {
  const answers = defaultAnswers(m, {});
  const results = EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }));
  return emitMigrationGuide(redactModel(m), answers, results).content;
};

const files = (m: AppModel): Record<string, string> => {
  const answers = defaultAnswers(m, {});
  return Object.fromEntries(EMITTERS.flatMap((e) => e.emit(m, answers).files.filter((f) => !/secrets\.env$/.test(f.path)).map((f) => [f.path, f.content])));
};

const warningsAt = (m: AppModel, file: string) => m.problems.filter((p) => p.file === file && p.severity === "warning" && /workers\.daemon-start-not-carried/.test(p.message));

describe("a daemon's environment, named by name only", () => {
  it("a systemd unit's Environment= and EnvironmentFile=", async () => {
    const unit = `[Unit]\nDescription=relay\n[Service]\nWorkingDirectory=/srv/ledger/current\nEnvironment=RELAY_MODE=batch\nEnvironment="RELAY_SIGNING_TOKEN=${SECRETS[0]}"\nEnvironmentFile=-/srv/ledger/shared/relay.env\nExecStart=/usr/bin/bundle exec ruby bin/relay.rb\n[Install]\nWantedBy=multi-user.target\n`;
    const m = await analyzeFiles(ledger({ "ops/relay.service": unit, "ops/install.sh": "#!/bin/sh\nsystemctl enable relay\n" }), "ledger");
    expect(m.workers!.find((w) => w.name === "worker-relay")?.carried).toBe(true);
    const ws = warningsAt(m, "ops/relay.service");
    expect(ws.map((p) => p.line)).toEqual([7]);
    expect(ws[0]!.message).toMatch(/\/srv\/ledger\/shared\/relay\.env.*not carried/);
    expect(m.workers!.find((w) => w.name === "worker-relay")?.env).toEqual({ RELAY_MODE: "batch" });
    expect(m.workers!.find((w) => w.name === "worker-relay")?.secretEnv?.map((e) => e.name)).toEqual(["RELAY_SIGNING_TOKEN"]);
    const g = guide(m);
    expect(g).toMatch(/deployment\/ledger-worker-relay`[^\n]*RELAY_SIGNING_TOKEN[^\n]*secrets\.env\.example/);
    expect(g).toMatch(/deployment\/ledger-worker-relay`[^\n]*relay\.env[^\n]*not carried/);
    expectHeldNowhere({ ...files(m), "MIGRATION.md": g }, JSON.stringify(m.problems) + JSON.stringify(m.workers), SECRETS);
  });

  it("an init script's top-level exports and a sourced file of the servers", async () => {
    const rc = `#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          relay\n### END INIT INFO\n[ -f /etc/default/relay ] && . /etc/default/relay\nexport RELAY_MODE=batch\nRELAY_PASSWORD=${SECRETS[1]}\nexport RELAY_PASSWORD\ncase "$1" in\n  start)\n    cd /srv/ledger/current && bundle exec ruby bin/relay.rb &\n    ;;\n  stop)\n    kill -TERM \`cat /tmp/relay.pid\`\n    ;;\nesac\n`;
    const m = await analyzeFiles(ledger({ "ops/rc/relay": rc, "ops/install.sh": "#!/bin/sh\ncp ops/rc/relay /etc/init.d/relay\nupdate-rc.d relay defaults\n" }), "ledger");
    const ws = warningsAt(m, "ops/rc/relay");
    expect(ws.map((p) => p.line)).toEqual([5]);
    expect(ws[0]!.message).toMatch(/\/etc\/default\/relay.*not carried/);
    expect(m.workers!.find((w) => w.name === "worker-relay")?.env).toEqual({ RELAY_MODE: "batch" });
    const g = guide(m);
    expect(g).toMatch(/deployment\/ledger-worker-relay`[^\n]*RELAY_PASSWORD[^\n]*secrets\.env\.example/);
    expectHeldNowhere({ ...files(m), "MIGRATION.md": g }, JSON.stringify(m.problems) + JSON.stringify(m.workers), SECRETS);
  });
});

describe("a god loop's watches", () => {
  it("each process of the loop is a worker, its w.env carried and its secret held", async () => {
    const god = `ROOT = "/srv/ledger/current"\n3.times do |i|\n  God.watch do |w|\n    w.name = "relay"\n    w.dir = ROOT\n    w.env = { "RELAY_SLOT" => i.to_s, "RELAY_API_KEY" => "${SECRETS[2]}" }\n    w.start = "bundle exec ruby bin/relay.rb --port #{7500 + i}"\n    w.keepalive\n  end\nend\n`;
    const m = await analyzeFiles(ledger({ "ops/relay.god": god, "ops/load.sh": "#!/bin/sh\ngod -c /srv/ledger/current/ops/relay.god\n" }), "ledger");
    const ws = m.workers!.filter((w) => w.backend === "daemon");
    expect(ws.map((w) => [w.name, w.args.at(-1)])).toEqual([["worker-relay-1", "7500"], ["worker-relay-2", "7501"], ["worker-relay-3", "7502"]]);
    expect(ws.map((w) => w.secretEnv?.map((e) => e.name))).toEqual([["RELAY_API_KEY"], ["RELAY_API_KEY"], ["RELAY_API_KEY"]]);
    expect(m.problems.some((p) => /only the first is carried/.test(p.message))).toBe(false);
    const g = guide(m);
    expectHeldNowhere({ ...files(m), "MIGRATION.md": g }, JSON.stringify(m.problems) + JSON.stringify(m.workers), SECRETS);
  });
});
