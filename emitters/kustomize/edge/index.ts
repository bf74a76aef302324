// The edge of one stage, by the chosen target (answer `edge.target`).
import { commonNotes, hostProvenance, type EdgeInput, type EdgeOutput } from "./spec.js";
import { emitGateway } from "./gateway.js";
import { emitAlb } from "./alb.js";
import { emitIngressNginx } from "./ingress-nginx.js";

export const EDGE_TARGETS = ["gateway", "alb", "ingress-nginx"] as const;
export type EdgeTarget = (typeof EDGE_TARGETS)[number];

export const edgeFileName = (target: EdgeTarget): string => (target === "gateway" ? "httproute.yaml" : "ingress.yaml");

export function emitEdge(target: EdgeTarget, input: EdgeInput): EdgeOutput {
  const out = target === "gateway" ? emitGateway(input) : target === "alb" ? emitAlb(input) : emitIngressNginx(input);
  commonNotes(input, out);
  hostProvenance(input, out);
  return out;
}
