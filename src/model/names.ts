// Kubernetes names made from repo text (the app's name, Capistrano stage names, whenever job
// names). A name from the repo is untrusted: it may hold a newline, `/`, `..`, upper case or
// unicode, and may be any length. Everything that becomes an object name, a label value, a
// namespace or an overlay directory goes through here, so the rules live in one place. The
// patterns are Kubernetes' own (k8s.io/apimachinery/pkg/util/validation).
import { createHash } from "node:crypto";
import { quotedText } from "./controls.js";

/** RFC 1123 label: namespaces, Service names, label values we generate, overlay directories. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: most object names (Deployment, ConfigMap, Secret, Job, CronJob...). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const NAME_LIMITS = {
  label: 63,
  subdomain: 253,
  /** The CronJob controller appends an 11-character suffix to the Jobs it creates. */
  cronJob: 52,
  /** A Job's name becomes the `job-name` label of its pods: a label value. */
  job: 63,
} as const;

/** Whether `s` is a valid RFC 1123 label of at most `max` characters. */
export const isDnsLabel = (s: string, max: number = NAME_LIMITS.label): boolean => s.length <= max && DNS1123_LABEL.test(s);

/** A DNS-1123 label from any text: lower case, `-` for anything else, trimmed to `max`; "app" if nothing is left. */
export function dnsLabel(text: string, max: number = NAME_LIMITS.label): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s.slice(0, max).replace(/-+$/g, "") || "app".slice(0, max);
}

/**
 * A label made of parts that are already labels (`<app>-<stage>`), within `max`. Too long, it is
 * cut and given a short hash of the whole, so that two long names that differ only at their end
 * stay different.
 */
export function joinLabel(parts: string[], max: number = NAME_LIMITS.label): string {
  const whole = parts.filter(Boolean).join("-");
  if (whole.length <= max) return whole;
  const hash = createHash("sha256").update(whole).digest("hex").slice(0, 6);
  return `${whole.slice(0, max - hash.length - 1).replace(/-+$/g, "")}-${hash}`;
}

/** The longest stage name kept: it becomes an overlay directory and a label value (`<app>-<stage>` is cut with a hash). */
export const STAGE_NAME_MAX = NAME_LIMITS.label;

/**
 * The Kubernetes form of a Capistrano stage name (config/deploy/<stage>.rb), or why it has none.
 * Only what stage names are made of in practice is mapped: ASCII letters, digits, `_`, `.` and
 * `-` (`Prod_EU` → `prod-eu`). Anything else (spaces, a newline, `/`, unicode) is not a name any
 * deploy command line would type: refused rather than guessed at.
 */
export function stageSlug(name: string): { slug: string } | { refused: string } {
  // `:` separates capistrano-multiconfig's namespaces (`shop:production`): mapped like `_` and `.`.
  const bad = /[^A-Za-z0-9_.:-]/.exec(name);
  if (bad) return { refused: `stage name ${JSON.stringify(name)} holds ${JSON.stringify(bad[0])}: a stage becomes an overlay directory, a namespace and a label, which allow only letters, digits, "-", "_", "." and ":"` };
  const slug = name
    .toLowerCase()
    .replace(/[_.:-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!slug) return { refused: `stage name ${JSON.stringify(name)} has no letter or digit: it cannot name an overlay directory or a namespace` };
  if (slug.length > STAGE_NAME_MAX) return { refused: `stage name ${JSON.stringify(name)} is longer than ${STAGE_NAME_MAX} characters, the limit of a Kubernetes label` };
  return { slug };
}

/** The slug of a stage name the Capistrano analyzer accepted; never a path or an invalid label, whatever it is handed. */
export function stageLabel(name: string): string {
  const r = stageSlug(name);
  return "slug" in r ? r.slug : dnsLabel(name);
}

/** A file path for a message: as is when plain, else quoted with every control character escaped. */
export const shownPath = (p: string): string => (/^[\x21-\x7e]+$/.test(p) ? p : quotedText(p));
