#!/usr/bin/env node
// Entry point. Prism's WASM loader uses node:wasi, which prints an ExperimentalWarning on Node 20;
// users of a CLI should not see it, so that one warning is dropped (all others still print).
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === "string" ? warning : warning?.message ?? "";
  const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
  if (type === "ExperimentalWarning" && /WASI/.test(text)) return;
  return emitWarning.call(process, warning, ...rest);
};

// A reader that stops early (`rails2k8s analyze --json | head`) closes the pipe: there is nothing
// more to say, and no stack trace to print.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
const { loadCli } = createRequire(import.meta.url)("./load.cjs");
const cli = loadCli();
if (!cli) {
  process.stderr.write("rails2k8s: not built yet; run `npm ci && npm run build` in " + fileURLToPath(new URL("..", import.meta.url)) + "\n");
  process.exit(2);
}
const argv = process.argv.slice(2);
const code = await cli.main(argv);
// `analyze` has nothing left to do once its report is written: the process ends there, rather than
// tearing its heap down piece by piece first (the model of 10,000 stages is a few hundred MB).
if (argv[0] === "analyze") process.stdout.write("", () => process.exit(code));
else process.exitCode = code;
