// Edge target: ingress-nginx, an Ingress of class `nginx` with nginx.ingress.kubernetes.io/*
// annotations — closest to the nginx the app had, but ingress-nginx stopped receiving releases and
// security fixes in March 2026: every output carries that warning.
import { answerString } from "../answers.js";
import { labels } from "../names.js";
import type { EdgeInput, EdgeOutput, MappingRow } from "./spec.js";

interface NginxIngressBuild {
  annotations: Record<string, string>;
  tls: { hosts: string[]; secretName: string }[] | null;
}

const N = "nginx.ingress.kubernetes.io/";
// Grammars of the annotation values built from nginx directives: ingress-nginx writes them into its
// own nginx.conf, so a value outside them is left out, never written.
const NGINX_SIZE = /^\d+[kKmMgG]?$/;
const NGINX_VARIABLE = /^\$[A-Za-z_][A-Za-z0-9_]*$/;
const COOKIE_NAME = /^[A-Za-z0-9_.-]+$/;

export const INGRESS_NGINX_WARNING =
  "ingress-nginx stopped receiving releases, bug fixes and security fixes in March 2026: plan a move to a Gateway API implementation (ingress2gateway translates these annotations)";

/** nginx → ingress-nginx annotations, row by row. `target: null` = not expressible (listed as a note). */
export const INGRESS_NGINX_TABLE: MappingRow<NginxIngressBuild>[] = [
  {
    nginx: "server_name",
    target: "Ingress spec.rules[].host",
    apply() {
      // rules are built from the hosts in emitIngressNginx
    },
  },
  {
    nginx: "listen 443 ssl + ssl_certificate",
    target: "spec.tls with a kubernetes.io/tls Secret (cert-manager.io/cluster-issuer when edge.tls = cert-manager)",
    apply(i, b, out) {
      if (!i.spec.tls) return;
      b.tls = [{ hosts: i.spec.hosts, secretName: `${i.app}-tls` }];
      const mode = answerString(i.answers, "edge.tls", "cert-manager");
      if (mode === "cert-manager") b.annotations["cert-manager.io/cluster-issuer"] = answerString(i.answers, "edge.tls.issuer", "letsencrypt");
      else out.notes.push({ message: `stage ${i.stage}: create the TLS Secret ${i.app}-tls (kubectl create secret tls) from the certificate nginx used`, source: i.spec.tls.source });
      out.provenance.push({ output: i.output, what: `TLS (${mode})`, source: i.spec.tls.source });
    },
  },
  {
    nginx: "return 301 https://... (port 80 server)",
    target: `${N}ssl-redirect`,
    apply(i, b, out) {
      if (!i.spec.tls) return;
      // On by default with tls; written out so the choice is visible, and off when nginx did not redirect.
      b.annotations[`${N}ssl-redirect`] = i.spec.httpsRedirect ? "true" : "false";
      if (i.spec.httpsRedirect) out.provenance.push({ output: i.output, what: "ssl-redirect", source: i.spec.httpsRedirect.source });
    },
  },
  {
    nginx: "client_max_body_size",
    target: `${N}proxy-body-size`,
    apply(i, b, out) {
      const s = i.spec.bodySize;
      if (!s) return;
      // ingress-nginx pastes annotation values into its own nginx.conf: only a size is written.
      if (!NGINX_SIZE.test(s.value.raw)) {
        out.notes.push({ message: `stage ${i.stage}: ${s.value.directive ? `${s.value.directive} is not known statically` : `client_max_body_size ${JSON.stringify(s.value.raw)} is not a plain size`}; proxy-body-size is left at the controller's default`, source: s.source });
        return;
      }
      b.annotations[`${N}proxy-body-size`] = s.value.raw;
      out.provenance.push({ output: i.output, what: `proxy-body-size ${s.value.raw}${s.value.defaultOf ? ` (${s.value.directive})` : ""}`, source: s.source });
    },
  },
  {
    nginx: "proxy_read_timeout / proxy_send_timeout / proxy_connect_timeout",
    target: `${N}proxy-read-timeout / proxy-send-timeout / proxy-connect-timeout`,
    apply(i, b, out) {
      for (const [key, ann] of [
        ["read", "proxy-read-timeout"],
        ["send", "proxy-send-timeout"],
        ["connect", "proxy-connect-timeout"],
      ] as const) {
        const t = i.spec.timeouts[key];
        if (!t) continue;
        b.annotations[`${N}${ann}`] = String(t.value);
        out.provenance.push({ output: i.output, what: `${ann} ${t.value}`, source: t.source });
      }
    },
  },
  {
    nginx: "ip_hash / sticky / hash $cookie_",
    target: `${N}affinity: cookie (+ session-cookie-name), or upstream-hash-by for hash $cookie_`,
    apply(i, b, out) {
      const s = i.spec.sticky;
      if (!s) return;
      const hashBy = /^hash\s+(\$\S+)/.exec(s.value);
      const unknown = (what: string) => out.notes.push({ message: `stage ${i.stage}: ${what} is not a plain name; left out of the Ingress (set it by hand if it matters)`, source: s.source });
      if (hashBy) {
        if (NGINX_VARIABLE.test(hashBy[1]!)) b.annotations[`${N}upstream-hash-by`] = hashBy[1]!;
        else unknown(`hash key ${JSON.stringify(hashBy[1])}`);
      } else {
        b.annotations[`${N}affinity`] = "cookie";
        const found = /name=(\S+)/.exec(s.value)?.[1] ?? /sticky\s+cookie\s+(\S+)/.exec(s.value)?.[1];
        const name = found !== undefined && !COOKIE_NAME.test(found) ? (unknown(`cookie name ${JSON.stringify(found)}`), undefined) : found;
        b.annotations[`${N}session-cookie-name`] = name ?? `${i.app}_route`;
        if (/ip_hash/.test(s.value)) out.notes.push({ message: `stage ${i.stage}: ip_hash (client address) becomes cookie affinity: behind a cloud load balancer the client address is not the visitor's`, source: s.source });
      }
      out.provenance.push({ output: i.output, what: `session affinity for \`${s.value}\``, source: s.source });
    },
  },
  {
    nginx: "location with Upgrade/Connection headers (websocket)",
    target: "nothing: ingress-nginx passes upgrades; Action Cable's pings keep the read timeout from closing it",
    apply(i, _b, out) {
      for (const w of i.spec.websockets) out.provenance.push({ output: i.output, what: `websocket ${w.value.path} served by the same Ingress`, source: w.source });
    },
  },
];

export function emitIngressNginx(i: EdgeInput): EdgeOutput {
  const out: EdgeOutput = { objects: [], notes: [], provenance: [], comment: "" };
  const b: NginxIngressBuild = { annotations: {}, tls: null };
  for (const row of INGRESS_NGINX_TABLE) row.apply(i, b, out);
  out.notes.push({ message: `stage ${i.stage}: ${INGRESS_NGINX_WARNING}` });
  const spec: Record<string, unknown> = { ingressClassName: "nginx" };
  if (b.tls) spec["tls"] = b.tls;
  spec["rules"] = i.spec.hosts.map((host) => ({
    host,
    http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: i.serviceName, port: { number: i.servicePort } } } }] },
  }));
  const metadata: Record<string, unknown> = { name: i.serviceName, labels: labels(i.app, "web") };
  if (Object.keys(b.annotations).length) metadata["annotations"] = b.annotations;
  out.objects = [{ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata, spec }];
  out.comment = `Edge of stage ${i.stage}: ingress-nginx Ingress. WARNING: ${INGRESS_NGINX_WARNING}.
Hosts come from nginx server_name of this stage.`;
  return out;
}
