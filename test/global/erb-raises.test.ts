// What certainly raises when ERB renders (and so stops the run) against what is only unknown (a gap):
// only a tag whose first statement is a bare `raise`/`fail`, or one that does not parse.
import { beforeAll, describe, expect, it } from "vitest";
import { renderErb } from "../../analyzers/ruby/erb.js";
import { initPrism } from "../../analyzers/ruby/prism.js";

beforeAll(initPrism);

const raisesOf = (text: string) => renderErb("config/global/x.yml", text, {}).raises.map((r) => r.line);

describe("ERB tags that raise", () => {
  it("a bare raise, fail, Kernel.raise, or a syntax error: certain, with the tag's line", () => {
    expect(raisesOf('a: 1\nb: <%= raise "x" %>\n')).toEqual([2]);
    expect(raisesOf("a: <%= fail %>\n")).toEqual([1]);
    expect(raisesOf('a: 1\n\nb: <%=\n  Kernel.raise ArgumentError, "no" %>\n')).toEqual([4]);
    expect(raisesOf("a: <%= [1, %>\n")).toEqual([1]);
  });

  it("a guarded raise, a method of nil, an ENV.fetch without default: not known to raise", () => {
    expect(raisesOf('a: <%= raise "x" if ENV["X"] %>\n')).toEqual([]);
    expect(raisesOf('a: <%= ENV["X"] || raise("x") %>\n')).toEqual([]);
    expect(raisesOf("a: <%= nil.foo %>\n")).toEqual([]);
    expect(raisesOf('a: <%= ENV.fetch("X") %>\n')).toEqual([]);
    expect(raisesOf("a: <%= obj.raise %>\n")).toEqual([]);
    expect(raisesOf('a: <% raise "in a code tag: read as logic" %>\n')).toEqual([]);
  });
});
