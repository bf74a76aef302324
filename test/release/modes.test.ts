// Every overlay in every mode, built by the real `kubectl kustomize` and validated against the
// schemas (Kubernetes, External Secrets `external-secrets.io/v1`, Argo CD `argoproj.io/v1alpha1`);
// the MIGRATION.md loading script under shellcheck and run by /bin/sh against a recording `aws`
// stub (no AWS here: the stub judges nothing, the test checks that values travel only on stdin).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import { ExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { emitRelease } from "../../emitters/release/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { loadSecretsScript } from "../../emitters/release/guide.js";
import { kustomizeBuild, removeTrees, requireKubectl, writeTree, type K8sObject } from "../kustomize/kubectl.js";
import { validateObject } from "../kustomize/validate.js";
import { restrictedViolations } from "../kustomize/restricted.js";
import { allAnswers, requireShellcheck, shellcheck, shopWithBranches } from "./helpers.js";
import type { Answers } from "../../src/model.js";

beforeAll(() => {
  requireKubectl();
  requireShellcheck();
});
afterAll(removeTrees);

const validateCrd = (o: K8sObject) => {
  if (o.kind === "ExternalSecret") new ExternalSecret(o as any).validate();
  else if (o.kind === "Application") new Application(o as any).validate();
};

function build(answers: Answers, dropKsops = false) {
  const m = shopWithBranches();
  const a = allAnswers(m, answers);
  const k = emitKustomize(m, a);
  const r = emitRelease(m, a);
  let files = [...k.files, ...r.files];
  // kubectl cannot run KSOPS (an exec plugin, not installed here): the rest of a sops overlay is built without it.
  if (dropKsops)
    files = files.map((f) => {
      if (!f.path.endsWith("/kustomization.yaml") || !f.path.includes("overlays")) return f;
      const doc = parse(f.content);
      delete doc.generators;
      return { ...f, content: JSON.stringify(doc) };
    });
  const root = writeTree(files);
  const stages = Object.fromEntries(m.stages.map((s) => [s.name, kustomizeBuild(root, `k8s/overlays/${s.name}`)]));
  return { m, a, k, r, stages, files: [...k.files, ...r.files] };
}

const MODES = ["push", "argocd"];
const BACKENDS = ["env-files", "external-secrets", "sops"];

describe("every overlay in every mode builds and validates", () => {
  for (const mode of MODES)
    for (const backend of BACKENDS)
      it(`deploy.mode ${mode}, secrets.backend ${backend}`, () => {
        const { stages, files } = build({ "deploy.mode": mode, "secrets.backend": backend, "argocd.repo_url": "https://github.com/acme/shop.git" }, backend === "sops");
        for (const [stage, objects] of Object.entries(stages)) {
          const own = objects.filter((o) => o.kind !== "ExternalSecret");
          for (const o of own) {
            validateObject(o);
            expect(restrictedViolations(o), `${o.kind}/${o.metadata.name}`).toEqual([]);
          }
          const es = objects.filter((o) => o.kind === "ExternalSecret");
          es.forEach(validateCrd);
          const job = objects.find((o) => o.kind === "Job")!;
          const hook = job.metadata.annotations?.["argocd.argoproj.io/hook"];
          expect(hook, `${stage} Job hook`).toBe(mode === "argocd" ? "PreSync" : undefined);
          if (mode === "argocd") expect(job.metadata.annotations["argocd.argoproj.io/hook-delete-policy"]).toBe("BeforeHookCreation");
          // The Secrets the pods read; the migration Job also reads its inputs Secret (config.env and
          // the image, hashed into its name), which is not where secrets come from.
          const inputs = job.spec.template.spec.containers[0].envFrom.map((e: any) => e.secretRef?.name).filter((n: string) => n && n.startsWith(job.metadata.name.replace(/-[a-z0-9]{10}$/, "")));
          const secretsRead = new Set(objects.flatMap((o: any) => (o.spec?.template?.spec?.containers ?? o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []).flatMap((c: any) => (c.envFrom ?? []).map((e: any) => e.secretRef?.name).filter((n: string) => n && !inputs.includes(n)))));
          expect(inputs.length, `${stage}: the Job reads its inputs Secret`).toBe(1);
          // Under Argo CD the Job is a PreSync hook: the Secret it reads must be created before it.
          const inputsSecret = objects.find((o) => o.kind === "Secret" && o.metadata.name === inputs[0])!;
          expect(inputsSecret.metadata.annotations?.["argocd.argoproj.io/hook"], `${stage} inputs Secret hook`).toBe(mode === "argocd" ? "PreSync" : undefined);
          if (mode === "argocd") expect(inputsSecret.metadata.annotations["argocd.argoproj.io/sync-wave"]).toBe("-1");
          const wave = (o: K8sObject) => Number(o.metadata.annotations?.["argocd.argoproj.io/sync-wave"] ?? 0);
          const jobReads = job.spec.template.spec.containers[0].envFrom.map((e: any) => e.secretRef?.name).filter((n: string) => n && !inputs.includes(n));
          if (backend === "external-secrets") {
            // Under Argo CD the Job (PreSync: only hooks run there) reads its own copy of the stage's
            // secrets, a PreSync hook in an earlier wave; the stage's ExternalSecret is a Sync resource.
            expect(es.length).toBe(mode === "argocd" ? 2 : 1);
            const main = es.find((o) => !o.metadata.annotations?.["argocd.argoproj.io/hook"]);
            expect(main!.metadata.name).toBe("shop-secrets");
            if (mode === "argocd") {
              const copy = es.find((o) => o.metadata.annotations?.["argocd.argoproj.io/hook"] === "PreSync")!;
              expect(copy.metadata.name).toBe("shop-migrate-secrets");
              expect(copy.spec.target.name).toBe(copy.metadata.name);
              expect(copy.spec.data).toEqual(main!.spec.data);
              expect(wave(copy)).toBeLessThan(wave(job));
              expect(jobReads).toEqual([copy.spec.target.name]);
              expect(main!.metadata.annotations?.["argocd.argoproj.io/hook"]).toBeUndefined();
            } else expect(jobReads).toEqual([main!.spec.target.name]);
            // No Secret but the migration Job's inputs (config.env and the image): secrets come from the store.
            expect(objects.filter((o) => o.kind === "Secret").map((o) => o.metadata.name)).toEqual(inputs);
            // The ExternalSecret's target is exactly what every pod's envFrom reads.
            const podsRead = new Set(objects.filter((o) => o !== job).flatMap((o: any) => (o.spec?.template?.spec?.containers ?? o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []).flatMap((c: any) => (c.envFrom ?? []).map((e: any) => e.secretRef?.name).filter(Boolean))));
            expect([...podsRead]).toEqual([main!.spec.target.name]);
            expect([...secretsRead].sort()).toEqual(es.map((e) => e.spec.target.name).sort());
            expect(main!.metadata.namespace).toBe(`shop-${stage}`);
            expect(main!.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "aws-secrets-manager" });
            for (const d of main!.spec.data) expect(d.remoteRef.key).toBe(`shop/${stage}/${d.secretKey}`);
            expect(main!.spec.data.map((d: any) => d.secretKey)).toContain("SECRET_KEY_BASE");
          } else if (backend === "env-files") {
            const secret = stageSecret(objects)!;
            expect([...secretsRead]).toEqual([secret.metadata.name]);
          }
        }
        const paths = files.map((f) => f.path);
        if (backend !== "env-files") {
          expect(paths.some((p) => /secrets\.env$/.test(p))).toBe(false);
          // The only generator left is the migration Job's inputs, which never reads secrets.env.
          for (const f of files.filter((f) => f.path.endsWith("kustomization.yaml"))) expect(f.content).not.toMatch(/envs:[^\n]*\n(?:\s+- [^\n]+\n)*\s+- secrets\.env/);
        } else expect(paths).toContain("k8s/overlays/production/secrets.env");
        if (backend === "sops") {
          const sops = parse(files.find((f) => f.path === ".sops.yaml")!.content);
          expect(sops.creation_rules[0].path_regex).toBe("k8s/overlays/[^/]+/secrets\\.enc\\.env$");
          const k = parse(files.find((f) => f.path === "k8s/overlays/production/kustomization.yaml")!.content);
          expect(k.generators).toEqual(["secret-generator.yaml"]);
          const gen = parse(files.find((f) => f.path === "k8s/overlays/production/secret-generator.yaml")!.content);
          expect(gen).toMatchObject({ apiVersion: "viaduct.ai/v1", kind: "ksops" });
          expect(gen.secretFrom[0]).toEqual({ metadata: { name: "shop-secrets" }, envs: ["./secrets.enc.env"] });
          // Argo CD: a second Secret from the same file, the migration Job's PreSync copy in wave -1.
          expect(gen.secretFrom.slice(1)).toEqual(
            mode === "argocd"
              ? [{ metadata: { name: "shop-migrate-secrets", annotations: { "argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation", "argocd.argoproj.io/sync-wave": "-1" } }, envs: ["./secrets.enc.env"] }]
              : [],
          );
          for (const objects of Object.values(stages)) {
            const job = objects.find((o) => o.kind === "Job")!;
            const reads = job.spec.template.spec.containers[0].envFrom.map((e: any) => e.secretRef?.name).filter(Boolean);
            expect(reads).toContain(mode === "argocd" ? "shop-migrate-secrets" : "shop-secrets");
          }
          expect(gen.metadata.annotations["config.kubernetes.io/function"]).toContain("path: ksops");
        }
        const apps = files.filter((f) => f.path.startsWith("k8s/argocd/"));
        if (mode === "argocd") {
          expect(apps.map((f) => f.path).sort()).toEqual(["k8s/argocd/production.yaml", "k8s/argocd/staging.yaml"]);
          for (const f of apps) {
            const app = parse(f.content);
            validateCrd(app);
            expect(app.spec.source.repoURL).toBe("https://github.com/acme/shop.git");
            expect(app.spec.source.path).toMatch(/^k8s\/overlays\/(production|staging)$/);
          }
          expect(parse(apps[0]!.content).spec.source.targetRevision).toBe("main");
        } else expect(apps).toEqual([]);
      });

  it("an answered key scheme and store name reach the ExternalSecret; an unusable scheme falls back to the default", () => {
    const { stages } = build({ "secrets.backend": "external-secrets", "external_secrets.store": "prod-ssm", "external_secrets.key_scheme": "/{app}/{stage}/env/{key}" });
    const es = stages["production"]!.find((o) => o.kind === "ExternalSecret")!;
    expect(es.spec.secretStoreRef.name).toBe("prod-ssm");
    expect(es.spec.data[0].remoteRef.key).toMatch(/^\/shop\/production\/env\/[A-Z_]+$/);
    const bad = build({ "secrets.backend": "external-secrets", "external_secrets.key_scheme": "no key placeholder $(x)" });
    const es2 = bad.stages["staging"]!.find((o) => o.kind === "ExternalSecret")!;
    expect(es2.spec.data[0].remoteRef.key).toMatch(/^shop\/staging\/[A-Z_]+$/);
  });

  it("argocd without a repo URL writes no Application and says so", () => {
    const { r } = build({ "deploy.mode": "argocd" });
    expect(r.files.some((f) => f.path.startsWith("k8s/argocd/"))).toBe(false);
    expect(r.notes.some((n) => /argocd\.repo_url/.test(n.message))).toBe(true);
  });
});

describe("MIGRATION.md: secrets at rest", () => {
  it("external-secrets: the guide carries the loading script; shellcheck passes; values go only through stdin", () => {
    const m = shopWithBranches();
    const a = allAnswers(m, { "secrets.backend": "external-secrets" });
    const guide = emitMigrationGuide({ ...m, gaps: [] }, a, [{ name: "kustomize", result: emitKustomize(m, a) }]).content;
    expect(guide).toContain("## Secrets at rest");
    const script = /```sh\n([\s\S]*?)\n```/.exec(guide)![1]! + "\n";
    expect(script).toBe(loadSecretsScript(m, a));
    expect(shellcheck(script)).toBe("");

    const dir = mkdtempSync(join(tmpdir(), "r2k-load-"));
    writeFileSync(join(dir, "load-secrets.sh"), script);
    writeFileSync(join(dir, "aws"), `#!/bin/sh\nprintf '%s|' "$*" >> "$CALLS"\ncat >> "$CALLS"\necho >> "$CALLS"\ncase "$*" in *describe-secret*) exit "$EXISTS" ;; esac\nexit 0\n`, { mode: 0o755 });
    writeFileSync(join(dir, "server.env"), `# from /etc/shop/env\nexport DATABASE_PASSWORD="p@ss w0rd;$(rm -rf /)"\nSTRIPE_KEY='sk_live_fake'\n\nbad-name=x\nPLAIN=abc=def\n`);
    for (const [service, exists] of [["secretsmanager", "1"], ["secretsmanager", "0"], ["ssm", "0"]] as const) {
      writeFileSync(join(dir, "calls"), "");
      const r = spawnSync("/bin/sh", [join(dir, "load-secrets.sh"), "production", join(dir, "server.env"), service], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin`, CALLS: join(dir, "calls"), EXISTS: exists } });
      expect(r.status, r.stderr).toBe(0);
      const out = r.stdout + r.stderr;
      for (const v of ["p@ss", "sk_live_fake", "abc=def"]) expect(out).not.toContain(v);
      expect(r.stdout).toContain("loaded DATABASE_PASSWORD -> shop/production/DATABASE_PASSWORD");
      expect(r.stderr).toContain("skipped a line");
      const calls = readFileSync(join(dir, "calls"), "utf8").trim().split("\n");
      const writes = calls.filter((c) => !c.includes("describe-secret"));
      expect(writes.length).toBe(3);
      // Each value arrives on stdin, exactly, and never among the arguments.
      const byName = Object.fromEntries(writes.map((c) => { const [args, stdin] = c.split("|"); return [/shop\/production\/(\w+)/.exec(args!)![1]!, { args: args!, stdin }]; }));
      expect(byName["DATABASE_PASSWORD"]!.stdin).toBe("p@ss w0rd;$(rm -rf /)");
      expect(byName["STRIPE_KEY"]!.stdin).toBe("sk_live_fake");
      expect(byName["PLAIN"]!.stdin).toBe("abc=def");
      for (const w of Object.values(byName)) expect(w.args).toContain("file:///dev/stdin");
      const verb = service === "ssm" ? "ssm put-parameter" : exists === "0" ? "secretsmanager put-secret-value" : "secretsmanager create-secret";
      for (const w of Object.values(byName)) expect(w.args).toContain(verb);
    }
  });

  for (const [backend, file] of [["external-secrets", "external-secret.yaml"], ["sops", "secrets.enc.env"], ["env-files", "secrets.env"]] as const)
    it(`${backend}: the provenance rows of each secret key name ${file}, the file that holds it; secrets.env only where it exists`, () => {
      const m = shopWithBranches();
      const a = allAnswers(m, { "secrets.backend": backend });
      const k = emitKustomize(m, a);
      const guide = emitMigrationGuide({ ...m, gaps: [] }, a, [{ name: "kustomize", result: k }]).content;
      const rows = guide.split("\n").filter((l) => l.startsWith("| `k8s/"));
      for (const st of m.stages) {
        const keyRows = rows.filter((r) => r.startsWith(`| \`k8s/overlays/${st.name}/${file}\``) && !/ secret keys of stage /.test(r));
        expect(keyRows.length, `${backend} ${st.name}\n${rows.join("\n")}`).toBeGreaterThan(0);
        if (backend !== "env-files") {
          expect(k.files.some((f) => f.path === `k8s/overlays/${st.name}/secrets.env`)).toBe(false);
          expect(rows.filter((r) => r.includes(`overlays/${st.name}/secrets.env`))).toEqual([]);
        }
      }
      if (backend !== "env-files") expect(guide).not.toMatch(/(?:hash of|whenever the)[^|\n]*secrets\.env/);
    });

  it("sops: the guide gives the encrypt commands per stage, with the recipient", () => {
    const m = shopWithBranches();
    const age = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    const a = allAnswers(m, { "secrets.backend": "sops", "sops.recipient": age });
    const guide = emitMigrationGuide({ ...m, gaps: [] }, a, []).content;
    expect(guide).toContain(age);
    expect(guide).toContain("sops --encrypt --filename-override k8s/overlays/production/secrets.enc.env --input-type dotenv --output-type dotenv /path/to/the/servers/env-file > k8s/overlays/production/secrets.enc.env");
    const sops = parse(emitRelease(m, a).files.find((f) => f.path === ".sops.yaml")!.content);
    expect(sops.creation_rules[0].age).toBe(age);
  });
});

describe("AWS access on EKS (aws.identity)", () => {
  const withKeys = () => {
    const m = shopWithBranches();
    for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) m.secrets.push({ name, kind: "env", reason: "ENV read", source: { file: "config/initializers/aws.rb", line: 3 } } as any);
    return m;
  };
  for (const identity of ["irsa", "pod-identity"])
    for (const backend of ["env-files", "external-secrets"])
      it(`${identity}, ${backend}: a ServiceAccount per stage, every pod on it, the static keys out of the secrets`, async () => {
        const { ServiceAccount } = await import("kubernetes-models/v1");
        const m = withKeys();
        const gaps = (await import("../../src/gaps/index.js")).findGaps(m).map((g) => g.id);
        expect(gaps).toEqual(expect.arrayContaining(["aws.identity", "stage.production.aws_role_arn", "stage.staging.aws_role_arn"]));
        const role = "arn:aws:iam::123456789012:role/shop-production";
        const a = allAnswers(m, { "aws.identity": identity, "stage.production.aws_role_arn": role, "secrets.backend": backend });
        const k = emitKustomize(m, a);
        const root = writeTree(k.files);
        for (const stage of ["production", "staging"]) {
          const objects = kustomizeBuild(root, `k8s/overlays/${stage}`);
          const sa = objects.find((o) => o.kind === "ServiceAccount")!;
          new ServiceAccount(sa as any).validate();
          expect(sa.metadata.name).toBe("shop-app");
          expect(sa.automountServiceAccountToken).toBe(false);
          expect(sa.metadata.annotations?.["eks.amazonaws.com/role-arn"]).toBe(identity === "irsa" && stage === "production" ? role : undefined);
          const pods = objects.flatMap((o: any) => [o.spec?.template?.spec, o.spec?.jobTemplate?.spec?.template?.spec].filter(Boolean));
          expect(pods.length).toBeGreaterThan(2);
          for (const p of pods) {
            expect(p.serviceAccountName).toBe("shop-app");
            expect(p.automountServiceAccountToken).toBe(false);
          }
          const secret = stageSecret(objects);
          const keys = secret ? Object.keys(secret["data"] ?? {}) : objects.find((o) => o.kind === "ExternalSecret")!.spec.data.map((d: any) => d.secretKey);
          expect(keys.length).toBeGreaterThan(0);
          for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) expect(keys).not.toContain(key);
        }
        if (identity === "pod-identity") expect(k.notes.some((n) => n.message.includes("aws eks create-pod-identity-association") && n.message.includes(role))).toBe(true);
        else expect(k.notes.some((n) => /no IAM role is known for stage staging/.test(n.message))).toBe(true);
      });

  for (const identity of ["irsa", "pod-identity"])
    it(`${identity} under Argo CD: the migration Job (a PreSync hook) runs as its own ServiceAccount, itself a PreSync hook in wave -1`, async () => {
      const { ServiceAccount } = await import("kubernetes-models/v1");
      const m = withKeys();
      const role = "arn:aws:iam::123456789012:role/shop-production";
      const a = allAnswers(m, { "aws.identity": identity, "stage.production.aws_role_arn": role, "deploy.mode": "argocd" });
      const k = emitKustomize(m, a);
      const objects = kustomizeBuild(writeTree(k.files), "k8s/overlays/production");
      const sas = objects.filter((o) => o.kind === "ServiceAccount");
      expect(sas.map((o) => o.metadata.name).sort()).toEqual(["shop-app", "shop-migrate"]);
      for (const sa of sas) new ServiceAccount(sa as any).validate();
      const hook = sas.find((o) => o.metadata.name === "shop-migrate")!;
      expect(hook.metadata.annotations).toMatchObject({ "argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/sync-wave": "-1" });
      expect(hook.metadata.annotations?.["eks.amazonaws.com/role-arn"]).toBe(identity === "irsa" ? role : undefined);
      // the app's own ServiceAccount stays a Sync resource (a hook would be deleted and re-created each sync)
      expect(sas.find((o) => o.metadata.name === "shop-app")!.metadata.annotations?.["argocd.argoproj.io/hook"]).toBeUndefined();
      const job = objects.find((o) => o.kind === "Job")!;
      expect(job.metadata.annotations?.["argocd.argoproj.io/hook"]).toBe("PreSync");
      expect(job.spec.template.spec.serviceAccountName).toBe("shop-migrate");
      for (const d of objects.filter((o) => o.kind === "Deployment")) expect(d.spec.template.spec.serviceAccountName).toBe("shop-app");
      expect(k.notes.some((n) => n.message.includes("shop-migrate") && (identity === "irsa" ? /trust policy/.test(n.message) : /create-pod-identity-association/.test(n.message)))).toBe(true);
    });

  it("static-keys (the default) keeps today's Secret, with the keys", () => {
    const m = withKeys();
    const k = emitKustomize(m, allAnswers(m));
    const root = writeTree(k.files);
    const objects = kustomizeBuild(root, "k8s/overlays/production");
    expect(objects.some((o) => o.kind === "ServiceAccount")).toBe(false);
    // The keys stay in the stage's secrets (an unfilled key is a commented line until filled in).
    expect(stageSecret(objects)).toBeDefined();
    expect(k.files.find((f) => f.path === "k8s/overlays/production/secrets.env.example")!.content).toMatch(/^# AWS_ACCESS_KEY_ID=|^AWS_ACCESS_KEY_ID=/m);
  });
});

/** The stage's Secret (what envFrom reads), not the migration Job's inputs Secret. */
function stageSecret(objects: any[]): any {
  return objects.find((o) => o.kind === "Secret" && /^shop-secrets(-|$)/.test(o.metadata.name));
}
