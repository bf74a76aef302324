// MIGRATION.md: the migration explained to the team that runs it. A pure function of the model,
// the answers and what the other emitters produced: where each generated value came from, how
// each question was answered, the hazards with advice, what was not carried over, and the
// cut-over checklist. Never a secret value: secret gaps show no answer, secret files no content.
import { capAbortShort } from "./kustomize/left-out.js";
import type { Answers, AppModel, EmitResult, EmittedFile, Gap, RValue, Source, WorkerFacts } from "../src/model.js";
import { isExampleFile, isRetiredCopy, railsEnvOf, SIDEKIQ_PLAIN_ENTRY } from "../src/model.js";
import { mongoidEnvKeys, mongoidSection, mongoidWords } from "../src/model/mongoid-words.js";
import { appName, migrationName, webName, workerName } from "./kustomize/names.js";
import { configEnvFile, k8sOverlay, K8S_BASE, NGINX_SIDECAR_DOCKERFILE, secretEnvFile } from "./contract.js";
import { CRON_GRACE_SECONDS, MIGRATION_GRACE_SECONDS } from "./kustomize/rules/shutdown.js";
import { mongoidOnly } from "./kustomize/rules/migration.js";
import { serverOnlyFiles, serversDatabaseLines } from "./kustomize/rules/server-files.js";
import { dataDirs } from "./kustomize/pod.js";
import { PDB_RULE } from "./kustomize/pdb.js";
import { edgeHosts } from "./kustomize/edge/spec.js";
import { answerString } from "./kustomize/answers.js";
import { defaultEdgeTarget } from "./kustomize/rules/edge.js";
import { isPlaceholderHost, mailerHostSuggestion, exampleHostSuggestion, sharedHostSuggestion } from "./kustomize/rules/hosts.js";
import { isSingletonWorker, processPerPodRule } from "./kustomize/rules/workers.js";
import { stagesOf } from "./kustomize/plan.js";
import { workerCommandLine, workerDeploymentName, workerFileOf, workersOf } from "./kustomize/worker-deployment.js";
import { mdCell, mdCode, mdText } from "./encode/markdown.js";
import { secretsGuide } from "./release/guide.js";
import { secretsBackend, type SecretsBackend } from "./release/secrets-backend.js";
import { conditionHolds } from "../src/model/answers.js";
import { backingServiceSummary } from "./backing-services.js";
import { WEB_NUMBER_ID } from "./app-server.js";
import { envDefaultAddresses } from "../src/model/env-default-addresses.js";

export const MIGRATION_GUIDE = "MIGRATION.md";

export interface EmitterOutput {
  name: string;
  result: EmitResult;
}

// An example copy (config/nginx.conf.example) is said to be one wherever a value from it is cited.
const at = (s: Source | undefined | null): string => (s ? `${s.file}${s.line ? `:${s.line}` : ""}${isRetiredCopy(s.file) ? " (a retired copy)" : isExampleFile(s.file) ? " (an example file)" : ""}` : "");
// Every value (and every message that may carry one) goes through the Markdown encoder: code spans
// in table cells escape `|` too, prose keeps our own code spans but cannot open structure.
const code = (s: string): string => mdCode(s);
const tcode = (s: string): string => mdCode(s, true);
const cell = mdCell;
const text = mdText;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** An answer as one line of Markdown. */
export function showValue(v: RValue | undefined, inTable = false): string {
  if (v === undefined || v === null) return "(none)";
  return mdCode(typeof v === "string" ? v : JSON.stringify(v), inTable);
}

const sameValue = (a: RValue | undefined, b: RValue | undefined): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * A generated file the team edited and kept (src/consistency.ts): the guide names what its new
 * version, written beside it, changes and which files just written hold the new values.
 */
export interface KeptFile {
  path: string;
  beside: string;
  disagreements: { key: string; yours: string | null; generated: string | null; alsoIn: string[] }[];
  related: string[];
}

export function emitMigrationGuide(model: AppModel, answers: Answers, outputs: EmitterOutput[], kept: KeptFile[] = []): EmittedFile {
  const app = appName(model);
  const files = outputs.flatMap((o) => o.result.files.map((f) => ({ ...f, by: o.name })));
  const has = (path: string) => files.some((f) => f.path === path);
  const out: string[] = [];
  const p = (...lines: string[]) => out.push(...lines);

  p(
    `# Moving ${text(model.name.value)} to Kubernetes`,
    "",
    "Written by `rails2k8s migrate` from the repo as it stands and the answers in `.rails2k8s.yml`.",
    "Re-running it regenerates this file and the others; a generated file you edited is never overwritten",
    "silently (it shows as a conflict). Secret values appear nowhere in this file.",
    "",
  );

  // --- stages the locked Capistrano aborts: first, as everything below about them rests on files no deploy ran with
  const aborted = model.stages.filter((s) => s.capAborts);
  if (aborted.length) {
    p("## Stages no deploy ran as the repo stands", "");
    for (const s of aborted) p(`- **${text(s.name)}**: ${text(capAbortShort(s))}. ${code(at(s.capAborts!.source))}: ${text(s.capAborts!.message)}`);
    p("");
  }

  // --- what was generated
  p("## What was generated", "");
  for (const o of outputs) {
    if (!o.result.files.length) continue;
    p(`### ${o.name}`, "");
    for (const f of [...o.result.files].sort((a, b) => cmp(a.path, b.path)))
      p(`- ${code(f.path)}${f.secret ? " — holds secret values: git-ignored, fill it in by hand, never commit it" : ""}`);
    p("");
  }

  // --- the codemod: counted from the code as it stands (Global sites to rewrite + ones already
  // rewritten), so the guide reads the same before and after the edit
  const manual = (model.globalCalls ?? []).filter((c) => c.manual);
  if (manual.length) {
    p("### Global reads to change by hand", "", "The codemod rewrites `Global.<namespace>...` only; these read Global another way (or sit in a view). Change each to `Rails.configuration.x...` before removing the gem:", "");
    for (const c of [...manual].sort((a, b) => cmp(a.file, b.file) || a.line - b.line)) p(`- ${code(`${c.file}:${c.line}`)} — ${code(c.expr)}`);
    p("");
  }
  const sites = callSitesByFile(model);
  if (sites.length) {
    p("### Global call sites", "", "Left as they are by `migrate`; `rails2k8s switch-config` rewrites them from `Global.<namespace>` to `Rails.configuration.x.<namespace>` once every server proved the new config equal (found with Prism; strings and comments are left alone):", "");
    for (const [file, n, first] of sites) p(`- ${code(file)} — ${n} call site${n === 1 ? "" : "s"}, from line ${first}`);
    p("");
  }

  // --- provenance
  const prov = outputs.flatMap((o) => o.result.provenance);
  if (prov.length) {
    p("## Where each value came from", "", "| generated file | what | from |", "| --- | --- | --- |");
    const rows = prov
      .map((x) => `| ${tcode(x.output)} | ${cell(x.what)} | ${tcode(at(x.source))} |`)
      .sort(cmp);
    p(...[...new Set(rows)], "");
  }

  // --- gaps and answers
  if (model.gaps.length) {
    p("## Questions and answers", "", "What the repo did not say, and what was decided (edit `.rails2k8s.yml` and re-run to change it).", "");
    p("| question | id | answer | how |", "| --- | --- | --- | --- |");
    for (const g of model.gaps) p(gapRow(g, answers));
    p("");
  }

  // --- hazards
  // A hazard of some edge targets only (hosts.wildcard-depth: ingress-nginx) is no hazard on the answered one.
  const edge = answerString(answers, "edge.target", defaultEdgeTarget(model).target);
  const hazards = model.hazards.filter((h) => !h.edgeTargets || h.edgeTargets.includes(edge));
  if (hazards.length) {
    p("## Hazards of the move", "");
    for (const h of hazards) p(`- **${text(h.message)}** (${code(at(h.source))})`, `  ${text(h.advice)}`);
    p("");
  }

  // --- addresses that are only an ENV read's fallback: the pod sets the variable
  const fromEnv = envDefaultAddresses(model);
  if (fromEnv.length) {
    p("## Variables each pod must set (their fallback is the machine itself)", "");
    for (const x of fromEnv) p(`- ${text(x.message)} (${code(at(x.source))})`);
    p("");
  }

  // --- notes
  const notes = outputs.flatMap((o) => o.result.notes.map((n) => ({ ...n, by: o.name })));
  if (notes.length) {
    p("## Not carried over, or to check", "");
    for (const n of notes) p(`- ${text(n.message)}${n.source ? ` (${code(at(n.source))})` : ""}`);
    p("");
  }

  // --- problems reading the repo
  if (model.problems.length) {
    p("## Files the analysis could not read fully", "");
    for (const pr of model.problems) p(`- ${code(at(pr))}: ${text(pr.message)}`);
    p("");
  }

  // --- secrets at rest (external-secrets, sops): how the servers' values reach the store
  p(...secretsGuide(model, answers));

  // --- workers: each job runner the servers ran, carried or not
  const workers = workersOf(model);
  const carried = workers.filter((w) => w.carried && has(`${K8S_BASE}/${workerFileOf(w)}`));
  const inWeb = workers.filter((w) => !carried.includes(w) && w.inWeb);
  const missing = workers.filter((w) => !carried.includes(w) && !w.inWeb && !w.notStarted);
  const unstarted = workers.filter((w) => !carried.includes(w) && w.notStarted);
  const uncarried = model.uncarried ?? [];
  if (workers.length || uncarried.length) {
    p("## Workers", "");
    for (const w of carried) {
      const from =
        w.commandFrom === "standard"
          ? `the backend's standard command${w.commandNote ? ` (${text(w.commandNote)})` : ""}`
          : w.commandFrom === "sidekiq"
            ? w.sidekiqOptions?.line
              ? "Sidekiq's own start line, its options over its config file"
              : w.sidekiqOptions?.words.length
              ? "Sidekiq's config and capistrano-sidekiq's sidekiq_options_per_process"
              : `Sidekiq's config`
            : w.commandFrom === "capistrano"
              ? /^the deploy's own task/.test(w.commandNote ?? "")
                ? text(w.commandNote!)
                : `the Capistrano plugin's settings${w.commandNote ? ` (${text(w.commandNote)})` : ""}`
              : w.commandFrom === "procfile"
                ? "the Procfile"
                : `a service file${w.commandNote ? ` (${text(w.commandNote)})` : ""}`;
      p(
        `- ${code(`deployment/${workerDeploymentName(app, w)}`)}: ${text(w.label)}, ${w.commandFrom === "sidekiq" ? `\`sidekiq\` with ${sidekiqConfigText(model, w)}${sidekiqOptionsText(w)}` : code(workerCommandLine(w))} (from ${from}${w.commandSource ? `, ${code(at(w.commandSource))}` : ""})` +
          `${w.queues.length ? `; queues ${w.queues.map(code).join(", ")}` : ""}${perStageText(w)}${unitServersText(model, w)}${processPerPodRule(w.backend) ? `; ${text(processPerPodRule(w.backend)!)}` : ""}${isSingletonWorker(w.backend) ? "; exactly one pod on every stage, replaced with Recreate, never scaled (a scheduler: two would enqueue each due job twice)" : w.singleton ? `; exactly one pod on every stage, replaced with Recreate, never scaled (${text(w.singleton)})` : ""}${w.ports?.length ? `; listens on ${w.ports.map((x) => `${code(String(x.port))} (${code(at(x.source))})`).join(", ")}: ${w.ports.some((x) => x.websocket) ? "its websocket clients" : "its clients"} reach it only through a Service and a route of their own, which rails2k8s does not write: add them before the cutover` : ""}${w.liveness && "none" in w.liveness ? `; no probe: ${text(w.liveness.none)}` : ""}; stops on ${code(`SIG${w.stopSignal}`)} sent by its preStop hook, ${w.stopTimeout.seconds}s to drain${w.stopTimeout.source ? "" : " (default)"}, then the grace period ends it: ${text(w.drain)}.${inWorkerSchedulesText(w)}`,
      );
    }
    for (const line of unusedSidekiqOptions(model)) p(line);
    for (const w of inWeb)
      p(
        `- ${text(w.label)}: no Deployment, it ran inside the web server (${text(w.inWeb!.why)}, ${code(at(w.inWeb!.source))}). The web pods now run its jobs too: their grace period bounds how long a running job gets when a pod stops (a longer job is cut and runs again), and their probes check HTTP only, not the job threads. Its EC2 workers stop with the web servers.`,
      );
    for (const w of missing) p(`- **Not carried**: ${text(w.label)}: ${text(w.why ?? "no Deployment was generated for it")}${w.evidence[0] ? ` (${code(at(w.evidence[0].source))})` : ""}. Its EC2 workers must keep running.`);
    for (const u of uncarried)
      p(
        u.devOnly
          ? `- Not run: ${code(u.name)} (${code(u.command)}, ${code(at(u.source))}): ${text(u.why)}.`
          : u.replacedByWeb
          ? `- Web server: ${code(u.name)} (${code(u.command)}, ${code(at(u.source))}): ${text(u.why)}.`
          : `- **Not carried**: ${code(u.name)} (${code(u.command)}, ${code(at(u.source))}): ${text(u.why)}. Keep it running on the servers until a Deployment you write runs it.`,
      );
    for (const w of unstarted) p(`- ${text(w.label)}: no Deployment: ${text(w.why ?? "")}${w.evidence[0] ? ` (${code(at(w.evidence[0].source))})` : ""}. If the servers did run its workers some other way, add a Deployment running ${code(workerCommandLine(w))} before stopping them.`);
    p("");
  }

  // --- datastores the deploy started on the servers: no manifest runs them, the cluster must provide each
  if (model.services?.length) {
    p("## Backing services the cluster must provide", "", "The deploy started these on the servers; nothing written here runs them. Provide each (managed, or your own StatefulSet) before the cutover, and point the app at it.", "");
    for (const sv of model.services) {
      const sum = backingServiceSummary(sv);
      p(`- ${text(sum.title)}: started by ${code(sv.command)} (${code(at(sv.source))}${sv.via ? `, command from ${code(at(sv.via))}` : ""})${sv.config ? `; config ${code(sv.config.file)} (${text(sv.config.how)})` : ""}. Needs ${text(sum.needs)}.`);
      for (const x of sum.settings) p(`  - ${text(x)}`);
      if (sv.config?.linked) p(`  - ${code(sv.config.file)} was a linked file (${code(at(sv.config.linked))}): the servers ran their shared/ copy; compare it with the repo's.`);
    }
    p("");
  }

  // --- how each process stops (kustomize/rules/shutdown.ts): the kubelet runs the preStop hook, then sends
  // the image's STOPSIGNAL, then SIGKILL when the grace period ends.
  const hasCron = files.some((f) => f.path === `${K8S_BASE}/cronjobs.yaml`);
  const hasMigrationJob = has(`${K8S_BASE}/migration-job.yaml`);
  p(
    "## How each process stops",
    "",
    "- Web: the preStop hook sleeps while the pod leaves the Service's endpoints; behind the nginx sidecar nginx quits first (stops accepting, finishes what it accepted) and the app server waits for it before it closes its listener (Unicorn: QUIT, its graceful stop; Puma: TERM). The grace period covers the sleep plus the app server's timeout.",
    ...(carried.length ? ["- Workers: the preStop hook sends each backend its own drain signal (listed above) and waits for it to exit, so the image's STOPSIGNAL never reaches a worker; the grace period exceeds the backend's drain timeout."] : []),
    ...(hasMigrationJob ? [`- The migration Job: no signal; its preStop waits for the migration to finish (grace period ${MIGRATION_GRACE_SECONDS}s, its deadline), since a migration cut halfway can leave the schema half-changed.`] : []),
    ...(hasCron ? [`- CronJobs: no signal; a run gets ${CRON_GRACE_SECONDS}s (a default) to finish when its node drains.`] : []),
    ...(has(`${K8S_BASE}/pdb.yaml`) ? [`- ${PDB_RULE}`] : []),
    "",
  );

  // --- cut-over checklist
  const stages = model.stages.length ? model.stages.map((s) => s.name) : ["production"];
  const ns = (stage: string) => {
    const v = answers[`stage.${stage}.namespace`];
    return typeof v === "string" && v ? v : `${app}-${stage}`;
  };
  const repo = typeof answers["image.repository"] === "string" ? (answers["image.repository"] as string) : `registry.example.com/${app}`;
  const secretFiles = files.filter((f) => f.secret).map((f) => f.path).sort();
  const hasJob = has(`${K8S_BASE}/migration-job.yaml`);
  const verifies = files.some((f) => f.content.includes("rails2k8s:verify_config"));
  const steps: string[] = [];
  const sidecarImage = has(NGINX_SIDECAR_DOCKERFILE);
  const serverOnly = serverOnlyFiles(model);
  steps.push(
    sidecarImage
      ? `**Build and push the images** from the repo root: ${code(`docker build -t ${repo}:<tag> .`)} and ${code(`docker build -f ${NGINX_SIDECAR_DOCKERFILE} --build-arg APP_IMAGE=${repo}:<tag> -t ${repo}-nginx:<tag> .`)}, then ${code(`docker push ${repo}:<tag>`)} and ${code(`docker push ${repo}-nginx:<tag>`)}; set every image of the release in each overlay with one command (${code(`kustomize edit set image ${app}=${repo}:<tag> ${app}-nginx=${repo}-nginx:<tag>`)} in ${stages.map((s) => code(k8sOverlay(s))).join(", ")}).`
      : `**Build and push the image** from the repo root: ${code(`docker build -t ${repo}:<tag> .`)} then ${code(`docker push ${repo}:<tag>`)}; set the tag in each overlay (${code(`kustomize edit set image ${app}=${repo}:<tag>`)} in ${stages.map((s) => code(k8sOverlay(s))).join(", ")}).`,
  );
  steps.push(
    secretFiles.length
      ? `**Fill the secret files** (git-ignored, from the values the servers have today): ${secretFiles.map(code).join(", ")}. Each has a committed ${code(".example")} listing the keys. Never commit them.` +
          (serverOnly.length
            ? ` ${serverOnly.map((f) => `${code(f.env)} replaces ${code(f.file)}${f.railsEnv ? ` on the stages running ${text(f.railsEnv)}` : ""}, which only the servers had`).join("; ")}: take each stage's value from that stage's own servers (production's from a production server), and check the host and database name in each overlay before applying it.`
            : "")
      : secretsBackend(answers) !== "env-files"
        ? `**Load the secrets into the ${secretsBackend(answers) === "sops" ? "SOPS-encrypted files" : "secret store"}** from each stage's servers, as "Secrets at rest" shows; no plaintext secrets.env is written.`
        : "**Secrets**: no secret file was generated; check that the app reads no secret the cluster lacks.",
  );
  // What each stage's servers' own database config named: the database the stage's overlay must reach.
  const dbLines = stages.flatMap((st) => serversDatabaseLines(model, st, { quote: code, cite: code, text }).map((d) => `stage ${text(st)}: ${d.line}${d.env ? ` (its ${code(d.env)} in ${code(secretEnvFile(st))})` : ""}`));
  // Mongoid's connection per stage: what its mongoid.yml reads from ENV (in secrets.env, to fill in) and writes itself.
  for (const st of stagesOf(model)) {
    const mg = model.rails.mongoid;
    const sec = mongoidSection(mg, railsEnvOf(st));
    if (!mg || !sec || !sec.clients.length) continue;
    const keys = mongoidEnvKeys(mg, railsEnvOf(st)).map((r) => r.env);
    dbLines.push(`stage ${text(st.name)}: ${code(mg.file)}, section ${code(sec.railsEnv)}: ${mongoidWords(mg, sec, { quote: code, cite: code, text })}${keys.length ? ` (${keys.map(code).join(", ")} in ${code(secretEnvFile(st.name))}: to fill in from that stage's servers, never guessed)` : ""}`);
  }
  if (dbLines.length)
    steps.push(`**Point each stage at the database its servers used**, read from the repo's copy of their config (never the password): ${dbLines.join("; ")}. Confirm each on a server of the stage before the cutover, and from a pod with ${code("rails runner")} that ActiveRecord (or Mongoid) connects there.`);
  // Hosts no evidence named: the edge routes a placeholder that never resolves until they are answered.
  const unnamed = stagesOf(model).flatMap((st) => edgeHosts(model, st, answers, app).filter(isPlaceholderHost).map((h) => ({ stage: st.name, host: h })));
  for (const u of unnamed)
    steps.push(
      `**Fill in the hosts of stage ${text(u.stage)}**: no evidence in the repo names them, so its edge routes ${code(u.host)}, a placeholder that never resolves. Answer ${code(`stage.${u.stage}.hosts`)} in ${code(".rails2k8s.yml")} with the real host names and run ${code("rails2k8s migrate")} again.`,
    );
  // Web numbers no repo file holds: the pods run the server's defaults until they are answered.
  const heldNumbers = new Map<string, Gap[]>();
  for (const g of model.gaps) {
    const m = WEB_NUMBER_ID.exec(g.id);
    // src/migrate.ts drops `placeholder` from a question someone answered (even with the default).
    if (!m || !g.placeholder) continue;
    heldNumbers.set(m[1]!, [...(heldNumbers.get(m[1]!) ?? []), g]);
  }
  for (const [stage, gs] of heldNumbers)
    steps.push(
      `**Fill in the web server's numbers of stage ${text(stage)}**: the config that held them is not in the repo (${[...new Set(gs.map((g) => at(g.source)))].map(code).join(", ")}), so its pods run the server's defaults as placeholders: ${gs.map((g) => `${code(g.id)} = ${code(JSON.stringify(answers[g.id] ?? g.default))}`).join(", ")}. Read the real values from that stage's servers, answer them in ${code(".rails2k8s.yml")} (and ${code("resources.web")} to match the workers), and run ${code("rails2k8s migrate")} again (a default a server shows too is confirmed by uncommenting its line there).`,
    );
  // Hosts only the mailer named: routed as given, but they may be another app's (confirm them), until
  // someone answers the question (src/migrate.ts then no longer marks it a suggestion).
  for (const st of stagesOf(model)) {
    const mailer = mailerHostSuggestion(model, st);
    if (mailer && hostsSuggested(model, st.name) && edgeHosts(model, st, answers, app).includes(mailer.host))
      steps.push(
        `**Confirm the hosts of stage ${text(st.name)}**: its edge routes ${code(mailer.host)}, which only the mailer's ${code("action_mailer.default_url_options")} names (${code(at(mailer.source))}); mail may link to another app (an admin app's mail points at the public site), and routing that host would take its traffic. Answer ${code(`stage.${st.name}.hosts`)} in ${code(".rails2k8s.yml")} with this stage's own host names (or with this one once you know it is this app's) and run ${code("rails2k8s migrate")} again.`,
      );
    const shared = sharedHostSuggestion(model, st);
    if (shared && hostsSuggested(model, st.name) && shared.hosts.every((h) => edgeHosts(model, st, answers, app).includes(h)))
      steps.push(
        `**Confirm which stage answers ${shared.hosts.map(code).join(", ")}**: stage ${text(st.name)}'s edge routes ${shared.hosts.length > 1 ? "them" : "it"}, as ${code(at(shared.source))} names, a file the deploys of stages ${shared.stages.map((s) => text(s)).join(", ")} all render, so no one stage's own. Answer ${code(`stage.${st.name}.hosts`)} (and the other stages' hosts questions) in ${code(".rails2k8s.yml")} with each stage's own host names and run ${code("rails2k8s migrate")} again.`,
      );
    const example = exampleHostSuggestion(model, st);
    const routed = example && hostsSuggested(model, st.name) ? edgeHosts(model, st, answers, app) : [];
    if (example && example.hosts.every((h) => routed.includes(h)))
      steps.push(
        `**Confirm the hosts of stage ${text(st.name)}**: its edge routes ${example.hosts.map(code).join(", ")}, which only an example copy of the nginx config names (${code(at(example.source))}); an example is edited before use and may name another deployment's host. Answer ${code(`stage.${st.name}.hosts`)} in ${code(".rails2k8s.yml")} with this stage's own host names (or with these once you know they are this deployment's) and run ${code("rails2k8s migrate")} again.`,
      );
  }
  // Data the servers shared between releases (linked_dirs such as public/uploads): an emptyDir in
  // the pod, so its files would be lost at every restart and differ between pods.
  for (const d of dataDirs(model))
    steps.push(
      `**Move ${code(d.path)} off the servers' disk** (a linked dir shared by every release${d.stages.length ? ` on ${d.stages.map((s) => text(s)).join(", ")}` : ""}, ${code(at(d.source))}): in the pods it is an emptyDir, so files written there are lost at each restart and not shared between pods. ` +
        `Move it to object storage (Active Storage or your upload gem's S3 backend) or to a PersistentVolumeClaim (ReadWriteMany when several pods write), and copy the existing files from each stage's servers (${code(`shared/${d.path}`)} under the deploy path) before the switch.`,
    );
  // Shared dirs the analysis cannot class (not data, cache, logs or pids): not mounted in the pods.
  for (const d of model.linked.filter((l) => l.kind === "dir" && l.class === "other"))
    steps.push(
      `**Decide where ${code(d.path)} goes** (a linked dir shared by every release${d.stages.length ? ` on ${d.stages.map((s) => text(s)).join(", ")}` : ""}, ${code(at(d.source))}; rails2k8s cannot tell what it holds): the pods do not mount it and their root filesystem is read-only, so writes there fail. ` +
        `If it holds data, move it to object storage or a PersistentVolumeClaim and copy the files from each stage's servers; if it is a cache, mount an emptyDir in ${code(`${K8S_BASE}/web-deployment.yaml`)}.`,
    );
  // Every change to the team's own code: the codemod's files, counted from the code as it stands
  // (rewritten or still to rewrite), so the step reads the same before and after the edit.
  const changedCode = [...new Set([...sites.map(([f]) => f), ...outputs.flatMap((o) => (o.result.patches ?? []).map((x) => x.path))])].sort(cmp);
  if (verifies) {
    const servers = model.stages.flatMap((s) => s.servers.map((sv) => `${code(sv.host)} (${text(s.name)})`));
    steps.push(...verifyThenSwitchSteps(model, servers, secretsBackend(answers)));
  } else
    steps.push(
      `**Verify the config on every server before the switch**: no Global config was migrated, so there is no ${code("bin/rails rails2k8s:verify_config")} task; compare the env files with each server's environment by hand.`,
    );
  // The only change to the team's own code: what switch-config rewrites, after every server verified.
  if (changedCode.length)
    steps.push(
      `**Review the app code the switch changes**: ${code("rails2k8s switch-config")} rewrites ${"`Global.<namespace>`"} reads to ${"`Rails.configuration.x.<namespace>`"} in ${changedCode.map(code).join(", ")} (migrate itself changed none). Run the app's tests on that change, commit it with the generated files, and build and push the images again from that commit: the pods must run the switched code.`,
    );
  // The migration Job is one per release: its name ends with the hash of its inputs (image, config.env, secrets.env).
  const nsInOverlay = files.some((f) => f.path.startsWith("k8s/overlays/") && f.path.endsWith("/namespace.yaml"));
  const perStage = (s: string) => {
    const n = ns(s);
    const lines = [`  - ${text(s)} (namespace ${code(n)}): ${nsInOverlay ? "the overlay creates the namespace (Pod Security restricted enforced)" : `${code(`kubectl create namespace ${n}`)} once (or ask the platform team for it, labelled pod-security.kubernetes.io/enforce=restricted)`}, then`];
    if (hasJob)
      lines.push(
        `    ${code(`kubectl apply -k ${k8sOverlay(s)} -l 'app.kubernetes.io/component in (namespace,config)'`)},`,
        `    ${code(`job=$(kubectl apply -k ${k8sOverlay(s)} -l app.kubernetes.io/component=migration -o name)`)} (a new Job whenever the image${secretsBackend(answers) === "env-files" ? ", config.env or secrets.env" : " or config.env"} changed; an unchanged release leaves the finished one as it is),`,
        `    ${code(`kubectl -n ${n} wait --for=condition=complete --timeout=30m "$job"`)} (on failure read ${code(`kubectl -n ${n} logs "$job"`)} and stop; finished Jobs delete themselves after a day),`,
      );
    lines.push(`    ${code(`kubectl apply -k ${k8sOverlay(s)}`)},`);
    const rolled = carried.map((w) => code(`deployment/${workerDeploymentName(app, w)}`));
    lines.push(`    ${code(`kubectl -n ${n} rollout status deployment/${webName(app)}`)}${rolled.length ? ` and ${rolled.join(", ")}` : ""}.`);
    return lines.join("\n");
  };
  steps.push(
    `**Apply the overlay, ${hasJob ? "run the migration Job and wait for it, " : ""}then watch the rollout** (the pods must pass their probes), production last:\n${rehearsalOrder(stages).map(perStage).join("\n")}` +
      (hasJob
        ? ""
        : mongoidOnly(model)
          ? "\n  No migration Job was generated, and none is needed: the app's database is MongoDB (mongoid in Gemfile.lock, no ActiveRecord database), which has no ActiveRecord migrations."
          : "\n  No migration Job was generated: run `bin/rails db:migrate` once against the database before the new pods serve."),
  );
  const stopWorkers = carried.length
    ? ` and stop their ${[...new Set(carried.map((w) => text(w.label)))].join(", ")} workers only once the cluster runs its own (${carried.map((w) => code(workerDeploymentName(app, w))).join(", ")})`
    : "";
  const keepWorkers = missing.length ? `; keep their ${[...new Set(missing.map((w) => text(w.label)))].join(", ")} workers running: the cluster has none for ${missing.length > 1 ? "them" : "it"}` : "";
  const keptProcs = uncarried.filter((u) => !u.devOnly && !u.replacedByWeb);
  const keepProcesses = keptProcs.length ? `; keep ${keptProcs.map((u) => code(u.name)).join(", ")} running on the servers: no Deployment runs ${keptProcs.length > 1 ? "them" : "it"}` : "";
  steps.push(
    `**Switch traffic**: lower the DNS TTL a day before, then point the hosts at the cluster's edge address; keep the EC2 servers running, stop their cron (whenever) only once the cluster runs its own${stopWorkers}${keepWorkers}${keepProcesses}.`,
  );
  steps.push(
    "**How to roll back**: point DNS back at the EC2 servers (still running, still on the same database) and restart their workers and cron; inside the cluster, `kubectl rollout undo deployment/<name>` returns to the previous image. Keep each migration backward compatible so the old code runs on the migrated schema.",
  );
  p("## Cut-over checklist", "", ...steps.map((s) => `- [ ] ${s}`), "");

  // --- generated files the team edited and kept
  if (kept.length) {
    p(
      "## Generated files you edited and kept",
      "",
      "Each was left as you edited it, and everything around it was regenerated: until you merge, the set is not one consistent output. The new version of each is written beside it.",
      "",
    );
    for (const k of kept) {
      p(`- ${code(k.path)} — the new version is ${code(k.beside)}; merge what you need, then delete it.`);
      for (const d of k.disagreements.slice(0, 12)) {
        const what =
          d.key === "line"
            ? d.generated !== null
              ? `only the new version has ${code(d.generated)}`
              : `only yours has ${code(d.yours ?? "")}`
            : `${code(d.key)}: yours ${d.yours === null ? "has none" : code(d.yours)}, the new version ${d.generated === null ? "has none" : code(d.generated)}`;
        p(`  - ${what}${d.alsoIn.length ? `; the new value is in ${d.alsoIn.map(code).join(", ")}` : ""}`);
      }
      if (k.disagreements.length > 12) p(`  - and ${k.disagreements.length - 12} more difference(s)`);
      if (k.related.length) p(`  - goes with ${k.related.map(code).join(", ")} (they name it, or it names them)`);
    }
    p("");
  }

  return { path: MIGRATION_GUIDE, content: out.join("\n").replace(/\n+$/, "\n") };
}

/**
 * The config moves in four steps, in this order: the new files go to the servers unreferenced, every
 * server proves them equal to Global, the reports are read together, and only then do the call
 * sites change (`switch-config` refuses before).
 */
function verifyThenSwitchSteps(model: AppModel, servers: string[], backend: SecretsBackend): string[] {
  // With env-files the stage's secrets.env (git-ignored: copied to the server by hand) holds the
  // secrets; with a secret store or SOPS there is no such file, and the task reads them from the
  // environment of the shell that runs it.
  const files = (s: string) => (backend === "env-files" ? `${configEnvFile(s)},${secretEnvFile(s)}` : configEnvFile(s));
  const stageCmd = (s: string) => code(`bin/rails rails2k8s:verify_config ENV_FILES=${files(s)} STAGE=${s} SERVER=<host> REPORT=tmp/rails2k8s-verify.json`);
  const perStage = model.stages.map((s) => `  - ${text(s.name)}: ${stageCmd(s.name)} on ${s.servers.length ? [...new Set(s.servers.map((sv) => code(sv.host)))].join(", ") : "each of its servers"}`);
  return [
    `**Deploy the new config to the EC2 servers, unreferenced**: deploy this branch with Capistrano as usual (with the env files filled in on the servers). \`migrate\` left every ${code("Global.")} call site alone, so the app still reads Global there${servers.length ? ` — ${servers.join(", ")}` : ""}.`,
    `**Run the verify task on every server of every stage** (it compares Global with the new config_for files, value for value, and masks secrets)${backend === "env-files" ? `; copy each stage's filled-in ${code("secrets.env")} to its servers first (it is git-ignored, so a deploy does not carry it)` : `; the secrets come from the environment of the shell that runs it (export the stage's values there, as the ${backend === "sops" ? "SOPS file" : "secret store"} holds them), since ${backend} writes no secrets.env`}:\n${perStage.join("\n")}`,
    `**Collect the reports** into one folder on your machine, one subfolder per stage: ${code("reports/<stage>/<host>.json")}.`,
    `**Read them together**: ${code("rails2k8s verify-config --reports reports")} prints one table of every stage and server, each difference by its path; it exits 1 on any difference or missing server. Fix each difference, deploy and verify again.`,
    `**Then switch**: ${code("rails2k8s switch-config --reports reports")} rewrites the ${code("Global.")} call sites to ${code("Rails.configuration.x")}; it refuses while any stage lacks a clean report (${code("--force")} overrides, at your own risk).`,
  ];
}

/** Stages in the order to cut over: every other stage rehearses before production. */
/**
 * A worker counted per stage: its processes per server in each stage, and the rule that makes them
 * replicas (one process per pod, × the servers of its role; k8s/overlays/<stage>/patches.yaml).
 */
function perStageText(w: WorkerFacts): string {
  // Stages whose deploy never started it: none there, said with why.
  const off = Object.entries(w.offStages ?? {}).map(([stage, o]) => `${text(stage)} (${text(o.why)})`);
  const offText = off.length ? `; none on ${off.join(", ")}` : "";
  // Stages whose old deploy never started it: carried, and said.
  const unstarted = Object.entries(w.notStartedByDeploy ?? {}).map(([stage, o]) => `${text(stage)} (${text(o.why)})`);
  const unstartedText = unstarted.length ? `; kept, though the old deploy did not start it, on ${unstarted.join(", ")}` : "";
  return perStageCounts(w) + offText + unstartedText;
}

function perStageCounts(w: WorkerFacts): string {
  if (!w.perStage) return "";
  // A stage whose deploy never started it is said once, as none (perStageText).
  const counts = Object.entries(w.perStage).filter(([stage]) => !w.offStages?.[stage]).map(([stage, c]) => `${text(stage)} ${c.processes}${c.processes === 0 ? ` (${text(c.why)})` : ""}`);
  // Sidekiq's servers are the stage's sidekiq roles (kustomize/rules/sidekiq.ts sidekiqRoles), not the worker's role list.
  if (w.commandFrom === "sidekiq")
    return `; processes per server: ${counts.join(", ")}, each one pod (replicas = that count × the stage's Sidekiq servers: the roles of sidekiq_roles, without it its worker/sidekiq servers, else its app servers)`;
  return `; processes per server: ${counts.join(", ")}, each one pod (replicas = that count × the stage's servers with the ${w.roles.map(code).join("/")} role; a stage not listed runs none)`;
}

/** The config a Sidekiq Deployment runs; for a 3.x unit, its sidekiq_config_files entry and the unit it replaces. */
function sidekiqConfigText(model: AppModel, w: WorkerFacts): string {
  const u = w.sidekiqConfig;
  // The file Sidekiq's own start line names with -C (analyzers/workers/sidekiq-line.ts).
  if (!u && w.sidekiqOptions?.config) return `${code(w.sidekiqOptions.config.file)} (the start line's ${code("-C")})`;
  if (!u) return "its config";
  const file = u.entry === SIDEKIQ_PLAIN_ENTRY ? model.sidekiq?.file : u.file;
  const suffix = u.entry === SIDEKIQ_PLAIN_ENTRY ? "" : `.${u.entry.split(".").slice(0, -1).join(".")}`;
  return `${file ? code(file) : "Sidekiq's defaults (no config file)"}, as capistrano-sidekiq 3.x's unit ${code(`<sidekiq_service_unit_name>${suffix}`)} for sidekiq_config_files entry ${code(u.entry)} ran it`;
}

/** A 3.x unit's Deployment: the servers that ran the unit on each stage, each one pod. */
function unitServersText(model: AppModel, w: WorkerFacts): string {
  const u = w.sidekiqConfig;
  if (!u) return "";
  const per = Object.entries(model.sidekiq?.units ?? {}).map(([stage, list]) => {
    const x = list.find((y) => y.entry === u.entry);
    return `${text(stage)} ${x ? (x.servers === null ? "no servers listed (one pod)" : x.servers) : 0}`;
  });
  return per.length ? `; servers running the unit: ${per.join(", ")} (replicas = those servers, one process each)` : "";
}

/** A Deployment of a Sidekiq split by capistrano-sidekiq's sidekiq_options_per_process: the words its processes got. */
function sidekiqOptionsText(w: WorkerFacts): string {
  const o = w.sidekiqOptions;
  if (!o) return "";
  if (o.line) return o.words.length ? ` and ${code(o.words.join(" "))}, the options of its own start line (they win over the file, as in Sidekiq's CLI)` : "";
  return o.words.length
    ? ` and ${code(o.words.join(" "))}, the words capistrano-sidekiq's sidekiq_options_per_process gave these processes (after the stage's own flags, as on the servers' start line)`
    : ", the processes that got no sidekiq_options_per_process words";
}

/** sidekiq_options_per_process entries past a stage's sidekiq_processes: no process started with them, none is carried. */
function unusedSidekiqOptions(model: AppModel): string[] {
  const out: string[] = [];
  for (const [stage, p] of Object.entries(model.sidekiq?.plugin ?? {})) {
    const u = p.unusedOptions;
    if (!u) continue;
    for (const [i, entry] of u.value.entries())
      out.push(
        `- Not started: ${text(`stage ${stage}`)}: Sidekiq with ${code(entry)} (sidekiq_options_per_process entry ${u.processes + i + 1}, ${code(at(u.source))}): capistrano-sidekiq starts ${u.processes} process${u.processes === 1 ? "" : "es"} per server (sidekiq_processes), so no process ever got this entry; no Deployment runs it. If these words were meant to run, raise the replicas of a Deployment above or add one.`,
      );
  }
  return out;
}

const rehearsalOrder = (stages: string[]): string[] => [...stages.filter((s) => !/^prod(uction)?$/.test(s)), ...stages.filter((s) => /^prod(uction)?$/.test(s))];

/** Whether a stage's hosts question still holds the mailer's suggestion, not confirmed by an answer. */
const hostsSuggested = (model: AppModel, stage: string): boolean => model.gaps.some((g) => g.id === `stage.${stage}.hosts` && g.suggestion === true);

function gapRow(g: Gap, answers: Answers): string {
  // A question that did not apply (gateway.name for an ALB) was not asked: no answer is shown for it.
  const unmet = (g.askIf ?? []).find((c) => !conditionHolds(c, answers));
  if (unmet) return `| ${cell(g.question)} | ${tcode(g.id)} | — | not asked: ${tcode(unmet.id)} is ${showValue(answers[unmet.id] ?? null, true)} |`;
  const given = Object.prototype.hasOwnProperty.call(answers, g.id);
  const v = given ? answers[g.id] : g.default;
  const answer = g.secret ? "(secret, not recorded)" : showValue(v, true);
  const how = !given || sameValue(v, g.default) ? (g.placeholder ? "placeholder, to answer" : g.suggestion ? "suggestion, to confirm" : "default") : "answered";
  const why = `${cell(g.question)}<br>${cell(g.why)}${g.source ? ` (${tcode(at(g.source))})` : ""}`;
  return `| ${why} | ${tcode(g.id)} | ${answer} | ${how} |`;
}

/** Per file: call sites of migrated namespaces, Global or already Rails.configuration.x, and the first line. */
function callSitesByFile(model: AppModel): [string, number, number][] {
  const namespaces = new Set((model.global?.namespaces ?? []).map((n) => n.name.split(".")[0]!));
  const byFile = new Map<string, number[]>();
  for (const c of model.globalCalls ?? []) {
    if (c.manual) continue;
    const ns = /^(?:::)?(?:Global|Rails\s*\.\s*configuration\s*\.\s*x)\s*\.\s*([A-Za-z_]\w*)/.exec(c.expr)?.[1];
    if (!ns || !namespaces.has(ns)) continue;
    byFile.set(c.file, [...(byFile.get(c.file) ?? []), c.line]);
  }
  return [...byFile].sort(([a], [b]) => cmp(a, b)).map(([f, lines]) => [f, lines.length, Math.min(...lines)]);
}

/** Schedules the worker's processes run (analyzers/workers/schedules.ts): cron jobs carried with it. */
function inWorkerSchedulesText(w: WorkerFacts): string {
  const said = w.evidence.filter((e) => / scheduled jobs? of .+ run inside this worker$/s.test(e.value));
  return said.map((e) => ` It also runs ${text(e.value.replace(/ run inside this worker$/s, ""))} (${code(at(e.source))}): they run as long as this Deployment does.`).join("");
}
