// What cron ran on a capistrano-mb deploy. Its crontab recipe (in the default :mb_recipes) runs
// `mb:crontab` after deploy:published on the :cron servers: it renders crontab.erb (the repo's
// lib/capistrano/mb/templates/crontab.erb when there is one, else the gem's, which is only the
// comment "# Sample crontab (empty)") and installs it with `crontab <file>`, replacing the user's
// whole crontab. So:
// - that template's lines are the jobs cron ran (on the cron role);
// - whenever's config/schedule.rb ran only if the deploy invoked whenever; and if it did, mb:crontab
//   ran after it and replaced what whenever had written (said, not decided here).
import type { AnalyzerContext, CapistranoFacts, CronFacts, CronJob, Stage } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { startLines } from "../appserver/started.js";
import { MB, mbOverride, mbRecipe, mbStack } from "./mb.js";

export const MB_CRONTAB = mbOverride("crontab.erb");

/** The cron a capistrano-mb deploy installed, given what config/schedule.rb says (null when no schedule). */
export function mbCrontab(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: Stage[], schedule: CronFacts | null): CronFacts | null {
  const mb = cap ? mbStack(ctx, cap.requires) : null;
  if (!mb || !cap) return schedule;
  const recipes = stages.map((s) => mbRecipe(ctx, mb, s, "crontab"));
  const on = recipes.filter((r) => r?.on);
  const whenever = wheneverInvoked(ctx, cap);
  if (on.length && whenever && schedule?.jobs.length)
    ctx.problem({ file: whenever.file, line: whenever.line, message: `cron.mb-crontab-replaces-whenever: the deploy runs whenever here, but ${MB}'s crontab recipe (${on[0]!.why}) installs ${hasPath(ctx.repo, MB_CRONTAB) ? MB_CRONTAB : "the gem's empty crontab.erb"} with \`crontab <file>\` after deploy:published, which replaces the crontab whenever wrote: check which jobs the servers really had`, severity: "warning" });
  let jobs: CronJob[] = [];
  let file = schedule?.file ?? MB_CRONTAB;
  if (whenever) jobs = schedule?.jobs ?? [];
  else if (schedule?.jobs.length) {
    const gem = ctx.repo.paths.includes("Gemfile.lock") ? " (whenever is in Gemfile.lock)" : "";
    ctx.problem({ file: schedule.file, line: 1, message: `cron.whenever-not-invoked: nothing in the deploy runs whenever${gem}: no \`require "whenever/capistrano"\` in the Capfile, no whenever command in a deploy task; the ${schedule.jobs.length} job(s) of ${schedule.file} were never installed on the servers, so no CronJob is made of them (cron ran what ${MB}'s crontab recipe installed)`, severity: "warning" });
  }
  if (on.length) {
    const mine = templateJobs(ctx);
    if (mine) {
      if (!whenever) file = MB_CRONTAB;
      jobs = [...jobs, ...mine];
      if (!mine.length && !jobs.length)
        ctx.problem({ file: hasPath(ctx.repo, MB_CRONTAB) ? MB_CRONTAB : on[0]!.source.file, line: hasPath(ctx.repo, MB_CRONTAB) ? 1 : on[0]!.source.line, message: `${MB}'s crontab recipe (${on[0]!.why}) installs ${hasPath(ctx.repo, MB_CRONTAB) ? MB_CRONTAB : "the gem's crontab.erb"} on the cron role: it holds no job, so cron ran nothing of the app's`, severity: "warning" });
    }
  }
  if (!schedule && !jobs.length) return null;
  return { file, settings: whenever ? schedule?.settings ?? {} : {}, jobs, ...(whenever && schedule?.files ? { files: schedule.files } : {}) };
}

/** The line of the deploy that runs whenever, or null. */
function wheneverInvoked(ctx: AnalyzerContext, cap: CapistranoFacts): { file: string; line: number } | null {
  const req = cap.requires.find((r) => /^whenever\/capistrano/.test(r.value));
  if (req) return req.source;
  for (const l of startLines(ctx)) if (/\bwhenever\b.*(--update-crontab|--write-crontab|-w\b|-i\b)|whenever:update_crontab/.test(l.text)) return l.source;
  return null;
}

/** The repo's crontab template, line by line as crontab reads it (null when an ERB tag makes it unknown). */
function templateJobs(ctx: AnalyzerContext): CronJob[] | null {
  if (!hasPath(ctx.repo, MB_CRONTAB)) return []; // the gem's own: one comment line
  const read = ctx.repo.read(MB_CRONTAB);
  if ("error" in read) {
    ctx.problem({ file: MB_CRONTAB, line: 0, message: `cannot read ${MB}'s crontab template: ${read.error}; what cron ran is not known`, severity: "warning" });
    return null;
  }
  const out: CronJob[] = [];
  read.text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const source = { file: MB_CRONTAB, line: i + 1 };
    if (!line || line.startsWith("#")) return;
    if (line.includes("<%")) {
      ctx.problem({ ...source, message: `${MB}'s crontab template: a line with an ERB tag is not rendered here; this cron line is not carried (add it as a CronJob by hand)`, severity: "warning" });
      return;
    }
    const m = /^(@\w+|(?:\S+\s+){4}\S+)\s+(.+)$/.exec(line);
    if (!m || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) {
      ctx.problem({ ...source, message: `${MB}'s crontab template: not a cron job line (an environment setting or unknown syntax); not carried`, severity: "warning" });
      return;
    }
    const cmd = cronCommand(m[2]!);
    if (cmd.stdin) {
      // Feeding the text as stdin would need its newline rule re-made in shell; a job that silently ran
      // without its input would be a different program. Not carried, said by name.
      ctx.problem({ ...source, message: `${MB}'s crontab template: the command has an unescaped % (crontab(5): the text after it is the job's standard input); this cron line is not carried (add it as a CronJob by hand)`, severity: "warning" });
      return;
    }
    out.push({ schedules: [m[1]!], type: "command", task: cmd.command, command: cmd.command, roles: ["cron"], source });
  });
  return out;
}

/**
 * crontab(5)'s command field: everything up to the first unescaped `%` is the command (handed to
 * /bin/sh), the rest is its standard input; `\%` is a literal `%` (the backslash dropped).
 */
export function cronCommand(field: string): { command: string; stdin: boolean } {
  let command = "";
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c === "\\" && field[i + 1] === "%") {
      command += "%";
      i++;
    } else if (c === "%") return { command, stdin: true };
    else command += c;
  }
  return { command, stdin: false };
}
