// A Rack file besides config.ru (faye.ru, private_pub.ru, cable.ru): a second Rack server of the app,
// served by its own process on its own port (`thin -R faye.ru -p 9295 start`). Where a start of it is
// in the repo (an init script, a god watch, a unit), init-scripts.ts carries or names it. Where none is
// — the team started it by hand, or from a servers' script — it still ran next to the app: the deploy
// sets its port (`set :faye_port, 9295`), links or renders its config, and the pages load its client
// from that port. The web Deployment serves config.ru only, so this server would vanish at the cutover
// without a word: it is named, with its file, its port and where that port is set, and what uses it.
import type { AnalyzerContext, Source, Stage, UncarriedProcess, WorkerFacts } from "../../src/model.js";
import { DEPLOY_FILE } from "../appserver/started.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";

/** What kind of server a Rack file runs, by the library it mounts. */
const KINDS: { what: string; re: RegExp }[] = [
  { what: "a Faye push server", re: /\bFaye::RackAdapter\b/ },
  { what: "a private_pub push server (Faye)", re: /\bPrivatePub\b/ },
  { what: "an Action Cable server", re: /\bActionCable\.server\b/ },
];
const NEVER = /^(?:vendor|node_modules|spec|test|tmp|log|public|coverage)\//;
const MAX_BYTES = 200_000;

const at = (s: Source) => `${s.file}:${s.line}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function secondRackServers(ctx: AnalyzerContext, stages: Stage[], workers: readonly WorkerFacts[], known: readonly UncarriedProcess[]): UncarriedProcess[] {
  const out: UncarriedProcess[] = [];
  for (const file of ctx.repo.paths) {
    if (!/\.ru$/.test(file) || /(?:^|\/)config\.ru$/.test(file) || NEVER.test(file)) continue;
    // A start of it the repo holds was read by init-scripts.ts (carried, or named with its why).
    const base = file.replace(/^.*\//, "");
    const mentions = (t: string) => new RegExp(`(?:^|[\\s/=])${esc(base)}(?![\\w.-])`).test(t);
    if (workers.some((w) => w.args.some(mentions)) || known.some((u) => mentions(u.command) || u.source.file === file)) continue;
    // A deploy recipe's start line (`run "cd #{current_path} && thin start -R faye.ru -p 9291 -d"`):
    // something starts it, so "nothing starts it" would be false; cited, and an entry of the same name
    // (its init script, named by init-scripts.ts) takes the citation instead of a second entry (audit B s26 #7).
    const started = recipeStart(ctx, base);
    const same = known.find((u) => u.name === base.replace(/\.ru$/, ""));
    if (same && started) {
      same.why += `; the deploy recipe starts ${file} as \`${started.text}\` (${at(started.source)})`;
      continue;
    }
    const r = ctx.repo.read(file);
    if ("error" in r || r.text.length > MAX_BYTES) continue;
    const lines = r.text.split(/\r?\n/);
    const runAt = lines.findIndex((l) => /^\s*run\b/.test(l));
    if (runAt < 0) continue;
    const source = { file, line: runAt + 1 };
    const kind = KINDS.find((k) => k.re.test(r.text))?.what ?? "a Rack server of its own";
    const stem = base.replace(/\.ru$/, "");
    const port = portOf(ctx, stages, stem);
    const users = port ? clientsOf(ctx, stem, port.port) : [];
    const hint = commentedStart(file, lines, base);
    const why = [
      `a second Rack server: ${file} (${kind}${port ? `, port ${port.port} set at ${at(port.source)}` : ", its port not read"}), not carried: ${started ? `the deploy recipe starts it on the servers as \`${started.text}\` (${at(started.source)})` : "nothing in the repo starts it on the servers (no init script, unit, god watch, Procfile line or deploy task runs it)"}, and the web Deployment serves config.ru only`,
      ...(hint ? [`its own comment starts it as \`${hint.text}\` (${at(hint.source)})`] : []),
      ...(users.length ? [`the app reaches it there: ${users.map((u) => at(u)).join(", ")}`] : []),
      `write a Deployment that runs it in the foreground (thin or rackup on ${file}), a Service${port ? ` on port ${port.port}` : ""} and a route for its clients${/Faye|private_pub/.test(kind) ? " (a websocket server keeps its clients in memory: one pod, or a shared engine such as faye-redis)" : ""}, and point its clients at the new address`,
    ].join("; ");
    out.push({ name: stem, command: file, source, why });
  }
  return out;
}

/** `set :<stem>_port, N` in a stage's variables or the deploy files; else `port: N` in the repo's <stem>.yml (or its template). */
function portOf(ctx: AnalyzerContext, stages: Stage[], stem: string): { port: number; source: Source } | null {
  const key = `${stem.replace(/[^\w]/g, "_")}_port`;
  for (const s of stages) {
    const v = s.variables[key];
    const n = v ? Number(v.value) : NaN;
    if (v && Number.isInteger(n) && n > 0 && n < 65536) return { port: n, source: v.source };
  }
  const setRe = new RegExp(`^\\s*set\\s*\\(?\\s*:${esc(key)}\\s*,\\s*["']?(\\d{2,5})["']?`);
  for (const file of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !r.text.includes(key)) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const m = setRe.exec(lines[i]!);
      const n = m ? Number(m[1]) : NaN;
      if (n > 0 && n < 65536) return { port: n, source: { file, line: i + 1 } };
    }
  }
  return null;
}

/** Lines of the app's views and scripts that name the port (the page loading the server's client). */
function clientsOf(ctx: AnalyzerContext, stem: string, port: number): Source[] {
  const out: Source[] = [];
  const byName = new RegExp(`\\b${esc(stem)}\\b[^\\n]*\\bport\\b`, "i");
  const byPort = new RegExp(`:${port}\\b`);
  for (const file of ctx.repo.paths) {
    if (!/^app\/(?:views|assets\/javascripts|javascript)\//.test(file) && !/^config\/initializers\//.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || r.text.length > MAX_BYTES) continue;
    r.text.split(/\r?\n/).forEach((l, i) => {
      if (out.length < 5 && (byPort.test(l) || (/^app\/views\//.test(file) && byName.test(l)))) out.push({ file, line: i + 1 });
    });
  }
  return out;
}

/** Deploy files and the recipes they load (config/recipes/*.rb, lib/recipes/, lib/capistrano/). */
const RECIPE = /^(?:Capfile|config\/recipes\/.+\.rb|lib\/(?:recipes|capistrano)\/.+\.(?:rb|rake|cap))$/;

/** A start of the Rack file in a deploy file or recipe: `-R faye.ru`, `--rackup faye.ru`, `rackup … faye.ru`, not in a comment. */
function recipeStart(ctx: AnalyzerContext, base: string): { text: string; source: Source } | null {
  const start = new RegExp(`(?:-R|--rackup)[\\s=]+(?:\\S*/)?${esc(base)}(?![\\w.-])|\\brackup\\b[^#\\n]*?(?:^|[\\s/])${esc(base)}(?![\\w.-])`);
  for (const file of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(file) && !RECIPE.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || r.text.length > MAX_BYTES || !r.text.includes(base)) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++)
      if (!/^\s*#/.test(lines[i]!) && start.test(lines[i]!)) return { text: cutSecretShapes(lines[i]!.trim(), SECRET_SHOWN_AS).slice(0, 200), source: { file, line: i + 1 } };
  }
  return null;
}

/** A commented command line in the Rack file that serves it (`# bundle exec thin -p 9295 -R ./faye.ru start`): the team's own note. */
function commentedStart(file: string, lines: string[], base: string): { text: string; source: Source } | null {
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*#+\s*(.*\b(?:thin|rackup|puma|passenger)\b.*)$/.exec(lines[i]!);
    if (m && m[1]!.includes(base) && m[1]!.length <= 200) return { text: cutSecretShapes(m[1]!.trim(), SECRET_SHOWN_AS), source: { file, line: i + 1 } };
  }
  return null;
}
