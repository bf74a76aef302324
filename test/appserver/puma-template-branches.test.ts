// capistrano3-puma (< 6) renders its config from a template with `<% if fetch(:x) %>` branches.
// Those run as Ruby runs them: nil and false are falsy, everything else (0 and "" too) truthy; a
// condition this analysis cannot know leaves the setting unknown and is said, never a guess.
// Judged by Ruby's own ERB (the plugin's `template_puma`) and Debian's Puma::Configuration.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { renderErb } from "../../analyzers/ruby/erb.js";
import { stageScope } from "../../analyzers/ruby/stage-scope.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem, RValue, Stage } from "../../src/model.js";
import { runRubyFile } from "./ruby.js";
import { formatValue } from "../../src/model/format.js";

const here = dirname(fileURLToPath(import.meta.url));
beforeAll(async () => {
  await initPrism();
});

const TEMPLATE_PATH = "config/deploy/templates/puma.rb.erb";
const TEMPLATE = [
  "# written by puma:config on each web host",
  "directory '<%= current_path %>'",
  "threads <%= fetch(:puma_threads).join(',') %>",
  "<%= puma_bind %>",
  "workers <%= puma_workers %>",
  "<% if fetch(:puma_worker_timeout) -%>",
  "worker_timeout <%= fetch(:puma_worker_timeout).to_i %>",
  "<% end -%>",
  "<% if fetch(:burst_workers) %>",
  "workers 3",
  "<% elsif fetch(:small_box) %>",
  "workers 1",
  "<% end %>",
  "<% unless fetch(:lean_threads) %>",
  "threads 2, 8",
  "<% end %>",
  "<% if puma_preload_app? %>",
  "preload_app!",
  "<% else %>",
  "prune_bundler",
  "<% end %>",
  "",
].join("\n");

const DEPLOY_TO = "/srv/ledger";
const DEFAULTS: Record<string, RValue> = {
  deploy_to: DEPLOY_TO,
  puma_threads: [0, 16],
  puma_workers: 0,
  puma_preload_app: false,
  puma_bind: `unix://${DEPLOY_TO}/shared/tmp/sockets/puma.sock`,
};

const stage = (name: string, vars: Record<string, RValue>): Stage => ({
  name,
  source: { file: `config/deploy/${name}.rb`, line: 1 },
  variables: Object.fromEntries(Object.entries({ deploy_to: DEPLOY_TO, ...vars }).map(([k, v], i) => [k, { value: v, source: { file: `config/deploy/${name}.rb`, line: i + 2 } }])),
  servers: [],
});

const repo = () => memoryRepo({ Capfile: 'require "capistrano/setup"\nrequire "capistrano/puma"\n', [TEMPLATE_PATH]: TEMPLATE });

// each case: the stage's own variables; nil-valued keys are unset in the stage
const CASES: Record<string, Record<string, RValue>> = {
  unset: {},
  nilTimeout: { puma_worker_timeout: null },
  falseFlags: { burst_workers: false, small_box: false, lean_threads: false },
  zeroIsTruthy: { puma_worker_timeout: 90, burst_workers: 0 },
  emptyStringIsTruthy: { burst_workers: "", lean_threads: "", puma_preload_app: true },
  elsif: { burst_workers: false, small_box: true, puma_workers: 2 },
};

describe("capistrano3-puma template conditionals", () => {
  it("keep or drop each branch as Ruby's ERB does, read as Puma reads the result", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-puma-tmpl-"));
    writeFileSync(join(dir, "puma.rb.erb"), TEMPLATE);
    const names = Object.keys(CASES);
    const real = runRubyFile(
      join(here, "puma_template_oracle.rb"),
      names.map((n) => ({ template: join(dir, "puma.rb.erb"), out: join(dir, `${n}.rb`), vars: { ...DEFAULTS, ...CASES[n] } })),
    );
    const problems: Problem[] = [];
    const servers = analyzeAppServers({ repo: repo(), problem: (p) => problems.push(p) }, names.map((n) => stage(n, CASES[n]!)));
    names.forEach((n, i) => {
      const r = real[i];
      expect(r.error, n).toBeUndefined();
      const ours = servers.find((s) => s.kind === "puma" && s.stages.includes(n))!;
      expect(ours.file, n).toBe(TEMPLATE_PATH);
      expect([n, ours.workers?.value]).toEqual([n, r.workers]);
      expect([n, ours.threads?.value]).toEqual([n, r.threads]);
      expect([n, ours.timeout?.value ?? null]).toEqual([n, r.worker_timeout ?? null]);
      expect([n, ours.preloadApp?.value === true]).toEqual([n, r.preload_app === true]);
    });
    // no branch here is unknown: nothing is said to be read "as if rendered"
    expect(problems.filter((p) => p.message.includes("not run"))).toEqual([]);
    // the unset timeout writes no worker_timeout (it was `worker_timeout 0` when every branch was read)
    expect(servers.find((s) => s.stages.includes("unset"))!.timeout).toBeNull();
  });

  it("a condition not known leaves what it guards unknown, named by the template's line", () => {
    const problems: Problem[] = [];
    const guess: RValue = { unknown: "computed on the deploy host", source: { file: "config/deploy.rb", line: 9 } };
    const servers = analyzeAppServers({ repo: repo(), problem: (p) => problems.push(p) }, [stage("production", { burst_workers: guess })]);
    const ours = servers.find((s) => s.stages.includes("production"))!;
    const w = ours.workers?.value as any;
    expect(w?.unknown).toMatch(/if fetch\(:burst_workers\)/);
    expect(w?.source).toEqual({ file: TEMPLATE_PATH, line: 9 });
    // the other branches are still decided
    expect(ours.timeout).toBeNull();
    expect(ours.threads?.value).toEqual([2, 8]);
    expect(problems.some((p) => p.file === TEMPLATE_PATH && p.line === 9 && /not run/.test(p.message))).toBe(true);
  });

  it("maps each output line to its template line when branches are dropped", () => {
    const st = stage("production", {});
    const out = renderErb(TEMPLATE_PATH, TEMPLATE, stageScope({ ...st, variables: { ...st.variables, puma_threads: { value: [0, 16], source: st.source } } }), undefined, { branches: true });
    const lines = out.output.split("\n");
    const at = (text: string) => out.lines[lines.indexOf(text) + 1];
    expect(at("threads 2, 8")).toBe(15);
    expect(at("prune_bundler")).toBe(20);
  });

  it("a worker count the deploy computes from something unknown stays that Unknown, with its own reason", () => {
    // `set :puma_workers, Settings.web_workers || 2` in the deploy: `workers <%= puma_workers %>` in the
    // rendering reads as the constant-like token, whose Unknown was printed as [object Object].
    const why: RValue = { unknown: "`||` over a value not known statically (truthy either way)", expr: "Settings.web_workers || 2", source: { file: "config/deploy.rb", line: 12 } };
    const text = "threads <%= fetch(:puma_threads).join(',') %>\nworkers <%= puma_workers %>\n";
    const r = memoryRepo({ Capfile: 'require "capistrano/setup"\nrequire "capistrano/puma"\n', [TEMPLATE_PATH]: text });
    const servers = analyzeAppServers({ repo: r, problem: () => {} }, [stage("production", { puma_threads: [0, 16], puma_workers: why })]);
    const w = servers.find((s) => s.stages.includes("production"))!.workers!;
    expect(w.value).toEqual(why);
    expect(w.source).toEqual({ file: TEMPLATE_PATH, line: 2 });
    expect(formatValue(w.value)).toBe("<unknown: `||` over a value not known statically (truthy either way) — Settings.web_workers || 2>");
  });
});
