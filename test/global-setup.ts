// Several tests run the built CLI (bin/rails2k8s.js → dist/bundle/) as a separate process. Build it
// once, before any test starts: a build inside one test file would rewrite dist/ under the feet of
// the others running in parallel. The build is `npm run build`'s: tsc, then the bundle and its code
// cache.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  const root = join(import.meta.dirname, "..");
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/bundle.mjs"], { cwd: root, stdio: "inherit" });
}
