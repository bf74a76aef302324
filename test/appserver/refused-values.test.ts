// Values the server refuses at boot: the real Unicorn::Configurator and Puma::Configuration say which
// configs never booted, and the analysis must refuse exactly those (exit 2, file:line), never carry
// them or change them into a value that boots.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { BIN, copyFixture, snapshot } from "../migrate/helpers.js";

const UNICORN = `require "unicorn"; begin; Unicorn::Configurator.new(config_file: ARGV[0]); puts "booted"; rescue ArgumentError => e; puts e.message; end`;
const PUMA = `require "puma"; require "puma/configuration"; begin; c = Puma::Configuration.new(config_files: [ARGV[0]]); c.load; puts "booted"; rescue StandardError => e; puts e.message; end`;

function serverSays(kind: "unicorn" | "puma", text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-refused-"));
  const path = join(dir, "config.rb");
  writeFileSync(path, text);
  const r = spawnSync("ruby", ["-e", kind === "unicorn" ? UNICORN : PUMA, path], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

function weRefuse(kind: "unicorn" | "puma", text: string): Omit<Problem, "severity">[] {
  const file = kind === "unicorn" ? "config/unicorn.rb" : "config/puma.rb";
  const refused: Omit<Problem, "severity">[] = [];
  analyzeAppServers({ repo: memoryRepo({ [file]: text }), problem: () => {}, unusable: (p) => refused.push(p) }, []);
  return refused;
}

const CASES: { kind: "unicorn" | "puma"; text: string; line: number | null }[] = [
  { kind: "unicorn", text: "listen 8080\ntimeout -5\n", line: 2 },
  { kind: "unicorn", text: "timeout 2\n", line: 1 },
  { kind: "unicorn", text: "timeout 2.5\n", line: 1 },
  { kind: "unicorn", text: "timeout 3\n", line: null },
  { kind: "unicorn", text: "timeout 99999999\n", line: null },
  { kind: "unicorn", text: "worker_processes 0\n", line: 1 },
  { kind: "unicorn", text: "\nworker_processes -3\n", line: 2 },
  { kind: "unicorn", text: "worker_processes 2.5\n", line: 1 },
  { kind: "unicorn", text: "worker_processes 1\n", line: null },
  { kind: "puma", text: "threads 5, 1\n", line: 1 },
  { kind: "puma", text: "threads 0, 0\n", line: 1 },
  { kind: "puma", text: "threads -1, -1\n", line: 1 },
  { kind: "puma", text: "threads 0, 5\n", line: null },
  { kind: "puma", text: "workers -2\n", line: null },
  { kind: "puma", text: "workers 2\nworker_timeout 5\n", line: 2 },
  { kind: "puma", text: "worker_timeout 6\n", line: null },
];

beforeAll(async () => {
  await initPrism();
});

describe("a value the server refuses at boot is unusable input, as the server says", () => {
  it.each(CASES)("$kind: $text", ({ kind, text, line }) => {
    const says = serverSays(kind, text);
    const refused = weRefuse(kind, text);
    if (line === null) {
      expect(says).toBe("booted");
      expect(refused).toEqual([]);
    } else {
      expect(says).not.toBe("booted");
      expect(refused.map((r) => r.line)).toEqual([line]);
      expect(refused[0]!.message).toMatch(/refuses it at boot/);
    }
  });

  it("Puma's `workers 2.5` runs 2 (count.to_i), not 3", () => {
    const cfg = analyzeAppServers({ repo: memoryRepo({ "config/puma.rb": "workers 2.5\n" }), problem: () => {} }, [])[0]!;
    expect(cfg.workers?.value).toBe(2);
  });
});

describe("through the CLI", () => {
  it("`timeout -5` in shop's staging Unicorn config: exit 2 naming the line, nothing written", () => {
    const dir = copyFixture("shop");
    const file = join(dir, "config/unicorn/staging.rb");
    writeFileSync(file, readFileSync(file, "utf8").replace("timeout 60", "timeout -5"));
    const before = snapshot(dir);
    for (const args of [["analyze", dir], ["migrate", dir, "--yes"]]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/config\/unicorn\/staging\.rb:13: timeout -5: Unicorn refuses it at boot/);
    }
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("a refused value this analysis rendered from an ERB template", () => {
  it("is a warning and carried as unknown, not exit 2 (a corpus repo's `<% if fetch(:puma_worker_timeout) %>`)", async () => {
    const { reportRefusedValues } = await import("../../analyzers/appserver/refused-values.js");
    const problems: { file: string; line: number; message: string; severity?: string }[] = [];
    const src = { file: "config/deploy/templates/puma.rb.erb", line: 22 };
    const cfg = { kind: "puma", file: "config/deploy/templates/puma.rb.erb", env: null, stages: [], workers: null, threads: null, timeout: { value: 0, source: src } } as any;
    reportRefusedValues({ problem: (p: any) => problems.push(p) } as any, [cfg]);
    expect(problems.map((p) => [p.file, p.line, p.severity])).toEqual([["config/deploy/templates/puma.rb.erb", 22, "warning"]]);
    expect(cfg.timeout.value).toMatchObject({ unknown: expect.stringContaining("worker_timeout 0") });
  });
});
