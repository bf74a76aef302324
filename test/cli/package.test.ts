// The package as a user gets it: `npm pack`, installed into a fresh prefix, run from outside the clone
// on a copy of a fixture app. Offline, with an empty npm cache: the bundle holds every package it
// uses, so installing it needs no registry.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { builtinModules } from "node:module";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../../src/version.js";

const ROOT = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

// What runs, and nothing else (no src/, test/, fixtures/).
const SHIPPED = [
  "LICENSE",
  "README.md",
  "bin/load.cjs",
  "bin/rails2k8s.js",
  "dist/bundle/THIRD-PARTY-LICENSES.txt",
  "dist/bundle/prism.wasm",
  "dist/bundle/rails2k8s.cjs",
  "dist/bundle/rails2k8s.cjs.cache",
  "package.json",
  "schema/appmodel.schema.json",
];

let work: string;
let tarball: string;
// npm's settings from the run that started vitest (npm_config_prefix, ...) would steer the installs.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const sh = (cmd: string, args: string[], opts: SpawnSyncOptions = {}) => {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: work, env, timeout: 120_000, ...opts });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "r2k-pack-"));
  // The global setup has just built dist/: prepack would build again under the other test files' feet.
  const r = sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: ROOT });
  expect(r.status, r.stderr).toBe(0);
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  expect(info!.files.map((f) => f.path).sort()).toEqual(SHIPPED);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the packed tarball", () => {
  it("builds before packing, and needs nothing installed beside it", () => {
    expect(pkg.scripts.prepack).toMatch(/\bnpm run build\b/);
    // The bundle loads only Node's own modules: a runtime dependency would have to be installed,
    // and could not be offline.
    expect(pkg.dependencies ?? {}).toEqual({});
    const bundle = readFileSync(join(ROOT, "dist/bundle/rails2k8s.cjs"), "utf8");
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!));
    const builtin = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    expect([...required].filter((m) => !builtin.has(m))).toEqual([]);
    expect(VERSION).toBe(pkg.version);
  });

  it("installs into a fresh prefix offline and runs analyze and migrate --dry-run from outside the clone", () => {
    const prefix = join(work, "prefix");
    const cache = join(work, "empty-cache");
    const r = sh("npm", ["install", "--global", "--prefix", prefix, "--cache", cache, "--offline", "--no-audit", "--no-fund", tarball]);
    expect(r.status, r.stderr).toBe(0);
    const installed = join(prefix, "lib/node_modules/rails2k8s");
    expect(existsSync(join(installed, "node_modules"))).toBe(false);
    const bin = join(prefix, "bin/rails2k8s");

    const version = sh(bin, ["--version"]);
    expect(version.stdout.trim()).toBe(pkg.version);
    expect(version.status).toBe(0);

    const app = join(work, "shop");
    cpSync(join(ROOT, "fixtures/apps/shop"), app, { recursive: true });
    const analyze = sh(bin, ["analyze", "shop"]);
    expect(analyze.stderr).toBe("");
    expect(analyze.status).toBe(0);
    // Prism (the WASM beside the bundle) read the Capistrano files: facts cite their lines.
    expect(analyze.stdout).toMatch(/config\/deploy\/production\.rb:\d+/);

    const before = readdirSync(app).sort();
    const migrate = sh(bin, ["migrate", "shop", "--dry-run"]);
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/Dry run: \d+ file\(s\) would be written; nothing was written\./);
    expect(migrate.stdout).toContain("k8s/base/kustomization.yaml");
    expect(readdirSync(app).sort()).toEqual(before);

    // The code cache shipped is the one V8 takes from the installed place.
    const cached = sh(process.execPath, ["-e", `process.emitWarning = () => {}; process.stdout.write(String(require(${JSON.stringify(join(installed, "bin/load.cjs"))}).loadCli().cacheRejected))`]);
    expect(cached.stdout).toBe("false");
  });

  it("runs with npx --package=<tarball>, offline", () => {
    const r = sh("npx", ["--yes", "--offline", "--cache", join(work, "npx-cache"), `--package=${tarball}`, "rails2k8s", "--version"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});
