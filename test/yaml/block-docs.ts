// Generated block YAML documents, the kind config files are written in (nested mappings and lists,
// compact `- key: value` items, anchors, aliases, merge keys, comments), with scalars that Psych
// types in every way. Shared by the quick-reader test and the Psych oracle.
import fc from "fast-check";

const KEYS = ["a", "b", "url", "api_key", "<<", ":sym", "true", "no", "1", "010", "1.0", "~", "null", "a b", "x-y", "a_b", "2020-01-01", "k1", "port", "-1", "e3"];
const SCALARS = [
  "1", "0755", "1:30", "1_000", "1.5", ".inf", "~", "null", "yes", "No", "on", "2020-01-01", "2020-01-01 10:00:00", ":foo", "foo", "a b", "a #b", "a#b", "a:b",
  "http://x.example.com:8080/a", "'it''s'", "\"q\"", "\"a: b\"", "'a # b'", "\"\"", "''", "R2K_REF_0_", "<%= ENV['X'] %>", "1e3", "-1", "+1", "0x1F", "0b101",
  "y", "=", "$x", "a: b", "url: http:", "\"x\" y", "'x' #c", "[a]", "{a: 1}", "[]", "{}", "[ ]", "{} # none", "[]x", "!str 1", "|", ">-", "@x", "`x`", "%x", "- a", "? a",
];

type Tree = { kind: "map"; entries: [string, Tree][]; anchor?: string } | { kind: "seq"; items: Tree[]; sameIndent: boolean; anchor?: string } | { kind: "scalar"; text: string; anchor?: string } | { kind: "alias"; name: string };

const anchorArb = fc.option(fc.constantFrom("a1", "base", "defaults", "x-y", "r"), { nil: undefined, freq: 4 });
const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ kind: fc.constant("scalar" as const), text: fc.constantFrom(...SCALARS), anchor: anchorArb }),
    fc.record({ kind: fc.constant("alias" as const), name: fc.constantFrom("a1", "base", "defaults", "missing", "r") }),
    fc.record({ kind: fc.constant("map" as const), entries: fc.array(fc.tuple(fc.constantFrom(...KEYS), tie("tree")), { minLength: 1, maxLength: 4 }), anchor: anchorArb }),
    fc.record({ kind: fc.constant("seq" as const), items: fc.array(tie("tree"), { minLength: 1, maxLength: 3 }), sameIndent: fc.boolean(), anchor: anchorArb }),
  ),
})).tree;

/** Block YAML text for a tree (collections at the root; comments and blank lines sprinkled in). */
export function render(t: Tree, step: number, comments: boolean): string {
  const out: string[] = [];
  const anchorOf = (x: Tree) => ("anchor" in x && x.anchor ? `&${x.anchor}` : "");
  const inline = (x: Tree) => (x.kind === "alias" ? `*${x.name}` : x.kind === "scalar" ? [anchorOf(x), x.text].filter(Boolean).join(" ") : null);
  const emit = (x: Tree, indent: number) => {
    const pad = " ".repeat(indent);
    if (x.kind === "map") {
      for (const [k, v] of x.entries) {
        const one = inline(v);
        if (one !== null) out.push(`${pad}${k}: ${one}`);
        else {
          out.push(`${pad}${k}:${anchorOf(v) ? ` ${anchorOf(v)}` : ""}${comments ? " # note" : ""}`);
          emit(v, v.kind === "seq" && v.sameIndent ? indent : indent + step);
        }
        if (comments) out.push("", `${pad}# between`);
      }
    } else if (x.kind === "seq") {
      for (const item of x.items) {
        const one = inline(item);
        if (one !== null) out.push(`${pad}- ${one}`);
        else if (item.kind === "map" && !anchorOf(item)) {
          // The compact form: the first entry on the dash's line.
          const start = out.length;
          emit(item, indent + 2);
          out[start] = `${pad}- ${out[start].slice(indent + 2)}`;
        } else {
          out.push(`${pad}-${anchorOf(item) ? ` ${anchorOf(item)}` : ""}`);
          emit(item, indent + step);
        }
      }
    } else out.push(`${pad}${inline(x)}`);
  };
  emit(t, 0);
  return out.join("\n") + "\n";
}

export const docArb = fc.record({
  tree: fc.oneof(
    fc.record({ kind: fc.constant("map" as const), entries: fc.array(fc.tuple(fc.constantFrom(...KEYS), treeArb), { minLength: 1, maxLength: 5 }), anchor: fc.constant(undefined) }),
    fc.record({ kind: fc.constant("seq" as const), items: fc.array(treeArb, { minLength: 1, maxLength: 4 }), sameIndent: fc.constant(false), anchor: fc.constant(undefined) }),
  ),
  step: fc.constantFrom(2, 4),
  comments: fc.boolean(),
  marker: fc.boolean(),
});

