// A shell script of the repo that starts a backend (databazi's `restart-cron.sh`: `cd …/current`,
// kill the old shoryuken, `RAILS_ENV=production bundle exec shoryuken -R -C config/shoryuken.yml -d
// -L …`), when nothing in the deploy does: the servers ran the backend through it, by hand or from a
// crontab the repo does not hold. Read only where nothing else starts the backend, so a worker is
// never doubled; which files count: `*.sh` anywhere outside vendored trees, and `bin/`, `script/`.
// Each line is split at `;` and `&&` into steps; the step that runs the backend's command is the start.
import type { AnalyzerContext, Source } from "../../src/model.js";
import { DEPLOY_FILE } from "../appserver/started.js";
import type { JobBackend } from "./backends.js";

export interface ScriptStart {
  /** The step that starts the backend, as written. */
  text: string;
  source: Source;
  /** Deploy or schedule lines of the repo that name the script (none: run by hand or a crontab off the repo). */
  runBy: Source[];
}

const SCRIPT = /(^|\/)[^/]+\.sh$|^(bin|script)\/[^/]+$/;
const VENDORED = /(^|\/)(vendor|node_modules|tmp|log|public|spec|test)\//;
const NOT_A_START = /^\s*(kill|pkill|killall|ps|grep|echo|cat|tail|rm)\b/;

export function repoScriptStarts(ctx: AnalyzerContext, b: JobBackend): ScriptStart[] {
  const out: ScriptStart[] = [];
  for (const file of ctx.repo.paths) {
    if (!SCRIPT.test(file) || VENDORED.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || r.text.length > 200_000 || !b.command.test(r.text)) continue;
    r.text.split(/\r?\n/).forEach((line, i) => {
      if (/^\s*#/.test(line)) return;
      for (const step of line.split(/;|&&/)) {
        if (!b.command.test(step) || NOT_A_START.test(step)) continue;
        out.push({ text: step.trim(), source: { file, line: i + 1 }, runBy: runnersOf(ctx, file) });
        return;
      }
    });
  }
  return out;
}

/** Lines of deploy files and config/schedule.rb that name the script by its file name. */
function runnersOf(ctx: AnalyzerContext, script: string): Source[] {
  const name = script.replace(/^.*\//, "");
  const out: Source[] = [];
  for (const file of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(file) && file !== "config/schedule.rb") continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !r.text.includes(name)) continue;
    r.text.split(/\r?\n/).forEach((l, i) => {
      if (!/^\s*#/.test(l) && l.includes(name)) out.push({ file, line: i + 1 });
    });
  }
  return out;
}
