#!/usr/bin/env node
// `npm run corpus [-- DIR] [--out DIR] [--timeout SECONDS] [--only NAME,...] [--jobs N] [--cache DIR | --no-cache]`: runs the tool over a
// folder of real repos (default /work/corpus/apps, one repo per subfolder) and prints one markdown
// table, a row per repo, then a summary line. Per repo, each command under the timeout and from a
// neutral working directory: `analyze --json` and `analyze`; `migrate --yes` on a scratch copy
// (the repos themselves are never written), then `kubectl kustomize` on every overlay; and the
// oracles where they apply — Capistrano's own stages and servers (`cap <stage>` with the dump in
// scripts/corpus/), Unicorn::Configurator on every Unicorn config the analysis reported,
// `whenever -f FILE --roles` for each schedule file the deploy loads, per server of each stage, against that overlay's running CronJobs, and each
// Procfile process against the overlays' Deployments and MIGRATION.md. Raw outputs go to the output folder
// (default /tmp/rails2k8s-corpus/<repo>/), the table also to <out>/table.md.
//
// Speed, with every check kept: one analysis gives both `analyze` outputs (scripts/corpus/analyze_both.mjs);
// Capistrano loads a repo's Capfile once and forks per stage (scripts/corpus/cap_batch.rb); an
// oracle's or kustomize's answer is kept in the cache (`--cache DIR`, default
// /tmp/rails2k8s-corpus-cache; `--no-cache`) under the hash of everything it read: the repo's files
// (path, size, mtime: the corpus is read-only) or the generated k8s/ folder's content, its arguments,
// the helper scripts and the tools' versions; so equal whenever runs of two stages run once, and an
// unchanged repo's oracles do not run again. A timeout is never kept. `--jobs N` runs N repos at once.
// A repo whose root holds no Rails app but whose subfolders do (ftc-results' api/) is run on each
// such folder, the row saying so.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { detachLinkedLog, scratchCopy } from "./corpus/scratch.mjs";
import { compareCapistrano, compareProcfile, compareUnicorn, compareWhenever, containerCommandsOf, countKinds, crashOf, cronJobsOf, cronLines, fileNotInRepo, ignoreLine, lineSchedule, overlayName, summariseModel, summaryLine, table } from "./corpus/report.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin/rails2k8s.js");
const HERE = join(ROOT, "scripts/corpus");

function parseArgs(argv) {
  const opts = { dir: "/work/corpus/apps", out: "/tmp/rails2k8s-corpus", timeout: 180, only: null, jobs: 1, cache: "/tmp/rails2k8s-corpus-cache", child: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--out") opts.out = value();
    else if (a === "--timeout") opts.timeout = Number(value());
    else if (a === "--only") opts.only = value();
    else if (a === "--jobs") opts.jobs = Number(value());
    else if (a === "--cache") opts.cache = value();
    else if (a === "--no-cache") opts.cache = null;
    // Internal: one repo for a parent run with --jobs; its rows go to <out>/<repo>/rows.json, no table.
    else if (a === "--child") opts.child = true;
    else if (a === "-h" || a === "--help") usage(null);
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else opts.dir = a;
  }
  if (!(opts.timeout > 0)) usage("--timeout must be a number of seconds");
  if (!(Number.isInteger(opts.jobs) && opts.jobs > 0)) usage("--jobs must be a whole number above 0");
  return opts;
}

function usage(message) {
  if (message) process.stderr.write(`corpus: ${message}\n`);
  process.stderr.write("usage: node scripts/corpus.mjs [DIR] [--out DIR] [--timeout SECONDS] [--only NAME,...] [--jobs N] [--cache DIR | --no-cache]\n");
  process.exit(message ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));
const neutral = mkdtempSync(join(tmpdir(), "r2k-corpus-cwd-"));

// --- the cache ----------------------------------------------------------------------------------

const sha = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(typeof p === "string" || Buffer.isBuffer(p) ? p : JSON.stringify(p)).update("\0");
  return h.digest("hex");
};

/** Every file under a folder (symbolic links as links, .git left out), as sorted relative paths. */
function filesUnder(root) {
  const out = [];
  const walk = (dir, rel) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === ".git") continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else out.push(r);
    }
  };
  walk(root, "");
  return out.sort();
}

/** A repo as the oracles read it: its files' paths, sizes and mtimes (the corpus is never written). */
function fingerprint(root, files) {
  return sha(...files.map((f) => {
    const st = statSync(join(root, f), { throwIfNoEntry: false });
    return `${f} ${st?.size ?? "-"} ${st?.mtimeMs ?? "-"}`;
  }));
}

/** A generated folder by its content (kustomize reads nothing else). */
const contentHash = (root) => sha(...filesUnder(root).flatMap((f) => [f, readFileSync(join(root, f))]));

/**
 * What the cached answers also depend on: the helper scripts and the tools' versions (computed once
 * per run; a --jobs child gets it from its parent).
 */
function toolStamp() {
  if (process.env.CORPUS_TOOL_STAMP) return process.env.CORPUS_TOOL_STAMP;
  const ruby = spawnSync("ruby", ["-e", 'v = [RUBY_DESCRIPTION]; %w[capistrano/version whenever/version unicorn/version].each { |f| begin; require f; rescue LoadError; end }; v << (Capistrano::VERSION rescue nil) << (Whenever::VERSION rescue nil) << (Unicorn::Const::UNICORN_VERSION rescue nil); print v.join(" ")'], { encoding: "utf8" });
  const kubectl = spawnSync("kubectl", ["version", "--client", "-o", "json"], { encoding: "utf8" });
  // scratch.mjs too: what an oracle's copy holds decides its answer.
  const helpers = readdirSync(HERE).filter((f) => /\.(rb|rake)$/.test(f) || f === "scratch.mjs").sort().map((f) => [f, readFileSync(join(HERE, f))]);
  return (process.env.CORPUS_TOOL_STAMP = sha(ruby.stdout ?? "", kubectl.stdout ?? "", process.env.R2K_MULTICONFIG_LIB ?? "", ...helpers.flat()));
}

const cachePath = (key) => join(opts.cache, key.slice(0, 2), `${key}.json`);
function cacheGet(key) {
  if (!opts.cache || !key) return null;
  try {
    return JSON.parse(readFileSync(cachePath(key), "utf8"));
  } catch {
    return null;
  }
}
function cachePut(key, value) {
  if (!opts.cache || !key) return;
  mkdirSync(join(opts.cache, key.slice(0, 2)), { recursive: true });
  // Written whole, then renamed: a parallel run never reads half an answer.
  const tmp = `${cachePath(key)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, cachePath(key));
}

/**
 * Runs a command under the timeout; keeps its output in `<out>/<name>.{out,err}`. With `key` (the
 * hash of all the command reads), an earlier answer to the same key is taken instead of running it.
 */
function run(outDir, name, cmd, args, { cwd = neutral, env = process.env, input = "", key = null } = {}) {
  const hit = cacheGet(key);
  const t0 = process.hrtime.bigint();
  const r = hit ?? spawnSync(cmd, args, { cwd, env, input, encoding: "utf8", timeout: opts.timeout * 1000, killSignal: "SIGKILL", maxBuffer: 512 * 1024 * 1024 });
  const ms = hit ? hit.ms : Number(process.hrtime.bigint() - t0) / 1e6;
  const stderr = hit ? hit.stderr : `${r.stderr ?? ""}${r.error ? `\n[corpus] ${r.error.message}\n` : ""}`;
  writeFileSync(join(outDir, `${name}.out`), r.stdout ?? "");
  writeFileSync(join(outDir, `${name}.err`), stderr);
  const timedOut = hit ? false : r.error?.code === "ETIMEDOUT";
  const result = { status: r.status, signal: r.signal ?? null, timedOut, ms, stdout: r.stdout ?? "", stderr: hit ? hit.stderr : r.stderr ?? "" };
  appendFileSync(join(outDir, "commands.log"), `${name}: ${cmd} ${args.join(" ")} (cwd ${cwd}) → ${timedOut ? "timeout" : r.status ?? r.signal} in ${Math.round(ms)} ms${hit ? " (cached answer)" : ""}\n`);
  if (!hit && !timedOut && !r.error) cachePut(key, { ...result, stderr });
  return result;
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

/** Per stage: `cap <stage> corpus:dump` as its own process (a Capfile that reads ARGV), or all at once by cap_batch.rb. */
function capStageRuns(app, wanted, outDir, env, key) {
  const capfileText = readFileSync(join(app, CAPFILE_NAMES.find((n) => existsSync(join(app, n)))), "utf8");
  if (/\bARGV\b/.test(capfileText)) {
    const listed = run(outDir, "cap-stages", "cap", [], { cwd: app, env: { ...env, CORPUS_LIST_STAGES: "1" }, key: key && sha(key, "list") });
    const stages = listed.status === 0 ? jsonAfterMarker(listed.stdout)?.stages ?? null : null;
    if (!stages) return { listed, stages: null, perStage: {} };
    const perStage = {};
    for (const stage of wanted.filter((s) => stages.includes(s))) perStage[stage] = run(outDir, `cap-${stage}`, "cap", [stage, "corpus:dump"], { cwd: app, env, key: key && sha(key, "stage", stage) });
    return { listed, stages, perStage };
  }
  // One Ruby process: the Capfile loads once, each stage is a fork (cap_batch.rb). Its answer, the
  // stages' outputs included, is cached as one.
  const hit = cacheGet(key && sha(key, "batch"));
  const t0 = Date.now();
  let batch = hit;
  if (!batch) {
    const r = spawnSync("ruby", [join(HERE, "cap_batch.rb")], {
      cwd: app,
      env: { ...env, CORPUS_BATCH: "1", CORPUS_WANTED: JSON.stringify(wanted), CORPUS_OUT: outDir, CORPUS_TIMEOUT: String(opts.timeout) },
      encoding: "utf8",
      // The Capfile's load and each stage have the timeout each.
      timeout: opts.timeout * 1000 * (wanted.length + 1),
      killSignal: "SIGKILL",
      maxBuffer: 512 * 1024 * 1024,
    });
    const timedOut = r.error?.code === "ETIMEDOUT";
    const done = timedOut ? null : jsonAfterMarker(r.stdout.split("\n").filter((l) => !l.startsWith("CORPUS-BATCH")).join("\n"));
    const line = r.stdout.split("\n").find((l) => l.startsWith("CORPUS-BATCH"));
    const perStage = line ? JSON.parse(line.slice("CORPUS-BATCH".length)) : {};
    for (const [stage, st] of Object.entries(perStage)) {
      const read = (ext) => (existsSync(join(outDir, `cap-${stage}.${ext}`)) ? readFileSync(join(outDir, `cap-${stage}.${ext}`), "utf8") : "");
      Object.assign(st, { stdout: read("out"), stderr: read("err") });
    }
    batch = { listed: { status: r.status, signal: r.signal, timedOut, stdout: r.stdout ?? "", stderr: r.stderr ?? "" }, stages: done?.stages ?? null, perStage, ms: Date.now() - t0 };
    if (!timedOut && !Object.values(perStage).some((st) => st.timedOut)) cachePut(key && sha(key, "batch"), batch);
  }
  writeFileSync(join(outDir, "cap-batch.out"), batch.listed.stdout);
  writeFileSync(join(outDir, "cap-batch.err"), batch.listed.stderr);
  appendFileSync(join(outDir, "commands.log"), `cap-batch: ruby ${join(HERE, "cap_batch.rb")} (cwd ${app}, stages ${wanted.join(" ")}) → ${batch.listed.timedOut ? "timeout" : batch.listed.status ?? batch.listed.signal} in ${Math.round(hit ? hit.ms : batch.ms)} ms${hit ? " (cached answer)" : ""}\n`);
  const perStage = {};
  for (const stage of wanted.filter((s) => batch.stages?.includes(s))) {
    const st = batch.perStage[stage];
    if (hit && st) {
      writeFileSync(join(outDir, `cap-${stage}.out`), st.stdout);
      writeFileSync(join(outDir, `cap-${stage}.err`), st.stderr);
    }
    if (st) appendFileSync(join(outDir, "commands.log"), `cap-${stage}: (fork of cap-batch) cap ${stage} corpus:dump → ${st.timedOut ? "timeout" : st.status ?? st.signal} in ${st.ms} ms\n`);
    // The Capfile loaded (its stages were printed) but the rest of cap's load failed: every stage
    // fails with it, as each `cap <stage>` would have.
    perStage[stage] = st ?? { status: batch.listed.status, signal: batch.listed.signal, timedOut: batch.listed.timedOut, stdout: "", stderr: batch.listed.stderr };
  }
  return { listed: batch.listed, stages: batch.stages, perStage };
}

function capistranoOracle(repoDir, summary, outDir, scratchRoot, repoKey) {
  const capfile = CAPFILE_NAMES.find((n) => existsSync(join(repoDir, n)));
  if (!capfile) return { verdict: "n.a.", details: ["no Capfile"], capEnv: {}, whenever: {} };
  if (summary.deployTool !== "cap3") return { verdict: "n.a.", details: [`deploy tool ${summary.deployTool ?? "none"} (this cap is 3.x)`], capEnv: {}, whenever: {} };
  const app = scratchCopy(repoDir, scratchRoot, "cap");
  const detached = detachLinkedLog(app);
  if (detached) appendFileSync(join(outDir, "commands.log"), `cap scratch copy: ${detached}\n`);
  appendFileSync(join(app, capfile), `\nload ${JSON.stringify(join(HERE, "cap_dump.rake"))}\n`);
  // ENV unset, stdin empty (`ask` takes its default), HOME in the copy: Capistrano as a fresh shell runs it.
  // R2K_MULTICONFIG_LIB: the lib/ of the real capistrano-multiconfig gem (Debian has none), so
  // repos that use it are judged by the gem itself rather than a stub.
  const gemLib = process.env.R2K_MULTICONFIG_LIB ? `-I${process.env.R2K_MULTICONFIG_LIB} ` : "";
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `${gemLib}-r${join(HERE, "cap_prelude.rb")} -rjson` };
  const wanted = [...summary.stages.map((s) => s.name), ...(summary.stagesWithoutServers ?? [])];
  const { listed, stages, perStage } = capStageRuns(app, wanted, outDir, env, repoKey && sha(repoKey, "cap", capfile, wanted));
  if (!stages) return { ...compareCapistrano(summary, null, {}, firstLine(listed.stderr + listed.stdout) || `exit ${listed.status}`), capEnv: {}, whenever: {} };
  const servers = {};
  const capEnv = {};
  const whenever = {};
  for (const [stage, r] of Object.entries(perStage)) {
    const dump = r.status === 0 ? jsonAfterMarker(r.stdout) : null;
    servers[stage] = dump ? dump.servers : { error: r.timedOut ? "timeout" : firstLine(r.stderr + r.stdout) || `exit ${r.status}` };
    if (!dump && !r.timedOut) {
      // A file cap could not open that the repo does not hold: read from the repo itself (the copy has the dump's Capfile line).
      const enoent = `${r.stderr}\n${r.stdout}`.split("\n").find((l) => /Errno::ENOENT/.test(l));
      const missing = enoent ? fileNotInRepo(enoent, (rel) => existsSync(join(repoDir, rel)), app) : null;
      if (missing) {
        servers[stage].notInRepo = missing;
        const gitignore = existsSync(join(repoDir, ".gitignore")) ? readFileSync(join(repoDir, ".gitignore"), "utf8") : "";
        const line = ignoreLine(gitignore, missing);
        if (line) servers[stage].ignoredAt = `.gitignore:${line}`;
      }
    }
    if (dump?.rails_env) capEnv[stage] = dump.rails_env;
    if (dump) whenever[stage] = { servers: dump.servers, roles: dump.whenever_roles ?? ["db"], env: dump.whenever_environment ?? null, loadFile: dump.whenever_load_file ?? null, set: typeof dump.whenever_set === "string" && dump.whenever_set ? dump.whenever_set : null };
  }
  return { ...compareCapistrano(summary, stages, servers), capEnv, whenever };
}

// --- the Unicorn oracle ---------------------------------------------------------------------------

function unicornOracle(repoDir, summary, outDir, scratchRoot, repoKey) {
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
    key: repoKey && sha(repoKey, "unicorn", unicorns.map((u) => [u.file, u.env ?? null])),
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

const wheneverMemo = new Map();

/** The never-run line the tool writes on a suspended CronJob whose schedule is computed at run time (emitters/kustomize/cronjobs.ts). */
const UNKNOWN_SCHEDULE = "0 0 30 2 *";

/** A whenever_load_file as Capistrano evaluated it (`/var/www/app/current/config/x.rb`), as a repo path. */
const releaseRelative = (path) => (typeof path === "string" ? path.replace(/^.*?\/(?:current|releases\/\d+)\//, "").replace(/^\.\//, "") : null);

function wheneverOracle(repoDir, summary, overlays, capEnv, capWhenever, outDir, scratchRoot, repoKey) {
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
        const args = ["-f", file, "--set", cap?.set ?? `environment=${railsEnv}`, ...(byRole ? ["--roles", roleSet] : [])];
        // The same arguments on the same files (two stages with one Rails env): one run, the other
        // stage takes its answer (in memory when there is no cache folder).
        const key = repoKey && sha(repoKey, "whenever", args);
        const r =
          (!opts.cache && key && wheneverMemo.get(key)) ||
          run(outDir, `whenever-${tag}`, "whenever", args, {
            cwd: app,
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8" },
            key,
          });
        if (!opts.cache && key) wheneverMemo.set(key, r);
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

/** Both `analyze` outputs from one analysis (scripts/corpus/analyze_both.mjs), each as a run of its own. */
function analyzeOnce(outDir, appDir) {
  const r = run(outDir, "analyze-both", "node", [join(HERE, "analyze_both.mjs"), appDir, join(outDir, "analyze")]);
  let codes = null;
  try {
    codes = r.status === 0 ? JSON.parse(r.stdout) : null;
  } catch {
    codes = null;
  }
  const one = (prefix, code) => {
    // The helper itself failed (a timeout, a signal, a crash before it wrote): both outputs fail with it.
    if (!codes) return { status: r.status, signal: r.signal, timedOut: r.timedOut, ms: r.ms, stdout: "", stderr: r.stderr };
    const read = (ext) => readFileSync(join(outDir, `${prefix}.${ext}`), "utf8");
    return { status: code, signal: null, timedOut: false, ms: r.ms, stdout: read("out"), stderr: read("err") };
  };
  return { json: one("analyze-json", codes?.json), text: one("analyze", codes?.text) };
}

/**
 * The folders of a repo to run on: the root when it is a Rails app as the CLI decides (a Gemfile, a
 * Gemfile.lock, config/application.rb or config/environment.rb there), or when it holds the deploy
 * (a Capfile or config/deploy.rb: the CLI reads the app in the subfolder the deploy releases, or
 * refuses naming the folders); else each subfolder holding a Rails app, by the CLI's own rule
 * (nestedRailsRoots); else the root, which the CLI then refuses.
 */
function railsRoots(repoDir, files) {
  if (["Gemfile", "Gemfile.lock", "config/application.rb", "config/environment.rb"].some((f) => existsSync(join(repoDir, f)))) return ["."];
  if ([...CAPFILE_NAMES, "config/deploy.rb"].some((f) => existsSync(join(repoDir, f)))) return ["."];
  const nested = nestedRailsRoots(files.filter((f) => !f.split("/").includes("node_modules")));
  return nested.length ? nested : ["."];
}

function runRepo(name) {
  const repoDir = join(resolve(opts.dir), name);
  rmSync(join(opts.out, name), { recursive: true, force: true });
  const files = filesUnder(repoDir);
  const roots = railsRoots(repoDir, files);
  // Nested roots: each is a row of its own, its outputs under <out>/<repo>/<folder>/.
  return roots.map((sub) => runApp(name, sub, sub === "." ? repoDir : join(repoDir, sub), sub === "." ? files : files.filter((f) => f.startsWith(`${sub}/`)).map((f) => f.slice(sub.length + 1))));
}

function runApp(name, sub, repoDir, files) {
  const outDir = sub === "." ? join(opts.out, name) : join(opts.out, name, sub.replace(/\//g, "__"));
  mkdirSync(outDir, { recursive: true });
  const scratchRoot = mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-"));
  const result = { repo: sub === "." ? name : `${name} (Rails app in ${sub}/)`, crashes: [] };
  const crash = (what, r) => {
    const c = crashOf(r);
    if (c) result.crashes.push(`${what}: ${c}`);
  };
  try {
    // What the oracles' answers depend on in the repo (see the cache, above).
    const repoKey = opts.cache ? sha(toolStamp(), fingerprint(repoDir, files)) : sha("memo", fingerprint(repoDir, files));
    const analyzed = analyzeOnce(outDir, repoDir);
    result.analyzeJson = analyzed.json;
    crash("analyze --json", result.analyzeJson);
    result.analyzeText = analyzed.text;
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
    // kustomize reads only k8s/: its answer is keyed by that folder's content.
    const k8sKey = opts.cache && existsSync(join(copy, "k8s")) ? sha(toolStamp(), "kustomize", contentHash(join(copy, "k8s"))) : null;
    // CronJobs the base writes suspended (a path only the servers had, a schedule not known yet) are
    // suspended by design, in every stage: the oracle counts them as the job whenever wrote. Only
    // an overlay's own suspension means "no line on this stage", and it says so on the object even
    // where the base suspends it too.
    const baseDir = join(copy, "k8s/base");
    const base = existsSync(baseDir) ? run(outDir, "kustomize-base", "kubectl", ["kustomize", baseDir], { key: k8sKey && sha(k8sKey, "base") }) : null;
    const containerCommands = [];
    const suspendedByDesign = new Set(base?.status === 0 ? cronJobsOf(base.stdout).filter((j) => j.suspend).map((j) => j.name) : []);
    if (existsSync(overlaysDir))
      for (const o of readdirSync(overlaysDir).sort()) {
        if (!statSync(join(overlaysDir, o)).isDirectory()) continue;
        const k = run(outDir, `kustomize-${o}`, "kubectl", ["kustomize", join(overlaysDir, o)], { key: k8sKey && sha(k8sKey, "overlay", o) });
        if (k.status === 0) containerCommands.push(...containerCommandsOf(k.stdout));
        result.overlays.push({ name: o, kinds: k.status === 0 ? countKinds(k.stdout) : null, cronJobs: k.status === 0 ? cronJobsOf(k.stdout).map((j) => ({ ...j, byDesign: j.suspend && suspendedByDesign.has(j.name) && !j.notRunOnStage })) : null });
      }

    if (result.summary) {
      const cap = capistranoOracle(repoDir, result.summary, outDir, scratchRoot, repoKey);
      result.cap = { verdict: cap.verdict, details: cap.details };
      result.unicorn = unicornOracle(repoDir, result.summary, outDir, scratchRoot, repoKey);
      const guide = join(copy, "MIGRATION.md");
      result.procfile = compareProcfile(model?.procfile ?? [], containerCommands, existsSync(guide) ? readFileSync(guide, "utf8") : null);
      result.whenever = wheneverOracle(repoDir, result.summary, result.overlays, cap.capEnv, cap.whenever, outDir, scratchRoot, repoKey);
    }
  } catch (e) {
    result.crashes.push(`corpus script: ${e.message}`);
  } finally {
    rmSync(scratchRoot, { recursive: true, force: true });
  }
  const { analyzeJson, analyzeText, migrate, ...rest } = result;
  const brief = (r) => r && { status: r.status, timedOut: r.timedOut, ms: Math.round(r.ms) };
  const row = { ...rest, analyzeJson: brief(analyzeJson), analyzeText: brief(analyzeText), migrate: brief(migrate) };
  writeFileSync(join(outDir, "result.json"), JSON.stringify(row, null, 2) + "\n");
  return row;
}

// --- main -----------------------------------------------------------------------------------------

/** The rows of one repo run by a child process (--jobs above 1): `node corpus.mjs --child --only NAME`. */
function runChild(name) {
  return new Promise((done) => {
    const args = [fileURLToPath(import.meta.url), opts.dir, "--child", "--only", name, "--out", opts.out, "--timeout", String(opts.timeout), ...(opts.cache ? ["--cache", opts.cache] : ["--no-cache"])];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, CORPUS_TOOL_STAMP: opts.cache ? toolStamp() : "" } });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      try {
        done(JSON.parse(readFileSync(join(opts.out, name, "rows.json"), "utf8")));
      } catch {
        done([{ repo: name, crashes: [`corpus script: child exited ${code}: ${firstLine(err)}`] }]);
      }
    });
  });
}

if (!existsSync(opts.dir) || !statSync(opts.dir).isDirectory()) usage(`${opts.dir} is not a folder of repos`);
if (!existsSync(join(ROOT, "dist/bundle/rails2k8s.cjs"))) usage("no build: run `npm run build` first (or `npm run corpus`)");
const { nestedRailsRoots } = await import(new URL("../dist/src/rails-roots.js", import.meta.url).href);
mkdirSync(opts.out, { recursive: true });
const repos = readdirSync(opts.dir)
  .filter((n) => statSync(join(opts.dir, n)).isDirectory())
  .filter((n) => !opts.only || opts.only.split(",").includes(n))
  .sort();
if (!repos.length) usage(`no repos under ${opts.dir}${opts.only ? ` named ${opts.only}` : ""}`);
const t0 = Date.now();
let rows;
if (opts.child) {
  rows = runRepo(repos[0]);
  writeFileSync(join(opts.out, repos[0], "rows.json"), JSON.stringify(rows) + "\n");
} else if (opts.jobs > 1 && repos.length > 1) {
  const byRepo = new Array(repos.length);
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < repos.length) {
      const i = next++;
      byRepo[i] = await runChild(repos[i]);
      process.stderr.write(`[${++finished}/${repos.length}] ${repos[i]} (${Math.round((Date.now() - t0) / 1000)} s)\n`);
    }
  };
  await Promise.all(Array.from({ length: opts.jobs }, worker));
  rows = byRepo.flat();
} else {
  rows = [];
  for (const [i, name] of repos.entries()) {
    process.stderr.write(`[${i + 1}/${repos.length}] ${name}\n`);
    rows.push(...runRepo(name));
  }
}
rmSync(neutral, { recursive: true, force: true });
if (!opts.child) {
  const text = `${table(rows)}\n\n${summaryLine(rows)}\n`;
  writeFileSync(join(opts.out, "table.md"), text);
  process.stdout.write(text);
  process.stderr.write(`corpus: ${repos.length} repos in ${Math.round((Date.now() - t0) / 1000)} s\n`);
}
