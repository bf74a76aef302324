// Gaps of the config migration (Global → config_for): which values are secret.
import type { Gap, GlobalNamespace } from "../model.js";
import type { ModelForGaps } from "./index.js";
import { SECRET_PATHS_ANSWER, isSecretKey } from "../../emitters/rails-config/plan.js";

export function configGaps(model: ModelForGaps): Gap[] {
  const g = model.global;
  if (!g || g.namespaces.length === 0) return [];
  const found: string[] = [];
  for (const ns of g.namespaces) {
    const marked = (ns as GlobalNamespace & { secretPaths?: string[] }).secretPaths;
    const paths = marked ?? Object.keys(ns.sources).filter((p) => isSecretKey(p.split(".").pop() ?? ""));
    for (const p of paths) found.push(`${ns.name}.${p}`);
  }
  const list = [...new Set(found)].sort();
  return [
    {
      id: SECRET_PATHS_ANSWER,
      question: "Which Global values are secret? (dotted paths, comma-separated; they go to the git-ignored secret env file, never to a tracked file)",
      why: list.length
        ? `found by key name: ${list.join(", ")} — add any other value that must not be committed`
        : "no key looked secret by its name; list any value that must not be committed",
      default: list,
      source: { file: g.dir, line: 0 },
    },
  ];
}
