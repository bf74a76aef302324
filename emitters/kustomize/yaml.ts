// YAML output: keys in the order the emitters build them (stable, no timestamps), one document per
// object, an optional comment on top that says why the file looks as it does.
import { Document, stringify } from "yaml";
import { escapeControls } from "../encode/controls.js";

export function toYaml(objects: unknown[], comment?: string): string {
  const docs = objects.map((o, i) => {
    const d = new Document(o);
    // A comment may name repo values: each line keeps its controls visible, so none ends the comment.
    if (i === 0 && comment) d.commentBefore = comment.split("\n").map((l) => (l ? ` ${escapeControls(l)}` : "")).join("\n");
    return d.toString({ lineWidth: 0 });
  });
  return docs.join("---\n");
}

/** A plain YAML value without comment, for tests and small snippets. */
export const yamlOf = (value: unknown): string => stringify(value, { lineWidth: 0 });
