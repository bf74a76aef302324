// What deploy.mode changes in each overlay. With argocd the migration Job runs as a PreSync hook:
// Argo CD creates it before syncing the rest, waits for it, stops the sync when it fails, and
// deletes the previous one before creating the next (BeforeHookCreation).
import type { Answers } from "../../src/model.js";
import { deployMode } from "./rules.js";

export const ARGOCD_HOOK = { "argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation" };

/** Extra `patches:` entries of an overlay for the deploy mode. */
export function deployModePatches(answers: Answers, hasMigration: boolean): Record<string, unknown>[] {
  if (deployMode(answers) !== "argocd" || !hasMigration) return [];
  return [
    {
      target: { kind: "Job", labelSelector: "app.kubernetes.io/component=migration" },
      patch: JSON.stringify([{ op: "add", path: "/metadata/annotations", value: ARGOCD_HOOK }]),
    },
  ];
}
