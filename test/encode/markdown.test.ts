// The Markdown encoder: a value stays one inline piece of its line. No Markdown parser is installed,
// so the check is structural, by CommonMark's rules for what can start a block or end a cell, and
// code spans are read back with CommonMark's code-span rule.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { mdCell, mdCode, mdText } from "../../emitters/encode/markdown.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { shopModel } from "../kustomize/models.js";

const any = fc.string({ unit: "binary", maxLength: 40 });
const HOSTILE = ["# h", "- item", "> quote", "1. one", "    code", "```", "`", "a|b", "<script>x</script>", "&#x202e;", "[a](javascript:x)", "x\n# h", "\u001b[31m", "\u202eevil", "a\u2028b", "===", "+ x", "*", " ` "];

/** What CommonMark reads from a code span that takes the whole string: the content between equal fences, one space stripped each side when both are there. */
function readCodeSpan(s: string): string | null {
  const fence = /^`+/.exec(s)?.[0];
  if (!fence || !s.endsWith(fence) || s.length < 2 * fence.length) return null;
  let inner = s.slice(fence.length, s.length - fence.length);
  // No run of exactly fence.length backticks may sit inside: it would close the span early.
  if ([...inner.matchAll(/`+/g)].some((m) => m[0].length === fence.length)) return null;
  if (inner.startsWith(" ") && inner.endsWith(" ") && inner.trim() !== "") inner = inner.slice(1, -1);
  return inner;
}

/** The visible form the encoders give a value: controls as \uXXXX. */
const visible = (v: string) => v.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));

/** True when `line` (a list item or table row holding the text) is one line and the text opens no block, HTML or link. */
function inlineOnly(encoded: string): boolean {
  // Leading spaces come as `&#32;` references, which are text, never indentation.
  const text = encoded.replace(/^(&#32;)+/, "");
  if (/[\n\r\u2028\u2029]/.test(text)) return false;
  // One backtick opens an inline code span; three (or three tildes) open a fenced block.
  if (/^ {0,3}([#>+*=-]|`{3}|~{3}|\d+[.)])/.test(text) || /^ /.test(text)) return false;
  if (/(^|[^\\])<[A-Za-z/!?]/.test(text) || /(^|[^\\])&#?[A-Za-z0-9]+;/.test(text) || /(^|[^\\])\]\(/.test(text)) return false;
  return !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(text);
}

describe("mdCode", () => {
  it("reads back as the value (controls made visible), one line (property)", () => {
    for (const v of HOSTILE) expect(readCodeSpan(mdCode(v)), v).toBe(visible(v) || " ");
    fc.assert(fc.property(any, (v) => readCodeSpan(mdCode(v)) === (visible(v) || " ") && !/[\n\r]/.test(mdCode(v))));
  });
  it("in a table cell no `|` is left unescaped", () => {
    fc.assert(fc.property(any, (v) => !/(^|[^\\])\|/.test(mdCode(v, true))));
  });
});

describe("mdText / mdCell", () => {
  it("never opens a block, HTML, an entity or a link, and stays one line (planted and property)", () => {
    for (const v of HOSTILE) expect(inlineOnly(mdText(v)), `${v} → ${mdText(v)}`).toBe(true);
    fc.assert(fc.property(any, (v) => inlineOnly(mdText(v))));
  });
  it("our own code span at the start of a text stays a code span (the `ask` rows of the gap table)", () => {
    expect(mdText("`ask :deploy_token` made a person type it")).toBe("`ask :deploy_token` made a person type it");
    expect(mdText("```")).toBe("\\```");
  });
  it("a cell never holds an unescaped `|`", () => {
    fc.assert(fc.property(any, (v) => !/(^|[^\\])\|/.test(mdCell(v).replace(/\\\\/g, ""))));
  });
});

describe("MIGRATION.md with planted values", () => {
  it("a note, a hazard and a provenance row holding Markdown and terminal syntax stay inline", () => {
    const m = shopModel();
    m.hazards = [{ id: "x", message: "# heading\n- item", advice: "<img src=x onerror=alert(1)>", source: { file: "a|b`c", line: 1 } }];
    const outputs = [
      {
        name: "t",
        result: {
          files: [{ path: "k8s/x|y.yaml", content: "" }],
          provenance: [{ output: "x|y", what: "server_name \u001b]0;pwned\u0007 |", source: { file: "nginx.conf", line: 2 } }],
          notes: [{ message: "evil\n## Injected\n> quote", source: { file: "f", line: 1 } }],
        },
      },
    ];
    const md = emitMigrationGuide(m, {}, outputs).content;
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(md).not.toMatch(/^#+ (heading|Injected)/m);
    expect(md).not.toMatch(/^> quote/m);
    expect(md).not.toMatch(/(^|[^\\])<img/m);
    const row = md.split("\n").find((l) => l.includes("pwned"))!;
    // Three cells: four unescaped pipes.
    expect(row.match(/(^|[^\\])\|/g)!.length).toBe(4);
  });
});
