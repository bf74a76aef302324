// Where GoodJob and Solid Queue ran their jobs on each stage: inside the web server's processes, or
// in a process of their own. Only asked when nothing in the repo starts their own process (a Procfile
// line, a service file, a Capistrano plugin): such a line is a process the servers ran, whatever else.
//
// GoodJob (its Configuration#execution_mode): `config.good_job.execution_mode` (or `execution_mode:`
// given to config.good_job / GoodJob::Adapter.new) wins over GOOD_JOB_EXECUTION_MODE; without either
// the mode follows the Rails env: development :async, test :inline, every other env :external.
// `:async` (and `:async_server`, its older name) runs jobs in threads of the web server process;
// `:inline` runs each job in the process that enqueued it; `:external` needs `good_job start`.
// Rails loads config/application.rb, then config/environments/<env>.rb, then config/initializers/*
// (in name order): the last literal setting in that order is the one in force.
//
// Solid Queue: `plugin :solid_queue` in the Puma config forks its supervisor from Puma. Rails 8's
// generated config/puma.rb says `plugin :solid_queue if ENV["SOLID_QUEUE_IN_PUMA"]`: then it ran
// in Puma only where that variable was set (any value: Ruby treats every String as true). The plugin
// counts only when Puma is the server the deploy started.
import { railsEnvOf, type AnalyzerContext, type Fact, type ProcfileEntry, type RValue, type Source, type Stage } from "../../src/model.js";
import { isHash } from "../ruby/evaluate.js";
import { startedWebServer, webProcfileEntries } from "../appserver/started.js";

export interface Placement {
  where: "web" | "own" | "unknown";
  why: string;
  source: Source | null;
}

const MODE_LITERAL = /\bexecution_mode\s*(?:=|:|=>)\s*:?["']?(async_server|async|external|inline)\b/;
const MODE_ANY = /\bexecution_mode\s*(?:=(?!=)|:(?!:)|=>)\s*(\S.*)$/;

const lines = (ctx: AnalyzerContext, file: string): string[] => {
  const r = ctx.repo.read(file);
  return "error" in r ? [] : r.text.split(/\r?\n/);
};

/** Env var values the servers' processes had, per stage: `default_env` and the Procfile web line. */
function serverEnv(stage: Stage, procfile: ProcfileEntry[], name: string): Fact<string> | null {
  const de = stage.variables["default_env"];
  if (de && isHash(de.value)) {
    // SSHKit upcases symbol keys (`{ solid_queue_in_puma: 1 }` exports SOLID_QUEUE_IN_PUMA).
    const v = (de.value[name] ?? de.value[name.toLowerCase()]) as RValue | undefined;
    if (typeof v === "string" || typeof v === "number" || v === true) return { value: String(v), source: de.source };
  }
  for (const p of webProcfileEntries(procfile)) {
    const m = new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(p.command);
    if (m) return { value: m[1]!.replace(/^["']|["']$/g, ""), source: p.source };
  }
  return null;
}

const ENV_TEST = /^Rails\.env\.(\w+)\?$|^Rails\.env\s*==\s*["'](\w+)["']$/;

/** Whether `cond` (`Rails.env.production?`, `Rails.env == "x"`) holds in Rails env `env`; null when it is another test. */
function envTest(cond: string, env: string): boolean | null {
  const m = ENV_TEST.exec(cond.trim());
  return m ? (m[1] ?? m[2]) === env : null;
}

/**
 * Whether line i of a Ruby file runs in Rails env `env`, judged from its trailing `if`/`unless`
 * and the blocks around it (by indentation): `if Rails.env.x?`, `unless …`, and the `else` of such an
 * `if` are evaluated; any other condition around it makes the answer null (not known).
 */
function runsInEnv(ls: string[], i: number, env: string): boolean | null {
  const mod = /\s(if|unless)\s+(.+?)\s*(#.*)?$/.exec(ls[i]!);
  let result: boolean | null = true;
  if (mod) {
    const t = envTest(mod[2]!, env);
    if (t === null) return null;
    result = mod[1] === "if" ? t : !t;
  }
  let indent = /^(\s*)/.exec(ls[i]!)![1]!.length;
  for (let j = i - 1; j >= 0 && indent > 0; j--) {
    const line = ls[j]!;
    if (!line.trim() || /^\s*#/.test(line)) continue;
    const ind = /^(\s*)/.exec(line)![1]!.length;
    if (ind >= indent) continue;
    indent = ind;
    const opener = line.trim();
    let m = /^(if|unless)\s+(.+)$/.exec(opener);
    if (m) {
      const t = envTest(m[2]!, env);
      if (t === null) return null;
      if (!(m[1] === "if" ? t : !t)) return false;
      continue;
    }
    if (opener === "else") {
      // The `if` this `else` belongs to: the nearest line above at the same indentation.
      for (let k = j - 1; k >= 0; k--) {
        const o = ls[k]!;
        if (!o.trim() || /^\s*#/.test(o) || /^(\s*)/.exec(o)![1]!.length !== ind) continue;
        m = /^\s*(if|unless)\s+(.+)$/.exec(o);
        const t = m ? envTest(m[2]!, env) : null;
        if (t === null) return null;
        if (m![1] === "if" ? t : !t) return false;
        break;
      }
      continue;
    }
    if (/^(elsif|when|case|while|until|begin|rescue|def)\b/.test(opener)) return null;
  }
  return result;
}

export function goodJobPlacement(ctx: AnalyzerContext, stage: Stage, procfile: ProcfileEntry[]): Placement {
  const env = railsEnvOf(stage);
  const files = ["config/application.rb", `config/environments/${env}.rb`, ...ctx.repo.paths.filter((p) => /^config\/initializers\/[^/]+\.rb$/.test(p)).sort()];
  let found: { mode: string | null; text: string; source: Source; conditional?: true } | null = null;
  for (const file of files) {
    const ls = lines(ctx, file);
    ls.forEach((text, i) => {
      if (/^\s*#/.test(text) || !/execution_mode/.test(text)) return;
      const applies = runsInEnv(ls, i, env);
      if (applies === false) return;
      const lit = MODE_LITERAL.exec(text);
      const any = MODE_ANY.exec(text);
      const source = { file, line: i + 1 };
      if (applies === null) found = { mode: null, text: text.trim(), source, conditional: true };
      else if (lit) found = { mode: lit[1]!, text: text.trim(), source };
      else if (any && !/GOOD_JOB_EXECUTION_MODE/.test(any[1]!)) found = { mode: null, text: text.trim(), source };
    });
  }
  const f = found as { mode: string | null; text: string; source: Source; conditional?: true } | null;
  let mode: string | null;
  let why: string;
  let source: Source | null;
  if (f) {
    mode = f.mode;
    why = `\`${f.text}\`${f.conditional ? " under a condition the analysis does not evaluate" : ""}`;
    source = f.source;
  } else {
    const e = serverEnv(stage, procfile, "GOOD_JOB_EXECUTION_MODE");
    if (e) {
      mode = /^(async_server|async|external|inline)$/.test(e.value.replace(/^:/, "")) ? e.value.replace(/^:/, "") : null;
      why = `GOOD_JOB_EXECUTION_MODE=${e.value}`;
      source = e.source;
    } else {
      mode = env === "development" ? "async" : env === "test" ? "inline" : "external";
      why = `GoodJob's default for Rails env ${env} (:${mode}); nothing sets execution_mode`;
      source = null;
    }
  }
  if (mode === null) return { where: "unknown", why: `${why}: the execution mode is not known statically`, source };
  if (mode === "external") return { where: "own", why: `${why}: jobs run in \`good_job start\``, source };
  return { where: "web", why: `${why}: jobs run ${mode === "inline" ? "inside the process that enqueued them" : "in threads of the web server process"}`, source };
}

export function solidQueuePlacement(ctx: AnalyzerContext, stage: Stage, procfile: ProcfileEntry[], requires: Fact<string>[]): Placement {
  const web = startedWebServer(ctx, requires, procfile);
  const files = ctx.repo.paths.filter((p) => p === "config/puma.rb" || p === `config/puma/${railsEnvOf(stage)}.rb`);
  for (const file of files) {
    const ls = lines(ctx, file);
    for (let i = 0; i < ls.length; i++) {
      const m = /^(\s*)plugin\s*\(?\s*[:"']solid_queue["']?\s*\)?(.*)$/.exec(ls[i]!);
      if (!m) continue;
      const source = { file, line: i + 1 };
      if (web?.kind && web.kind !== "puma") return { where: "own", why: `\`plugin :solid_queue\` is in ${file}, but the deploy started ${web.kind}, not Puma (${web.evidence[0]?.value ?? ""})`, source };
      const modifier = m[2]!.replace(/#.*$/, "").trim();
      // A block around the line: the nearest less-indented if/unless above it.
      let cond = modifier;
      if (!cond && m[1]!.length > 0)
        for (let j = i - 1; j >= 0; j--) {
          const ind = /^(\s*)\S/.exec(ls[j]!);
          if (ind && ind[1]!.length < m[1]!.length) {
            cond = /^\s*(if|unless)\b/.test(ls[j]!) ? ls[j]!.trim() : "a block the analysis does not evaluate";
            break;
          }
        }
      if (!cond) return { where: "web", why: `\`plugin :solid_queue\` (${file}:${i + 1}): Puma runs the Solid Queue supervisor`, source };
      const envVar = /^if\s+ENV\s*(?:\[\s*["'](\w+)["']\s*\]|\.fetch\(\s*["'](\w+)["']\s*\)|\.key\?\(\s*["'](\w+)["']\s*\))\s*$/.exec(cond.replace(/^if\s*/, "if "));
      const name = envVar?.[1] ?? envVar?.[2] ?? envVar?.[3];
      if (name) {
        const set = serverEnv(stage, procfile, name);
        if (set) return { where: "web", why: `\`plugin :solid_queue ${modifier || ""}\` and ${name}=${set.value} on the servers: Puma runs the Solid Queue supervisor`.replace(/\s+`/, "`"), source: set.source };
        return { where: "unknown", why: `\`plugin :solid_queue\` runs only when ${name} is set (${file}:${i + 1}), and nothing in the repo says the servers set it`, source };
      }
      return { where: "unknown", why: `\`plugin :solid_queue\` under \`${cond}\` (${file}:${i + 1}), which the analysis does not evaluate`, source };
    }
  }
  return { where: "own", why: "no `plugin :solid_queue` in the Puma config: jobs run in `bin/jobs`", source: null };
}
