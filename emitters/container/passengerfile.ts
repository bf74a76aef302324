// Passenger Standalone's settings in the pod: Passengerfile.json in the app directory (the only
// place `passenger start` looks for it) holds production's numbers as the image's defaults, and each
// stage's own go in its config.env as PASSENGER_* variables, which Passenger Standalone reads over
// the file (tested: test/appserver/passenger.test.ts). The pool size is per server on EC2 and per pod
// here, spread by the rule for large worker counts (kustomize/rules/web.ts workersPerPod).
import type { AppModel, EmitResult, Source } from "../../src/model.js";
import { passengerNumber, passengerSettingsFor, PASSENGER_DEFAULTS } from "../app-server.js";
import { MAX_WORKERS_PER_POD, podsPerServer, workersPerPod } from "../kustomize/rules/web.js";
import { productionStage } from "../kustomize/rules/stage.js";

export const PASSENGERFILE = "Passengerfile.json";

type Model = Pick<AppModel, "appServers" | "rails" | "webServer" | "stages">;

/** Keys written only when a file states them: Passenger's own default is what applies otherwise. */
const STATED_ONLY = ["max_requests", "pool_idle_time", "start_timeout", "max_request_queue_size", "friendly_error_pages"];

export interface PassengerValue {
  key: string;
  value: number | boolean;
  /** Where it came from, in words (file:line, or the labelled default, or the per-pod rule). */
  what: string;
  source: Source | null;
}

/** One stage's Passenger numbers as the pod runs them (null stage: production's, the image's). */
export function passengerValues(model: Model, stage: string | null): PassengerValue[] {
  const out: PassengerValue[] = [];
  const pool = passengerNumber(model, stage, "max_pool_size");
  const perPod = workersPerPod(pool.value);
  const said = (f: { defaultOf?: string; source: Source }, v: number) => (f.defaultOf ? `${v}, ${f.defaultOf}: no file in the repo sets it` : `${v} (${f.source.file}:${f.source.line})`);
  out.push({
    key: "max_pool_size",
    value: perPod,
    what: perPod === pool.value ? `max_pool_size ${said(pool, pool.value)}` : `max_pool_size ${perPod}: the servers' ${said(pool, pool.value)} per server, spread over ${podsPerServer(pool.value)} pods per server (at most ${MAX_WORKERS_PER_POD} processes a pod; the HPA minimum counts those pods)`,
    source: pool.defaultOf ? null : pool.source,
  });
  const min = passengerNumber(model, stage, "min_instances");
  const minPod = Math.min(min.value, perPod);
  out.push({ key: "min_instances", value: minPod, what: `min_instances ${minPod === min.value ? said(min, min.value) : `${minPod}: ${said(min, min.value)}, capped at the pod's pool size`}`, source: min.defaultOf ? null : min.source });
  const settings = passengerSettingsFor(model, stage);
  for (const key of STATED_ONLY) {
    const s = settings.get(key);
    if (s && (typeof s.value === "number" || typeof s.value === "boolean")) out.push({ key, value: s.value, what: `${key} from \`${s.directive}\` (${s.source.file}:${s.source.line})`, source: s.source });
  }
  return out;
}

/** The environment variable Passenger Standalone reads for a key. */
export const passengerEnvName = (key: string): string => `PASSENGER_${key.toUpperCase()}`;

/** Passengerfile.json: production's numbers, through the JSON encoder. */
export function emitPassengerfile(model: Model, out: Pick<EmitResult, "provenance" | "notes">): string {
  const prod = model.stages.length ? productionStage(model.stages)?.name ?? null : null;
  const values = passengerValues(model, prod);
  const body: Record<string, number | boolean> = {};
  for (const v of values) {
    body[v.key] = v.value;
    if (v.source) out.provenance.push({ output: PASSENGERFILE, what: v.what, source: v.source });
    else out.notes.push({ message: `${PASSENGERFILE}: ${v.what}` });
  }
  const unstated = STATED_ONLY.filter((k) => !values.some((v) => v.key === k) && k in PASSENGER_DEFAULTS).map((k) => `${k} ${PASSENGER_DEFAULTS[k]}`);
  if (unstated.length) out.notes.push({ message: `${PASSENGERFILE}: no file in the repo sets ${unstated.join(", ")}: Passenger's documented defaults apply, as they did on the servers` });
  const env = passengerSettingsFor(model, prod).get("environment");
  if (env) out.provenance.push({ output: PASSENGERFILE, what: `\`${env.directive}\`: the environment is each stage's PASSENGER_ENVIRONMENT (config.env), not a key of this file`, source: env.source });
  return JSON.stringify(body, null, 2) + "\n";
}
