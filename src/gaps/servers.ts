// Gaps of a stage whose run could not be followed everywhere: the servers a block would have
// declared (`(1..n).each { server ... }` over a value we cannot compute), and variables an output
// reads set in such code. A server list is the source of replica counts, so a partial one is never
// taken as the stage's: the question has no default and `--yes` refuses without an answer.
// Ids: `servers.<stage>` (answer: ["host role role", ...]) and `cap.<stage>.<variable>`.
import type { AppModel, Answers, Gap, GemStages, Server, Stage } from "../model.js";
import type { ModelForGaps } from "./index.js";
import { capAnswerId } from "./core.js";

export const serversAnswerId = (stage: string): string => `servers.${stage}`;

/** Id of the question asked when the repo declares no stage: whether to write the one overlay, production. */
export const NO_STAGE_ANSWER = "stages.none";

/**
 * A repo with a deploy config but no stage (only `config/deploy/server.rb.example`, a deploy.rb
 * with no server) says nothing of where it ran. The one overlay the emitters can write then is
 * "production", a name the repo never gave: it is written only when a person confirms it (no
 * default, so `--yes` stops with exit 2 and this question).
 */
export function noStageGaps(model: ModelForGaps): Gap[] {
  if (model.stages.length) return [];
  const fromGem = model.capistrano?.stagesFromGem;
  if (fromGem) return [gemStageGap(fromGem)];
  const envFiles = model.capistrano?.envStageFiles;
  if (envFiles) return [envStageFilesGap(envFiles)];
  const deploy = model.capistrano?.tool === "mina" ? "Mina's config/deploy.rb" : "Capistrano";
  return [
    {
      id: NO_STAGE_ANSWER,
      question: `No ${deploy} stage was found. Write one overlay, "production", for a deploy the repo does not describe?`,
      why: `the repo names no stage (no config/deploy/<stage>.rb, no \`set :stages\`, no server in config/deploy.rb), so nothing says which environments it was deployed to or on which servers. Answer "production" to write that one overlay anyway; or add config/deploy/<stage>.rb files and run again to get an overlay per stage`,
      default: null,
      choices: ["production"],
      required: true,
      source: model.capistrano?.requires[0]?.source ?? model.name.source,
    },
  ];
}

const at = (s: { file: string; line: number }) => `${s.file}:${s.line}`;

/**
 * The stages live in a required gem (gem-stages.ts): the gems are named as the source, and the one
 * overlay's name, production, is offered as the default only where the repo's own comparison spells it
 * (`stage == "production"`), cited; otherwise it stays a question with no default.
 */
function gemStageGap(g: GemStages): Gap {
  const gems = g.gems.map((r) => `${r.value} (${at(r.source)})`).join(", ");
  const prod = g.names.find((n) => n.value === "production");
  const spelled = g.names.length ? `; the repo's own files compare :stage with ${g.names.map((n) => `"${n.value}" (${at(n.source)})`).join(", ")}` : "; no file of the repo spells a stage name";
  return {
    id: NO_STAGE_ANSWER,
    question: `The Capistrano stages are defined by a gem the deploy requires, not by the repo: ${gems}. Write one overlay, "production"?`,
    why: `the deploy reads :stage (${at(g.read)}) but no file of the repo defines a stage (no config/deploy/<stage>.rb, no stage task, no server in config/deploy.rb): the stage tasks, their servers and roles come from one of these gems' own files, which are not in the repo${spelled}. Only one overlay, "production", can be written for it${prod ? ` (the default, as spelled at ${at(prod.source)})` : ""}; the servers each stage had are not known. Or add config/deploy/<stage>.rb files with the gem's stages and servers and run again to get an overlay per stage`,
    default: prod ? "production" : null,
    choices: ["production"],
    required: true,
    source: g.gems[0].source,
  };
}

/**
 * config/deploy.rb loads its settings from a file named by ENV (env-stage-files.ts): the stages are
 * those files, none in the repo. Which there were, and their servers, only the team knows: no default.
 */
function envStageFilesGap(e: NonNullable<NonNullable<ModelForGaps["capistrano"]>["envStageFiles"]>): Gap {
  const shape = e.pattern ?? `a file whose path is built from ENV[${JSON.stringify(e.env)}]`;
  const examples = e.examples.length ? `; the repo holds only ${e.examples.join(", ")}, ${e.examples.length === 1 ? "an example" : "examples"} of that shape, not a stage` : "; the repo holds none of them";
  return {
    id: NO_STAGE_ANSWER,
    question: `The deploy's stages are the files \`cap deploy ${e.env}=<name>\` loads (${shape}), and none is in the repo. Write one overlay, "production"?`,
    why: `config/deploy.rb loads its servers and settings from ${shape} (${at(e.source)}), one file per value of ${e.env} given when deploying${examples}. Which stages there were, and their servers, are not in the repo. Answer "production" to write one overlay anyway; or write each stage into the deploy (a stage task, or capistrano-ext's multistage with config/deploy/<stage>.rb, holding its servers and rails_env) and run again to get an overlay per stage`,
    default: null,
    choices: ["production"],
    required: true,
    source: e.source,
  };
}

/** Servers past the evaluation limit are valid lines not read: the question names the limit, not a fault of the line. */
function serversUnreadSaid(servers: { message: string }[], where: string): string {
  const limit = servers.map((u) => /^more than (\d+) servers\b/.exec(u.message)).find((m) => m);
  return limit ? `more than ${limit[1]} servers, the most rails2k8s reads per stage: those from ${where} on are not read` : `servers at ${where} could not be read`;
}

export function unreadGaps(model: ModelForGaps): Gap[] {
  const gaps: Gap[] = [];
  for (const st of model.stages) {
    const unread = Array.isArray(st.unread) ? st.unread : [];
    const servers = unread.filter((u) => u.what === "servers");
    if (servers.length) {
      const where = servers.map((u) => at(u.source)).join(", ");
      gaps.push({
        id: serversAnswerId(st.name),
        question: `stage ${st.name}: ${serversUnreadSaid(servers, where)}; list them (each "host role role...", such as "app1.example.com web app")`,
        why: `${servers.map((u) => `${at(u.source)}: ${u.message}`).join("; ")}. The stage's web replicas, HPA minimum and worker replicas come from its servers, and the ${st.servers.length} read elsewhere may be only part of them; list the servers that code declared (not those already read)`,
        default: [],
        format: "server-list",
        required: true,
        source: servers[0].source,
      });
    }
    for (const u of unread) {
      if (u.what !== "variable" || !u.name) continue;
      gaps.push({
        id: capAnswerId(st.name, u.name),
        question: `What is :${u.name} for stage ${st.name}? It is set at ${at(u.source)} in code that could not be followed.`,
        why: `${u.message}; a generated file depends on :${u.name}`,
        default: null,
        source: u.source,
      });
    }
  }
  return gaps;
}

/** Servers listed in a `servers.<stage>` answer, as the stage's own (roles as Capistrano keeps them). */
export function answeredServers(stage: Stage, answers: Answers, answersFile: string): Server[] {
  const v = answers[serversAnswerId(stage.name)];
  if (!Array.isArray(v)) return [];
  const out: Server[] = [];
  for (const e of v) {
    if (typeof e !== "string") continue;
    const [host, ...roles] = e.trim().split(/\s+/);
    if (!host || out.some((s) => s.host === host) || stage.servers.some((s) => s.host === host)) continue;
    out.push({ host, user: null, port: null, roles, primary: false, properties: {}, source: { file: answersFile, line: 0 } });
  }
  return out;
}

/** The model with each stage's answered servers added after those read from the repo. */
export function withAnsweredServers<M extends Pick<AppModel, "stages">>(model: M, answers: Answers, answersFile: string): M {
  if (!model.stages.some((s) => answeredServers(s, answers, answersFile).length)) return model;
  return { ...model, stages: model.stages.map((s) => ({ ...s, servers: [...s.servers, ...answeredServers(s, answers, answersFile)] })) };
}
