// The answers file (`.rails2k8s.yml`, or --answers FILE): gap id → answer, each preceded by the
// question as a comment. Keys sorted, no timestamps, so the same answers give the same bytes.
// A gap marked secret is never written here.
import { DNS1123_SUBDOMAIN, isDnsLabel, NAME_LIMITS } from "./model/names.js";
import { LineCounter, parseDocument, stringify, visit } from "yaml";
import type { AnswerFormat, Answers, AskCondition, Gap, RValue } from "./model.js";
import { TIME_ZONE_NAMES, TZDATA_VERSION } from "./model/time-zones.js";
import { isEnvKey } from "../emitters/encode/envfile.js";
import { answerResources, isObject, type ResourceSpec } from "../emitters/kustomize/answers.js";
import { BRANCH, EKS_CLUSTER, IAM_ROLE_ARN } from "../emitters/release/rules.js";
import { REPO_URL } from "../emitters/release/argocd.js";
import { keySchemeProblem } from "../emitters/kustomize/secrets-backend/external-secrets.js";
import { isSopsRecipient } from "../emitters/kustomize/secrets-backend/sops.js";
import { NGINX_SIZE } from "../emitters/container/rules.js";
import { MAX_REPLICAS_ANSWER } from "../emitters/kustomize/rules/web.js";
import { applies, inContext, notAskedBecause } from "./model/answers.js";

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
  const lines = new LineCounter();
  try {
    const d = parseDocument(text, { lineCounter: lines });
    if (d.errors.length) throw d.errors[0];
    // An alias inside its own anchor makes a value that holds itself: every later walk of the
    // answers would never end. The file may come with an untrusted repo.
    let loop = 0;
    visit(d, {
      Alias(_, n, path) {
        if (!path.includes(n.resolve(d) as never)) return;
        loop = lines.linePos(n.range?.[0] ?? 0).line;
        return visit.BREAK;
      },
    });
    if (loop) throw new BadAnswersFile(`${name}:${loop}: an alias inside its own anchor (its value would hold itself)`);
    doc = d.toJS();
  } catch (e) {
    if (e instanceof BadAnswersFile) throw e;
    throw new BadAnswersFile(`${name}: not valid YAML (${(e as Error).message.split("\n")[0]})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new BadAnswersFile(`${name}: expected a mapping of question ids to answers`);
  return doc as Answers;
}

/** Why an answer does not fit its gap (then it is asked again, or refused), or null when it fits. `earlier`: the answers before it, for rules that depend on them (hosts on the edge target). */
export function answerProblem(gap: Gap, value: RValue, earlier: Answers = {}): string | null {
  if (gap.choices && !(typeof value === "string" && gap.choices.includes(value))) return `expected one of ${gap.choices.join(", ")}`;
  const want = shapeOf(gap.default);
  const got = shapeOf(value);
  // An answers file may come with the repo: a name, a reference or a host from it is as untrusted
  // as the repo, and is held to its grammar before any emitter sees it.
  if (gap.format) {
    const problem = formatProblem(gap.format, value, { gap, earlier });
    if (problem) return problem;
    return null;
  }
  // A gap without a known value (default null) takes any scalar; otherwise the shape must match.
  if (want === "null") return got === "object" ? "expected a single value" : null;
  if (got === "null" || got === want) return null;
  return `expected ${want === "array" ? "a list" : want === "object" ? "a mapping" : `a ${want}`}`;
}

/** What a rule may need besides the value: its gap (bounds, defaults) and the answers before it. */
export interface FormatContext {
  gap?: Gap;
  earlier?: Answers;
}

/** Image references as the OCI distribution grammar has them: [host[:port]/]path, lower-case path components. */
const IMAGE_REPOSITORY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** A tag as the OCI distribution spec has it. */
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const HOST_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const TAG_RULE = "an image tag (OCI: letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128)";
/** An ACM certificate ARN, in any AWS partition. */
const ACM_CERTIFICATE_ARN = /^arn:aws(?:-[a-z]+)*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]{1,128}$/;

/** Why a value does not follow its grammar, or null when it does. */
export function formatProblem(format: AnswerFormat, value: RValue, ctx: FormatContext = {}): string | null {
  switch (format) {
    case "dns-label":
      return typeof value === "string" && isDnsLabel(value)
        ? null
        : `expected a Kubernetes name (RFC 1123 label): lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${NAME_LIMITS.label} characters${lengthSaid(value, NAME_LIMITS.label)}`;
    case "dns-subdomain":
      return typeof value === "string" && value.length <= NAME_LIMITS.subdomain && DNS1123_SUBDOMAIN.test(value)
        ? null
        : `expected a Kubernetes object name (RFC 1123 subdomain): lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most ${NAME_LIMITS.subdomain} characters${lengthSaid(value, NAME_LIMITS.subdomain)}`;
    case "image-repository":
      return typeof value === "string" && value.length <= 255 && IMAGE_REPOSITORY.test(value) ? null : "expected an image repository such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop or ghcr.io/acme/shop (no tag)";
    case "image-tag":
      // `latest` names no build: the deployed version would depend on when a node pulls.
      if (value === "latest") return LATEST_REFUSED;
      return typeof value === "string" && OCI_TAG.test(value) ? null : `expected ${TAG_RULE}, such as a short commit SHA`;
    case "acm-certificate-arn":
      return typeof value === "string" && (value === "" || ACM_CERTIFICATE_ARN.test(value)) ? null : "expected an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), or empty to let the ALB find one by host";
    case "host-list":
      return hostListProblem(value, ctx.earlier?.["edge.target"]);
    case "time-zone":
      return timeZoneProblem(value);
    case "env-var-list": {
      if (!Array.isArray(value)) return "expected a list of env var names";
      const bad = value.filter((k) => typeof k !== "string" || !isEnvKey(k));
      return bad.length ? `${bad.map((b) => JSON.stringify(b)).join(", ")}: not an env var name (letters, digits and '_', not starting with a digit)` : null;
    }
    case "resources":
      return resourcesProblem(value, ctx.gap?.default);
    case "replicas": {
      const min = Math.max(1, ctx.gap?.min ?? 1);
      if (typeof value === "number" && Number.isInteger(value) && value > MAX_REPLICAS_ANSWER) return `expected at most ${MAX_REPLICAS_ANSWER} pods (rails2k8s's ceiling for an HPA maximum; the HPA's field is an int32): ${value} is refused, never cut silently`;
      if (typeof value === "number" && Number.isInteger(value) && value >= min) return null;
      const stage = /^stage\.(.+)\.max_replicas$/.exec(ctx.gap?.id ?? "")?.[1];
      return `expected a whole number of pods, at least ${min}${ctx.gap?.min ? ` (the HPA's minimum: today's ${ctx.gap.min} web pod(s)${stage ? ` of stage ${stage}` : ""}); a smaller maximum is refused, never raised silently` : ""}`;
    }
    case "cron-schedule":
      // null: not answered yet (the CronJob stays suspended)
      return value === null || (typeof value === "string" && CRON_SCHEDULE.test(value.trim())) ? null : 'expected a cron line of 5 fields such as "30 3 * * *" or "*/15 * * * 1-5"';
    case "cron-command":
      // null: not answered yet (the CronJob stays suspended). One line: it becomes a container's `sh -c` argument.
      return value === null || (typeof value === "string" && value.trim() !== "" && value.length <= 4096 && !/[\u0000-\u001f\u007f]/.test(value)) ? null : "expected the job's command as one shell line (no line breaks or control characters), such as \"bundle exec rake reports:send\"";
    case "server-list":
      return Array.isArray(value) && value.length > 0 && value.every((e) => typeof e === "string" && serverEntryOk(e))
        ? null
        : 'expected a list of servers, each "host role role..." (such as "app1.example.com web app"), at least one';
    // The rules below are the emitters' own (each emitter still checks): an answer they would drop is
    // refused here, never taken, listed as answered and then ignored.
    case "git-branch":
      return emptyOr(value, (v) => BRANCH.test(v))
        ? null
        : "expected a git branch name (git check-ref-format --branch) of letters, digits and . _ / -: no '..' or '//', no part starting with '.' or ending with .lock, not starting with '-' or '/', not ending with '/' or '.', not HEAD; or empty";
    case "iam-role-arn":
      return emptyOr(value, (v) => IAM_ROLE_ARN.test(v)) ? null : "expected an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>), or empty";
    case "eks-cluster":
      return emptyOr(value, (v) => EKS_CLUSTER.test(v)) ? null : "expected an EKS cluster name (letters, digits, '-' and '_', starting with a letter or digit, at most 100), or empty";
    case "git-url":
      return emptyOr(value, (v) => REPO_URL.test(v))
        ? null
        : "expected a git URL without credentials: https://host/org/repo.git, or git@host:org/repo.git (a password or token in the URL is refused: Argo CD takes it from a repository Secret), or empty";
    case "sops-recipient":
      return emptyOr(value, isSopsRecipient) ? null : "expected an age public key (age1...) or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or empty";
    case "key-scheme": {
      const why = typeof value === "string" ? keySchemeProblem(value) : "not a string";
      return why === null ? null : `expected a remote key scheme such as {app}/{stage}/{key} (start it with / for SSM Parameter Store): ${why}`;
    }
    case "nginx-size":
      return typeof value === "string" && NGINX_SIZE.test(value) ? null : "expected an nginx size such as 20M, 512k or 0 (no limit)";
    case "version":
      return (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) && VERSION.test(String(value))
        ? null
        : 'expected a version such as "3.3" or "3.3.6" (quoted: 3.10 unquoted is the number 3.1)';
    case "count": {
      // A process count (Unicorn worker_processes, Puma workers): gap.min (0 for Puma's single mode) up to the replicas ceiling.
      const min = ctx.gap?.min ?? 0;
      return typeof value === "number" && Number.isInteger(value) && value >= min && value <= MAX_REPLICAS_ANSWER ? null : `expected a whole number from ${min} to ${MAX_REPLICAS_ANSWER}`;
    }
    case "thread-range":
      return Array.isArray(value) && value.length === 2 && value.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= 1024) && (value[0] as number) <= (value[1] as number) && (value[1] as number) >= 1
        ? null
        : "expected [min, max] threads, whole numbers with 0 <= min <= max, 1 <= max <= 1024, such as [5, 5]";
    case "seconds":
      return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 86400 ? null : "expected a whole number of seconds from 1 to 86400";
    case "http-path":
      return typeof value === "string" && HTTP_PATH.test(value) ? null : "expected a URL path such as /up or /health: starting with '/', letters, digits and . _ ~ % / - : @ + , = only, at most 1024 characters";
  }
}

/** A string the rule takes, or no answer at all (null or empty: the question's "left empty" case). */
const emptyOr = (v: RValue, ok: (s: string) => boolean): boolean => v === null || v === "" || (typeof v === "string" && ok(v));

/** A language version an official image is tagged with (ruby:3.3.6, node:22). */
const VERSION = /^[0-9]{1,3}(?:\.[0-9]{1,3}){0,2}$/;

/** A probe path: what an httpGet probe, the ALB health check and an nginx location all take as it is. */
const HTTP_PATH = /^\/[A-Za-z0-9._~%\/:@+,=-]{0,1023}$/;

/** `host role role...`: a host name, then the Capistrano roles it had (Ruby symbol names). */
function serverEntryOk(e: string): boolean {
  const [host, ...roles] = e.trim().split(/\s+/);
  return !!host && hostProblem(host) === null && roles.length <= 20 && roles.every((r) => /^[a-z_][a-z0-9_]{0,40}$/.test(r));
}

const LATEST_REFUSED = "expected a tag that names one build, such as the commit's short SHA (never latest)";

/** Five cron fields as Kubernetes' CronJob parser takes them (numbers, names, ranges, steps, lists). */
const CRON_FIELD = String.raw`(?:\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/[0-9]+)?`;
const CRON_SCHEDULE = new RegExp(String.raw`^${CRON_FIELD}(?:,${CRON_FIELD})*(?:\s+${CRON_FIELD}(?:,${CRON_FIELD})*){4}$`);

const lengthSaid = (v: RValue, max: number): string => (typeof v === "string" && v.length > max ? ` (this one has ${v.length})` : "");

/**
 * Host names per edge target. Every target takes a wildcard as the first label (`*.example.com`):
 * an HTTPRoute's hostnames, an Ingress rule's host (ingress-nginx), and the ALB's host-header
 * condition the AWS Load Balancer Controller makes of it. None takes an IP address. The ALB adds
 * its own limits: at most 128 characters, at least one '.', letters only after the last '.'.
 */
export function hostProblem(host: string, target?: string): string | null {
  const name = host.startsWith("*.") ? host.slice(2) : host;
  const labels = name.split(".");
  if (host.length > 253 || !labels.every((l) => HOST_LABEL.test(l)))
    return "lower-case letters, digits, '-' and '.', labels of at most 63 characters, a wildcard only as the whole first label (*.example.com)";
  if (labels.every((l) => /^[0-9]+$/.test(l))) return "an IP address: the edge routes by host name";
  if (target === "alb") {
    if (host.length > 128) return "longer than the 128 characters an ALB host-header condition takes";
    if (labels.length < 2 || !/^[a-z]+$/.test(labels[labels.length - 1]!)) return "an ALB host-header condition needs a '.' and letters only after the last one (shop.example.com)";
  }
  return null;
}

function hostListProblem(value: RValue, target: RValue | undefined): string | null {
  const example = "expected a list of host names such as shop.example.com or *.example.com (a wildcard first label is accepted by the gateway, alb and ingress-nginx targets)";
  if (!Array.isArray(value) || value.length === 0) return example;
  const bad: string[] = [];
  for (const h of value) {
    const p = typeof h === "string" ? hostProblem(h, typeof target === "string" ? target : undefined) : "not a string";
    if (p) bad.push(`${JSON.stringify(h)}: ${p}`);
  }
  return bad.length ? `${example}; ${bad.join("; ")}${target === "alb" ? " (edge target alb)" : ""}` : null;
}

function timeZoneProblem(value: RValue): string | null {
  if (typeof value === "string" && TIME_ZONE_NAMES.has(value)) return null;
  const near = typeof value === "string" ? [...TIME_ZONE_NAMES].find((z) => z.toLowerCase() === value.toLowerCase()) : undefined;
  return `expected an IANA time zone name such as Etc/UTC, UTC or America/New_York (the tz database ${TZDATA_VERSION} that the API server checks a CronJob's timeZone against)${near ? `; names are case-sensitive: ${near}?` : ""}`;
}

// --- Resource quantities -------------------------------------------------------------------------

/** Kubernetes' quantity grammar (k8s.io/apimachinery resource.Quantity): a number, then a binary or decimal SI suffix or an exponent. */
const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;
const SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The value of a Kubernetes quantity (cores, bytes), or null when it is not one. */
export function quantityValue(q: string): number | null {
  const m = QUANTITY.exec(q);
  if (!m) return null;
  const n = Number(m[2]) * (m[1] === "-" ? -1 : 1);
  const suffix = m[3] ?? "";
  return /^[eE][+-]?[0-9]/.test(suffix) ? n * 10 ** Number(suffix.slice(1)) : n * (SUFFIX[suffix] ?? 1);
}

const RESOURCE_EXAMPLE = "{requests: {cpu: 500m, memory: 512Mi}, limits: {cpu: 1, memory: 1Gi}} (a limit of null: no limit)";

/**
 * A resources answer: each field named replaces the default's, `null` under limits means "no
 * limit", and a request above its limit (named or default) is refused. The merge is the emitter's
 * own (answerResources), so what is checked is what is written.
 */
function resourcesProblem(value: RValue, fallback: RValue | undefined): string | null {
  if (!isObject(value)) return `expected a mapping such as ${RESOURCE_EXAMPLE}`;
  const problems: string[] = [];
  for (const part of Object.keys(value)) {
    if (part !== "requests" && part !== "limits") {
      problems.push(`unknown key ${JSON.stringify(part)} (requests, limits)`);
      continue;
    }
    const p = value[part];
    if (p === undefined) continue;
    if (!isObject(p)) {
      problems.push(`${part}: expected a mapping of cpu and memory`);
      continue;
    }
    for (const [key, q] of Object.entries(p)) {
      const at = `${part}.${key}`;
      if (key !== "cpu" && key !== "memory") problems.push(`unknown key ${JSON.stringify(at)} (cpu, memory)`);
      else if (q === null) {
        if (part === "requests") problems.push(`${at}: null is for limits only (the scheduler, and the autoscaler's CPU target, need a request)`);
      } else {
        const text = typeof q === "number" ? String(q) : typeof q === "string" ? q.trim() : null;
        const n = text === null ? null : quantityValue(text);
        if (n === null) problems.push(`${at}: ${JSON.stringify(q)} is not a Kubernetes quantity (such as 250m, 1, 512Mi, 1Gi)`);
        else if (n < 0) problems.push(`${at}: ${text} is negative`);
        else if (key === "memory" && !Number.isInteger(n)) problems.push(`${at}: ${text} is a fraction of a byte ('m' is milli: write Mi for mebibytes)`);
      }
    }
  }
  if (problems.length) return problems.join("; ");
  const d = isResourceSpec(fallback) ? fallback : { requests: { cpu: "0", memory: "0" }, limits: { cpu: null, memory: null } };
  const eff = answerResources({ r: value }, "r", d);
  for (const key of ["cpu", "memory"] as const) {
    const req = eff.requests[key];
    const lim = eff.limits[key];
    if (lim === null) continue;
    const named = isObject(value["limits"]) && Object.hasOwn(value["limits"], key);
    if (quantityValue(req)! > quantityValue(lim)!)
      problems.push(`requests.${key} ${req} is above limits.${key} ${lim}${named ? "" : " (the default limit: name a limit, or null for none)"}`);
  }
  return problems.length ? problems.join("; ") : null;
}

function isResourceSpec(v: RValue | undefined): v is RValue & ResourceSpec {
  if (!isObject(v)) return false;
  const r = v["requests"];
  const l = v["limits"];
  return isObject(r) && isObject(l) && typeof r["cpu"] === "string" && typeof r["memory"] === "string";
}

/**
 * Walks the gaps in order, each seen in the context of the answers before it: `pick` gives its
 * answer (a saved one, the default, or the wizard's). Gaps that do not apply are skipped, with why.
 */
export async function walkGaps(
  gaps: Gap[],
  pick: (gap: Gap, earlier: Answers) => RValue | Promise<RValue>,
): Promise<{ answers: Answers; skipped: { gap: Gap; because: string }[] }> {
  const answers: Answers = {};
  const skipped: { gap: Gap; because: string }[] = [];
  for (const g of gaps) {
    if (!applies(g, answers)) {
      skipped.push({ gap: g, because: notAskedBecause(g, answers) });
      continue;
    }
    answers[g.id] = await pick(inContext(g, answers), answers);
  }
  return { answers, skipped };
}

/** One saved answer that breaks its rule: the key, the value as written, and the rule. */
export interface AnswerProblem {
  id: string;
  value: RValue;
  problem: string;
}

/**
 * Checks every saved answer against its gap, in order and in the context of the answers before it
 * (a saved valid one, else the default). Secret gaps are never read from the file.
 */
export function checkSaved(gaps: Gap[], saved: Answers): { usable: Answers; problems: AnswerProblem[] } {
  const usable: Answers = {};
  const problems: AnswerProblem[] = [];
  const earlier: Answers = {};
  for (const raw of gaps) {
    const g = inContext(raw, earlier);
    if (!g.secret && Object.hasOwn(saved, g.id)) {
      const v = saved[g.id] as RValue;
      const problem = answerProblem(g, v, earlier);
      if (problem) problems.push({ id: g.id, value: v, problem });
      else usable[g.id] = v;
    }
    if (applies(g, earlier)) earlier[g.id] = Object.hasOwn(usable, g.id) ? usable[g.id]! : g.default;
  }
  return { usable, problems };
}

/** A problem as one line: the key, its value (short) and the rule. */
export const problemLine = (p: AnswerProblem): string => `${p.id}: ${shortValue(p.value)} — ${p.problem}`;

const shortValue = (v: RValue): string => {
  const s = JSON.stringify(v) ?? "null";
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

/**
 * Keys of the answers file that no question of this analysis has: a stage the repo does not have
 * (a typo, or a stage since removed), or a key no question uses. Kept in the file, and named.
 */
export function unknownAnswers(gaps: Gap[], saved: Answers, stages: string[]): { stages: Map<string, string[]>; keys: string[] } {
  const ids = new Set(gaps.map((g) => g.id));
  const known = new Set(stages);
  const byStage = new Map<string, string[]>();
  const keys: string[] = [];
  for (const id of Object.keys(saved).sort()) {
    if (ids.has(id)) continue;
    const m = /^(?:stage|cap)\.([^.]+)\./.exec(id);
    if (m && !known.has(m[1]!)) {
      const list = byStage.get(m[1]!) ?? [];
      list.push(id);
      byStage.set(m[1]!, list);
    } else keys.push(id);
  }
  return { stages: byStage, keys };
}

const shapeOf = (v: RValue): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/**
 * Renders the answers file: gaps in id order with their question; unknown ids kept at the end.
 * A suggestion or placeholder taken as its default with no one asked (`toConfirm`) is written commented out: saved,
 * it would read as confirmed next time; uncommented, it is.
 */
export function renderAnswers(gaps: Gap[], answers: Answers, previous: Answers, toConfirm: ReadonlySet<string> = new Set()): string {
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
    if (toConfirm.has(id))
      lines.push("", ...comment(g.question), `# ${g.placeholder ? "A placeholder" : "A suggestion"}, not confirmed: uncomment the line below (or write your own) once you know it.`, ...comment(entry(id, answers[id]!)));
    else lines.push("", ...comment(g.question), entry(id, answers[id]!));
  }
  // Answers to questions this analysis did not raise, or did not ask (gateway.name once the edge
  // is an ALB), stay: the repo or an answer may raise them again.
  const stale = Object.keys(previous)
    .filter((id) => !byId.has(id) || (!Object.hasOwn(answers, id) && !byId.get(id)!.secret))
    .sort();
  if (stale.length) {
    lines.push("", "# Not asked by the latest analysis (kept in case it applies again):");
    for (const id of stale) lines.push(entry(id, previous[id]!));
  }
  return lines.join("\n") + "\n";
}

const comment = (text: string): string[] => text.split("\n").map((l) => `# ${l}`.trimEnd());

const entry = (id: string, value: RValue): string => stringify({ [id]: value }, { lineWidth: 0 }).trimEnd();
