// The kustomize emitter: k8s/base (everything the stages share) and k8s/overlays/<stage> (one per
// Capistrano stage). Mapping rules live in rules/ (one module per question, indexed in rules/README.md); each object kind has its own module; the edge
// has one module per target (edge/). Output is YAML in a stable key order, without timestamps.
import type { AppModel, Answers, EmitResult, EmittedFile } from "../../src/model.js";
import { K8S_BASE, k8sOverlay } from "../contract.js";
import { envFiles, stageEnv } from "./config.js";
import { cronJobs } from "./cronjobs.js";
import { edgeFileName, emitEdge } from "./edge/index.js";
import { edgeSpec } from "./edge/spec.js";
import { webHpa } from "./hpa.js";
import { KUSTOMIZE_CONFIG_FILE, MIGRATION_CONFIG_COMMENT, migrationFlow, migrationJob, migrationJobName, migrationOverlay } from "./migration-job.js";
import { createsNamespace, NAMESPACE_COMMENT, NAMESPACE_FILE, stageNamespace } from "./namespace.js";
import { webName } from "./names.js";
import { overlayKustomization, overlayPatches, PATCHES_FILE } from "./overlay.js";
import { webPdb, WORKER_PDB_COMMENT, workerPdb, workerPdbFile } from "./pdb.js";
import { dataDirs } from "./pod.js";
import { makePlan } from "./plan.js";
import { withPlacement } from "./placement.js";
import { appServerWorkers, MAX_WEB_PODS_FROM_SERVERS, podsPerServer, webPodsCapNote, webServerBasis } from "./rules/web.js";
import { defaultEdgeTarget } from "./rules/edge.js";
import { needsMigration } from "./rules/migration.js";
import { serverDotenvFiles } from "./rules/server-files.js";
import { SERVICE_PORT, webService } from "./service.js";
import { webDeployment } from "./web-deployment.js";
import { workerDeployment, workerFile, workerSpecs } from "./worker-deployment.js";
import { toYaml } from "./yaml.js";
import { marked } from "./marker.js";
import { applySecretsBackend, keptEnvFiles } from "./secrets-backend/index.js";
import { deployModePatches } from "../release/overlay.js";
import { leftOutNotes, webNotStarted } from "./left-out.js";

export function emitKustomize(model: AppModel, answers: Answers): EmitResult {
  const plan = makePlan(model, answers);
  const out: EmitResult = { files: [], provenance: [], notes: [] };
  const base = (f: string) => `${K8S_BASE}/${f}`;
  const files: EmittedFile[] = [];
  const baseResources: string[] = [];
  const add = (dir: string, name: string, objects: unknown[], comment?: string, list?: string[]) => {
    files.push({ path: `${dir}/${name}`, content: toYaml(withPlacement(objects), comment) });
    list?.push(name);
  };

  add(K8S_BASE, "web-deployment.yaml", [webDeployment(plan, out, base("web-deployment.yaml"))],
    `Web: the Rails app server${plan.sidecar ? " behind an nginx sidecar" : ""}. Overlays set grace period and resources per stage.`, baseResources);
  add(K8S_BASE, "service.yaml", [webService(plan)], undefined, baseResources);
  add(K8S_BASE, "hpa.yaml", [webHpa(plan, 1, 2)], "Bounds are set per stage by the overlays (minReplicas = the stage's web servers).", baseResources);
  add(K8S_BASE, "pdb.yaml", [webPdb(plan)], undefined, baseResources);
  const workers = workerSpecs(plan);
  for (const w of workers)
    add(K8S_BASE, workerFile(w), [workerDeployment(plan, w, out, base(workerFile(w)))], `${w.facts.label} worker. Overlays set replicas (the stage's worker servers), grace period and resources.`, baseResources);
  const migrate = needsMigration(model);
  if (migrate)
    add(K8S_BASE, "migration-job.yaml", [migrationJob(plan, out, base("migration-job.yaml"))],
      `db:migrate, one Job per release, run before the rollout. ${migrationFlow(plan, "k8s/overlays/<stage>", "<namespace>")}`, baseResources);
  const crons = cronJobs(plan, out, base("cronjobs.yaml"));
  if (crons.length)
    add(K8S_BASE, "cronjobs.yaml", crons.map((c) => c.object), `From whenever (${(model.cron!.files?.map((f) => f.file) ?? [model.cron!.file]).join(", ")}); time zone ${plan.cronTimeZone} (answer cron.time_zone).`, baseResources);
  files.push({
    path: base("kustomization.yaml"),
    content: toYaml([{ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: baseResources }], `${plan.app}: what every stage shares. Apply an overlay, not this.`),
  });

  const target = plan.edgeTarget;
  const edgeDefault = defaultEdgeTarget(model);
  out.provenance.push({ output: "k8s/overlays", what: `edge target ${target}${target === edgeDefault.target ? ` (default: ${edgeDefault.why})` : " (answer)"}`, source: edgeDefault.source ?? model.name.source });

  for (const sp of plan.stages) {
    const dir = k8sOverlay(sp.stage.name);
    const spec = edgeSpec(model, sp.stage, answers, plan.app);
    // No web server on the stage: no edge, no hosts (left-out.ts deletes the web objects).
    const noWeb = webNotStarted(model, sp.stage.name) !== null;
    if (noWeb) spec.hosts = [];
    const edgeFile = noWeb ? null : edgeFileName(target);
    const edge = noWeb ? { objects: [], comment: "", notes: [], provenance: [] } : emitEdge(target, {
      app: plan.app,
      stage: sp.stage.name,
      spec,
      answers,
      serviceName: webName(plan.app),
      servicePort: SERVICE_PORT,
      healthPath: plan.health.path,
      output: `${dir}/${edgeFile}`,
    });
    if (edgeFile) add(dir, edgeFile, edge.objects, edge.comment);
    out.notes.push(...edge.notes);
    out.provenance.push(...edge.provenance);
    const extra: string[] = [];
    if (createsNamespace(answers)) add(dir, NAMESPACE_FILE, [stageNamespace(plan, sp)], NAMESPACE_COMMENT, extra);
    for (const w of workers)
      if (w.stages[plan.stages.indexOf(sp)]!.replicas > 1) add(dir, workerPdbFile(w.component), [workerPdb(plan, w.name, w.component)], WORKER_PDB_COMMENT, extra);
    if (migrate) add(dir, KUSTOMIZE_CONFIG_FILE, [migrationOverlay(plan).config], MIGRATION_CONFIG_COMMENT);
    const kustomization = overlayKustomization(plan, sp, edgeFile, migrate, extra);
    (kustomization["patches"] as unknown[]).push(...deployModePatches(answers, migrate, migrate ? migrationJobName(plan) : undefined));
    const env = stageEnv(plan, sp, spec.hosts, out);
    const backend = applySecretsBackend(plan, sp, kustomization, env, out);
    files.push(...backend.files);
    add(dir, "kustomization.yaml", [kustomization],
      `Stage ${sp.stage.name} (${sp.stage.source.file}).${backend.envFiles ? "\nBefore the first build: cp secrets.env.example secrets.env and fill in the values (git-ignored)." : ""}${migrate ? `\n${migrationFlow(plan, dir, sp.namespace)}` : `\nkubectl apply -k ${dir}`}`);
    add(dir, PATCHES_FILE, overlayPatches(plan, sp, crons, workers), `Stage ${sp.stage.name}: what differs from base.`);
    if (!noWeb) out.provenance.push({ output: `${dir}/${PATCHES_FILE}`, what: `HPA minReplicas ${sp.minReplicas} from ${webServerBasis(sp.stage, plan.model.nginx)}${sp.appServer && podsPerServer(appServerWorkers(sp.appServer)) > 1 ? ` × ${podsPerServer(appServerWorkers(sp.appServer))} pods per server` : ""}${webPodsCapNote(sp.stage, plan.model.nginx, sp.appServer) ? ` (capped at ${MAX_WEB_PODS_FROM_SERVERS})` : ""}`, source: sp.stage.servers[0]?.source ?? sp.stage.source });
    const capped = !noWeb && webPodsCapNote(sp.stage, plan.model.nginx, sp.appServer);
    if (capped) out.notes.push(capped);
    const si = plan.stages.indexOf(sp);
    for (const w of workers)
      out.provenance.push({ output: `${dir}/${PATCHES_FILE}`, what: `${w.name} replicas ${w.stages[si]!.replicas} (${w.stages[si]!.replicasWhy})`, source: sp.stage.source });
    if (sp.minReplicas === 1 && !noWeb)
      out.notes.push({ message: `stage ${sp.stage.name}: one web server today, so one web pod at the HPA's minimum: a node drain evicts it (its PodDisruptionBudget allows one pod down, maxUnavailable 1, so drains are never blocked) and the stage serves nothing until the replacement is ready; raise minReplicas to 2 to serve through drains`, source: sp.stage.source });
    files.push(...keptEnvFiles(sp.stage.name, envFiles(sp.stage.name, env), backend));
  }
  for (const d of serverDotenvFiles(model))
    out.notes.push({ message: `${d.file} ${d.inRepo ? "is linked from shared/ (the servers' copy, not the repo's, was read)" : "lived only on the servers (linked from shared/)"} and ${d.loader} loads its ${d.loader === "Figaro" ? "keys into ENV" : "variables"} when the app boots: copy them from each stage's servers into that stage's k8s/overlays/<stage>/secrets.env (non-secret ones may go to config.env); ${d.inRepo ? "the image carries the repo's copy, not the servers'" : "the image does not carry the file"}`, source: d.source });
  for (const d of dataDirs(model))
    out.notes.push({ message: `linked dir ${d.path} held data on the servers; in the pod it is an emptyDir (lost on restart): move it to object storage or a PersistentVolumeClaim`, source: d.source });
  if (!model.stages.length) out.notes.push({ message: "no Capistrano stage found: one overlay named production was emitted", source: model.name.source });
  out.notes.push(...leftOutNotes(model));
  files.push({ path: "k8s/.gitignore", content: "# Per-stage secrets: values never go into git (see secrets.env.example).\noverlays/*/secrets.env\n" });
  // k8s/.gitignore is git's file, not Kustomize's: it is never deleted as stale, so it needs no marker.
  out.files = files.map((f) => (f.path.startsWith("k8s/base/") || f.path.startsWith("k8s/overlays/") ? marked(f) : f));
  return out;
}
