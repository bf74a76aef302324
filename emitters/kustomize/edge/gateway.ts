// Edge target: Gateway API HTTPRoute attached to a Gateway the cluster provides (its name and
// namespace are answers). The route carries hosts, the https redirect and the request timeout; TLS
// itself lives on the Gateway's listener, which the app does not own.
import { answerString } from "../answers.js";
import { labels } from "../names.js";
import type { EdgeInput, EdgeOutput, MappingRow } from "./spec.js";

/** The largest Gateway API Duration in one unit (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`): 99999h. */
const GATEWAY_MAX_HOURS = 99999;
/** Seconds as a Gateway API Duration: `<n>s` when it fits 5 digits, else whole hours (rounded up), capped at 99999h. */
function gatewayDuration(seconds: number): string {
  if (seconds <= 99999) return `${seconds}s`;
  return `${Math.min(GATEWAY_MAX_HOURS, Math.ceil(seconds / 3600))}h`;
}

interface GatewayBuild {
  route: Record<string, any>;
  redirect: Record<string, any> | null;
}

const GW = "gateway.networking.k8s.io/v1";

/** nginx → Gateway API, row by row. `target: null` = not expressible in an HTTPRoute (listed as a note). */
export const GATEWAY_TABLE: MappingRow<GatewayBuild>[] = [
  {
    nginx: "server_name",
    target: "HTTPRoute spec.hostnames",
    apply(i, b) {
      b.route.spec.hostnames = i.spec.hosts;
    },
  },
  {
    nginx: "listen 443 ssl + ssl_certificate",
    target: "the Gateway's HTTPS listener (certificateRefs); the route attaches to it by sectionName",
    apply(i, b, out) {
      if (!i.spec.tls) return;
      out.notes.push({
        message: `stage ${i.stage}: TLS ends at the Gateway's HTTPS listener "${listener(i, "https")}": its certificate (certificateRefs, or cert-manager on the Gateway) must cover ${i.spec.hosts.join(", ")}`,
        source: i.spec.tls.source,
      });
    },
  },
  {
    nginx: "return 301 https://... (port 80 server)",
    target: "a second HTTPRoute on the HTTP listener with a RequestRedirect filter (scheme https, 301)",
    apply(i, b, out) {
      if (!i.spec.httpsRedirect) return;
      b.route.spec.parentRefs[0].sectionName = listener(i, "https");
      b.redirect = {
        apiVersion: GW,
        kind: "HTTPRoute",
        metadata: { name: `${i.serviceName}-https-redirect`, labels: labels(i.app, "web") },
        spec: {
          parentRefs: [{ ...parentRef(i), sectionName: listener(i, "http") }],
          hostnames: i.spec.hosts,
          rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
        },
      };
      out.provenance.push({ output: i.output, what: "https redirect route", source: i.spec.httpsRedirect.source });
    },
  },
  {
    nginx: "client_max_body_size",
    target: null,
    apply(i, _b, out) {
      if (!i.spec.bodySize) return;
      out.notes.push({
        message: `stage ${i.stage}: ${i.spec.bodySize.value.directive ?? `client_max_body_size ${i.spec.bodySize.value.raw}`} is not expressible in an HTTPRoute; the Gateway implementation's own policy (or the nginx sidecar) must allow bodies that large`,
        source: i.spec.bodySize.source,
      });
    },
  },
  {
    nginx: "proxy_read_timeout / proxy_send_timeout",
    target: "HTTPRoute rules[].timeouts.request",
    apply(i, b, out) {
      const t = Math.max(i.spec.timeouts.read?.value ?? 0, i.spec.timeouts.send?.value ?? 0);
      if (!t) return;
      const src = (i.spec.timeouts.read && i.spec.timeouts.read.value === t ? i.spec.timeouts.read : i.spec.timeouts.send)!.source;
      const request = gatewayDuration(t);
      if (request !== `${t}s`) out.notes.push({ message: `stage ${i.stage}: ${t}s does not fit a Gateway API Duration (at most 5 digits a unit): timeouts.request is ${request}${request === `${GATEWAY_MAX_HOURS}h` ? " (capped)" : " (rounded up to whole hours)"}`, source: src });
      b.route.spec.rules[0].timeouts = { request };
      out.provenance.push({ output: i.output, what: `request timeout ${request}`, source: src });
      out.notes.push({ message: `stage ${i.stage}: nginx's ${t}s was the wait between two reads; the HTTPRoute's timeouts.request bounds the whole request (Gateway API extended support: check the implementation)`, source: src });
    },
  },
  {
    nginx: "proxy_connect_timeout",
    target: null,
    apply(i, _b, out) {
      const c = i.spec.timeouts.connect;
      if (c) out.notes.push({ message: `stage ${i.stage}: proxy_connect_timeout ${c.value}s is not expressible in an HTTPRoute`, source: c.source });
    },
  },
  {
    nginx: "ip_hash / sticky / hash $cookie_",
    target: null,
    apply(i, _b, out) {
      const s = i.spec.sticky;
      if (s)
        out.notes.push({
          message: `stage ${i.stage}: \`${s.value}\` (sticky sessions) is not expressible in a standard HTTPRoute (sessionPersistence is experimental); use the Gateway implementation's session affinity policy, or keep sessions in a cookie/Redis store`,
          source: s.source,
        });
    },
  },
  {
    nginx: "location with Upgrade/Connection headers (websocket)",
    target: "HTTPRoute rule of its own for the path, without the request timeout (upgrades pass through)",
    apply(i, b, out) {
      const main = b.route.spec.rules[0];
      for (const w of i.spec.websockets) {
        // A request timeout would cut a long-lived connection (Action Cable) when it expires.
        const literal = /^\/[^\s*?()[\]{}^$|\\]*$/.test(w.value.path);
        if (main.timeouts && literal) {
          b.route.spec.rules.push({ matches: [{ path: { type: "PathPrefix", value: w.value.path.replace(/(.)\/$/, "$1") } }], backendRefs: main.backendRefs });
          out.provenance.push({ output: i.output, what: `websocket ${w.value.path}: a rule of its own, without the ${main.timeouts.request} request timeout`, source: w.source });
        } else if (main.timeouts) {
          out.notes.push({ message: `stage ${i.stage}: websocket location ${w.value.path} is a pattern: its connections share the route's ${main.timeouts.request} request timeout; give it a rule of its own`, source: w.source });
        } else out.provenance.push({ output: i.output, what: `websocket ${w.value.path} served by the same route`, source: w.source });
      }
    },
  },
];

function listener(i: EdgeInput, kind: "http" | "https"): string {
  return answerString(i.answers, `gateway.listener.${kind}`, kind);
}

function parentRef(i: EdgeInput): Record<string, string> {
  return {
    name: answerString(i.answers, "gateway.name", "gateway"),
    namespace: answerString(i.answers, "gateway.namespace", "gateway-system"),
  };
}

export function emitGateway(i: EdgeInput): EdgeOutput {
  const out: EdgeOutput = { objects: [], notes: [], provenance: [], comment: "" };
  const b: GatewayBuild = {
    route: {
      apiVersion: GW,
      kind: "HTTPRoute",
      metadata: { name: i.serviceName, labels: labels(i.app, "web") },
      spec: {
        parentRefs: [parentRef(i)],
        hostnames: [] as string[],
        rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: i.serviceName, port: i.servicePort }] }],
      },
    },
    redirect: null,
  };
  for (const row of GATEWAY_TABLE) row.apply(i, b, out);
  out.objects = b.redirect ? [b.route, b.redirect] : [b.route];
  out.comment = `Edge of stage ${i.stage}: Gateway API HTTPRoute attached to the cluster's Gateway
(answers gateway.name / gateway.namespace). Hosts come from nginx server_name of this stage.`;
  return out;
}
