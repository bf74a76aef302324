// MIGRATION.md as a pure function of the model, the answers and the other emitters' results.
import { describe, it, expect, beforeAll } from "vitest";
import { join } from "node:path";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide, type EmitterOutput } from "../../emitters/migration-guide.js";
import type { Answers, AppModel } from "../../src/model.js";
import { copyFixture, recordingIo, ROOT } from "./helpers.js";
import { runMigrate } from "../../src/migrate.js";
import { readFileSync } from "node:fs";

let model: AppModel;
let defaults: Answers;
const outputsFor = (answers: Answers): EmitterOutput[] => EMITTERS.map((e) => ({ name: e.name, result: e.emit(model, answers) }));

beforeAll(async () => {
  model = await analyzeDir(join(ROOT, "fixtures/apps/shop"));
  defaults = Object.fromEntries(model.gaps.map((g) => [g.id, g.default]));
});

describe("MIGRATION.md", () => {
  it("cites sources, answers (answer vs default), hazards with advice, notes and the cut-over checklist", () => {
    const answers = { ...defaults, "image.repository": "ghcr.io/acme/shop", "stage.production.namespace": "shop-prod" };
    const outputs = outputsFor(answers);
    const md = emitMigrationGuide(model, answers, outputs).content;
    const prov = outputs.flatMap((o) => o.result.provenance)[0]!;
    expect(md).toContain(`| \`${prov.output}\` |`);
    expect(md).toContain(`\`${prov.source.file}:${prov.source.line}\``);
    expect(md).toMatch(/\| `image\.repository` \| `ghcr\.io\/acme\/shop` \| answered \|/);
    expect(md).toMatch(/\| `stage\.staging\.namespace` \| `shop-staging` \| default \|/);
    for (const h of model.hazards) expect(md).toContain(h.advice);
    const note = outputs.flatMap((o) => o.result.notes)[0]!;
    expect(md).toContain(note.message);
    for (const step of ["Build and push the image", "Fill the secret files", "rails2k8s:verify_config", "Apply the overlay", "migration Job", "rollout status", "Switch traffic", "How to roll back"])
      expect(md, step).toContain(step);
    expect(md).toContain("docker push ghcr.io/acme/shop:<tag>");
    // The deploy order the per-release migration Job relies on, and one set-image command for every image.
    expect(md).toMatch(/kustomize edit set image shop=ghcr\.io\/acme\/shop:<tag> shop-nginx=ghcr\.io\/acme\/shop-nginx:<tag>/);
    const order = ["component in (namespace,config)", "component=migration -o name", "wait --for=condition=complete", "rollout status"].map((x) => md.indexOf(x));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(md).toContain("kubectl -n shop-prod rollout status deployment/shop-web");
    // production is cut over last
    expect(md.indexOf("  - staging (namespace")).toBeLessThan(md.indexOf("  - production (namespace"));
  });

  it("the checklist builds every image, moves every shared data dir off the servers, and lists the app code the codemod changed", async () => {
    const md = emitMigrationGuide(model, defaults, outputsFor(defaults)).content;
    const checklist = md.slice(md.indexOf("## Cut-over checklist"));
    // Both images, in one step: the nginx image is built from the app image (it copies its assets).
    expect(checklist).toContain("**Build and push the images**");
    expect(checklist).toContain("docker build -f docker/nginx/Dockerfile --build-arg APP_IMAGE=registry.example.com/shop:<tag> -t registry.example.com/shop-nginx:<tag> .");
    expect(checklist).toMatch(/\*\*Move `public\/system` off the servers' disk\*\* \(a linked dir shared by every release on production, staging, `config\/deploy\.rb:18`\): in the pods it is an emptyDir/);
    // migrate changes no app code; the switch, after every server verified, does: named, in order.
    expect(checklist).toMatch(/\*\*Review the app code the switch changes\*\*[^\n]*`app\/services\/payment_client\.rb`[^\n]*\(migrate itself changed none\)/);
    expect(checklist.indexOf("Review the app code the switch changes")).toBeGreaterThan(checklist.indexOf("rails2k8s:verify_config"));
    // Without the sidecar there is no nginx image to build.
    const noSidecar = { ...defaults, "container.nginx_sidecar": false };
    const plain = emitMigrationGuide(model, noSidecar, outputsFor(noSidecar)).content;
    expect(plain).toContain("**Build and push the image**");
    expect(plain).not.toContain("docker/nginx/Dockerfile");

    const atlas = await analyzeDir(join(ROOT, "fixtures/apps/atlas"));
    const atlasAnswers = Object.fromEntries(atlas.gaps.map((g) => [g.id, g.default]));
    // atlas is a deploy-config fixture with no lockfile: the image cannot be built from it (the
    // container emitter refuses), so the guide is made from the other outputs.
    const a = emitMigrationGuide(atlas, atlasAnswers, EMITTERS.filter((e) => e.name !== "container").map((e) => ({ name: e.name, result: e.emit(atlas, atlasAnswers) }))).content;
    expect(a).toContain("**Move `public/uploads` off the servers' disk**");
    expect(a).toContain("**Move `storage` off the servers' disk**");
    // A shared dir of no known kind: not mounted, so the team decides.
    expect(a).toMatch(/\*\*Decide where `public\/exports` goes\*\* \(a linked dir shared by every release on beta,/);
    expect(a).not.toContain("Review the app code the switch changes");
  });

  it("lists each stage whose hosts are a placeholder in the checklist, never another stage's host; states the PDB rule", async () => {
    const ledger = await analyzeDir(join(ROOT, "fixtures/apps/ledger"));
    const answers: Answers = Object.fromEntries(ledger.gaps.map((g) => [g.id, g.default]));
    const outputs = EMITTERS.map((e) => ({ name: e.name, result: e.emit(ledger, answers) }));
    const md = emitMigrationGuide(ledger, answers, outputs).content;
    const checklist = md.slice(md.indexOf("## Cut-over checklist"));
    const placeholders = ledger.gaps.filter((g) => /^stage\..+\.hosts$/.test(g.id));
    expect(placeholders.length).toBeGreaterThan(0);
    for (const g of placeholders) {
      const stage = /^stage\.(.+)\.hosts$/.exec(g.id)![1]!;
      expect(checklist).toContain(`**Fill in the hosts of stage ${stage}**`);
      expect(checklist).toContain(`\`set-me.${stage}.ledger.invalid\``);
      expect(checklist).toContain(`\`stage.${stage}.hosts\``);
    }
    // A stage with named hosts has no such step.
    const named = ledger.stages.filter((s) => !placeholders.some((g) => g.id === `stage.${s.name}.hosts`));
    for (const s of named) expect(checklist).not.toContain(`**Fill in the hosts of stage ${s.name}**`);
    // Answered: the step goes.
    const real = { ...answers, ...Object.fromEntries(placeholders.map((g) => [g.id, ["qa.ledger.test"]])) };
    const answered = emitMigrationGuide(ledger, real, EMITTERS.map((e) => ({ name: e.name, result: e.emit(ledger, real) }))).content;
    expect(answered).not.toContain("Fill in the hosts of stage");
    expect(answered.slice(answered.indexOf("## Cut-over checklist"))).not.toContain(".invalid");
    expect(answered).not.toMatch(/routes set-me\./);
    expect(md).toMatch(/routes set-me\.\w+\.ledger\.invalid, a placeholder that never resolves/);
    expect(md).toMatch(/- Node drains: a PodDisruptionBudget lets a drain evict one web pod at a time \(maxUnavailable 1\)[^\n]*minAvailable 1 is not used: with one pod it blocks every drain\./);
  });

  it("--yes keeps a placeholder host and labels it, in the terminal and in the questions table", async () => {
    const dir = copyFixture("ledger");
    const io = recordingIo();
    const code = await runMigrate(dir, { yes: true, stat: true }, io, { interactive: false, prompts: {} as never, analyze: analyzeDir, emitters: EMITTERS });
    expect(code).toBe(0);
    expect(io.stdout()).toMatch(/^ {2}stage\.staging\.hosts = \["set-me\.staging\.ledger\.invalid"\] {2}\(default, a placeholder: answer it before the cut-over \(MIGRATION\.md lists it\)\)$/m);
    // A real default is not called a placeholder.
    expect(io.stdout()).toMatch(/^ {2}edge\.target = \w+ {2}\(default\)$/m);
    const md = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(md).toMatch(/\| `stage\.staging\.hosts` \| `\["set-me\.staging\.ledger\.invalid"\]` \| placeholder, to answer \|/);
    // Saved by --yes commented out, the placeholder is still one on the next run.
    expect(readFileSync(join(dir, ".rails2k8s.yml"), "utf8")).toMatch(/^# stage\.staging\.hosts:/m);
    const again = recordingIo();
    await runMigrate(dir, { yes: true, stat: true }, again, { interactive: false, prompts: {} as never, analyze: analyzeDir, emitters: EMITTERS });
    expect(again.stdout()).toMatch(/stage\.staging\.hosts = [^\n]*\(default, a placeholder: answer it/);
  });

  it("is deterministic and never carries a secret value", () => {
    const outputs = outputsFor(defaults);
    const a = emitMigrationGuide(model, defaults, outputs).content;
    expect(emitMigrationGuide(model, { ...defaults }, outputsFor(defaults)).content).toBe(a);
    // a secret gap's answer, and the content of secret files, never appear
    const secretGap = { id: "db.password", question: "Database password?", why: "w", default: null, secret: true };
    const m2 = { ...model, gaps: [...model.gaps, secretGap] };
    const withSecret = outputs.map((o) => ({ ...o, result: { ...o.result, files: o.result.files.map((f) => (f.secret ? { ...f, content: "SECRET_KEY_BASE=s3cr3t-value-xyz\n" } : f)) } }));
    const md = emitMigrationGuide(m2, { ...defaults, "db.password": "hunter2-pass" }, withSecret).content;
    expect(md).not.toContain("hunter2-pass");
    expect(md).not.toContain("s3cr3t-value-xyz");
    expect(md).toContain("(secret, not recorded)");
  });

  it("with a secret store, the verify task and the checklist name no secrets.env", () => {
    const es = { ...defaults, "secrets.backend": "external-secrets" };
    const md = emitMigrationGuide(model, es, outputsFor(es)).content;
    expect(md).toMatch(/rails2k8s:verify_config ENV_FILES=k8s\/overlays\/production\/config\.env STAGE=production/);
    expect(md).not.toMatch(/ENV_FILES=[^`]*secrets\.env/);
    expect(md).toContain("**Load the secrets into the secret store**");
    const plain = emitMigrationGuide(model, defaults, outputsFor(defaults)).content;
    expect(plain).toMatch(/ENV_FILES=k8s\/overlays\/production\/config\.env,k8s\/overlays\/production\/secrets\.env/);
  });
});
