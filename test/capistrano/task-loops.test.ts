// task-loops.ts: a task body's lines as run, loops unrolled with their block variables bound, each
// copy on lines of its own that keep the source line numbers (what a link's provenance cites).
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism, parseRuby, statementsOf } from "../../analyzers/ruby/prism.js";
import { evaluate } from "../../analyzers/ruby/evaluate.js";
import { MAX_UNROLLED_BYTES, runLinesOf } from "../../analyzers/capistrano/task-loops.js";

beforeAll(initPrism);

function linesOf(src: string) {
  const parsed = parseRuby("config/deploy.rb", src);
  const task = statementsOf(parsed.root)[0];
  return runLinesOf(task.block, parsed, (node, bound) => evaluate(node, parsed, { local: (n) => bound.get(n) }));
}

describe("runLinesOf", () => {
  it("a loop in a loop and a one-line brace block: one line per copy, at its source line", () => {
    const { lines, loops } = linesOf(
      [
        `task :links do`,
        `  %w(config tmp).each do |dir|`,
        `    [:a, :b].each { |n| run "ln -s #{shared_path}/#{dir}/#{n} #{release_path}/#{dir}/#{n}" }`,
        `  end`,
        `  run "echo done"`,
        `end`,
      ].join("\n"),
    );
    const runs = lines.filter((l) => l.text.includes("run ")).map((l) => [l.line, l.text.trim()]);
    expect(runs).toEqual([
      [3, 'run "ln -s #{shared_path}/config/a #{release_path}/config/a"'],
      [3, 'run "ln -s #{shared_path}/config/b #{release_path}/config/b"'],
      [3, 'run "ln -s #{shared_path}/tmp/a #{release_path}/tmp/a"'],
      [3, 'run "ln -s #{shared_path}/tmp/b #{release_path}/tmp/b"'],
      [5, 'run "echo done"'],
    ]);
    expect(loops.every((l) => l.unknown === undefined)).toBe(true);
  });

  it("a list not known: the body kept as written, the loop returned with why", () => {
    const { lines, loops } = linesOf([`task :links do`, `  Dir["x/*"].each do |f|`, `    run "ln -s #{shared_path}/#{f} #{release_path}/#{f}"`, `  end`, `end`].join("\n"));
    expect(lines.find((l) => l.line === 3)!.text.trim()).toBe('run "ln -s #{shared_path}/#{f} #{release_path}/#{f}"');
    expect(loops).toHaveLength(1);
    expect(loops[0]!.vars).toEqual(["f"]);
    expect(loops[0]!.unknown).toBeTruthy();
    expect([loops[0]!.source.line, loops[0]!.endLine, loops[0]!.list]).toEqual([2, 4, 'Dir["x/*"]']);
  });

  it("a loop inside an expression is not unrolled: returned as not read, its line kept", () => {
    const { lines, loops } = linesOf([`task :links do`, `  run "ln -s #{%w(a b).map { |x| "#{shared_path}/#{x}" }.join(" ")} #{release_path}/config/"`, `end`].join("\n"));
    expect(lines.filter((l) => l.line === 2)).toHaveLength(1);
    expect(loops.map((l) => [l.source.line, l.vars, l.unknown])).toEqual([[2, ["x"], "the loop is part of an expression, not a statement of the task: not unrolled"]]);
  });

  it("a long body copied many times is cut at MAX_UNROLLED_BYTES, the elements cut returned", () => {
    const filler = `    note = "${"x".repeat(30_000)}"`;
    const t0 = Date.now();
    const { lines, loops } = linesOf([`task :links do`, `  (1..50).to_a.each do |n|`, filler, `    run "ln -s #{shared_path}/#{n} #{release_path}/#{n}"`, `  end`, `end`].join("\n"));
    const kept = Math.floor(MAX_UNROLLED_BYTES / 30_010);
    expect(lines.filter((l) => l.text.includes("ln -s"))).toHaveLength(kept);
    expect(loops[0]!.cut).toEqual(Array.from({ length: 50 - kept }, (_, i) => `"${kept + i + 1}"`));
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

