// The AST walkers reach every node through childrenOf. Prism's JavaScript compactChildNodes (1.9)
// silently drops list fields; this pins that our helper does not, so a `when` branch, an array
// element or a multiple-assignment target is walked like any other node.
import { beforeAll, describe, expect, it } from "vitest";
import { childrenOf, initPrism, kind, parseRuby } from "../../analyzers/ruby/prism.js";

function allKinds(node: any, out: string[] = []): string[] {
  out.push(kind(node));
  for (const c of childrenOf(node)) allKinds(c, out);
  return out;
}

function allCallNames(node: any, out: string[] = []): string[] {
  if (kind(node) === "CallNode") out.push(node.name);
  for (const c of childrenOf(node)) allCallNames(c, out);
  return out;
}

describe("childrenOf", () => {
  beforeAll(initPrism);

  it("walks a case's when branches, an array's elements, rescue lists and multiple-assignment targets", () => {
    const src = [
      "case fetch(:stage)",
      "when :production then start_redis",
      "else start_memcached",
      "end",
      "list = [enqueue_one, enqueue_two]",
      "begin; risky; rescue Timeout::Error, Errno::ECONNREFUSED => e; recover; end",
      "a, b = first_of, second_of",
    ].join("\n");
    const p = parseRuby("deploy.rb", src);
    const calls = allCallNames(p.root);
    for (const name of ["fetch", "start_redis", "start_memcached", "enqueue_one", "enqueue_two", "risky", "recover", "first_of", "second_of"]) {
      expect(calls, name).toContain(name);
    }
    const kinds = allKinds(p.root);
    expect(kinds).toContain("WhenNode");
    expect(kinds).toContain("MultiWriteNode");
    expect(kinds.filter((k) => k === "ConstantPathNode").length).toBeGreaterThanOrEqual(2);
  });

  it("returns [] for a non-node", () => {
    expect(childrenOf(null)).toEqual([]);
    expect(childrenOf({})).toEqual([]);
  });
});
