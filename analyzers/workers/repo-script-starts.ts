// A shell script of the repo that starts a backend (databazi's `restart-cron.sh`: `cd …/current`,
// kill the old shoryuken, `RAILS_ENV=production bundle exec shoryuken -R -C config/shoryuken.yml -d
// -L …`), when nothing in the deploy does: the servers ran the backend through it, by hand or from a
// crontab the repo does not hold. Read only where nothing else starts the backend, so a worker is
// never doubled; which files count: `*.sh` anywhere outside vendored trees, and `bin/`, `script/`.
// Each line is split at `;` and `&&` into steps; the step that runs the backend's command is the start.
// A script that says it is not the servers' is named, never the worker: its step (or an earlier
// `export`) pins a RAILS_ENV/RACK_ENV, `-e` or `--environment` no stage deploys (development, test), or it
// sits in a development or CI tree (docker/, .devcontainer/, dev/, .circleci/, .github/…) and no deploy
// or schedule line names it. Its options (a `-c 2` for a laptop) must not stand for the servers'.
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

/** A script's start that is not the servers' (see above): named with why, never used. */
export interface NotServersStart extends ScriptStart {
  why: string;
}

const DEV_TREE = /(^|\/)(docker|\.devcontainer|devcontainer|dev|development|\.circleci|\.github|\.gitlab|ci|\.buildkite)\//;
const LOCAL_ENVS = /^(development|dev|test|local)$/;
const ENV_ASSIGN = /(?:^|[\s;&])(?:export\s+)?(?:RAILS_ENV|RACK_ENV)=["']?([\w-]+)/;
const ENV_OPTION = /\s(?:-e|--environment)(?:=|\s+)["']?([\w-]+)/;

/** The environment a step runs in: its own assignment or option, else the last `export` above it in the script. */
function stepEnv(step: string, before: string[]): string | null {
  const own = ENV_OPTION.exec(` ${step}`) ?? ENV_ASSIGN.exec(step);
  if (own) return own[1]!;
  for (let i = before.length - 1; i >= 0; i--) {
    const m = /^\s*(?:export\s+)?(?:RAILS_ENV|RACK_ENV)=["']?([\w-]+)/.exec(before[i]!);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * `deployEnvs`: the Rails environments the stages deploy (their rails_env). Returns the starts the
 * servers may have run and those the script itself says are not theirs.
 */
export function repoScriptStarts(ctx: AnalyzerContext, b: JobBackend, deployEnvs: ReadonlySet<string>): { starts: ScriptStart[]; notServers: NotServersStart[] } {
  const out: ScriptStart[] = [];
  const notServers: NotServersStart[] = [];
  for (const file of ctx.repo.paths) {
    if (!SCRIPT.test(file) || VENDORED.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || r.text.length > 200_000 || !b.command.test(r.text)) continue;
    const lines = r.text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (/^\s*#/.test(line)) return;
      for (const step of line.split(/;|&&/)) {
        if (!b.command.test(step) || NOT_A_START.test(step)) continue;
        const start: ScriptStart = { text: step.trim(), source: { file, line: i + 1 }, runBy: runnersOf(ctx, file) };
        const env = stepEnv(step, lines.slice(0, i).filter((l) => !/^\s*#/.test(l)));
        // Only the environments Rails keeps for a laptop and the test suite: a stage's rails_env may be
        // unset (the stage's name stands for it), so another name is no proof the servers did not run it.
        const offEnv = env !== null && LOCAL_ENVS.test(env) && !deployEnvs.has(env);
        const tree = DEV_TREE.exec(file);
        if (offEnv) notServers.push({ ...start, why: `it runs in the Rails environment ${JSON.stringify(env)}, a development or test environment no stage deploys${deployEnvs.size ? ` (the stages deploy ${[...deployEnvs].join(", ")})` : ""}` });
        else if (tree && !start.runBy.length) notServers.push({ ...start, why: `it sits under ${tree[2]}/, a development or CI tree, and no deploy line or config/schedule.rb names it` });
        else out.push(start);
        return;
      }
    });
  }
  return { starts: out, notServers };
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
