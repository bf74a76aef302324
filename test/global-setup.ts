// Several tests run the built CLI (bin/rails2k8s.js → dist/) as a separate process. Build it once,
// before any test starts: a build inside one test file would rewrite dist/ under the feet of the
// others running in parallel.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: join(import.meta.dirname, ".."), stdio: "inherit" });
}
