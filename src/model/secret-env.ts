// Whether an environment variable holds a secret: the one rule for every place that decides where
// a variable's value may go (config.env or secrets.env, a worker's Deployment, an image layer, the
// report). Two name rules grew apart before: the kustomize split asked the ENV-name rule or the key
// rule, the worker and front-end build rule asked the key rule alone (so `MAILGUN_KEY` or
// `DATABASE_URL` set beside a worker's command reached its tracked Deployment). A name either rule
// finds secret is secret here; a value shaped like a secret is secret whatever its name.
//
// No count-or-duration exemption (src/model.ts secretByKeyName, for Global/YAML keys): an environment
// value is a string with no type to tell `AUTH_RETRY_COUNT=3` from a credential, and a false positive
// only moves a plain value to the git-ignored secrets file.
import { looksSecretKey, secretEnvName } from "./secret-names.js";
import { looksSecretValue } from "./secret-shapes.js";

// The name rule lives with the other name rules (src/model/secret-names.ts): the value shapes use it too.
export { secretEnvName } from "./secret-names.js";

/** An `@` after a `:`: a user-info, its password whatever it holds. */
const USERINFO = /:[^@]*@/;
/** One mail address and nothing else: an `@` that holds no password (`MAILER_FROM=ops@example.com`). */
const MAIL_ADDRESS = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
/** A variable that names queues (Resque's QUEUE/QUEUES, RESQUE_QUEUE, SIDEKIQ_QUEUES, WORKER_QUEUE): its value is names, never a password. */
const QUEUE_NAMES = /^(?:[A-Z0-9]+_)*QUEUES?$/i;
/** An `@` with a character before it that is not white space nor a list's comma: a user-info's or a password's `@`. */
const IN_WORD_AT = /[^\s,]@/;

/**
 * Whether a variable's value — set (`default_env`, a worker's line, a unit's Environment=, SetEnv, a
 * whenever `env`) or fallen back to (`ENV.fetch("X", default)`, a mongoid.yml or Global read) — is a
 * secret, so that it may not be shown: not in a tracked file (config.env, a worker's Deployment, a
 * comment of secrets.env.example), not in the report, not on the terminal. The one rule every such
 * place asks; it is the union of what two of them asked apart before (audit: the boot reads asked the
 * name and the shape; the Mongoid comment also the key it fills and any `@`; a worker's line a
 * user-info):
 *  - the variable's name (`MAILGUN_KEY`, `DATABASE_URL`);
 *  - the key the value fills, where it fills one (a mongoid.yml `password:`, a Global `api_key`);
 *  - the value's shape (a token, a webhook, a URL password);
 *  - a user-info in the value, an `@` after a `:`, whatever the shape rules spare;
 *  - an `@` inside a word of the value (a character other than a space or a list's comma before
 *    it), unless the value is one mail address: a user-info password may hold what no shape rule
 *    sees (a space, an `@` of its own: `user:p@ss word@db`), and a password may hold an `@` with no
 *    user-info around it at all (`p@ssw0rd`).
 * An `@` that starts the value or a word of it is a sigil, not a user-info: Resque's dynamic queues
 * (`QUEUE=@data_rt`, `QUEUES=@high,@low`), a Twitter handle. A variable whose value is a list of queue
 * names (QUEUE, QUEUES, RESQUE_QUEUE…) is judged by its shape and a user-info alone.
 * A false positive is not harmless: a worker's own per-process value (six god watches, six QUEUEs)
 * moved to secrets.env leaves each Deployment without it — one secrets.env holds one value per stage
 * for every pod — and Resque refuses to start without a queue (audit B s26 #1).
 */
export function secretEnvEntry(name: string, value: unknown, key?: string | null): boolean {
  if (secretEnvName(name) || looksSecretValue(value)) return true;
  if (key && looksSecretKey(key.split(".").pop() ?? "")) return true;
  if (typeof value !== "string") return false;
  if (USERINFO.test(value)) return true;
  if (QUEUE_NAMES.test(name)) return false;
  return IN_WORD_AT.test(value) && !MAIL_ADDRESS.test(value);
}

/** A value that may be shown where it stands: text, a number or a flag, and no secret by secretEnvEntry. */
export const envValueShown = (name: string, value: unknown, key?: string | null): boolean =>
  (typeof value === "string" || typeof value === "number" || typeof value === "boolean") && !secretEnvEntry(name, value, key);
