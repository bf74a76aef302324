// bin/k8s-deploy STAGE TAG: the release of one build to one stage, what the pipeline runs and what a
// person runs by hand. The text is k8s-deploy.sh.tmpl (plus push.sh.tmpl or argocd.sh.tmpl for the
// mode); every value in it is a shell word (encode/shell.ts) or a number.
import main from "./k8s-deploy.sh.tmpl?raw";
import push from "./push.sh.tmpl?raw";
import argocd from "./argocd.sh.tmpl?raw";
import migrationWait from "./migration-wait.sh.tmpl?raw";
import { fill } from "../text/fill.js";
import { shellWord } from "../encode/shell.js";
import { escapeControls } from "../../src/model/controls.js";
import type { ReleasePlan } from "./plan.js";
import { webName } from "../kustomize/names.js";

export const DEPLOY_SCRIPT = "bin/k8s-deploy";
/** How often the Job is polled, and how long it may run (the Job's own activeDeadlineSeconds). */
const POLL_SECONDS = 10;
const JOB_TIMEOUT_SECONDS = 1800;
const ROLLOUT_TIMEOUT_SECONDS = 900;

export function emitDeployScript(rp: ReleasePlan): string {
  const pushMode = rp.mode === "push";
  const steps = pushMode
    ? [
        "#   1. set every image of the release to TAG in the stage's overlay (kustomize edit set image),",
        ...(rp.migration
          ? [
              "#   2. apply the config and the migration Job alone and wait for the Job to complete (on failure,",
              "#      print its logs and stop: the running version keeps serving),",
              "#   3. apply the whole overlay and wait for each Deployment's rollout.",
            ]
          : ["#   2. apply the whole overlay and wait for each Deployment's rollout."]),
        "# Needs kubectl (with access to the stage's namespace) and kustomize.",
      ]
    : [
        "#   set every image of the release to TAG in the stage's overlay (kustomize edit set image);",
        "#   the pipeline then commits the overlay, and Argo CD syncs it (the migration Job runs first, as a",
        "#   PreSync hook, and a failed Job stops the sync). Needs kustomize.",
      ];
  // Each arm: the stage's overlay name, and in push mode its namespace.
  const cases = rp.stages
    .map((s) => (pushMode ? `  ${shellWord(s.key)}) namespace=${shellWord(s.namespace)} ;;` : `  ${shellWord(s.key)}) ;;`))
    .join("\n");
  // name=repository:"$tag" — the repository is quoted as a word, the tag expands.
  const images = rp.images.map((i) => `${shellWord(`${i.name}=${i.repository}:`)}"$tag"`).join(" ");
  const release = pushMode
    ? fill(
        push,
        {
          migration: rp.migration ? fill(migrationWait, { poll: String(POLL_SECONDS), job_timeout: String(JOB_TIMEOUT_SECONDS) }, "migration-wait.sh.tmpl") : "",
          rollouts: rp.deployments.map((d) => rolloutLine(rp, d)).join("\n"),
        },
        "push.sh.tmpl",
      )
    : argocd;
  return fill(
    main,
    {
      // In comments and a double-quoted message: shown, never run; DNS labels only.
      app_comment: escapeControls(rp.app),
      stage_list: rp.stages.map((s) => s.key).join(", "),
      steps_comment: steps.join("\n"),
      stage_cases: cases,
      images,
      release,
    },
    "k8s-deploy.sh.tmpl",
  );
}

/** Waits for one Deployment; the web one only on the stages whose overlay has it (left-out.ts). */
function rolloutLine(rp: ReleasePlan, d: string): string {
  const line = `kubectl -n "$namespace" rollout status ${shellWord(d)} --timeout=${ROLLOUT_TIMEOUT_SECONDS}s`;
  const without = rp.stages.filter((s) => s.noWeb).map((s) => shellWord(s.key));
  if (!without.length || d !== `deployment/${webName(rp.app)}`) return line;
  return `case $stage in\n  ${without.join(" | ")}) ;; # no web server on these stages\n  *) ${line} ;;\nesac`;
}
