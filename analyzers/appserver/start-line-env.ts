// The environment an app server's own start line gave the process: `unicorn_rails -E staging`,
// `RAILS_ENV=staging bundle exec unicorn …`, `env RAILS_ENV=x …`, `unicorn -E x`, `puma -e x` /
// `--environment x`, `rails s -e x`, read from the deploy's tasks, the service files kept in the repo
// (init.d, systemd, monit, god) and the Procfile the deploy runs. It is evidence of what the servers
// ran, per stage where the line is a stage's own. How strongly each form sets the Rails environment
// is what the programs do (Debian's unicorn 6.0, puma 5.6, railties 6.1):
// - a `RAILS_ENV=x` prefix, and unicorn_rails' `-E x` (`ENV['RAILS_ENV'] = e` while parsing options):
//   RAILS_ENV is x in the process, whatever the deploy exported before it ("sets");
// - `rails s -e x`: `ENV["RAILS_ENV"] ||= x` (Rails::ServerCommand#set_environment), plain unicorn's
//   `-E x` (`ENV["RACK_ENV"] = e`), Puma's `-e x` (Launcher sets ENV['RACK_ENV']) and a `RACK_ENV=x`
//   prefix: the app runs x only when RAILS_ENV was not already in the process's environment (Rails
//   reads RAILS_ENV, then RACK_ENV) — a weaker kind of evidence.
// A value interpolated from the deploy (`-E #{rails_env}`, `RAILS_ENV=#{fetch(:rails_env)}`,
// `-E <%= fetch(:rails_env) %>`, `-E $RAILS_ENV`) is the deploy's own rails_env again, not
// independent evidence, and is not read. `deployment` and `none` are Rack's middleware presets
// (capistrano3-unicorn passes `-E deployment`), not a Rails environment anyone chose.
import type { AnalyzerContext, CapistranoFacts, ProcfileEntry, Source, Stage, StartedEnv } from "../../src/model.js";
import { DEPLOY_FILE, isServerCommand, procfileRunByDeploy, startLines } from "./started.js";
import { foremanWebEntries } from "./foreman.js";
import { initScriptStage } from "./named-configs.js";
import { scopeReader, type LineOn } from "./start-line-scope.js";

type LineEnv = Omit<StartedEnv, "source" | "byDeploy" | "doubt">;

// The server program as a command word, also as SSHKit writes it (`execute :unicorn_rails, '-D'`,
// `execute :bundle, 'exec', 'unicorn_rails'`): not `unicorn.rb`, `unicorn:restart`, `pumactl`, `puma.sock`.
const SERVER = /(?:^|[\s/"'`(;&|:])(unicorn_rails|unicorn|puma|rails\s+(?:s|server))(?=[\s"'`;&|),]|$)/;
// Where a shell command ends (the line may hold several: `cd … && RAILS_ENV=x bundle exec unicorn …`).
const OPERATOR = /&&|\|\||[;|]/g;
const RACK_PRESETS = new Set(["deployment", "none"]);
// A literal word as the value, ended by a space, a quote, an operator, SSHKit's comma or the line's end.
const VALUE = `(["']?)([\\w.-]+)\\1(?=[\\s"'\`;&|),]|$)`;

/** The environment one start line gives the app server it starts, or null when it states none as a literal word. */
export function lineStartedEnv(line: string): LineEnv | null {
  const m = SERVER.exec(line);
  if (!m) return null;
  const at = m.index + m[0].indexOf(m[1]!);
  const program = m[1]!.replace(/\s+/, " ");
  // the simple command holding the server: from the operator before it to the one after it
  let start = 0;
  for (const op of line.slice(0, at).matchAll(OPERATOR)) start = op.index! + op[0].length;
  OPERATOR.lastIndex = 0;
  const rest = line.slice(at + m[1]!.length);
  const end = /&&|\|\||[;|]/.exec(rest);
  const before = line.slice(start, at);
  const after = end ? rest.slice(0, end.index) : rest;
  // unicorn_rails' `-E x` sets ENV['RAILS_ENV'] while it parses its options, after the shell's prefix:
  // it wins over `RAILS_ENV=…`, and of several, optparse leaves the last. Interpolated: the deploy's own value.
  if (program === "unicorn_rails") {
    const all = [...after.matchAll(/[\s"',](?:-E\s*|--env(?:=|\s+))(?:["']\s*,\s*)?(\S+)/g)];
    const last = all[all.length - 1];
    if (last) {
      const v = new RegExp(`^${VALUE}`).exec(last[1]!);
      return v ? { env: v[2]!, variable: "RAILS_ENV", sets: true, how: `\`unicorn_rails -E ${v[2]}\`` } : null;
    }
  }
  const prefix = (name: string) => new RegExp(`(?:^|[\\s"'\`(])${name}=(\\S*)`).exec(before);
  const rails = prefix("RAILS_ENV");
  if (rails) {
    const v = new RegExp(`^${VALUE}`).exec(rails[1]!);
    // RAILS_ENV=#{rails_env}: the deploy's own value, and it is what Rails reads first: nothing else on the line counts
    return v ? { env: v[2]!, variable: "RAILS_ENV", sets: true, how: `\`RAILS_ENV=${v[2]}\` before ${program}` } : null;
  }
  // `-E x`, `-Ex`, `--env=x`, and SSHKit's argument lists: `'-E production'`, `'-E', 'production'`
  const flag = (re: string) => new RegExp(`[\\s"',](?:${re})(?:["']\\s*,\\s*)?${VALUE}`).exec(after);
  if (program === "unicorn_rails") {
    const e = flag(`-E\\s*|--env(?:=|\\s+)`);
    if (e) return { env: e[2]!, variable: "RAILS_ENV", sets: true, how: `\`unicorn_rails -E ${e[2]}\`` };
    // without -E it keeps an exported RAILS_ENV, else sets development (`ENV['RAILS_ENV'] ||=`): a RACK_ENV prefix does not count
    return null;
  }
  if (program === "rails s" || program === "rails server") {
    const e = flag(`-e\\s*|--environment(?:=|\\s+)`);
    if (e) return { env: e[2]!, variable: "RAILS_ENV", sets: false, how: `\`${program} -e ${e[2]}\`` };
  }
  if (program === "unicorn" || program === "puma") {
    const e = program === "unicorn" ? flag(`-E\\s*|--env(?:=|\\s+)`) : flag(`-e\\s*|--environment(?:=|\\s+)`);
    if (e && !RACK_PRESETS.has(e[2]!)) return { env: e[2]!, variable: "RACK_ENV", sets: false, how: `\`${program} ${program === "unicorn" ? "-E" : "-e"} ${e[2]}\`` };
    if (e) return null;
  }
  const rack = prefix("RACK_ENV");
  const v = rack ? new RegExp(`^${VALUE}`).exec(rack[1]!) : null;
  return v && !RACK_PRESETS.has(v[2]!) ? { env: v[2]!, variable: "RACK_ENV", sets: false, how: `\`RACK_ENV=${v[2]}\` before ${program}` } : null;
}

/**
 * A service file's own stage by its place or name: an init script only that stage's file links into
 * /etc/init.d, or a file whose name names that stage and no other (`unicorn-staging.service`,
 * `config/monit/unicorn_production.monitrc`). Null otherwise.
 */
function serviceStage(ctx: AnalyzerContext, file: string, names: string[]): string | null {
  const linked = initScriptStage(ctx, file, names);
  if (linked) return linked;
  // documentation and examples are named for stages too; they are not what a stage's servers ran
  if (/(?:^|\/)(?:docs?|examples?|samples?)\//i.test(file)) return null;
  const base = file.split("/").pop()!;
  const hits = names.filter((n) => new RegExp(`(?:^|[._-])${n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:[._-]|$)`).test(base));
  return hits.length === 1 ? hits[0]! : null;
}

/**
 * Sets each stage's `startedEnv`: the environment its start lines give the app server, when they
 * agree. A line counts on the stages whose run executes it (start-line-scope.ts): a stage's own lines
 * (its file, its stage task, a task only its deploy runs) are read over the shared ones; RAILS_ENV
 * set on the line over the weaker forms. Lines that name different environments decide nothing, and
 * say so. A line whose stage scope is in doubt carries the doubt (StartedEnv.doubt).
 */
export function stageStartedEnvs(ctx: AnalyzerContext, stages: Stage[], procfile: ProcfileEntry[], cap: CapistranoFacts | null = null): void {
  const names = stages.map((s) => s.name);
  const lines: { env: LineEnv; source: Source; on: LineOn; byDeploy: boolean }[] = [];
  const seen = new Set<string>();
  const deployFiles = [...ctx.repo.paths.filter((f) => DEPLOY_FILE.test(f)), ...(ctx.deployRecipes ?? [])];
  const scope = scopeReader(ctx, cap, stages, deployFiles);
  const every: LineOn = () => ({ runs: true });
  // `at`: the deploy line that runs it (the line itself, or the foreman run of a Procfile); null: not a deploy line
  const add = (text: string, source: Source, file: string, service: boolean, at: Source | null) => {
    if (!isServerCommand(text) && !/\brails\s+(?:s|server)\b/.test(text)) return;
    let env = lineStartedEnv(text);
    // a systemd unit's `Environment=RAILS_ENV=x` is the ExecStart process's own environment: below a
    // RAILS_ENV the line itself sets, above what the line only defaults (RACK_ENV, `rails s -e`)
    if (service && /^\s*ExecStart=/.test(text) && !env?.sets) {
      const unit = unitRailsEnv(ctx, file);
      if (unit) {
        env = unit.env;
        source = unit.source;
      }
    }
    if (!env) return;
    const key = `${source.file}:${source.line}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (!service) {
      lines.push({ env, source, on: at && DEPLOY_FILE.test(at.file) || at && ctx.deployRecipes?.includes(at.file) ? scope.ofLine(at) : every, byDeploy: true });
      return;
    }
    const own = serviceStage(ctx, file, names);
    // a service file counts on the stages whose deploy runs the lines that install, link or start it
    // (an upload hooked in production.rb installs it on production's servers only)
    const named = scope.ofNamed(file);
    if (named) lines.push({ env, source, on: own ? (st) => (st.name === own ? named(st) : { runs: false, why: `${file} is named for stage ${own}` }) : named, byDeploy: true });
    else if (own) lines.push({ env, source, on: (st) => (st.name === own ? { runs: true } : { runs: false, why: `${file} is named for stage ${own}` }), byDeploy: true });
    else lines.push({ env, source, on: every, byDeploy: false });
  };
  for (const { text, source, service } of startLines(ctx)) add(text, source, source.file, service, service ? null : source);
  // The Procfile's web line, where the deploy runs that Procfile (Heroku's or a laptop's is not the servers').
  const started = foremanWebEntries(ctx, procfile, isServerCommand);
  for (const { entry, run } of started) add(entry.command, entry.source, run.source.file, false, run.source);
  if (!started.length && procfileRunByDeploy(ctx)) for (const p of procfile.filter((x) => x.name === "web" && x.source.file === "Procfile")) add(p.command, p.source, p.source.file, false, null);
  if (!lines.length) return;
  const runsOn = lines.map((l) => new Map(stages.map((st) => [st.name, l.on(st)])));
  for (const st of stages) {
    const here = lines.map((l, i) => ({ ...l, r: runsOn[i]!.get(st.name)!, alone: [...runsOn[i]!.values()].filter((r) => r.runs).length === 1 })).filter((l) => l.r.runs);
    const own = here.filter((l) => l.alone && stages.length > 1);
    const shared = own.length ? own : here;
    // the lines the deploy runs, over unit files it is not seen to use
    const ran = shared.filter((l) => l.byDeploy);
    const mine = ran.length ? ran : shared;
    const strong = mine.filter((l) => l.env.sets);
    const pool = strong.length ? strong : mine;
    if (!pool.length) continue;
    const envs = [...new Set(pool.map((l) => l.env.env))];
    if (envs.length > 1) {
      ctx.problem({ ...pool[0]!.source, message: `appserver.start-line-envs: stage ${st.name}: the app server's start lines name different environments (${pool.map((l) => `${l.env.how} at ${l.source.file}:${l.source.line}`).join("; ")}): none of them is taken as the environment the servers ran`, severity: "warning" });
      continue;
    }
    // RAILS_ENV (a `rails s -e`) over RACK_ENV when both weaker forms agree: Rails reads it first.
    const first = pool.find((l) => l.env.variable === "RAILS_ENV") ?? pool[0]!;
    const doubts = [...new Set(pool.map((l) => ("doubt" in l.r ? l.r.doubt : undefined)).filter((d): d is string => !!d))];
    st.startedEnv = { ...first.env, source: first.source, byDeploy: pool.every((l) => l.byDeploy), ...(doubts.length ? { doubt: doubts.join("; ") } : {}) };
  }
}

/** `Environment=RAILS_ENV=x` (or `Environment="RAILS_ENV=x" …`) in a systemd unit kept in the repo: the env of its ExecStart. */
function unitRailsEnv(ctx: AnalyzerContext, file: string): { env: LineEnv; source: Source } | null {
  const read = ctx.repo.read(file);
  if (!("text" in read)) return null;
  const lines = read.text.split(/\r?\n/);
  let found: { env: LineEnv; source: Source } | null = null;
  for (const [i, line] of lines.entries()) {
    const m = /^\s*Environment\s*=\s*(.*)$/.exec(line);
    const v = m ? /(?:^|[\s"'])RAILS_ENV=([\w.-]+)(?=["'\s]|$)/.exec(m[1]!) : null;
    // the last assignment wins, as systemd reads them
    if (v) found = { env: { env: v[1]!, variable: "RAILS_ENV", sets: true, how: `\`Environment=RAILS_ENV=${v[1]}\` of the unit that starts it` }, source: { file, line: i + 1 } };
  }
  return found;
}
