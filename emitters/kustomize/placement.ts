// Where the pods of a Deployment land: spread over zones and over nodes, so that losing one zone or
// one node never takes every web pod or every worker. ScheduleAnyway: a cluster with one zone, or
// fewer nodes than pods, still schedules them all (the spread is a preference, never a reason for a
// pod to stay Pending).
const SPREAD_KEYS = ["topology.kubernetes.io/zone", "kubernetes.io/hostname"] as const;

export function topologySpread(matchLabels: Record<string, string>): Record<string, unknown>[] {
  return SPREAD_KEYS.map((topologyKey) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels } }));
}

/**
 * Adds the spread to every Deployment among `objects`, selecting its own pods (the Deployment's
 * selector). Other kinds pass through: Jobs and CronJobs run one pod at a time.
 */
export function withPlacement<T>(objects: T[]): T[] {
  for (const o of objects as Record<string, any>[]) {
    if (o?.["kind"] !== "Deployment") continue;
    const matchLabels = o["spec"]?.selector?.matchLabels;
    const pod = o["spec"]?.template?.spec;
    if (matchLabels && pod && !pod.topologySpreadConstraints) pod.topologySpreadConstraints = topologySpread(matchLabels);
  }
  return objects;
}
