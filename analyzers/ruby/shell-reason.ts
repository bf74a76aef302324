// Why a shell command's output (backticks, %x) is unknown. A command reading the host's CPUs or
// memory (`cat /proc/cpuinfo | grep processor | wc -l`, `nproc`) is said to depend on the machine,
// so a reader (analyzers/appserver/machine.ts) can name a worker count that came from it.

/** The start of an unknown's reason when the value is the host's own (its CPUs or memory). */
export const MACHINE = "depends on the machine";

/** A shell command reading the host's CPUs or memory. */
export const MACHINE_SHELL = /\/proc\/(?:cpuinfo|meminfo)|\bnproc\b|\bgetconf\s+_NPROCESSORS|\bsysctl\s+-n\s+hw\.(?:ncpu|physicalcpu|logicalcpu)/;

export function shellReason(command: string): string {
  return MACHINE_SHELL.test(command) ? `${MACHINE}: shell command output (backticks) reading the host (${command.trim().slice(0, 60)})` : "shell command output (backticks)";
}
