// Init-script, god and systemd daemons (init-scripts.ts) held to the rules every other worker keeps:
// a secret on the start line or in the arguments never reaches the tracked Deployment; a per-stage
// file runs only on its stage; a start line not read is named, never dropped. The app written here
// is "quill", a notes service deployed by Capistrano 3 to /srv/quill, whose servers ran a push relay.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { redactModel } from "../../src/redact.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";
import type { AppModel } from "../../src/model.js";

const quill = (extra: Record<string, string>) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'set :application, "quill"\nset :deploy_to, "/srv/quill"\n',
    "config/deploy/production.rb": 'server "notes1.example.org", roles: %w[app web db]\n',
    "config/deploy/staging.rb": 'server "notes-stage.example.org", roles: %w[app web db]\n',
    "bin/relay.rb": 'require "socket"\nserver = TCPServer.new(7070)\nloop { server.accept.close }\n',
    "deploy/install.sh": "#!/bin/sh\ncp deploy/rc/relay /etc/init.d/relay\nupdate-rc.d relay defaults\n",
    ...extra,
  });

/** An LSB script whose start branch runs `start` verbatim. */
const rc = (start: string) => `#!/bin/sh
### BEGIN INIT INFO
# Provides:          relay
### END INIT INFO
HOME_DIR="/srv/quill/current"
case "$1" in
  start)
    ${start}
    ;;
  stop)
    kill -TERM \`cat /tmp/relay.pid\`
    ;;
esac
`;

/** Every generated file's text and the guide, as migrate writes them (the guide from the shown model). */
const emitted = (m: AppModel): string => {
  const answers = defaultAnswers(m, {});
  const results = EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }));
  const files = results.flatMap((r) => r.result.files.filter((f) => !/secrets\.env$/.test(f.path)).map((f) => `${f.path}\n${f.content}`));
  return [...files, emitMigrationGuide(redactModel(m), answers, results).content].join("\n");
};

describe("daemons' secrets", () => {
  it("a password set on the start line is held out of the Deployment and the guide, named for secrets.env", async () => {
    const m = await analyzeFiles(quill({ "deploy/rc/relay": rc('su - quill -c "cd $HOME_DIR && RELAY_DB_PASSWORD=quietword9 bundle exec ruby bin/relay.rb"') }), "quill");
    const w = m.workers!.find((x) => x.name === "worker-relay")!;
    expect(w.carried).toBe(true);
    expect(w.env).toEqual({});
    expect(w.secretEnv!.map((e) => e.name)).toEqual(["RELAY_DB_PASSWORD"]);
    const out = emitted(m);
    expect(out).not.toContain("quietword9");
    expect(out).not.toContain("Object]");
    expect(out).toMatch(/secrets\.env\.example[\s\S]*RELAY_DB_PASSWORD/);
    expect(m.problems.some((p) => p.file === "deploy/rc/relay" && /RELAY_DB_PASSWORD/.test(p.message))).toBe(true);
  });

  it("a secret in the daemon's arguments (a flag and its value, a URL's password) keeps it from being carried, named without the secret", async () => {
    for (const [args, secret] of [["--auth-token Qv81zzmp40aa", "Qv81zzmp40aa"], ["--queue redis://:plainpw@cache.internal:6379/2", "plainpw"]] as const) {
      const m = await analyzeFiles(quill({ "deploy/rc/relay": rc(`su - quill -c "cd $HOME_DIR && bundle exec ruby bin/relay.rb ${args}"`) }), "quill");
      expect(m.workers!.some((x) => x.name === "worker-relay"), args).toBe(false);
      const u = m.uncarried!.find((x) => x.name === "relay")!;
      expect(u.why).toMatch(/not carried: its arguments hold a secret/);
      expect(JSON.stringify(u)).not.toContain(secret);
      expect(emitted(m)).not.toContain(secret);
    }
  });

});

describe("daemons' files kept per stage", () => {
  const watch = (flag: string) => `God.watch do |w|\n  w.name = "relay"\n  w.dir = "/srv/quill/current"\n  w.start = "bundle exec ruby bin/relay.rb ${flag}"\n  w.keepalive\nend\n`;
  const unit = (flag: string) => `[Unit]\nDescription=relay\n[Service]\nWorkingDirectory=/srv/quill/current\nExecStart=/usr/local/bin/bundle exec ruby bin/relay.rb ${flag}\n[Install]\nWantedBy=multi-user.target\n`;
  it.each([
    ["god files", { "ops/god/relay_production.god": watch("--fanout 8"), "ops/god/relay_staging.god": watch("--fanout 1"), "ops/load.sh": "#!/bin/sh\ngod -c /srv/quill/current/ops/god/relay_production.god\ngod -c /srv/quill/current/ops/god/relay_staging.god\n" }],
    ["systemd units", { "ops/units/relay-production.service": unit("--fanout 8"), "ops/units/relay-staging.service": unit("--fanout 1"), "ops/load.sh": "#!/bin/sh\nsystemctl enable relay-production\nsystemctl enable relay-staging\n" }],
  ])("%s: each stage runs only its own file's daemon, 0 replicas elsewhere with the reason", async (_, files) => {
    const m = await analyzeFiles(quill(files as Record<string, string>), "quill");
    const ds = m.workers!.filter((w) => w.backend === "daemon");
    expect(ds.map((w) => w.name).sort()).toEqual(["worker-relay-production", "worker-relay-staging"]);
    for (const w of ds) {
      const own = w.name.endsWith("production") ? "production" : "staging";
      const other = own === "production" ? "staging" : "production";
      expect(w.args).toContain(own === "production" ? "8" : "1");
      expect(w.offStages?.[own]).toBeUndefined();
      expect(w.offStages?.[other]?.why).toMatch(new RegExp(`kept for stage ${own}`));
    }
  });
});

describe("daemons whose start line is written another way", () => {
  it("`cd <dir> && cmd &` in the start branch is read through its cd", async () => {
    const m = await analyzeFiles(quill({ "deploy/rc/relay": rc("cd $HOME_DIR && bundle exec ruby bin/relay.rb &") }), "quill");
    const w = m.workers!.find((x) => x.name === "worker-relay")!;
    expect(w.args).toEqual(["bundle", "exec", "ruby", "bin/relay.rb"]);
    expect(w.commandSource).toEqual({ file: "deploy/rc/relay", line: 8 });
  });

  it("a start branch whose command is not read is named as not carried", async () => {
    const m = await analyzeFiles(quill({ "deploy/rc/relay": rc('echo "relay up"\n    true').replace("HOME_DIR=", "# runs /srv/quill/current/bin/relay.rb\nHOME_DIR=") }), "quill");
    expect(m.workers!.some((x) => x.name === "worker-relay")).toBe(false);
    expect(m.uncarried!.find((x) => x.name === "relay")?.why).toMatch(/its start command .* is not known: no line of its start\) branch/);
  });

  it("a start line continued with a backslash is read whole, from its first line", async () => {
    const m = await analyzeFiles(quill({ "deploy/rc/relay": rc('su - quill -c "cd $HOME_DIR && bundle exec ruby bin/relay.rb \\\n      --fanout 4"') }), "quill");
    const w = m.workers!.find((x) => x.name === "worker-relay")!;
    expect(w.args).toEqual(["bundle", "exec", "ruby", "bin/relay.rb", "--fanout", "4"]);
    expect(w.commandSource).toEqual({ file: "deploy/rc/relay", line: 8 });
  });
});

describe("daemons that detach", () => {
  const unit = (extra: string, cmd = "bundle exec ruby bin/relay.rb") => `[Service]\n${extra}WorkingDirectory=/srv/quill/current\nExecStart=/usr/local/bin/${cmd}\n`;
  it.each([
    ["Type=forking", { "ops/relay.service": unit("Type=forking\n") }, /ops\/relay\.service:2 detaches the process \(Type=forking\)/],
    ["PIDFile=", { "ops/relay.service": unit("PIDFile=/srv/quill/shared/relay.pid\n") }, /ops\/relay\.service:2 detaches the process \(PIDFile=/],
    ["a thin config with daemonize: true", { "ops/relay.service": unit("", "bundle exec thin -R relay.ru -C ops/relay-thin.yml start"), "relay.ru": 'run ->(env) { [200, {}, ["ok"]] }\n', "ops/relay-thin.yml": "port: 9400\ndaemonize: true\n" }, /ops\/relay-thin\.yml:2 detaches the process \(daemonize: true\)/],
  ])("%s: not carried, named with the line", async (_, files, why) => {
    const m = await analyzeFiles(quill({ ...(files as Record<string, string>), "deploy/install.sh": "#!/bin/sh\nsystemctl enable relay\n" }), "quill");
    expect(m.workers!.some((x) => x.backend === "daemon")).toBe(false);
    expect(m.uncarried!.find((x) => x.name === "relay")?.why).toMatch(why);
  });
});
