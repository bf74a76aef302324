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
import { COUNT_OR_DURATION_KEY, looksSecretEnv, looksSecretKey } from "./model.js";
import { looksSecretValue } from "./secret-shapes.js";

/** A variable's name that says it holds a secret: SECRET_KEY_BASE, DATABASE_URL, MAILGUN_KEY, BASIC_AUTH, SMTP_PW... */
export const secretEnvName = (name: string): boolean => looksSecretEnv(name) || looksSecretKey(name);

/** A variable set to a value: secret by its name, or by the value's shape (a token, a webhook, a URL password). */
export const secretEnvEntry = (name: string, value: unknown): boolean => secretEnvName(name) || looksSecretValue(value);

/**
 * The same name assigned in a text (a command line, an env line: `MAILGUN_KEY=… bin/worker`), where
 * what is cut is shown to nobody: a name that says its value is public (`PUBLIC_KEY`), counts
 * something or measures time (`TOKEN_TTL=3600`) is a setting there. Its variable still goes to the
 * secrets file (secretEnvEntry), where a plain value does no harm.
 */
export const secretEnvNameInText = (name: string): boolean => secretEnvName(name) && !PUBLIC_ENV.test(name) && !COUNT_OR_DURATION_KEY.test(name);
const PUBLIC_ENV = /(?:^|_)(?:PUBLIC|PUBLISHABLE)(?:_|$)/;
