// Init scripts kept in the repo that start a job backend: `config/samples/init.d/app_resque_pool`
// sets `DAEMON=bundle` and `DAEMON_OPTS="exec resque-pool --config $ROOT/current/config/pool.yml …"`
// at its top and runs `$DAEMON $DAEMON_OPTS` in its `start)` branch. The workers' service-file reader
// reads a unit's `ExecStart=` or monit's `start program` line by line, and no single line of such a
// script holds the command: the start is the `start)` branch with the script's own variables filled
// in, read exactly as init-scripts.ts reads it for the app's other daemons (startCommand). The web
// server's reader already takes a unicorn init script in the same folder as its evidence; a backend's
// script beside it is read the same way, so the two sides agree on what the folder says.
//
// Who ran the script is said with it: the repo line that installs or starts it (a monit check whose
// start program is `/etc/init.d/<name> start`, a link into /etc/init.d, `service <name> restart`),
// and, for a monit check, the deploy line that restarts its group (`monit -g <group> restart all`).
// Where nothing does, that is said too: the script is still the only start of the backend the repo
// holds, as it is for the web server's.
import type { AnalyzerContext, Fact, Source } from "../../src/model.js";
import { backendOfCommand } from "./backends.js";
import { installedBy, isInitScript, scriptEnv, serviceName, startCommand } from "./init-scripts.js";
import { DEPLOY_FILE } from "../appserver/started.js";
import { SERVICE_FILE } from "../../src/model/service-managers.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";

/** Suffixes of a committed copy of a file the servers held (`zartan_unicorn.sample`): the name is the part before. */
const EXAMPLE_SUFFIX = /\.(?:sample|example|dist)$/i;

export interface InitScriptLine {
  /** The `start)` branch's command, the script's variables filled in. */
  command: string;
  source: Source;
  /** Who installed or started the script, and what its start did not carry (its exported environment). */
  evidence: Fact<string>[];
}

/**
 * The job backend start of an init script, or null when the file is not an init script or starts no
 * backend. A start whose command is not known but whose text names a backend is said as a warning at
 * its line (never dropped), and gives no line.
 */
export function initScriptBackendLine(ctx: AnalyzerContext, file: string, text: string): InitScriptLine | null {
  if (!isInitScript(file, text)) return null;
  const start = startCommand(text);
  if (!start) return null;
  const source = { file, line: start.lineNo };
  const code = text.replace(/^\s*#.*$/gm, "");
  if (start.unknown) {
    const b = backendOfCommand(code);
    if (b)
      ctx.problem({
        ...source,
        message: `workers.init-script-unread: the init script ${file} names ${b.label}, but its start command (${cutSecretShapes(start.line.trim(), SECRET_SHOWN_AS).slice(0, 120)}) is not known: ${start.unknown}; it is not read as a start of ${b.label}: read the script and carry the worker by hand`,
        severity: "warning",
      });
    return null;
  }
  if (!backendOfCommand(start.line)) return null;
  const name = serviceName(file.replace(EXAMPLE_SUFFIX, ""));
  const evidence: Fact<string>[] = [{ value: `the init script ${file} (service ${name}) runs this line in its start) branch, the script's own variables filled in`, source }];
  // A monit check of the repo that starts it outranks a setup note (a README's `service x start`).
  const installed = monitCheckOf(ctx, name) ?? installedBy(ctx, file, name);
  if (installed) {
    evidence.push({ value: installed.how, source: installed.source });
    const restart = monitGroupRestart(ctx, installed.source);
    if (restart) evidence.push(restart);
  } else evidence.push({ value: `nothing in the repo installs or starts the init script ${name} (no link into /etc/init.d, monit check or \`service\` line naming it): it is read as the servers' start of the workers, as the web server's script beside it is`, source });
  // The script's exports (PIDFILE, BACKGROUND, LOGFILE…) served the servers' daemon: names only, said once, not carried.
  const { settings = [], envFiles = [] } = scriptEnv(file, text);
  const names = [...new Set(settings.map((e) => e.name))];
  const files = [...new Set(envFiles.map((e) => e.path))];
  const env = [...settings, ...envFiles].sort((a, b) => a.source.line - b.source.line);
  if (env.length)
    evidence.push({
      value: `the init script ${[...(names.length ? [`exports ${names.join(", ")}`] : []), ...(files.length ? [`reads ${files.join(", ")} (a file of the servers)`] : [])].join(" and ")} (lines ${env.map((e) => e.source.line).join(", ")}): not carried (values not shown); the pod runs the process in the foreground, so a BACKGROUND, PIDFILE or LOGFILE setting has no use there, and any other one goes into the stage's ConfigMap by hand`,
      source: env[0]!.source,
    });
  return { command: start.line, source, evidence };
}

/**
 * A monit check (the file and line that name the script) in a `group <g>`, and the deploy line that
 * restarts that group or every check (`monit -g <g> restart all`, `monit restart all`).
 */
function monitGroupRestart(ctx: AnalyzerContext, at: Source): Fact<string> | null {
  const r = ctx.repo.read(at.file);
  if ("error" in r) return null;
  const lines = r.text.split(/\r?\n/);
  let from = at.line - 1;
  while (from > 0 && !/^\s*check\s+\w+/i.test(lines[from]!)) from--;
  if (!/^\s*check\s+\w+/i.test(lines[from] ?? "")) return null;
  let to = from + 1;
  while (to < lines.length && !/^\s*check\s+\w+/i.test(lines[to]!)) to++;
  const check = /^\s*check\s+\w+\s+(\S+)/i.exec(lines[from]!)?.[1];
  const group = lines.slice(from, to).map((l) => /^\s*group\s+(\S+)/i.exec(l)?.[1]).find(Boolean);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const res = [
    ...(group ? [new RegExp(`\\bmonit\\b.*(?:-g|--group)\\W+${esc(group)}\\W.*\\b(?:re)?start\\b`)] : []),
    ...(check ? [new RegExp(`\\bmonit\\b\\W+(?:-\\S+\\W+)*(?:re)?start\\W+${esc(check)}\\b`)] : []),
    /\bmonit\b\W+(?:-\S+\W+)*(?:re)?start\W+all\b/,
  ];
  for (const file of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(file)) continue;
    const d = ctx.repo.read(file);
    if ("error" in d) continue;
    const dl = d.text.split(/\r?\n/);
    for (let i = 0; i < dl.length; i++) {
      if (/^\s*#/.test(dl[i]!)) continue;
      // SSHKit words (`execute :sudo, *%w(monit -g app restart all)`) read as shell words.
      const shell = dl[i]!.replace(/[:'",()%]/g, " ").replace(/\bw\b/g, " ");
      if (res.some((re) => re.test(shell)))
        return { value: `the deploy restarts ${group && res[0]!.test(shell) ? `monit group ${group}` : `monit check ${check}`}${group ? ` (the check ${check} is in group ${group}, ${at.file}:${from + 1})` : ""}`, source: { file, line: i + 1 } };
    }
  }
  return null;
}

/** A monit check's `start program = "/etc/init.d/<name> start"` in a service file of the repo. */
function monitCheckOf(ctx: AnalyzerContext, name: string): { how: string; source: Source } | null {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^\\s*start\\s+program\\s*=\\s*"[^"]*/etc/init\\.d/${esc}(?![\\w.-])`);
  for (const p of ctx.repo.paths) {
    if (!SERVICE_FILE.test(p)) continue;
    const r = ctx.repo.read(p);
    if ("error" in r || !r.text.includes(name)) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) if (re.test(lines[i]!)) return { how: `a monit check starts it (/etc/init.d/${name})`, source: { file: p, line: i + 1 } };
  }
  return null;
}
