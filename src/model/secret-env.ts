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
import { secretEnvName } from "./secret-names.js";
import { looksSecretValue } from "./secret-shapes.js";

// The name rule lives with the other name rules (src/model/secret-names.ts): the value shapes use it too.
export { secretEnvName } from "./secret-names.js";

/** A variable set to a value: secret by its name, or by the value's shape (a token, a webhook, a URL password). */
export const secretEnvEntry = (name: string, value: unknown): boolean => secretEnvName(name) || looksSecretValue(value);

/**
 * A worker's env entry held back from its tracked Deployment: secret by name or shape, or any
 * userinfo at all (`@` after a `:`) — a password the shape rule cannot tell from a setting still
 * stays out of a tracked file.
 */
export const heldFromDeployment = (name: string, value: string): boolean => secretEnvEntry(name, value) || /:[^@]*@/.test(value);

