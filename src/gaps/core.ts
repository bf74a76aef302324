// Gaps of the core family: where the image lives, the namespace of each stage, and the Capistrano
// variables that a person typed at each deploy (`ask`) or that the analysis could not compute but
// an output depends on. Ids are stable: `image.repository`, `stage.<stage>.namespace`,
// `cap.<stage>.<variable>`.
import type { Gap, GlobalTemplate, RValue, Stage, Unknown } from "../model.js";
import type { ModelForGaps } from "./index.js";
import { dnsLabel, migrationName, stageInstance } from "../../emitters/kustomize/names.js";
import { needsMigration } from "../../emitters/kustomize/rules/migration.js";
import { NAME_LIMITS } from "../model/names.js";
import { k8sOverlay } from "../../emitters/contract.js";
import { holdsSecretShape, looksSecretKey } from "../../analyzers/secrets.js";
import { initialTag, UNRELEASED_TAG } from "../../emitters/release/rules.js";

/** Stage variables the emitters read directly: unknown values of these change an output. */
const READ_BY_EMITTERS = ["rails_env", "default_env", "application"];

export const capAnswerId = (stage: string, variable: string): string => `cap.${stage}.${variable}`;

export function coreGaps(model: ModelForGaps): Gap[] {
  const app = dnsLabel(model.name.value, 40);
  const gaps: Gap[] = [
    {
      id: "image.repository",
      question: "Which container image repository should the cluster pull the app's image from?",
      why: `Capistrano shipped code, not images, so the repo names no registry; registry.example.com/${app} is a placeholder (app name from ${model.name.source.file}${model.name.source.line ? `:${model.name.source.line}` : ""}): give your ECR, GCR, GHCR or Docker Hub repository`,
      default: `registry.example.com/${app}`,
      format: "image-repository",
      source: model.name.source,
    },
    {
      id: "image.tag",
      question: "Which image tag should the overlays deploy first?",
      why: `Capistrano deployed a branch (or :branch), not an image; the overlays pin a tag${needsMigration(model) ? ", and the db:migrate Job's name carries it" : ""}. CI replaces it per release (\`kustomize edit set image\`). ${initialTag(model) ? "Default: the repo's current commit (short SHA)" : `The repo is not a git checkout, so no commit names the first image: default ${UNRELEASED_TAG}, a tag no image has, until the pipeline sets one`}; never latest`,
      default: initialTag(model)?.tag ?? UNRELEASED_TAG,
      // Any OCI tag: the db:migrate Job's name carries a validated, shortened form of it plus a
      // hash of its inputs (emitters/kustomize/migration-job.ts), so the tag itself need not be a name.
      format: "image-tag",
      source: model.stages.find((s) => s.variables["branch"])?.variables["branch"]?.source ?? model.name.source,
    },
  ];

  // Same fallback as the Kustomize emitter: an app without stages still gets one overlay.
  const stages = model.stages.length ? model.stages : [{ name: "production", source: model.name.source, variables: {}, servers: [] } as Stage];
  for (const st of stages)
    gaps.push({
      id: `stage.${st.name}.namespace`,
      question: `Which Kubernetes namespace does stage ${st.name} deploy to?`,
      why: `each Capistrano stage becomes one overlay (${k8sOverlay(st.name)}); stages ran on separate servers, so each gets its own namespace (default <app>-<stage>)`,
      default: stageInstance(app, st.name),
      format: "dns-label",
      source: st.source,
    });

  for (const st of model.stages) gaps.push(...capGaps(st, model.global?.templates ?? []));
  return gaps;
}

/** One gap per variable of the stage that was asked at deploy time or is unknown and used by an output. */
function capGaps(stage: Stage, templates: GlobalTemplate[]): Gap[] {
  const found = new Map<string, Gap>();
  // `asked` is filled by the Capistrano analyzer when it sees `ask`; read defensively.
  const asked = Array.isArray(stage.asked) ? stage.asked : [];
  for (const a of asked) {
    if (!a || typeof a.name !== "string") continue;
    // A hidden or secret-named answer (or one whose default is shaped like a secret: a token, a
    // webhook) is asked with a masked prompt, never saved nor printed, and its default (a value
    // written in the deploy config) is not offered.
    const secret = a.echo === false || looksSecretKey(a.name) || holdsSecretShape(a.default);
    const d = secret ? null : knownOrNull(a.default);
    found.set(a.name, {
      id: capAnswerId(stage.name, a.name),
      question: `Capistrano asked for :${a.name} at every deploy of stage ${stage.name}. Which value should the Kubernetes setup use?`,
      why: `\`ask :${a.name}\` made a person type it at each deploy${secret ? " (a secret: the answer is never saved or shown)" : d === null ? " and its default is not known statically" : `; its default was ${JSON.stringify(d)}`}; in the cluster it must come from the overlay, the image tag or a CI parameter`,
      default: d,
      source: a.source ?? stage.source,
      ...(secret ? { secret: true } : {}),
    });
  }

  const rendered = capVariablesUsed(templates, stage.name);
  const used = new Set([...READ_BY_EMITTERS, ...rendered.names]);
  // Only the unknown values can be gaps: picked first, so each of 10,000 stages sorts a few names, not all.
  const unknowns = Object.entries(stage.variables).filter(([, fact]) => isUnknown(fact.value));
  for (const [name, fact] of unknowns.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (found.has(name) || !isUnknown(fact.value)) continue;
    const v = fact.value;
    const viaAsk = /\bask\b/.test(`${v.unknown} ${v.expr ?? ""}`);
    // A template that rendered `fetch(:x)` holds x's own Unknown (same expression, same source).
    if (!viaAsk && !used.has(name) && !rendered.unknowns.has(JSON.stringify(v))) continue;
    // rails_env picks the stage's Rails environment (config, Global sections, sidekiq.yml): its
    // default is the stage name, what capistrano-rails falls back to, offered as such and not
    // taken silently.
    const railsEnv = name === "rails_env";
    found.set(name, {
      id: capAnswerId(stage.name, name),
      question: railsEnv ? `Which Rails environment (RAILS_ENV) does stage ${stage.name} run?` : `What is :${name} for stage ${stage.name}?`,
      why: `the analysis could not compute it (${v.unknown}${v.expr ? `: ${v.expr}` : ""}) and a generated file depends on it${railsEnv ? `; default: the stage name "${stage.name}", which capistrano-rails uses when rails_env is not set` : ""}`,
      default: railsEnv ? stage.name : null,
      source: v.source ?? fact.source,
    });
  }
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Capistrano variables a template renders for this stage (`fetch(:x)` left as a reference), and the Unknowns it holds. */
function capVariablesUsed(templates: GlobalTemplate[], stage: string): { names: string[]; unknowns: Set<string> } {
  const names: string[] = [];
  const unknowns = new Set<string>();
  const walk = (v: RValue): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, RValue>;
    if (typeof o.cap === "string") names.push(o.cap);
    if (typeof o.unknown === "string") {
      unknowns.add(JSON.stringify(v));
      for (const m of `${o.expr ?? ""}`.matchAll(/fetch\(?\s*:(\w+)/g)) names.push(m[1]!);
    }
    Object.values(o).forEach(walk);
  };
  for (const t of templates) if (t.rendered && stage in t.rendered) walk(t.rendered[stage]!);
  return { names, unknowns };
}

const isUnknown = (v: RValue): v is Unknown => v !== null && typeof v === "object" && !Array.isArray(v) && typeof (v as Unknown).unknown === "string";

/** A default the wizard can offer: a plain value, or null when it is not known statically. */
function knownOrNull(v: RValue | undefined): RValue {
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return null;
}
