// `rails2k8s switch-config [DIR] --reports DIR`: the last step of the config migration, and the
// only one that edits the team's code. `migrate` wrote config/custom, the loader and the verify task
// and left every `Global.` call site alone, so the task could prove, on every server of every stage,
// that the new files give what Global gives while the code still read Global. Only then (every
// stage clean in the reports, or --force) are the call sites rewritten by the Prism codemod.
import { resolve } from "node:path";
import { statSync } from "node:fs";
import type { Io } from "./io.js";
import { analyzeDir } from "./analyze.js";
import { Tree } from "./tree.js";
import { applyPatch } from "./patch.js";
import { parseRecord, RECORD_PATH, SECRET_RECORD_PATH } from "./generated.js";
import { renderDiff, renderSummary, countLine, type ReviewItem } from "./review.js";
import { writeAtomically, WriteFailed } from "./write.js";
import { acquireLock, LockHeld, type Lock } from "./lock.js";
import { LinkRefused } from "./safe-path.js";
import { redaction } from "./redact.js";
import { termLines } from "../emitters/encode/terminal.js";
import { switchPatches } from "../emitters/rails-config/index.js";
import { LOADER_PATH } from "../emitters/rails-config/loader.js";
import { BadReport, renderVerification, verifyReports } from "./verify-config.js";
import type { ScrubbingIo } from "./redact.js";
import { recordedOutput } from "./output-paths.js";

export interface SwitchOptions {
  reports?: string;
  force: boolean;
  dryRun: boolean;
}

export async function runSwitchConfig(dir: string, opts: SwitchOptions, io: ScrubbingIo): Promise<number> {
  const fail = (code: number, message: string): number => {
    io.err(`rails2k8s: ${termLines(message)}\n`);
    return code;
  };
  let lock: Lock | null = null;
  try {
    if (!opts.dryRun) lock = acquireLock(resolve(dir), (s) => io.err(`rails2k8s: warning: ${termLines(s)}\n`));
    const tree = new Tree(resolve(dir));
    // The analysis sees the repo without rails2k8s' own output, as migrate does.
    const record = { ...parseRecord(tree.read(RECORD_PATH)).record, ...parseRecord(tree.read(SECRET_RECORD_PATH), SECRET_RECORD_PATH).record };
    const exclude = recordedOutput(record);
    const model = await analyzeDir(dir, exclude);
    io.learn(redaction(model).values);
    if (!model.global || model.global.namespaces.length === 0) return fail(2, "no Global configuration to switch from (config/global has no namespace).");
    // Rewritten call sites without the loader would read an empty Rails.configuration.x.
    if (tree.read(LOADER_PATH) === null) return fail(2, `${LOADER_PATH} is missing: run \`rails2k8s migrate\` first, deploy it, verify it on the servers, then switch.\nNothing was written.`);

    if (!opts.force) {
      if (!opts.reports)
        return fail(2, "switch-config needs the verify reports of every stage: --reports DIR (see MIGRATION.md), or --force to switch without them.\nNothing was written.");
      const v = verifyReports(opts.reports, model);
      io.out(renderVerification(v));
      const dirty = v.stages.filter((s) => !v.clean.has(s));
      if (dirty.length) return fail(1, `refusing to switch: ${dirty.join(", ")} ${dirty.length === 1 ? "has" : "have"} no clean verify report for every server. Fix the differences, deploy, run rails2k8s:verify_config again, or use --force.\nNothing was written.`);
    } else io.err("rails2k8s: warning: --force: switching without checking the verify reports\n");

    const patches = switchPatches(model);
    for (const p of patches) {
      const skipped = applyPatch(tree, p, "switch-config");
      if (skipped) io.err(`rails2k8s: warning: ${termLines(skipped)}\n`);
    }
    const changes = tree.changes();
    const items: ReviewItem[] = changes.map((c) => ({ path: c.path, status: "changed", before: c.before.kind === "file" ? c.before.bytes.toString("utf8") : null, after: c.content }));
    const diffs = items.map((i) => renderDiff(i, io.color)).filter(Boolean);
    if (diffs.length) io.out("\n" + diffs.join("\n") + "\n");
    if (!changes.length) {
      io.out("No Global call site left to rewrite.\n");
      return 0;
    }
    io.out(`\n${renderSummary(items, io.color)}${countLine(items)}\n`);
    if (opts.dryRun) {
      io.out(`Dry run: ${changes.length} file(s) would be written; nothing was written.\n`);
      return 0;
    }
    try {
      // The team's own files keep their mode (an executable script stays executable).
      writeAtomically(tree.root, changes.map((c) => ({ abs: c.abs, content: c.content, mode: statSync(c.abs).mode & 0o777 })));
    } catch (e) {
      if (e instanceof WriteFailed) return fail(1, `writing failed: ${e.message}\nNothing was changed.`);
      throw e;
    }
    io.out(`Rewrote the Global call sites in ${changes.length} file(s): they read Rails.configuration.x now.\n`);
    return 0;
  } catch (e) {
    if (e instanceof BadReport) return fail(2, `${e.message}\nNothing was written.`);
    if (e instanceof LockHeld || e instanceof LinkRefused) return fail(2, `${(e as Error).message}\nNothing was written.`);
    throw e;
  } finally {
    lock?.release();
  }
}
