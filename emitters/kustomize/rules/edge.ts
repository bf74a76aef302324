// Mapping rules of the edge: which edge target the evidence argues for (defaultEdgeTarget), and nginx's
// sizes and times as numbers (nginxSizeToBytes, nginxTimeToSeconds). Index of all rules: ./README.md.
import type { Source } from "../../../src/model.js";
import type { ModelLike } from "./stage.js";

/** nginx size (`20m`, `1g`, `512k`, `0` = unlimited) → bytes; null when unreadable. */
export function nginxSizeToBytes(size: string): number | null {
  const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(size);
  if (!m) return null;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(m[1]) * mult;
}

/** nginx time (`90`, `90s`, `2m`, `1h`, `1m30s`) → seconds; null when unreadable. */
export function nginxTimeToSeconds(time: string): number | null {
  const t = time.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = "";
  for (let m = re.exec(t); m; m = re.exec(t)) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : m[2] === "h" ? n * 3600 : n * 86400;
    consumed += m[0];
  }
  return consumed === t && consumed !== "" ? Math.ceil(total) : null;
}

/**
 * The edge target the analysis argues for: AWS evidence (AWS gems, S3/AWS settings, EC2 host names)
 * says the app will most likely land on EKS, where the AWS Load Balancer Controller is the usual edge;
 * otherwise Gateway API, the portable choice now that ingress-nginx is retired.
 */
export function defaultEdgeTarget(model: ModelLike): { target: "gateway" | "alb"; why: string; source?: Source } {
  const gem = Object.entries(model.rails.gems).find(([g]) => /^(aws-sdk|fog-aws|carrierwave-aws|aws-)/.test(g));
  if (gem)
    return { target: "alb", why: `the app uses AWS (gem ${gem[0]}): on EKS the AWS Load Balancer Controller's ALB Ingress is the usual edge`, source: gem[1].source };
  for (const st of model.stages) {
    const server = st.servers.find((s) => /(\.compute\.amazonaws\.com|\.compute\.internal|^ec2-)/.test(s.host));
    if (server) return { target: "alb", why: `stage ${st.name} runs on EC2 hosts (${server.host}): on EKS the ALB Ingress is the usual edge`, source: server.source };
    const v = Object.entries(st.variables).find(([k, f]) => /(^|_)(s3|aws)(_|$)/.test(k) && typeof f.value === "string");
    if (v) return { target: "alb", why: `stage ${st.name} sets :${v[0]}, an AWS setting: on EKS the ALB Ingress is the usual edge`, source: v[1].source };
  }
  return {
    target: "gateway",
    why: "no sign of AWS in the repo; Gateway API is the portable edge (ingress-nginx stopped receiving releases and security fixes in March 2026)",
  };
}
