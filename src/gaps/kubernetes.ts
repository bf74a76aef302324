// Gaps of the kubernetes family: what the Kustomize output needs and the repo does not say. Each
// default comes from the same rules the emitter uses (emitters/kustomize/rules/, indexed in its README.md), with the reason.
import type { Gap, Stage } from "../model.js";
import type { ModelForGaps } from "./index.js";
import { cronTimeZoneHint, DEFAULT_CRON_TIME_ZONE } from "../../emitters/kustomize/rules/cron.js";
import { DEFAULT_HEALTH_PATH, healthPath } from "../../emitters/kustomize/rules/health.js";
import { defaultEdgeTarget } from "../../emitters/kustomize/rules/edge.js";
import { defaultMaxReplicas, MAX_WEB_PODS_FROM_SERVERS, MAX_REPLICAS_ANSWER, webServerCount, webMinReplicas, webServerBasis, MAX_WORKERS_PER_POD } from "../../emitters/kustomize/rules/web.js";
import { stageHosts, sshHostSuggestion, mailerHostSuggestion, exampleHostSuggestion, placeholderHost, sharedHostFiles, sharedHostSuggestion } from "../../emitters/kustomize/rules/hosts.js";
import { nginxFilesFor, stageServers, apacheVhostsFor } from "../../emitters/kustomize/rules/site-files.js";
import { productionStage } from "../../emitters/kustomize/rules/stage.js";
import { secretKeys } from "../../emitters/kustomize/rules/server-files.js";
import { webResourcesDefault, workerResourcesDefault } from "../../emitters/kustomize/plan.js";
import { dnsLabel } from "../../emitters/kustomize/names.js";
import { appServerFor, appServerKind, webServerQuestion } from "../../emitters/app-server.js";

/** The Gateway's questions matter only when the edge is an HTTPRoute. */
const onGateway = [{ id: "edge.target", oneOf: ["gateway"] }];

/**
 * A registry that names its cloud: Amazon ECR means EKS is likely (the ALB Ingress its usual edge);
 * Google's registries, GKE (its Gateway controller). `repoWhy` is what the repo itself said.
 */
function registryHints(repoWhy: string): NonNullable<Gap["whyIf"]> {
  return [
    {
      id: "image.repository",
      matches: String.raw`^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/`,
      why: "Default alb: the image repository answered is in Amazon ECR, so the cluster is likely EKS, where the AWS Load Balancer Controller's ALB Ingress is the usual edge (the repo itself shows no AWS). gateway = Gateway API HTTPRoute on a Gateway the cluster provides; alb = AWS Load Balancer Controller Ingress; ingress-nginx = its Ingress (no releases or security fixes since March 2026)",
      default: "alb",
    },
    {
      id: "image.repository",
      matches: String.raw`^([a-z0-9-]+\.)?gcr\.io/|^[a-z0-9-]+-docker\.pkg\.dev/`,
      why: `Default gateway: the image repository answered is in Google's registry, so the cluster is likely GKE, whose Gateway controller serves HTTPRoutes (${repoWhy.replace(/;.*$/, "")}). gateway = Gateway API HTTPRoute on a Gateway the cluster provides; alb = AWS Load Balancer Controller Ingress; ingress-nginx = its Ingress (no releases or security fixes since March 2026)`,
    },
  ];
}
import { CREATE_NAMESPACE_ANSWER } from "../../emitters/kustomize/namespace.js";
import { unreadWorkerStages } from "./appserver.js";
import { webNotStarted } from "../../emitters/kustomize/left-out.js";

export function kubernetesGaps(model: ModelForGaps): Gap[] {
  const gaps: Gap[] = [];
  const app = dnsLabel(model.name.value, 40);
  const stages = model.stages.length ? model.stages : [{ name: "production", source: model.name.source, variables: {}, servers: [] }];

  const edge = defaultEdgeTarget(model);
  gaps.push({
    id: "edge.target",
    question: "What receives the traffic nginx received (the edge in front of the app)?",
    why: `Default ${edge.target}: ${edge.why}. gateway = Gateway API HTTPRoute on a Gateway the cluster provides; alb = AWS Load Balancer Controller Ingress; ingress-nginx = its Ingress (no releases or security fixes since March 2026)`,
    default: edge.target,
    choices: ["gateway", "alb", "ingress-nginx"],
    ...(edge.source ? { source: edge.source } : {}),
    // The image repository is answered first: a registry says which cloud the cluster likely runs
    // in, unless the repo said it already.
    ...(edge.target === "alb" ? {} : { whyIf: registryHints(edge.why) }),
  });

  const prod = productionStage(model.stages);
  let anySsl = false;
  let anyRedirect = false;
  for (const st of stages) {
    // No web server on the stage: no edge, no hosts, no HPA to ask about (emitters/kustomize/left-out.ts).
    if (webNotStarted(model, st.name)) continue;
    const servers = stageServers(model, st);
    if (servers.some((s) => s.listens.some((l) => l.value.ssl))) anySsl = true;
    if (servers.some((s) => s.redirectsToHttps?.value)) anyRedirect = true;
    // Passenger under Apache, where no nginx config describes the stage: `SSLEngine on` in a vhost
    if (!servers.length && apacheVhostsFor(model, st).some((v) => v.ssl)) anySsl = true;
    if (!servers.length && apacheVhostsFor(model, st).some((v) => v.redirectsToHttps?.value)) anyRedirect = true;
    const mailer = mailerHostSuggestion(model, st);
    if (mailer)
      gaps.push({
        id: `stage.${st.name}.hosts`,
        question: `Which host names does stage ${st.name} answer on?`,
        why: `only the mailer's action_mailer.default_url_options (${mailer.source.file}:${mailer.source.line}) names a host for stage ${st.name}, and no nginx server_name or stage variable agrees: mail may link to another app (an admin app's mail points at the public site), whose traffic the route would then take. The default ${mailer.host} is that suggestion: confirm it or give the stage's own hosts; MIGRATION.md lists it until you answer`,
        default: [mailer.host],
        suggestion: true,
        format: "host-list",
        source: mailer.source,
      });
    else if (exampleHostSuggestion(model, st)) {
      const ex = exampleHostSuggestion(model, st)!;
      gaps.push({
        id: `stage.${st.name}.hosts`,
        question: `Which host names does stage ${st.name} answer on?`,
        why: `only an example copy of the nginx config names a host for stage ${st.name}: server_name ${ex.hosts.join(" ")} (from ${ex.source.file}:${ex.source.line}, an example file). An example is a copy to edit before use and may name another deployment's host, so it is not taken as the stage's: the default is that suggestion, to confirm or replace with the stage's own hosts; MIGRATION.md lists it until you answer`,
        default: ex.hosts,
        suggestion: true,
        format: "host-list",
        source: ex.source,
      });
    } else if (sharedHostSuggestion(model, st)) {
      const sh = sharedHostSuggestion(model, st)!;
      const files = sharedHostFiles(model, st);
      gaps.push({
        id: `stage.${st.name}.hosts`,
        question: `Which host names does stage ${st.name} answer on?`,
        why: `${sharedWhere(files)}: its server_name ${sh.hosts.join(" ")} (${sh.source.file}:${sh.source.line}) is shared evidence, no one stage's own. The default gives it to stage ${st.name}, as a plain config's hosts are the production stage's: confirm which stage answers it (the other stages are asked too); MIGRATION.md lists it until you answer`,
        default: sh.hosts,
        suggestion: true,
        format: "host-list",
        source: sh.source,
      });
    } else if (!stageHosts(model, st).length)
      gaps.push({
        id: `stage.${st.name}.hosts`,
        question: `Which host names does stage ${st.name} answer on?`,
        why:
          noHostsWhy(model, st, prod?.name ?? null) +
          `. The default ${placeholderHost(app, st.name)} is a placeholder under the reserved .invalid domain: it never resolves, and MIGRATION.md lists it until you answer` +
          sshHostWhy(model, st),
        default: [placeholderHost(app, st.name)],
        placeholder: true,
        format: "host-list",
        source: st.source,
      });
    const webServers = webServerCount(st, model.nginx);
    const min = webMinReplicas(st, model.nginx, appServerFor(model, st));
    gaps.push({
      id: `stage.${st.name}.max_replicas`,
      question: `How many web pods may stage ${st.name} scale up to?`,
      why: `the HPA's minimum is today's ${webServerBasis(st, model.nginx)}${min !== webServers && min % webServers === 0 ? ` × ${min / webServers} pods each (at most ${MAX_WORKERS_PER_POD} workers per pod) = ${min} pods` : min !== webServers ? `, spread over ${min} pods (capped at ${MAX_WEB_PODS_FROM_SERVERS}; see the notes)` : ""}; the maximum is a budget decision (default: twice that, at most ${MAX_REPLICAS_ANSWER})`,
      default: defaultMaxReplicas(min),
      format: "replicas",
      min,
      source: st.servers[0]?.source ?? st.source,
    });
  }

  gaps.push({
    id: "edge.https",
    question: "Should the edge serve HTTPS (and redirect HTTP to it)?",
    why: anySsl ? "nginx terminated TLS (listen ... ssl; or Apache's SSLEngine on): the edge takes that over" : "no nginx server listened with ssl; say yes if a load balancer in front of nginx terminated TLS",
    default: anySsl,
  });
  gaps.push({
    id: CREATE_NAMESPACE_ANSWER,
    question: "May the overlays create their namespace (labelled to enforce Pod Security restricted)?",
    why: "each overlay writes a Namespace with pod-security.kubernetes.io/enforce: restricted, so the profile every pod follows is enforced; answer false if the platform team creates namespaces (then ask them for that label)",
    default: true,
  });
  if (anySsl)
    for (const st of stages.filter((x) => !webNotStarted(model, x.name)))
      gaps.push({
        id: `stage.${st.name}.alb.certificate_arn`,
        question: `ACM certificate ARN for the hosts of stage ${st.name} (edge target alb)?`,
        why: "an ALB takes its certificate from ACM, never from the certificate files nginx read; empty lets the controller find one by host (it must exist in ACM and cover every host)",
        default: "",
        format: "acm-certificate-arn",
        source: st.source,
      });

  if (anySsl) {
    gaps.push({
      id: "edge.tls",
      question: "Where does the TLS certificate for the hosts come from?",
      why: "nginx terminated TLS with certificate files on the servers; the ingress-nginx Ingress needs a certificate Secret, issued by cert-manager or made by hand (an ALB takes its certificate from ACM, a Gateway's listener holds its own: neither asks this)",
      default: "cert-manager",
      choices: ["cert-manager", "secret", "acm"],
      askIf: [{ id: "edge.target", oneOf: ["ingress-nginx"] }],
    });
    gaps.push({
      id: "edge.tls.issuer",
      question: "Which cert-manager ClusterIssuer issues the certificate?",
      why: "the ingress-nginx Ingress names it in its cert-manager.io/cluster-issuer annotation (edge.tls is cert-manager); `kubectl get clusterissuers` lists them. A wildcard host needs an issuer with a DNS-01 solver",
      default: "letsencrypt",
      format: "dns-subdomain",
      askIf: [
        { id: "edge.target", oneOf: ["ingress-nginx"] },
        { id: "edge.tls", oneOf: ["cert-manager"] },
      ],
    });
  }

  gaps.push(
    {
      id: "gateway.name",
      question: "Name of the Gateway the cluster provides (for the gateway edge target)?",
      why: "an HTTPRoute attaches to a Gateway the platform team runs; `kubectl get gateways -A` lists them",
      default: "gateway",
      format: "dns-subdomain",
      askIf: onGateway,
    },
    {
      id: "gateway.namespace",
      question: "Namespace of that Gateway?",
      why: "the HTTPRoute's parentRef names it; the Gateway must allow routes from the app's namespaces",
      default: "gateway-system",
      format: "dns-label",
      askIf: onGateway,
    },
  );
  if (anyRedirect || anySsl)
    gaps.push(
      { id: "gateway.listener.https", question: "Name of the Gateway's HTTPS listener?", why: "nginx redirected http to https: the app's route attaches to the HTTPS listener, a redirect route to the HTTP one", default: "https", format: "dns-subdomain", askIf: onGateway },
      { id: "gateway.listener.http", question: "Name of the Gateway's HTTP listener?", why: "the https redirect route attaches to it", default: "http", format: "dns-subdomain", askIf: onGateway },
    );

  const web = webResourcesDefault(model);
  // the server the image runs (the deploy's, never merely the first config found)
  const server = appServerFor(model, null);
  gaps.push({
    id: "resources.web",
    question: "CPU and memory requests/limits of the web container?",
    why: `derived from ${server ? `${appServerKind(model)}'s worker processes` : webServerQuestion(model) && !webServerQuestion(model)!.default ? `rails2k8s' default worker count (one process: the web server is not known until web.server is answered)` : `rails2k8s' default worker count for ${appServerKind(model)} (the repo has no ${appServerKind(model)} config)`} (about 250Mi and half a core each; the CPU limit equals the request); adjust from what the EC2 servers used`,
    default: { requests: { ...web.requests }, limits: { ...web.limits } },
    format: "resources",
    ...(server?.workers ? { source: server.workers.source } : {}),
    ...webResourcesHeld(model),
  });
  // Sidekiq's config read, but no Sidekiq worker carried (a placeholder unit ran instead): no sidekiq container to size.
  const sidekiqCarried = model.sidekiq && !(model.workers && !model.workers.some((x) => x.backend === "sidekiq" && x.carried));
  if (sidekiqCarried) {
    const w = workerResourcesDefault(model);
    gaps.push({
      id: "resources.worker",
      question: "CPU and memory requests/limits of the sidekiq container?",
      why: "one Sidekiq process uses at most one core; memory grows with concurrency",
      default: { requests: { ...w.requests }, limits: { ...w.limits } },
      format: "resources",
      ...(model.sidekiq!.concurrency ? { source: model.sidekiq!.concurrency.source } : {}),
    });
  } else {
    // Other job backends share the worker resources (one Ruby process each).
    const other = (model.workers ?? []).filter((x) => x.carried);
    if (other.length) {
      const w = workerResourcesDefault(model);
      gaps.push({
        id: "resources.worker",
        question: `CPU and memory requests/limits of the worker containers (${[...new Set(other.map((x) => x.label))].join(", ")})?`,
        why: "one Ruby process each: at most one core; the default is the one for a Sidekiq process of 10 threads",
        default: { requests: { ...w.requests }, limits: { ...w.limits } },
        format: "resources",
        ...(other[0]!.commandSource ? { source: other[0]!.commandSource } : {}),
      });
    }
  }

  if (!healthPath(model))
    gaps.push({
      id: "health.path",
      question: "Which path answers health checks (probes, load balancer)?",
      why: "no health route in config/routes.rb, nginx or a health gem; `/` is the one path every app answers (200 or a redirect both pass an httpGet probe), but it may be slow or touch the database: a cheap endpoint such as Rails 7.1's /up is better",
      default: DEFAULT_HEALTH_PATH,
      format: "http-path",
    });

  // Only jobs that get a CronJob: a file whenever raises on wrote no crontab (CronJob.wheneverRaises).
  const raisingFiles = new Set(model.cron?.jobs.filter((j) => j.wheneverRaises).map((j) => j.source.file) ?? []);
  if (model.cron && model.cron.jobs.some((j) => !raisingFiles.has(j.source.file))) {
    const hint = cronTimeZoneHint(model);
    gaps.push({
      id: "cron.time_zone",
      question: "In which time zone did the servers' crontab run (IANA name)?",
      why: hint
        ? `TZ=${hint.zone} in Capistrano's default_env is a hint (the crontab ran in the server's system zone, which the repo does not state)`
        : `the crontab ran in the server's system time zone, which the repo does not state; EC2 images default to UTC${model.rails.timeZone ? ` (config.time_zone ${model.rails.timeZone.value} is Rails' zone, not cron's)` : ""}`,
      default: hint?.zone ?? DEFAULT_CRON_TIME_ZONE,
      format: "time-zone",
      ...(hint ? { source: hint.source } : model.cron.jobs[0] ? { source: model.cron.jobs[0].source } : {}),
    });
  }

  gaps.push({
    id: "secret.keys",
    question: "Which env vars hold secrets (keys of each stage's secrets.env)?",
    why: "found as secrets in the repo (ENV names read by the app, secret-looking default_env entries) plus SECRET_KEY_BASE; values are never asked here: fill them in secrets.env",
    default: secretKeys(model),
    format: "env-var-list",
  });
  return gaps;
}

/** The Mina stage's SSH host, offered as what it is: where the deploy logged in, not where the site answers. */
/**
 * Why nothing names a stage's hosts, from the same files the hosts are read from (nginxFilesFor):
 * a config rendered for the stage that names no routable host is said to be one, with the names it
 * does hold and whose default they are; "no nginx config rendered" only where none was.
 */
function noHostsWhy(model: ModelForGaps, st: Stage, prod: string | null): string {
  const variables = model.capistrano?.tool === "mina" ? "nginx_server_name, server_name, url; Mina's domain is its SSH host" : "nginx_server_name, server_name, domain, url";
  const rendered = nginxFilesFor(model, st).filter((f) => f.stage === st.name);
  if (rendered.length) {
    const names = rendered.flatMap((f) => f.servers.flatMap((s) => s.serverNames));
    const files = [...new Set(rendered.map((f) => f.file))].join(", ");
    const byDefault = [...new Set(names.filter((n) => n.defaultOf).map((n) => n.defaultOf!))];
    const held = names.length
      ? `its server_name ${[...new Set(names.map((n) => n.value))].join(" ")}${byDefault.length ? ` (${byDefault.join(", ")}'s default nginx_server_name)` : ""} is no host the edge can route (localhost, .local and regular-expression names never resolve through DNS)`
      : "it has no server_name";
    return `the nginx config rendered for stage ${st.name} (${files}) names no host: ${held}; no stage variable (${variables}) or mailer default_url_options names one either`;
  }
  // a plain file several stages' deploys render (NginxFile.sharedBy): its hosts offered to production's question
  const sharedFiles = sharedHostFiles(model, st);
  if (sharedFiles.length) {
    const names = [...new Set(sharedFiles.flatMap((f) => f.servers.flatMap((s) => s.serverNames.map((n) => n.value))))];
    return `${sharedWhere(sharedFiles)}: its server_name${names.length ? ` ${names.join(" ")}` : "s"} are shared evidence, no one stage's own, so none is taken for stage ${st.name}${prod && prod !== st.name ? ` (stage ${prod}'s question offers them as its default): answer ${names.length > 1 ? "them" : "it"} here if stage ${st.name} is the one that answers ${names.length > 1 ? "them" : "it"}` : ""}; no stage variable (${variables}) or mailer default_url_options names the hosts of stage ${st.name} either`;
  }
  // a plain file linked for several stages (NginxFile.linkedFor): one set of server_names, no one stage's own
  const shared = nginxFilesFor(model, st).filter((f) => f.linkedFor && f.linkedFor.stages.length > 1);
  if (shared.length) {
    const names = [...new Set(shared.flatMap((f) => f.servers.flatMap((s) => s.serverNames.map((n) => n.value))))];
    const where = shared.map((f) => `${f.file}, linked at ${f.linkedFor!.source.file}:${f.linkedFor!.source.line} for stages ${f.linkedFor!.stages.join(", ")}`).join("; ");
    return `the nginx config the deploy links for stage ${st.name} is also another stage's (${where}): its server_name${names.length ? ` ${names.join(" ")}` : "s"} are no one stage's own, so none is taken; no stage variable (${variables}) or mailer default_url_options names the hosts of stage ${st.name} either`;
  }
  return prod && prod !== st.name
    ? `no nginx config rendered for stage ${st.name}, stage variable (${variables}) or mailer default_url_options names its hosts; the production hosts are never reused for another stage`
    : `no nginx server_name, stage variable (${variables}) or mailer default_url_options names the hosts of stage ${st.name}`;
}

/** Which stages' deploys render these shared nginx files, each cited at the stage file's line naming it. */
function sharedWhere(files: ModelForGaps["nginx"]["files"]): string {
  return files.map((f) => `${f.file} is rendered by the deploys of stages ${f.sharedBy!.stages.join(", ")} (${f.sharedBy!.sources.map((s) => `${s.file}:${s.line}`).join(", ")})`).join("; ");
}

function sshHostWhy(model: ModelForGaps, st: Stage): string {
  const ssh = sshHostSuggestion(model, st);
  return ssh
    ? `. A suggestion only: Mina's SSH host \`domain\` (${ssh.source.file}:${ssh.source.line}) is ${ssh.host}, the machine the deploy logged in to, which may be a bastion or a box behind a load balancer; answer it only if the site answers on that name`
    : "";
}

/**
 * Where a stage's worker count is unread, the resources default is sized for a placeholder count:
 * the question says so and is itself a placeholder, to answer once the count is known.
 */
function webResourcesHeld(model: ModelForGaps): Partial<Gap> {
  const held = unreadWorkerStages(model);
  if (!held.length) return {};
  return {
    why: `sized for the placeholder worker count of stage${held.length > 1 ? "s" : ""} ${held.join(", ")} (their config is not readable: see stage.<stage>.web.workers), about 250Mi and half a core a worker, the CPU limit equal to the request; answer this once you know the workers each pod runs`,
    placeholder: true,
  };
}
