// Where a repo's Rails app is when its root holds none. The CLI names these folders when it refuses
// a root (src/analyze.ts), and the practice corpus (scripts/corpus.mjs) runs on each of them: one
// rule for both. Nothing imported, so a plain script can load it cheaply.

/**
 * The folders below the root that hold a Rails app (their own config/application.rb), shallowest
 * first: a repo whose app lives in `api/` is named so, rather than called "not a Rails
 * app" with nothing more. Vendored gems' apps, engines' test apps and app templates or fixtures
 * (`vendor/`, `spec/dummy/`, `templates/`, `fixtures/`) are not the app the repo deploys, and are
 * left out. Which one to move is the team's choice: none is analyzed in its place.
 */
export function nestedRailsRoots(paths: readonly string[]): string[] {
  const roots = paths
    .filter((p) => p.endsWith("/config/application.rb"))
    .map((p) => p.slice(0, -"/config/application.rb".length))
    .filter((r) => !r.split("/").some((seg) => seg === "vendor" || seg === "dummy" || seg === "templates" || seg === "fixtures"));
  return [...new Set(roots)].sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
}
