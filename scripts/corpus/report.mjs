// Pure parts of the practice-corpus run (scripts/corpus.mjs): reading the tool's JSON, comparing it
// with what the oracles said, and writing the table and the summary line. No I/O here, so the
// judgements can be tested without any corpus.
import { parseAllDocuments } from "yaml";

/** A value as the app would see it with no ENV variable set: an ENV read is its default. */
export function plainValue(v) {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(plainValue);
  if (typeof v.unknown === "string") return { unknown: v.unknown };
  if (typeof v.env === "string" && "default" in v) {
    const d = plainValue(v.default);
    if (v.ruby === "to_i" && typeof d === "string" && /^-?\d+$/.test(d)) return Number(d);
    return d;
  }
  if (typeof v.sym === "string") return v.sym;
  if (Array.isArray(v.interp)) {
    const parts = v.interp.map(plainValue);
    return parts.every((p) => p === null || typeof p !== "object") ? parts.map((p) => (p === null ? "" : String(p))).join("") : { unknown: "interpolation" };
  }
  return v;
}

const isUnknownValue = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && typeof v.unknown === "string";

/** Ruby's and the tool's numbers agree when they are the same number, whatever its spelling. */
export function sameNumber(a, b) {
  if (a === null || b === null || a === undefined || b === undefined) return a == b; // eslint-disable-line eqeqeq
  return String(a) === String(b);
}

/** Overlay directory name of a stage, as the tool names it (src/model/names.ts, simple cases). */
export function overlayName(stage) {
  return String(stage)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** What the table shows of `analyze --json`. */
export function summariseModel(model) {
  const stages = (model.stages ?? []).map((s) => ({
    name: s.name,
    railsEnv: s.variables?.rails_env ? plainValue(s.variables.rails_env.value) : null,
    servers: (s.servers ?? []).map((x) => ({ host: x.host, roles: [...x.roles].sort() })),
  }));
  return {
    deployTool: model.capistrano ? `cap${model.capistrano.major ?? "?"}` : model.deployTool ?? null,
    stages,
    // Stage files that declare no server: Capistrano's stages too, with no overlay (no servers to compare but none).
    stagesWithoutServers: (model.stagesWithoutServers ?? []).map((s) => s.name),
    // Stages the analysis says `cap` aborts on while loading them (Stage.capAborts, StageWithoutServers.capAborts): stage → "file:line".
    capAborts: Object.fromEntries([...(model.stages ?? []), ...(model.stagesWithoutServers ?? [])].filter((s) => s.capAborts).map((s) => [s.name, `${s.capAborts.source.file}:${s.capAborts.source.line}`])),
    webServer: model.webServer?.kind ?? null,
    appServers: (model.appServers ?? []).map((a) => ({ kind: a.kind, file: a.file, env: a.env ?? null, workers: a.workers ? plainValue(a.workers.value) : null, timeout: a.timeout ? plainValue(a.timeout.value) : null, rendered: !!a.renderedBy })),
    cronJobs: model.cron?.jobs?.length ?? 0,
    // The whenever files the analysis says the deploy loaded (analyzers/whenever/loaded.ts), each with
    // the stages and the deploy task's roles it was loaded for.
    scheduleFiles: (model.cron?.files ?? []).map((f) => ({ file: f.file, stages: f.stages ?? null, taskRoles: f.taskRoles ?? null })),
    gaps: model.gaps?.length ?? 0,
    hazards: model.hazards?.length ?? 0,
    problems: model.problems?.length ?? 0,
    // The analysis found that the deploy never runs whenever: schedule.rb's lines never reached a crontab.
    wheneverNotRun: (model.problems ?? []).some((p) => /^cron\.whenever-not-invoked:/.test(p.message)),
  };
}

/**
 * The file a failed `cap` could not open, from its message (`Errno::ENOENT: No such file or directory
 * @ rb_sysopen - ./config/app.yml`), as a path relative to the repo's root (cap runs there), or null
 * when the message is no such error or names a path that `exists` (relative path → boolean) says the
 * repo has. A path outside the repo (absolute, or `..` out of it) is not in the repo either: it was a
 * file of the deploying machine. `root` is the folder cap ran in (the scratch copy), for absolute
 * paths into it.
 */
export function fileNotInRepo(error, exists, root = null) {
  const m = /Errno::ENOENT: No such file or directory @ \w+ - (.+?)\s*$/.exec(String(error ?? ""));
  if (!m) return null;
  const path = m[1];
  let rel = path;
  if (path.startsWith("/")) {
    if (!root || !path.startsWith(`${root.replace(/\/+$/, "")}/`)) return path;
    rel = path.slice(root.replace(/\/+$/, "").length + 1);
  }
  const parts = [];
  for (const part of rel.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (!parts.length) return path;
      parts.pop();
    } else parts.push(part);
  }
  return parts.length && exists(parts.join("/")) ? null : parts.join("/") || path;
}

/**
 * Capistrano oracle: the stage names Capistrano accepts and, per stage, its servers (host → roles)
 * against the analysis. Returns { verdict: "agree" | "disagree" | "n.a.", details: string[] }.
 * `capStages` null = Capistrano could not list stages (the reason is in `error`); `capServers` maps
 * stage → servers or { error, notInRepo? }. `notInRepo` (fileNotInRepo's answer) says cap failed
 * on a file the repo does not hold (a gitignored config kept on the deploying machine): that stage is
 * not comparable here, which is no disagreement; the reason is kept in the details.
 */
export function compareCapistrano(summary, capStages, capServers, error = null) {
  if (capStages === null) return { verdict: "n.a.", details: error ? [`cap: ${error}`] : [] };
  const details = [];
  const empty = (summary.stagesWithoutServers ?? []).map((name) => ({ name, servers: [] }));
  const ours = [...summary.stages, ...empty].map((s) => s.name).sort();
  const theirs = [...capStages].sort();
  const missing = theirs.filter((s) => !ours.includes(s));
  const extra = ours.filter((s) => !theirs.includes(s));
  if (missing.length) details.push(`stages missed: ${missing.join(", ")}`);
  if (extra.length) details.push(`stages cap does not have: ${extra.join(", ")}`);
  let compared = 0;
  // What agrees but is worth saying: a stage cap aborts on, as the analysis said it would.
  const agreements = [];
  const notComparable = [];
  for (const stage of [...summary.stages, ...empty]) {
    const got = capServers[stage.name];
    if (!got) continue;
    const abortAt = summary.capAborts?.[stage.name];
    if (got.error && abortAt) {
      compared++;
      agreements.push(`${stage.name}: cap fails, as the tool says (${abortAt}): ${got.error}`);
      continue;
    }
    if (got.error && got.notInRepo) {
      notComparable.push(`${stage.name}: n.a., cap could not read ${got.notInRepo}, which is not in the repo${got.ignoredAt ? ` (${got.ignoredAt} ignores it)` : ""}: a file of the deploying machine (${got.error})`);
      continue;
    }
    if (got.error) {
      details.push(`${stage.name}: cap failed (${got.error})`);
      continue;
    }
    compared++;
    if (abortAt) details.push(`${stage.name}: the tool says cap aborts (${abortAt}), but cap loaded the stage`);
    const key = (list) => new Map(list.map((s) => [s.host, [...s.roles].sort().join(",")]));
    const a = key(stage.servers);
    const b = key(got);
    const hostsA = [...a.keys()].sort();
    const hostsB = [...b.keys()].sort();
    if (hostsA.join(" ") !== hostsB.join(" ")) {
      details.push(`${stage.name}: hosts ${hostsA.length} vs cap ${hostsB.length} (${hostsB.filter((h) => !a.has(h)).slice(0, 3).join(" ") || "-"} missed; ${hostsA.filter((h) => !b.has(h)).slice(0, 3).join(" ") || "-"} extra)`);
      continue;
    }
    for (const h of hostsA) if (a.get(h) !== b.get(h)) details.push(`${stage.name}: ${h} roles ${a.get(h) || "-"} vs cap ${b.get(h) || "-"}`);
  }
  const failedOnly = compared === 0 && missing.length === 0 && extra.length === 0;
  if (failedOnly && (details.length || notComparable.length)) return { verdict: "n.a.", details: [...details, ...notComparable] };
  return { verdict: details.length ? "disagree" : "agree", details: [...details, ...agreements, ...notComparable] };
}

/**
 * Unicorn oracle: per Unicorn config the analysis reported, what Unicorn::Configurator set.
 * `oracle[i]` answers `unicorns[i]` ({ worker_processes, timeout } or { error }).
 */
export function compareUnicorn(unicorns, oracle) {
  if (!unicorns.length) return { verdict: "n.a.", details: [] };
  const details = [];
  let compared = 0;
  unicorns.forEach((u, i) => {
    const o = oracle?.[i];
    if (!o || o.error) {
      details.push(`${u.file}: Unicorn could not read it (${o?.error ?? "no answer"})`);
      return;
    }
    compared++;
    const show = (v) => (isUnknownValue(v) ? "unknown" : JSON.stringify(v));
    const at = `${u.file}${u.env ? ` (${u.env})` : ""}`;
    // A value Unicorn computes from what this machine is not (its CPUs, an unstated RAILS_ENV):
    // the tool agrees by saying it is unknown, and disagrees by stating a number.
    const dependent = (label, ours, key) => {
      const on = o.depends?.[key];
      if (!on) return false;
      details.push(isUnknownValue(ours) ? `${at}: ${label} unknown, as Unicorn's depends on ${on}` : `${at}: ${label} ${show(ours)} vs unicorn depends on ${on}`);
      return true;
    };
    if (!dependent("workers", u.workers, "worker_processes") && (isUnknownValue(u.workers) || !sameNumber(u.workers, o.worker_processes))) details.push(`${at}: workers ${show(u.workers)} vs unicorn ${show(o.worker_processes)}`);
    if (!dependent("timeout", u.timeout, "timeout") && (isUnknownValue(u.timeout) || !sameNumber(u.timeout, o.timeout))) details.push(`${at}: timeout ${show(u.timeout)} vs unicorn ${show(o.timeout)}`);
  });
  if (compared === 0) return { verdict: "n.a.", details };
  return { verdict: details.some((d) => / vs unicorn /.test(d)) ? "disagree" : "agree", details };
}

/** The job lines of a crontab whenever printed (no comments, blank lines or VAR=value lines). */
export function cronLines(text) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
    .filter((l) => /^(@\w+|(\S+\s+){5})\S/.test(l));
}

/** The schedule field of a crontab line: `@daily`, or its first five fields. */
export function lineSchedule(line) {
  const f = line.trim().split(/\s+/);
  return f[0].startsWith("@") ? f[0] : f.slice(0, 5).join(" ");
}

/** The CronJobs of `kubectl kustomize` output: each one's name, schedule, and whether it is suspended. */
export function cronJobsOf(yamlText) {
  const out = [];
  for (const doc of parseAllDocuments(yamlText)) {
    const o = doc.toJS();
    // notRunOnStage: the overlay suspended it because whenever wrote no line for it on this stage (emitters/kustomize/rules/cron.ts CRON_NOT_RUN_ANNOTATION).
    if (o && o.kind === "CronJob") out.push({ name: String(o.metadata?.name ?? "?"), schedule: String(o.spec?.schedule ?? ""), suspend: o.spec?.suspend === true, notRunOnStage: o.metadata?.annotations?.["rails2k8s.dev/not-run-on-stage"] !== undefined, undecided: o.metadata?.annotations?.["rails2k8s.dev/undecided-condition"] !== undefined });
  }
  return out;
}

/** What one multiset of schedules holds beyond the other, as `"5 0 * * *" ×2` items. */
function beyond(a, b) {
  const left = new Map();
  for (const x of a) left.set(x, (left.get(x) ?? 0) + 1);
  for (const x of b) if (left.has(x)) left.set(x, left.get(x) - 1);
  return [...left].filter(([, n]) => n > 0).map(([x, n]) => `"${x}"${n > 1 ? ` ×${n}` : ""}`);
}

/**
 * whenever oracle: per stage, whenever's cron lines against the CronJobs of that stage's overlay.
 * `perStage`: [{ stage, lines: number | null, reboot?: number (of those lines), error?, cronJobs: number | null,
 * schedules?: string[] (whenever's, @reboot left out), cronJobSchedules?: string[] (the CronJobs that run),
 * suspended?: number (CronJobs written suspended: the stage had no crontab line for them) }].
 * Capistrano's whenever wrote one crontab per server, with that server's roles (`--roles`), so the
 * lines are the union over the stage's servers: a suspended CronJob is no line on any server.
 */
export function compareWhenever(perStage) {
  if (!perStage.length) return { verdict: "n.a.", details: [] };
  const details = [];
  let compared = 0;
  for (const s of perStage) {
    if (s.lines === null) {
      details.push(`${s.stage}: whenever failed (${s.error ?? "?"})`);
      continue;
    }
    if (s.cronJobs === null) {
      details.push(`${s.stage}: no overlay to compare (${s.lines} cron lines)`);
      continue;
    }
    compared++;
    // `@reboot` ran when a server booted; Kubernetes has no such moment, so the tool leaves those
    // lines out on purpose (emitters/kustomize/rules/cron.ts isRunnableSchedule) and names them.
    const reboot = s.reboot ?? 0;
    const notes = [reboot ? `+${reboot} @reboot, left out by design` : "", s.suspended ? `+${s.suspended} suspended` : ""].filter(Boolean);
    // A CronJob under a condition only the servers decided (suspended, annotated) may or may not
    // have a line here: counted as either, and its schedules not compared.
    const undecided = s.undecided ?? 0;
    if (undecided) notes.push(`+${undecided} under an undecided condition`);
    const note = notes.length ? ` (${notes.join(", ")})` : "";
    if (undecided && s.lines - reboot >= s.cronJobs && s.lines - reboot <= s.cronJobs + undecided) continue;
    if (s.lines - reboot !== s.cronJobs) details.push(`${s.stage}: ${s.lines - reboot} cron lines vs ${s.cronJobs} CronJobs${note}`);
    else if (s.schedules && s.cronJobSchedules) {
      const onlyCron = beyond(s.schedules, s.cronJobSchedules);
      const onlyJobs = beyond(s.cronJobSchedules, s.schedules);
      if (onlyCron.length || onlyJobs.length) details.push(`${s.stage}: schedules differ: whenever ${onlyCron.join(", ") || "-"} vs CronJobs ${onlyJobs.join(", ") || "-"}`);
    }
  }
  if (compared === 0) return { verdict: "n.a.", details };
  return { verdict: details.some((d) => / cron lines vs /.test(d) || /no overlay/.test(d) || /schedules differ/.test(d)) ? "disagree" : "agree", details };
}

/** What each Deployment container of `kubectl kustomize` output runs: its command and args, as one line. */
export function containerCommandsOf(yamlText) {
  const out = [];
  for (const doc of parseAllDocuments(yamlText)) {
    const o = doc.toJS();
    if (!o || o.kind !== "Deployment") continue;
    const pod = o.spec?.template?.spec ?? {};
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) out.push([...(c.command ?? []), ...(c.args ?? [])].join(" ").replace(/\$\$/g, "$"));
  }
  return out;
}

/**
 * The words that identify a Procfile command: its program (after `bundle exec`, env assignments)
 * and the files and Rake tasks it names (`config/sidekiq.yml`, `lib/scheduler.rb`, `jobs:work`).
 */
export function commandMarks(command) {
  const words = command.trim().split(/\s+/).filter((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  while (words[0] === "bundle" || words[0] === "exec") words.shift();
  const program = (words[0] ?? "").replace(/^(?:\.\/)?bin\//, "");
  return [program, ...words.slice(1).filter((w) => /[/:]|\.(rb|yml|js|sh)$/.test(w)).map((w) => w.replace(/^\.\//, ""))].filter(Boolean);
}

/**
 * Procfile oracle: each process of the Procfile is run by a Deployment (its program and files in
 * a container's command line) or named in MIGRATION.md (its `Procfile:<line>` cited); else it is
 * lost without a word. `entries`: the analysis' procfile; `commands`: containerCommandsOf every
 * overlay; `guide`: MIGRATION.md text (null when migrate wrote none).
 */
export function compareProcfile(entries, commands, guide) {
  // Procfile.dev, .sample, .CF...: processes of a laptop or another platform, never of the servers.
  const served = (entries ?? []).filter((e) => e.source.file === "Procfile");
  if (!served.length || guide === null) return { verdict: "n.a.", details: [] };
  const details = [];
  for (const e of served) {
    const marks = commandMarks(e.command);
    const run = commands.some((c) => marks.every((m) => c.split(/\s+/).some((w) => w === m || w.endsWith(`/${m}`))));
    const named = guide.includes(`${e.source.file}:${e.source.line}`);
    if (!run && !named) details.push(`${e.name} (${e.source.file}:${e.source.line}: ${e.command.slice(0, 60)}) neither run nor named in MIGRATION.md`);
  }
  return { verdict: details.length ? "disagree" : "agree", details };
}

/** Kinds of the top-level documents in `kubectl kustomize` output. */
export function countKinds(yamlText) {
  const counts = {};
  for (const m of yamlText.matchAll(/^kind:\s*(\S+)\s*$/gm)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  return counts;
}

/** A run that stopped on something other than a clear exit: a stack trace, an internal error or the timeout. */
export function crashOf(run) {
  if (!run) return null;
  if (run.timedOut) return "timeout";
  if (run.status === null) return `signal ${run.signal ?? "?"}`;
  if (/^\s+at .+:\d+:\d+\)?$/m.test(run.stderr ?? "") || /internal error/i.test(run.stderr ?? "")) return "stack trace";
  if (run.status !== 0 && run.status !== 2) return `exit ${run.status}`;
  return null;
}

const cell = (s) =>
  String(s ?? "-")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, "<br>") || "-";

export const COLUMNS = ["repo", "analyze exit json/text (s)", "stages", "servers", "web (app server configs)", "gaps/hazards/problems", "migrate", "kustomize", "Deployments/CronJobs per overlay", "cap", "unicorn", "whenever", "crash", "disagreements and failures"];

/** One table row from one repo's results (see scripts/corpus.mjs runRepo). */
export function rowCells(r) {
  const s = r.summary;
  const secs = (run) => (run ? (run.ms / 1000).toFixed(1) : "-");
  const code = (run) => (run ? (run.timedOut ? "T" : run.status ?? "sig") : "-");
  const appServers = s ? s.appServers.map((a) => `${a.kind}:${a.workers === null ? "-" : isUnknownValue(a.workers) || typeof a.workers === "object" ? "?" : a.workers}`).join(" ") : "";
  const overlays = (r.overlays ?? []).map((o) => `${o.name} ${o.kinds ? `${o.kinds.Deployment ?? 0}/${o.kinds.CronJob ?? 0}` : "fail"}`).join("<br>");
  const notes = [];
  for (const [name, c] of [["cap", r.cap], ["unicorn", r.unicorn], ["whenever", r.whenever], ["procfile", r.procfile]]) for (const d of c?.details ?? []) notes.push(`${name}: ${d}`);
  if (r.migrateError) notes.push(`migrate: ${r.migrateError}`);
  return [
    r.repo,
    `${code(r.analyzeJson)}/${code(r.analyzeText)} (${secs(r.analyzeJson)}/${secs(r.analyzeText)})`,
    s ? s.stages.map((x) => x.name).join(", ") || "none" : "-",
    s ? s.stages.map((x) => x.servers.length).join(", ") || "-" : "-",
    s ? `${s.webServer ?? "?"}${appServers ? ` (${appServers})` : ""}` : "-",
    s ? `${s.gaps}/${s.hazards}/${s.problems}` : "-",
    r.migrate ? `${code(r.migrate)} (${secs(r.migrate)})` : "-",
    r.overlays ? `${r.overlays.filter((o) => o.kinds).length}/${r.overlays.length}` : "-",
    overlays || "-",
    r.cap?.verdict ?? "n.a.",
    r.unicorn?.verdict ?? "n.a.",
    r.whenever?.verdict ?? "n.a.",
    r.crashes?.length ? r.crashes.join("; ") : "-",
    notes.join("<br>") || "-",
  ].map(cell);
}

export function table(results) {
  const lines = [`| ${COLUMNS.join(" | ")} |`, `|${COLUMNS.map(() => "---").join("|")}|`];
  for (const r of results) lines.push(`| ${rowCells(r).join(" | ")} |`);
  return lines.join("\n");
}

/** The last line: how many repos, how many crashed, how many oracle verdicts disagreed. */
export function summaryLine(results) {
  const crashed = results.filter((r) => r.crashes?.length).length;
  const oracles = ["cap", "unicorn", "whenever"];
  const disagree = Object.fromEntries(oracles.map((o) => [o, results.filter((r) => r[o]?.verdict === "disagree").length]));
  const applied = Object.fromEntries(oracles.map((o) => [o, results.filter((r) => r[o] && r[o].verdict !== "n.a.").length]));
  const total = oracles.reduce((n, o) => n + disagree[o], 0);
  const per = oracles.map((o) => `${o} ${disagree[o]}/${applied[o]}`).join(", ");
  return `Summary: ${results.length} repos, ${crashed} with crashes, ${total} oracle disagreements (${per} repos disagreeing/compared).`;
}

/** The line of a .gitignore text that names `rel` itself (`config/app.yml` or `/config/app.yml`), 1-based, or null. */
export function ignoreLine(gitignore, rel) {
  const lines = String(gitignore ?? "").split("\n");
  const at = lines.findIndex((l) => l.trim().replace(/^\//, "") === rel);
  return at >= 0 ? at + 1 : null;
}
