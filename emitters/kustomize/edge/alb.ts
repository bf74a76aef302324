// Edge target: AWS Load Balancer Controller, an Ingress of class `alb` with alb.ingress.kubernetes.io/*
// annotations. TLS uses ACM certificates, discovered by the hosts in spec.tls.
import { answerString } from "../answers.js";
import { labels } from "../names.js";
import { createsNamespace } from "../namespace.js";
import type { EdgeInput, EdgeOutput, MappingRow } from "./spec.js";

/** The largest idle timeout an ALB accepts (load-balancer attribute idle_timeout.timeout_seconds: 1-4000). */
export const ALB_MAX_IDLE_TIMEOUT = 4000;

interface AlbBuild {
  annotations: Record<string, string>;
  tls: { hosts: string[] }[] | null;
  loadBalancerAttributes: string[];
  targetGroupAttributes: string[];
}

const A = "alb.ingress.kubernetes.io/";

/** nginx → ALB Ingress, row by row. `target: null` = not expressible on an ALB (listed as a note). */
export const ALB_TABLE: MappingRow<AlbBuild>[] = [
  {
    nginx: "server_name",
    target: "Ingress spec.rules[].host",
    apply() {
      // rules are built from the hosts in emitAlb
    },
  },
  {
    nginx: "listen 443 ssl + ssl_certificate",
    target: `${A}listen-ports HTTPS:443 and spec.tls hosts (ACM certificate discovery)`,
    apply(i, b, out) {
      if (!i.spec.tls) return;
      b.annotations[`${A}listen-ports`] = '[{"HTTP": 80}, {"HTTPS": 443}]';
      b.tls = [{ hosts: i.spec.hosts }];
      const arn = answerString(i.answers, `stage.${i.stage}.alb.certificate_arn`, "");
      if (arn) b.annotations[`${A}certificate-arn`] = arn;
      out.provenance.push({ output: i.output, what: `HTTPS listener (certificate ${arn ? "from the answer" : "from ACM by host"})`, source: i.spec.tls.source });
      if (!arn)
        out.notes.push({ message: `stage ${i.stage}: the ALB takes its certificate from ACM, not from the nginx certificate files: import or request one covering ${i.spec.hosts.join(", ")}, and answer stage.${i.stage}.alb.certificate_arn with its ARN (until then the controller looks one up by host)`, source: i.spec.tls.source });
    },
  },
  {
    nginx: "return 301 https://... (port 80 server)",
    target: `${A}ssl-redirect: "443"`,
    apply(i, b, out) {
      if (!i.spec.httpsRedirect || !i.spec.tls) return;
      b.annotations[`${A}ssl-redirect`] = "443";
      out.provenance.push({ output: i.output, what: "ssl-redirect", source: i.spec.httpsRedirect.source });
    },
  },
  {
    nginx: "client_max_body_size",
    target: null,
    apply(i, _b, out) {
      const s = i.spec.bodySize;
      if (s) out.notes.push({ message: `stage ${i.stage}: ${s.value.directive ?? `client_max_body_size ${s.value.raw}`}: an ALB sets no request body limit, so uploads nginx refused now reach Rails; limit them in the app if that mattered`, source: s.source });
    },
  },
  {
    nginx: "proxy_read_timeout / proxy_send_timeout",
    target: `${A}load-balancer-attributes idle_timeout.timeout_seconds`,
    apply(i, b, out) {
      const t = Math.max(i.spec.timeouts.read?.value ?? 0, i.spec.timeouts.send?.value ?? 0);
      if (!t) return;
      const src = (i.spec.timeouts.read && i.spec.timeouts.read.value === t ? i.spec.timeouts.read : i.spec.timeouts.send)!.source;
      // The ALB refuses an idle timeout outside 1-4000 seconds (AWS ELB docs): a longer one is capped, and said.
      const idle = Math.min(t, ALB_MAX_IDLE_TIMEOUT);
      if (idle < t) out.notes.push({ message: `stage ${i.stage}: nginx waited ${t}s between two reads; an ALB's idle timeout is at most ${ALB_MAX_IDLE_TIMEOUT}s, so idle_timeout.timeout_seconds is capped at ${ALB_MAX_IDLE_TIMEOUT} (requests idle longer are cut)`, source: src });
      b.loadBalancerAttributes.push(`idle_timeout.timeout_seconds=${idle}`);
      out.provenance.push({ output: i.output, what: `idle timeout ${idle}s${idle < t ? ` (capped from ${t}s)` : ""}`, source: src });
    },
  },
  {
    nginx: "proxy_connect_timeout",
    target: null,
    apply(i, _b, out) {
      const c = i.spec.timeouts.connect;
      if (c) out.notes.push({ message: `stage ${i.stage}: proxy_connect_timeout ${c.value}s is not expressible on an ALB (its connect timeout is fixed)`, source: c.source });
    },
  },
  {
    nginx: "ip_hash / sticky / hash $cookie_",
    target: `${A}target-group-attributes stickiness (lb_cookie)`,
    apply(i, b, out) {
      const s = i.spec.sticky;
      if (!s) return;
      b.targetGroupAttributes.push("stickiness.enabled=true", "stickiness.type=lb_cookie", "stickiness.lb_cookie.duration_seconds=86400");
      out.provenance.push({ output: i.output, what: `sticky sessions (ALB cookie) for \`${s.value}\``, source: s.source });
      if (/ip_hash/.test(s.value)) out.notes.push({ message: `stage ${i.stage}: ip_hash (client address) becomes ALB cookie stickiness`, source: s.source });
    },
  },
  {
    nginx: "location with Upgrade/Connection headers (websocket)",
    target: "nothing: ALBs pass websockets; the idle timeout applies",
    apply(i, _b, out) {
      for (const w of i.spec.websockets) out.provenance.push({ output: i.output, what: `websocket ${w.value.path} served by the same Ingress`, source: w.source });
    },
  },
];

export function emitAlb(i: EdgeInput): EdgeOutput {
  const out: EdgeOutput = { objects: [], notes: [], provenance: [], comment: "" };
  const b: AlbBuild = {
    annotations: {
      [`${A}scheme`]: "internet-facing",
      [`${A}target-type`]: "ip",
      [`${A}healthcheck-path`]: i.healthPath,
    },
    tls: null,
    loadBalancerAttributes: [],
    targetGroupAttributes: [],
  };
  for (const row of ALB_TABLE) row.apply(i, b, out);
  if (b.loadBalancerAttributes.length) b.annotations[`${A}load-balancer-attributes`] = b.loadBalancerAttributes.join(",");
  if (b.targetGroupAttributes.length) b.annotations[`${A}target-group-attributes`] = b.targetGroupAttributes.join(",");
  // The overlay's Namespace carries the label (namespace.ts); a namespace made by others needs it set.
  if (!createsNamespace(i.answers))
    out.notes.push({
      message: `stage ${i.stage}: with target-type ip, ask for the label elbv2.k8s.aws/pod-readiness-gate-inject=enabled on the namespace (before the first pods) so rollouts wait for the ALB to register new pods`,
    });
  const spec: Record<string, unknown> = { ingressClassName: "alb" };
  if (b.tls) spec["tls"] = b.tls;
  spec["rules"] = i.spec.hosts.map((host) => ({
    host,
    http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: i.serviceName, port: { number: i.servicePort } } } }] },
  }));
  out.objects = [
    { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: i.serviceName, labels: labels(i.app, "web"), annotations: b.annotations }, spec },
  ];
  out.comment = `Edge of stage ${i.stage}: AWS Load Balancer Controller Ingress (ALB). Hosts come from nginx server_name of this stage.`;
  return out;
}
