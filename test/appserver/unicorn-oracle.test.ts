// Oracle: Unicorn itself (Unicorn::Configurator of Debian's unicorn 6) reads every fixture Unicorn
// config and Debian's upstream example; the analyzer must find the same worker count, timeout
// (60 when unset), listeners with their options, preload_app, pid, log paths, working directory and
// hooks. Files are placed where Capistrano deploys them (`<deploy_to>/current/...`, under a temp
// root) so `__FILE__`-relative paths resolve as on the server; ENV variables are unset, so each
// EnvRef is compared through its default.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, copyFileSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { unicornAddress } from "../../analyzers/appserver/listen.js";
import { memoryRepo, readRepo } from "../../src/repo.js";
import type { AppServerConfig, Problem, RValue, Stage } from "../../src/model.js";
import { runRubyFile } from "./ruby.js";
import { withEnvDefaults } from "./values.js";

const here = dirname(fileURLToPath(import.meta.url));
const DEBIAN_EXAMPLE = "/usr/share/doc/unicorn/examples/unicorn.conf.rb";

interface Case {
  name: string;
  app: string | null; // fixture app, or null for the Debian example
  file: string; // repo path
  deployTo: string | null;
  stageEnv: string | null;
}
const CASES: Case[] = [
  { name: "shop production", app: "shop", file: "config/unicorn/production.rb", deployTo: "/var/www/shop", stageEnv: "production" },
  { name: "shop staging", app: "shop", file: "config/unicorn/staging.rb", deployTo: "/var/www/shop", stageEnv: "staging" },
  { name: "shop development", app: "shop", file: "config/unicorn/development.rb", deployTo: null, stageEnv: null },
  { name: "legacy (all stages)", app: "legacy", file: "config/unicorn.rb", deployTo: "/u/apps/legacy", stageEnv: "production" },
  { name: "Debian's upstream example", app: null, file: "config/unicorn.rb", deployTo: null, stageEnv: null },
  { name: "test-only idioms (loops, ENV, conditions, hooks)", app: null, file: "config/unicorn.rb", deployTo: "/srv/tricky", stageEnv: "production" },
];

let root: string;
let oracle: any[];
const analyzed = new Map<string, AppServerConfig>();
const problems: Problem[] = [];

const stageFor = (c: Case): Stage[] =>
  c.deployTo && c.stageEnv
    ? [{ name: c.stageEnv, source: { file: `config/deploy/${c.stageEnv}.rb`, line: 1 }, variables: { deploy_to: { value: c.deployTo, source: { file: "config/deploy.rb", line: 2 } } }, servers: [] }]
    : [];

beforeAll(async () => {
  await initPrism();
  root = mkdtempSync(join(tmpdir(), "r2k-unicorn-"));
  const paths: string[] = [];
  for (const c of CASES) {
    const src = c.app ? join("fixtures/apps", c.app, c.file) : c.deployTo ? join(here, "tricky_unicorn.rb") : DEBIAN_EXAMPLE;
    const dest = join(root, c.deployTo ?? `/elsewhere/${c.name.replace(/\W+/g, "-")}`, "current", c.file);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(src, dest);
    paths.push(dest);
    const repo = c.app ? readRepo(join("fixtures/apps", c.app)).repo : memoryRepo({ [c.file]: readFileSync(src, "utf8") });
    const found = analyzeAppServers({ repo, problem: (p) => problems.push(p) }, stageFor(c)).find((a) => a.file === c.file);
    if (found) analyzed.set(c.name, found);
  }
  oracle = runRubyFile(join(here, "unicorn_oracle.rb"), paths);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The oracle's view, with the temp root taken off the paths it expanded. */
function fromOracle(i: number): any {
  return JSON.parse(JSON.stringify(oracle[i]).split(root).join(""));
}

/** The analyzer's view in the oracle's terms. */
function fromAnalyzer(a: AppServerConfig): any {
  const v = (f: { value: RValue } | null) => (f ? withEnvDefaults(f.value) : null);
  return {
    worker_processes: v(a.workers),
    timeout: v(a.timeout),
    listeners: a.listen.map((l) => {
      const addr = withEnvDefaults(l.address);
      const options: Record<string, RValue> = {};
      for (const [k, x] of Object.entries(l.options)) options[k] = withEnvDefaults(x);
      return { address: typeof addr === "string" || typeof addr === "number" ? unicornAddress(addr).canonical : addr, options };
    }),
    preload_app: v(a.preloadApp),
    pid: v(a.pid),
    stderr_path: v(a.stderrPath),
    stdout_path: v(a.stdoutPath),
    working_directory: v(a.workingDirectory),
    hooks: a.hooks.map((h) => h.value).sort(),
  };
}

describe("Unicorn configs: analyzer vs Unicorn::Configurator", () => {
  CASES.forEach((c, i) => {
    it(c.name, () => {
      const want = fromOracle(i);
      expect(want.error).toBeUndefined();
      const a = analyzed.get(c.name);
      expect(a, `analyzer found ${c.file}`).toBeDefined();
      expect(a!.kind).toBe("unicorn");
      const got = fromAnalyzer(a!);
      expect(got).toEqual({ ...want, hooks: [...want.hooks].sort() });
    });
  });

  it("read every file without problems", () => {
    expect(problems).toEqual([]);
  });
});
