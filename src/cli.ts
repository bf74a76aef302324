// CLI wiring: parses arguments, runs a command, maps failures to exit codes (2 = unusable input).
import { Command, CommanderError } from "commander";
import { phaseTimer } from "./timing.js";
import { analyzeDir, UnusableInput } from "./analyze.js";
import { renderReport } from "./report.js";
import { redaction, scrubbingIo, type ScrubbingIo } from "./redact.js";
import { modelJson } from "./model-json.js";
import { VERSION } from "./version.js";
import { termJson, termLines } from "../emitters/encode/terminal.js";
import type { Io } from "./io.js";
import type { AppModel } from "./model.js";

/**
 * Colour on a terminal, never when NO_COLOR is set to anything non-empty (no-color.org); FORCE_COLOR
 * decides over both, as in Node and most CLIs: `0` or `false` turns colour off, any other value on.
 */
export const colorAllowed = (isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean => {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !["0", "false"].includes(force.trim().toLowerCase());
  return Boolean(isTTY) && !env.NO_COLOR;
};

const defaultIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color: colorAllowed(process.stdout.isTTY, process.env),
});

/** A failed command's message and exit code: 2 and `rails2k8s: <message>` for unusable input, 1 and `internal error` for anything else. */
export function failed(io: Io, e: unknown): number {
  if (e instanceof UnusableInput) {
    io.err(`rails2k8s: ${termLines(e.message)}\n`);
    return 2;
  }
  io.err(`rails2k8s: internal error: ${termLines((e as Error).message)}\n`);
  return 1;
}

/**
 * `rails2k8s analyze DIR`: one analysis, redacted, printed to each output as that output asks (the
 * report, or with `json` the AppModel); each output's exit code, in order. The CLI asks for one;
 * the corpus runner (scripts/corpus/analyze_both.mjs) asks for both at once, and so prints exactly
 * what two runs of the CLI would.
 */
export async function analyzeAction(dir: string, outputs: { json: boolean; io: ScrubbingIo }[], mark: (what: string) => void = phaseTimer()): Promise<number[]> {
  mark("start");
  let shown: AppModel;
  try {
    const model = await analyzeDir(dir, undefined, { callSites: false, deployAtRoot: true });
    mark("analysis");
    // What is shown never holds a secret value (the emitters, in migrate, get the real model).
    const r = redaction(model);
    for (const o of outputs) o.io.learn(r.values);
    shown = r.model;
    mark("redaction");
  } catch (e) {
    return outputs.map((o) => failed(o.io, e));
  }
  return outputs.map((o) => {
    try {
      const text = o.json ? termJson(modelJson(shown)) + "\n" : renderReport(shown, { color: o.io.color });
      mark("rendering");
      o.io.out(text);
      mark("output");
      return 0;
    } catch (e) {
      return failed(o.io, e);
    }
  });
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], given: Io = defaultIo()): Promise<number> {
  // Nothing reaches the terminal without the redaction pass (migrate adds the values it learns).
  const io = scrubbingIo(given);
  let code = 0;
  const program = new Command()
    .name("rails2k8s")
    .description("Move a Rails app from EC2 + Capistrano to Kubernetes")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command("analyze")
    .description("report what the repo says about the app, with the file and line of every fact")
    .argument("[dir]", "the Rails app", ".")
    .option("--json", "print the AppModel as JSON (schema/appmodel.schema.json)")
    .action(async (dir: string, opts: { json?: boolean }) => {
      [code] = await analyzeAction(dir, [{ json: Boolean(opts.json), io }]);
    });

  program
    .command("migrate")
    .description("ask about the gaps, then show and write the Kubernetes migration")
    .argument("[dir]", "the Rails app", ".")
    .option("--answers <file>", "answers file (default: <dir>/.rails2k8s.yml)")
    .option("--yes", "no questions: saved answers or defaults, then write")
    .option("--dry-run", "show the diff, write nothing")
    .option("--stat", "show the summary of what would be written (file, status, lines, why) without the diff")
    .option("--force", "overwrite generated files edited since rails2k8s wrote them (filled-in secret files are always kept)")
    .action(async (dir: string, opts: Record<string, unknown>) => {
      const { runMigrate } = await import("./migrate.js");
      code = await runMigrate(dir, opts, io);
    });

  program
    .command("verify-config")
    .description("read the reports rails2k8s:verify_config wrote on every server: one table of every stage and server, exit 1 on any difference")
    .argument("[dir]", "the Rails app", ".")
    .requiredOption("--reports <dir>", "the folder holding the collected reports (<stage>/<server>.json, or any *.json naming its stage)")
    .action(async (dir: string, opts: { reports: string }) => {
      const { verifyReports, renderVerification, BadReport } = await import("./verify-config.js");
      const model = await analyzeDir(dir, undefined, { callSites: false });
      io.learn(redaction(model).values);
      try {
        const v = verifyReports(opts.reports, model);
        io.out(renderVerification(v));
        code = v.stages.every((s) => v.clean.has(s)) ? 0 : 1;
      } catch (e) {
        if (!(e instanceof BadReport)) throw e;
        io.err(`rails2k8s: ${termLines(e.message)}\n`);
        code = 2;
      }
    });

  program
    .command("switch-config")
    .description("rewrite Global.<namespace> call sites to Rails.configuration.x, once every stage has a clean verify report")
    .argument("[dir]", "the Rails app", ".")
    .option("--reports <dir>", "the collected reports of rails2k8s:verify_config (every stage must be clean)")
    .option("--force", "switch without clean reports")
    .option("--dry-run", "show the edits, write nothing")
    .action(async (dir: string, opts: { reports?: string; force?: boolean; dryRun?: boolean }) => {
      const { runSwitchConfig } = await import("./switch-config.js");
      code = await runSwitchConfig(dir, { reports: opts.reports, force: Boolean(opts.force), dryRun: Boolean(opts.dryRun) }, io);
    });

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return failed(io, e);
  }
  return code;
}
