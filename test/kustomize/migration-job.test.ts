// The migration Job per release, built by the real `kubectl kustomize`: a valid name for any tag,
// and a new name whenever an input changes (image through `kustomize edit set image`, config.env,
// secrets.env), the same name when nothing changed — so `kubectl apply` never has to change a Job.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { migrationInputsName } from "../../emitters/kustomize/names.js";
import { DNS1123_LABEL } from "../../src/model/names.js";
import { defaultAnswers } from "./answers.js";
import { kustomizeBuild, removeTrees, requireKubectl, writeTree, type K8sObject } from "./kubectl.js";
import { shopModel } from "./models.js";

beforeAll(() => {
  requireKubectl();
});
afterAll(removeTrees);

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const jobOf = (objs: K8sObject[]) => objs.find((o) => o.kind === "Job")!;

function tree(overrides: Record<string, unknown>) {
  const m = shopModel();
  const result = emitKustomize(m, defaultAnswers(m, overrides as never));
  const root = writeTree(result.files);
  for (const st of m.stages) writeFileSync(join(root, `k8s/overlays/${st.name}/secrets.env`), readFileSync(join(root, `k8s/overlays/${st.name}/secrets.env.example`)));
  return { root, result };
}

describe("migration Job name", () => {
  for (const [repo, tag] of [
    ["registry.internal:5000/team/shop", "9a8b7c6"],
    ["registry.internal:5000/team/shop", DIGEST],
    ["ghcr.io/acme/shop", "release_2024_10"],
    ["ghcr.io/acme/shop", "V1.2.3-RC_1"],
    ["ghcr.io/acme/shop", "a".repeat(128)],
  ])
    it(`is a DNS label of at most 63 for ${repo} ${tag.slice(0, 20)}`, () => {
      const { root } = tree({ "image.repository": repo, "image.tag": tag });
      const objs = kustomizeBuild(root, "k8s/overlays/production");
      const job = jobOf(objs);
      expect(job.metadata.name).toMatch(DNS1123_LABEL);
      expect(job.metadata.name.length).toBeLessThanOrEqual(63);
      expect(job.metadata.name).toMatch(/^shop-migrate-/);
      const image = job["spec"].template.spec.containers[0].image;
      expect(image).toBe(tag.startsWith("sha256:") ? `${repo}@${tag}` : `${repo}:${tag}`);
      // The Job reads exactly the inputs its name stands for: the Secret of the same name.
      expect(job["spec"].template.spec.containers[0].envFrom).toEqual([{ secretRef: { name: job.metadata.name } }]);
      const inputs = objs.find((o) => o.kind === "Secret" && o.metadata.name === job.metadata.name)!;
      expect(inputs.stringData.RELEASE_IMAGE).toBe(image);
    });

  it("shortens the tag into the name, and an app name of 40 characters still fits", () => {
    expect(migrationInputsName("shop", "release_2024_10")).toBe("shop-migrate-release-2024-10");
    expect(migrationInputsName("shop", DIGEST)).toBe("shop-migrate-sha256-0123456789abc");
    expect(migrationInputsName("shop", "bad tag!")).toBe("shop-migrate");
    const long = migrationInputsName("a".repeat(40), "b".repeat(60));
    expect(long.length + 11).toBeLessThanOrEqual(63);
    expect(long).toMatch(DNS1123_LABEL);
  });
});

describe("a new Job for any changed input, the same Job for none", () => {
  it("changes with the image (kustomize edit set image), config.env and secrets.env, and only then", () => {
    const { root } = tree({ "image.tag": "9a8b7c6" });
    const overlay = join(root, "k8s/overlays/production");
    const name = () => jobOf(kustomizeBuild(root, "k8s/overlays/production")).metadata.name;
    const first = name();
    expect(name()).toBe(first);
    // The release's one command moves every image; the Job's name follows.
    const k = readFileSync(join(overlay, "kustomization.yaml"), "utf8");
    writeFileSync(join(overlay, "kustomization.yaml"), k.replace(/newTag: 9a8b7c6/g, "newTag: 1b2c3d4"));
    const afterImage = name();
    expect(afterImage).not.toBe(first);
    writeFileSync(join(overlay, "config.env"), readFileSync(join(overlay, "config.env"), "utf8") + "FEATURE_X=on\n");
    const afterConfig = name();
    expect(afterConfig).not.toBe(afterImage);
    writeFileSync(join(overlay, "secrets.env"), "SECRET_KEY_BASE=f4ke\n");
    expect(name()).not.toBe(afterConfig);
  });

  it("every image the release builds is an images: entry, the nginx sidecar's too", () => {
    const { root } = tree({ "container.nginx_sidecar": true, "image.tag": "9a8b7c6" });
    const objs = kustomizeBuild(root, "k8s/overlays/production");
    const web = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "shop-web")!;
    const images = [...web["spec"].template.spec.initContainers, ...web["spec"].template.spec.containers].map((c: any) => c.image);
    expect(images).toEqual(["registry.example.com/shop:9a8b7c6", "registry.example.com/shop:9a8b7c6", "registry.example.com/shop-nginx:9a8b7c6"]);
  });

  it("writes the deploy order in the overlay's kustomization", () => {
    const { result } = tree({});
    const k = result.files.find((f) => f.path === "k8s/overlays/production/kustomization.yaml")!.content;
    expect(k).toMatch(/kustomize edit set image shop=registry\.example\.com\/shop:<tag>/);
    expect(k.indexOf("component in (namespace,config)")).toBeLessThan(k.indexOf("component=migration"));
    expect(k.indexOf("wait --for=condition=complete")).toBeLessThan(k.lastIndexOf("kubectl apply -k k8s/overlays/production "));
  });
});
