// An answers file can come with the repo (.rails2k8s.yml is committed). Every answer that becomes a
// name, a reference or a URL in the output is held to the grammar its emitter uses: a value the
// emitter would drop is refused up front (exit 2, the file and key named, nothing written), never
// taken, listed as answered in MIGRATION.md and then silently ignored. Branch names are judged by
// git itself.
import { describe, it, expect, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { runMigrate, type MigrateEnv } from "../../../src/migrate.js";
import { analyzeDir } from "../../../src/analyze.js";
import { EMITTERS } from "../../../emitters/index.js";
import type { Prompts } from "../../../src/wizard.js";
import type { AnswerFormat, Gap, Stage } from "../../../src/model.js";
import { formatProblem } from "../../../src/answers.js";
import { findGaps } from "../../../src/gaps/index.js";
import { stageBranch } from "../../../emitters/release/rules.js";
import { keyScheme } from "../../../emitters/kustomize/secrets-backend/external-secrets.js";
import { sopsRecipient } from "../../../emitters/kustomize/secrets-backend/sops.js";
import { copyFixture, recordingIo, snapshot } from "../../migrate/helpers.js";
import { removeTrees } from "../../kustomize/kubectl.js";

afterAll(removeTrees);

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

async function migrate(dir: string) {
  const io = recordingIo();
  const code = await runMigrate(dir, { yes: true }, io, env);
  return { code, out: io.stdout(), err: io.stderr() };
}

const PWN = "$(touch /tmp/PWN)";
/** The auditor's answers: each was taken, listed as answered, then dropped by its emitter. */
const HOSTILE: Record<string, string> = {
  "ci.staging.branch": `dev"${PWN}'\${{ secrets.X }}`,
  "ci.aws.role_arn": `arn:aws:iam::123456789012:role/x${PWN}`,
  "ci.eks.cluster": `c${PWN}`,
  "external_secrets.key_scheme": `{app}/{stage}/{key}${PWN}"\n x: y`,
  "argocd.repo_url": `https://u:p@git.example.com/acme/shop.git${PWN}`,
};
/** The choices under which each of them is asked. */
const CONTEXT = "ci.provider: github-actions\nci.cluster_access: eks\ndeploy.mode: argocd\nsecrets.backend: external-secrets\n";

describe("a repo's own answers file with answers its emitters would drop", () => {
  it.each(Object.keys(HOSTILE))("%s: exit 2 naming the file and the key, nothing written", async (key) => {
    const dir = copyFixture("shop");
    writeFileSync(join(dir, ".rails2k8s.yml"), `# rails2k8s answers\n${CONTEXT}${JSON.stringify(key)}: ${JSON.stringify(HOSTILE[key])}\n`);
    const before = snapshot(dir);
    const r = await migrate(dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\.rails2k8s\.yml: 1 answer\(s\) break their rule/);
    expect(r.err).toContain(`  ${key}: "`);
    // Named, never shown: the URL's password is cut from the terminal as any secret is.
    expect(r.err).not.toContain("u:p@");
    expect(r.err).toMatch(/Nothing was written/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("the same keys with valid values are taken and used: the staging job, the role, the cluster, the scheme, the Application", async () => {
    const dir = copyFixture("shop");
    const good = {
      "ci.staging.branch": "release/2.0",
      "ci.aws.role_arn": "arn:aws:iam::123456789012:role/deploy/shop-ci",
      "ci.eks.cluster": "shop-prod_1",
      "external_secrets.key_scheme": "/shop/{stage}/{key}",
      "argocd.repo_url": "git@github.com:acme/shop.git",
    };
    const lines = Object.entries(good).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n");
    // Push mode with an ECR image: the pipeline assumes the role and reaches the EKS cluster.
    writeFileSync(join(dir, ".rails2k8s.yml"), `# rails2k8s answers\n${CONTEXT.replace("deploy.mode: argocd", "deploy.mode: push")}image.repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop\n${lines}\n`);
    const r = await migrate(dir);
    expect(r.err).not.toMatch(/break their rule/);
    expect(r.code).toBe(0);
    const files = () => Object.keys(snapshot(dir)).filter((p) => !p.endsWith("/") && !p.startsWith(".git/"));
    const read = (p: string) => readFileSync(join(dir, p), "utf8");
    const workflow = read(files().find((p) => p.startsWith(".github/workflows/"))!);
    expect(workflow).toContain("refs/heads/release/2.0");
    expect(workflow).toContain(good["ci.aws.role_arn"]);
    expect(workflow).toContain(good["ci.eks.cluster"]);
    expect(files().filter((p) => p.startsWith("k8s/") && read(p).includes("/shop/staging/SECRET_KEY_BASE")).length).toBeGreaterThan(0);
    // Argo CD mode: each stage's Application reads the answered URL.
    writeFileSync(join(dir, ".rails2k8s.yml"), `# rails2k8s answers\n${CONTEXT}${lines}\n`);
    const again = await migrate(dir);
    expect(again.code).toBe(0);
    expect(files().filter((p) => read(p).includes(`repoURL: ${good["argocd.repo_url"]}`)).length).toBeGreaterThan(0);
  });
});

describe("every gap states its grammar", () => {
  it("each gap of the shop fixture has choices, a format, or a default whose shape is its rule (booleans, free Capistrano values, secret paths)", async () => {
    const model = await analyzeDir(copyFixture("shop"));
    const gaps: Gap[] = findGaps(model);
    const loose = gaps.filter((g) => !g.choices && !g.format && typeof g.default === "string");
    // Free text on purpose: a Capistrano variable's value, which reaches a file only through that file's encoder.
    expect(loose.filter((g) => !/^cap\./.test(g.id)).map((g) => g.id)).toEqual([]);
    for (const id of ["ci.staging.branch", "ci.aws.role_arn", "ci.eks.cluster", "external_secrets.key_scheme", "argocd.repo_url", "sops.recipient"])
      expect(gaps.find((g) => g.id === id)?.format, id).toBeTruthy();
  });
});

// --- the grammar and the emitter agree; git agrees with the grammar -----------------------------

const stage = { name: "staging", source: { file: "config/deploy/staging.rb", line: 1 }, variables: { branch: { value: { unknown: "computed" }, source: { file: "x", line: 1 } } }, servers: [] } as unknown as Stage;
const ok = (f: AnswerFormat, v: string) => formatProblem(f, v) === null;

describe("property: an answer the grammar takes is the one the emitter writes", () => {
  it("git-branch: git check-ref-format --branch takes it, and the pipeline deploys from it", () => {
    const chars = fc.constantFrom(..."ab/.-_@{}~^:?*[\\ $\"'0lockHEAD".split(""));
    const names = fc.oneof(fc.string({ unit: chars, minLength: 1, maxLength: 12 }), fc.constantFrom("HEAD", "a.lock", "a/.b", "-x", "/a", "a//b", "a..b", "main", "release/1.2", "a.lock/b"));
    const taken: string[] = [];
    fc.assert(
      fc.property(names, (n) => {
        if (!ok("git-branch", n)) return;
        taken.push(n);
        expect(stageBranch(stage, { "ci.staging.branch": n }).branch).toBe(n);
      }),
      { numRuns: 400, seed: 7 },
    );
    expect(taken.length).toBeGreaterThan(20);
    const refused = taken.filter((n) => spawnSync("git", ["check-ref-format", "--branch", n], { encoding: "utf8" }).status !== 0);
    expect(refused).toEqual([]);
    for (const bad of ["HEAD", "a.lock", "a/.b", "-x", "a..b", "a//b", HOSTILE["ci.staging.branch"]!]) expect(ok("git-branch", bad), bad).toBe(false);
  });

  it("key-scheme: the scheme taken is the scheme used, for the longest app names", () => {
    const parts = fc.constantFrom("{app}", "{stage}", "{key}", "/", "-", "x", "{foo}", "$", '"', "\n", "{", "_");
    fc.assert(
      fc.property(fc.array(parts, { minLength: 1, maxLength: 8 }).map((p) => p.join("")), (s) => {
        if (!ok("key-scheme", s)) return;
        expect(keyScheme({ "external_secrets.key_scheme": s }, "a".repeat(63)).scheme).toBe(s);
      }),
      { numRuns: 400, seed: 7 },
    );
    expect(ok("key-scheme", "{app}/{stage}/{key}")).toBe(true);
    expect(ok("key-scheme", "{app}/{env}/{key}")).toBe(false);
  });

  it("sops-recipient, iam-role-arn, eks-cluster, git-url: taken means used; credentials in a URL are refused", () => {
    expect(sopsRecipient({ "sops.recipient": "age1" + "q".repeat(58) })).not.toBeNull();
    expect(ok("sops-recipient", "age1" + "q".repeat(58))).toBe(true);
    expect(ok("sops-recipient", "age1x;rm")).toBe(false);
    expect(ok("git-url", "https://u:p@github.com/acme/shop.git")).toBe(false);
    expect(ok("git-url", "https://ghp_abc@github.com/acme/shop.git")).toBe(false);
    expect(ok("git-url", "https://github.com/acme/shop.git")).toBe(true);
    expect(ok("iam-role-arn", "")).toBe(true);
    expect(formatProblem("eks-cluster", null)).toBeNull();
  });
});
