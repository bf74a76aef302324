// A fixture app's files as the in-memory repo takes them (path relative to the app → text).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export function filesOf(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p, "utf8");
    }
  };
  walk(root);
  return out;
}
