// Secrets recognised by the shape of the value, whatever the key holding it is called: a Slack
// webhook in a Capistrano variable named `notify_url`, a Bearer token in a cron command, a key in
// a Global value under `misc`. The name rules (src/model.ts) catch what is labelled; these catch
// what is not. Every rule returns the span of the secret part only, so that what surrounds it (the
// host of a URL, the scheme of an Authorization header) can still be shown.
//
// What is deliberately NOT a secret by shape (a false positive here hides a fact from the report,
// and in a generated file makes `migrate` refuse): hostnames, paths, cron lines, versions, UUIDs
// (request and app ids far more often than credentials; a UUID under a secret name is still hidden
// by the name rules), git SHAs (a 40-hex `revision`), digests with their algorithm label
// (`sha256:…`, `sha384-…`), SSH public keys, X.509 certificates (public), identifiers made of words.
// Hex of 64+ characters with no label is a key (`secret_key_base` is 128 hex).

import { secretEnvNameInText } from "./secret-names.js";

export type SecretShape =
  | "private key"
  | "AWS access key id"
  | "Azure storage key"
  | "Stripe key"
  | "Slack token"
  | "Slack webhook"
  | "Discord webhook"
  | "GitHub token"
  | "GitLab token"
  | "Google API key"
  | "SendGrid key"
  | "JWT"
  | "URL password"
  | "userinfo password"
  | "Authorization header"
  | "monit password"
  | "secret parameter"
  | "hex key"
  | "high-entropy string";

export interface SecretSpan {
  start: number;
  end: number;
  shape: SecretShape;
}

/** An interpolation or variable in place of a value: names where the secret comes from, holds none. */
const PLACEHOLDER = /^(\$|%\{|<%|\{\{|#\{|\[secret\]|\*{3,}|x{6,}$|X{6,}$|ENV\b|<[A-Za-z_])/;

/** Each rule: a global regex, the shape it finds, and which capture group is the secret (0 = all). */
interface Rule {
  re: RegExp;
  shape: SecretShape;
  /** -1: the first group that took part in the match (a rule with one group per way of writing the value). */
  group: number;
  /** Extra check on the secret part (and the whole match, for a rule that judges a name in it). */
  ok?: (secret: string, m: RegExpExecArray) => boolean;
  /** A cheap test the text must pass for the rule to be worth running (long texts: the terminal, a diff). */
  hint?: { test(text: string): boolean };
  /**
   * The rule matches only at the start of a run of [A-Za-z0-9_-] that holds one of these words:
   * it is tried there alone, not at every offset of the text (where its nested repetition is slow).
   */
  anchor?: RegExp;
  /**
   * The rule's match holds this text right after a run of `runChar` characters that starts the
   * match: it is tried only at the start of the run before each place the text occurs.
   */
  before?: { literal: string; runChar: (c: number) => boolean };
  /** The rule's match always holds one of the words of PROVIDER_WORDS (case as written). */
  provider?: true;
}

/**
 * Every provider rule's match holds one of these, written just so: one test of a text stands for
 * a dozen rules that cannot match it (most texts: hosts, paths, messages).
 */
const PROVIDER_WORDS = /-----BEGIN|AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AGPA|ANPA|ANVA|APKA|AccountKey=|[sr]k_(?:live|test)_|whsec_|xox[abposr]-|xapp-|hooks\.slack\.com\/|discord|gh[pousr]_|github_pat_|glpat-|AIza|SG\.|eyJ/;

const notPlaceholder = (s: string) => !PLACEHOLDER.test(s);
/** Credential words in a capitals environment variable's name (`X_AUTHKEY`), beside the name rule of secret-env.ts. */
const CREDENTIAL_ENV = /^(?:[A-Z0-9]+_)*(?:PASSWORD|PASSWD|PWD|PASS|SECRET|TOKEN|API_?KEY|SECRET_?KEY|ACCESS_?KEY|PRIVATE_?KEY|AUTH_?KEY|CLIENT_SECRET)$/;
// A URL as an env value: `scheme://…` (its password, if any, is the URL rule's to cut), or a
// path URL of a scheme that has no user-info at all: `sqlite3:tmp/precompile.sqlite3` (our own
// placeholder), `file:…`. Any other `word:word/word` may be `user:pass/word` and is not spared.
const URL_VALUE = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/|(?:sqlite3?|file):[^\s@:]*$)/;
/** Flags and plain words after `=` are settings, not credentials (`secret=true`, `token=required`). */
const PLAIN_WORD = /^(true|false|nil|null|none|yes|no|required|optional|[A-Z][A-Za-z]*(::[A-Z][A-Za-z]*)*|[a-z]+(_[a-z]+)*)$/;

// The URL rule's pre-check: a "://" with an "@" somewhere after it. As a regex (/:\/\/[^@]*@/) it
// rescans to the end from every "://" when no "@" follows, which is quadratic on a large text.
const schemeThenAt = {
  test(text: string): boolean {
    const at = text.indexOf("://");
    return at >= 0 && text.indexOf("@", at + 3) >= 0;
  },
};

const RULES: Rule[] = [
  // PEM private keys (RSA, EC, OPENSSH, PKCS#8, encrypted, PGP): to the END line, or to the end of the text.
  { re: /-----BEGIN[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----|$)/g, shape: "private key", group: 0 , provider: true },
  // Access key ids; the secret half (40 characters of base64) is the entropy rule's.
  { re: /(?<![A-Za-z0-9+/])(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AGPA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, shape: "AWS access key id", group: 0 , provider: true },
  { re: /AccountKey=([A-Za-z0-9+/]{40,}={0,2})/g, shape: "Azure storage key", group: 1 , provider: true },
  // Secret and restricted keys, webhook signing secrets (a publishable `pk_` key is public).
  { re: /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|(?<![A-Za-z0-9])whsec_[A-Za-z0-9]{16,}/g, shape: "Stripe key", group: 0 , provider: true },
  { re: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}|(?<![A-Za-z0-9])xapp-[A-Za-z0-9-]{10,}/g, shape: "Slack token", group: 0 , provider: true },
  { re: /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9_/-]{8,})/g, shape: "Slack webhook", group: 1 , provider: true },
  { re: /(?:discord|discordapp)\.com\/api\/webhooks\/([0-9]+\/[A-Za-z0-9_-]{20,})/g, shape: "Discord webhook", group: 1 , provider: true },
  { re: /(?<![A-Za-z0-9])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{30,}/g, shape: "GitHub token", group: 0 , provider: true },
  { re: /(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,}/g, shape: "GitLab token", group: 0 , provider: true },
  { re: /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g, shape: "Google API key", group: 0 , provider: true },
  { re: /(?<![A-Za-z0-9])SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g, shape: "SendGrid key", group: 0 , provider: true },
  { re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, shape: "JWT", group: 0 , provider: true },
  // userinfo with a password: only the password is cut (`postgres://app:[secret]@db/shop`).
  // (The scheme starts only where a word starts: a long run of letters is not tried at each offset.)
  { re: /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s:@"'<>]*:([^/\s@"'<>]+)@/g, shape: "URL password", group: 1, ok: notPlaceholder, hint: schemeThenAt, before: { literal: "://", runChar: (c) => isSchemeChar(c) } },
  // `curl -u user:password`, `--user user:password`, `wget --password=…` is the parameter rule's.
  { re: /(?<![A-Za-z0-9-])(?:-u|--user)[ \t=]+["']?[^\s:"']+:([^\s"']{4,})/g, shape: "URL password", group: 1, ok: notPlaceholder, hint: /-u|--user/ },
  // monit's web interface login (`set httpd … allow admin:"s3cret"`, `allow ops:s3cret read-only`):
  // the user is shown, the password cut. Monit's other `allow` forms hold no colon after a name
  // (`allow localhost`, `allow 10.0.0.0/8`, `allow @group`, `allow md5 /etc/htpasswd`) except IPv6
  // (`allow fe80::1`), whose rest is hex and colons, never a password.
  { re: /(?<![A-Za-z0-9_-])allow[ \t]+[A-Za-z_][A-Za-z0-9_.-]*:(?:"([^"\n]+)"|'([^'\n]+)'|([^\s"':][^\s"']*))/g, shape: "monit password", group: -1, ok: (s) => notPlaceholder(s) && !/^[0-9a-f:./]*:[0-9a-f:./]*$/i.test(s), hint: /allow[ \t]/ },
  // The credentials of an Authorization header, wherever the header is named before them...
  { re: /(?<![A-Za-z0-9-])(?:Proxy-)?Authorization["']?\s*[:=,]?\s*["']?(?:Basic|Bearer|Token|Digest|token|bearer|basic)\s+([A-Za-z0-9+/=._~-]{6,})/gi, shape: "Authorization header", group: 1, ok: notPlaceholder, hint: /authorization/i },
  // ...or as the whole value (nginx keeps the header name apart: `proxy_set_header Authorization "Basic …"`).
  { re: /^\s*(?:Basic|Bearer)\s+([A-Za-z0-9+/=._~-]{8,})\s*$/g, shape: "Authorization header", group: 1, ok: (s) => notPlaceholder(s) && (/[0-9+/=]/.test(s) || (/[a-z]/.test(s) && /[A-Z]/.test(s))) },
  // `password=…`, `?access_token=…` inside a command, a URL or an env line...
  {
    re: /(?<![A-Za-z0-9_-])(?:[A-Za-z0-9]+[_-])*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|signature)=["']?([^\s"'&;,)]{4,})/gi,
    shape: "secret parameter",
    group: 1,
    anchor: /pass|pwd|secret|token|key|signature/gi,
    ok: (s) => notPlaceholder(s) && !PLAIN_WORD.test(s),
  },
  // ...but in a URL's query (`postgresql://db/shop?password=Hunter`) the value is the credential
  // itself, however plain a word: the rule above spares words because `secret=true` is a setting.
  {
    re: /(?<=[?&])(?:[A-Za-z0-9]+[_-])*(?:password|passwd|pwd|pass|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|signature)=([^\s"'&;#,)]+)/gi,
    shape: "secret parameter",
    group: 1,
    anchor: /pass|pwd|secret|token|key|signature/gi,
    ok: (s) => notPlaceholder(s) && !/^(?:true|false|nil|null|none|yes|no|required|optional)$/i.test(s),
  },
  // ...and an environment variable set on a command line or in an env file, named in capitals as
  // such variables are (`DATABASE_PASSWORD=hunter2 bin/delayed_job start`): there a plain word is
  // the credential itself, not a setting, so only flags and references are spared. Secret by its
  // name as every environment variable is (src/model/secret-env.ts: `MAILGUN_KEY`, `DATABASE_URL`), or
  // by the credential words this rule always knew.
  {
    re: /(?<![A-Za-z0-9_-])([A-Z][A-Z0-9_]*)=["']?([^\s"'&;,)]{4,})/g,
    shape: "secret parameter",
    group: 2,
    anchor: /PASS|PW|SECRET|TOKEN|KEY|AUTH|DSN|SALT|PEPPER|PRIVATE|SIGNATURE|CREDENTIAL|JWT|DATABASE_URL/g,
    // A name only the env rule knows spares lowercase words as the parameter rule does, and a URL,
    // whose password the URL rule cuts (our own Dockerfile's precompile placeholders:
    // `SECRET_KEY_BASE=precompile-only-not-a-secret DATABASE_URL=mysql2://precompile@127.0.0.1/x`);
    // the credential words never do. A URL without `//` has no user-info, so no password either:
    // `sqlite3:tmp/precompile.sqlite3` (the sqlite3 placeholder), `redis:…` needs `//` to hold one.
    ok: (s, m) => (CREDENTIAL_ENV.test(m[1]!) || (secretEnvNameInText(m[1]!) && !/^[a-z]+(?:[-_][a-z]+)*$/.test(s) && !URL_VALUE.test(s))) && notPlaceholder(s) && !/^(?:true|false|nil|null|none|yes|no|required|optional)$/i.test(s),
  },
  // A secret given as a command-line flag: `redis-server --requirepass X --masterauth X`,
  // `--password X`, `--api-key=X`, any `--<name>` whose name ends in a secret word (the words of
  // the parameter rule above). A value that starts with `-` is the next flag, not a secret.
  {
    re: /(?<![A-Za-z0-9_-])--(?:[A-Za-z0-9]+[_-])*(?:requirepass|masterauth|password|passwd|pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|signing[_-]?key)(?:[ \t]+|=)["']?([^\s"'&;,)]{3,})/gi,
    shape: "secret parameter",
    group: 1,
    anchor: /pass|pwd|secret|token|key|masterauth/gi,
    // `docker build --secret id=X,env=X` names where a secret comes from: a `name=` value is not one.
    ok: (s) => notPlaceholder(s) && !s.startsWith("-") && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(s),
  },
  // redis-cli's password flag: `redis-cli -a X`.
  {
    re: /redis-cli\b[^\n;|&]{0,300}?(?<![A-Za-z0-9_-])-a[ \t]+["']?([^\s"'&;,)]+)/g,
    shape: "secret parameter",
    group: 1,
    hint: /redis-cli/,
    ok: (s) => notPlaceholder(s) && !s.startsWith("-"),
  },
  // ...and `X-Api-Key: …`, `token: …` (a header line, YAML in a string): after a colon, prose is
  // common (`secret: this Rails needs…`), so only a value that is not a word counts.
  {
    // `pass` is Bunny's key (`Sneakers.configure(pass: …)`); the key must end in the word, so `passenger:` and `pass_through:` are not it.
    re: /(?<![A-Za-z0-9_-])(?:[A-Za-z0-9]+[_-])*(?:password|passwd|pass|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret)["']?:[ \t]?["']?([^\s"'&;,)]{6,})/gi,
    shape: "secret parameter",
    group: 1,
    anchor: /pass|pwd|secret|token|key|signature/gi,
    ok: (s) => notPlaceholder(s) && /[0-9]/.test(s) && /[A-Za-z]/.test(s) && !/^[a-z]+[0-9]*$/i.test(s.replace(/[._-]/g, "")),
  },
];

// The candidates for the entropy rule are the matches of /[A-Za-z0-9+/_-]{32,}={0,2}/g: long runs
// over the base64/base64url/hex alphabets (found by highEntropy without the regex).
const HEX = /^[0-9a-f]+$|^[0-9A-F]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A label before a hash says what it is: a digest, a public key, not a secret. */
const LABELLED = /(?:sha1|sha224|sha256|sha384|sha512|md5|sha)[:=-]$|(?:ssh-rsa|ssh-ed25519|ssh-dss|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) $|@sha256:$/i;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * A path, an identifier or a date-stamped name, not a key: every part between separators is a
 * word (letters, maybe camel-cased) or a number. Random text mixes digits into its letters.
 */
function wordLike(token: string): boolean {
  const parts = token.split(/[/_.+=-]+|(?<=[a-z])(?=[A-Z])/).filter(Boolean);
  // A word may end in a number (web01, shop2024); short parts mixing letters and digits are words
  // too (k8s, i18n, utf8, x86).
  return parts.every((p) => (/^[A-Za-z][a-z]*[0-9]*$|^[A-Z]+[0-9]*$|^[0-9]+$/.test(p) && p.length <= 20) || /^[a-z0-9]{1,4}$/i.test(p));
}

/**
 * A Kubernetes or DNS name built from pieces (`shop-web-7f9c2d1b-cron-a1b2c3`): lower case, three
 * or more short parts between separators. Hash suffixes make such names look random, but a
 * generated secret is not cut into short lower-case pieces.
 */
function nameLike(token: string): boolean {
  // A trailing `=` is the run's edge (`name=<value>`), not base64 padding, for a name like this.
  const name = token.replace(/=+$/, "");
  if (/[A-Z+/=]/.test(name)) return false;
  const parts = name.split(/[-_.]+/).filter(Boolean);
  return parts.length >= 3 && parts.every((p) => p.length <= 16);
}

/** The characters of the candidate runs, by char code. */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-") TOKEN_CHAR[c.charCodeAt(0)] = 1;

function highEntropy(text: string, out: SecretSpan[]) {
  // The candidates, found in one pass over the text: as a regex it retries up to 32
  // characters from every offset inside a shorter run, and the terminal output is megabytes.
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TOKEN_CHAR[c] === 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d >= 128 || TOKEN_CHAR[d] === 0) break;
      j++;
    }
    if (j - i < 32) {
      i = j;
      continue;
    }
    // Up to two `=` of padding.
    let end = j;
    if (end < n && text.charCodeAt(end) === 61) {
      end++;
      if (end < n && text.charCodeAt(end) === 61) end++;
    }
    tokenRun(text, text.slice(i, end), i, out);
    i = end;
  }
}

function tokenRun(text: string, run: string, index: number, out: SecretSpan[]) {
  // A path (`/api/webhooks/<id>/<token>`, `var/www/shop`) is judged segment by segment; base64
  // has slashes too, but no run of plain lowercase letters between two of them.
  if (run.split("/").some((seg) => /^[a-z]{3,}$/.test(seg))) {
    let at = index;
    for (const seg of run.split("/")) {
      if (seg.length >= 32) judge(text, seg, at, out);
      at += seg.length + 1;
    }
  } else judge(text, run, index, out);
}

/** One candidate run of the entropy rule: a key by its alphabet, length and entropy, or nothing. */
function judge(text: string, raw: string, rawStart: number, out: SecretSpan[]) {
  // Padding and separators at the edges are not part of the value.
  const token = raw.replace(/^[-_/+=]+/, "");
  const start = rawStart + (raw.length - token.length);
  const before = text.slice(Math.max(0, start - 40), start);
  // A hash labelled inside the run (a CSP source or an SRI `integrity`: `sha256-…`), a
  // publishable key (`pk_live_…`) and an age recipient (`age1…`, a public key: SOPS encrypts for
  // it) are public by design.
  if (LABELLED.test(before) || UUID.test(token) || /^(?:sha1|sha224|sha256|sha384|sha512|md5)-|^pk_(?:live|test)_|^age1[02-9ac-hj-np-z]{58}$/i.test(token)) return;
  if (HEX.test(token)) {
    // git SHAs (40) and unlabelled short hashes stay; 64+ hex is key material.
    if (token.length >= 64) out.push({ start, end: start + token.length, shape: "hex key" });
    return;
  }
  if (token.length < 32 || wordLike(token) || nameLike(token)) return;
  // A secret from a generator mixes cases and digits (base64, base62) or at least letters and
  // digits evenly (base36); an English-ish identifier does not reach 4 bits per character.
  const mixed = /[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9]/.test(token);
  const digits = (token.match(/[0-9]/g) ?? []).length / token.length;
  const base36 = /[A-Za-z]/.test(token) && digits >= 0.15;
  if ((mixed || base36) && entropy(token) >= 4.0) out.push({ start, end: start + token.length, shape: "high-entropy string" });
}

const NO_SPANS: readonly SecretSpan[] = Object.freeze([]);
/**
 * Answers for the short texts seen so far: a model holds the same values many times over (every
 * stage repeats the deploy config's), and redaction, the secret finder and the emitters each ask.
 */
const known = new Map<string, readonly SecretSpan[]>();
const MEMO_MAX_LENGTH = 2048;
const MEMO_MAX_ENTRIES = 200_000;

/**
 * Where the text holds a secret by shape: sorted, overlaps merged (the first rule's shape wins).
 * The answer is shared between callers: read it, do not change it.
 */
export function secretSpans(text: string): readonly SecretSpan[] {
  // No length floor: `-u u:pass` and `pwd=abcd` are secrets in under 12 characters; the pre-test
  // below is what spares short texts the rules.
  if (text.length <= MEMO_MAX_LENGTH && !mayHold(text)) return NO_SPANS;
  if (text.length > MEMO_MAX_LENGTH) return findSpans(text);
  let spans = known.get(text);
  if (spans === undefined) {
    if (known.size >= MEMO_MAX_ENTRIES) known.clear();
    spans = findSpans(text);
    if (!spans.length) spans = NO_SPANS;
    known.set(text, spans);
  }
  return spans;
}

/** Every rule's match holds one of these (written just so)... */
const MAY_HOLD = /-----BEGIN|AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AGPA|ANPA|ANVA|APKA|AccountKey=|[sr]k_(?:live|test)_|whsec_|xox[abposr]-|xapp-|hooks\.slack\.com\/|discord|gh[pousr]_|github_pat_|glpat-|AIza|SG\.|eyJ|:\/\/|-u|PW|AUTH|DSN|SALT|PEPPER|PRIVATE|CREDENTIAL|JWT|DATABASE_URL/;
/** ...or one of these, in any case (the parameter and header rules; Basic/Bearer as the whole value)... */
const MAY_HOLD_WORD = /pass|pwd|secret|token|key|signature|authorization|basic|bearer|masterauth|redis-cli|allow[ \t]/i;

/**
 * Whether any rule could find something in the text: a test that most texts (hosts, paths,
 * messages) fail at once, before the rules and the memo, which then hold only texts worth it.
 */
export function mayHold(text: string): boolean {
  if (MAY_HOLD.test(text) || MAY_HOLD_WORD.test(text)) return true;
  // ...or it has an `@` after a `:` (the userinfo rule)...
  const at = text.lastIndexOf("@");
  if (at > 0 && text.lastIndexOf(":", at) >= 0) return true;
  // ...or it is a run of 32 or more characters of the entropy rule's alphabet.
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && TOKEN_CHAR[c] === 1) {
      if (++run >= 32) return true;
    } else run = 0;
  }
  return false;
}

/** The rules themselves, without the pre-test and the memo (exported for the test that holds them equal). */
export function findSpans(text: string): SecretSpan[] {
  const found: SecretSpan[] = [];
  const take = (rule: Rule, m: RegExpExecArray) => {
    const secret = rule.group < 0 ? m.slice(1).find((g) => g !== undefined) : m[rule.group];
    if (secret === undefined || secret === "") return;
    const start = m.index + (rule.group === 0 ? 0 : m[0].lastIndexOf(secret));
    if (rule.ok && !rule.ok(secret, m)) return;
    found.push({ start, end: start + secret.length, shape: rule.shape });
  };
  const providers = PROVIDER_WORDS.test(text);
  for (const rule of RULES) {
    if (rule.provider && !providers) continue;
    if (rule.anchor) {
      anchored(rule, text, take);
      continue;
    }
    if (rule.hint && !rule.hint.test(text)) continue;
    if (rule.before) {
      before(rule, text, take);
      continue;
    }
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m; m = rule.re.exec(text)) {
      if (m[0] === "") {
        rule.re.lastIndex++;
        continue;
      }
      take(rule, m);
    }
  }
  userinfoPasswords(text, found);
  highEntropy(text, found);
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: SecretSpan[] = [];
  for (const s of found) {
    const last = merged[merged.length - 1];
    if (last && s.start < last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged;
}

const IDENT_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") IDENT_CHAR[c.charCodeAt(0)] = 1;
const isIdent = (c: number) => c < 128 && IDENT_CHAR[c] === 1;
const stickyOf = new Map<Rule, RegExp>();

/**
 * The matches `rule.re` finds scanning the text, tried only where one can start. Such a rule starts
 * after no [A-Za-z0-9_-] and reads only those characters up to its word, so a match starts where
 * a run of them that holds an anchor word starts; it ends before a character that cannot be in
 * such a run, so the next match starts in a later run, as a scan from the end of this one finds.
 */
function anchored(rule: Rule, text: string, take: (rule: Rule, m: RegExpExecArray) => void) {
  let sticky = stickyOf.get(rule);
  if (!sticky) stickyOf.set(rule, (sticky = new RegExp(rule.re.source, rule.re.flags.replace("g", "") + "y")));
  const anchor = rule.anchor!;
  anchor.lastIndex = 0;
  let done = 0;
  for (let a = anchor.exec(text); a; a = anchor.exec(text)) {
    let s = a.index;
    while (s > done && isIdent(text.charCodeAt(s - 1))) s--;
    // The run's other words start the same run: the next anchor is looked for after it.
    let e = anchor.lastIndex;
    while (e < text.length && isIdent(text.charCodeAt(e))) e++;
    anchor.lastIndex = e;
    if (s > 0 && isIdent(text.charCodeAt(s - 1))) continue;
    sticky.lastIndex = s;
    const m = sticky.exec(text);
    if (!m) continue;
    done = m.index + m[0].length;
    if (anchor.lastIndex < done) anchor.lastIndex = done;
    take(rule, m);
  }
}

const SCHEME_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-") SCHEME_CHAR[c.charCodeAt(0)] = 1;
const isSchemeChar = (c: number) => c < 128 && SCHEME_CHAR[c] === 1;

/**
 * The matches `rule.re` finds scanning the text, tried only where one can start: at the start of
 * the run of `runChar` characters before each occurrence of the literal (the rule's lookbehind
 * refuses any later start in that run). A scan of the terminal output (megabytes) from every
 * offset was most of its time. A run cannot hold the end of an earlier match (that ends on a
 * character outside the run), so the runs tried in order give the matches in order.
 */
function before(rule: Rule, text: string, take: (rule: Rule, m: RegExpExecArray) => void) {
  let sticky = stickyOf.get(rule);
  if (!sticky) stickyOf.set(rule, (sticky = new RegExp(rule.re.source, rule.re.flags.replace("g", "") + "y")));
  const { literal, runChar } = rule.before!;
  let done = 0;
  for (let p = text.indexOf(literal); p >= 0; p = text.indexOf(literal, p + 1)) {
    if (p < done) continue;
    let s = p;
    while (s > done && runChar(text.charCodeAt(s - 1))) s--;
    if (s === p) continue;
    sticky.lastIndex = s;
    const m = sticky.exec(text);
    if (!m) continue;
    done = m.index + m[0].length;
    take(rule, m);
  }
}

// userinfo with a password and no scheme: `admin:s3cret@db1.internal` as a database.yml `host:`,
// `app:pw@pg1:5432/shop` as a `url:` without `postgres://`, `:pw@redis1:6379` as a redis address.
// Nothing parses them as URLs (ActiveRecord reads the first word as a scheme), so the password may
// hold any character a URL would need escaped: `/`, `(`, `'`, `|`, `{`, `\`, a leading `$`, even
// `@`. The decision is made on the whole word (a run without white space: a YAML scalar, an env
// value, a host: field, one word of a terminal line): the userinfo runs from the word's start (or
// after its `scheme://`) to its LAST `@` that a host follows (`[fd00::5]`, `_db`, `2x.example.com`
// included), and everything from its first `:` to that `@` is cut — more than the password when
// in doubt, never less. Spared: an image digest (`ruby:3.3-slim@sha256:…`), a mailto/xmpp/sip/urn
// address, a version or pixel ratio after the `@`, a placeholder, a port or a time before the `@`
// (`localhost:3000@foo`, `10:30@daily`) and a labelled mail address (`contact:ops@example.com`).
const HOST_AFTER = /^(?:\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]|[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*)/;
const DIGEST_HOST = /^(?:sha\d*|md5|blake2[bs]?\d*)$/i;
/** After the `@`, not a host: a version (`pkg:name@1.2.3`; an IPv4 address has four numbers), a pixel ratio (`logo@2x.png`). */
const NOT_A_HOST = /^(?:\d+(?:\.\d+){0,2}|\d+(?:\.\d+){4,}|\d+x(?:\.[A-Za-z]{2,4})?)$/;
const NOT_USERINFO_SCHEME = /^(?:mailto|xmpp|sips?|tel|im|pres|news|urn|npm|data)$/i;
/** A whole password that is a placeholder for one (a shell or ERB expansion, a mask), not one itself. */
const USERINFO_PLACEHOLDER = /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?+-][^}]*)?\}|\$[A-Z_][A-Z0-9_]*|<%.*%>|#\{.*\}|%\{.*\}|\{\{.*\}\}|\[secret\]|\*{3,}|x{6,}|X{6,}|ENV\[.*\]|<[A-Za-z_][^>]*>)$/;
/** A word before `:digits@` that is a host and no user's name: `localhost`, an IPv4 address (a dotted name may be a user's: `jo.doe`). */
const NOT_A_USER = /^(?:localhost|\d{1,3}(?:\.\d{1,3}){3})$/i;
/** A label before a mail address (`contact:ops@example.com`): the right side is the address, not a password. */
const MAIL_LABEL = /^(?:e-?mail|mail|contact|note|see|reply-?to|from|to|cc|bcc|author|maintainer|owner|support|sender|recipient|address)$/i;
const MAIL_DOMAIN = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff;
const trimPunct = (s: string) => s.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");

function userinfoPasswords(text: string, out: SecretSpan[]) {
  let done = 0;
  // Where each line starts and its last quote so far, tracked forward as the words are (each
  // character read once): a word's value may have started many words back, before the last word
  // decided (`mysql2://user:p@ss word@db1`: the first word's `@ss` is not the password's end).
  const at: ValueScan = { oneLine: text.indexOf("\n") < 0, scanned: 0, lineStart: 0, quote: -1, line: null, value: null, openTail: -1 };
  for (let p = text.indexOf("@"); p >= 0; p = text.indexOf("@", Math.max(p + 1, done))) {
    // The word holding this `@`: each word is decided once, as a whole.
    let s = p;
    while (s > done && !isSpace(text.charCodeAt(s - 1))) s--;
    let e = p + 1;
    while (e < text.length && !isSpace(text.charCodeAt(e))) e++;
    done = e;
    const hostAt = userinfoInWord(text, s, e, out);
    // The password may hold a space, where the value's grammar lets one in: the userinfo then
    // started in an earlier word of the value (`postgres://u:p@ss w:x@db1`: the password is `p@ss w:x`).
    if (hostAt) {
      for (; at.scanned < s; at.scanned++) {
        const c = text.charCodeAt(at.scanned);
        if (c === 10) (at.lineStart = at.scanned + 1), (at.quote = -1);
        else if (c === 34 || c === 39) at.quote = at.scanned;
      }
      spacedUserinfo(text, s, hostAt, at, out);
      // Its "host" is all that follows its `@`: that `@` may be inside a password the next words go on with.
      if (hostAt.at + 1 + hostAt.host.length === e) at.openTail = e;
    }
  }
}

/** The scan's place in the text: the current line's start, its last quote before the word, and the value found there. */
interface ValueScan {
  oneLine: boolean;
  scanned: number;
  lineStart: number;
  quote: number;
  /** The current line's LINE_VALUE prefix end (-1: none), once looked for. */
  line: { lineStart: number; end: number } | null;
  /** The current value's userinfo start and first `:` (-1: the user part ends at a space, or the value has none). */
  value: { valueStart: number; start: number; colon: number; scheme: boolean } | null;
  /** The end of the last word whose `@` had nothing but a host after it to the word's end (`p@ss`), or -1. */
  openTail: number;
}

/**
 * The userinfo password of the word text[s, e), if it has one; where the word holds a host after an
 * `@`, that `@` and host (the password may have begun in an earlier word).
 */
function userinfoInWord(text: string, s: number, e: number, out: SecretSpan[]): { at: number; host: string; ownColon: boolean } | null {
  // The last `@` a host follows (digests and versions are no hosts: `name@1.2.3`, `@sha256:`).
  // Every scan stays inside the word: one over the text from each word would make a line of words quadratic.
  let host: string | undefined;
  let at = e - 1;
  for (; at >= s; at--) {
    if (text.charCodeAt(at) !== 64 /* @ */) continue;
    const h = HOST_AFTER.exec(text.slice(at + 1, Math.min(e, at + 257)));
    if (h && !DIGEST_HOST.test(h[0]) && !NOT_A_HOST.test(h[0])) {
      host = h[0];
      break;
    }
  }
  if (host === undefined || at < s) return null;
  // After a `scheme://`, the userinfo starts there (a password may hold `/`, so the URL rule's stop at
  // it is not enough). The word's first one: a password may hold `://` too.
  let scheme = s;
  while (scheme < at - 2 && !(text.charCodeAt(scheme) === 58 && text.charCodeAt(scheme + 1) === 47 && text.charCodeAt(scheme + 2) === 47)) scheme++;
  if (scheme >= at - 2) scheme = s - 1;
  const start = scheme >= s ? scheme + 3 : s;
  let colon = start;
  while (colon < at && text.charCodeAt(colon) !== 58 /* : */) colon++;
  if (colon < at) decide(text, start, colon, at, host, scheme >= s, out);
  return { at, host, ownColon: colon < at };
}

/**
 * A password holding a space (`admin:pass word@db1`), where the grammar of the value lets one in: a
 * quoted string (`"…"`, `'…'`, closed after the host in the same word), or the whole rest of a line
 * that is one value — a YAML mapping value or list item (`host: admin:pass word@db1`, a plain scalar
 * runs to the line's end) or a dotenv line (`KEY=…`: dotenv takes an unquoted value to the line's
 * end), or a text of one line by itself (a value handed over alone: `admin:pass word@db1`). Nowhere
 * else: in a shell or terminal line, white space ends the word. The userinfo starts at
 * the value's start (after its `scheme://`), its user holds no space, and (without a `scheme://`,
 * which says the rest up to the `@` is userinfo) its password neither starts nor ends with one
 * (`note: see ops:x and y@z` is prose). The password runs to this word's `@`, however many `@` and
 * words came before it in the value (`p@ss word`, `pa ss@w`). What is known of a line and of a value
 * is found once, so a line of many such words is still read a bounded number of times.
 */
function spacedUserinfo(text: string, s: number, w: { at: number; host: string; ownColon: boolean }, scan: ValueScan, out: SecretSpan[]) {
  let valueStart: number;
  if (scan.quote >= 0) {
    // Quoted: the same quote closes it right after the host.
    const closing = text.charCodeAt(scan.quote);
    let c = w.at + 1 + w.host.length;
    const end = Math.min(text.length, c + 256);
    while (c < end && text.charCodeAt(c) !== closing && !isSpace(text.charCodeAt(c))) c++;
    if (text.charCodeAt(c) !== closing) return;
    valueStart = scan.quote + 1;
  } else {
    const lineStart = scan.lineStart;
    if (scan.line === null || scan.line.lineStart !== lineStart) {
      // A line's key is short: its prefix is looked for in a bounded slice, once per line.
      const m = LINE_VALUE.exec(text.slice(lineStart, Math.min(text.length, lineStart + 512)));
      scan.line = { lineStart, end: m ? lineStart + m[0].length : -1 };
    }
    if (scan.line.end >= 0 && scan.line.end <= s) valueStart = scan.line.end;
    else if (scan.oneLine && lineStart === 0) valueStart = 0;
    else return;
  }
  // The word is the value's first: its own userinfo was decided with it.
  if (s <= valueStart) return;
  if (scan.value === null || scan.value.valueStart !== valueStart) {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(text.slice(valueStart, Math.min(s, valueStart + 40)));
    const start = valueStart + (scheme ? scheme[0].length : 0);
    // The user part holds no space: the first `:` is looked for up to the first space.
    let colon = start;
    while (colon < s && text.charCodeAt(colon) !== 58 /* : */ && !isSpace(text.charCodeAt(colon))) colon++;
    scan.value = { valueStart, start, colon: colon < s && text.charCodeAt(colon) === 58 ? colon : -1, scheme: scheme !== null };
  }
  const v = scan.value;
  if (v.colon < 0 || v.colon >= w.at) return;
  // A word with a userinfo of its own (`a:pw@h1:27017, b:pw@h2`) is another value's, unless the value
  // is a URL (one userinfo: a space is inside its password) or an earlier word of it ended in an
  // `@` and a bare host (`u:p@ss w:x@db1`), which a password holding an `@` gives.
  if (w.ownColon && !v.scheme && !(scan.openTail > valueStart && scan.openTail <= s)) return;
  if (!v.scheme && (isSpace(text.charCodeAt(v.colon + 1)) || isSpace(text.charCodeAt(w.at - 1)))) return;
  decide(text, v.start, v.colon, w.at, w.host, v.scheme, out);
}

/** The start of a line whose rest is one value: a YAML key (or list item) and its `: `, or a dotenv `KEY=`. */
const LINE_VALUE = /^(?:[ \t]*(?:-[ \t]+)?[A-Za-z0-9_.-]+:[ \t]+|[ \t]*-[ \t]+|[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*=)/;

/** Whether text(colon, at) is a userinfo password: cut unless it is a placeholder, a time, a labelled mail address or a URL's port and path. */
function decide(text: string, start: number, colon: number, at: number, host: string, inUrl: boolean, out: SecretSpan[]) {
  const user = text.slice(start, colon);
  if (NOT_USERINFO_SCHEME.test(user.replace(/^.*[^A-Za-z0-9._~%+-]/, ""))) return;
  const password = text.slice(colon + 1, at);
  // A placeholder is short; a longer text is a password, and testing it whole for each word of a long line would be quadratic.
  if (password === "" || (password.length <= 512 && USERINFO_PLACEHOLDER.test(password))) return;
  const word = trimPunct(user.replace(/^.*[^A-Za-z0-9._~%+-]/, ""));
  // In a URL a port is followed by its path (`https://h:8443/x@y`); without a path the URL rule's decision stands.
  if (inUrl && /^\d{1,5}\//.test(password)) return;
  // Before the `@` is userinfo: a port follows the host, never precedes the `@`, so digits there are a
  // password (`db:4321@db1`, `redis:6379@cache1`) unless the word before them cannot be a user's name:
  // the minutes of a time (`10:30@daily`), or a host (`localhost:3000@dev`, `10.0.0.5:6379@x`).
  if (!inUrl && /^\d{1,5}$/.test(password) && (/^\d{1,2}$/.test(word) || NOT_A_USER.test(word))) return;
  // A labelled mail address: `contact:ops@example.com`.
  if (MAIL_LABEL.test(word) && /^[A-Za-z0-9._%+-]+$/.test(trimPunct(password)) && MAIL_DOMAIN.test(host)) return;
  out.push({ start: colon + 1, end: at, shape: "userinfo password" });
}

/** Whether a value (a string, or a number written as one) holds a secret by its shape. */
export function looksSecretValue(v: unknown): boolean {
  return (typeof v === "string" || typeof v === "number") && secretSpans(String(v)).length > 0;
}

/** What a secret cut out of a text is shown as, everywhere: the report, MIGRATION.md, an analyzer's kept command line. */
export const SECRET_SHOWN_AS = "[secret]";

/** The text with every secret part replaced by `mark`. */
export function cutSecretShapes(text: string, mark: string): string {
  const spans = secretSpans(text);
  if (!spans.length) return text;
  let out = "";
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + mark;
    at = s.end;
  }
  return out + text.slice(at);
}

/**
 * An argv (a worker's command, a directive's arguments) with every secret part cut, judged on the
 * words joined by spaces as the line they were: `--password` and its value, `-a` after `redis-cli`,
 * `Authorization` and `Basic …` are two words, neither a secret alone. Each span found on the line is
 * cut out of the words it covers (the flag rule's span is the value's word only). Null when nothing
 * is secret; `parts` are the texts cut, for the known values every other output is checked against.
 */
export function cutArgv(words: readonly string[], mark: string): { words: string[]; parts: string[] } | null {
  const line = words.join(" ");
  const spans = secretSpans(line);
  if (!spans.length) return null;
  const out: string[] = [];
  const parts: string[] = [];
  let start = 0;
  for (const w of words) {
    const end = start + w.length;
    let shown = "";
    let at = start;
    for (const sp of spans) {
      if (sp.end <= start || sp.start >= end) continue;
      const a = Math.max(sp.start, start);
      const b = Math.min(sp.end, end);
      shown += line.slice(at, a) + mark;
      parts.push(line.slice(a, b));
      at = b;
    }
    out.push(at === start ? w : shown + line.slice(at, end));
    start = end + 1;
  }
  return { words: out, parts };
}
