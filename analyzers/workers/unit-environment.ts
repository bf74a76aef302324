// The environment a systemd unit of the repo gives the process its ExecStart= runs (systemd.exec(5)):
// - `Environment=` holds space-separated assignments, each may be quoted ("A=1 2" or 'A=1'); a later
//   assignment of a name wins, and an empty `Environment=` resets the list;
// - `EnvironmentFile=` names files read just before the process starts, whose settings override
//   `Environment=`'s; a `-` prefix lets the file be missing.
// Nothing else of the deploy reaches it: Capistrano's default_env is the environment of the commands
// SSHKit runs, and `systemctl restart` hands none of it to the unit (systemd starts the process from
// the manager's own environment). A file the repo does not hold may set any name: said, not guessed.
import { readUnit } from "../services/unit-file.js";
import { SERVER_PLACEMENT } from "./start-line.js";

/** A systemd unit file kept in the repo (a `.service`, or its ERB template). */
export const isUnitFile = (file: string): boolean => /\.service(\.erb)?$/.test(file);

export interface UnitEnvironment {
  /** Literal values the process saw, by name, each with its line (the last assignment). */
  vars: Record<string, { value: string; line: number }>;
  /** Names whose value the deploy fills in (ERB), which the analysis does not know. */
  filled: Record<string, number>;
  /** `EnvironmentFile=` entries: files of the servers that may set any name. */
  files: { path: string; line: number; optional: boolean }[];
  /** Names left out: the servers' Ruby and user placement, the stage's RAILS_ENV (its ConfigMap sets it). */
  dropped: string[];
}

/** systemd's words of an `Environment=` value: whitespace-separated, quotes taken off (systemd.syntax(7)). */
function words(value: string): string[] {
  return (value.match(/"(?:[^"\\]|\\.)*"|'[^']*'|\S+/g) ?? []).map((w) => (/^".*"$/s.test(w) ? w.slice(1, -1).replace(/\\(.)/g, "$1") : /^'.*'$/s.test(w) ? w.slice(1, -1) : w));
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;
/** What the deploy fills in before the unit reaches the servers. */
const DEPLOY_FILLED = /<%|#\{/;

/** The `[Service]` environment of a unit's text; null when it sets none. */
export function unitEnvironment(text: string): UnitEnvironment | null {
  const out: UnitEnvironment = { vars: {}, filled: {}, files: [], dropped: [] };
  let any = false;
  for (const e of readUnit(text)) {
    if (e.section !== "Service") continue;
    if (e.key === "Environment") {
      any = true;
      if (e.value === "") {
        out.vars = {};
        out.filled = {};
        continue;
      }
      for (const w of words(e.value)) {
        const m = ASSIGNMENT.exec(w);
        if (!m) continue;
        const [name, value] = [m[1]!, m[2]!];
        delete out.vars[name];
        delete out.filled[name];
        // The servers' Ruby and user, the release's directory, the stage's Rails env: the image and the ConfigMap set them.
        if (SERVER_PLACEMENT.test(name) || name === "PWD" || name === "RAILS_ENV" || name === "RACK_ENV") {
          if (!out.dropped.includes(name)) out.dropped.push(name);
        } else if (DEPLOY_FILLED.test(value)) out.filled[name] = e.line;
        else out.vars[name] = { value, line: e.line };
      }
    } else if (e.key === "EnvironmentFile") {
      any = true;
      if (e.value === "") out.files = [];
      else out.files.push({ path: e.value.replace(/^-/, ""), line: e.line, optional: e.value.startsWith("-") });
    }
  }
  return any ? out : null;
}
