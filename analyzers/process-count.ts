// The bound on a process count read from a repo file (a resque-pool entry, Passenger's pool size):
// above it the count is asked, never written. Replicas are an int32, and no server ran more
// processes of one kind than the ceiling the tool allows an HPA maximum (MAX_REPLICAS_ANSWER).
export const MAX_PROCESS_COUNT = 1000;

/** The count when it is a whole number from 0 to MAX_PROCESS_COUNT, else null. */
export function boundedCount(v: unknown): number | null {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_PROCESS_COUNT ? v : null;
}

/** Why a written count was not taken: "<written> is not a whole number from 0 to 1000". */
export function unboundedCountWhy(written: string): string {
  return `${written} is not a whole number from 0 to ${MAX_PROCESS_COUNT}`;
}
