// bin/docker-entrypoint: what the app needs at each start, then the command itself (exec, so the
// app server is PID 1 and receives the pod's signals). No migrations: the migration Job runs them.
export { ENTRYPOINT } from "../contract.js";

/** The jemalloc library the Dockerfile links at the same path on every architecture. */
export const JEMALLOC_LINK = "/usr/local/lib/libjemalloc.so";

export function emitEntrypoint(kind: "unicorn" | "puma"): string {
  return `#!/bin/sh
# Written by rails2k8s. Runs before the app server in the container, then hands over to it.
set -e

# jemalloc lowers Ruby's memory fragmentation; the image links it here on every architecture.
if [ -z "\${LD_PRELOAD:-}" ] && [ -f ${JEMALLOC_LINK} ]; then
  export LD_PRELOAD=${JEMALLOC_LINK}
fi

# A pid file left by a killed container would stop ${kind === "unicorn" ? "Unicorn" : "the server"} from starting.
rm -f tmp/pids/server.pid tmp/pids/unicorn.pid tmp/pids/puma.pid

# Rails apps whose production.rb does not read RAILS_LOG_TO_STDOUT write log/<env>.log; in a pod
# that file is on a scratch volume no one reads. Point it at the container's stdout instead.
if [ -d log ] && [ ! -s "log/\${RAILS_ENV:-production}.log" ]; then
  ln -sf /dev/stdout "log/\${RAILS_ENV:-production}.log" 2>/dev/null || true
fi

# Migrations are not run here: the migration Job runs them once, before the rollout.
exec "$@"
`;
}
