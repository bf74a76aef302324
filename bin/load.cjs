"use strict";
// Loads the CLI bundle (dist/bundle/rails2k8s.cjs) through V8's code cache. Each run of the CLI is a
// cold process, and compiling the functions it calls is a large share of its time; `npm run build`
// runs the CLI once on the fixture apps and keeps the compiled bytecode beside the bundle, so later
// runs start from it. The cache file begins with the SHA-256 of the bundle it was made from: V8
// itself checks only the source's length (and its own version and flags), so a cache from another
// build of the same length would run that build's code. A cache that does not fit is ignored and
// the code compiles as usual: the cache changes only speed.
const { readFileSync, writeFileSync, existsSync } = require("node:fs");
const { createHash } = require("node:crypto");
const { Script } = require("node:vm");
const { join, dirname } = require("node:path");
const { wrap, createRequire } = require("node:module");

const BUNDLE = join(__dirname, "..", "dist", "bundle", "rails2k8s.cjs");
const CACHE = `${BUNDLE}.cache`;
const DIGEST_BYTES = 32;

/** The CLI's exports, or null when it is not built. `saveCache` writes what V8 compiled so far. */
function loadCli() {
  if (!existsSync(BUNDLE)) return null;
  const bytes = readFileSync(BUNDLE);
  const digest = createHash("sha256").update(bytes).digest();
  let cachedData;
  try {
    const cache = readFileSync(CACHE);
    if (cache.length > DIGEST_BYTES && cache.subarray(0, DIGEST_BYTES).equals(digest)) cachedData = cache.subarray(DIGEST_BYTES);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrap(bytes.toString("utf8")), { filename: BUNDLE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return {
    main: module.exports.main,
    /** No cache for this bundle, or one V8 refused. */
    cacheRejected: cachedData === undefined || script.cachedDataRejected === true,
    saveCache: () => writeFileSync(CACHE, Buffer.concat([digest, script.createCachedData()])),
  };
}

module.exports = { loadCli, BUNDLE, CACHE };
