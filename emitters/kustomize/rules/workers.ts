// Mapping rules of the job backends other than Sidekiq: replicas from servers and processes
// (backendWorkerReplicas, workerProcessesAnswer), schedulers that run exactly once
// (SINGLETON_BACKENDS, isSingletonWorker, SINGLETON_WHY) and backends whose process is one pod
// (processPerPodRule). Sidekiq's own are in sidekiq.ts. Index of all rules: ./README.md.
import type { Stage } from "../../../src/model.js";
import { numberOf } from "../../../src/model/numbers.js";
import { hasRole } from "./stage.js";

/**
 * Scheduler processes: each enqueues every due job once per tick, so two running at once enqueue it
 * twice (clockwork has no lock; resque-scheduler's Redis lock is not the place to rely on either).
 * They run exactly one pod on every stage, replaced with Recreate (the old pod stops before the new
 * one starts), never scaled and under no PDB. Schedulers that live inside a worker process
 * (sidekiq-scheduler, sidekiq-cron, GoodJob's cron, Solid Queue's recurring tasks) are not here:
 * they are not processes of their own.
 */
export const SINGLETON_BACKENDS: ReadonlySet<string> = new Set(["resque-scheduler", "clockwork"]);

export const isSingletonWorker = (backend: string): boolean => SINGLETON_BACKENDS.has(backend);

export const SINGLETON_WHY = "one, always: a scheduler enqueues each due job once, and two would enqueue it twice";

/**
 * Replicas of a worker other than Sidekiq: servers with its roles × processes per server (one
 * process per pod), else 1 (a default, labelled as one). `processesPerServer` is the deploy's own
 * count for this worker on the stage (capistrano-resque's `:workers` entry; 0 where the stage ran
 * none), which wins over the plugin's variable.
 */
export function backendWorkerReplicas(stage: Stage, roles: string[], processesVariable?: string, processesPerServer?: number, primaryOnly = false): { replicas: number; fromServers: boolean } {
  // `on primary(:role)` ran it on the role's first server only.
  const servers = Math.min(stage.servers.filter(hasRole(roles)).length, primaryOnly ? 1 : Infinity);
  const processes = processesPerServer ?? (processesVariable ? numberOf(stage.variables[processesVariable]?.value) : null) ?? 1;
  if (processes === 0) return { replicas: 0, fromServers: true };
  // No server holds the roles: one server's worth, the deploy's own count per server where it set one.
  return servers > 0 ? { replicas: Math.max(1, Math.round(servers * processes)), fromServers: true } : { replicas: processes, fromServers: false };
}

/**
 * Backends whose one process runs its jobs on threads of its own: each process the servers ran is
 * one pod, and the threads stay inside it as the start line set them (spreading them over pods would
 * change how many jobs run at once, and the line's other options with them). que: `--worker-count`
 * (-w) threads per process.
 */
const ONE_PROCESS_PER_POD: Record<string, string> = {
  que: "one que process per pod: the servers' que processes (processes per server × servers) are that many pods, and each keeps its line's --worker-count (-w) threads (que's own default where the line sets none)",
};

/** The stated rule by which a backend's processes become pods, where it has one of its own. */
export const processPerPodRule = (backend: string): string | null => ONE_PROCESS_PER_POD[backend] ?? null;

/** The answer id of a worker's processes per server on a stage, asked where the deploy's count could not be read. */
export const workerProcessesAnswer = (stage: string, worker: string): string => `workers.${stage}.${worker}.processes`;
