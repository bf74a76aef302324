// `rails2k8s migrate`: analysis → answers (saved, asked, or defaults) → emitters → Tree → review
// → atomic write. Nothing touches the disk before the last step, so Ctrl-C, a declined write, an
// emitter that throws or a failed write all leave the repo as it was.
import { resolve } from "node:path";
import type { Io } from "./io.js";
import { analyzeDir, type AnalyzeOptions } from "./analyze.js";
import type { Answers, AppModel, Gap, RValue } from "./model.js";
import { Tree, type Change } from "./tree.js";
import { ANSWERS_HEADER, BadAnswersFile, checkSaved, hasAnswersHeader, parseAnswers, problemLine, renderAnswers, unknownAnswers, walkGaps } from "./answers.js";
import { ANSWERS_FILE, inContext } from "./model/answers.js";
import { askGaps, isPromptExit, realPrompts, type Prompts } from "./wizard.js";
import { parseRecord, RECORD_PATH, renderRecord, SECRET_RECORD_PATH } from "./generated.js";
import { settleGenerated, type GeneratedFile } from "./conflicts.js";
import { settleStale } from "./stale.js";
import { sha256 } from "./generated.js";
import { applyPatch } from "./patch.js";
import { addIgnored, GITIGNORE } from "./gitignore.js";
import { countLine, renderDiff, renderTable, whyWritten, type ReviewItem } from "./review.js";
import { page } from "./pager.js";
import { besidePath, describeKept, keptReports } from "./consistency.js";
import { writeAtomically, WriteFailed } from "./write.js";
import { acquireLock, LockHeld, type Lock } from "./lock.js";
import { insideRoot, LinkRefused, showPath } from "./safe-path.js";
import { EMITTERS } from "../emitters/index.js";
import { RefusedInput } from "../emitters/encode/refuse.js";
import { termLines, termText } from "../emitters/encode/terminal.js";
import { emitMigrationGuide, type EmitterOutput } from "../emitters/migration-guide.js";
import { capAnswerId } from "./gaps/core.js";
import { redaction, scrubbingIo, scrubText, secretLeak, type ScrubbingIo } from "./redact.js";
import { looksSecretValue } from "./model/secret-shapes.js";
import type { CapistranoOptions } from "../analyzers/capistrano/index.js";
import { withAnsweredServers } from "./gaps/servers.js";
import { withAnsweredWebNumbers, withAnsweredWebServer } from "./gaps/appserver.js";
import { phaseTimer, timed } from "./timing.js";
import { recordedOutput } from "./output-paths.js";

type CapistranoOverrides = NonNullable<CapistranoOptions["overrides"]>;

export interface MigrateOptions {
  answers?: string;
  yes: boolean;
  dryRun: boolean;
  force: boolean;
  /** The summary table only, no diff. */
  stat: boolean;
}

/** What the command needs from its surroundings; tests replace the terminal and the prompts. */
export interface MigrateEnv {
  /** Prompts may be shown: stdin is a terminal. */
  interactive: boolean;
  prompts: Prompts;
  analyze: (dir: string, exclude: (path: string) => boolean, opts?: AnalyzeOptions) => Promise<AppModel>;
  emitters: typeof EMITTERS;
  /**
   * Shows the diff in a pager and resolves once it is closed; false when no pager ran (then the
   * diff is printed). Absent or null: stdout is not a terminal, the diff is printed.
   */
  page?: ((text: string) => Promise<boolean>) | null;
}

const defaultEnv = (): MigrateEnv => ({
  page: process.stdout.isTTY ? (text) => page(text) : null,
  interactive: Boolean(process.stdin.isTTY),
  prompts: realPrompts,
  analyze: analyzeDir,
  emitters: EMITTERS,
});

/** Exit code for Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** Thrown to end the run with an exit code after the message was printed. */
class Stop {
  constructor(readonly code: number) {}
}

export async function runMigrate(dir: string, rawOpts: Record<string, unknown>, io: Io, env: MigrateEnv = defaultEnv()): Promise<number> {
  const opts: MigrateOptions = {
    answers: typeof rawOpts.answers === "string" ? rawOpts.answers : undefined,
    yes: Boolean(rawOpts.yes),
    dryRun: Boolean(rawOpts.dryRun),
    force: Boolean(rawOpts.force),
    stat: Boolean(rawOpts.stat),
  };
  // Only a run that may write takes the lock (a dry run changes nothing another run could see).
  let lock: Lock | null = null;
  try {
    if (!opts.dryRun) lock = acquireLock(resolve(dir), (s) => io.err(`rails2k8s: warning: ${s}\n`));
    // Every line printed passes the one redaction: secret shapes always, the repo's known secret
    // values (and typed secret answers) once the analysis found them.
    return await migrate(dir, opts, scrubbingIo(io), env);
  } catch (e) {
    if (e instanceof Stop) return e.code;
    if (e instanceof LockHeld || e instanceof LinkRefused) {
      // The lock's owner and the path are the repo's text: shown escaped.
      io.err(`rails2k8s: ${termLines(e.message)}\nNothing was written.\n`);
      return 2;
    }
    if (isPromptExit(e)) {
      io.err("\nrails2k8s: interrupted; nothing was written.\n");
      return EXIT_INTERRUPTED;
    }
    throw e;
  } finally {
    lock?.release();
  }
}

async function migrate(dir: string, opts: MigrateOptions, io: ScrubbingIo, env: MigrateEnv): Promise<number> {
  const mark = phaseTimer();
  const tree = new Tree(resolve(dir));
  // Messages name repo files and values: each line is escaped for the terminal.
  const warn = (s: string) => io.err(`rails2k8s: warning: ${termLines(s)}\n`);
  const fail = (code: number, message: string): never => {
    io.err(`rails2k8s: ${termLines(message)}\n`);
    throw new Stop(code);
  };

  const shared = parseRecord(tree.read(RECORD_PATH));
  const local = parseRecord(tree.read(SECRET_RECORD_PATH), SECRET_RECORD_PATH);
  for (const w of [shared.warning, local.warning]) if (w) warn(w);
  const record = { ...shared.record, ...local.record };
  // The answers file is checked before the analysis: a wrong path fails fast.
  const answersPath = answersLocation(tree.root, opts.answers);
  const shownAnswers = showPath(answersPath);
  const entry = tree.original(answersPath);
  // A mistyped --answers path is not "no answers yet": it would take the defaults and create a
  // stray file wherever the typo points. Only the default file is created when missing.
  if (opts.answers !== undefined && entry.kind === "missing")
    fail(2, `${shownAnswers}: no such answers file. --answers names an answers file rails2k8s wrote; without it, ${ANSWERS_FILE} in the repo is used (and created).`);
  // A directory, a device or a link named as the answers file is a typo too.
  if (entry.kind === "other") fail(2, `${shownAnswers}: the answers file is ${entry.what}`);
  // Only a file rails2k8s wrote is ever overwritten: `--answers config/sidekiq.yml` is the app's own file.
  if (entry.kind === "file" && !hasAnswersHeader(entry.bytes.toString("utf8")))
    fail(
      2,
      `${shownAnswers}: not a rails2k8s answers file (its first line is not "${ANSWERS_HEADER}…"), and rails2k8s never overwrites a file it did not write. ` +
        `Name the answers file rails2k8s wrote, or, if this file holds only answers, add the line "${ANSWERS_HEADER}" at its top.`,
    );
  let saved: Answers = {};
  try {
    saved = parseAnswers(tree.read(answersPath), answersPath);
  } catch (e) {
    if (e instanceof BadAnswersFile) fail(2, e.message);
    throw e;
  }
  // The analysis sees the repo as the team wrote it, without rails2k8s' own output: a re-run
  // then computes the same model, hence the same files.
  const exclude = recordedOutput(record);
  mark("start");
  const analyzed = await env.analyze(dir, exclude);
  mark("analysis");
  io.learn(redaction(analyzed).values);
  mark("redaction of the analysis");

  const { answers, defaulted } = await collectAnswers(analyzed.gaps, saved, answersPath, opts, io, env, warn, fail, [...analyzed.stages, ...(analyzed.stagesWithoutServers ?? [])].map((s) => s.name));
  io.learn(analyzed.gaps.flatMap((g) => (g.secret && typeof answers[g.id] === "string" ? [answers[g.id] as string] : [])));
  // Answers to Capistrano variables (`ask`, unknowns) go back into the evaluation, so templates and
  // lazy values that read them are computed with them; the gaps stay those that were asked.
  const overrides = capOverrides(analyzed, answers, answersPath);
  // The gaps as asked: a why (and default) the answers before it changed is the one MIGRATION.md shows.
  const asAsked = analyzed.gaps.map((g) => confirmed(inContext(g, answers), answers, defaulted));
  mark("answers");
  // Suggestions no one confirmed too (Thin's `servers: 3`): outputs label them as the suggestion they are.
  const stillPlaceholders = new Set(asAsked.filter((g) => g.placeholder || g.suggestion).map((g) => g.id));
  const model = { ...withAnsweredWebNumbers(withAnsweredWebServer(withAnsweredServers(overrides ? { ...(await env.analyze(dir, exclude, { capOverrides: overrides })), gaps: analyzed.gaps } : analyzed, answers, answersPath), answers, answersPath, defaulted), answers, answersPath, stillPlaceholders), gaps: asAsked };

  // Emitters, all in memory; one that throws stops everything before any write.
  const outputs: EmitterOutput[] = [];
  for (const e of env.emitters) {
    try {
      outputs.push({ name: e.name, result: timed(`emitter ${e.name}`, () => e.emit(model, answers)) });
    } catch (err) {
      if (err instanceof RefusedInput) fail(2, `${err.message}\nNothing was written.`);
      fail(1, `the ${e.name} emitter failed: ${(err as Error).message}\nNothing was written. This is a bug in rails2k8s; please report it with the output of \`rails2k8s analyze --json\`.`);
    }
  }
  mark("emitters");
  // The guide is committed: written from the model as it may be shown, any echo of a secret cut out.
  const shown = redaction(model);
  io.learn(shown.values);
  mark("redaction of the model");
  const guide = emitMigrationGuide(shown.model, answers, outputs);
  outputs.push({ name: "migration guide", result: { files: [{ ...guide, content: scrubText(guide.content, shown.values) }], provenance: [], notes: [] } });
  mark("migration guide");
  // Every committed file is checked for the repo's secret values and for secret shapes. A hit is an
  // emitter that should have routed the value to secrets.env: rewriting it here would leave a file
  // that no longer does what the repo did, so nothing is written and the value's source is named.
  const leak = secretLeak(
    outputs.flatMap((o) => o.result.files.filter((f) => !f.secret)),
    model,
    shown.values,
    { file: answersPath, values: answers },
  );
  mark("leak check");
  if (leak)
    fail(
      2,
      `${leak.path}:${leak.line}: would hold a secret (${leak.what})${leak.from ? ` taken from ${leak.from.file}${leak.from.line ? `:${leak.from.line}` : ""}` : ""}, and it is a committed file. ` +
        `Move the value out of the repo (read it from ENV there), then run again.\nNothing was written.`,
    );

  // The Tree: generated files, the codemod's edits, .gitignore, the record, the answers.
  const generated: GeneratedFile[] = [];
  const written = new Set<string>();
  try {
    for (const o of outputs) {
      for (const f of o.result.files) {
        if (written.has(f.path)) throw new Error(`two emitters write ${f.path}`);
        written.add(f.path);
        generated.push({ path: f.path, content: f.content, secret: Boolean(f.secret), why: whyWritten(f.path, o.name, f.why) });
        tree.write(f.path, f.content, { origin: "generated", secret: f.secret, mode: f.secret ? 0o600 : (f.mode ?? 0o644), by: o.name });
      }
      for (const patch of o.result.patches ?? []) {
        const skipped = applyPatch(tree, patch, o.name);
        if (skipped) warn(skipped);
      }
    }
  } catch (err) {
    if (err instanceof LinkRefused) throw err;
    fail(1, `${(err as Error).message}\nNothing was written.`);
  }
  mark("staged tree");
  const secretPaths = new Set(generated.filter((g) => g.secret).map((g) => g.path));
  const ignore = addIgnored(tree.read(GITIGNORE), [...secretPaths, ...(secretPaths.size ? [SECRET_RECORD_PATH] : [])]);
  if (ignore !== null) tree.write(GITIGNORE, ignore, { origin: "gitignore" });
  const settled = await settleGenerated(tree, generated, record, {
    force: opts.force,
    dryRun: opts.dryRun,
    ask: !opts.yes && env.interactive ? (item) => askOverwrite(item, io, env) : null,
    warn,
  });
  mark("settled against the record");
  // An edited file kept as it is: its new version goes beside it, and what now disagrees is named,
  // here and in MIGRATION.md (rewritten with the list) — never a silently inconsistent set.
  const kept = keptReports(settled.items, new Set(generated.map((g) => g.path)));
  for (const r of kept) {
    warn(describeKept(r, !opts.dryRun));
    const item = settled.items.find((i) => i.path === r.path)!;
    tree.write(r.beside, item.after ?? "", { origin: "beside", by: "review" });
  }
  // A new version left beside a file that is no longer kept (taken since, or merged and forced).
  const keptPaths = new Set(kept.map((r) => r.path));
  for (const g of generated)
    if (!keptPaths.has(g.path) && tree.original(besidePath(g.path)).kind === "file")
      warn(`${besidePath(g.path)} is left from an earlier run, and ${g.path} is no longer kept as you edited it: delete ${besidePath(g.path)} once you have merged what you need.`);
  if (kept.length) {
    const guideItem = settled.items.find((i) => i.path === guide.path);
    if (guideItem && (guideItem.status === "new" || guideItem.status === "changed" || guideItem.status === "unchanged" || guideItem.status === "overwrite")) {
      const content = scrubText(emitMigrationGuide(shown.model, answers, outputs.slice(0, -1), kept).content, shown.values);
      guideItem.after = content;
      if (guideItem.status !== "overwrite") guideItem.status = guideItem.before === null ? "new" : guideItem.before === content ? "unchanged" : "changed";
      tree.write(guide.path, content, { origin: "generated", mode: 0o644, by: "migration guide" });
      settled.record[guide.path] = sha256(content);
    }
  }
  // A file of an earlier run not generated any more is deleted (shown in the review like any change),
  // unless edited since. A secret one is known by the git-ignored record that holds its hash.
  const wasSecret = (p: string) => secretPaths.has(p) || (!written.has(p) && Object.hasOwn(local.record, p));
  settled.record = settleStale(tree, settled.record, written, wasSecret, warn);
  const split = (secret: boolean) => Object.fromEntries(Object.entries(settled.record).filter(([p]) => wasSecret(p) === secret));
  tree.write(RECORD_PATH, renderRecord(split(false)), { origin: "record" });
  if (secretPaths.size || Object.keys(local.record).length) tree.write(SECRET_RECORD_PATH, renderRecord(split(true), true), { origin: "record", secret: true, mode: 0o600 });
  // Saved with the rest, never on their own: a declined write saves no answers either.
  const savable = unsavable(model.gaps, answers, saved, shown.values, warn);
  const toConfirm = new Set(model.gaps.filter((g) => (g.suggestion || g.placeholder) && defaulted.has(g.id)).map((g) => g.id));
  tree.write(answersPath, renderAnswers(savable.gaps, answers, savable.previous, toConfirm), { origin: "answers" });

  mark("record and answers");
  // Review, then write: the table first; the diff through the pager on a terminal, printed
  // otherwise, left out with --stat.
  const items = [...settled.items, ...tree.changes().filter((c) => c.meta.origin !== "generated").map(otherItem)].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  io.out(`\n${renderTable(items, io.color)}`);
  mark("review table");
  const diffs = opts.stat ? [] : items.map((i) => renderDiff(i, io.color)).filter(Boolean);
  mark("diff");
  // --yes runs unattended: a pager would wait for a key nobody presses, so the diff is printed.
  if (diffs.length) await showDiff(diffs.join("\n") + "\n", io, opts.yes ? { ...env, page: null } : env);
  io.out(`${countLine(items)}\n`);
  mark("diff shown");

  const changes = tree.changes();
  const removed = changes.filter((c) => c.remove).length;
  const andDeleted = (verb: string) => (removed ? `, ${removed} of them ${verb}` : "");
  if (opts.dryRun) {
    io.out(changes.length ? `Dry run: ${changes.length} file(s) would be written${andDeleted("deleted")}; nothing was written.\n` : "Dry run: nothing to change.\n");
    return 0;
  }
  if (!changes.length) {
    io.out("Nothing to write: the repo already holds this output.\n");
    return 0;
  }
  if (!opts.yes) {
    if (!env.interactive) fail(2, "writing needs a confirmation and there is no terminal: use --yes to write, or --dry-run to only look.");
    if (!(await env.prompts.confirm({ message: `Write ${changes.length} file(s)${andDeleted("deletions")}?`, default: true }))) {
      io.out("Nothing was written.\n");
      return 0;
    }
  }
  try {
    writeAtomically(
      tree.root,
      changes.map((c) => ({ abs: c.abs, content: c.content, mode: c.meta.mode ?? 0o644, ...(c.remove ? { remove: true as const } : {}) })),
    );
  } catch (e) {
    if (e instanceof WriteFailed) fail(1, `writing failed: ${e.message}\nNothing was changed: every file is as it was before this run.`);
    throw e;
  }
  mark("write");
  io.out(`Wrote ${changes.length} file(s)${andDeleted("deleted")}. Next: read MIGRATION.md.\n`);
  return 0;
}

/**
 * Every gap that applies gets an answer: the saved one, else (--yes, or a dry run without a
 * terminal) its default, else the wizard's. A gap that does not apply given the answers before it
 * (gateway.name when the edge is an ALB) is skipped. Saved answers are checked first, each against
 * its rule: under --yes, --answers or without a terminal one that breaks it stops the run (exit 2,
 * every such key named with its value and the rule); in the wizard it is asked again, with why.
 * Without a terminal and without --yes nothing is asked: exit 2. `defaulted`: the gaps that took
 * their default with no one asked (--yes, a dry run without a terminal), none saved nor typed.
 */
async function collectAnswers(
  gaps: Gap[],
  saved: Answers,
  answersPath: string,
  opts: MigrateOptions,
  io: Io,
  env: MigrateEnv,
  warn: (s: string) => void,
  fail: (code: number, message: string) => never,
  stages: string[],
): Promise<{ answers: Answers; defaulted: Set<string> }> {
  const { usable, problems } = checkSaved(gaps, saved);
  const defaulted = new Set<string>();
  const unknown = unknownAnswers(gaps, saved, stages);
  for (const [stage, ids] of unknown.stages)
    warn(`${answersPath}: stage ${stage} is not a Capistrano stage of this repo (config/deploy/${stage}.rb): ${ids.join(", ")} kept but unused`);
  if (unknown.keys.length) warn(`${answersPath}: no question of this analysis has the key(s) ${unknown.keys.join(", ")}: kept but unused`);
  if (problems.length) {
    if (opts.yes || opts.answers !== undefined || !env.interactive)
      fail(
        2,
        `${answersPath}: ${problems.length} answer(s) break their rule:\n` +
          problems.map((p) => `  ${problemLine(p)}\n`).join("") +
          `Fix them in ${answersPath} (or delete a line to take its default), then run again.\nNothing was written.`,
      );
    for (const p of problems) warn(`saved answer ${problemLine(p)}; asked again`);
  }
  if (opts.yes || (!env.interactive && opts.dryRun)) {
    if (gaps.length) io.out(opts.yes ? "Answers (--yes: saved answers, else defaults):\n" : "Answers (no terminal: --dry-run takes saved answers, else defaults):\n");
    const { answers, skipped } = await walkGaps(gaps, (g) => {
      const fromFile = !g.secret && Object.hasOwn(usable, g.id);
      // A question no default can answer (servers that could not be read) is not guessed.
      if (!fromFile && g.required && opts.yes)
        fail(2, `${g.id}: ${g.question}\n--yes takes defaults, and this question has none. Answer it in ${answersPath} (or run without --yes to be asked).\nNothing was written.`);
      const v = fromFile ? usable[g.id]! : g.default;
      if (!fromFile) defaulted.add(g.id);
      const held =
        g.placeholder && !fromFile
          ? ", a placeholder: answer it before the cut-over (MIGRATION.md lists it)"
          : g.suggestion && !fromFile
            ? ", a suggestion: confirm it before the cut-over (MIGRATION.md lists it)"
            : "";
      io.out(termText(`  ${g.id} = ${g.secret ? "(secret)" : plainValue(v)}  (${fromFile ? `saved in ${answersPath}` : "default"}${held})`) + "\n");
      return v;
    });
    for (const s of skipped) io.out(termText(`  ${s.gap.id}: not asked (${s.because})`) + "\n");
    return { answers, defaulted };
  }
  // What the wizard would ask, if each question it asks took its default.
  const { skipped, answers: planned } = await walkGaps(gaps, (g) => (!g.secret && Object.hasOwn(usable, g.id) ? usable[g.id]! : g.default));
  const skippedIds = new Set(skipped.map((s) => s.gap.id));
  const unanswered = gaps.filter((g) => !skippedIds.has(g.id) && (g.secret || !Object.hasOwn(usable, g.id))).map((g) => inContext(g, planned));
  if (unanswered.length && !env.interactive)
    fail(
      2,
      `no terminal to ask on, and ${unanswered.length} question(s) have no saved answer:\n` +
        unanswered.map((g) => `  ${g.id}: ${g.question} (default ${g.secret ? "hidden" : plainValue(g.default)})\n`).join("") +
        `Answer them in ${answersPath}, or run with --yes to take the defaults (--dry-run to only look).`,
    );
  const already = Object.keys(usable).length;
  if (already) io.out(`${already} question(s) answered already in ${answersPath}.\n`);
  return { answers: await askGaps(gaps, io.out, env.prompts, usable), defaulted };
}

/**
 * A suggestion (the mailer's host for a stage's hosts) or a placeholder (a web number no repo file
 * holds) someone answered, in the wizard or uncommented in the answers file, is confirmed, even
 * when equal to the default: an answer like any other, which no output labels or asks about any
 * more. Taken as the default with no one asked (`--yes`), it stays what it was, and is saved
 * commented out so that the next run cannot mistake it for an answer.
 */
function confirmed(g: Gap, answers: Answers, defaulted: ReadonlySet<string>): Gap {
  if (!(g.suggestion || g.placeholder) || defaulted.has(g.id) || !Object.hasOwn(answers, g.id)) return g;
  const { suggestion: _s, placeholder: _p, ...answered } = g;
  return answered;
}

/**
 * The answers file is committed: an answer holding a secret (a known value of the repo, or a value
 * shaped like one) is not saved, as if its question were a secret one, and asked again next time.
 * An old entry no question asks any more is dropped too when it holds one.
 */
function unsavable(gaps: Gap[], answers: Answers, saved: Answers, values: string[], warn: (s: string) => void): { gaps: Gap[]; previous: Answers } {
  const holds = (v: unknown): boolean =>
    typeof v === "string" ? looksSecretValue(v) || values.some((x) => v.includes(x)) : Array.isArray(v) ? v.some(holds) : typeof v === "object" && v !== null && Object.values(v).some(holds);
  const said = (id: string) => warn(`the answer to ${id} holds a secret value: it is not saved in the answers file`);
  const asked = new Set(gaps.map((g) => g.id));
  const previous: Answers = Object.create(null);
  for (const [id, v] of Object.entries(saved)) {
    if (!asked.has(id) && holds(v)) said(id);
    else previous[id] = v;
  }
  return {
    gaps: gaps.map((g) => {
      if (g.secret || !holds(answers[g.id])) return g;
      said(g.id);
      return { ...g, secret: true };
    }),
    previous,
  };
}

/** An answer on the terminal: strings bare, anything else as JSON. */
const plainValue = (v: RValue | undefined): string => (typeof v === "string" ? v : JSON.stringify(v ?? null));

/** Answers of the `cap.<stage>.<variable>` gaps that hold a value, per stage. */
function capOverrides(model: AppModel, answers: Answers, answersPath: string): CapistranoOverrides | undefined {
  const stages: Record<string, Record<string, RValue>> = {};
  let any = false;
  // The gaps under each `cap.<...>.` prefix, in order: a scan of every gap for every stage grew with
  // the square of the stages (each has gaps of its own).
  const byPrefix = new Map<string, Gap[]>();
  for (const g of model.gaps)
    for (let i = g.id.indexOf("."); i >= 0; i = g.id.indexOf(".", i + 1)) {
      const p = g.id.slice(0, i + 1);
      const list = byPrefix.get(p);
      if (!list) byPrefix.set(p, [g]);
      else if (list[list.length - 1] !== g) list.push(g);
    }
  for (const st of model.stages) {
    const prefix = capAnswerId(st.name, "");
    for (const g of byPrefix.get(prefix) ?? []) {
      const v = answers[g.id];
      if (!g.id.startsWith(prefix) || v === undefined || v === null || v === "") continue;
      (stages[st.name] ??= {})[g.id.slice(prefix.length)] = v as RValue;
      any = true;
    }
  }
  return any ? { source: { file: answersPath, line: 0 }, stages } : undefined;
}

/** The answers file as a Tree path: repo-relative when inside the repo, else absolute. */
function answersLocation(root: string, given: string | undefined): string {
  if (!given) return ANSWERS_FILE;
  const abs = resolve(given);
  return insideRoot(root, abs) ?? abs;
}

/** The diff in the pager when there is one to run, else printed; the same redaction either way. */
async function showDiff(text: string, io: ScrubbingIo, env: MigrateEnv): Promise<void> {
  if (env.page && (await env.page(io.scrub(text)))) return;
  io.out("\n" + text);
}

/** A generated file the user edited: keep it, take the new version, or look at the diff first. */
async function askOverwrite(item: ReviewItem, io: ScrubbingIo, env: MigrateEnv): Promise<boolean> {
  io.out(`\n${termText(`${item.path}: ${item.reason}`)}.\n`);
  for (;;) {
    const choice = await env.prompts.select({
      message: `${termText(item.path)}: keep your version, or take the new one (your edits are lost)?`,
      choices: [
        { name: "keep mine (the new version is written beside it)", value: "keep" },
        { name: "take the new version", value: "take" },
        { name: "show the diff (yours → new)", value: "diff" },
      ],
      default: "keep",
    });
    if (choice !== "diff") return choice === "take";
    await showDiff(renderDiff({ ...item, status: "changed" }, io.color) + "\n", io, env);
  }
}

function otherItem(c: Change): ReviewItem {
  if (c.remove) return { why: c.meta.why ?? "", path: c.path, status: "delete", before: c.before.kind === "file" ? c.before.bytes.toString("utf8") : null, after: null, ...(c.meta.secret ? { secret: true } : {}) };
  return {
    why: otherWhy(c),
    path: c.path,
    status: c.before.kind === "file" ? "changed" : "new",
    before: c.before.kind === "file" ? c.before.bytes.toString("utf8") : null,
    after: c.content,
    quiet: c.meta.origin === "record",
  };
}

/** Why a file that no emitter generated is written. */
function otherWhy(c: Change): string {
  switch (c.meta.origin) {
    case "patched":
      return "codemod: Global.<namespace> reads become Rails.configuration.x.<namespace>";
    case "gitignore":
      return "git-ignores the files that hold secret values";
    case "answers":
      return "your answers, so that a re-run asks nothing";
    case "record":
      return c.meta.secret ? "hashes of the secret files written (git-ignored)" : "hashes of the files written, to spot your edits on a re-run";
    case "beside":
      return `the new version of ${c.path.replace(/\.rails2k8s-new$/, "")}, which you kept: compare, merge, delete`;
    default:
      return "";
  }
}

const sameAnswer = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
