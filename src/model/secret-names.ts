// Whether a name says its value is a secret: ENV names (SECRET_KEY_BASE, *_TOKEN...), YAML/Global
// keys (password, api_key...), and a count or a duration beside them (token_ttl). The model, the
// value shapes (src/model/secret-shapes.ts) and the environment rule (src/model/secret-env.ts) all
// ask these; they import nothing, so none of those modules needs another in a circle.

/**
 * ENV names: SECRET_KEY_BASE, RAILS_MASTER_KEY, DATABASE_URL, *_KEY, *_SECRET, *_TOKEN, *_PASSWORD,
 * *_PASSPHRASE (a GPG or SSH key's), *_PASSCODE, Redis' REQUIREPASS... Whole words between `_`s, so
 * PASSENGER_*, BYPASS_CACHE, COMPASS_* are not caught.
 */
const SECRET_ENV = /(^|_)(KEY|KEYS|SECRET|SECRETS|TOKEN|PASSWORD|PASSWD|PASSPHRASE|PASSCODE|REQUIREPASS|PASS|PWD|CREDENTIALS?|DSN|SALT|PEPPER|PRIVATE|SIGNATURE|CERT_KEY)(_|$)/;
const SECRET_ENV_EXACT = new Set(["DATABASE_URL", "SECRET_KEY_BASE", "RAILS_MASTER_KEY", "DEVISE_SECRET_KEY", "REDIS_PASSWORD"]);
/**
 * The same words glued to what comes before them, at the end of a name: libpq's own PGPASSWORD,
 * MYSQLPASSWD, APPSECRET, GHTOKEN. Only at the end, so a name that goes on (PASSWORDLESS_LOGIN,
 * TOKENIZER_MODE) is not caught by it.
 */
const SECRET_ENV_GLUED = /[A-Z0-9](PASSWORD|PASSWD|PASSPHRASE|PASSCODE|REQUIREPASS|SECRET|TOKEN)$/;
/**
 * A webhook's address (SLACK_WEBHOOK, WEBHOOK_URL, DEPLOY_WEBHOOK_URLS): the URL itself is the
 * credential (Slack's and Discord's carry their token in the path), whatever shape it has. Only as the
 * name's last word (an `_URL` after it allowed), so WEBHOOK_ENABLED or WEBHOOK_TIMEOUT stay settings.
 */
const SECRET_ENV_WEBHOOK = /WEBHOOKS?(_URLS?)?$/;
/** ENV names that contain a secret word but hold no secret. */
const NOT_SECRET_ENV = /(_KEY_ID$|^AWS_ACCESS_KEY_ID$|_PUBLIC_KEY$|_PUBLISHABLE_KEY$|_TOKEN_TTL$|_KEY_PREFIX$|_KEY_PATH$|_SITE_KEY$)/;

/**
 * The same few hundred key names come up again and again across a model (every env of every Global
 * namespace, every stage): the answers are remembered, bounded so a hostile repo cannot grow it.
 */
function memo(rule: (s: string) => boolean): (s: string) => boolean {
  const known = new Map<string, boolean>();
  return (s) => {
    let r = known.get(s);
    if (r === undefined) {
      if (known.size > 50_000) known.clear();
      known.set(s, (r = rule(s)));
    }
    return r;
  };
}

export const looksSecretEnv = memo(function looksSecretEnv(name: string): boolean {
  const n = name.toUpperCase();
  if (SECRET_ENV_EXACT.has(n) || /_DATABASE_URL$/.test(n)) return true;
  if (NOT_SECRET_ENV.test(n) && n !== "AWS_ACCESS_KEY_ID") return false;
  // An access key id is half of a credential pair: treat it as secret too.
  if (n === "AWS_ACCESS_KEY_ID") return true;
  return SECRET_ENV.test(n) || SECRET_ENV_GLUED.test(n) || SECRET_ENV_WEBHOOK.test(n);
});

/** YAML / Global keys: password, secret_key_base, api_key, auth_token, client_secret, private_key... */
export const SECRET_KEY = /(^|[_.-])(password|passwd|passphrase|passcode|pass|pwd|pw|secret|secrets|tokens?|api_?keys?|access_?keys?|secret_?keys?|private_?keys?|signing_?keys?|encryption_?keys?|jwt_?(?:keys?|secrets?)?|(?:cert|certificate)_?keys?|master_?keys?|license_?keys?|credentials?|auth|dsn|salt|pepper)([_.-]|$)/i;
const NOT_SECRET_KEY = /(_id$|^public_|_public_key$|publishable|_ttl$|_expires?(_in)?$|_length$|_path$|_file$|_url_prefix$|^token_type$)/i;

export const looksSecretKey = memo(function looksSecretKey(key: string): boolean {
  if (NOT_SECRET_KEY.test(key) && !/^access_key_id$/i.test(key)) return false;
  if (/^(access_key_id|aws_access_key_id)$/i.test(key)) return true;
  return SECRET_KEY.test(key) || /secret/i.test(key);
});

/**
 * A count or a length of time by its name (`token_expire_days`, `session_key_ttl`,
 * `api_token_expires_in`, `auth_retry_count`): a setting that sits beside a secret, not one.
 */
export const COUNT_OR_DURATION_KEY = /(?:_(?:days?|hours?|minutes?|seconds?|secs|ms|ttl|count|size|length|lifetime|timeout|interval|limit|retries)$|_expir(?:e|es|y|ation)(?:_|$))/i;

/** A variable's name that says it holds a secret: SECRET_KEY_BASE, DATABASE_URL, MAILGUN_KEY, BASIC_AUTH, SMTP_PW... */
export const secretEnvName = (name: string): boolean => looksSecretEnv(name) || looksSecretKey(name);

/**
 * The same name assigned in a text (a command line, an env line: `MAILGUN_KEY=… bin/worker`), where
 * what is cut is shown to nobody: a name that says its value is public (`PUBLIC_KEY`), counts
 * something or measures time (`TOKEN_TTL=3600`) is a setting there. Its variable still goes to the
 * secrets file (secretEnvEntry), where a plain value does no harm.
 */
export const secretEnvNameInText = (name: string): boolean => secretEnvName(name) && !PUBLIC_ENV.test(name) && !COUNT_OR_DURATION_KEY.test(name);
const PUBLIC_ENV = /(?:^|_)(?:PUBLIC|PUBLISHABLE)(?:_|$)/;
