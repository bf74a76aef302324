// The servers' service managers, read in one place: which repo files define services, which deploy
// lines start or restart a service and the units they name, and which programs are service managers
// at all. The analyzers (workers, app server evidence) and the cron rules (a job that calls one ran
// on the servers' init system, which an image does not have) all read them from here.

/** Managers that start a unit by name: `systemctl restart x`, `service x restart`, `initctl start x`. */
export const INIT_SYSTEMS: readonly string[] = ["systemctl", "service", "initctl"];
/** Process monitors that start what their own config files describe. */
export const PROCESS_MONITORS: readonly string[] = ["monit", "god"];
/** Every program that managed the servers' daemons. */
export const SERVICE_MANAGERS: ReadonlySet<string> = new Set([...INIT_SYSTEMS, ...PROCESS_MONITORS]);

/** Service definitions kept in the repo: systemd units, and files of init.d, upstart, systemd, monit or god (in such a folder or by extension). */
export const SERVICE_FILE = /(?:^|\/)[^/]*\.(?:service|socket)(?:\.erb)?$|(?:^|\/)(?:init\.d|upstart|systemd|monit|god)(?:\/|$)|\.(?:monitrc|god)(?:\.erb)?$/;
/** `.conf` templates the deploy renders into service definitions (upstart jobs, monit includes). */
export const SERVICE_TEMPLATE_CONF = /^(lib\/capistrano\/templates|config\/deploy\/templates|script|config\/upstart)\/[^/]+\.conf(\.erb)?$/;

const SYSTEMCTL_VERBS = "start|restart|reload|reload-or-restart|try-restart|enable\\s+--now";
const SERVICE_VERBS = "start|restart|reload";
const INITCTL_VERBS = "start|restart";

/** `systemctl [--user] <verb> units…`: the units, as words. */
export const SYSTEMCTL_START = new RegExp(`\\bsystemctl\\s+(?:--user\\s+)?(?:${SYSTEMCTL_VERBS})\\s+([\\w@.\\s-]+)`);
/** `service <unit> <verb>`. */
export const SERVICE_START = new RegExp(`\\bservice\\s+([\\w.-]+)\\s+(?:${SERVICE_VERBS})\\b`);
/** `initctl <verb> <unit>`. */
export const INITCTL_START = new RegExp(`\\binitctl\\s+(?:${INITCTL_VERBS})\\s+([\\w.-]+)`);
/** A start or restart through an init system, whatever names the unit (a variable, `#{…}`). */
export const SERVICE_START_ANY = new RegExp(`\\b(systemctl\\s+(--user\\s+)?(${SYSTEMCTL_VERBS})|service\\s+\\S+\\s+(${SERVICE_VERBS})|initctl\\s+(${INITCTL_VERBS}))\\b`);
/** An init system named on a line. */
export const INIT_SYSTEM_WORD = new RegExp(`\\b(${INIT_SYSTEMS.join("|")})\\b`);

/** The units a deploy line (as shell words) starts or restarts, as written (`x.service` kept). */
export function startedUnits(text: string): string[] {
  const units: string[] = [];
  const sc = SYSTEMCTL_START.exec(text);
  if (sc) units.push(...sc[1]!.trim().split(/\s+/).filter((u) => !/^-/.test(u) && !/^(do|end|if|then|and|or)$/.test(u)));
  for (const re of [SERVICE_START, INITCTL_START]) {
    const m = re.exec(text);
    if (m) units.push(m[1]!);
  }
  return units;
}
