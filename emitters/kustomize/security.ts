// Security defaults every pod gets, so that Pod Security "restricted" admits them: non-root with the
// image's user, no privilege escalation, no capabilities, the runtime's seccomp profile, and a
// read-only root filesystem with emptyDirs where Rails and nginx write.
import { APP_UID } from "../contract.js";

export function podSecurityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: APP_UID,
    runAsGroup: APP_UID,
    fsGroup: APP_UID,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(readOnlyRootFilesystem = true): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    runAsNonRoot: true,
    runAsUser: APP_UID,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}
