#!/usr/bin/env node
// `node analyze_both.mjs DIR OUT_PREFIX`: one analysis of DIR, printed both ways `rails2k8s analyze`
// prints it: `--json` to OUT_PREFIX-json.{out,err}, the text report to OUT_PREFIX.{out,err}; then
// `{"json": code, "text": code}` on stdout. The corpus run needs both, and the analysis is most of
// each command's time: this runs it once, through the CLI's own analyze action on the built modules
// (dist/src/cli.js analyzeAction: the same redaction and scrubbing, the same exit codes and
// messages). test/scripts/corpus-runner.test.ts holds its outputs to the CLI's, byte for byte.
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
const { analyzeAction } = await import(new URL("src/cli.js", dist).href);
const { scrubbingIo } = await import(new URL("src/redact.js", dist).href);

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

const json = sink();
const text = sink();
const [jsonCode, textCode] = await analyzeAction(dir, [
  { json: true, io: json.io },
  { json: false, io: text.io },
]);
writeFileSync(`${prefix}-json.out`, json.got.out);
writeFileSync(`${prefix}-json.err`, json.got.err);
writeFileSync(`${prefix}.out`, text.got.out);
writeFileSync(`${prefix}.err`, text.got.err);
process.stdout.write(JSON.stringify({ json: jsonCode, text: textCode }) + "\n", () => process.exit(0));
