// A checker of the Pod Security Standards "restricted" profile (kubernetes.io/docs/concepts/security/
// pod-security-standards), which includes every baseline control. Returns the violations found.
import type { K8sObject } from "./kubectl.js";

const BASELINE_CAPS = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
const RESTRICTED_VOLUMES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const SAFE_SYSCTLS = new Set(["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

/** The pod template of a workload object, or null for objects without pods. */
export function podSpecOf(o: K8sObject): { metadata: any; spec: any } | null {
  switch (o.kind) {
    case "Pod":
      return { metadata: o.metadata, spec: o["spec"] };
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return o["spec"].template;
    case "CronJob":
      return o["spec"].jobTemplate.spec.template;
    default:
      return null;
  }
}

export function restrictedViolations(o: K8sObject): string[] {
  const pod = podSpecOf(o);
  if (!pod) return [];
  const v: string[] = [];
  const spec = pod.spec ?? {};
  const psc = spec.securityContext ?? {};
  const where = `${o.kind}/${o.metadata.name}`;
  const containers: any[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  // --- baseline
  if (psc.windowsOptions?.hostProcess || containers.some((c) => c.securityContext?.windowsOptions?.hostProcess)) v.push(`${where}: HostProcess`);
  for (const f of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[f]) v.push(`${where}: ${f}`);
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) v.push(`${where}/${c.name}: privileged`);
    for (const cap of sc.capabilities?.add ?? []) if (!BASELINE_CAPS.has(cap)) v.push(`${where}/${c.name}: adds capability ${cap}`);
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${where}/${c.name}: hostPort`);
    if (sc.procMount && sc.procMount !== "Default") v.push(`${where}/${c.name}: procMount`);
    if (sc.appArmorProfile?.type === "Unconfined") v.push(`${where}/${c.name}: AppArmor unconfined`);
    if (sc.seLinuxOptions && (!SELINUX_TYPES.has(sc.seLinuxOptions.type ?? "") || sc.seLinuxOptions.user || sc.seLinuxOptions.role)) v.push(`${where}/${c.name}: seLinuxOptions`);
  }
  for (const vol of spec.volumes ?? []) if (vol.hostPath) v.push(`${where}: hostPath volume ${vol.name}`);
  if (psc.appArmorProfile?.type === "Unconfined") v.push(`${where}: AppArmor unconfined`);
  for (const [k, val] of Object.entries(pod.metadata?.annotations ?? {}))
    if (k.startsWith("container.apparmor.security.beta.kubernetes.io/") && val !== "runtime/default" && !String(val).startsWith("localhost/")) v.push(`${where}: AppArmor annotation ${k}`);
  if (psc.seLinuxOptions && (!SELINUX_TYPES.has(psc.seLinuxOptions.type ?? "") || psc.seLinuxOptions.user || psc.seLinuxOptions.role)) v.push(`${where}: seLinuxOptions`);
  for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) v.push(`${where}: unsafe sysctl ${s.name}`);
  // --- restricted
  for (const vol of spec.volumes ?? []) {
    const type = Object.keys(vol).find((k) => k !== "name");
    if (!type || !RESTRICTED_VOLUMES.has(type)) v.push(`${where}: volume type ${type} not allowed`);
  }
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const n = `${where}/${c.name}`;
    if (sc.allowPrivilegeEscalation !== false) v.push(`${n}: allowPrivilegeEscalation must be false`);
    if (!(sc.runAsNonRoot === true || (psc.runAsNonRoot === true && sc.runAsNonRoot !== false))) v.push(`${n}: runAsNonRoot must be true`);
    if (sc.runAsUser === 0 || (sc.runAsUser === undefined && psc.runAsUser === 0)) v.push(`${n}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") v.push(`${n}: seccompProfile must be RuntimeDefault or Localhost`);
    if (sc.seccompProfile && !["RuntimeDefault", "Localhost"].includes(sc.seccompProfile.type)) v.push(`${n}: seccompProfile ${sc.seccompProfile.type}`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) v.push(`${n}: capabilities must drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== "NET_BIND_SERVICE") v.push(`${n}: may only add NET_BIND_SERVICE, adds ${cap}`);
  }
  if (psc.runAsUser === 0) v.push(`${where}: pod runAsUser 0`);
  if (psc.seccompProfile && !["RuntimeDefault", "Localhost"].includes(psc.seccompProfile.type)) v.push(`${where}: pod seccompProfile ${psc.seccompProfile.type}`);
  return v;
}
