// The pipelines the release emitter writes: GitHub workflows judged by actionlint (zero findings),
// CircleCI and GitLab by their structure (their CLIs and published schemas are not on this machine),
// bin/k8s-deploy by shellcheck; no `:latest` anywhere in what the overlays or the pipeline deploy.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { emitRelease } from "../../emitters/release/index.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { GITHUB_WORKFLOW } from "../../emitters/release/github.js";
import { CIRCLECI_CONFIG } from "../../emitters/release/circleci.js";
import { GITLAB_CONFIG } from "../../emitters/release/gitlab.js";
import { DEPLOY_SCRIPT } from "../../emitters/release/deploy-script.js";
import { findGaps } from "../../src/gaps/index.js";
import { emptyModel } from "../kustomize/models.js";
import { actionlint, allAnswers, requireShellcheck, shellcheck, shopWithBranches } from "./helpers.js";

beforeAll(requireShellcheck);

const ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop";
const VARIANTS = [
  { name: "other registry, push", answers: { "image.repository": "ghcr.io/acme/shop" } },
  { name: "ECR, push, EKS", answers: { "image.repository": ECR, "ci.aws.role_arn": "arn:aws:iam::123456789012:role/shop-deploy", "ci.eks.cluster": "main" } },
  { name: "ECR, argocd", answers: { "image.repository": ECR, "deploy.mode": "argocd", "secrets.backend": "external-secrets" } },
  { name: "Docker Hub, no sidecar", answers: { "image.repository": "acme/shop", "container.nginx_sidecar": false } },
  { name: "ECR, kubeconfig access", answers: { "image.repository": ECR, "ci.cluster_access": "kubeconfig" } },
];

const fileOf = (files: { path: string; content: string }[], path: string) => {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${files.map((x) => x.path).join(", ")}`);
  return f.content;
};

describe("GitHub Actions", () => {
  for (const v of VARIANTS)
    it(`${v.name}: actionlint finds nothing; every image built with the commit tag; deploy after build; production protected`, async () => {
      const m = shopWithBranches();
      const answers = allAnswers(m, { "ci.provider": "github-actions", ...v.answers });
      const r = emitRelease(m, answers);
      const text = fileOf(r.files, GITHUB_WORKFLOW);
      expect(await actionlint(text, GITHUB_WORKFLOW)).toEqual([]);
      const wf = parse(text);
      expect(wf.on.push.branches.sort()).toEqual(["develop", "main"]);
      const builds = wf.jobs.build.steps.filter((s: any) => String(s.uses).startsWith("docker/build-push-action"));
      const sidecar = v.answers["container.nginx_sidecar"] !== false;
      expect(builds.length).toBe(sidecar ? 2 : 1);
      for (const b of builds) {
        expect(b.with.tags).toMatch(/:\$\{\{ steps\.tag\.outputs\.tag \}\}$/);
        expect(b.with["cache-from"]).toMatch(/^type=gha/);
      }
      const prod = wf.jobs["deploy-production"];
      expect(prod.needs).toBe("build");
      expect(prod.environment).toBe("production");
      expect(prod.if).toBe("github.ref == 'refs/heads/main'");
      expect(wf.jobs["deploy-staging"].if).toBe("github.ref == 'refs/heads/develop'");
      const last = prod.steps.at(-1);
      if (answers["deploy.mode"] === "argocd") expect(prod.steps.some((s: any) => /git push/.test(s.run ?? ""))).toBe(true);
      else expect(last.run).toBe('bin/k8s-deploy "$STAGE" "$TAG"');
      const ecr = String(answers["image.repository"]).includes(".dkr.ecr.");
      const steps = wf.jobs.build.steps.map((s: any) => s.uses ?? "");
      if (ecr) {
        expect(steps).toContain("aws-actions/amazon-ecr-login@v2");
        expect(wf.jobs.build.permissions["id-token"]).toBe("write");
      } else expect(steps).toContain("docker/login-action@v3");
      expect(text).not.toMatch(/:latest\b/);
    });

  it("the role ARN is written when answered, else read from a CI variable", () => {
    const m = shopWithBranches();
    const withRole = fileOf(emitRelease(m, allAnswers(m, { "image.repository": ECR, "ci.aws.role_arn": "arn:aws:iam::123456789012:role/shop-deploy" })).files, GITHUB_WORKFLOW);
    expect(withRole).toContain("role-to-assume: arn:aws:iam::123456789012:role/shop-deploy");
    const without = fileOf(emitRelease(m, allAnswers(m, { "image.repository": ECR })).files, GITHUB_WORKFLOW);
    expect(without).toContain("role-to-assume: ${{ secrets.AWS_ROLE_ARN }}");
    // A value that is not a role ARN never reaches the file.
    const bad = fileOf(emitRelease(m, allAnswers(m, { "image.repository": ECR, "ci.aws.role_arn": "x; curl evil" })).files, GITHUB_WORKFLOW);
    expect(bad).not.toContain("curl evil");
  });

  it("a stage whose branch nobody knows is not deployed by the pipeline, and that is said", async () => {
    const m = shopWithBranches();
    delete m.stages.find((s) => s.name === "staging")!.variables["branch"];
    const answers = allAnswers(m);
    expect(findGaps(m).map((g) => g.id)).toContain("ci.staging.branch");
    const r = emitRelease(m, answers);
    const wf = parse(fileOf(r.files, GITHUB_WORKFLOW));
    expect(Object.keys(wf.jobs)).toEqual(["build", "deploy-production"]);
    expect(r.notes.some((n) => /stage staging: no branch is known/.test(n.message))).toBe(true);
    // Answered, it is deployed.
    const wf2 = parse(fileOf(emitRelease(m, allAnswers(m, { "ci.staging.branch": "develop" })).files, GITHUB_WORKFLOW));
    expect(Object.keys(wf2.jobs)).toContain("deploy-staging");
    expect(await actionlint(fileOf(emitRelease(m, allAnswers(m, { "ci.staging.branch": "develop" })).files, GITHUB_WORKFLOW), GITHUB_WORKFLOW)).toEqual([]);
  });

  it("a branch read from ENV is a gap whose default is Capistrano's fallback", () => {
    const m = shopWithBranches();
    m.stages[0]!.variables["branch"] = { value: { env: "BRANCH", default: "release" }, source: { file: "config/deploy.rb", line: 8 } };
    const gap = findGaps(m).find((g) => g.id === `ci.${m.stages[0]!.name}.branch`)!;
    expect(gap.default).toBe("release");
  });
});

describe("CircleCI and GitLab (structure: no CLI or published schema here)", () => {
  it("CircleCI: build on the stages' branches, production after an approval job, every job's commands parse as shell", () => {
    const m = shopWithBranches();
    const r = emitRelease(m, allAnswers(m, { "ci.provider": "circleci", "image.repository": ECR }));
    const c = parse(fileOf(r.files, CIRCLECI_CONFIG));
    expect(c.version).toBe(2.1);
    const flow = c.workflows.deploy.jobs.map((j: any) => (typeof j === "string" ? { [j]: {} } : j));
    const byName = Object.fromEntries(flow.map((j: any) => [Object.keys(j)[0], Object.values(j)[0]]));
    expect(byName["approve-production"].type).toBe("approval");
    expect(byName["deploy-production"].requires).toEqual(["approve-production"]);
    expect(byName["deploy-staging"].requires).toEqual(["build"]);
    expect(byName["deploy-production"].filters.branches.only).toEqual(["main"]);
    for (const job of Object.keys(c.jobs)) expect(byName[job], job).toBeTruthy();
    const build = c.jobs.build.steps[1].run.command as string;
    expect(build).toMatch(/docker buildx build --push --file Dockerfile --tag "\$IMAGE_0:\$TAG"/);
    expect(build).toMatch(/--cache-to "type=registry/);
    expect(build).toContain("aws ecr get-login-password");
    expect(c.jobs["deploy-production"].steps[1].run.command).toContain('bin/k8s-deploy "$STAGE" "$TAG"');
    for (const job of Object.values<any>(c.jobs)) for (const s of job.steps) if (s.run) expect(shellcheck(`#!/bin/sh\n${s.run.command}\n`).replace(/.*SC2034.*\n?/g, "")).toBe("");
    expect(JSON.stringify(c)).not.toMatch(/:latest\b/);
  });

  it("GitLab: build and deploy stages, production a manual job in a production-tier environment, scripts parse as shell", () => {
    const m = shopWithBranches();
    const r = emitRelease(m, allAnswers(m, { "ci.provider": "gitlab" }));
    const g = parse(fileOf(r.files, GITLAB_CONFIG));
    expect(g.stages).toEqual(["build", "deploy"]);
    expect(g.build.rules[0].if).toBe('$CI_COMMIT_BRANCH == "main" || $CI_COMMIT_BRANCH == "develop"');
    const prod = g["deploy-production"];
    expect(prod.environment).toEqual({ name: "production", deployment_tier: "production" });
    expect(prod.rules[0]).toEqual({ if: '$CI_COMMIT_BRANCH == "main"', when: "manual" });
    expect(prod.needs).toEqual(["build"]);
    expect(prod.script.at(-1)).toBe('bin/k8s-deploy "$STAGE" "$TAG"');
    for (const job of ["build", "deploy-production", "deploy-staging"]) expect(shellcheck(`#!/bin/sh\n${g[job].script.join("\n")}\n`), job).toBe("");
    expect(JSON.stringify(g)).not.toMatch(/:latest\b/);
  });

  it("the CI default follows the repo's own CI config, else GitHub Actions", () => {
    const m = shopWithBranches();
    expect(findGaps(m).find((x) => x.id === "ci.provider")!.default).toBe("github-actions");
    m.release!.ci = [{ provider: "gitlab", source: { file: ".gitlab-ci.yml", line: 0 } }];
    expect(findGaps(m).find((x) => x.id === "ci.provider")!.default).toBe("gitlab");
  });

  it("ci.provider none writes no pipeline, bin/k8s-deploy still", () => {
    const m = shopWithBranches();
    const r = emitRelease(m, allAnswers(m, { "ci.provider": "none" }));
    expect(r.files.map((f) => f.path)).toEqual([DEPLOY_SCRIPT]);
  });
});

describe("bin/k8s-deploy under shellcheck", () => {
  const cases = [
    { name: "push, migration, worker", model: shopWithBranches, answers: {} },
    { name: "argocd", model: shopWithBranches, answers: { "deploy.mode": "argocd" } },
    { name: "no database, no stages", model: () => emptyModel("Tiny App"), answers: {} },
  ];
  for (const c of cases)
    it(c.name, () => {
      const m = c.model();
      const r = emitRelease(m, allAnswers(m, c.answers));
      const script = r.files.find((f) => f.path === DEPLOY_SCRIPT)!;
      expect(script.mode).toBe(0o755);
      expect(shellcheck(script.content)).toBe("");
    });
});

describe("no :latest", () => {
  it("the overlays start at the repo's commit, and an answer of latest is never deployed", () => {
    const m = shopWithBranches();
    expect(findGaps(m).find((g) => g.id === "image.tag")!.default).toBe("3f9c2ab");
    for (const tag of [undefined, "latest"]) {
      const answers = allAnswers(m, tag ? { "image.tag": tag } : {});
      const files = [...emitKustomize(m, answers).files, ...emitRelease(m, answers).files];
      for (const f of files) expect(f.content, f.path).not.toMatch(/newTag: latest|:latest\b/);
      const k = parse(fileOf(files, "k8s/overlays/production/kustomization.yaml"));
      for (const i of k.images) expect(i.newTag).toBe("3f9c2ab");
    }
  });

  it("not a git checkout: the tag is a gap whose default names no image, and that is said", () => {
    const m = shopWithBranches();
    m.release = { commit: null, ci: [] };
    const gap = findGaps(m).find((g) => g.id === "image.tag")!;
    expect(gap.default).toBe("unreleased");
    expect(gap.why).toMatch(/not a git checkout/);
    const r = emitRelease(m, allAnswers(m));
    expect(r.notes.some((n) => /unreleased/.test(n.message))).toBe(true);
  });
});
