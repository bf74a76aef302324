// YAML output: keys in the order the emitters build them (stable, no timestamps), one document per
// object, an optional comment on top that says why the file looks as it does.
import { Document, Scalar, stringify, visit } from "yaml";
import { escapeControls } from "../../src/model/controls.js";

/**
 * Characters the yaml library writes raw, even inside double quotes: DEL and C1 controls (0x9b is a
 * terminal's CSI), line and paragraph separators, bidi controls, a BOM. A value from the repo that
 * holds one is double-quoted and each is written as a \u escape, so that `cat` or `git diff` of a
 * generated file never hands it to a terminal, and the value reads back the same.
 */
const RAW_IN_YAML = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const hasRaw = (s: string) => s.search(RAW_IN_YAML) >= 0;

export function toYaml(objects: unknown[], comment?: string): string {
  const docs = objects.map((o, i) => {
    const d = new Document(o);
    let raw = false;
    visit(d, {
      Scalar(_, n: Scalar) {
        if (typeof n.value === "string" && hasRaw(n.value)) (n.type = Scalar.QUOTE_DOUBLE), (raw = true);
      },
    });
    // A comment may name repo values: each line keeps its controls visible, so none ends the comment.
    if (i === 0 && comment) d.commentBefore = comment.split("\n").map((l) => (l ? ` ${escapeControls(l)}` : "")).join("\n");
    const text = d.toString({ lineWidth: 0 });
    // Only double-quoted scalars hold these now (the comment's are escaped above).
    return raw ? text.replace(RAW_IN_YAML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : text;
  });
  return docs.join("---\n");
}

/** One YAML comment line (`# text\n`): the text's controls stay visible, so it cannot end the comment. */
export const yamlComment = (text: string): string => `# ${escapeControls(text.replace(/[\r\n]+/g, " "))}\n`;

/** A plain YAML value without comment, for tests and small snippets. */
export const yamlOf = (value: unknown): string => stringify(value, { lineWidth: 0 });
