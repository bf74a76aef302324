// The hostile-repo suite: what "untrusted input, encoded output" means, checked end to end.
// A copy of shop gets a payload in every field the analyzers read (file and directory names,
// hosts, stage names, lockfile fields, ERB, YAML keys and values, default_env, cron commands,
// Procfile), secrets by shape, and symlinks out of the repo. The real CLI runs once
// (analyze, analyze --json, migrate --dry-run, migrate --yes); then the real tools read what it
// wrote: Ruby's parser, Rails' config_for reader, nginx -t, kubectl kustomize, shellcheck, git.
// Unusable inputs (second part) must be refused: exit 2, the file (and line) named, the repo
// unchanged byte for byte.
import { nginxTest } from "../container/nginx-text.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync, execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { DockerfileParser } from "dockerfile-ast";
import { copyFixture } from "../migrate/helpers.js";
import { lintDockerfile } from "../container/dockerfile-lint.js";
import { kubeletUnescape } from "../../emitters/encode/kubelet.js";
import { MARK, NLTAIL, PLANTED, RUN_ID, SECRETS, VALUES, fieldsIn, makeOutside, marker, plantHostile, UNMAPPABLE_STAGE } from "./hostile/payloads.js";
import { type CliRun, changedFiles, cliAsync, run, gitCommitAll, gitIgnores, gitWouldCommit, hashTree, limited } from "./hostile/tree.js";
import { SAFE_WORD, liveOccurrences, shellcheck, shellcheckAll } from "./hostile/shell.js";

const HERE = join(import.meta.dirname, "hostile");
const RUBY_LITERALS = join(HERE, "ruby_literals.rb");
const LOAD_ALL = join(HERE, "load_all.rb");
const CONFIG_FOR = join(HERE, "config_for.rb");

/** A touched marker: a file named exactly like one. */
const MARKER_FILE = new RegExp(`^r2k-${MARK}-[a-z0-9]+$`);
/** Raw control characters a terminal acts on (everything below 0x20 but tab and newline, DEL, C1). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type K8s = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };

/** Where a run left marker files: the places a planted command could have run in. */
function markersIn(dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (d: string, deep: boolean) => {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (MARKER_FILE.test(n)) found.push(p);
      if (deep && n !== ".git" && lstatSync(p).isDirectory()) walk(p, true);
    }
  };
  walk(tmpdir(), false);
  for (const d of dirs) walk(d, true);
  return found;
}

/** Markers found, then removed: each check that runs generated code sees only its own. */
function takeMarkers(dirs: string[]): string[] {
  const found = markersIn(dirs);
  for (const f of found) rmSync(f, { force: true });
  return found;
}

/** What a run said, without the diff it showed (a value inside a diffed file is not a warning). */
const saidOutsideDiff = (r: CliRun) => r.stderr + "\n" + r.stdout.split("\n").filter((l) => !/^(\+|-|@@| (?! ))/.test(l)).join("\n");

const show = (r: CliRun) => `$ rails2k8s ${r.args.join(" ")} → exit ${r.code}\n${(r.stdout + r.stderr).slice(-1500)}`;

/** Every object of every field, depth first: [path, value]. */
function* walkValues(v: unknown, path = ""): Generator<[string, unknown]> {
  yield [path, v];
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* walkValues(v[i], `${path}[${i}]`);
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) yield* walkValues(x, `${path}.${k}`);
}

describe("hostile repo: every planted value stays inert", () => {
  let dir = "";
  let parent = "";
  let outside = "";
  let scratch = "";
  const runs: Record<"analyze" | "json" | "dry" | "migrate" | "again", CliRun> = {} as never;
  let before: Record<string, string> = {};
  let afterDry: Record<string, string> = {};
  let outsideBefore: Record<string, string> = {};
  let parentBefore: Record<string, string> = {};
  let written: string[] = [];
  let overlays: string[] = [];
  let cliMarkers: string[] = [];
  const built: Record<string, { ok: boolean; out: string; objects: K8s[] }> = {};

  const skipOwn = (r: string) => r === basename(dir) || r === "outside" || r.startsWith(basename(dir) + "/") || r.startsWith("outside/");
  const read = (p: string) => readFileSync(join(dir, p), "utf8");
  const rubyFiles = () => written.filter((p) => /\.(rb|rake)$/.test(p));
  const allObjects = () => Object.values(built).flatMap((b) => b.objects);

  beforeAll(async () => {
    dir = copyFixture("shop");
    parent = dirname(dir);
    outside = join(parent, "outside");
    scratch = mkdtempSync(join(tmpdir(), "r2k-hostile-scratch-"));
    makeOutside(outside);
    plantHostile(dir, outside);
    gitCommitAll(dir);
    outsideBefore = hashTree(outside);
    parentBefore = hashTree(parent, skipOwn);
    before = hashTree(dir, (r) => r === ".git");

    // The three read-only runs at once; then the one that writes.
    [runs.analyze, runs.json, runs.dry] = await Promise.all([cliAsync(dir, ["analyze", "."]), cliAsync(dir, ["analyze", ".", "--json"]), cliAsync(dir, ["migrate", ".", "--dry-run", "--yes"])]);
    afterDry = hashTree(dir, (r) => r === ".git");
    runs.migrate = await cliAsync(dir, ["migrate", ".", "--yes"]);
    const afterMigrate = hashTree(dir, (r) => r === ".git");
    written = changedFiles(before, afterMigrate);
    runs.again = await cliAsync(dir, ["migrate", ".", "--dry-run", "--yes"]);

    const root = join(dir, "k8s/overlays");
    overlays = existsSync(root) ? readdirSync(root).filter((n) => lstatSync(join(root, n)).isDirectory()) : [];
    await Promise.all(
      overlays.map(async (o) => {
        const r = await run("kubectl", ["kustomize", join(root, o)]);
        const objects = r.code === 0 ? parseAllDocuments(r.stdout).map((d) => d.toJSON() as K8s).filter(Boolean) : [];
        built[o] = { ok: r.code === 0, out: r.stderr, objects };
      }),
    );
    cliMarkers = takeMarkers([dir, parent, scratch]);
    // Five CLI runs and three kustomize builds: seconds on an idle machine, far more under load.
  }, 300_000);

  afterAll(() => {
    rmSync(parent, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  describe("the CLI", () => {
    it("analyze, analyze --json, migrate --dry-run and migrate --yes all exit 0 (these payloads must be inert, not refused)", () => {
      for (const r of Object.values(runs)) expect(r.code, show(r)).toBe(0);
    });

    it("migrate --dry-run writes nothing", () => {
      expect(afterDry).toEqual(before);
    });

    it("the stage with a hostile name gets its own overlay, beside production and staging", () => {
      expect(overlays.length, overlays.join(" | ")).toBe(3);
      expect(written.filter((p) => p.startsWith("k8s/overlays/") && p.endsWith("/kustomization.yaml")).length).toBe(3);
    });

    it("a second migrate (--dry-run) with the saved answers has nothing to change", () => {
      expect(runs.again.stdout, show(runs.again)).toMatch(/nothing to change/);
    });

    it("the answers file .rails2k8s.yml is one valid YAML document", () => {
      const docs = parseAllDocuments(read(".rails2k8s.yml"));
      expect(docs.length).toBe(1);
      expect(docs[0].errors.map((e) => e.message)).toEqual([]);
    });

    it("analyze --json is one JSON document", () => {
      expect(() => JSON.parse(runs.json.stdout)).not.toThrow();
    });
  });

  describe("generated Ruby (Ripper)", () => {
    let lit: Record<string, { syntax_error: boolean; hits: { ctx: string; token: string; line: number | null; kind?: string; value?: string | null }[] }> = {};
    beforeAll(() => {
      const files = rubyFiles().map((p) => join(dir, p));
      lit = files.length ? JSON.parse(execFileSync("ruby", [RUBY_LITERALS, MARK, ...files], { encoding: "utf8", maxBuffer: 64 << 20 })) : {};
    });

    it("every generated .rb and .rake file passes ruby -c", () => {
      expect(rubyFiles().length).toBeGreaterThan(2);
      const bad = rubyFiles()
        .map((p) => ({ p, r: spawnSync("ruby", ["-c", join(dir, p)], { encoding: "utf8" }) }))
        .filter(({ r }) => r.status !== 0)
        .map(({ p, r }) => `${p}: ${r.stderr.trim()}`);
      expect(bad).toEqual([]);
    });

    it("the planted Global file and directory names and keys reach the generated Ruby (else the checks below prove nothing)", () => {
      const seen = new Set(Object.values(lit).flatMap((f) => f.hits.flatMap((h) => fieldsIn(h.token))));
      for (const f of ["gfile", "gdir", "gnl"]) expect([...seen], f).toContain(f);
    });

    it("every planted value sits inside a plain string literal: never code, a shell command or a pattern", () => {
      const bad = Object.entries(lit).flatMap(([file, r]) =>
        r.hits.filter((h) => h.ctx !== "string").map((h) => `${file.slice(dir.length + 1)}:${h.line}: ${h.ctx} ${h.kind ?? ""} ${JSON.stringify(h.token)}`),
      );
      expect(bad).toEqual([]);
    });

    it("each literal holding a planted value holds all of it (one literal, not pieces glued to code)", () => {
      const bad: string[] = [];
      for (const [file, r] of Object.entries(lit))
        for (const h of r.hits) {
          if (h.ctx !== "string" || h.value == null) continue;
          for (const f of fieldsIn(h.token)) {
            const whole = PLANTED[f];
            if (whole && !h.value.includes(whole) && !SAFE_WORD.test(h.value.replace(/ /g, ""))) bad.push(`${file.slice(dir.length + 1)}:${h.line}: ${f}: ${JSON.stringify(h.value)}`);
          }
        }
      expect(bad).toEqual([]);
    });

    it("loading each generated Ruby file (Rails stubbed, Rake's DSL, Unicorn's DSL swallowed) runs no planted command", () => {
      spawnSync("ruby", [LOAD_ALL, ...rubyFiles().map((p) => join(dir, p))], { cwd: scratch, encoding: "utf8", timeout: 60_000 });
      expect(takeMarkers([scratch, dir])).toEqual([]);
    });
  });

  describe("config/custom (read as config_for reads it: ERB, then YAML)", () => {
    let parsed: Record<string, { value?: unknown; error?: string }> = {};
    let ran: string[] = [];
    beforeAll(() => {
      const files = written.filter((p) => p.startsWith("config/custom/") && p.endsWith(".yml"));
      parsed = files.length ? JSON.parse(execFileSync("ruby", [CONFIG_FOR, ...files], { cwd: dir, encoding: "utf8", maxBuffer: 64 << 20 })) : {};
      ran = takeMarkers([dir]);
    });

    it("every config/custom file reads without an error", () => {
      expect(Object.keys(parsed).length).toBeGreaterThan(3);
      const bad = Object.entries(parsed).filter(([, r]) => r.error).map(([f, r]) => `${f}: ${r.error}`);
      expect(bad).toEqual([]);
    });

    it("reading them ran no planted command (an escaped ERB tag in a Global value stays text)", () => {
      expect(ran).toEqual([]);
    });

    it("config/custom/hostile.yml holds each planted key and value exactly", () => {
      const r = parsed["config/custom/hostile.yml"];
      expect(r?.value, JSON.stringify(Object.keys(parsed))).toBeDefined();
      const keys = new Set<string>();
      const strings = new Set<string>();
      for (const [, v] of walkValues(r.value)) {
        if (typeof v === "string") strings.add(v);
        if (v && typeof v === "object" && !Array.isArray(v)) for (const k of Object.keys(v)) keys.add(k);
      }
      for (const k of [VALUES.yamlKeyInterp, VALUES.yamlKeyCurly, VALUES.yamlKeyNewline]) expect([...keys], JSON.stringify(k)).toContain(k);
      for (const v of [VALUES.yamlValInterp, VALUES.yamlValCurly, VALUES.yamlValNewline, VALUES.yamlValSingle, VALUES.yamlValErb]) expect([...strings], JSON.stringify(v)).toContain(v);
    });
  });

  describe("nginx", () => {
    const conf = () => read("docker/nginx/nginx.conf");

    it("docker/nginx/nginx.conf passes nginx -t", () => {
      const d = mkdtempSync(join(tmpdir(), "r2k-hostile-nginx-"));
      try {
        const r = nginxTest(conf(), d);
        expect(r.ok, r.out).toBe(true);
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    });

    it("holds no ERB tag, no value the analysis could not know, and no control character", () => {
      const c = conf();
      expect(c).not.toMatch(/<%|%>/);
      expect(c).not.toContain("echo 20M");
      expect(c).not.toContain(marker("erb"));
      expect(c).not.toMatch(CONTROL);
    });
  });

  describe("Kubernetes (kubectl kustomize)", () => {
    it("kubectl kustomize builds every overlay", () => {
      expect(overlays.length).toBeGreaterThan(0);
      const bad = Object.entries(built).filter(([, b]) => !b.ok).map(([o, b]) => `${JSON.stringify(o)}: ${b.out.trim().slice(0, 400)}`);
      expect(bad).toEqual([]);
    });

    it("every overlay directory name is a valid name (a stage name maps to [a-z0-9-])", () => {
      expect(overlays.filter((o) => !DNS_LABEL.test(o))).toEqual([]);
    });

    it("every object name, namespace and label is valid", () => {
      const bad: string[] = [];
      for (const o of allObjects()) {
        const id = `${o.kind}/${JSON.stringify(o.metadata.name)}`;
        if (!DNS_SUBDOMAIN.test(o.metadata.name) || o.metadata.name.length > 253) bad.push(`${id}: name`);
        if (["Service", "CronJob"].includes(o.kind) && (!DNS_LABEL.test(o.metadata.name) || o.metadata.name.length > (o.kind === "CronJob" ? 52 : 63))) bad.push(`${id}: name too long or not a label`);
        if (o.metadata.namespace !== undefined && (!DNS_LABEL.test(o.metadata.namespace) || o.metadata.namespace.length > 63)) bad.push(`${id}: namespace ${JSON.stringify(o.metadata.namespace)}`);
        for (const [path, v] of walkValues(o)) {
          if (!/(\.labels|\.matchLabels|\.selector)$/.test(path) || !v || typeof v !== "object" || Array.isArray(v)) continue;
          for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
            if (typeof x !== "string") continue;
            const name = k.includes("/") ? k.slice(k.indexOf("/") + 1) : k;
            if (!LABEL_VALUE.test(name) || name.length > 63 || !name) bad.push(`${id}: label key ${JSON.stringify(k)}`);
            if (!LABEL_VALUE.test(x) || x.length > 63) bad.push(`${id}: ${path}: label ${k}=${JSON.stringify(x)}`);
          }
        }
      }
      expect(bad).toEqual([]);
    });

    it("every ConfigMap and Secret key is valid: an env name where the generator reads an env file", () => {
      const bad: string[] = [];
      for (const [o, b] of Object.entries(built)) {
        const k = parseAllDocuments(read(`k8s/overlays/${o}/kustomization.yaml`))[0]?.toJSON() as Record<string, { name: string; envs?: string[] }[] | undefined> | null;
        const fromEnv = [...(k?.configMapGenerator ?? []), ...(k?.secretGenerator ?? [])].filter((g) => g.envs?.length).map((g) => g.name);
        for (const obj of b.objects) {
          if (obj.kind !== "ConfigMap" && obj.kind !== "Secret") continue;
          const envKeys = fromEnv.some((n) => obj.metadata.name === n || obj.metadata.name.startsWith(`${n}-`));
          for (const key of Object.keys({ ...(obj.data as object), ...(obj.stringData as object) }))
            if (!(envKeys ? ENV_KEY : /^[-._a-zA-Z0-9]+$/).test(key)) bad.push(`${obj.kind}/${obj.metadata.name}: ${JSON.stringify(key)}`);
        }
      }
      expect(bad).toEqual([]);
    });

    it("every Ingress and HTTPRoute host is a DNS name (an escape-laden server_name is left out)", () => {
      const hosts: string[] = [];
      for (const o of allObjects()) {
        if (o.kind === "Ingress") {
          const spec = o.spec as { rules?: { host?: string }[]; tls?: { hosts?: string[] }[] };
          for (const r of spec.rules ?? []) if (r.host !== undefined) hosts.push(r.host);
          for (const t of spec.tls ?? []) hosts.push(...(t.hosts ?? []));
        }
        if (o.kind === "HTTPRoute") hosts.push(...(((o.spec as { hostnames?: string[] }).hostnames) ?? []));
      }
      expect(hosts.length).toBeGreaterThan(0);
      expect(hosts.filter((h) => !HOST.test(h))).toEqual([]);
    });

    it("env files: every line is blank, a comment or KEY=value with a valid key; no planted newline starts a line", () => {
      const bad: string[] = [];
      for (const p of written.filter((f) => /(^|\/)[^/]*\.env(\.example)?$/.test(f))) {
        read(p)
          .split("\n")
          .forEach((l, i) => {
            if (l.trim() === "" || l.startsWith("#")) return;
            const eq = l.indexOf("=");
            if (eq < 1 || !ENV_KEY.test(l.slice(0, eq)) || l.includes(NLTAIL) && l.trimStart().startsWith(NLTAIL)) bad.push(`${p}:${i + 1}: ${JSON.stringify(l)}`);
          });
      }
      expect(bad).toEqual([]);
    });

    it("each planted default_env value reaches the hostile stage's ConfigMap whole, or the output says it was left out", () => {
      const cms = allObjects().filter((o) => o.kind === "ConfigMap" && (o.data as Record<string, string> | undefined)?.RAILS_ENV);
      expect(cms.length).toBeGreaterThan(0);
      // Said on the terminal, or in MIGRATION.md's list of what was left out.
      const said = saidOutsideDiff(runs.analyze) + saidOutsideDiff(runs.migrate) + read("MIGRATION.md");
      for (const [key, value] of [["EVIL_NL", VALUES.defaultEnvNewline], ["EVIL_Q", VALUES.defaultEnvQuotes]]) {
        for (const cm of cms) {
          const got = (cm.data as Record<string, string>)[key];
          if (got === undefined) expect(said, `${key} missing from ${cm.metadata.name} and not named in the output`).toMatch(new RegExp(`${key}\\b`));
          else expect(got, `${cm.metadata.name}: ${key}`).toBe(value);
        }
      }
    });

    it("the planted cron command is one whole argument in its CronJob, not split or re-quoted", () => {
      const args = allObjects()
        .filter((o) => o.kind === "CronJob")
        .flatMap((o) => [...walkValues(o)].filter(([p, v]) => /\.(command|args)\[\d+\]$/.test(p) && typeof v === "string").map(([, v]) => v as string));
      // as the process gets it: the kubelet's `$$`/`$(` unescaped (emitters/encode/kubelet.ts)
      expect(args.some((a) => kubeletUnescape(a).includes(VALUES.cronCommand)), JSON.stringify(args.filter((a) => a.includes(MARK)))).toBe(true);
    });

    it("every `sh -c` script in the built objects passes shellcheck", () => {
      const scripts = new Map<string, { name: string; text: string; shell: string }>();
      for (const o of allObjects())
        for (const [p, v] of walkValues(o)) {
          if (!Array.isArray(v) || !/(command|args)$/.test(p)) continue;
          const arr = v as unknown[];
          const i = arr.findIndex((x, j) => j > 0 && x === "-c" && /(^|\/)(ba)?sh$/.test(String(arr[j - 1])));
          const text = arr[i + 1];
          if (i < 0 || typeof text !== "string" || scripts.has(text)) continue;
          scripts.set(text, { name: `${o.kind}/${o.metadata.name} ${p}`, text: text + "\n", shell: String(arr[i - 1]).endsWith("bash") ? "bash" : "sh" });
        }
      expect(scripts.size).toBeGreaterThan(0);
      const found = shellcheckAll([...scripts.values()]);
      expect(Object.entries(found).map(([n, f]) => `${n}: ${f}`)).toEqual([]);
    });
  });

  describe("shell scripts and Dockerfiles", () => {
    const dockerfiles = () => written.filter((p) => /(^|\/)Dockerfile$/.test(p));

    it("every generated shell script passes shellcheck", () => {
      const scripts = written.filter((p) => /^#!\s*\S*\/(env\s+)?(ba|da)?sh\b/.test(read(p).split("\n", 1)[0]));
      expect(scripts).toContain("bin/docker-entrypoint");
      const found = shellcheckAll(scripts.map((p) => ({ name: p, text: read(p) })));
      expect(Object.entries(found).map(([n, f]) => `${n}: ${f}`)).toEqual([]);
    });

    it("every generated Dockerfile parses with no problem", () => {
      expect(dockerfiles()).toContain("Dockerfile");
      for (const p of dockerfiles()) {
        const l = lintDockerfile(read(p));
        expect(l.problems, p).toEqual([]);
      }
    });

    it("a planted value appears in a Dockerfile only in a comment, an ARG/ENV/LABEL value, inert in a RUN line, or as a mapped name", () => {
      const bad: string[] = [];
      for (const p of dockerfiles()) {
        const text = read(p);
        text.split("\n").forEach((l, i) => {
          if (l.trimStart().startsWith(NLTAIL)) bad.push(`${p}:${i + 1}: a planted newline starts this line`);
        });
        for (const ins of DockerfileParser.parse(text).getInstructions()) {
          const kw = ins.getKeyword();
          const line = ins.getRange().start.line + 1;
          const args = ins.getArgumentsContent() ?? "";
          const flags = "getFlags" in ins && typeof ins.getFlags === "function" ? (ins.getFlags() as { toString(): string }[]).map((f) => f.toString()) : [];
          for (const f of flags)
            for (const seg of f.split(",")) if (seg.includes(MARK) && !/^(--[a-z-]+=)?[a-z]+=[a-z0-9._-]+$/.test(seg)) bad.push(`${p}:${line}: ${kw} flag ${JSON.stringify(seg)}`);
          if (!args.includes(MARK)) continue;
          if (["ARG", "ENV", "LABEL"].includes(kw)) continue;
          if (kw === "RUN") {
            for (const at of liveOccurrences(args, MARK)) bad.push(`${p}:${line}: RUN runs ${JSON.stringify(args.slice(Math.max(0, at - 40), at + 40))}`);
          } else {
            for (const word of args.split(/\s+/)) if (word.includes(MARK) && !SAFE_WORD.test(word)) bad.push(`${p}:${line}: ${kw} ${JSON.stringify(word)}`);
          }
        }
      }
      expect(bad).toEqual([]);
    });

    it("every RUN line passes shellcheck", () => {
      const runs: { name: string; text: string }[] = [];
      for (const p of dockerfiles())
        for (const ins of DockerfileParser.parse(read(p)).getInstructions()) {
          const body = ins.getArgumentsContent() ?? "";
          if (ins.getKeyword() === "RUN" && !body.trimStart().startsWith("[")) runs.push({ name: `${p}:${ins.getRange().start.line + 1}`, text: `${body}\n` });
        }
      expect(runs.length).toBeGreaterThan(0);
      const found = shellcheckAll(runs);
      expect(Object.entries(found).map(([n, f]) => `${n}: ${f}`)).toEqual([]);
    });
  });

  describe("ignore files", () => {
    it("no planted newline starts a line of .dockerignore or a .gitignore", () => {
      const bad: string[] = [];
      for (const p of written.filter((f) => /(^|\/)\.(docker|git)ignore$/.test(f)))
        read(p)
          .split("\n")
          .forEach((l, i) => {
            if (l.trimStart().startsWith(NLTAIL) || l.trim() === "!/k8s/") bad.push(`${p}:${i + 1}: ${JSON.stringify(l)}`);
          });
      expect(bad).toEqual([]);
    });

    it("/k8s/ stays out of the image build context", () => {
      const lines = read(".dockerignore").split("\n").map((l) => l.trim());
      const at = lines.lastIndexOf("/k8s/");
      expect(at).toBeGreaterThanOrEqual(0);
      expect(lines.slice(at + 1).filter((l) => l.startsWith("!") && /k8s|secrets/.test(l))).toEqual([]);
    });

    it("git ignores every secrets.env the run wrote (git check-ignore)", () => {
      const secretFiles = written.filter((p) => p.endsWith("/secrets.env"));
      expect(secretFiles.length).toBe(overlays.length);
      expect(secretFiles.filter((p) => !gitIgnores(dir, p))).toEqual([]);
    });
  });

  describe("terminal and Markdown", () => {
    it("stdout and stderr of every run hold no raw control character (ESC, BEL, CR...)", () => {
      const bad = Object.values(runs).flatMap((r) => [r.stdout, r.stderr].filter((t) => CONTROL.test(t)).map((t) => `${r.args.join(" ")}: ${JSON.stringify(t.match(new RegExp(`.{0,40}${CONTROL.source}.{0,40}`))?.[0])}`));
      expect(bad).toEqual([]);
    });

    it("no planted newline starts a line of the text report", () => {
      const lines = (runs.analyze.stdout + runs.analyze.stderr + runs.migrate.stdout + runs.migrate.stderr).split("\n");
      expect(lines.filter((l) => l.trimStart().startsWith(NLTAIL))).toEqual([]);
    });

    it("MIGRATION.md holds no raw control character and no planted newline starts a line", () => {
      const md = read("MIGRATION.md");
      expect(md).not.toMatch(CONTROL);
      expect(md.split("\n").filter((l) => l.replace(/^[\s>|*-]+/, "").startsWith(NLTAIL))).toEqual([]);
    });

    it("no generated file holds a raw ESC or BEL", () => {
      expect(written.filter((p) => /[\x07\x1b]/.test(read(p)))).toEqual([]);
    });

    it("the planted escapes did reach the analysis (else the checks above prove nothing)", () => {
      // The title payload's printable part ("]0;pwned") survives any escaping of ESC and BEL.
      expect(runs.analyze.stdout).toContain("]0;pwned");
    });
  });

  describe("secrets by shape (smoke: none in any output)", () => {
    const outputs = (): Record<string, string> => ({
      "analyze stdout/stderr": runs.analyze.stdout + runs.analyze.stderr,
      "analyze --json": runs.json.stdout + runs.json.stderr,
      "migrate --dry-run stdout/stderr": runs.dry.stdout + runs.dry.stderr,
      "migrate --yes stdout/stderr": runs.migrate.stdout + runs.migrate.stderr,
    });
    const leaks = (text: string) => Object.entries(SECRETS).filter(([, s]) => text.includes(s.needle)).map(([k]) => k);

    for (const name of ["analyze stdout/stderr", "analyze --json", "migrate --dry-run stdout/stderr", "migrate --yes stdout/stderr"])
      it(`no planted secret in ${name}`, () => {
        expect(leaks(outputs()[name])).toEqual([]);
      });

    it("no planted secret in MIGRATION.md or .rails2k8s.yml", () => {
      expect({ md: leaks(read("MIGRATION.md")), answers: leaks(read(".rails2k8s.yml")) }).toEqual({ md: [], answers: [] });
    });

    it("no planted secret in any file git would commit (git ls-files --modified --others --exclude-standard)", () => {
      const files = gitWouldCommit(dir);
      expect(files).toContain("MIGRATION.md");
      const bad = files.flatMap((p) => leaks(readFileSync(join(dir, p), "utf8")).map((k) => `${p}: ${k}`));
      expect(bad).toEqual([]);
    });
  });

  describe("side effects", () => {
    it("running the CLI ran no planted command: no marker file in /tmp, the repo or its parent", () => {
      expect(cliMarkers).toEqual([]);
    });

    it("nothing outside the repo changed: the sentinel directory the symlinks point at, and the repo's parent", () => {
      expect(hashTree(outside)).toEqual(outsideBefore);
      expect(hashTree(parent, skipOwn)).toEqual(parentBefore);
    });

    it("the repo's symlinks are still the same symlinks", () => {
      const links = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([, v]) => v.startsWith("link")));
      expect(links(hashTree(dir, (r) => r === ".git"))).toEqual(links(before));
    });

    it("no file of the planted repo was changed, but the codemod's call site", () => {
      expect(written.filter((p) => before[p] !== undefined && p !== "app/services/payment_client.rb")).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------

/** A fresh copy of shop with a sentinel directory beside it. */
function freshCopy(): { dir: string; parent: string; outside: string } {
  const dir = copyFixture("shop");
  const parent = dirname(dir);
  const outside = join(parent, "outside");
  makeOutside(outside);
  return { dir, parent, outside };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface Refusal {
  name: string;
  setup: (dir: string, outside: string) => void;
  args?: string[];
  /** Each must be named in the output; `line: true` also wants file:LINE (or "line N"). */
  names: { file: string; line?: boolean }[];
}

const ALIAS_BOMB = (() => {
  const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill("*" + String.fromCharCode(96 + i)).join(", ")}]`);
  return `default:\n  ${lines.join("\n  ")}\n`;
})();

const stagingText = () => readFileSync(join(import.meta.dirname, "../../fixtures/apps/shop/config/deploy/staging.rb"), "utf8");

const REFUSALS: Refusal[] = [
  {
    name: "an alias bomb in a Global file",
    setup: (d) => writeFileSync(join(d, "config/global/bomb.yml"), ALIAS_BOMB),
    names: [{ file: "config/global/bomb.yml", line: true }],
  },
  {
    name: "a Global file whose ERB raises",
    setup: (d) => writeFileSync(join(d, "config/global/raises.yml"), `default:\n  a: 1\n  b: <%= raise "boom ${RUN_ID}" %>\n`),
    names: [{ file: "config/global/raises.yml", line: true }],
  },
  {
    name: "a binary stage file",
    setup: (d) => writeFileSync(join(d, "config/deploy/blob.rb"), Buffer.from([0x73, 0x65, 0x74, 0x00, 0x01, 0xff, 0x00, 0x0a])),
    names: [{ file: "config/deploy/blob.rb" }],
  },
  {
    name: "a stage file named ..rb",
    setup: (d) => writeFileSync(join(d, "config/deploy/..rb"), stagingText()),
    names: [{ file: "config/deploy/..rb" }],
  },
  {
    name: "a Bundler version that is not a version",
    setup: (d) => {
      const p = join(d, "Gemfile.lock");
      writeFileSync(p, readFileSync(p, "utf8").replace(/BUNDLED WITH\n   2\.4\.22/, `BUNDLED WITH\n   2.4.22;touch\${IFS}/tmp/${marker("bundler")};#`));
    },
    names: [{ file: "Gemfile.lock", line: true }],
  },
  {
    name: "--answers naming a missing file (outside the repo)",
    setup: () => {},
    args: ["--answers", `../missing-answers-${RUN_ID}.yml`],
    names: [{ file: `missing-answers-${RUN_ID}.yml` }],
  },
  {
    name: "--answers config/sidekiq.yml (a file without the answers header)",
    setup: () => {},
    args: ["--answers", "config/sidekiq.yml"],
    names: [{ file: "config/sidekiq.yml" }],
  },
  {
    name: "k8s/ a symlink out of the repo",
    setup: (d, o) => symlinkSync(o, join(d, "k8s")),
    names: [{ file: "k8s" }],
  },
  {
    name: "MIGRATION.md a symlink out of the repo",
    setup: (d, o) => symlinkSync(join(o, "MIGRATION.md"), join(d, "MIGRATION.md")),
    names: [{ file: "MIGRATION.md" }],
  },
  {
    name: "a stage file whose name holds a space, quotes, $(...) and a newline",
    setup: (d) => writeFileSync(join(d, UNMAPPABLE_STAGE), stagingText()),
    names: [{ file: "config/deploy/evil stage" }],
  },
  {
    name: "two stage files mapping to the same Kubernetes name (Prod.rb + prod.rb)",
    setup: (d) => {
      writeFileSync(join(d, "config/deploy/Prod.rb"), stagingText());
      writeFileSync(join(d, "config/deploy/prod.rb"), stagingText());
    },
    names: [{ file: "config/deploy/Prod.rb" }, { file: "config/deploy/prod.rb" }],
  },
];

interface RefusalRun {
  r: CliRun;
  repo: [Record<string, string>, Record<string, string>];
  outside: [Record<string, string>, Record<string, string>];
  parent: [Record<string, string>, Record<string, string>];
  markers: string[];
}

describe("unusable input is refused: exit 2, the file (and line) named, nothing changed", () => {
  const parents: string[] = [];
  const results = new Map<string, RefusalRun>();
  // One copy per case, run two at a time: each case is one CLI start.
  beforeAll(async () => {
    const jobs = REFUSALS.map((c) => async () => {
      const { dir, parent, outside } = freshCopy();
      parents.push(parent);
      c.setup(dir, outside);
      const b = { repo: hashTree(dir), outside: hashTree(outside), parent: hashTree(parent) };
      const r = await cliAsync(dir, ["migrate", ".", "--yes", ...(c.args ?? [])]);
      results.set(c.name, { r, repo: [b.repo, hashTree(dir)], outside: [b.outside, hashTree(outside)], parent: [b.parent, hashTree(parent)], markers: takeMarkers([dir, parent]) });
    });
    await limited(jobs, 2);
  }, 300_000);
  afterAll(() => {
    for (const p of parents) rmSync(p, { recursive: true, force: true });
  });

  for (const c of REFUSALS)
    it(c.name, () => {
      const { r, repo, outside, parent, markers } = results.get(c.name)!;
      const said = r.stdout + r.stderr;
      expect(r.code, show(r)).toBe(2);
      for (const n of c.names) {
        expect(said, `names ${n.file}`).toContain(n.file);
        if (n.line) expect(said, `names ${n.file} with a line`).toMatch(new RegExp(`${escapeRe(n.file)}(:\\d+| line \\d+|, line \\d+| \\(line \\d+\\))`));
      }
      expect(repo[1], "the repo changed").toEqual(repo[0]);
      expect(outside[1], "the outside changed").toEqual(outside[0]);
      expect(parent[1], "the repo's parent changed").toEqual(parent[0]);
      expect(markers).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------

interface InertOrRefused {
  name: string;
  file: string;
  setup: (dir: string) => void;
}

const INERT_OR_REFUSED: InertOrRefused[] = [
  {
    name: ".ruby-version that is not a version",
    file: ".ruby-version",
    setup: (d) => writeFileSync(join(d, ".ruby-version"), `3.1.4;touch /tmp/${marker("rubyver")};#\n`),
  },
  {
    name: "Gemfile.lock RUBY VERSION that is not a version (no .ruby-version: the lockfile decides)",
    file: "Gemfile.lock",
    setup: (d) => {
      rmSync(join(d, ".ruby-version"));
      const p = join(d, "Gemfile.lock");
      writeFileSync(p, readFileSync(p, "utf8").replace("ruby 3.1.4p223", `ruby 3.1.4p223$(touch /tmp/${marker("lockruby")})`));
    },
  },
  {
    name: "a default_env key that is not an env name",
    file: "config/deploy.rb",
    setup: (d) => {
      const p = join(d, "config/deploy.rb");
      writeFileSync(p, readFileSync(p, "utf8").replace(`  "TZ" => "Asia/Tokyo",`, `  "TZ" => "Asia/Tokyo",\n  "BAD KEY$(touch /tmp/${marker("envkey")})\\nX" => "v",`));
    },
  },
];

describe("a value no encoder may write is refused (exit 2, named) or left out inert (exit 0, said)", () => {
  const parents: string[] = [];
  const results = new Map<string, { dir: string; r: CliRun; before: Record<string, string>; after: Record<string, string>; markers: string[] }>();
  beforeAll(async () => {
    const jobs = INERT_OR_REFUSED.map((c) => async () => {
      const { dir, parent } = freshCopy();
      parents.push(parent);
      c.setup(dir);
      const before = hashTree(dir);
      const r = await cliAsync(dir, ["migrate", ".", "--yes"]);
      results.set(c.name, { dir, r, before, after: hashTree(dir), markers: takeMarkers([dir, parent]) });
    });
    await limited(jobs, 2);
  }, 300_000);
  afterAll(() => {
    for (const p of parents) rmSync(p, { recursive: true, force: true });
  });

  for (const c of INERT_OR_REFUSED)
    it(c.name, () => {
      const { dir, r, before, after, markers } = results.get(c.name)!;
      expect([0, 2], show(r)).toContain(r.code);
      // Said on the terminal, or (written, exit 0) in MIGRATION.md's list of what was left out.
      const guide = r.code === 0 && existsSync(join(dir, "MIGRATION.md")) ? readFileSync(join(dir, "MIGRATION.md"), "utf8") : "";
      expect(saidOutsideDiff(r) + guide, "the value refused or left out is named by its file, outside the diff").toContain(c.file);
      if (r.code === 2) expect(after).toEqual(before);
      else {
        const out = changedFiles(before, after);
        const bad: string[] = [];
        for (const p of out.filter((f) => /(^|\/)Dockerfile$/.test(f)))
          for (const ins of DockerfileParser.parse(readFileSync(join(dir, p), "utf8")).getInstructions()) {
            const args = ins.getArgumentsContent() ?? "";
            if (ins.getKeyword() === "RUN") for (const at of liveOccurrences(args, MARK)) bad.push(`${p} RUN ${JSON.stringify(args.slice(Math.max(0, at - 40), at + 40))}`);
            else if (!["ARG", "ENV", "LABEL"].includes(ins.getKeyword()) && args.split(/\s+/).some((w) => w.includes(MARK) && !SAFE_WORD.test(w))) bad.push(`${p} ${ins.getKeyword()} ${JSON.stringify(args)}`);
          }
        for (const p of out.filter((f) => /\.env(\.example)?$/.test(f)))
          for (const l of readFileSync(join(dir, p), "utf8").split("\n")) if (l && !l.startsWith("#") && !ENV_KEY.test(l.slice(0, Math.max(0, l.indexOf("="))))) bad.push(`${p}: ${JSON.stringify(l)}`);
        expect(bad).toEqual([]);
      }
      expect(markers).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------

describe("the checkers themselves can fail", () => {
  it("Ripper helper: flags interpolation and backticks, decodes plain literals", () => {
    const d = mkdtempSync(join(tmpdir(), "r2k-hostile-self-"));
    try {
      const f = join(d, "x.rb");
      writeFileSync(f, `a = "x\\#{1} MARKZ"\nb = "#{\`touch MARKZ\`}"\nMARKZ_C = 1\n`);
      const r = JSON.parse(execFileSync("ruby", [RUBY_LITERALS, "MARKZ", f], { encoding: "utf8" }))[f];
      expect(r.hits.map((h: { ctx: string }) => h.ctx)).toEqual(["string", "xstring", "code"]);
      expect(r.hits[0].value).toBe("x#{1} MARKZ");
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("shell helpers: live vs inert positions, and shellcheck rejects a broken script", () => {
    expect(liveOccurrences(`echo 'a M b'`, "M")).toEqual([]);
    expect(liveOccurrences(`echo "a M b"`, "M")).toEqual([]);
    expect(liveOccurrences(`echo "$(touch M)"`, "M")).toHaveLength(1);
    expect(liveOccurrences(`echo $(touch 'M')`, "M")).toHaveLength(1);
    expect(liveOccurrences(`x 2.4;touch M;#`, "M")).toHaveLength(1);
    expect(liveOccurrences(`x 2.4;touch /tmp/M;#`, "M")).toHaveLength(1);
    expect(liveOccurrences(`id=shop-M-gems`, "M")).toEqual([]);
    expect(shellcheck("echo 'unterminated\n").ok).toBe(false);
    expect(shellcheck("echo ok\n").ok).toBe(true);
  });

  it("marker search finds a touched marker", () => {
    const d = mkdtempSync(join(tmpdir(), "r2k-hostile-self-"));
    try {
      mkdirSync(join(d, "a"));
      writeFileSync(join(d, "a", marker("self")), "");
      expect(markersIn([d])).toHaveLength(1);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("config_for helper runs ERB (so an unescaped tag would be caught)", () => {
    const d = mkdtempSync(join(tmpdir(), "r2k-hostile-self-"));
    try {
      writeFileSync(join(d, "c.yml"), "shared:\n  a: <%= 1 + 1 %>\n");
      const r = JSON.parse(execFileSync("ruby", [CONFIG_FOR, "c.yml"], { cwd: d, encoding: "utf8" }))["c.yml"];
      expect(r.value).toEqual({ shared: { a: 2 } });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

