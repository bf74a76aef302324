// The review before anything is written: the summary table first (status, file, lines, why), the
// diff through a pager on a terminal or printed off one, --stat without it; a generated file the
// user edited is kept, taken or diffed file by file, and a kept one never leaves the set silently
// inconsistent (its new version beside it, the values that disagree named).
import { describe, it, expect } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { diffStat, renderTable, whyWritten, type ReviewItem } from "../../src/review.js";
import { page } from "../../src/pager.js";
import { colorAllowed } from "../../src/cli.js";
import { copyFixture, edit, recordingIo, snapshot } from "./helpers.js";

const noPrompts: Prompts = new Proxy({} as Prompts, {
  get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)),
});
const env = (over: Partial<MigrateEnv> = {}): MigrateEnv => ({ interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS, ...over });

function scripted(answer: (kind: string, cfg: { message: string; choices?: { value: string }[] }) => unknown): Prompts & { asked: string[] } {
  const asked: string[] = [];
  const p = (kind: string) => async (cfg: { message: string }) => (asked.push(cfg.message), answer(kind, cfg));
  return { input: p("input"), select: p("select"), confirm: p("confirm"), password: p("password"), asked } as unknown as Prompts & { asked: string[] };
}

async function migrate(dir: string, opts: Record<string, unknown>, e: MigrateEnv = env()) {
  const io = recordingIo();
  const code = await runMigrate(dir, opts, io, e);
  return { code, out: io.stdout(), err: io.stderr() };
}
const read = (dir: string, p: string) => readFileSync(join(dir, p), "utf8");
const DIFF_LINE = /^(\+\+\+|---|@@) /m;

describe("the summary table", () => {
  const items: ReviewItem[] = [
    { path: "a.yaml", status: "changed", before: "x: 1\ny: 2\n", after: "x: 3\ny: 2\nz: 4\n", why: "because" },
    { path: "k8s/overlays/production/secrets.env", status: "new", before: null, after: "A=\nB=\n", secret: true, why: "stage production: secrets" },
    { path: "u.yaml", status: "unchanged", before: "u\n", after: "u\n" },
    { path: "e.yaml", status: "skipped", before: "mine\n", after: "theirs\n", reason: "edited since rails2k8s wrote it", why: "w" },
  ];

  it("has a header, then per file: status, path, lines added and removed, why (and the reason it is kept or skipped)", () => {
    const t = renderTable(items, false).split("\n").filter(Boolean);
    expect(t[0]).toMatch(/^ {2}status\s+file\s+lines\s+why$/);
    expect(t).toHaveLength(5);
    expect(t[1]).toMatch(/^ {2}changed\s+a\.yaml\s+\+2 -1\s+because$/);
    expect(t[2]).toMatch(/^ {2}new\s+k8s\/overlays\/production\/secrets\.env\s+\+2\s+stage production: secrets {2}\(secret, git-ignored\)$/);
    expect(t[3]).toMatch(/^ {2}unchanged\s+u\.yaml$/);
    expect(t[4]).toMatch(/^ {2}skipped\s+e\.yaml\s+w {2}\(edited since rails2k8s wrote it\)$/);
    expect(renderTable(items, false)).not.toMatch(/\x1b\[/);
    expect(renderTable(items, true)).toMatch(/\x1b\[32m\+2\x1b\[0m \x1b\[31m-1\x1b\[0m/);
    expect(diffStat(items[2]!)).toBeNull();
  });

  it("says why each generated file is written, by path; an unknown one names its emitter; an emitter's own reason wins", () => {
    expect(whyWritten("Dockerfile", "container")).toMatch(/builds the app image/);
    expect(whyWritten("docker/nginx/Dockerfile", "container")).toMatch(/nginx image/);
    expect(whyWritten("k8s/overlays/qa/config.env", "kustomize")).toBe("stage qa: settings that are not secret (a ConfigMap)");
    expect(whyWritten(".github/workflows/deploy.yml", "release")).toBe("written by the release emitter");
    expect(whyWritten("Dockerfile", "container", "its own")).toBe("its own");
  });

  it("colours follow NO_COLOR and FORCE_COLOR", () => {
    expect(colorAllowed(true, {})).toBe(true);
    expect(colorAllowed(true, { NO_COLOR: "1" })).toBe(false);
    expect(colorAllowed(false, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorAllowed(false, { FORCE_COLOR: "" })).toBe(true);
    expect(colorAllowed(true, { FORCE_COLOR: "0" })).toBe(false);
    expect(colorAllowed(true, { FORCE_COLOR: "false" })).toBe(false);
    expect(colorAllowed(false, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(true);
  });
});

describe("the diff", () => {
  it("off a terminal: printed after the table; --stat: the table alone; on a terminal: through the pager, the table before it", async () => {
    const dir = copyFixture();
    const plain = await migrate(dir, { dryRun: true });
    expect(plain.code).toBe(0);
    const table = plain.out.indexOf("  status  ");
    expect(table).toBeGreaterThanOrEqual(0);
    expect(plain.out).toMatch(/^ {2}new\s+Dockerfile\s+\+\d+\s+builds the app image/m);
    // migrate writes the new config and leaves the app's Global reads alone (switch-config changes them).
    expect(plain.out).not.toMatch(/^ {2}\w+\s+app\/services\/payment_client\.rb/m);
    expect(plain.out.search(DIFF_LINE)).toBeGreaterThan(table);

    const stat = await migrate(dir, { dryRun: true, stat: true });
    expect(stat.out).not.toMatch(DIFF_LINE);
    expect(stat.out).toMatch(/^ {2}new\s+k8s\/base\/kustomization\.yaml\s+\+\d+/m);
    expect(stat.out).toMatch(/Dry run: \d+ file\(s\) would be written/);

    const paged: string[] = [];
    const shown = await migrate(dir, { dryRun: true }, env({ page: async (t) => (paged.push(t), true) }));
    expect(paged).toHaveLength(1);
    expect(paged[0]).toMatch(DIFF_LINE);
    expect(shown.out).not.toMatch(DIFF_LINE);
    expect(shown.out).toContain("  status  ");
    // No pager could run: the diff is printed instead, never lost.
    const fallback = await migrate(dir, { dryRun: true }, env({ page: async () => false }));
    expect(fallback.out).toMatch(DIFF_LINE);
  });

  it("--yes never pages, even on a terminal: the diff is printed (nobody is there to quit the pager)", async () => {
    const dir = copyFixture();
    const paged: string[] = [];
    const r = await migrate(dir, { yes: true, dryRun: true }, env({ page: async (t) => (paged.push(t), true) }));
    expect(r.code).toBe(0);
    expect(paged).toHaveLength(0);
    expect(r.out).toMatch(DIFF_LINE);
    const written = await migrate(dir, { yes: true }, env({ page: async (t) => (paged.push(t), true) }));
    expect(written.code).toBe(0);
    expect(paged).toHaveLength(0);
    expect(written.out).toMatch(DIFF_LINE);
  });

  it("page(): $PAGER is run by the shell and gets the text; PAGER=cat, an empty PAGER, a missing command or no less print instead", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "r2k-pager-"));
    const got = join(tmp, "got");
    expect(await page("hello\n\x1b[32m+x\x1b[0m\n", { PAGER: `cat > ${JSON.stringify(got)}` })).toBe(true);
    expect(readFileSync(got, "utf8")).toBe("hello\n\x1b[32m+x\x1b[0m\n");
    // The default is less -R, with git's LESS=FRX unless LESS is set.
    const fake = join(tmp, "less");
    writeFileSync(fake, `#!/bin/sh\necho "$@ LESS=$LESS" > ${JSON.stringify(got)}\n/bin/cat > /dev/null\n`);
    chmodSync(fake, 0o755);
    expect(await page("x\n", { PATH: tmp })).toBe(true);
    expect(readFileSync(got, "utf8")).toBe("-R LESS=FRX\n");
    expect(await page("x\n", { PATH: tmp, LESS: "R" })).toBe(true);
    expect(readFileSync(got, "utf8")).toBe("-R LESS=R\n");
    expect(await page("x\n", { PATH: join(tmp, "nowhere") })).toBe(false);
    expect(await page("x\n", { PAGER: "cat" })).toBe(false);
    expect(await page("x\n", { PAGER: " " })).toBe(false);
    expect(await page("x\n", { PAGER: "no-such-pager-r2k" })).toBe(false);
  });
});

describe("a generated file the user edited", () => {
  it("in the wizard: keep / take the new version / show the diff, file by file", async () => {
    const dir = copyFixture();
    await migrate(dir, { yes: true });
    const service = read(dir, "k8s/base/service.yaml") + "# tuned by the team\n";
    writeFileSync(join(dir, "k8s/base/service.yaml"), service);
    edit(dir, "k8s/base/pdb.yaml", (s) => s + "# ours too\n");
    edit(dir, ".rails2k8s.yml", (s) => s.replace("image.repository: registry.example.com/shop", "image.repository: ghcr.io/acme/shop"));

    const choices: string[][] = [];
    const paged: string[] = [];
    const prompts = scripted((kind, cfg) => {
      if (kind === "confirm") return true; // write
      choices.push(cfg.choices!.map((c) => c.value));
      // service.yaml: look at the diff first, then keep it; pdb.yaml: take the new version.
      if (cfg.message.startsWith("k8s/base/service.yaml")) return paged.length ? "keep" : "diff";
      return "take";
    });
    const r = await migrate(dir, {}, env({ interactive: true, prompts, page: async (t) => (paged.push(t), true) }));
    expect(r.code).toBe(0);
    expect(choices[0]).toEqual(["keep", "take", "diff"]);
    expect(prompts.asked.filter((m) => m.startsWith("k8s/base/service.yaml"))).toHaveLength(2);
    expect(paged[0]).toContain("-# tuned by the team");
    expect(read(dir, "k8s/base/service.yaml")).toBe(service);
    expect(read(dir, "k8s/base/pdb.yaml")).not.toContain("# ours too");
    expect(r.out).toMatch(/^ {2}overwrite\s+k8s\/base\/pdb\.yaml/m);
    expect(r.out).toMatch(/^ {2}skipped\s+k8s\/base\/service\.yaml/m);
    // The kept file's new version is beside it, and what goes with it is named.
    expect(read(dir, "k8s/base/service.yaml.rails2k8s-new")).not.toContain("tuned by the team");
    expect(r.err).toMatch(/k8s\/base\/service\.yaml: your edited version is kept; the new version is written beside it, to k8s\/base\/service\.yaml\.rails2k8s-new/);
    expect(r.err).toMatch(/Files that go with it[^\n]*k8s\/base\/kustomization\.yaml/);
  });

  it("kept under --yes: the values that now disagree are named with the files that hold the new ones, in the output and MIGRATION.md", async () => {
    const dir = copyFixture();
    await migrate(dir, { yes: true });
    // The team tunes the production config; then the app's host changes in the repo.
    edit(dir, "k8s/overlays/production/config.env", (s) => s.replace("WEB_CONCURRENCY=4", "WEB_CONCURRENCY=6"));
    edit(dir, "config/deploy/production.rb", (s) => s.replace(/shop\.example\.com/g, "shop.example.org"));
    const r = await migrate(dir, { yes: true });
    expect(r.code).toBe(0);
    expect(read(dir, "k8s/overlays/production/config.env")).toContain("WEB_CONCURRENCY=6");
    expect(read(dir, "k8s/overlays/production/config.env")).toContain("APP_HOSTS=shop.example.com,www.shop.example.com");
    expect(read(dir, "k8s/overlays/production/ingress.yaml")).toContain("host: shop.example.org");
    const beside = read(dir, "k8s/overlays/production/config.env.rails2k8s-new");
    expect(beside).toContain("APP_HOSTS=shop.example.org,www.shop.example.org");
    expect(beside).toContain("WEB_CONCURRENCY=4");
    expect(r.err).toContain(
      'APP_HOSTS: yours "shop.example.com,www.shop.example.com", the new version "shop.example.org,www.shop.example.org"; the new value is in k8s/overlays/production/ingress.yaml',
    );
    expect(r.err).toContain('WEB_CONCURRENCY: yours "6", the new version "4"');
    expect(r.out).toMatch(/^ {2}new\s+k8s\/overlays\/production\/config\.env\.rails2k8s-new\s+\+\d+\s+the new version of k8s\/overlays\/production\/config\.env, which you kept/m);
    const guide = read(dir, "MIGRATION.md");
    expect(guide).toContain("## Generated files you edited and kept");
    expect(guide).toMatch(/- `k8s\/overlays\/production\/config\.env` — the new version is `k8s\/overlays\/production\/config\.env\.rails2k8s-new`/);
    expect(guide).toMatch(/`APP_HOSTS`: yours `shop\.example\.com,www\.shop\.example\.com`, the new version `shop\.example\.org,www\.shop\.example\.org`; the new value is in `k8s\/overlays\/production\/ingress\.yaml`/);
    // The same state again: nothing new to write (the report is stable).
    const after = snapshot(dir);
    const again = await migrate(dir, { yes: true });
    expect(again.out).toContain("Nothing to write");
    expect(snapshot(dir)).toEqual(after);
    expect(existsSync(join(dir, "k8s/overlays/staging/config.env.rails2k8s-new"))).toBe(false);
    // Taken at last (--force): the new version left beside it is named as stale.
    const forced = await migrate(dir, { yes: true, force: true });
    expect(read(dir, "k8s/overlays/production/config.env")).toBe(beside);
    expect(forced.err).toContain("k8s/overlays/production/config.env.rails2k8s-new is left from an earlier run");
    expect(read(dir, "MIGRATION.md")).not.toContain("## Generated files you edited and kept");
  });
});
