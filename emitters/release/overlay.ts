// What deploy.mode changes in each overlay. With argocd the migration Job runs as a PreSync hook:
// Argo CD creates it before syncing the rest, waits for it, stops the sync when it fails, and
// deletes the previous one before creating the next (BeforeHookCreation).
import type { Answers } from "../../src/model.js";
import { deployMode } from "./rules.js";

export const ARGOCD_HOOK = { "argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation" };

/**
 * The Job's inputs Secret (a new name each release, see kustomize/migration-job.ts) must exist
 * before the Job starts: a PreSync hook too, in an earlier wave, so Argo CD creates it first.
 */
export const ARGOCD_INPUTS_HOOK = { ...ARGOCD_HOOK, "argocd.argoproj.io/sync-wave": "-1" };

/** Extra `patches:` entries of an overlay for the deploy mode. */
export function deployModePatches(answers: Answers, hasMigration: boolean, inputsSecret?: string): Record<string, unknown>[] {
  if (deployMode(answers) !== "argocd" || !hasMigration) return [];
  return [
    {
      target: { kind: "Job", labelSelector: "app.kubernetes.io/component=migration" },
      patch: JSON.stringify([{ op: "add", path: "/metadata/annotations", value: ARGOCD_HOOK }]),
    },
    ...(inputsSecret
      ? [{ target: { kind: "Secret", name: inputsSecret }, patch: JSON.stringify([{ op: "add", path: "/metadata/annotations", value: ARGOCD_INPUTS_HOOK }]) }]
      : []),
  ];
}
