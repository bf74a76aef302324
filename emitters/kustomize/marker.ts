// Every Kustomize file starts with the generated-file marker (contract.ts GENERATED_MARKER_LINE),
// written by the encoder of the file's own language, so a later run can tell its own output from a
// team's file of the same name (src/stale.ts deletes only marked files).
import type { EmittedFile } from "../../src/model.js";
import { GENERATED_MARKER_LINE } from "../contract.js";
import { envComment } from "../encode/envfile.js";
import { yamlComment } from "./yaml.js";

const MARKER_TEXT = GENERATED_MARKER_LINE.replace(/^# /, "").replace(/\n$/, "");

/** The file with the marker as its first line; a file kind with no known comment syntax is a bug here. */
export function marked(file: EmittedFile): EmittedFile {
  const line = /\.ya?ml$/.test(file.path) ? yamlComment(MARKER_TEXT) : /(?:^|\/)[^/]*\.env(?:\.example)?$/.test(file.path) ? envComment(MARKER_TEXT) : null;
  if (line === null) throw new Error(`${file.path}: no comment syntax known for the generated-file marker`);
  if (line !== GENERATED_MARKER_LINE) throw new Error("the generated-file marker does not encode as itself");
  return { ...file, content: line + file.content };
}
