// Upstart jobs kept in the repo outside the service folders (lib/etc/crawler.conf, installed by hand
// as /etc/init/crawler.conf, as a stage file's comment often says). One that runs the app's own
// code from a stage's release (`exec … <deploy_to>/current/…`) is a process the servers ran and no
// Deployment runs: it is named, never dropped. Jobs running other programs (mongod, nginx) are
// infrastructure, not the app's.
//
// Rules:
// - An upstart job: a `.conf` file with an `exec` line (or `script` block) and one of upstart's
//   own stanzas (`start on`, `stop on`, `respawn`, `expect fork|daemon`, `description`).
// - It is the app's when its `exec` (or a line of its script) names `<deploy_to>/current/` or
//   `<deploy_to>/releases/` of a stage whose deploy_to is known.
// - Files another reader already cites (a worker's or the web server's evidence, another
//   uncarried process) are left to it, and so are jobs running an app server or a job backend the
//   worker analysis knows (their own rules decide whether a Deployment carries them).
import type { AnalyzerContext, Stage, UncarriedProcess, WebServerFacts, WorkerFacts } from "../../src/model.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";

const OTHERS = /\b(?:unicorn(?:_rails)?|puma(?:ctl)?|thin|passenger|sidekiq|resque|delayed_job|jobs:work|shoryuken|sneakers|good_job|solid_queue|que|rails\s+s(?:erver)?)\b/;

const STANZA = /^\s*(?:start on|stop on|respawn\b|expect\s+(?:fork|daemon)\b|description\s)/m;
const EXEC = /^\s*(?:exec\s+|script\s*$)/m;
const MAX_FILES = 200;

export function upstartJobs(ctx: AnalyzerContext, stages: Stage[], known: UncarriedProcess[], workers: WorkerFacts[] = [], web: WebServerFacts | null = null): UncarriedProcess[] {
  const roots = new Map<string, string[]>();
  for (const st of stages) {
    const v = st.variables["deploy_to"]?.value;
    if (typeof v !== "string" || !v.startsWith("/")) continue;
    const root = v.replace(/\/+$/, "");
    roots.set(root, [...(roots.get(root) ?? []), st.name]);
  }
  if (!roots.size) return [];
  const named = new Set([...known.map((u) => u.source), ...workers.flatMap((w) => [w.commandSource, ...w.evidence.map((e) => e.source)]), ...(web?.evidence ?? []).map((e) => e.source)].filter((x) => !!x).map((x) => x!.file));
  const out: UncarriedProcess[] = [];
  const confs = ctx.repo.paths.filter((p) => /\.conf(?:\.erb)?$/.test(p) && !named.has(p));
  if (confs.length > MAX_FILES)
    ctx.problem({ file: confs[MAX_FILES]!, line: 1, message: `workers.upstart-files-not-read: ${confs.length - MAX_FILES} .conf file${confs.length - MAX_FILES === 1 ? " was" : "s were"} not read for upstart jobs (only the first ${MAX_FILES}, from ${confs[MAX_FILES]} on): an upstart job among them that runs the app's code is not named; check them by hand`, severity: "warning" });
  for (const file of confs.slice(0, MAX_FILES)) {
    const read = ctx.repo.read(file);
    if ("error" in read || !STANZA.test(read.text) || !EXEC.test(read.text)) continue;
    const lines = read.text.split(/\r?\n/);
    const i = lines.findIndex((l) => !/^\s*#/.test(l) && [...roots.keys()].some((r) => l.includes(`${r}/current/`) || l.includes(`${r}/releases/`)));
    if (i < 0 || OTHERS.test(lines[i]!)) continue;
    const root = [...roots.keys()].find((r) => lines[i]!.includes(`${r}/current/`) || lines[i]!.includes(`${r}/releases/`))!;
    const stagesOf = roots.get(root)!;
    out.push({
      name: file.replace(/^.*\//, "").replace(/\.conf(?:\.erb)?$/, ""),
      // Secrets cut before the line is shortened: a value cut in half no longer has a secret's shape.
      command: cutSecretShapes(lines[i]!.trim().replace(/^exec\s+/, ""), SECRET_SHOWN_AS).slice(0, 200),
      source: { file, line: i + 1 },
      why: `an upstart job kept in the repo that runs the app's code from ${root} (the deploy_to of stage${stagesOf.length > 1 ? "s" : ""} ${stagesOf.join(", ")}): the servers ran it under upstart, and no Deployment runs it; carry it as a worker Deployment by hand, or retire it`,
    });
  }
  return out;
}
