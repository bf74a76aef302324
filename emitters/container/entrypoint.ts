// bin/docker-entrypoint: what the app needs at each start, then the command itself (exec, so the
// app server is PID 1 and receives the pod's signals). No migrations: the migration Job runs them.
// The script is entrypoint.sh.tmpl; its slots take shell words only.
import template from "./entrypoint.sh.tmpl?raw";
import { fill } from "../text/fill.js";
import { shellWord } from "../encode/shell.js";
import { escapeControls } from "../../src/model/controls.js";
export { ENTRYPOINT } from "../contract.js";

/** The jemalloc library the Dockerfile links at the same path on every architecture. */
export const JEMALLOC_LINK = "/usr/local/lib/libjemalloc.so";

export function emitEntrypoint(kind: "unicorn" | "puma" | "passenger"): string {
  return fill(
    template,
    {
      jemalloc: shellWord(JEMALLOC_LINK),
      // In a comment: shown, never run.
      server: escapeControls(kind === "unicorn" ? "Unicorn" : kind === "passenger" ? "Passenger" : "the server"),
    },
    "entrypoint.sh.tmpl",
  );
}
