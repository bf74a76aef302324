// RAILS2K8S_TIMING=1 (`npm run bench` sets it): where a run's time goes, on stderr. Off, every
// call is a no-op.

const on = () => process.env.RAILS2K8S_TIMING === "1";

/**
 * Marks each phase's end, in ms since the process started (the format `analyze` prints), with the
 * process's CPU time (user + system) so far (on a busy machine the wall time says little) and the
 * heap in use.
 */
export function phaseTimer(): (what: string) => void {
  if (!on()) return () => {};
  return (what) => {
    const cpu = process.cpuUsage();
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    process.stderr.write(`timing: ${what} done at ${performance.now().toFixed(1)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, heap ${heap.toFixed(0)} MB)\n`);
  };
}

/** Runs `fn` and prints how long it took under `what`: wall, CPU and the heap in use after. */
export function timed<T>(what: string, fn: () => T): T {
  if (!on()) return fn();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  try {
    return fn();
  } finally {
    const c = process.cpuUsage(c0);
    process.stderr.write(`timing: ${what} ${(performance.now() - t0).toFixed(1)} ms (cpu ${((c.user + c.system) / 1000).toFixed(0)} ms, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB)\n`);
  }
}
