// `rails2k8s migrate` as a person runs it: the built binary in a real terminal (tmux), answers
// typed with send-keys, the screen read with capture-pane; and with no terminal at all.
import { describe, it, expect, afterAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BIN, ROOT, copyFixture, snapshot } from "./helpers.js";

// A tmux server of our own (its own socket), so the tests never touch anyone else's sessions.
const SOCKET = `r2k-migrate-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
let sessions = 0;

function start(cmd: string): string {
  const name = `s${++sessions}`;
  tmux("new-session", "-d", "-s", name, "-x", "220", "-y", "50", `${cmd}; echo "EXIT=$?"; sleep 600`);
  return name;
}

const screen = (s: string) => tmux("capture-pane", "-p", "-t", s, "-S", "-", "-J");

/** Polls the pane until `test` finds what it needs (no fixed sleeps). */
async function waitFor<T>(s: string, test: (text: string) => T | undefined | false, what: string, timeoutMs = 40_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < end) {
    text = screen(s);
    const got = test(text);
    if (got) {
      // A prompt is drawn a moment before it listens for keys: on a loaded machine, keys sent in
      // that moment would be lost.
      await new Promise((r) => setTimeout(r, 150));
      return got;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${text.split("\n").slice(-30).join("\n")}`);
}

const keys = (s: string, ...k: string[]) => tmux("send-keys", "-t", s, ...k);
const typeText = (s: string, text: string) => tmux("send-keys", "-t", s, "-l", text);
const exitCode = (s: string) => waitFor(s, (t) => /^EXIT=(\d+)$/m.exec(t)?.[1], "the command to exit").then(Number);

/** The header `[i/N] <gap id>` of question i, once its prompt (a line starting with `? `) is up. */
function promptFor(i: number) {
  return (t: string): { id: string; total: number; block: string } | undefined => {
    const at = t.lastIndexOf(`\n[${i}/`);
    if (at < 0) return undefined;
    const block = t.slice(at + 1);
    const m = /^\[\d+\/(\d+)\] (\S+)/.exec(block);
    if (!m || !/\n\? /.test(block)) return undefined;
    return { id: m[2]!, total: Number(m[1]), block };
  };
}

afterAll(() => {
  try {
    tmux("kill-server");
  } catch {
    /* already gone */
  }
});

describe("rails2k8s migrate in a real terminal (tmux)", () => {
  it("the wizard asks each gap with why and where, takes typed answers, shows the diff and writes on yes", async () => {
    const dir = copyFixture("shop");
    const s = start(`cd ${JSON.stringify(dir)} && node ${JSON.stringify(BIN)} migrate .`);
    const seen: string[] = [];
    for (let i = 1; ; i++) {
      const p = await waitFor(s, promptFor(i), `question ${i}`);
      seen.push(p.id);
      expect(p.block).toMatch(/\n {2}why: \S/);
      if (p.id === "image.repository") {
        expect(p.block).toContain("from: config/deploy.rb:");
        expect(p.block).toContain("? Which container image repository should the cluster pull the app's image from? (registry.example.com/shop)");
        typeText(s, "ghcr.io/acme/shop");
        keys(s, "Enter");
      } else if (p.id === "stage.production.namespace") {
        typeText(s, "shop-prod");
        keys(s, "Enter");
      } else if (p.id === "edge.target") {
        expect(p.block).toMatch(/❯ alb/); // the default from the analysis is preselected
        keys(s, "Down"); // alb → ingress-nginx
        keys(s, "Enter");
      } else if (p.id === "container.nginx_sidecar") {
        expect(p.block).toMatch(/\(Y\/n\)/);
        keys(s, "n");
        keys(s, "Enter");
      } else keys(s, "Enter");
      if (i === p.total) break;
    }
    expect(seen).toContain("stage.staging.namespace");
    // The summary table first, then the diff in the pager (less -R: no PAGER in this shell), one
    // screen at a time: the last file's diff is not on the screen until the user pages on.
    const paged = await waitFor(s, (t) => /^\+\+\+ b\//m.test(t) && t, "the diff in less");
    expect(paged).toMatch(/^ {2}status\s+file\s+lines\s+why$/m);
    expect(paged.indexOf("  status  ")).toBeLessThan(paged.search(/^\+\+\+ b\//m));
    expect(paged).not.toContain("+++ b/lib/tasks/rails2k8s.rake");
    expect(paged).not.toMatch(/\? Write \d+ file\(s\)\?/);
    keys(s, "q");
    const confirm = await waitFor(s, (t) => /\? Write (\d+) file\(s\)\?/.exec(t)?.[1], "the write confirmation");
    const shown = screen(s);
    expect(shown).toMatch(/new\s+k8s\/base\/kustomization\.yaml\s+\+\d+\s+lists the resources every stage shares/);
    expect(shown).toMatch(/new\s+k8s\/overlays\/production\/secrets\.env\s+\+\d+\s+stage production: secret values, filled in by hand {2}\(secret, git-ignored\)/);
    keys(s, "y");
    keys(s, "Enter");
    expect(await exitCode(s)).toBe(0);
    expect(screen(s)).toContain(`Wrote ${confirm} file(s)`);

    const saved = readFileSync(join(dir, ".rails2k8s.yml"), "utf8");
    expect(saved).toContain("image.repository: ghcr.io/acme/shop\n");
    expect(saved).toContain("stage.production.namespace: shop-prod\n");
    expect(saved).toContain("edge.target: ingress-nginx\n");
    expect(saved).toContain("container.nginx_sidecar: false\n");
    expect(saved).toContain("stage.staging.namespace: shop-staging\n");
    const overlay = readFileSync(join(dir, "k8s/overlays/production/kustomization.yaml"), "utf8");
    expect(overlay).toContain("namespace: shop-prod");
    expect(overlay).toContain("ghcr.io/acme/shop");
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toContain("/k8s/overlays/production/secrets.env");

    // the same command again: nothing asked, nothing to write
    const after = snapshot(dir);
    const s2 = start(`cd ${JSON.stringify(dir)} && node ${JSON.stringify(BIN)} migrate .`);
    expect(await exitCode(s2)).toBe(0);
    const t2 = screen(s2);
    expect(t2).toMatch(/\d+ question\(s\) answered already in \.rails2k8s\.yml/);
    expect(t2).not.toMatch(/^\[1\//m);
    expect(t2).toContain("Nothing to write");
    expect(snapshot(dir)).toEqual(after);
  });

  it("the wizard asks only what applies (an ALB: no Gateway, no TLS source) and re-asks an invalid answer with the reason", async () => {
    const dir = copyFixture("ledger");
    // The diff goes to a file through $PAGER (run by the shell), so the run ends without a key press.
    const diffFile = join(dir, "..", `${basename(dir)}.diff`);
    const s = start(`cd ${JSON.stringify(dir)} && PAGER=${JSON.stringify(`cat > ${diffFile}`)} node ${JSON.stringify(BIN)} migrate . --dry-run`);
    const seen: string[] = [];
    for (let i = 1; ; i++) {
      const p = await waitFor(s, promptFor(i), `question ${i}`);
      seen.push(p.id);
      if (p.id === "stage.production.namespace") {
        const bad = "Kube System/../x";
        typeText(s, bad);
        keys(s, "Enter");
        await waitFor(s, (t) => t.slice(t.lastIndexOf(`\n[${i}/`)).includes("expected a Kubernetes name (RFC 1123 label)"), "the reason");
        keys(s, ...Array<string>(bad.length).fill("BSpace"));
        typeText(s, "ledger-prod");
        keys(s, "Enter");
      } else if (p.id === "edge.target") {
        expect(p.block).toMatch(/❯ gateway/);
        keys(s, "Down"); // gateway → alb
        keys(s, "Enter");
      } else keys(s, "Enter");
      if (i === p.total) break;
    }
    expect(await exitCode(s)).toBe(0);
    expect(seen).toContain("edge.target");
    expect(seen.filter((id) => /^gateway\.|^edge\.tls/.test(id))).toEqual([]);
    expect(readFileSync(diffFile, "utf8")).toContain("namespace: ledger-prod");
  });

  it("Ctrl-C in the middle of the wizard writes nothing", async () => {
    const dir = copyFixture("shop");
    const before = snapshot(dir);
    const s = start(`cd ${JSON.stringify(dir)} && node ${JSON.stringify(BIN)} migrate .`);
    await waitFor(s, promptFor(1), "question 1");
    typeText(s, "ghcr.io/acme/shop");
    keys(s, "Enter");
    await waitFor(s, promptFor(2), "question 2");
    keys(s, "C-c");
    expect(await exitCode(s)).toBe(130);
    expect(screen(s)).toContain("interrupted; nothing was written");
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("an edited generated file, in a real terminal", () => {
  it("show the diff (in less), then keep it: the new version lands beside it; the review shows both", async () => {
    const dir = copyFixture("shop");
    expect(spawnSync("node", [BIN, "migrate", dir, "--yes"], { encoding: "utf8", input: "" }).status).toBe(0);
    const path = join(dir, "k8s/base/service.yaml");
    const edited = readFileSync(path, "utf8") + "# tuned by the team\n";
    writeFileSync(path, edited);
    const s = start(`cd ${JSON.stringify(dir)} && node ${JSON.stringify(BIN)} migrate .`);
    const choice = /\? k8s\/base\/service\.yaml: keep your version, or take the new one/;
    const first = await waitFor(s, (t) => choice.test(t) && t, "the keep/take/diff choice");
    expect(first).toMatch(/❯ keep mine/);
    keys(s, "Down");
    keys(s, "Down");
    keys(s, "Enter");
    // The diff of this one file, yours → new (short: less shows it and returns at once, F).
    await waitFor(s, (t) => /^-# tuned by the team$/m.test(t) && t, "the file's diff");
    // Asked again below the diff (the answered prompt above it now starts with ✔).
    await waitFor(s, (t) => t.search(choice) > t.indexOf("-# tuned by the team") && t, "the choice asked again");
    keys(s, "Enter"); // keep mine
    await waitFor(s, (t) => /\? Write \d+ file\(s\)\?/.test(t) || /^\+\+\+ b\//m.test(t), "the review");
    // Nothing else changed since the first run: the diff (the new version beside it, the guide's
    // note on it) fits on the screen, so less (F) returns at once.
    const review = await waitFor(s, (t) => /\? Write (\d+) file\(s\)\?/.test(t) && t, "the write confirmation");
    expect(review).toMatch(/^ {2}skipped\s+k8s\/base\/service\.yaml\s.*\(edited since rails2k8s wrote it\)$/m);
    expect(review).toMatch(/^ {2}new\s+k8s\/base\/service\.yaml\.rails2k8s-new\s+\+\d+\s+the new version of k8s\/base\/service\.yaml, which you kept/m);
    keys(s, "y");
    keys(s, "Enter");
    expect(await exitCode(s)).toBe(0);
    expect(readFileSync(path, "utf8")).toBe(edited);
    expect(readFileSync(`${path}.rails2k8s-new`, "utf8")).not.toContain("tuned by the team");
  });
});

describe("rails2k8s migrate without a terminal", () => {
  const run = (args: string[]) => spawnSync("node", [BIN, ...args], { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], input: "", timeout: 30_000 });

  it("no --yes: exit 2 at once naming the unanswered gaps, nothing written, no colour", () => {
    const dir = copyFixture("shop");
    const before = snapshot(dir);
    const r = run(["migrate", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no terminal to ask on, and \d+ question\(s\) have no saved answer/);
    expect(r.stderr).toMatch(/^ {2}image\.repository: /m);
    expect(r.stdout + r.stderr).not.toMatch(/\x1b\[/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("--yes twice: the second run writes nothing; --dry-run after it shows no diff", () => {
    const dir = copyFixture("shop");
    expect(run(["migrate", dir, "--yes"]).status).toBe(0);
    const after = snapshot(dir);
    const second = run(["migrate", dir, "--yes"]);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("Nothing to write");
    expect(snapshot(dir)).toEqual(after);
    const dry = run(["migrate", dir, "--dry-run"]);
    expect(dry.status).toBe(0);
    expect(dry.stdout).not.toMatch(/^(\+\+\+|---|@@)/m);
    expect(dry.stdout).toContain("Dry run: nothing to change.");
    expect(snapshot(dir)).toEqual(after);
  });
});
