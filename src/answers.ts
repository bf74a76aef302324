// The answers file (`.rails2k8s.yml`, or --answers FILE): gap id → answer, each preceded by the
// question as a comment. Keys sorted, no timestamps, so the same answers give the same bytes.
// A gap marked secret is never written here.
import { isDnsLabel } from "./names.js";
import { parse, stringify } from "yaml";
import type { AnswerFormat, Answers, Gap, RValue } from "./model.js";

export const ANSWERS_FILE = ".rails2k8s.yml";
/**
 * The first line of every answers file rails2k8s writes: a file that does not start with it was
 * not written by rails2k8s and is never overwritten.
 */
export const ANSWERS_HEADER = "# rails2k8s answers";

export const hasAnswersHeader = (text: string): boolean => text.replace(/^\uFEFF/, "").startsWith(ANSWERS_HEADER);

export class BadAnswersFile extends Error {}

/** Parses the answers file; a file that is not a mapping is an error the user must fix (exit 2). */
export function parseAnswers(text: string | null, name: string): Answers {
  if (text === null || text.trim() === "") return {};
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new BadAnswersFile(`${name}: not valid YAML (${(e as Error).message.split("\n")[0]})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new BadAnswersFile(`${name}: expected a mapping of question ids to answers`);
  return doc as Answers;
}

/** Why a saved answer does not fit its gap (then it is asked again), or null when it fits. */
export function answerProblem(gap: Gap, value: RValue): string | null {
  if (gap.choices && !(typeof value === "string" && gap.choices.includes(value))) return `expected one of ${gap.choices.join(", ")}`;
  // An answers file may come with the repo: a name, a reference or a host from it is as untrusted
  // as the repo, and is held to its grammar before any emitter sees it.
  if (gap.format) {
    const problem = formatProblem(gap.format, value);
    if (problem) return problem;
  }
  const want = shapeOf(gap.default);
  const got = shapeOf(value);
  // A gap without a known value (default null) takes any scalar; otherwise the shape must match.
  if (want === "null") return got === "object" ? "expected a single value" : null;
  if (got === "null" || got === want) return null;
  return `expected ${want === "array" ? "a list" : want === "object" ? "a mapping" : `a ${want}`}`;
}

/** Image references as the Docker distribution grammar has them: [host[:port]/]path, lower-case path components. */
const IMAGE_REPOSITORY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** A tag the migration Job's name can end with (a DNS label's characters, and `.`). */
const IMAGE_TAG = /^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/;
const HOST = /^(?:\*\.)?[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

/** Why a value does not follow its grammar, or null when it does. */
export function formatProblem(format: AnswerFormat, value: RValue): string | null {
  switch (format) {
    case "dns-label":
      return typeof value === "string" && isDnsLabel(value) ? null : "expected a Kubernetes name: lower-case letters, digits and '-', at most 63 characters";
    case "image-repository":
      return typeof value === "string" && value.length <= 255 && IMAGE_REPOSITORY.test(value) ? null : "expected an image repository such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop or ghcr.io/acme/shop (no tag)";
    case "image-tag":
      return typeof value === "string" && IMAGE_TAG.test(value) ? null : "expected an image tag of lower-case letters, digits, '.' and '-' (at most 63), such as a short commit SHA";
    case "host-list":
      return Array.isArray(value) && value.every((h) => typeof h === "string" && h.length <= 253 && HOST.test(h)) ? null : "expected a list of host names (lower case, such as shop.example.com or *.example.com)";
    case "server-list":
      return Array.isArray(value) && value.length > 0 && value.every((e) => typeof e === "string" && serverEntryOk(e))
        ? null
        : 'expected a list of servers, each "host role role..." (such as "app1.example.com web app"), at least one';
  }
}

/** `host role role...`: a host name, then the Capistrano roles it had (Ruby symbol names). */
function serverEntryOk(e: string): boolean {
  const [host, ...roles] = e.trim().split(/\s+/);
  return !!host && host.length <= 253 && HOST.test(host) && roles.length <= 20 && roles.every((r) => /^[a-z_][a-z0-9_]{0,40}$/.test(r));
}

const shapeOf = (v: RValue): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** Renders the answers file: gaps in id order with their question; unknown ids kept at the end. */
export function renderAnswers(gaps: Gap[], answers: Answers, previous: Answers): string {
  const byId = new Map(gaps.map((g) => [g.id, g]));
  const lines: string[] = [
    `${ANSWERS_HEADER}: what \`rails2k8s migrate\` asked, by question id.`,
    "# A re-run asks only what is missing here; edit a value and re-run to regenerate.",
    "# Secret values are never saved in this file.",
  ];
  const ids = Object.keys(answers)
    .filter((id) => byId.has(id) && !byId.get(id)!.secret)
    .sort();
  for (const id of ids) {
    const g = byId.get(id)!;
    lines.push("", ...comment(g.question), entry(id, answers[id]!));
  }
  // Answers to questions this analysis did not raise stay: the repo may raise them again.
  const stale = Object.keys(previous)
    .filter((id) => !byId.has(id))
    .sort();
  if (stale.length) {
    lines.push("", "# Not asked by the latest analysis (kept in case it applies again):");
    for (const id of stale) lines.push(entry(id, previous[id]!));
  }
  return lines.join("\n") + "\n";
}

const comment = (text: string): string[] => text.split("\n").map((l) => `# ${l}`.trimEnd());

const entry = (id: string, value: RValue): string => stringify({ [id]: value }, { lineWidth: 0 }).trimEnd();
