// The hostile repo: a copy of fixtures/apps/shop with a payload planted in every field the
// analyzers read. Each payload would run `touch` on a marker path if any generated file (or the
// tool itself) ever treated it as code, so "inert" is checked twice: by reading the output with
// the real tools, and by the marker never appearing. Every marker carries this run's random id,
// so a leftover from another run cannot make a test pass or fail.
import { randomBytes, createHash } from "node:crypto";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { edit } from "../../migrate/helpers.js";
import { dirname, join } from "node:path";

export const RUN_ID = randomBytes(4).toString("hex");
/** Every marker contains this: a token holding it is a planted value. */
export const MARK = `pwned-${RUN_ID}`;
export const marker = (field: string) => `r2k-${MARK}-${field}`;
/** Runs `touch` on an absolute marker in /tmp (for values inside files). */
export const touchTmp = (field: string) => `touch /tmp/${marker(field)}`;
/** Runs `touch` on a marker relative to the working directory (for file names: no slash). */
export const touchHere = (field: string) => `touch ${marker(field)}`;
/** Text after a planted newline: a line of any line-based output must never start with it. */
export const NLTAIL = `NLTAIL${RUN_ID}`;

/** Raw terminal controls: set the window title, clear the screen. */
export const ESC_TITLE = "\x1b]0;pwned\x07";
export const ESC_CLEAR = "\x1b[2J";

const alnum = (n: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") =>
  [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join("");

/** Secret shapes planted under names that do not say "secret": only their shape gives them away. */
export const SECRETS = (() => {
  const pemLines = [0, 1, 2].map((i) => createHash("sha512").update(`${RUN_ID}-pem-${i}`).digest("base64").slice(0, 64));
  const jwtSig = randomBytes(32).toString("base64url");
  const jwtBody = Buffer.from(JSON.stringify({ sub: `r2k-${RUN_ID}`, iat: 1700000000 })).toString("base64url");
  const basic = Buffer.from(`deploy:${alnum(20)}`).toString("base64");
  const slackPath = alnum(24, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  return {
    pem: { value: `-----BEGIN RSA PRIVATE KEY-----\n${pemLines.join("\n")}\n-----END RSA PRIVATE KEY-----\n`, needle: pemLines[1] },
    aws: { value: `AKIA${alnum(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`, needle: "" },
    stripe: { value: `sk_live_${alnum(24, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`, needle: "" },
    jwt: { value: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${jwtBody}.${jwtSig}`, needle: jwtSig },
    slack: { value: `https://hooks.slack.com/services/T${alnum(8)}/B${alnum(8)}/${slackPath}`, needle: slackPath },
    basicAuth: { value: basic, needle: basic },
    cronToken: { value: `r2kcron${randomBytes(16).toString("hex")}`, needle: "" },
  };
})();
for (const s of Object.values(SECRETS)) if (!s.needle) s.needle = s.value;

/** Planted file names (relative to the repo). */
export const NAMES = {
  globalFile: `config/global/a"#{\`${touchHere("gfile")}\`}".yml`,
  globalDir: `config/global/$(${touchHere("gdir")})'q/b"c.yml`,
  globalNewline: `config/global/nl\n${NLTAIL} ${marker("gnl")}.yml`,
  // Upper case, an underscore and a dot: mapped to a DNS label (qa-blue-v2), not refused. A name
  // that cannot be mapped (a space, a quote, a newline) is refused: see UNMAPPABLE_STAGE.
  stage: `config/deploy/QA_Blue.v2.rb`,
};

/** A stage file name no Kubernetes name can be made of: refused (exit 2), never mapped. */
export const UNMAPPABLE_STAGE = `config/deploy/evil stage "q' $(${touchHere("stage")})\n${NLTAIL}.rb`;

/** Values planted inside files, as the app would read them (after Ruby/YAML decoding). */
export const VALUES = {
  globalFileNamespace: `a"#{\`${touchHere("gfile")}\`}"`,
  globalDirNamespace: `$(${touchHere("gdir")})'q`,
  yamlKeyInterp: `q"#{\`${touchTmp("ykey")}\`}`,
  yamlValInterp: `v"#{\`${touchTmp("yval")}\`}"`,
  yamlKeyCurly: "%>{{x}}${HOME}",
  yamlValCurly: `%> {{ y }} \${PATH} $(${touchTmp("ycurly")})`,
  yamlKeyNewline: `nl\nkey${marker("yknl")}`,
  yamlValNewline: `line1\n${NLTAIL} \`${touchTmp("ynl")}\``,
  yamlValSingle: `single ' quote #{\`${touchTmp("ysq")}\`}`,
  yamlValErb: `<%= \`${touchTmp("yerb")}\` %>`,
  yamlSecretKey: `token"#{\`${touchTmp("skey")}\`}`,
  app: `shop"$(${touchTmp("app")})'`,
  defaultEnvNewline: `line1\n${NLTAIL} $(${touchTmp("denv")})`,
  defaultEnvQuotes: `it's "q" $(${touchTmp("denv2")}) \`${touchTmp("denv3")}\` #{x}`,
  // Paths: secret-looking files (.key) and an uploads dir, so that they reach .dockerignore, the
  // Secret and the Dockerfile; relative markers, as a "/tmp/" would make a path look like a cache.
  linkedFile: `config/evil"$(${touchHere("lfile")})'.key`,
  linkedFileNewline: `config/evil\n!/k8s/\n${NLTAIL}.key`,
  linkedDir: `public/uploads/evil dir$(${touchHere("ldir")})'`,
  host: `evil-host.example.com\`${touchTmp("host")}\``,
  hostEscape: `web3${ESC_TITLE}${ESC_CLEAR}.shop.example.com`,
  serverNameEscape: `e${ESC_CLEAR}x.example.com`,
  branch: `main"; ${touchTmp("branch")}; #{x}`,
  s3Bucket: `bucket$(${touchTmp("s3")})`,
  queue: `default"$(${touchTmp("queue")})'`,
  cronCommand: `echo "$(${touchTmp("cron")})" 'it'"'"'s' "#{x}" && true`,
  rakeTask: `orders:report[x'y]`,
  procfile: `echo "$(${touchTmp("proc")})" 'x'`,
  erbTouch: `\`${touchTmp("erb")}\``,
};

/** A Ruby double-quoted literal for any text: escapes that Ruby (and Prism) decode. */
function rubyStr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "#") out += "\\#";
    else if (ch === "\n") out += "\\n";
    else if (c === 0x1b) out += "\\e";
    else if (c === 0x07) out += "\\a";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** A YAML double-quoted scalar for any text. */
function yamlStr(s: string): string {
  return JSON.stringify(s);
}

function put(dir: string, path: string, text: string | Buffer) {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** Plants every payload into a copy of shop. `outside` is a directory next to the repo that must never change. */
export function plantHostile(dir: string, outside: string): void {
  // File and directory names.
  put(dir, NAMES.globalFile, "default:\n  k: v\n");
  put(dir, NAMES.globalDir, "default:\n  k: v\n");
  put(dir, NAMES.globalNewline, "default:\n  k: v\n");

  // YAML keys and values: quotes, #{}, %>, newlines, {{ }}, ${}, an escaped ERB tag that Global
  // renders to a literal "<%= ... %>", and secrets by shape.
  put(
    dir,
    "config/global/hostile.yml",
    [
      "# Hostile keys and values (rails2k8s hostile-repo test).",
      "default:",
      `  ${yamlStr(VALUES.yamlKeyInterp)}: ${yamlStr(VALUES.yamlValInterp)}`,
      `  ${yamlStr(VALUES.yamlKeyCurly)}: ${yamlStr(VALUES.yamlValCurly)}`,
      `  ${yamlStr(VALUES.yamlKeyNewline)}: ${yamlStr(VALUES.yamlValNewline)}`,
      `  sq: '${VALUES.yamlValSingle.replace(/'/g, "''")}'`,
      `  erb_text: "<%%= \`${touchTmp("yerb")}\` %>"`,
      `  ${yamlStr(VALUES.yamlSecretKey)}: "s3cr3t-${RUN_ID}"`,
      "production:",
      "  sq: 'prod'",
      // Under a deployed environment: the values the servers use, which no committed output may
      // hold. (A secret the repo already commits for development or test is copied there as is.)
      `  processor_ref: ${SECRETS.stripe.value}`,
      "  tls_blob: |",
      ...SECRETS.pem.value.trimEnd().split("\n").map((l) => `    ${l}`),
      "",
    ].join("\n"),
  );

  // A stage whose file name must be mapped to be a Kubernetes name; its values are hostile.
  put(
    dir,
    NAMES.stage,
    [
      "# A stage with a hostile name (rails2k8s hostile-repo test).",
      `server ${rubyStr(VALUES.host)}, user: "deploy", roles: %w[web app db worker], primary: true`,
      `set :rails_env, "production"`,
      `set :branch, ${rubyStr(VALUES.branch)}`,
      `set :server_name, "hostile.example.com"`,
      `set :s3_bucket, ${rubyStr(VALUES.s3Bucket)}`,
      `set :payment_endpoint, "https://pay.example.com/api"`,
      `set :api_bearer, ${rubyStr(SECRETS.jwt.value)}`,
      "",
    ].join("\n"),
  );

  // Hosts: a server with terminal escapes, and server_name with escapes (as Ruby escapes here,
  // raw bytes in the nginx template).
  edit(dir, "config/deploy/production.rb", (s) =>
    s
      .replace(`server "web2.shop.example.com", user: "deploy", roles: %w[web app]`, (m) => `${m}\nserver ${rubyStr(VALUES.hostEscape)}, user: "deploy", roles: %w[web app]`)
      .replace(`set :server_name, "shop.example.com www.shop.example.com"`, `set :server_name, ${rubyStr(`shop.example.com www.shop.example.com ${VALUES.serverNameEscape}`)}`),
  );

  // deploy.rb: the application name, default_env values, linked files and dirs, secrets by shape.
  edit(dir, "config/deploy.rb", (s) =>
    s
      .replace(`set :application, "shop"`, `set :application, ${rubyStr(VALUES.app)}`)
      .replace(`  "TZ" => "Asia/Tokyo",`, `  "TZ" => "Asia/Tokyo",\n  "EVIL_NL" => ${rubyStr(VALUES.defaultEnvNewline)},\n  "EVIL_Q" => ${rubyStr(VALUES.defaultEnvQuotes)},`)
      .replace(`"config/global/aws.yml"`, (m) => `${m}, ${rubyStr(VALUES.linkedFile)}, ${rubyStr(VALUES.linkedFileNewline)}`)
      .replace(`"public/system")`, (m) => `"public/system", ${rubyStr(VALUES.linkedDir)})`)
      .concat(`\nset :backup_key_id, ${rubyStr(SECRETS.aws.value)}\nset :notify_url, ${rubyStr(SECRETS.slack.value)}\n`),
  );

  // nginx: escapes in server_name, ERB that runs a command, an Authorization header.
  edit(dir, "config/deploy/templates/nginx.conf.erb", (s) =>
    s
      .replace("server_name <%= fetch(:server_name) %>;", `server_name <%= fetch(:server_name) %> t${ESC_TITLE}.example.com ${ESC_CLEAR}clear.example.com;`)
      .replace("client_max_body_size 20M;", "client_max_body_size <%= `echo 20M` %>;")
      .replace("  location @unicorn {\n", `  location @unicorn {\n    proxy_set_header Authorization "Basic ${SECRETS.basicAuth.value}";\n    add_header X-Pwned "<%= ${VALUES.erbTouch} %>";\n`),
  );

  // whenever: a secret env, a command with $(...) and quotes, a rake task with a quote.
  edit(dir, "config/schedule.rb", (s) =>
    s
      .replace(`env :PATH,`, `env :CRON_TOKEN, ${rubyStr(SECRETS.cronToken.value)}\nenv :PATH,`)
      .concat(`\nevery 1.day, at: "2:00 am" do\n  command ${rubyStr(VALUES.cronCommand)}\nend\n\nevery 2.hours do\n  rake ${rubyStr(VALUES.rakeTask)}\nend\n`),
  );

  // sidekiq: a queue name with quotes and $(...).
  edit(dir, "config/sidekiq.yml", (s) => s.replace("  - [low, 1]", `  - [low, 1]\n  - [${yamlStr(VALUES.queue)}, 1]`));

  // Procfile: a process whose command would run a marker.
  edit(dir, "Procfile", (s) => `${s}release: ${VALUES.procfile}\n`);

  // Symlinks out of the repo, on paths the tool reads (never writes): it must not follow them.
  symlinkSync(outside, join(dir, "config/global/outside"));
  mkdirSync(join(dir, "public"), { recursive: true });
  symlinkSync(outside, join(dir, "public/system"));
  symlinkSync(join(outside, "payment.yml"), join(dir, "config/global/linked.yml"));
}

/** The sentinel files next to the repo: names the tool writes, so a stray write or sweep would hit them. */
export function makeOutside(outside: string): void {
  mkdirSync(outside, { recursive: true });
  const files: Record<string, string> = {
    "kustomization.yaml": "sentinel: kustomization\n",
    "secrets.env": "SENTINEL=1\n",
    "secrets.env.example": "SENTINEL=\n",
    "config.env": "SENTINEL=1\n",
    "patches.yaml": "sentinel: patches\n",
    ".secrets.env.rails2k8s-1-0.tmp": "SENTINEL=tmp\n",
    "payment.yml": "default:\n  sentinel: true\n",
    "MIGRATION.md": "# sentinel\n",
    "base/kustomization.yaml": "sentinel: base\n",
    "overlays/production/secrets.env": "SENTINEL=2\n",
  };
  for (const [p, t] of Object.entries(files)) put(outside, p, t);
}

/** The field a marker names, for each marker in `text`. */
export function fieldsIn(text: string): string[] {
  return [...text.matchAll(new RegExp(`r2k-${MARK}-([a-z0-9]+)`, "g"))].map((m) => m[1]);
}

/** Each marker's field → the whole value it was planted in, as the app reads it. */
export const PLANTED: Record<string, string> = (() => {
  const out: Record<string, string> = {};
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1).replace(/\.(rb|yml)$/, "");
  const sources = [
    ...Object.values(VALUES),
    base(NAMES.globalNewline),
    base(NAMES.stage),
  ];
  for (const v of sources) for (const f of fieldsIn(v)) out[f] ??= v;
  return out;
})();
