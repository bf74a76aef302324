#!/usr/bin/env node
// `npm run build`, second step: the CLI as one ES module (plus a chunk per lazily imported command),
// from tsc's output in dist/. Node 20 resolves and compiles ~200 small modules on every start
// (yaml alone is 80); one file starts ~50 ms sooner, which is most of a small app's analysis.
// @ruby/prism stays outside: it finds its WASM file next to its own module.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const out = `${ROOT}dist/bundle`;
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [`${ROOT}dist/src/cli.js`],
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["@ruby/prism"],
  // CommonJS dependencies (commander) call require(): give the module one.
  banner: { js: 'import { createRequire as __r2kRequire } from "node:module"; const require = __r2kRequire(import.meta.url);' },
  logLevel: "warning",
  legalComments: "none",
});
