// Schema validation of built objects with the @kubernetes-models packages (the Kubernetes OpenAPI
// schemas, and the Gateway API CRDs for HTTPRoute). An object of a kind we do not know fails.
import { Deployment } from "kubernetes-models/apps/v1";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import type { K8sObject } from "./kubectl.js";

const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "batch/v1/CronJob": CronJob,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/Namespace": Namespace,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/Ingress": Ingress,
  "gateway.networking.k8s.io/v1/HTTPRoute": HTTPRoute,
};

/** Throws with the object's kind/name when it does not validate. */
export function validateObject(o: K8sObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  try {
    new Model(o).validate();
  } catch (e) {
    throw new Error(`${o.kind}/${o.metadata?.name}: ${(e as Error).message}`);
  }
}
