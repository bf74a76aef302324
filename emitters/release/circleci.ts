// .circleci/config.yml: build and push on a push to a stage's branch, then deploy each stage from
// its branch; production waits for an approval job. Each job reads its secrets from a context named
// after the stage (contexts also give CircleCI's OIDC token, which ECR/EKS access needs).
import type { ReleasePlan, ReleaseStage } from "./plan.js";
import { buildEnv, buildLines, deployEnv, deployLines, KUBECTL_IMAGE, loginLines, TAG_LINE } from "./ci-shell.js";

export const CIRCLECI_CONFIG = ".circleci/config.yml";
const SHA = "CIRCLE_SHA1";
const TOKEN = "CIRCLE_OIDC_TOKEN_V2";

export function circleciConfig(rp: ReleasePlan, envFiles: boolean): Record<string, unknown> {
  const stages = rp.stages.filter((s): s is ReleaseStage & { branch: string } => s.branch !== null);
  const branches = [...new Set(stages.map((s) => s.branch))];
  const only = (b: string[]) => ({ filters: { branches: { only: b } } });
  const jobs: Record<string, unknown> = {
    build: {
      // The machine executor has Docker with BuildKit and the AWS CLI.
      machine: { image: "ubuntu-2204:current" },
      environment: buildEnv(rp),
      steps: ["checkout", { run: { name: "Log in, build and push every image (tagged with the commit)", command: [TAG_LINE(SHA), ...loginLines(rp, TOKEN), ...buildLines(rp)].join("\n") } }],
    },
  };
  const workflow: unknown[] = [{ build: { context: [`${rp.app}-build`], ...only(branches) } }];
  for (const s of stages) {
    const job = `deploy-${s.key}`;
    jobs[job] = {
      docker: [{ image: KUBECTL_IMAGE }],
      environment: deployEnv(rp, s),
      steps: ["checkout", { run: { name: `Release ${s.name}`, command: deployLines(rp, TOKEN, envFiles, SHA).join("\n") } }],
    };
    let requires = ["build"];
    if (s.protected) {
      const hold = `approve-${s.key}`;
      workflow.push({ [hold]: { type: "approval", requires, ...only([s.branch]) } });
      requires = [hold];
    }
    workflow.push({ [job]: { requires, context: [`${rp.app}-${s.key}`], ...only([s.branch]) } });
  }
  return { version: 2.1, jobs, workflows: { deploy: { jobs: workflow } } };
}
