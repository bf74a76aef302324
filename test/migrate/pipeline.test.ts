// The migrate pipeline end to end, in process: the real analysis of a fixture copy, the real
// emitters and the real disk; only the terminal is replaced (interactive or not, scripted prompts).
import { describe, it, expect } from "vitest";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { RECORD_PATH } from "../../src/generated.js";
import { copyFixture, recordingIo, snapshot } from "./helpers.js";

const env = (over: Partial<MigrateEnv> = {}): MigrateEnv => ({ interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS, ...over });

const noPrompts: Prompts = new Proxy({} as Prompts, {
  get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)),
});

/** Prompts answering from a script: each entry sees the prompt's config and returns the answer. */
function scripted(answer: (kind: string, cfg: { message: string; default?: unknown }) => unknown): Prompts & { asked: string[] } {
  const asked: string[] = [];
  const p = (kind: string) => async (cfg: { message: string; default?: unknown }) => (asked.push(cfg.message), answer(kind, cfg));
  return { input: p("input"), select: p("select"), confirm: p("confirm"), password: p("password"), asked } as unknown as Prompts & { asked: string[] };
}

async function migrate(dir: string, opts: Record<string, unknown>, e: MigrateEnv = env()) {
  const io = recordingIo();
  const code = await runMigrate(dir, opts, io, e);
  return { code, out: io.stdout(), err: io.stderr() };
}

const read = (dir: string, p: string) => readFileSync(join(dir, p), "utf8");

describe("rails2k8s migrate (pipeline)", () => {
  it("--yes writes everything, says where each answer came from; a second --yes writes nothing; --dry-run then shows no diff", async () => {
    const dir = copyFixture();
    const first = await migrate(dir, { yes: true });
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/image\.repository = registry\.example\.com\/shop {2}\(default\)/);
    expect(first.out).toMatch(/Wrote \d+ file\(s\)/);
    for (const p of [".rails2k8s.yml", RECORD_PATH, "MIGRATION.md", ".gitignore", "Dockerfile", "k8s/base/kustomization.yaml"]) expect(existsSync(join(dir, p)), p).toBe(true);
    expect(read(dir, ".gitignore")).toContain("/k8s/overlays/production/secrets.env\n");
    // One image, each stage's own Unicorn capacity and timeout (shop: production 4 workers / 30 s,
    // staging ENV default 2 / 60 s), and the container config reads them.
    expect(read(dir, "k8s/overlays/production/config.env")).toMatch(/^WEB_CONCURRENCY=4\n[\s\S]*^UNICORN_TIMEOUT=30$/m);
    expect(read(dir, "k8s/overlays/staging/config.env")).toMatch(/^WEB_CONCURRENCY=2\n[\s\S]*^UNICORN_TIMEOUT=60$/m);
    expect(read(dir, "config/unicorn/kubernetes.rb")).toContain('timeout Integer(ENV.fetch("UNICORN_TIMEOUT", "30"))');
    // config/database.yml and config/master.key lived only on the servers (linked_files): each
    // overlay's secrets name what replaces them, and the guide says where to take the values.
    for (const stage of ["production", "staging"]) expect(read(dir, `k8s/overlays/${stage}/secrets.env.example`)).toMatch(/^# DATABASE_URL=\n[\s\S]*^# RAILS_MASTER_KEY=$/m);
    expect(read(dir, "MIGRATION.md")).toContain("`DATABASE_URL` replaces `config/database.yml`, which only the servers had");
    // Verify first, switch second: migrate leaves every call site alone (switch-config rewrites them).
    const client = read(dir, "app/services/payment_client.rb");
    expect(client).toBe(readFileSync(join(import.meta.dirname, "../../fixtures/apps/shop/app/services/payment_client.rb"), "utf8"));
    expect(client).not.toContain("Rails.configuration.x");
    expect(execFileSync("ruby", ["-c", join(dir, "app/services/payment_client.rb")], { encoding: "utf8" })).toContain("Syntax OK");

    const after = snapshot(dir);
    const second = await migrate(dir, { yes: true });
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/image\.repository = registry\.example\.com\/shop {2}\(saved in \.rails2k8s\.yml\)/);
    expect(second.out).toContain("Nothing to write");
    expect(snapshot(dir)).toEqual(after);

    const dry = await migrate(dir, { dryRun: true });
    expect(dry.code).toBe(0);
    expect(dry.out).not.toMatch(/^(\+\+\+|---|@@) /m);
    expect(dry.out).not.toMatch(/^\s+(new|changed|conflict)\s/m);
    expect(dry.out).toContain("Dry run: nothing to change.");
    expect(snapshot(dir)).toEqual(after);
  });

  it("an answer to an unknown Capistrano variable is evaluated like the stage file set it: templates render with it", async () => {
    const dir = copyFixture();
    const stageFile = join(dir, "config/deploy/staging.rb");
    writeFileSync(stageFile, read(dir, "config/deploy/staging.rb").replace(/^set :s3_bucket.*$/m, "set :s3_bucket, `cat /etc/shop/bucket`.strip"));
    const before = await migrate(dir, { yes: true, dryRun: true });
    expect(before.out).toMatch(/cap\.staging\.s3_bucket = null {2}\(default\)/);
    writeFileSync(join(dir, ".rails2k8s.yml"), "# rails2k8s answers\ncap.staging.s3_bucket: shop-staging-from-answer\n");
    const run = await migrate(dir, { yes: true });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/cap\.staging\.s3_bucket = shop-staging-from-answer {2}\(saved in \.rails2k8s\.yml\)/);
    const aws = read(dir, "config/custom/aws.yml");
    expect(aws).toMatch(/staging:[\s\S]*bucket: shop-staging-from-answer/);
    expect(aws).toContain("shop-production-assets");
    // the answer is kept for the next run, and the gap is still listed in the guide
    expect(read(dir, ".rails2k8s.yml")).toContain("cap.staging.s3_bucket: shop-staging-from-answer");
    expect(read(dir, "MIGRATION.md")).toContain("cap.staging.s3_bucket");
  });

  it("without a terminal and without --yes: exit 2 at once naming the unanswered gaps, nothing written", async () => {
    const dir = copyFixture();
    const before = snapshot(dir);
    const r = await migrate(dir, {});
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no terminal/);
    expect(r.err).toContain("image.repository");
    expect(r.err).toContain("stage.production.namespace");
    expect(r.err).toMatch(/--yes/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("every gap answered but no terminal: shows the review, then exit 2 asking for --yes or --dry-run", async () => {
    const dir = copyFixture();
    await migrate(dir, { yes: true });
    writeFileSync(join(dir, ".rails2k8s.yml"), read(dir, ".rails2k8s.yml").replace("image.repository: registry.example.com/shop", "image.repository: ghcr.io/acme/shop"));
    const before = snapshot(dir);
    const r = await migrate(dir, {});
    expect(r.code).toBe(2);
    expect(r.out).toContain("+    newName: ghcr.io/acme/shop");
    expect(r.err).toMatch(/use --yes to write, or --dry-run/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a re-run asks nothing already answered; a changed answer regenerates only what depends on it", async () => {
    const dir = copyFixture();
    await migrate(dir, { yes: true });
    writeFileSync(join(dir, ".rails2k8s.yml"), read(dir, ".rails2k8s.yml").replace("stage.staging.namespace: shop-staging", "stage.staging.namespace: shop-stg"));
    const prompts = scripted(() => true);
    const r = await migrate(dir, {}, env({ interactive: true, prompts }));
    expect(r.code).toBe(0);
    expect(prompts.asked).toEqual([expect.stringMatching(/^Write \d+ file\(s\)\?$/)]);
    expect(r.out).toMatch(/changed\s+k8s\/overlays\/staging\/kustomization\.yaml/);
    expect(r.out).toMatch(/unchanged\s+k8s\/overlays\/production\/kustomization\.yaml/);
    expect(read(dir, "k8s/overlays/staging/kustomization.yaml")).toContain("namespace: shop-stg");
  });

  it("the wizard's answers are used and saved; declining the write writes nothing", async () => {
    const dir = copyFixture();
    const before = snapshot(dir);
    const decline = scripted((kind, cfg) => (kind === "confirm" && /^Write/.test(cfg.message) ? false : cfg.default ?? ""));
    const r0 = await migrate(dir, {}, env({ interactive: true, prompts: decline }));
    expect(r0.code).toBe(0);
    expect(r0.out).toContain("Nothing was written.");
    expect(snapshot(dir)).toEqual(before);

    const prompts = scripted((kind, cfg) => {
      if (/image repository/.test(cfg.message)) return "ghcr.io/acme/shop";
      if (/namespace does stage production/.test(cfg.message)) return "shop-prod";
      return kind === "confirm" ? (cfg.default ?? true) : kind === "select" ? cfg.default : typeof cfg.default === "string" ? cfg.default : "";
    });
    const r = await migrate(dir, {}, env({ interactive: true, prompts }));
    expect(r.code).toBe(0);
    const saved = read(dir, ".rails2k8s.yml");
    expect(saved).toContain("# Which container image repository should the cluster pull the app's image from?\nimage.repository: ghcr.io/acme/shop\n");
    expect(saved).toContain("stage.production.namespace: shop-prod\n");
    expect(read(dir, "k8s/overlays/production/kustomization.yaml")).toContain("namespace: shop-prod");
    expect(read(dir, "MIGRATION.md")).toMatch(/\| `image\.repository` \| `ghcr\.io\/acme\/shop` \| answered \|/);
  });

  it("Ctrl-C at a prompt: exit 130, nothing written", async () => {
    const dir = copyFixture();
    const before = snapshot(dir);
    const ctrlC = scripted(() => {
      throw Object.assign(new Error("User force closed the prompt with SIGINT"), { name: "ExitPromptError" });
    });
    const r = await migrate(dir, {}, env({ interactive: true, prompts: ctrlC }));
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/interrupted; nothing was written/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a generated file the team edited survives re-runs (conflict, skipped under --yes); --force overwrites it", async () => {
    const dir = copyFixture();
    await migrate(dir, { yes: true });
    const edited = read(dir, "k8s/base/service.yaml") + "# tuned by the team\n";
    writeFileSync(join(dir, "k8s/base/service.yaml"), edited);
    writeFileSync(join(dir, ".rails2k8s.yml"), read(dir, ".rails2k8s.yml").replace("image.repository: registry.example.com/shop", "image.repository: ghcr.io/acme/shop"));

    const dry = await migrate(dir, { dryRun: true });
    expect(dry.out).toMatch(/conflict\s+k8s\/base\/service\.yaml\s.*\(edited since rails2k8s wrote it\)/);
    const r = await migrate(dir, { yes: true });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/k8s\/base\/service\.yaml edited since rails2k8s wrote it: skipped \(--force overwrites it\)/);
    expect(r.out).toMatch(/skipped\s+k8s\/base\/service\.yaml/);
    expect(read(dir, "k8s/base/service.yaml")).toBe(edited);
    expect(read(dir, "k8s/overlays/production/kustomization.yaml")).toContain("ghcr.io/acme/shop");
    // still a conflict on the next run: the record kept the hash of what rails2k8s wrote
    const again = await migrate(dir, { yes: true });
    expect(again.err).toMatch(/service\.yaml edited since/);
    expect(read(dir, "k8s/base/service.yaml")).toBe(edited);

    // interactive: the team says no to the overwrite
    const keep = scripted((kind) => (kind === "select" ? "keep" : true));
    await migrate(dir, {}, env({ interactive: true, prompts: keep }));
    expect(keep.asked.some((m) => /^k8s\/base\/service\.yaml: keep your version, or take the new one/.test(m))).toBe(true);
    expect(read(dir, "k8s/base/service.yaml")).toBe(edited);

    const forced = await migrate(dir, { yes: true, force: true });
    expect(forced.out).toMatch(/overwrite\s+k8s\/base\/service\.yaml/);
    expect(read(dir, "k8s/base/service.yaml")).not.toContain("tuned by the team");
    expect((await migrate(dir, { yes: true })).out).toContain("Nothing to write");
  });

  it("an existing file the team wrote is a conflict, not silently replaced", async () => {
    const dir = copyFixture();
    writeFileSync(join(dir, "Dockerfile"), "FROM ruby:3.1\n# ours\n");
    const r = await migrate(dir, { yes: true });
    expect(r.err).toMatch(/Dockerfile exists and was not written by rails2k8s: skipped/);
    expect(read(dir, "Dockerfile")).toBe("FROM ruby:3.1\n# ours\n");
  });

  it("secret files: never shown, git-ignored, and once filled in never overwritten", async () => {
    const dir = copyFixture();
    writeFileSync(join(dir, ".gitignore"), "/log/*\n/tmp/*\n");
    const first = await migrate(dir, { yes: true });
    expect(first.out).toContain("--- k8s/overlays/production/secrets.env\n  (secret values hidden)");
    expect(first.out).toContain("+# rails2k8s: files holding secret values (never commit them)\n+/.rails2k8s/secret-files.json\n+/k8s/overlays/production/secrets.env");
    expect(read(dir, ".gitignore")).toMatch(/^\/log\/\*\n\/tmp\/\*\n\n# rails2k8s: files holding secret values \(never commit them\)\n\/\.rails2k8s\/secret-files\.json\n\/k8s\/overlays\/production\/secrets\.env\n\/k8s\/overlays\/staging\/secrets\.env\n$/);
    // The committed record holds no hash of a file with secret values; the git-ignored one does.
    expect(read(dir, ".rails2k8s/generated.json")).not.toContain("secrets.env\"");
    expect(read(dir, ".rails2k8s/secret-files.json")).toContain("k8s/overlays/production/secrets.env");
    const secretPath = join(dir, "k8s/overlays/production/secrets.env");
    writeFileSync(secretPath, read(dir, "k8s/overlays/production/secrets.env").replace(/^# SECRET_KEY_BASE=$/m, "SECRET_KEY_BASE=f4ke-s3cret-for-test"));
    writeFileSync(join(dir, ".rails2k8s.yml"), read(dir, ".rails2k8s.yml").replace(/secret\.keys:\n(  - .*\n)+/, "secret.keys:\n  - SECRET_KEY_BASE\n  - STRIPE_KEY\n"));
    const r = await migrate(dir, { yes: true, force: true });
    expect(r.code).toBe(0);
    expect(r.out + r.err).not.toContain("f4ke-s3cret-for-test");
    expect(r.out).toMatch(/kept\s+k8s\/overlays\/production\/secrets\.env/);
    expect(read(dir, "k8s/overlays/production/secrets.env")).toContain("SECRET_KEY_BASE=f4ke-s3cret-for-test");
    expect(read(dir, ".rails2k8s.yml")).not.toContain("f4ke");
  });

  it("an emitter that throws: exit 1 with its name, nothing written", async () => {
    const dir = copyFixture();
    const before = snapshot(dir);
    const broken = [...EMITTERS, { name: "broken", emit: () => { throw new Error("boom"); } }];
    const r = await migrate(dir, { yes: true }, env({ emitters: broken }));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the broken emitter failed: boom\nNothing was written/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a write that fails part-way (a file where a directory is needed) leaves every file intact", async () => {
    const dir = copyFixture();
    writeFileSync(join(dir, ".gitignore"), "/log/*\n");
    writeFileSync(join(dir, "k8s"), "a file where rails2k8s needs a directory\n");
    const before = snapshot(dir);
    const r = await migrate(dir, { yes: true });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/writing failed: .*k8s: a file stands where a directory is needed\nNothing was changed/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a write that fails part-way on a re-run (a directory where a file goes, --force) leaves the earlier output intact", async () => {
    const dir = copyFixture();
    await migrate(dir, { yes: true });
    writeFileSync(join(dir, ".rails2k8s.yml"), read(dir, ".rails2k8s.yml").replace("image.repository: registry.example.com/shop", "image.repository: ghcr.io/acme/shop"));
    rmSync(join(dir, "k8s/base/service.yaml"));
    mkdirSync(join(dir, "k8s/base/service.yaml"));
    const before = snapshot(dir);
    const r = await migrate(dir, { yes: true, force: true });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/service\.yaml: a directory stands where the file goes/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("--answers FILE outside the repo: read from and saved there, not in the repo", async () => {
    const dir = copyFixture();
    const answers = join(dirname(dir), "answers.yml");
    writeFileSync(answers, "# rails2k8s answers (hand-written)\nimage.repository: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop\n");
    const r = await migrate(dir, { yes: true, answers });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/image\.repository = 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/shop {2}\(saved in /);
    expect(existsSync(join(dir, ".rails2k8s.yml"))).toBe(false);
    expect(readFileSync(answers, "utf8")).toContain("stage.production.namespace: shop-production");
    expect(read(dir, "k8s/overlays/production/kustomization.yaml")).toContain("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop");
  });

  it("a broken answers file is exit 2 with its name; a misfit answer under --yes is exit 2 naming it", async () => {
    const dir = copyFixture();
    writeFileSync(join(dir, ".rails2k8s.yml"), "# rails2k8s answers\n- not\n- a mapping\n");
    const bad = await migrate(dir, { yes: true });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/\.rails2k8s\.yml: expected a mapping/);
    writeFileSync(join(dir, ".rails2k8s.yml"), "# rails2k8s answers\nedge.target: haproxy\n");
    const r = await migrate(dir, { yes: true });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/edge\.target: "haproxy" — expected one of gateway, alb, ingress-nginx/);
    expect(r.err).toMatch(/Nothing was written/);
  });
});
