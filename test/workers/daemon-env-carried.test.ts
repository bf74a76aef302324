// A daemon's own environment, as its service manager gave it, reaches its worker's container: the
// literal values as env entries (escaped for the kubelet), a secret by name only into the stage's
// secrets.env.example, and a value naming a server path or one the servers' shell computed named at
// its line and left out. A god loop's processes are each carried: passes alike as replicas, passes
// that differ as a worker each. The app ("tollgate", a fare counter deployed by Capistrano 3 to
// /srv/tollgate) and its service files are written for this test; real Ruby runs the god file with
// god's DSL stubbed (god is not packaged), real systemd-analyze reads the unit.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { expectHeldNowhere } from "../written-files.js";
import { parse } from "yaml";
import { kubeletUnescape } from "../../emitters/encode/kubelet.js";
import type { AppModel } from "../../src/model.js";

const TOKEN = "tgSig8Qw0PzL33x";
const PASS = "fareVault77Zq";

const tollgate = (extra: Record<string, string>) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'set :application, "tollgate"\nset :deploy_to, "/srv/tollgate"\n',
    "config/deploy/production.rb": 'server "gate1.example.net", roles: %w[app web db]\n',
    "bin/counter.rb": 'require "socket"\nloop { sleep 5 }\n',
    ...extra,
  });

const tree = (m: AppModel): Record<string, string> => {
  const answers = defaultAnswers(m, {});
  return Object.fromEntries(EMITTERS.flatMap((e) => e.emit(m, answers).files.map((f) => [f.path, f.content])));
};
const container = (t: Record<string, string>, file: string) => (parse(t[file]!) as any).spec.template.spec.containers[0];
const notCarried = (m: AppModel, file: string) => m.problems.filter((p) => p.file === file && /workers\.daemon-start-not-carried/.test(p.message));

const UNIT = `[Unit]
Description=tollgate fare counter
[Service]
WorkingDirectory=/srv/tollgate/current
Environment=COUNTER_MODE=batch "COUNTER_BANNER=fares $(zone) at $$5"
Environment=COUNTER_SIGNING_TOKEN=${TOKEN}
Environment=COUNTER_SPOOL=/srv/tollgate/shared/spool
Environment=COUNTER_HOME=%h/counter
EnvironmentFile=-/etc/tollgate/counter.env
ExecStart=/usr/bin/bundle exec ruby bin/counter.rb
[Install]
WantedBy=multi-user.target
`;

describe("a daemon's environment is carried", () => {
  it("a systemd unit: literals escaped for the kubelet, a secret held, a server path, a specifier and an EnvironmentFile named", async () => {
    // systemd itself reads the unit as written (its Environment= quoting).
    const dir = mkdtempSync(join(tmpdir(), "r2k-unit-"));
    writeFileSync(join(dir, "counter.service"), UNIT.replace("/usr/bin/bundle", "/bin/true"));
    const v = spawnSync("systemd-analyze", ["verify", join(dir, "counter.service")], { encoding: "utf8" });
    const own = v.stderr.split("\n").filter((l) => l.includes("counter.service"));
    expect(own.join("\n")).not.toMatch(/Failed to parse|Invalid environment|Ignoring|assignment/i);
    const m = await analyzeFiles(tollgate({ "ops/counter.service": UNIT, "ops/install.sh": "#!/bin/sh\nsystemctl enable counter\n" }), "tollgate");
    const w = m.workers!.find((x) => x.name === "worker-counter")!;
    expect(w.carried).toBe(true);
    expect(w.env).toEqual({ COUNTER_MODE: "batch", COUNTER_BANNER: "fares $(zone) at $$5" });
    expect(w.secretEnv?.map((e) => [e.name, e.source?.line])).toEqual([["COUNTER_SIGNING_TOKEN", 6]]);
    const nc = notCarried(m, "ops/counter.service");
    expect(nc.map((p) => p.line)).toEqual([7, 8, 9]);
    expect(nc[0]!.message).toMatch(/`COUNTER_SPOOL`.*path of the servers/);
    expect(nc[1]!.message).toMatch(/`COUNTER_HOME`.*specifier/);
    expect(nc[2]!.message).toMatch(/\/etc\/tollgate\/counter\.env/);
    const t = tree(m);
    const env = container(t, "k8s/base/worker-counter-deployment.yaml").env as { name: string; value: string }[];
    // The kubelet turns `$$` into `$` and `$(x)` into a variable's value: written so it gives the unit's text back.
    const banner = env.find((e) => e.name === "COUNTER_BANNER")!.value;
    expect(banner).toContain("$$(zone)");
    expect(kubeletUnescape(banner)).toBe("fares $(zone) at $$5");
    expect(env.some((e) => /TOKEN|SPOOL|COUNTER_HOME/.test(e.name))).toBe(false);
    expect(t["k8s/overlays/production/secrets.env.example"]).toMatch(/^# COUNTER_SIGNING_TOKEN=$/m);
    expectHeldNowhere(Object.fromEntries(Object.entries(t).filter(([p]) => !p.endsWith("/secrets.env"))), JSON.stringify(m.problems) + JSON.stringify(m.workers), [TOKEN]);
  });

  it("an init script: exports before the start, the script's own variables filled in, a password held, an unset variable named", async () => {
    const rc = `#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          counter\n### END INIT INFO\nZONE=north\nCOUNTER_DB_PASSWORD=${PASS}\nexport COUNTER_ZONE="$ZONE-1" COUNTER_LIMIT=40\nexport COUNTER_DB_PASSWORD\nexport COUNTER_USER_DIR=$HOME/counter\nexport COUNTER_HOST=\`hostname\`\ncase "$1" in\n  start)\n    cd /srv/tollgate/current && bundle exec ruby bin/counter.rb &\n    ;;\n  stop)\n    kill -TERM \`cat /tmp/counter.pid\`\n    ;;\nesac\n`;
    const m = await analyzeFiles(tollgate({ "ops/rc/counter": rc, "ops/install.sh": "#!/bin/sh\ncp ops/rc/counter /etc/init.d/counter\nupdate-rc.d counter defaults\n" }), "tollgate");
    // The shell's own reading of the exports, for the carried values.
    const sh = spawnSync("sh", ["-c", `${rc.split("\ncase")[0]}\nprintf '%s|%s' "$COUNTER_ZONE" "$COUNTER_LIMIT"`], { encoding: "utf8" });
    const w = m.workers!.find((x) => x.name === "worker-counter")!;
    expect(w.env).toEqual({ COUNTER_ZONE: sh.stdout.split("|")[0], COUNTER_LIMIT: sh.stdout.split("|")[1] });
    expect(w.secretEnv?.map((e) => e.name)).toEqual(["COUNTER_DB_PASSWORD"]);
    const nc = notCarried(m, "ops/rc/counter");
    expect(nc.map((p) => p.line)).toEqual([9, 10]);
    expect(nc[0]!.message).toMatch(/`COUNTER_USER_DIR`.*\$HOME is not set by the script/);
    expect(nc[1]!.message).toMatch(/`COUNTER_HOST`.*command substitution/);
    const t = tree(m);
    expectHeldNowhere(Object.fromEntries(Object.entries(t).filter(([p]) => !p.endsWith("/secrets.env"))), JSON.stringify(m.problems) + JSON.stringify(m.workers), [PASS]);
  });
});

/** Real Ruby runs a god file with god's DSL stubbed: each watch's name, start and env, in order. */
function realGod(text: string): { name: string; start: string; env: Record<string, string> | null }[] {
  const dir = mkdtempSync(join(tmpdir(), "r2k-god-"));
  writeFileSync(join(dir, "x.god"), text);
  const stub = `W = Struct.new(:name, :dir, :env, :start, :stop_signal, :group, :interval, :keepalive) do
  def keepalive(*) = nil
end
module God; @ws = []; def self.ws = @ws; def self.watch; w = W.new; yield w; @ws << w; end; end
load ARGV[0]
puts JSON.generate(God.ws.map { |w| { name: w.name, start: w.start, env: w.env && w.env.to_h { |k, v| [k.to_s, v.to_s] } } })`;
  const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "x.god")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("a god loop's processes are all carried", () => {
  it("%w(...).each: one worker per distinct process, each with its own env", async () => {
    const god = `ROOT = "/srv/tollgate/current"\n%w(north south east).each do |zone|\n  God.watch do |w|\n    w.name = "counter-#{zone}"\n    w.dir = ROOT\n    w.env = { "COUNTER_ZONE" => zone, "COUNTER_API_KEY" => "${TOKEN}" }\n    w.start = "bundle exec ruby bin/counter.rb --zone #{zone}"\n    w.keepalive\n  end\nend\n`;
    const real = realGod(god);
    const m = await analyzeFiles(tollgate({ "ops/counter.god": god, "ops/load.sh": "#!/bin/sh\ngod -c /srv/tollgate/current/ops/counter.god\n" }), "tollgate");
    const ws = m.workers!.filter((w) => w.backend === "daemon");
    expect(ws.map((w) => w.name)).toEqual(real.map((r) => `worker-${r.name}`));
    for (const [i, r] of real.entries()) {
      expect(ws[i]!.args.join(" ")).toBe(r.start);
      const { COUNTER_API_KEY: _held, ...plain } = r.env!;
      expect(ws[i]!.env).toEqual(plain);
      expect(ws[i]!.secretEnv?.map((e) => e.name)).toEqual(["COUNTER_API_KEY"]);
    }
    expect(m.problems.some((p) => /only the first is carried/.test(p.message))).toBe(false);
    const t = tree(m);
    expect(Object.keys(t).filter((p) => /^k8s\/base\/worker-counter-.*-deployment\.yaml$/.test(p)).sort()).toEqual(["k8s/base/worker-counter-east-deployment.yaml", "k8s/base/worker-counter-north-deployment.yaml", "k8s/base/worker-counter-south-deployment.yaml"]);
    expectHeldNowhere(Object.fromEntries(Object.entries(t).filter(([p]) => !p.endsWith("/secrets.env"))), JSON.stringify(m.problems) + JSON.stringify(m.workers), [TOKEN]);
  });

  it("N.times with the same command: one worker, N replicas", async () => {
    const god = `3.times do |i|\n  God.watch do |w|\n    w.name = "counter"\n    w.dir = "/srv/tollgate/current"\n    w.env = { "COUNTER_MODE" => "batch" }\n    w.start = "bundle exec ruby bin/counter.rb"\n  end\nend\n`;
    expect(realGod(god).length).toBe(3);
    const m = await analyzeFiles(tollgate({ "ops/counter.god": god, "ops/load.sh": "#!/bin/sh\ngod -c /srv/tollgate/current/ops/counter.god\n" }), "tollgate");
    const ws = m.workers!.filter((w) => w.backend === "daemon");
    expect(ws.map((w) => [w.name, w.env, w.processesPerServer?.value])).toEqual([["worker-counter", { COUNTER_MODE: "batch" }, 3]]);
    const t = tree(m);
    const overlay = t["k8s/overlays/production/kustomization.yaml"]! + Object.entries(t).filter(([p]) => p.startsWith("k8s/overlays/production/")).map(([, x]) => x).join("\n");
    expect(overlay).toMatch(/name: tollgate-worker-counter[\s\S]*?replicas: 3|replicas: 3[\s\S]*?tollgate-worker-counter/);
  });

  it("a loop of more distinct processes than the cap is cut there, the cut named", async () => {
    const god = `(1..60).each do |n|\n  God.watch do |w|\n    w.name = "counter-#{n}"\n    w.dir = "/srv/tollgate/current"\n    w.start = "bundle exec ruby bin/counter.rb --lane #{n}"\n  end\nend\n`;
    expect(realGod(god).length).toBe(60);
    const m = await analyzeFiles(tollgate({ "ops/counter.god": god, "ops/load.sh": "#!/bin/sh\ngod -c /srv/tollgate/current/ops/counter.god\n" }), "tollgate");
    expect(m.workers!.filter((w) => w.backend === "daemon").length).toBe(50);
    const cut = m.problems.filter((p) => /workers\.god-loop-cut/.test(p.message));
    expect(cut.map((p) => `${p.file}:${p.line}`)).toEqual(["ops/counter.god:5"]);
    expect(cut[0]!.message).toMatch(/starts 60 different processes; the first 50 are carried, 10 are not \(`bundle exec ruby bin\/counter\.rb --lane 51`/);
  });
});
