// An nginx wildcard server_name becomes a `*.` host on the edge, and the two match differently:
// - nginx: "An asterisk can match several name parts. The name `*.example.org` matches not only
//   www.example.org but www.sub.example.org as well"; `.example.org` matches `example.org` and
//   `*.example.org` (nginx.org/en/docs/http/server_names.html, "Wildcard names").
// - A Kubernetes Ingress: IngressRule.host "wildcard ... prefixed with a single wildcard label
//   (e.g. `*.foo.com`). The wildcard character '*' must appear by itself as the first DNS label and
//   matches only a single label" (networking.k8s.io/v1 IngressRule). ingress-nginx writes such a host
//   as `~^(?<subdomain>[\w-]+)\.foo\.com$` (its template's buildServerName): one label.
// - Gateway API HTTPRoute hostnames: "Hostnames that are prefixed with a wildcard label (`*.`) are
//   interpreted as a suffix match. That means that a match for `*.example.com` would match both
//   `test.example.com`, and `foo.test.example.com`, but not `example.com`" (gateway-api
//   apis/v1/httproute_types.go, HTTPRouteSpec.Hostnames): any depth, as nginx. An ALB host-header
//   condition's `*` matches 0 or more characters (dots included): any depth too.
// So only on ingress-nginx is `a.b.example.org`, which nginx served, no longer routed. The bare
// domain of `.example.org` is emitted as its own host already (emitters/kustomize/rules/hosts.ts
// nginxNameHosts). Said as a hazard per wildcard name, at its nginx line, that holds on the
// ingress-nginx edge target only (`edgeTargets`): the target is answered later, and MIGRATION.md,
// which knows the answer, leaves it out on gateway and alb.
import type { AppModel, Hazard } from "../src/model.js";

type Model = Omit<AppModel, "gaps" | "hazards">;

export const wildcardHosts = (m: Model): Hazard[] => {
  const out: Hazard[] = [];
  const seen = new Set<string>();
  for (const f of m.nginx.files) {
    if (f.example) continue;
    for (const s of f.servers)
      for (const n of s.serverNames) {
        const name = n.value.toLowerCase();
        const m2 = /^(\*\.|\.)([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)$/.exec(name);
        if (!m2 || seen.has(`${name}@${f.stage ?? ""}`)) continue;
        seen.add(`${name}@${f.stage ?? ""}`);
        const domain = m2[2]!;
        const leadingDot = m2[1] === ".";
        out.push({
          id: "hosts.wildcard-depth",
          message: `on the ingress-nginx edge target only: nginx's server_name ${name}${f.stage ? (f.notRendered ? ` (a template no deploy task renders, read with stage ${f.stage}'s values)` : ` (rendered for stage ${f.stage})`) : ""} matched ${leadingDot ? `${domain} and ` : ""}every name under ${domain} at any depth (a.${domain} and a.b.${domain}); where they become a stage's hosts, the edge gets ${leadingDot ? `the hosts ${domain} and *.${domain}` : `the host *.${domain}`}, and on an Ingress (edge target ingress-nginx) *.${domain} matches one label only (Kubernetes Ingress spec): a.b.${domain} and deeper names are no longer routed there. On the gateway target nothing differs: an HTTPRoute's *.${domain} is a suffix match at any depth, as nginx's was (Gateway API spec, HTTPRoute hostnames), never ${domain} itself, which is its own host; on alb, the host condition's * matches any characters`,
          advice: `If names two or more labels under ${domain} are served (a.b.${domain}), either choose the gateway or alb edge target, or add each such name (or *.b.${domain}) to the stage's hosts answer for ingress-nginx.`,
          source: n.source,
          edgeTargets: ["ingress-nginx"],
        });
      }
  }
  return out;
};
