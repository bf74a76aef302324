// Gaps of the web server's numbers: the deploy started Unicorn or Puma with a config whose workers,
// threads or timeout the analysis cannot read (a file only the servers hold, a value computed at
// boot). Each stage's number is asked, the server's own default offered as a placeholder (`--yes`
// keeps it and says so; MIGRATION.md lists it), and the answer stands in for the unknown in every
// output that follows the number: WEB_CONCURRENCY and the thread variables in config.env, the
// container config's defaults, the HPA minimum and the grace period.
// Ids: `stage.<stage>.web.workers` (a count), `.web.threads` ([min, max], Puma), `.web.timeout` (seconds).
import type { Answers, AppModel, AppServerConfig, Fact, Gap, RValue, Source, Stage } from "../model.js";
import { isUnknown } from "../model.js";
import type { ModelForGaps } from "./index.js";
import { APP_SERVER_DEFAULTS, appServerFor, appServerKind, placeholderOf, suggestionOf, webNumberAnswerId, webServerQuestion, WEB_NUMBER_ID, WEB_SERVER_ANSWER, type WebNumber } from "../../emitters/app-server.js";
import { numberOf } from "../model/numbers.js";
import { webNotStarted } from "../../emitters/kustomize/left-out.js";


type Model = Pick<AppModel, "appServers" | "rails" | "stages"> & Partial<Pick<AppModel, "webServer">>;

/** The stages that get an overlay, as the Kustomize emitter lists them (one undeclared production without stages). */
function overlayStages(model: Model): (Stage | null)[] {
  return model.stages.length ? model.stages : [null];
}
const stageName = (s: Stage | null): string => s?.name ?? "production";

/** Why a number is not readable, or null when it is (a literal, an ENV read with a literal default) or absent (the server's default, labelled elsewhere). */
function unreadable(v: RValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) {
    const bad = v.map(unreadable).find((x) => x !== null);
    return bad ?? (v.length === 0 || v.length > 2 ? "not a thread range" : null);
  }
  if (numberOf(v) !== null) return null;
  if (isUnknown(v)) return v.unknown;
  if (v && typeof v === "object" && "env" in v) return `read from the servers' environment (ENV[${JSON.stringify((v as { env: string }).env)}]) with no default`;
  return "not a number";
}

interface Unread {
  key: WebNumber;
  why: string;
  source: Source;
}

/** The numbers of the stage's server config that the analysis cannot read, in a fixed order. */
export function unreadWebNumbers(server: AppServerConfig): Unread[] {
  const out: Unread[] = [];
  const facts: [WebNumber, Fact<RValue> | null][] = [
    ["workers", server.workers],
    ["threads", server.kind === "puma" ? server.threads : null],
    ["timeout", server.timeout],
  ];
  for (const [key, f] of facts) {
    const why = f ? unreadable(f.value) : null;
    if (f && why) out.push({ key, why, source: f.source });
  }
  return out;
}

/** The server config a stage's overlay follows, when its kind is the image's (Passenger has its own numbers). */
function stageServer(model: Model, st: Stage | null): { kind: "unicorn" | "puma"; server: AppServerConfig } | null {
  const kind = appServerKind(model);
  if (kind === "passenger") return null;
  const server = appServerFor(model, st);
  return server && server.kind === kind ? { kind, server } : null;
}

const label = (kind: "unicorn" | "puma"): string => (kind === "puma" ? "Puma" : "Unicorn");

/**
 * The web numbers' questions. When web.server is asked, the numbers belong to the server answered
 * there, asked later: each question is built for every server the answer may pick, and the one the
 * answer picks gives the wording, default and minimum (Gap.whyIf); a number only some servers read
 * (Puma's threads) is asked only after those (Gap.askIf). The base wording names no server.
 */
export function appServerGaps(model: ModelForGaps): Gap[] {
  const q = webServerQuestion(model);
  if (!q) return [...webServerGap(model), ...numberGaps(model)];
  const kinds = q.choices;
  const variants = kinds.map((k) => ({ k, gaps: numberGaps(withAnsweredWebServer(model, { [WEB_SERVER_ANSWER]: k }, "")) }));
  const ids = [...new Set(variants.flatMap((v) => v.gaps.map((g) => g.id)))];
  const merged = ids.map((id): Gap => {
    const each = variants.flatMap((v) => v.gaps.filter((g) => g.id === id).map((g) => ({ k: v.k, g })));
    const first = each[0]!.g;
    const key = WEB_NUMBER_ID.exec(id)?.[2] as WebNumber;
    const name = WEB_NUMBER_ID.exec(id)?.[1] ?? "production";
    const servers = each.map((e) => e.k).join(" or ");
    const base: Gap = {
      ...first,
      question: key === "workers" ? `How many worker processes did each web server of stage ${name} run (the count for the server answered to ${WEB_SERVER_ANSWER}: ${servers})?` : key === "timeout" ? `Which request timeout (seconds) did the web servers of stage ${name} use (for the server answered to ${WEB_SERVER_ANSWER}: ${servers})?` : first.question,
      why: `asked for the server answered to ${WEB_SERVER_ANSWER}; its wording and default follow that answer. ${first.why}`,
      whyIf: each.map(({ k, g }) => ({ id: WEB_SERVER_ANSWER, matches: `^${k}$`, why: g.why, default: g.default, question: g.question, ...(g.min !== undefined ? { min: g.min } : {}) })),
    };
    return each.length < kinds.length ? { ...base, askIf: [{ id: WEB_SERVER_ANSWER, oneOf: each.map((e) => e.k) }] } : base;
  });
  return [...webServerGap(model), ...merged];
}

/** The numbers' questions for the server the model's image runs. */
function numberGaps(model: ModelForGaps): Gap[] {
  const gaps: Gap[] = [];
  for (const st of overlayStages(model)) {
    const found = stageServer(model, st);
    if (!found || (st && webNotStarted(model, st.name))) continue;
    const { kind, server } = found;
    const name = stageName(st);
    const d = APP_SERVER_DEFAULTS[kind];
    for (const u of unreadWebNumbers(server)) {
      const file = server.file;
      const tail = `Take it from a server of stage ${name}; MIGRATION.md lists it until you answer`;
      // "<file> sets them" only where the number's line is in that file: a config the repo lacks
      // (a start path with no file, a servers' copy) sets nothing the repo shows, and its why says so.
      // A file the repo lacks cannot be said to set them here: it says only that the repo lacks it; the
      // why says what is known of it (the servers' copy, or a start that may have failed).
      const says = (verb: "sets them" | "sets it") =>
        server.notInRepo ? `${file} is not in the repo: ${u.why}` : u.source.file === file ? `${file} ${verb}, but ${u.why}` : u.why; // as written: it may start with a gem's or a file's name
      // A number the replaced server ran (Thin's servers, timeout): the suggestion, labelled as that server's.
      const hint = u.key === "workers" || u.key === "timeout" ? server.suggested?.[u.key] : undefined;
      const offered = hint ? { default: hint.value, suggestion: true as const } : { placeholder: true as const };
      if (u.key === "workers")
        gaps.push({
          id: webNumberAnswerId(name, "workers"),
          question: `How many ${kind === "puma" ? "Puma workers (0 = single mode)" : "Unicorn worker_processes"} did each web server of stage ${name} run?`,
          why: hint ? `${u.why}. The default ${hint.value} is ${hint.label}, a suggestion to confirm: WEB_CONCURRENCY, the web pods' CPU and memory and the HPA minimum follow this number. ${tail}` : `${says("sets them")}. The default ${d.workers} is ${label(kind)}'s own default when nothing sets it, a placeholder: WEB_CONCURRENCY, the web pods' CPU and memory and the HPA minimum follow this number. ${tail}`,
          default: d.workers,
          format: "count",
          min: kind === "unicorn" ? 1 : 0,
          ...offered,
          source: u.source,
        });
      else if (u.key === "threads" && kind === "puma")
        gaps.push({
          id: webNumberAnswerId(name, "threads"),
          question: `Which Puma threads [min, max] did each web server of stage ${name} run?`,
          why: `${says("sets them")}. The default [${APP_SERVER_DEFAULTS.puma.threads.join(", ")}] is Puma's own default (5.0+, MRI), a placeholder: RAILS_MIN_THREADS and RAILS_MAX_THREADS in the stage's config.env follow it. ${tail}`,
          default: [...APP_SERVER_DEFAULTS.puma.threads],
          format: "thread-range",
          placeholder: true,
          source: u.source,
        });
      else if (u.key === "timeout")
        gaps.push({
          id: webNumberAnswerId(name, "timeout"),
          question: `Which ${kind === "puma" ? "Puma worker_timeout" : "Unicorn timeout"} (seconds) did the web servers of stage ${name} use?`,
          why: hint ? `${u.why}. The default ${hint.value} is ${hint.label}, a suggestion to confirm: the web pods' terminationGracePeriodSeconds${kind === "unicorn" ? " and UNICORN_TIMEOUT" : " and the container's worker_timeout"} follow it. ${tail}` : `${says("sets it")}. The default ${d.timeout} is ${label(kind)}'s own default, a placeholder: the web pods' terminationGracePeriodSeconds${kind === "unicorn" ? " and UNICORN_TIMEOUT" : " and the container's worker_timeout"} follow it. ${tail}`,
          default: d.timeout,
          format: "seconds",
          ...offered,
          source: u.source,
        });
    }
  }
  return gaps;
}

/**
 * The model with each stage's unreadable numbers replaced by its answers (or the placeholder
 * defaults): a copy of the stage's server config, for that stage alone, placed first so that
 * appServerFor finds it (production's first of all: the image runs production's config).
 * A number still a placeholder keeps `defaultOf`, so outputs label it as such: the ids in
 * `placeholders` (no one confirmed them: src/migrate.ts `confirmed`), else any equal to the default.
 */
export function withAnsweredWebNumbers<M extends Model>(model: M, answers: Answers, answersFile: string, placeholders?: ReadonlySet<string>): M {
  const copies: AppServerConfig[] = [];
  const stages = overlayStages(model);
  const prodFirst = [...stages].sort((a, b) => Number(stageName(b) === "production") - Number(stageName(a) === "production"));
  for (const st of prodFirst) {
    const found = stageServer(model, st);
    if (!found) continue;
    const { kind, server } = found;
    const unread = unreadWebNumbers(server);
    if (!unread.length) continue;
    const d = APP_SERVER_DEFAULTS[kind];
    const copy: AppServerConfig = { ...server, stages: [stageName(st)] };
    for (const u of unread) {
      const id = webNumberAnswerId(stageName(st), u.key);
      const hint = u.key === "threads" ? undefined : server.suggested?.[u.key];
      const dflt: RValue = hint ? hint.value : u.key === "threads" ? [...APP_SERVER_DEFAULTS.puma.threads] : d[u.key === "workers" ? "workers" : "timeout"];
      const given = Object.hasOwn(answers, id) ? answers[id]! : dflt;
      const placeholder = placeholders ? placeholders.has(id) : JSON.stringify(given) === JSON.stringify(dflt);
      // A suggestion no one confirmed is labelled as the replaced server's number, not as this server's default.
      // Its source is then the replaced server's file, not the answers file: no one answered it.
      const fact = { value: given, source: placeholder && hint ? hint.source : { file: answersFile, line: 0 }, ...(placeholder ? { defaultOf: hint ? suggestionOf(hint.label, id) : placeholderOf(kind, id) } : {}) };
      if (u.key === "workers") copy.workers = fact;
      else if (u.key === "timeout") copy.timeout = fact;
      else if (Array.isArray(given)) copy.threads = { ...fact, value: given };
    }
    copies.push(copy);
  }
  if (!copies.length) return model;
  return { ...model, appServers: [...copies, ...model.appServers] };
}

/** Stages whose worker count is unread (the resources question is then a placeholder too). */
export function unreadWorkerStages(model: ModelForGaps): string[] {
  return overlayStages(model).flatMap((st) => {
    const found = stageServer(model, st);
    return found && unreadWebNumbers(found.server).some((u) => u.key === "workers") ? [stageName(st)] : [];
  });
}

/**
 * Which web server the image runs, when nothing the deploy runs says which it started: a question
 * with the candidates the evidence leaves, its default only where the evidence supports one (else
 * `--yes` stops and asks for it). Asked before the numbers, which follow the server.
 */
function webServerGap(model: Model): Gap[] {
  const q = webServerQuestion(model);
  if (!q) return [];
  const at = model.webServer?.evidence[0]?.source ?? (model.rails.lockfilePresent ? { file: "Gemfile.lock", line: 0 } : undefined);
  return [
    {
      id: WEB_SERVER_ANSWER,
      question: model.webServer?.kind === "thin" ? `The servers ran Thin, which the image does not run: which web server should the image run in its place: ${q.choices.join(", ")}?` : `Which web server did the servers run (the image runs the same): ${q.choices.join(", ")}?`,
      why: q.default ? `${q.why}: default ${q.default}, a suggestion from that evidence; confirm it` : q.why,
      default: q.default,
      choices: q.choices,
      ...(q.default ? { suggestion: true } : { required: true }),
      ...(at ? { source: at } : {}),
    },
  ];
}

/**
 * The model with the answer to web.server as the web server the image runs: said as the answer
 * (WebServerFacts.answered), never as something the deploy started. Unchanged when the deploy
 * decides, or the answer is not one of the question's choices.
 */
export function withAnsweredWebServer<M extends Model>(model: M, answers: Answers, answersFile: string, defaulted?: ReadonlySet<string>): M {
  const q = webServerQuestion(model);
  const given = answers[WEB_SERVER_ANSWER];
  if (!q || typeof given !== "string" || !(q.choices as string[]).includes(given)) return model;
  const kind = given as "unicorn" | "puma" | "passenger";
  const how = defaulted?.has(WEB_SERVER_ANSWER) ? `the default of ${WEB_SERVER_ANSWER}, taken with no one asked` : `the answer to ${WEB_SERVER_ANSWER} in ${answersFile}`;
  const answered = { value: how, source: { file: answersFile, line: 0 } };
  // Thin stays what the deploy started (its notes and evidence say so); the image runs the answer.
  if (model.webServer?.kind === "thin") return { ...model, webServer: { ...model.webServer, image: kind, answered } };
  return { ...model, webServer: { ...(model.webServer ?? { evidence: [] }), kind, answered } };
}
