// A deploy gem's own nginx site (capistrano3-nginx's :default template, capistrano-unicorn-nginx's
// nginx_conf.erb) counts only for the stages the repo's own nginx files do not describe: a rendered
// template of the stage, or a plain config, is read instead, with a warning naming the gem's site.
import type { AnalyzerContext, NginxFile } from "../../src/model.js";

/** Adds the gem's sites to `nginx.files` in place; `notRead` words the warning for the stages a repo file takes. */
export function withGemSite(ctx: AnalyzerContext, nginx: { files: NginxFile[] }, gem: NginxFile[], notRead: (stages: string[]) => string): void {
  if (!gem.length) return;
  const own = nginx.files.filter((f) => !f.example);
  const instead = new Map<string, string[]>();
  for (const site of gem) {
    const mine = own.find((f) => f.stage === site.stage) ?? own.find((f) => f.stage === null);
    if (!mine) nginx.files.push(site);
    else instead.set(mine.file, [...(instead.get(mine.file) ?? []), site.stage!]);
  }
  for (const [file, stages] of instead) ctx.problem({ file, line: 1, message: notRead(stages), severity: "warning" });
}

/** "stage x" or "stages x, y". */
export const stagesWord = (stages: string[]): string => `${stages.length > 1 ? "stages" : "stage"} ${stages.join(", ")}`;
