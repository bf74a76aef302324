// Per-stage settings as env files: config.env (committed, non-secret) feeds the ConfigMap generator,
// secrets.env (git-ignored, values only where the repo already held them) feeds the Secret generator,
// and secrets.env.example (committed) lists its keys without values. Containers read both via envFrom.
import type { EmitResult, EmittedFile } from "../../src/model.js";
import { configEnvFile, secretEnvExample, secretEnvFile } from "../contract.js";
import { answerList } from "./answers.js";
import type { Plan, StagePlan } from "./plan.js";
import { defaultEnv, isSecretName, numberOf, secretKeys, serverOnlyFiles } from "./rules.js";

/** The env var holding the stage's hosts (comma-separated), for `config.hosts` and URL helpers. */
export const HOSTS_ENV = "APP_HOSTS";

export interface StageEnv {
  config: [string, string][];
  secrets: [string, string][];
}

const envSafe = (v: string) => !/[\r\n]/.test(v);

export function stageEnv(plan: Plan, sp: StagePlan, hosts: string[], out: EmitResult): StageEnv {
  const keys = answerList(plan.answers, "secret.keys", secretKeys(plan.model));
  const secretSet = new Set(keys);
  const config = new Map<string, string>();
  const secrets = new Map<string, string>(keys.map((k) => [k, ""]));
  const cfg = configEnvFile(sp.stage.name);
  const sec = secretEnvFile(sp.stage.name);
  /** Puts a variable in the file it belongs to, and says which (for the provenance). */
  const put = (name: string, value: string | null, secret: boolean): string => {
    if (secret || secretSet.has(name) || isSecretName(name)) {
      if (value !== null && envSafe(value)) secrets.set(name, value);
      else if (!secrets.has(name)) secrets.set(name, "");
      return sec;
    }
    if (value !== null && envSafe(value)) config.set(name, value);
    return cfg;
  };
  config.set("RAILS_ENV", sp.railsEnv);
  config.set("RAILS_LOG_TO_STDOUT", "true");
  // Without nginx in the pod, Rails serves the precompiled assets itself.
  if (!plan.sidecar) config.set("RAILS_SERVE_STATIC_FILES", "true");
  config.set(HOSTS_ENV, hosts.join(","));
  // The image runs one server config; each stage keeps its own capacity and timeout through ENV.
  const workers = numberOf(sp.appServer?.workers?.value);
  if (workers !== null && sp.appServer?.workers) {
    const n = Math.round(workers);
    config.set("WEB_CONCURRENCY", String(n));
    out.provenance.push({ output: cfg, what: `WEB_CONCURRENCY=${n} (this stage's ${plan.kind === "puma" ? "workers" : "worker_processes"})`, source: sp.appServer.workers.source });
  }
  if (plan.kind === "unicorn") {
    config.set("UNICORN_TIMEOUT", String(sp.webTimeout.seconds));
    if (sp.webTimeout.source) out.provenance.push({ output: cfg, what: `UNICORN_TIMEOUT=${sp.webTimeout.seconds} (this stage's timeout; the grace period follows it)`, source: sp.webTimeout.source });
  }
  for (const e of defaultEnv(sp.stage)) {
    out.provenance.push({ output: put(e.name, e.value, false), what: `${e.name} (Capistrano default_env)`, source: e.source });
  }
  // Global values that config_for now reads from ENV: secrets, stage-varying and server-only ones.
  for (const e of plan.config.env) {
    if (e.stage !== sp.stage.name) continue;
    const output = put(e.name, e.value, e.secret);
    if (e.source) out.provenance.push({ output, what: `${e.name} (${e.path}: ${e.why})`, source: e.source });
  }
  for (const f of serverOnlyFiles(plan.model))
    out.provenance.push({ output: sec, what: `${f.env}: ${f.file} lived only on the servers (linked_files); fill it from stage ${sp.stage.name}'s own servers`, source: f.source });
  for (const k of config.keys()) secrets.delete(k);
  return { config: [...config], secrets: [...secrets].sort(([a], [b]) => a.localeCompare(b)) };
}

export function envFiles(stage: string, env: StageEnv): EmittedFile[] {
  const header = (what: string) => `# Stage ${stage}: ${what}\n`;
  return [
    {
      path: configEnvFile(stage),
      content: header("non-secret settings (committed), read by the configMapGenerator in kustomization.yaml.") + env.config.map(([k, v]) => `${k}=${v}\n`).join(""),
    },
    {
      path: secretEnvFile(stage),
      content: header("secrets (git-ignored: never commit this file), read by the secretGenerator in kustomization.yaml.") + env.secrets.map(([k, v]) => `${k}=${v}\n`).join(""),
      secret: true,
    },
    {
      path: secretEnvExample(stage),
      content: header("the keys of secrets.env, without values (committed). Copy to secrets.env and fill in.") + env.secrets.map(([k]) => `${k}=\n`).join(""),
    },
  ];
}
