#!/usr/bin/env node
// `node analyze_both.mjs DIR OUT_PREFIX`: one analysis of DIR, printed both ways `rails2k8s analyze`
// prints it: `--json` to OUT_PREFIX-json.{out,err}, the text report to OUT_PREFIX.{out,err}; then
// `{"json": code, "text": code}` on stdout. The corpus run needs both, and the analysis is most of
// each command's time: this runs it once. It is src/cli.ts's `analyze` action on the built modules
// (dist/), kept line for line (test/scripts/corpus-analyze-both.test.ts holds its outputs to the
// CLI's, byte for byte, on a fixture app): the same redaction and scrubbing, the same exit codes
// (2 and `rails2k8s: <message>` for unusable input, 1 and `internal error` for anything else).
import { writeFileSync } from "node:fs";

// The WASI warning the CLI's entry point drops (bin/rails2k8s.js), dropped here too.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === "string" ? warning : warning?.message ?? "";
  const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
  if (type === "ExperimentalWarning" && /WASI/.test(text)) return;
  return emitWarning.call(process, warning, ...rest);
};

const dist = new URL("../../dist/", import.meta.url);
const { analyzeDir, UnusableInput } = await import(new URL("src/analyze.js", dist).href);
const { renderReport } = await import(new URL("src/report.js", dist).href);
const { redaction, scrubbingIo } = await import(new URL("src/redact.js", dist).href);
const { modelJson } = await import(new URL("src/model-json.js", dist).href);
const { termJson, termLines } = await import(new URL("emitters/encode/terminal.js", dist).href);

const [dir, prefix] = process.argv.slice(2);
if (!dir || !prefix) {
  process.stderr.write("usage: node analyze_both.mjs DIR OUT_PREFIX\n");
  process.exit(64);
}

/** One output of the CLI: what it wrote to stdout and stderr, through the scrubbing the CLI uses. */
function sink() {
  const got = { out: "", err: "" };
  const io = scrubbingIo({ out: (s) => (got.out += s), err: (s) => (got.err += s), color: false });
  return { got, io };
}
const failed = (io, e) => {
  if (e instanceof UnusableInput) {
    io.err(`rails2k8s: ${termLines(e.message)}\n`);
    return 2;
  }
  io.err(`rails2k8s: internal error: ${termLines(e.message)}\n`);
  return 1;
};

const json = sink();
const text = sink();
const codes = { json: 0, text: 0 };
let shown = null;
try {
  const model = await analyzeDir(dir, undefined, { callSites: false, deployAtRoot: true });
  const r = redaction(model);
  shown = r.model;
  json.io.learn(r.values);
  text.io.learn(r.values);
} catch (e) {
  codes.json = failed(json.io, e);
  codes.text = failed(text.io, e);
}
if (shown) {
  try {
    json.io.out(termJson(modelJson(shown)) + "\n");
  } catch (e) {
    codes.json = failed(json.io, e);
  }
  try {
    text.io.out(renderReport(shown, { color: false }));
  } catch (e) {
    codes.text = failed(text.io, e);
  }
}
writeFileSync(`${prefix}-json.out`, json.got.out);
writeFileSync(`${prefix}-json.err`, json.got.err);
writeFileSync(`${prefix}.out`, text.got.out);
writeFileSync(`${prefix}.err`, text.got.err);
process.stdout.write(JSON.stringify(codes) + "\n", () => process.exit(0));
