// bin/k8s-deploy's control flow, run for real by /bin/sh with kubectl and kustomize replaced by
// PATH stubs that record their arguments (no cluster here; the stubs judge nothing). What is judged
// by real tools: the `kustomize edit set image` arguments the script passed are applied to the
// overlay (the edit kustomize would make: one images entry per name) and the real `kubectl kustomize`
// must then build every container at the new tag, the migration Job named for it.
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { emitRelease } from "../../emitters/release/index.js";
import { DEPLOY_SCRIPT } from "../../emitters/release/deploy-script.js";
import { kustomizeBuild, removeTrees, writeTree } from "../kustomize/kubectl.js";
import { allAnswers, shopWithBranches } from "./helpers.js";

afterAll(removeTrees);

const KUBECTL = `#!/bin/sh
echo "kubectl $*" >> "$CALLS"
if [ "$1" = -n ]; then shift 2; fi
case $1 in
  apply) case "$*" in *"-o name"*) printf 'configmap/shop-config-abc\\nsecret/shop-secrets-def\\njob.batch/shop-migrate-%s\\n' "$STUB_TAG" ;; esac ;;
  wait) exit "$STUB_WAIT" ;;
  get) printf '%s' "$STUB_FAILED" ;;
  logs) echo "rake aborted! boom" ;;
esac
exit 0
`;
const KUSTOMIZE = `#!/bin/sh
echo "kustomize $* (in $(pwd))" >> "$CALLS"
`;

function setup(withKustomize = true) {
  const m = shopWithBranches();
  const answers = allAnswers(m, { "image.repository": "ghcr.io/acme/shop" });
  const root = writeTree([...emitKustomize(m, answers).files, ...emitRelease(m, answers).files]);
  chmodSync(join(root, DEPLOY_SCRIPT), 0o755);
  const stubs = join(root, ".stubs");
  mkdirSync(stubs);
  writeFileSync(join(stubs, "kubectl"), KUBECTL, { mode: 0o755 });
  if (withKustomize) writeFileSync(join(stubs, "kustomize"), KUSTOMIZE, { mode: 0o755 });
  return { root, stubs };
}

function run(root: string, stubs: string, args: string[], env: Record<string, string> = {}) {
  const calls = join(root, ".calls");
  writeFileSync(calls, "");
  const r = spawnSync("/bin/sh", [join(root, DEPLOY_SCRIPT), ...args], {
    encoding: "utf8",
    env: { PATH: `${stubs}:/usr/bin:/bin`, CALLS: calls, STUB_TAG: args[1] ?? "", STUB_WAIT: "0", STUB_FAILED: "", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(calls, "utf8").trim().split("\n").filter(Boolean) };
}

/** The edit `kustomize edit set image NAME=REPO:TAG...` makes to the overlay's images list. */
function applyImageEdit(root: string, call: string): void {
  const dir = /\(in (.*)\)$/.exec(call)![1]!;
  const file = join(dir, "kustomization.yaml");
  const k = parse(readFileSync(file, "utf8"));
  const args = call.replace(/^kustomize edit set image /, "").replace(/ \(in .*\)$/, "").split(" ");
  for (const a of args) {
    const m = /^([^=]+)=(.+):([^:/]+)$/.exec(a)!;
    const entry = k.images.find((i: any) => i.name === m[1]);
    expect(entry, `images entry ${m[1]}`).toBeTruthy();
    Object.assign(entry, { newName: m[2], newTag: m[3] });
  }
  writeFileSync(file, stringify(k));
}

describe("bin/k8s-deploy STAGE TAG", () => {
  it("sets every image, applies config and Job, waits for it, then applies and waits for each rollout; the edited overlay builds at the new tag", () => {
    const { root, stubs } = setup();
    const r = run(root, stubs, ["production", "9e8d7c6"]);
    expect(r.status, r.stderr).toBe(0);
    const kinds = r.calls.map((c) => c.split(" ").slice(0, 2).join(" "));
    expect(kinds).toEqual(["kustomize edit", "kubectl apply", "kubectl -n", "kubectl apply", "kubectl -n", "kubectl -n"]);
    expect(r.calls[1]).toContain("-l app.kubernetes.io/component in (namespace,config,migration) -o name");
    expect(r.calls[2]).toBe("kubectl -n shop-production wait --for=condition=complete --timeout=10s job.batch/shop-migrate-9e8d7c6");
    expect(r.calls[3]).toBe(`kubectl apply -k ${root}/k8s/overlays/production`);
    expect(r.calls.slice(4)).toEqual([
      "kubectl -n shop-production rollout status deployment/shop-web --timeout=900s",
      "kubectl -n shop-production rollout status deployment/shop-worker --timeout=900s",
    ]);
    // Real kustomize judges the edit the script asked for.
    expect(r.calls[0]).toContain(`(in ${root}/k8s/overlays/production)`);
    const jobBefore = kustomizeBuild(root, "k8s/overlays/production").find((o) => o.kind === "Job")!.metadata.name;
    applyImageEdit(root, r.calls[0]!);
    const objects = kustomizeBuild(root, "k8s/overlays/production");
    const images = objects.flatMap((o: any) => [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [])].map((c: any) => c.image));
    expect(images.length).toBeGreaterThan(2);
    for (const i of images) expect(i).toMatch(/^ghcr\.io\/acme\/shop(-nginx)?:9e8d7c6$/);
    // The Job's name ends with a hash of its inputs, the image among them: a new release is a new Job.
    expect(objects.find((o) => o.kind === "Job")!.metadata.name).not.toBe(jobBefore);
  });

  it("a failed migration Job: its logs are printed, nothing else is applied, exit 1", () => {
    const { root, stubs } = setup();
    const r = run(root, stubs, ["staging", "9e8d7c6"], { STUB_WAIT: "1", STUB_FAILED: "True" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("rake aborted! boom");
    expect(r.stderr).toContain("job.batch/shop-migrate-9e8d7c6 did not complete");
    expect(r.calls.filter((c) => c.startsWith("kubectl apply")).length).toBe(1);
    expect(r.calls.some((c) => c.includes("rollout"))).toBe(false);
    expect(r.calls).toContain("kubectl -n shop-staging logs job.batch/shop-migrate-9e8d7c6 --all-containers=true --tail=-1");
  });

  it("keeps polling while the Job runs (neither complete nor failed)", () => {
    const { root, stubs } = setup();
    // wait times out each time; the Job is never marked failed: the script gives up at the deadline.
    const r = run(root, stubs, ["staging", "9e8d7c6"], { STUB_WAIT: "1", STUB_FAILED: "" });
    expect(r.status).toBe(1);
    expect(r.calls.filter((c) => c.includes(" wait ")).length).toBe(180);
  });

  it("refuses latest, a bad tag, an unknown stage and a missing kustomize, before touching anything", () => {
    const { root, stubs } = setup();
    for (const args of [["production", "latest"], ["production", "Bad;tag"], ["production", ""], ["nowhere", "9e8d7c6"], ["production"]]) {
      const r = run(root, stubs, args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.calls).toEqual([]);
    }
    const bare = setup(false);
    const r = run(bare.root, bare.stubs, ["production", "9e8d7c6"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("kustomize is not installed");
    expect(r.calls).toEqual([]);
  });
});
