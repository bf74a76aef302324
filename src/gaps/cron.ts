// Gaps of whenever jobs whose schedule the analysis could not compute (`every 1.day, at: TIMES[i]`,
// a frequency read from a constant). The job still gets its CronJob — one per job, always — but it
// is written suspended until a person gives the cron line whenever wrote; never a guessed time.
import type { Gap } from "../model.js";
import type { ModelForGaps } from "./index.js";
import { cronCommand, cronCommandUnknowns } from "../../emitters/kustomize/rules/cron-command.js";
import { cronCommandAnswerId, cronJobKey, cronScheduleAnswerId } from "../../emitters/kustomize/rules/cron-names.js";


export function cronGaps(model: ModelForGaps): Gap[] {
  if (!model.cron) return [];
  return [...scheduleGaps(model), ...commandGaps(model)];
}

/** A file whenever raises on wrote no crontab: none of its jobs gets a CronJob, so none is asked about. */
const inRaisingFile = (model: ModelForGaps, j: { source: { file: string } }): boolean => model.cron!.jobs.some((x) => x.wheneverRaises && x.source.file === j.source.file);

/**
 * Jobs whose line has a part computed only when whenever runs (a custom job_type's `:check_in` set
 * from `Settings`): the CronJob is written suspended with a placeholder until a person gives the
 * command; the known text is never run with a hole in it.
 */
function commandGaps(model: ModelForGaps): Gap[] {
  const jobs = model.cron!.jobs;
  return jobs
    .map((j, i) => ({ j, key: cronJobKey(jobs, i) }))
    .filter(({ j }) => !j.sameLineAs && cronCommand(j) === null && !inRaisingFile(model, j))
    .map(({ j, key }) => ({
      id: cronCommandAnswerId(key),
      question: `What command (one shell line, run in the image's app directory) did the ${j.type} job ${typeof j.task === "string" ? JSON.stringify(j.task) : ""} of ${j.source.file}:${j.source.line} run?`.replace(/  +/g, " "),
      why: `part of its line is computed when whenever runs (${cronCommandUnknowns(j).join("; ") || "a value the analysis cannot know"}); \`whenever -f ${j.source.file}\` on a server prints the line. Until answered, its CronJob is written suspended`,
      default: null,
      format: "cron-command" as const,
      source: j.source,
    }));
}

function scheduleGaps(model: ModelForGaps): Gap[] {
  const jobs = model.cron!.jobs;
  return jobs
    .map((j, i) => ({ j, key: cronJobKey(jobs, i) }))
    // A schedule whenever raises on made no line at all: nothing to ask (the report and notes say so).
    .filter(({ j }) => j.schedules.length === 0 && !j.sameLineAs && !inRaisingFile(model, j))
    .map(({ j, key }) => ({
      id: cronScheduleAnswerId(key),
      question: `What cron line (5 fields, e.g. "30 3 * * *") ran the ${j.type} job ${typeof j.task === "string" ? JSON.stringify(j.task) : ""} of ${j.source.file}:${j.source.line}?`.replace(/  +/g, " "),
      why: `its \`every\`/\`at:\` is computed when whenever runs, so the analysis cannot say when it ran; \`whenever -f ${j.source.file}\` on a server prints the line. Until answered, its CronJob is written suspended`,
      default: null,
      format: "cron-schedule" as const,
      source: j.source,
    }));
}
