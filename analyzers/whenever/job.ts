// whenever's Whenever::Job and Output::Redirection (lib/whenever/job.rb, output_redirection.rb): the
// command line of one job, from its job type's template and the job_template around it. Values the
// analyzer cannot know (a path computed on the server) stay in place as RValues, so the command is a
// string when everything is known and an Interp otherwise.
import type { RValue } from "../../src/model.js";
import { isHash, isInterp, isKnown, isSym, rubyToS } from "../ruby/evaluate.js";

export type Options = Record<string, RValue>;

/** A command line being built: known text and the pieces that are not. */
type Piece = string | RValue;

const toS = (v: RValue): Piece => rubyToS(v) ?? v;

/** Ruby's Shellwords.shellescape. */
export function shellescape(s: string): string {
  if (s === "") return "''";
  return s.replace(/[^A-Za-z0-9_\-.,:+/@\n]/g, "\\$&").replace(/\n/g, "'\n'");
}

/**
 * Output::Redirection#to_s for `output:` / `set :output`. Null when the value is not known. A path
 * built on the release (`"#{path}/log/cron.log"`, path being the release whenever ran in) keeps its
 * release piece, as `cd :path` does, so the line reads as whenever wrote it.
 */
export function redirection(output: RValue): RValue | null {
  if (output === null) return ">> /dev/null 2>&1";
  if (typeof output === "string") return `>> ${output} 2>&1`;
  if (isInterp(output) && output.interp.every((p) => typeof p === "string" || isReleaseRef(p)))
    return { interp: [">> ", ...output.interp, " 2>&1"] };
  if (isHash(output) && isKnown(output)) {
    const has = (k: string) => k in output;
    const path = (k: string) => (output[k] === null ? "/dev/null" : rubyToS(output[k]));
    const stdout = has("standard") ? path("standard") : undefined;
    const stderr = has("error") ? path("error") : undefined;
    if (stdout === "/dev/null" && stderr === "/dev/null") return "> /dev/null 2>&1";
    if (stdout && stderr === "/dev/null") return `>> ${stdout} 2> /dev/null`;
    if (stdout && stderr) return `>> ${stdout} 2>> ${stderr}`;
    if (stderr === "/dev/null") return "2> /dev/null";
    if (stderr) return `2>> ${stderr}`;
    if (stdout === "/dev/null") return "> /dev/null";
    if (stdout) return `>> ${stdout}`;
    return "";
  }
  if (isSym(output) || typeof output === "number" || typeof output === "boolean" || Array.isArray(output)) return "";
  return null; // a Proc, an Unknown...
}

const isReleaseRef = (p: RValue): boolean => typeof p === "object" && p !== null && !Array.isArray(p) && "cap" in p && (p.cap === "release_path" || p.cap === "current_path");

/** Job#process_template: `:name` replaced by the option's value, quoted per the quotes around it. */
function processTemplate(template: string, options: Options): Piece[] {
  const pieces: Piece[] = [];
  const re = /:\w+/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(template))) {
    pieces.push(template.slice(last, m.index));
    last = m.index + m[0].length;
    const before = template[m.index - 1];
    const after = template[last];
    const key = m[0].slice(1);
    const v = key in options ? options[key] : null;
    // `options[key] || key`: nil and false leave the placeholder as written
    if (v === null || v === false) {
      pieces.push(m[0]);
      continue;
    }
    const escape = (x: string) => (before === "'" && after === "'" ? x.replace(/'/g, "'\\''") : before === '"' && after === '"' ? x.replace(/"/g, '\\"') : x);
    // an interpolation's known text is escaped like a string's; its unknown pieces stay as they are
    const parts: Piece[] = isInterp(v) ? v.interp.map(toS) : [toS(v)];
    for (const part of parts) pieces.push(typeof part === "string" ? escape(part) : part);
  }
  pieces.push(template.slice(last));
  return squeeze(pieces);
}

/** `.gsub(/\s+/m, " ").strip` over the whole result, known text only. */
function squeeze(pieces: Piece[]): Piece[] {
  const merged: Piece[] = [];
  for (const p of pieces) {
    const prev = merged[merged.length - 1];
    if (typeof p === "string" && typeof prev === "string") merged[merged.length - 1] = prev + p;
    else if (p !== "") merged.push(p);
  }
  const out = merged.map((p) => (typeof p === "string" ? p.replace(/\s+/g, " ") : p));
  if (typeof out[0] === "string") out[0] = out[0].replace(/^ +/, "");
  const l = out.length - 1;
  if (typeof out[l] === "string") out[l] = (out[l] as string).replace(/ +$/, "");
  return out.filter((p) => p !== "");
}

/**
 * Known text and unknown pieces stay side by side: whenever combines cron lines whose commands are
 * equal, so a command reduced to its one unknown piece (an output path computed on the server)
 * would make every job of the schedule look the same, and their lines would merge into one job.
 */
function join(pieces: Piece[]): RValue {
  if (pieces.length === 0) return "";
  if (pieces.every((p) => typeof p === "string")) return pieces.join("");
  return { interp: pieces as RValue[] };
}

/**
 * Job#output: the job type's template filled in, wrapped in job_template (`:job`), `%` escaped for
 * cron. `options` are the merged options the job was created with (every's options, the set
 * variables, the job's own), with `output` already turned into its redirection text.
 */
export function jobCommand(template: string, jobTemplate: string, options: Options): RValue {
  const job = join(processTemplate(template, options));
  const wrapped = processTemplate(jobTemplate, { ...options, job });
  return join(wrapped.map((p) => (typeof p === "string" ? p.replace(/%/g, "\\%") : p)));
}
