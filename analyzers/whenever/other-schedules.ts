// whenever files the deploy loads that are not config/schedule.rb. whenever reads the file its
// `-f`/`--load-file` names (whenever/capistrano passes `:whenever_load_file`), so a deploy that runs
// `whenever -w -f config/whenever/cron.rb` on its cron servers installed that file's jobs. Only
// config/schedule.rb becomes CronJobs here, so each other file is said by name with its job count:
// never lost without a word.
import type { AnalyzerContext, Source } from "../../src/model.js";
import { SCHEDULE_FILE } from "../whenever.js";

/** Files that hold deploy code: Capfile, deploy.rb and stages, Capistrano tasks and recipes, Mina's. */
const DEPLOY_CODE = /^(Capfile|capfile)(\.rb)?$|^config\/deploy(\.rb$|\/.+\.rb$)|^lib\/capistrano\/.+\.(rake|rb|cap)$|^config\/recipes\/.+\.rb$/;
/** `whenever … -f FILE` / `--load-file FILE` / `--load-file=FILE` on a deploy line. */
const LOAD_FLAG = /\bwhenever\b[^\n]*?(?:\s-f\s+|\s--load-file[=\s]+)["']?([^\s"'#;&|)]+)/;
/** `set :whenever_load_file, …`: the path's last literal piece names the file. */
const LOAD_VARIABLE = /\bset\s+:whenever_load_file\s*,\s*(.+)$/;

export interface OtherSchedule {
  file: string;
  source: Source;
  inRepo: boolean;
  jobs: number;
}

/** Repo path of what a deploy line names: `#{current_path}/config/x.rb`, `config/x.rb`, `File.join(release_path, "config", "x.rb")`. */
function repoPathOf(text: string): string | null {
  const joined = /File\.join\(([^)]*)\)/.exec(text);
  if (joined) {
    const parts = [...joined[1]!.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!);
    return parts.length ? parts.join("/").replace(/^\/+/, "") : null;
  }
  const lit = /["']([^"']+)["']/.exec(text)?.[1] ?? text.trim();
  const tail = /(?:^|\/|\})((?:config|lib|script|cron|deploy)\/[\w./-]+\.rb)$/.exec(lit.replace(/^\.\//, ""));
  return tail ? tail[1]! : null;
}

export function otherSchedules(ctx: AnalyzerContext): OtherSchedule[] {
  const out: OtherSchedule[] = [];
  const seen = new Set<string>();
  for (const file of ctx.repo.paths.filter((p) => DEPLOY_CODE.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    r.text.split(/\r?\n/).forEach((line, i) => {
      const code = line.replace(/^\s*#.*$/, "");
      const m = LOAD_FLAG.exec(code) ?? LOAD_VARIABLE.exec(code);
      if (!m) return;
      const path = repoPathOf(m[1]!);
      if (!path || path === SCHEDULE_FILE || seen.has(path)) return;
      seen.add(path);
      const inRepo = ctx.repo.paths.includes(path);
      const body = inRepo ? ctx.repo.read(path) : null;
      const jobs = body && !("error" in body) ? body.text.split(/\r?\n/).filter((l) => /^\s*every\b/.test(l)).length : 0;
      out.push({ file: path, source: { file, line: i + 1 }, inRepo, jobs });
    });
  }
  return out;
}

/** Each such file as a warning (cron.other-schedule-file). */
export function reportOtherSchedules(ctx: AnalyzerContext): void {
  for (const s of otherSchedules(ctx))
    ctx.problem({
      ...s.source,
      message: s.inRepo
        ? `cron.other-schedule-file: the deploy runs whenever on ${s.file} (${s.jobs} \`every\` block${s.jobs === 1 ? "" : "s"}), not ${SCHEDULE_FILE}: only ${SCHEDULE_FILE} becomes CronJobs, so the jobs of ${s.file} are not carried; add them as CronJobs by hand (\`whenever -f ${s.file}\` prints the lines the servers had)`
        : `cron.other-schedule-file: the deploy runs whenever on ${s.file}, which is not in the repo (it lived on the servers): what cron ran from it is not known and nothing of it is carried`,
      severity: "warning",
    });
}
