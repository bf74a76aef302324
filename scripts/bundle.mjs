#!/usr/bin/env node
// `npm run build`, second step: the CLI as one CommonJS file, from tsc's output in dist/, and V8's
// code cache for it (see bin/load.cjs).
// - One file: Node 20 resolves and compiles ~200 small modules on every start (yaml alone is 80).
// - CommonJS: Node 20 can give a code cache to a vm.Script, not to an ES module.
// - Prism's loader finds its WASM file by `new URL("prism.wasm", import.meta.url)`: the file is
//   copied beside the bundle and import.meta.url points at the bundle.
// - The cache is made by running the CLI in this process on the fixture apps (analyze, its JSON,
//   and a dry-run migrate), so that what those runs compiled is kept.
// - The bundle holds the code of the packages it imports (the installed CLI needs no node_modules,
//   so the package has no runtime dependencies): their licence texts go beside it, as their
//   licences ask, in THIRD-PARTY-LICENSES.txt.
import { build } from "esbuild";
import { rmSync, copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, statSync, chmodSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const { loadCli, BUNDLE, CACHE } = require("../bin/load.cjs");

rmSync(join(ROOT, "dist/bundle"), { recursive: true, force: true });
const built = await build({
  metafile: true,
  entryPoints: [join(ROOT, "dist/src/cli.js")],
  outfile: BUNDLE,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  define: { "import.meta.url": "__r2k_bundle_url" },
  banner: { js: 'var __r2k_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
  legalComments: "none",
  plugins: [rawTemplates()],
});
copyFileSync(join(ROOT, "node_modules/@ruby/prism/src/prism.wasm"), join(ROOT, "dist/bundle/prism.wasm"));
writeFileSync(join(ROOT, "dist/bundle/THIRD-PARTY-LICENSES.txt"), thirdPartyLicenses(Object.keys(built.metafile.inputs)));

// As in bin/rails2k8s.js: Prism's WASI warning is noise here.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => (/WASI/.test(String(warning?.message ?? warning)) ? undefined : emitWarning.call(process, warning, ...rest));
const cli = loadCli();
const quiet = { out: () => {}, err: () => {}, color: false };
const apps = join(ROOT, "fixtures/apps");
const warmed = [];
for (const app of readdirSync(apps).sort()) {
  warmed.push([`analyze ${app}`, await cli.main(["analyze", join(apps, app)], quiet)]);
  warmed.push([`analyze ${app} --json`, await cli.main(["analyze", join(apps, app), "--json"], quiet)]);
}
const scratch = mkdtempSync(join(tmpdir(), "r2k-cache-"));
try {
  cpSync(join(apps, "shop"), join(scratch, "shop"), { recursive: true });
  // The copy keeps the fixtures' modes: made writable, or a read-only checkout could not clean up.
  writable(join(scratch, "shop"));
  warmed.push(["migrate --dry-run shop", await cli.main(["migrate", join(scratch, "shop"), "--yes", "--dry-run"], quiet)]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
// A run that failed compiled less than it should: said, not fatal (the tests judge the CLI).
for (const [what, code] of warmed) if (code !== 0) console.warn(`warning: the warm-up run \`${what}\` exited ${code}`);
cli.saveCache();
console.log(`built ${BUNDLE.slice(ROOT.length)} and its code cache (${CACHE.slice(ROOT.length)})`);

function writable(path) {
  const st = statSync(path);
  chmodSync(path, st.mode | (st.isDirectory() ? 0o700 : 0o600));
  if (st.isDirectory()) for (const name of readdirSync(path)) writable(join(path, name));
}

/**
 * `import text from "./x.rb.tmpl?raw"` (src/raw-modules.d.ts): tsc leaves the import as it is in
 * dist/, where the template is not copied; it is read from the source tree, beside the emitter that
 * imports it, as text.
 */
function rawTemplates() {
  return {
    name: "raw-templates",
    setup(b) {
      b.onResolve({ filter: /\?raw$/ }, (args) => {
        const fromDist = relative(join(ROOT, "dist"), args.resolveDir);
        if (fromDist.startsWith("..")) throw new Error(`?raw import outside dist/: ${args.path} in ${args.importer}`);
        return { path: join(ROOT, fromDist, args.path.replace(/\?raw$/, "")), namespace: "raw-template" };
      });
      b.onLoad({ filter: /.*/, namespace: "raw-template" }, (args) => ({ contents: readFileSync(args.path, "utf8"), loader: "text" }));
    },
  };
}


/** The licence of every package whose code the bundle holds (found from esbuild's list of inputs). */
function thirdPartyLicenses(inputs) {
  const roots = new Set();
  for (const input of inputs) {
    const at = input.lastIndexOf("node_modules/");
    if (at < 0) continue;
    const rest = input.slice(at + "node_modules/".length).split("/");
    roots.add(join(ROOT, input.slice(0, at), "node_modules", ...rest.slice(0, rest[0].startsWith("@") ? 2 : 1)));
  }
  const parts = [];
  for (const root of [...roots].sort()) {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const file = readdirSync(root).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const repo = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
    // A package that ships no licence file (@ruby/prism): its declared licence and where its text is.
    const body = file ? readFileSync(join(root, file), "utf8").trim() : `No licence file in the package; its licence is ${pkg.license}${repo ? `, as published at ${repo}` : ""}.`;
    if (!file && !pkg.license) throw new Error(`${relative(ROOT, root)}: bundled, but it names no licence`);
    parts.push(`${pkg.name}@${pkg.version} (${pkg.license ?? "see below"})\n\n${body}\n`);
  }
  return `The rails2k8s bundle (dist/bundle/rails2k8s.cjs, prism.wasm) holds code of these packages:\n\n${parts.join("\n" + "-".repeat(72) + "\n\n")}`;
}
