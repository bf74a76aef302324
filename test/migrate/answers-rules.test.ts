// Answers end to end: a saved answer that breaks its rule stops `--yes`/`--answers` (exit 2, every
// such key named with its value and the rule, nothing written); the wizard asks only the questions
// that apply given the answers before them, computes each why from them, and re-asks a typed
// answer that breaks its rule, saying why. The real analysis, emitters and disk; only the terminal
// is replaced.
import { describe, it, expect, afterAll } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { render } from "@inquirer/testing";
import { input } from "@inquirer/prompts";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import { promptFor, type Prompts } from "../../src/wizard.js";
import type { Gap } from "../../src/model.js";
import { copyFixture, recordingIo, ROOT, snapshot } from "./helpers.js";
import { checkSaved, parseAnswers, problemLine, walkGaps } from "../../src/answers.js";
import { kustomizeBuild, removeTrees, requireKubectl, type K8sObject } from "../kustomize/kubectl.js";

afterAll(removeTrees);

const env = (over: Partial<MigrateEnv> = {}): MigrateEnv => ({ interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS, ...over });
const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });

async function migrate(dir: string, opts: Record<string, unknown>, e: MigrateEnv = env()) {
  const io = recordingIo();
  const code = await runMigrate(dir, opts, io, e);
  return { code, out: io.stdout(), err: io.stderr() };
}

/**
 * Prompts that behave like @inquirer's on a user typing `tries` in turn: each try goes through the
 * prompt's own validate, a refused one is shown (recorded) and the next is typed. Selects and
 * confirms answer from `pick`, else take the default.
 */
function typist(tries: Record<string, unknown[]>, pick: Record<string, unknown> = {}) {
  const asked: string[] = [];
  const refused: string[] = [];
  const keyOf = (message: string) => Object.keys({ ...tries, ...pick }).find((k) => message.includes(k));
  const text = async (cfg: { message: string; default?: string; validate?: (s: string) => true | string }) => {
    asked.push(cfg.message);
    const k = keyOf(cfg.message);
    for (const t of k && tries[k] ? tries[k]! : [cfg.default ?? ""]) {
      const ok = cfg.validate ? cfg.validate(String(t)) : true;
      if (ok === true) return String(t);
      refused.push(`${cfg.message} ← ${String(t)}: ${ok}`);
    }
    throw new Error(`every try refused for ${cfg.message}`);
  };
  const choice = async (cfg: { message: string; default?: unknown }) => {
    asked.push(cfg.message);
    const k = keyOf(cfg.message);
    return k && Object.hasOwn(pick, k) ? pick[k] : cfg.default;
  };
  const prompts = { input: text, password: text, select: choice, confirm: choice } as unknown as Prompts;
  return { prompts, asked, refused };
}

/** Every invalid value of the issue, one per answer type, and two keys no question has. */
const INVALID = `# rails2k8s answers
cron.time_zone: Eastern
secret.keys: [DATABASE_URL, America/New_York]
image.tag: V1 Bad
stage.production.namespace: Kube System/../x
stage.production.max_replicas: 1
resources.worker: {requests: {cpu: 2}}
resources.web: {requests: {cpu: 1, memory: 512m}, limits: {cpu: 1, gpu: 1}}
stage.staging2.namespace: shop-staging2
colour: blue
`;

describe("answers are checked against their rules before anything is emitted", () => {
  it("--yes with every invalid value of the issue: exit 2, each key named with its value and its rule, nothing written", async () => {
    const dir = copyFixture("shop");
    writeFileSync(join(dir, ".rails2k8s.yml"), INVALID);
    const before = snapshot(dir);
    const r = await migrate(dir, { yes: true });
    expect(r.code).toBe(2);
    expect(snapshot(dir)).toEqual(before);
    const lines = [
      /cron\.time_zone: "Eastern" — expected an IANA time zone name/,
      /secret\.keys: \["DATABASE_URL","America\/New_York"\] — "America\/New_York": not an env var name/,
      /image\.tag: "V1 Bad" — expected an image tag \(OCI/,
      /stage\.production\.namespace: "Kube System\/\.\.\/x" — expected a Kubernetes name \(RFC 1123 label\)/,
      /stage\.production\.max_replicas: 1 — expected a whole number of pods, at least 2 .*never raised silently/,
      /resources\.worker: \{"requests":\{"cpu":2\}\} — requests\.cpu 2 is above limits\.cpu 1000m \(the default limit: name a limit, or null for none\)/,
      /resources\.web: .* — .*requests\.memory: 512m is a fraction of a byte.*unknown key "limits\.gpu"/,
    ];
    for (const l of lines) expect(r.err).toMatch(l);
    expect(r.err).toMatch(/\.rails2k8s\.yml: 7 answer\(s\) break their rule/);
    expect(r.err).toMatch(/Nothing was written/);
    // Keys no question has are named, not dropped silently.
    expect(r.err).toMatch(/stage staging2 is not a Capistrano stage of this repo \(config\/deploy\/staging2\.rb\): stage\.staging2\.namespace kept but unused/);
    expect(r.err).toMatch(/no question of this analysis has the key\(s\) colour/);
    expect(r.out).not.toMatch(/Wrote/);
  });

  it("--answers FILE on a terminal is as strict as --yes; a dry run without a terminal too", async () => {
    const dir = copyFixture("shop");
    const file = join(dir, "answers.yml");
    writeFileSync(file, "# rails2k8s answers\nimage.tag: V1 Bad\ncron.time_zone: Mars/Olympus\n");
    const before = snapshot(dir);
    const r = await migrate(dir, { answers: file }, env({ interactive: true }));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/image\.tag: "V1 Bad"/);
    expect(r.err).toMatch(/cron\.time_zone: "Mars\/Olympus" — expected an IANA time zone/);
    const dry = await migrate(dir, { answers: file, dryRun: true });
    expect(dry.code).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });

  it("valid answers are used as written: a CPU limit of null means none, a named field replaces the default; kubectl kustomize builds the result", async () => {
    requireKubectl();
    const dir = copyFixture("shop");
    writeFileSync(
      join(dir, ".rails2k8s.yml"),
      `# rails2k8s answers
cron.time_zone: Etc/UTC
image.tag: 3f9c2d1
stage.production.max_replicas: 2
resources.worker: {requests: {cpu: 2}, limits: {cpu: null}}
resources.web: {limits: {memory: 2Gi}}
secret.keys: [DATABASE_URL, SECRET_KEY_BASE]
`,
    );
    const r = await migrate(dir, { yes: true });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const objs: K8sObject[] = kustomizeBuild(dir, "k8s/overlays/production");
    const worker = objs.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-worker"))!;
    const wr = worker.spec.template.spec.containers[0].resources;
    expect(wr.requests.cpu).toBe("2");
    expect(wr.limits.cpu).toBeUndefined(); // no CPU limit
    expect(wr.limits.memory).toBe("856Mi"); // not named: the default
    const web = objs.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-web"))!;
    const main = web.spec.template.spec.containers.find((c: { name: string }) => /web|app|unicorn/.test(c.name)) ?? web.spec.template.spec.containers[0];
    expect(main.resources.limits.memory).toBe("2Gi");
    // Not named: the default (500m per Unicorn worker, shop's 4), and the CPU limit equals it.
    expect(main.resources.requests.cpu).toBe("2000m");
    expect(main.resources.limits.cpu).toBe("2000m");
    const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler")!;
    expect(hpa.spec.maxReplicas).toBe(2);
    for (const c of objs.filter((o) => o.kind === "CronJob")) expect(c.spec.timeZone).toBe("Etc/UTC");
    // The tag, then the hash of the Job's inputs (migration-job.ts).
    expect(objs.find((o) => o.kind === "Job")!.metadata.name).toMatch(/^shop-migrate-3f9c2d1-[a-z0-9]{10}$/);
  }, 60_000);
});

describe("the wizard asks only what applies, and re-asks an answer that breaks its rule", () => {
  it("edge alb: no Gateway question, no TLS question (an ALB takes ACM's certificate)", async () => {
    const dir = copyFixture("ledger");
    const t = typist({}, { "What receives the traffic": "alb" });
    const r = await migrate(dir, { dryRun: true }, env({ interactive: true, prompts: t.prompts }));
    expect(r.code, r.err).toBe(0);
    expect(t.asked.join("\n")).toMatch(/What receives the traffic/);
    expect(t.asked.join("\n")).not.toMatch(/Gateway|TLS certificate|ClusterIssuer|listener/);
    expect(r.out).not.toMatch(/\] gateway\.|\] edge\.tls/);
  });

  it("edge gateway: the Gateway's questions, no TLS source nor issuer (the Gateway's listener holds the certificate)", async () => {
    const dir = copyFixture("ledger");
    const t = typist({}, { "What receives the traffic": "gateway" });
    expect((await migrate(dir, { dryRun: true }, env({ interactive: true, prompts: t.prompts }))).code).toBe(0);
    const asked = t.asked.join("\n");
    expect(asked).toMatch(/Name of the Gateway the cluster provides/);
    expect(asked).toMatch(/Namespace of that Gateway/);
    expect(asked).not.toMatch(/TLS certificate|ClusterIssuer/);
  });

  it("edge ingress-nginx: the TLS source; the issuer only for cert-manager", async () => {
    const dir = copyFixture("ledger");
    const withIssuer = typist({}, { "What receives the traffic": "ingress-nginx", "Where does the TLS certificate": "cert-manager" });
    expect((await migrate(dir, { dryRun: true }, env({ interactive: true, prompts: withIssuer.prompts }))).code).toBe(0);
    expect(withIssuer.asked.join("\n")).toMatch(/TLS certificate[\s\S]*ClusterIssuer/);
    expect(withIssuer.asked.join("\n")).not.toMatch(/Gateway/);
    const bySecret = typist({}, { "What receives the traffic": "ingress-nginx", "Where does the TLS certificate": "secret" });
    expect((await migrate(dir, { dryRun: true }, env({ interactive: true, prompts: bySecret.prompts }))).code).toBe(0);
    expect(bySecret.asked.join("\n")).toMatch(/TLS certificate/);
    expect(bySecret.asked.join("\n")).not.toMatch(/ClusterIssuer/);
  });

  it("the edge question's why follows the image repository answered before it", async () => {
    const dir = copyFixture("ledger");
    const t = typist({ "image repository": ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/ledger"] }, {});
    const r = await migrate(dir, { dryRun: true }, env({ interactive: true, prompts: t.prompts }));
    expect(r.code, r.err).toBe(0);
    const edge = r.out.slice(r.out.indexOf("edge.target"));
    expect(edge).toMatch(/why: Default alb: the image repository answered is in Amazon ECR/);
    expect(edge.slice(0, edge.indexOf("\n[") > 0 ? edge.indexOf("\n[") : undefined)).not.toMatch(/no sign of AWS/);
    // Its default followed: the ALB, so no Gateway question.
    expect(t.asked.join("\n")).not.toMatch(/Name of the Gateway/);
    // MIGRATION.md shows the why as asked, and the default it gave is labelled a default.
    writeFileSync(join(dir, ".rails2k8s.yml"), "# rails2k8s answers\nimage.repository: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ledger\n");
    expect((await migrate(dir, { yes: true })).code).toBe(0);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    const row = guide.split("\n").find((l) => l.includes("`edge.target`"))!;
    expect(row).toMatch(/Amazon ECR/);
    expect(row).not.toMatch(/no sign of AWS/);
    expect(row).toMatch(/\| default \|$/);
    // A question that did not apply shows no answer, and why.
    expect(guide.split("\n").find((l) => l.includes("`gateway.name`"))).toMatch(/\| — \| not asked: `edge\.target` is `alb` \|$/);
  }, 60_000);

  it("typed answers that break their rule are refused with the reason, then the valid one is taken and saved", async () => {
    const dir = copyFixture("shop");
    const t = typist({
      "image tag": ["V1 Bad", "v1.2.3"],
      "Kubernetes namespace does stage production": ["Kube System/../x", "shop-prod"],
      "time zone": ["Eastern", "Mars/Olympus", "america/new_york", "America/New_York"],
      "env vars hold secrets": ["DATABASE_URL, America/New_York", "DATABASE_URL, SECRET_KEY_BASE"],
      "scale up to": ["1", "3"],
      "sidekiq container": ["{requests: {cpu: 2}}", "{requests: {cpu: 2}, limits: {cpu: null}}"],
    });
    const r = await migrate(dir, { yes: false }, env({ interactive: true, prompts: t.prompts }));
    expect(r.code, r.err + r.out.slice(-500)).toBe(0);
    const refused = t.refused.join("\n");
    expect(refused).toMatch(/image tag.*← V1 Bad: expected an image tag/);
    expect(refused).toMatch(/namespace.*← Kube System\/\.\.\/x: expected a Kubernetes name/);
    expect(refused).toMatch(/← Eastern: expected an IANA time zone/);
    expect(refused).toMatch(/← Mars\/Olympus: expected an IANA time zone/);
    expect(refused).toMatch(/← america\/new_york: .*case-sensitive: America\/New_York\?/);
    expect(refused).toMatch(/← DATABASE_URL, America\/New_York: "America\/New_York": not an env var name/);
    expect(refused).toMatch(/production scale up to\? ← 1: expected a whole number of pods, at least 2/);
    expect(refused).toMatch(/← \{requests: \{cpu: 2\}\}: requests\.cpu 2 is above limits\.cpu 1000m/);
    const saved = readFileSync(join(dir, ".rails2k8s.yml"), "utf8");
    expect(saved).toMatch(/^cron\.time_zone: America\/New_York$/m);
    expect(saved).toMatch(/^image\.tag: v1\.2\.3$/m);
    expect(saved).toMatch(/^stage\.production\.max_replicas: 3$/m);
    expect(saved).toMatch(/cpu: null/);
  }, 60_000);

  it("the prompt itself (real @inquirer input) shows the reason and keeps asking", async () => {
    const g: Gap = { id: "cron.time_zone", question: "Zone?", why: "w", default: "Etc/UTC", format: "time-zone" };
    const spec = promptFor(g);
    if (spec.kind !== "input") throw new Error(spec.kind);
    const r = await render(input, spec.config as never);
    for (let i = 0; i < 7; i++) r.events.keypress("backspace");
    r.events.type("Eastern");
    r.events.keypress("enter");
    await r.nextRender();
    expect(r.getScreen()).toMatch(/expected an IANA time zone name/);
    for (let i = 0; i < 7; i++) r.events.keypress("backspace");
    r.events.type("UTC");
    r.events.keypress("enter");
    expect(await r.answer).toBe("UTC");
  });
});

describe("defaults pass their own rules", () => {
  it("on every fixture app, each gap's default (in the context of the defaults before it) is accepted", async () => {
    for (const name of ["shop", "ledger", "legacy", "atlas"]) {
      const model = await analyzeDir(join(ROOT, "fixtures/apps", name), () => false);
      const { answers } = await walkGaps(model.gaps, (g) => g.default);
      // a required gap (atlas's web.server) has no default to accept: --yes stops on it instead
      const { problems } = checkSaved(model.gaps.filter((g) => !g.required), answers);
      expect(problems.map(problemLine), name).toEqual([]);
    }
  }, 60_000);

  it("a TZ in default_env that is not an IANA name is not offered as cron's zone", async () => {
    const dir = copyFixture("shop");
    const model = await analyzeDir(dir, () => false);
    expect(model.gaps.find((g) => g.id === "cron.time_zone")!.default).toBe("Asia/Tokyo");
    const deploy = join(dir, "config/deploy.rb");
    const text = readFileSync(deploy, "utf8");
    writeFileSync(deploy, text.replace('"TZ" => "Asia/Tokyo"', '"TZ" => "Eastern"'));
    const planted = await analyzeDir(dir, () => false);
    expect(planted.gaps.find((g) => g.id === "cron.time_zone")!.default).toBe("Etc/UTC");
  }, 60_000);
});

describe("a suggestion (the mailer's host) is an answer once someone answers it", () => {
  it("--yes keeps it to confirm and saves it commented out; the wizard asks it with the suggestion as default; once answered, --yes replays it and MIGRATION.md stops asking", async () => {
    const dir = copyFixture("helpdesk");
    const guide = () => readFileSync(join(dir, "MIGRATION.md"), "utf8");
    const saved = () => readFileSync(join(dir, ".rails2k8s.yml"), "utf8");
    const HOSTS = /Which host names does stage production answer on\?/;
    const first = await migrate(dir, { yes: true });
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('stage.production.hosts = ["helpdesk.example.net"]  (default, a suggestion: confirm it');
    expect(guide()).toContain("Confirm the hosts of stage production");
    expect(saved()).toMatch(/^# stage\.production\.hosts:/m);
    expect(Object.hasOwn(parseAnswers(saved(), ".rails2k8s.yml"), "stage.production.hosts")).toBe(false);
    // A replay takes the suggestion again, still to confirm, and changes nothing.
    const before = snapshot(dir);
    const again = await migrate(dir, { yes: true });
    expect(again.out).toContain("a suggestion: confirm it");
    expect(snapshot(dir)).toEqual(before);
    // The wizard asks it, the suggestion offered as the default: Enter takes it. Staging's placeholder
    // host, which --yes saved commented out too, is asked again as well.
    const t = typist({});
    const asked = await migrate(dir, {}, env({ interactive: true, prompts: t.prompts }));
    expect(asked.code, asked.err).toBe(0);
    expect(t.asked.filter((m) => HOSTS.test(m))).toHaveLength(1);
    expect(t.asked.some((m) => /Which host names does stage staging/.test(m))).toBe(true);
    expect(parseAnswers(saved(), ".rails2k8s.yml")["stage.production.hosts"]).toEqual(["helpdesk.example.net"]);
    expect(guide()).not.toContain("Confirm the hosts of stage production");
    // Saved and answered: --yes replays it with nothing to confirm, and the next wizard does not ask it.
    const replay = await migrate(dir, { yes: true });
    expect(replay.code, replay.err).toBe(0);
    expect(replay.out).toMatch(/stage\.production\.hosts = \["helpdesk\.example\.net"\]  \(saved in /);
    expect(replay.out).not.toContain("a suggestion: confirm it");
    expect(guide()).not.toContain("Confirm the hosts of stage production");
    const t2 = typist({});
    expect((await migrate(dir, { dryRun: true }, env({ interactive: true, prompts: t2.prompts }))).code).toBe(0);
    expect(t2.asked.some((m) => HOSTS.test(m))).toBe(false);
  }, 120_000);
});
