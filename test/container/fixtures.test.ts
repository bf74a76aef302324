// For each fixture app (fixtures/apps/*), analyzed by the real analyzers: the image's base tag,
// Bundler version, packages per gem, non-root user and no deploy gems. The expected values are
// read from the fixture's own files here (.ruby-version, Gemfile.lock, Gemfile), not from the model.
import { beforeAll, describe, expect, test } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AppModel } from "../../src/model.js";
import { analyzeFiles } from "../../src/analyze.js";
import { readRepo } from "../../src/repo.js";
import { emitContainer } from "../../emitters/container/index.js";
import { APP_UID } from "../../emitters/contract.js";
import { lintDockerfile } from "./dockerfile-lint.js";

const ROOT = resolve(import.meta.dirname, "../../fixtures/apps");
const APPS = ["shop", "legacy", "ledger"] as const;
const models: Record<string, AppModel> = {};

beforeAll(async () => {
  for (const a of APPS) models[a] = await analyzeFiles(readRepo(join(ROOT, a)).repo, a);
});

const read = (app: string, f: string) => readFileSync(join(ROOT, app, f), "utf8");
const locked = (app: string, gem: string) => new RegExp(`^    ${gem.replace(/[-.]/g, "\\$&")} \\(`, "m").test(read(app, "Gemfile.lock"));
/** Groups of the Gemfile's `group ... do` blocks that mention a gem matching `re`. */
function groupsHolding(app: string, re: RegExp): string[] {
  const out = new Set<string>();
  const text = read(app, "Gemfile");
  for (const m of text.matchAll(/^group\s+([^\n]+?)\s+do\n([\s\S]*?)^end/gm))
    if (m[2]!.split("\n").some((l) => re.test(l.replace(/#.*/, "")))) for (const g of m[1]!.matchAll(/:(\w+)/g)) out.add(g[1]!);
  return [...out];
}

describe("uploads served by nginx from shared/", () => {
  test("legacy: the alias into shared/system points at the data dir the pod mounts into nginx too", () => {
    const files = emitContainer(models["legacy"]!, { "container.nginx_sidecar": true }).files;
    const conf = files.find((f) => f.path === "docker/nginx/nginx.conf")!.content;
    expect(conf).toMatch(/location \^~ \/system\/ \{\s*alias \/rails\/public\/system\/;/);
    expect(conf).not.toContain("/shared/");
  });
});

describe.each(APPS)("fixture %s", (app) => {
  const dockerfile = () => emitContainer(models[app]!, {}).files.find((f) => f.path === "Dockerfile")!.content;

  test("base image tag from .ruby-version; Dockerfile lints clean", () => {
    const ruby = read(app, ".ruby-version").trim().replace(/^ruby-/, "");
    const d = dockerfile();
    expect(d).toContain(`ARG RUBY_VERSION=${ruby}\n`);
    expect(d).toContain("FROM ruby:${RUBY_VERSION}-slim AS base");
    expect(lintDockerfile(d).problems).toEqual([]);
  });

  test("the image's Debian: archived sources, its jemalloc, a Node its glibc runs", () => {
    const ruby = read(app, ".ruby-version").trim().replace(/^ruby-/, "");
    const [maj, min] = ruby.split(".").map(Number) as [number, number];
    const d = dockerfile();
    const stretch = maj < 2 || (maj === 2 && min < 4); // ruby:2.3-slim is Debian 9
    const archived = maj < 2 || (maj === 2 && min < 6); // 2.4 and 2.5 are on Debian 10
    expect(d.includes("archive.debian.org"), ruby).toBe(archived);
    expect(d.includes("Acquire::Check-Valid-Until=false"), ruby).toBe(archived);
    expect(d.includes(" libjemalloc1 "), ruby).toBe(stretch);
    expect(d.includes("libjemalloc.so.1"), ruby).toBe(stretch);
    const node = /^ARG NODE_VERSION=(\d+)/m.exec(d)?.[1];
    if (node && stretch) expect(Number(node)).toBeLessThanOrEqual(16);
  });

  test("Bundler pinned to BUNDLED WITH", () => {
    const v = /^BUNDLED WITH\n\s+(\S+)/m.exec(read(app, "Gemfile.lock"))![1]!;
    expect(dockerfile()).toContain(`gem install bundler -v ${v} `);
  });

  test("packages per gem", () => {
    const d = dockerfile();
    const expectations: [string, RegExp][] = [
      ["mysql2", /default-libmysqlclient-dev[\s\S]*default-mysql-client|default-mysql-client[\s\S]*default-libmysqlclient-dev/],
      ["pg", /libpq-dev/],
      ["ffi", /libffi-dev/],
    ];
    for (const [gem, re] of expectations) expect(re.test(d), `${gem} locked: ${locked(app, gem)}`).toBe(locked(app, gem));
    expect(d.includes("postgresql-client")).toBe(locked(app, "pg"));
    const noko = /^    nokogiri \((\d+)\.(\d+)/m.exec(read(app, "Gemfile.lock"));
    const old = !!noko && (Number(noko[1]) < 1 || (Number(noko[1]) === 1 && Number(noko[2]) < 11));
    expect(d.includes("libxml2-dev")).toBe(old);
  });

  test("non-root user", () => {
    const p = lintDockerfile(dockerfile());
    const users = p.instructions.filter((i) => i.keyword === "USER").map((i) => i.args);
    expect(users).toEqual([`${APP_UID}:${APP_UID}`]);
    const kws = p.instructions.map((i) => i.keyword);
    expect(kws.lastIndexOf("USER")).toBeGreaterThan(kws.lastIndexOf("FROM"));
  });

  test("no deploy gems: the Gemfile groups holding capistrano are in BUNDLE_WITHOUT", () => {
    const groups = groupsHolding(app, /gem\s+["'](capistrano|rvm-capistrano)/);
    expect(groups.length).toBeGreaterThan(0);
    const without = /BUNDLE_WITHOUT="([^"]*)"/.exec(dockerfile())![1]!.split(":");
    for (const g of groups) expect(without).toContain(g);
  });

  test("Node and JS install follow the lockfiles", () => {
    const d = dockerfile();
    expect(d.includes("yarn install --frozen-lockfile")).toBe(existsSync(join(ROOT, app, "yarn.lock")));
    expect(d.includes("COPY package.json")).toBe(existsSync(join(ROOT, app, "package.json")));
  });
});
