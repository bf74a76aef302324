"use strict";
// Loads the CLI bundle (dist/bundle/rails2k8s.cjs) through V8's code cache. Each run of the CLI is a
// cold process, and compiling the functions it calls is a large share of its time; `npm run build`
// runs the CLI once on the fixture apps and keeps the compiled bytecode beside the bundle, so later
// runs start from it. V8 checks the cache against the bundle and its own version and flags: a
// stale or foreign cache is ignored and the code compiles as usual, so the cache changes only speed.
const { readFileSync, writeFileSync, existsSync } = require("node:fs");
const { Script } = require("node:vm");
const { join, dirname } = require("node:path");
const { wrap, createRequire } = require("node:module");

const BUNDLE = join(__dirname, "..", "dist", "bundle", "rails2k8s.cjs");
const CACHE = `${BUNDLE}.cache`;

/** The CLI's exports, or null when it is not built. `saveCache` writes what V8 compiled so far. */
function loadCli() {
  if (!existsSync(BUNDLE)) return null;
  const source = readFileSync(BUNDLE, "utf8");
  let cachedData;
  try {
    cachedData = readFileSync(CACHE);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrap(source), { filename: BUNDLE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return {
    main: module.exports.main,
    cacheRejected: cachedData !== undefined && script.cachedDataRejected === true,
    saveCache: () => writeFileSync(CACHE, script.createCachedData()),
  };
}

module.exports = { loadCli, BUNDLE, CACHE };
