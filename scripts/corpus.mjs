#!/usr/bin/env node
// `npm run corpus [-- DIR] [--out DIR] [--timeout SECONDS] [--only NAME]`: runs the tool over a
// folder of real repos (default /work/corpus/apps, one repo per subfolder) and prints one markdown
// table, a row per repo, then a summary line. Per repo, each command under the timeout and from a
// neutral working directory: `analyze --json` and `analyze`; `migrate --yes` on a scratch copy
// (the repos themselves are never written), then `kubectl kustomize` on every overlay; and the
// oracles where they apply — Capistrano's own stages and servers (`cap <stage>` with the dump in
// scripts/corpus/), Unicorn::Configurator on every Unicorn config the analysis reported,
// `whenever -f FILE --roles` for each schedule file the deploy loads, per server of each stage, against that overlay's running CronJobs, and each
// Procfile process against the overlays' Deployments and MIGRATION.md. Raw outputs go to the output folder
// (default /tmp/rails2k8s-corpus/<repo>/), the table also to <out>/table.md.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compareCapistrano, compareProcfile, compareUnicorn, compareWhenever, containerCommandsOf, countKinds, crashOf, cronJobsOf, cronLines, lineSchedule, overlayName, summariseModel, summaryLine, table } from "./corpus/report.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin/rails2k8s.js");
const HERE = join(ROOT, "scripts/corpus");

function parseArgs(argv) {
  const opts = { dir: "/work/corpus/apps", out: "/tmp/rails2k8s-corpus", timeout: 180, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--out") opts.out = value();
    else if (a === "--timeout") opts.timeout = Number(value());
    else if (a === "--only") opts.only = value();
    else if (a === "-h" || a === "--help") usage(null);
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else opts.dir = a;
  }
  if (!(opts.timeout > 0)) usage("--timeout must be a number of seconds");
  return opts;
}

function usage(message) {
  if (message) process.stderr.write(`corpus: ${message}\n`);
  process.stderr.write("usage: node scripts/corpus.mjs [DIR] [--out DIR] [--timeout SECONDS] [--only NAME]\n");
  process.exit(message ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));
const neutral = mkdtempSync(join(tmpdir(), "r2k-corpus-cwd-"));

/** Runs a command under the timeout; keeps its output in `<out>/<name>.{out,err}`. */
function run(outDir, name, cmd, args, { cwd = neutral, env = process.env, input = "" } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, input, encoding: "utf8", timeout: opts.timeout * 1000, killSignal: "SIGKILL", maxBuffer: 512 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  writeFileSync(join(outDir, `${name}.out`), r.stdout ?? "");
  writeFileSync(join(outDir, `${name}.err`), `${r.stderr ?? ""}${r.error ? `\n[corpus] ${r.error.message}\n` : ""}`);
  const timedOut = r.error?.code === "ETIMEDOUT";
  appendFileSync(join(outDir, "commands.log"), `${name}: ${cmd} ${args.join(" ")} (cwd ${cwd}) → ${timedOut ? "timeout" : r.status ?? r.signal} in ${Math.round(ms)} ms\n`);
  return { status: r.status, signal: r.signal, timedOut, ms, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A copy of the repo in a fresh scratch folder (symbolic links kept as links). */
function scratchCopy(repoDir, scratchRoot, label) {
  const dest = join(scratchRoot, label);
  const r = spawnSync("cp", ["-a", "--", repoDir, dest], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cp -a ${repoDir}: ${r.stderr}`);
  return dest;
}

/** The line that says why a command failed: after Rake's "aborted!", else the last line. */
const firstLine = (s) => {
  const lines = s.split("\n").map((l) => l.trim()).filter(Boolean);
  const at = lines.findIndex((l) => / aborted!$/.test(l));
  return ((at >= 0 ? lines[at + 1] : lines.pop()) ?? "").slice(0, 160);
};
const jsonAfterMarker = (stdout) => {
  const line = stdout.split("\n").find((l) => l.includes("CORPUS-JSON"));
  return line ? JSON.parse(line.slice(line.indexOf("CORPUS-JSON") + "CORPUS-JSON".length)) : null;
};

// --- the Capistrano oracle ------------------------------------------------------------------------

// Capistrano's own order (capistrano/application.rb); the tool's is analyzers/capistrano/capfile.ts
// (a plain script cannot import it).
const CAPFILE_NAMES = ["capfile", "Capfile", "capfile.rb", "Capfile.rb"];

function capistranoOracle(repoDir, summary, outDir, scratchRoot) {
  const capfile = CAPFILE_NAMES.find((n) => existsSync(join(repoDir, n)));
  if (!capfile) return { verdict: "n.a.", details: ["no Capfile"], capEnv: {}, whenever: {} };
  if (summary.deployTool !== "cap3") return { verdict: "n.a.", details: [`deploy tool ${summary.deployTool ?? "none"} (this cap is 3.x)`], capEnv: {}, whenever: {} };
  const app = scratchCopy(repoDir, scratchRoot, "cap");
  appendFileSync(join(app, capfile), `\nload ${JSON.stringify(join(HERE, "cap_dump.rake"))}\n`);
  // ENV unset, stdin empty (`ask` takes its default), HOME in the copy: Capistrano as a fresh shell runs it.
  // R2K_MULTICONFIG_LIB: the lib/ of the real capistrano-multiconfig gem (Debian has none), so
  // repos that use it are judged by the gem itself rather than a stub.
  const gemLib = process.env.R2K_MULTICONFIG_LIB ? `-I${process.env.R2K_MULTICONFIG_LIB} ` : "";
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `${gemLib}-r${join(HERE, "cap_prelude.rb")} -rjson` };
  const listed = run(outDir, "cap-stages", "cap", [], { cwd: app, env: { ...env, CORPUS_LIST_STAGES: "1" } });
  const stages = listed.status === 0 ? jsonAfterMarker(listed.stdout)?.stages ?? null : null;
  if (!stages) return { ...compareCapistrano(summary, null, {}, firstLine(listed.stderr + listed.stdout) || `exit ${listed.status}`), capEnv: {}, whenever: {} };
  const servers = {};
  const capEnv = {};
  const whenever = {};
  for (const stage of [...summary.stages.map((s) => s.name), ...(summary.stagesWithoutServers ?? [])].filter((s) => stages.includes(s))) {
    const r = run(outDir, `cap-${stage}`, "cap", [stage, "corpus:dump"], { cwd: app, env });
    const dump = r.status === 0 ? jsonAfterMarker(r.stdout) : null;
    servers[stage] = dump ? dump.servers : { error: r.timedOut ? "timeout" : firstLine(r.stderr + r.stdout) || `exit ${r.status}` };
    if (dump?.rails_env) capEnv[stage] = dump.rails_env;
    if (dump) whenever[stage] = { servers: dump.servers, roles: dump.whenever_roles ?? ["db"], env: dump.whenever_environment ?? null, loadFile: dump.whenever_load_file ?? null, set: typeof dump.whenever_set === "string" && dump.whenever_set ? dump.whenever_set : null };
  }
  return { ...compareCapistrano(summary, stages, servers), capEnv, whenever };
}

// --- the Unicorn oracle ---------------------------------------------------------------------------

function unicornOracle(repoDir, summary, outDir, scratchRoot) {
  // A template the deploy renders (ERB, the stage's Capistrano variables) is not the file Unicorn
  // read: its raw text is no config. The tests judge those (render with Ruby's ERB, then Unicorn).
  const rendered = summary.appServers.filter((a) => a.kind === "unicorn" && a.rendered);
  const unicorns = summary.appServers.filter((a) => a.kind === "unicorn" && !a.rendered && existsSync(join(repoDir, a.file)));
  const skipped = rendered.map((a) => `${a.file}: a template the deploy renders per stage, not read raw here`);
  if (!unicorns.length) return { ...compareUnicorn([], null), details: skipped };
  // A config is Ruby: it runs in a scratch copy, ENV unset, and (as for cap) a gem this machine
  // lacks (`require "dotenv"`) loads as nothing.
  const app = scratchCopy(repoDir, scratchRoot, "unicorn");
  const r = run(outDir, "unicorn", "ruby", [join(HERE, "unicorn_read.rb")], {
    cwd: app,
    // A reading for one Rails env (a per-stage reading of a file that branches on it) is judged with
    // RAILS_ENV set to it, as the servers of those stages ran it.
    input: JSON.stringify(unicorns.map((u) => (u.env ? { path: join(app, u.file), env: u.env } : join(app, u.file)))),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-r${join(HERE, "cap_prelude.rb")}` },
  });
  let answers = null;
  try {
    answers = r.status === 0 ? JSON.parse(r.stdout) : null;
  } catch {
    answers = null;
  }
  const verdict = compareUnicorn(unicorns, answers ?? unicorns.map(() => ({ error: firstLine(r.stderr) || `exit ${r.status}` })));
  return { ...verdict, details: [...verdict.details, ...skipped] };
}

// --- the whenever oracle --------------------------------------------------------------------------

/** The never-run line the tool writes on a suspended CronJob whose schedule is computed at run time (emitters/kustomize/cronjobs.ts). */
const UNKNOWN_SCHEDULE = "0 0 30 2 *";

/** A whenever_load_file as Capistrano evaluated it (`/var/www/app/current/config/x.rb`), as a repo path. */
const releaseRelative = (path) => (typeof path === "string" ? path.replace(/^.*?\/(?:current|releases\/\d+)\//, "").replace(/^\.\//, "") : null);

function wheneverOracle(repoDir, summary, overlays, capEnv, capWhenever, outDir, scratchRoot) {
  // The files the analysis says the deploy loaded; whenever's default file when it names none, so a
  // config/schedule.rb the analysis missed is still judged.
  const files = summary.scheduleFiles?.length ? summary.scheduleFiles : existsSync(join(repoDir, "config/schedule.rb")) ? [{ file: "config/schedule.rb", stages: null, taskRoles: null }] : [];
  if (!files.length) return compareWhenever([]);
  if (summary.wheneverNotRun) return { verdict: "n.a.", details: ["whenever: the deploy never runs whenever (cron.whenever-not-invoked): schedule.rb's lines are not compared"] };
  const app = scratchCopy(repoDir, scratchRoot, "whenever");
  const perStage = [];
  for (const stage of summary.stages) {
    // What Capistrano evaluated, where it ran; else the analysis' servers with whenever's defaults.
    const cap = capWhenever?.[stage.name];
    const railsEnv = cap?.env ?? capEnv[stage.name] ?? (typeof stage.railsEnv === "string" ? stage.railsEnv : null) ?? stage.name;
    const lineSet = new Set();
    let failed = null;
    for (const f of files.filter((x) => !x.stages || x.stages.includes(stage.name))) {
      // whenever/capistrano's file: the one Capistrano's whenever_load_file names on this stage, if it names one.
      const file = !f.taskRoles && cap?.loadFile ? releaseRelative(cap.loadFile) : f.file;
      if (!file || !existsSync(join(app, file))) continue;
      // whenever/capistrano runs on whenever_roles with each server's `--roles`; a deploy task of the
      // repo on its own roles, with `--roles` only where its line passes it.
      const roles = f.taskRoles?.roles ?? cap?.roles ?? ["db"];
      const byRole = !f.taskRoles || f.taskRoles.byRole;
      const servers = (cap?.servers ?? stage.servers).filter((s) => s.roles.some((r) => roles.includes(r)));
      // One crontab per distinct role set (each server's `--roles`); equal lines on two servers are one job.
      const roleSets = [...new Set(servers.map((s) => (byRole ? [...s.roles].sort().join(",") : "")))];
      for (const [i, roleSet] of roleSets.entries()) {
        const tag = `${stage.name}${files.length > 1 ? `-${file.replace(/[^\w.-]+/g, "_")}` : ""}${roleSets.length > 1 ? `-${i + 1}` : ""}`;
        const r = run(outDir, `whenever-${tag}`, "whenever", ["-f", file, "--set", cap?.set ?? `environment=${railsEnv}`, ...(byRole ? ["--roles", roleSet] : [])], {
          cwd: app,
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8" },
        });
        if (r.status !== 0) {
          failed = r.timedOut ? "timeout" : firstLine(r.stderr) || `exit ${r.status}`;
          break;
        }
        // Two files' equal lines are two crontab lines (each file its own block): kept apart.
        for (const l of cronLines(r.stdout)) lineSet.add(`${file}\0${l}`);
      }
      if (failed) break;
    }
    const lines = failed ? null : [...lineSet].map((l) => l.slice(l.indexOf("\0") + 1));
    const overlay = overlays.find((o) => o.name === overlayName(stage.name));
    const jobs = overlay?.cronJobs ?? null;
    perStage.push({
      stage: stage.name,
      lines: lines?.length ?? null,
      reboot: lines?.filter((l) => /^@reboot\b/.test(l)).length ?? 0,
      error: failed,
      cronJobs: jobs ? jobs.filter((j) => (!j.suspend || j.byDesign) && !(j.undecided && !j.notRunOnStage)).length : null,
      undecided: jobs ? jobs.filter((j) => j.undecided && !j.notRunOnStage).length : 0,
      suspended: jobs ? jobs.filter((j) => j.suspend && !j.byDesign).length : 0,
      schedules: lines?.filter((l) => !/^@reboot\b/.test(l)).map(lineSchedule),
      // A by-design suspension with a placeholder schedule (the real one computed at run time) is
      // compared by count only.
      cronJobSchedules: jobs?.some((j) => j.byDesign && j.schedule === UNKNOWN_SCHEDULE) ? undefined : jobs?.filter((j) => !j.suspend || j.byDesign).map((j) => j.schedule),
    });
  }
  return compareWhenever(perStage);
}

// --- one repo -------------------------------------------------------------------------------------

function runRepo(name) {
  const repoDir = join(resolve(opts.dir), name);
  const outDir = join(opts.out, name);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const scratchRoot = mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-"));
  const result = { repo: name, crashes: [] };
  const crash = (what, r) => {
    const c = crashOf(r);
    if (c) result.crashes.push(`${what}: ${c}`);
  };
  try {
    result.analyzeJson = run(outDir, "analyze-json", "node", [BIN, "analyze", repoDir, "--json"]);
    crash("analyze --json", result.analyzeJson);
    result.analyzeText = run(outDir, "analyze", "node", [BIN, "analyze", repoDir]);
    crash("analyze", result.analyzeText);
    let model = null;
    try {
      model = result.analyzeJson.status === 0 ? JSON.parse(result.analyzeJson.stdout) : null;
    } catch {
      result.crashes.push("analyze --json: output is not JSON");
    }
    result.summary = model ? summariseModel(model) : null;

    const copy = scratchCopy(repoDir, scratchRoot, "migrate");
    result.migrate = run(outDir, "migrate", "node", [BIN, "migrate", copy, "--yes"]);
    crash("migrate", result.migrate);
    if (result.migrate.status !== 0) result.migrateError = (result.migrate.stderr.split("\n").find((l) => l.startsWith("rails2k8s:")) ?? firstLine(result.migrate.stderr)).slice(0, 200);
    const overlaysDir = join(copy, "k8s/overlays");
    result.overlays = [];
    // CronJobs the base writes suspended (a path only the servers had, a schedule not known yet) are
    // suspended by design, in every stage: the oracle counts them as the job whenever wrote. Only
    // an overlay's own suspension means "no line on this stage", and it says so on the object even
    // where the base suspends it too.
    const baseDir = join(copy, "k8s/base");
    const base = existsSync(baseDir) ? run(outDir, "kustomize-base", "kubectl", ["kustomize", baseDir]) : null;
    const containerCommands = [];
    const suspendedByDesign = new Set(base?.status === 0 ? cronJobsOf(base.stdout).filter((j) => j.suspend).map((j) => j.name) : []);
    if (existsSync(overlaysDir))
      for (const o of readdirSync(overlaysDir).sort()) {
        if (!statSync(join(overlaysDir, o)).isDirectory()) continue;
        const k = run(outDir, `kustomize-${o}`, "kubectl", ["kustomize", join(overlaysDir, o)]);
        if (k.status === 0) containerCommands.push(...containerCommandsOf(k.stdout));
        result.overlays.push({ name: o, kinds: k.status === 0 ? countKinds(k.stdout) : null, cronJobs: k.status === 0 ? cronJobsOf(k.stdout).map((j) => ({ ...j, byDesign: j.suspend && suspendedByDesign.has(j.name) && !j.notRunOnStage })) : null });
      }

    if (result.summary) {
      const cap = capistranoOracle(repoDir, result.summary, outDir, scratchRoot);
      result.cap = { verdict: cap.verdict, details: cap.details };
      result.unicorn = unicornOracle(repoDir, result.summary, outDir, scratchRoot);
      const guide = join(copy, "MIGRATION.md");
      result.procfile = compareProcfile(model?.procfile ?? [], containerCommands, existsSync(guide) ? readFileSync(guide, "utf8") : null);
      result.whenever = wheneverOracle(repoDir, result.summary, result.overlays, cap.capEnv, cap.whenever, outDir, scratchRoot);
    }
  } catch (e) {
    result.crashes.push(`corpus script: ${e.message}`);
  } finally {
    rmSync(scratchRoot, { recursive: true, force: true });
  }
  const { analyzeJson, analyzeText, migrate, ...rest } = result;
  const brief = (r) => r && { status: r.status, timedOut: r.timedOut, ms: Math.round(r.ms) };
  writeFileSync(join(outDir, "result.json"), JSON.stringify({ ...rest, analyzeJson: brief(analyzeJson), analyzeText: brief(analyzeText), migrate: brief(migrate) }, null, 2) + "\n");
  return result;
}

// --- main -----------------------------------------------------------------------------------------

if (!existsSync(opts.dir) || !statSync(opts.dir).isDirectory()) usage(`${opts.dir} is not a folder of repos`);
if (!existsSync(join(ROOT, "dist/bundle/rails2k8s.cjs"))) usage("no build: run `npm run build` first (or `npm run corpus`)");
mkdirSync(opts.out, { recursive: true });
const repos = readdirSync(opts.dir)
  .filter((n) => statSync(join(opts.dir, n)).isDirectory())
  .filter((n) => !opts.only || n === opts.only)
  .sort();
if (!repos.length) usage(`no repos under ${opts.dir}${opts.only ? ` named ${opts.only}` : ""}`);
const results = [];
for (const [i, name] of repos.entries()) {
  process.stderr.write(`[${i + 1}/${repos.length}] ${name}\n`);
  results.push(runRepo(name));
}
rmSync(neutral, { recursive: true, force: true });
const text = `${table(results)}\n\n${summaryLine(results)}\n`;
writeFileSync(join(opts.out, "table.md"), text);
process.stdout.write(text);
