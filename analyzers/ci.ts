// The CI the repo already runs, from the files each provider reads: the pipeline rails2k8s writes
// defaults to the provider the team uses.
import type { CiProvider, RepoFiles, Source } from "../src/model.js";

const MARKERS: { provider: CiProvider; test: (p: string) => boolean }[] = [
  { provider: "github-actions", test: (p) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(p) },
  { provider: "circleci", test: (p) => p === ".circleci/config.yml" || p === ".circleci/config.yaml" },
  { provider: "gitlab", test: (p) => p === ".gitlab-ci.yml" || p === ".gitlab-ci.yaml" },
];

export function ciConfigs(repo: RepoFiles): { provider: CiProvider; source: Source }[] {
  const found: { provider: CiProvider; source: Source }[] = [];
  for (const m of MARKERS) {
    const file = repo.paths.find(m.test);
    if (file) found.push({ provider: m.provider, source: { file, line: 0 } });
  }
  return found;
}
