// Gaps of the kubernetes family: what the Kustomize output needs and the repo does not say. Each
// default comes from the same rules the emitter uses (emitters/kustomize/rules.ts), with the reason.
import type { Gap } from "../model.js";
import type { ModelForGaps } from "./index.js";
import {
  cronTimeZoneHint,
  DEFAULT_CRON_TIME_ZONE,
  DEFAULT_HEALTH_PATH,
  defaultEdgeTarget,
  defaultMaxReplicas,
  healthPath,
  hostsFromNginx,
  placeholderHost,
  productionStage,
  secretKeys,
  stageServers,
  webServerCount,
} from "../../emitters/kustomize/rules.js";
import { webResourcesDefault, workerResourcesDefault } from "../../emitters/kustomize/plan.js";
import { dnsLabel } from "../../emitters/kustomize/names.js";

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
  });

  const prod = productionStage(model.stages);
  let anySsl = false;
  let anyRedirect = false;
  for (const st of stages) {
    const servers = stageServers(model, st);
    if (servers.some((s) => s.listens.some((l) => l.value.ssl))) anySsl = true;
    if (servers.some((s) => s.redirectsToHttps?.value)) anyRedirect = true;
    if (!hostsFromNginx(model, st).length)
      gaps.push({
        id: `stage.${st.name}.hosts`,
        question: `Which host names does stage ${st.name} answer on?`,
        why:
          prod && prod.name !== st.name
            ? `no nginx config rendered for stage ${st.name} names its hosts; the production hosts are never reused for another stage`
            : `no nginx server_name names the hosts of stage ${st.name}`,
        default: [placeholderHost(app, st.name)],
        format: "host-list",
        source: st.source,
      });
    const min = webServerCount(st, model.nginx);
    gaps.push({
      id: `stage.${st.name}.max_replicas`,
      question: `How many web pods may stage ${st.name} scale up to?`,
      why: `the HPA's minimum is today's ${min} web server(s) of stage ${st.name}; the maximum is a budget decision (default: twice that)`,
      default: defaultMaxReplicas(min),
      source: st.servers[0]?.source ?? st.source,
    });
  }

  if (anySsl) {
    gaps.push({
      id: "edge.tls",
      question: "Where does the TLS certificate for the hosts come from?",
      why: "nginx terminated TLS with certificate files on the servers; in the cluster the edge needs one (ALB always uses ACM)",
      default: "cert-manager",
      choices: ["cert-manager", "secret", "acm"],
    });
    gaps.push({
      id: "edge.tls.issuer",
      question: "Which cert-manager ClusterIssuer issues the certificate?",
      why: "used when edge.tls is cert-manager (ingress-nginx target)",
      default: "letsencrypt",
    });
  }

  gaps.push(
    {
      id: "gateway.name",
      question: "Name of the Gateway the cluster provides (for the gateway edge target)?",
      why: "an HTTPRoute attaches to a Gateway the platform team runs; `kubectl get gateways -A` lists them",
      default: "gateway",
      format: "dns-label",
    },
    {
      id: "gateway.namespace",
      question: "Namespace of that Gateway?",
      why: "the HTTPRoute's parentRef names it; the Gateway must allow routes from the app's namespaces",
      default: "gateway-system",
      format: "dns-label",
    },
  );
  if (anyRedirect)
    gaps.push(
      { id: "gateway.listener.https", question: "Name of the Gateway's HTTPS listener?", why: "nginx redirected http to https: the app's route attaches to the HTTPS listener, a redirect route to the HTTP one", default: "https" },
      { id: "gateway.listener.http", question: "Name of the Gateway's HTTP listener?", why: "the https redirect route attaches to it", default: "http" },
    );

  const web = webResourcesDefault(model);
  const server = model.appServers[0];
  gaps.push({
    id: "resources.web",
    question: "CPU and memory requests/limits of the web container?",
    why: `derived from the ${server?.kind ?? "app server"}'s worker processes (about 250Mi and a quarter core each, one core at most); adjust from what the EC2 servers used`,
    default: { requests: { ...web.requests }, limits: { ...web.limits } },
    ...(server?.workers ? { source: server.workers.source } : {}),
  });
  if (model.sidekiq) {
    const w = workerResourcesDefault(model);
    gaps.push({
      id: "resources.worker",
      question: "CPU and memory requests/limits of the sidekiq container?",
      why: "one Sidekiq process uses at most one core; memory grows with concurrency",
      default: { requests: { ...w.requests }, limits: { ...w.limits } },
      ...(model.sidekiq.concurrency ? { source: model.sidekiq.concurrency.source } : {}),
    });
  } else {
    // Other job backends share the worker resources (one Ruby process each).
    const other = (model.workers ?? []).filter((x) => x.carried);
    if (other.length) {
      const w = workerResourcesDefault(model);
      gaps.push({
        id: "resources.worker",
        question: `CPU and memory requests/limits of the worker containers (${other.map((x) => x.label).join(", ")})?`,
        why: "one Ruby process each: at most one core; the default is the one for a Sidekiq process of 10 threads",
        default: { requests: { ...w.requests }, limits: { ...w.limits } },
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
    });

  if (model.cron && model.cron.jobs.length) {
    const hint = cronTimeZoneHint(model);
    gaps.push({
      id: "cron.time_zone",
      question: "In which time zone did the servers' crontab run (IANA name)?",
      why: hint
        ? `TZ=${hint.zone} in Capistrano's default_env is a hint (the crontab ran in the server's system zone, which the repo does not state)`
        : `the crontab ran in the server's system time zone, which the repo does not state; EC2 images default to UTC${model.rails.timeZone ? ` (config.time_zone ${model.rails.timeZone.value} is Rails' zone, not cron's)` : ""}`,
      default: hint?.zone ?? DEFAULT_CRON_TIME_ZONE,
      ...(hint ? { source: hint.source } : model.cron.jobs[0] ? { source: model.cron.jobs[0].source } : {}),
    });
  }

  gaps.push({
    id: "secret.keys",
    question: "Which env vars hold secrets (keys of each stage's secrets.env)?",
    why: "found as secrets in the repo (ENV names read by the app, secret-looking default_env entries) plus SECRET_KEY_BASE; values are never asked here: fill them in secrets.env",
    default: secretKeys(model),
  });
  return gaps;
}
