// Never a secret value in stdout, stderr, the JSON report, MIGRATION.md, the answers file or any
// tracked output: known values are planted in every place a Rails team keeps secrets, the real
// CLI runs (analyze, analyze --json, migrate --dry-run, migrate --yes, a re-run), and every byte
// it printed or wrote is scanned. The git-ignored secrets.env files are the one place the values
// may go — and they must, where the repo held them, so that nothing is lost.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import Ajv from "ajv";
import { BIN, ROOT, copyFixture, edit, snapshot } from "../migrate/helpers.js";

const PLANTED = {
  globalLiteral: "PLANTED-global-literal-1111",
  defaultEnv: "PLANTED-default-env-2222",
  capVariable: "PLANTED-cap-var-3333",
  databasePassword: "PLANTED-db-pass-4444",
  secretKeyBase: "PLANTED-skb-5555",
  gemSource: "PLANTED-gemsrc-6666",
  templateLiteral: "PLANTED-template-7777",
  askedDefault: "PLANTED-asked-8888",
  envDefault: "PLANTED-env-default-9999",
  dbEnvDefault: "PLANTED-db-env-default-0000",
  anchorToken: "PLANTED-anchor-token-1212",
  redisFlag: "PLANTED-redis-flag-1313",
  redisCliFlag: "PLANTED-redis-cli-1414",
};

function plant(dir: string) {
  // A password given as a command-line flag: the stored deploy line of a backing service.
  edit(dir, "config/deploy.rb", (s) => `${s}\nnamespace :redis do\n  task :start do\n    on roles(:app) do\n      execute "redis-server config/redis.conf --requirepass ${PLANTED.redisFlag} --masterauth ${PLANTED.redisFlag}"\n      execute "redis-cli -a ${PLANTED.redisCliFlag} ping"\n    end\n  end\nend\nafter "deploy:published", "redis:start"\n`);
  edit(dir, "config/global/payment.yml", (s) => s.replace("sk_live_FAKE11111111111111111111", PLANTED.globalLiteral));
  edit(dir, "config/deploy.rb", (s) => s.replace(`"TZ" => "Asia/Tokyo",`, `"TZ" => "Asia/Tokyo",\n  "STRIPE_SECRET_KEY" => "${PLANTED.defaultEnv}",`));
  edit(dir, "config/deploy/production.rb", (s) => `${s}\nset :slack_webhook_token, "${PLANTED.capVariable}"\n`);
  // A hidden `ask` (its answer typed at each deploy, its default written here), and a short
  // password that is also an ordinary word: hidden where it stands, no id or path cut apart.
  edit(dir, "config/deploy.rb", (s) => `${s}\nask :deploy_token, "${PLANTED.askedDefault}", echo: false\nset :smtp_password, "secret"\n`);
  edit(dir, "config/database.yml.example", (s) => s.replace(`<%= ENV["DB_PASSWORD"] %>`, PLANTED.databasePassword));
  // Secrets as the defaults of ENV reads: in a Global file (with a conversion around the read) and
  // in database.yml.
  edit(dir, "config/global/mailer.yml", (s) => s.replace(`<%= ENV["SMTP_PASSWORD"] %>`, `<%= ENV.fetch("SMTP_PASSWORD", "${PLANTED.envDefault}").to_s %>`));
  edit(dir, "config/database.yml.example", (s) => s.replace(`  host: <%= ENV.fetch("DB_HOST", "127.0.0.1") %>`, `  host: <%= ENV.fetch("DB_HOST", "127.0.0.1") %>\n  replica_password: <%= ENV.fetch("DB_REPLICA_PASSWORD", "${PLANTED.dbEnvDefault}") %>`));
  mkdirSync(join(dir, "config"), { recursive: true });
  writeFileSync(join(dir, "config/secrets.yml"), `production:\n  secret_key_base: ${PLANTED.secretKeyBase}\n`);
  edit(dir, "Gemfile", (s) => s.replace(`source "https://rubygems.org"`, `source "https://rubygems.org"\nsource "https://deploy:${PLANTED.gemSource}@gems.example.com" do\n  gem "shop-internal"\nend`));
  // A shared anchor carrying a deployed stage's token into development and test.
  writeFileSync(join(dir, "config/global/partner.yml"), `development: &default\n  host: partner.example.org\n  token: ${PLANTED.anchorToken}\ntest:\n  <<: *default\nproduction:\n  <<: *default\nstaging:\n  <<: *default\n`);
  edit(dir, "config/deploy/templates/global/aws.yml.erb", (s) => s.replace("  region: ap-northeast-1", `  region: ap-northeast-1\n  webhook_secret: ${PLANTED.templateLiteral}`));
}

function run(dir: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", input: "", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, text: `${r.stdout}\n${r.stderr}` };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** analyze (text and JSON), a dry run, a write and a re-run: each must succeed; what each printed. */
function runEveryCommand(dir: string): Record<string, string> {
  const printed: Record<string, string> = {};
  for (const [name, args] of [
    ["analyze", ["analyze", "."]],
    ["analyze --json", ["analyze", ".", "--json"]],
    ["migrate --dry-run", ["migrate", ".", "--dry-run", "--yes"]],
    ["migrate --yes", ["migrate", ".", "--yes"]],
    ["migrate --yes again", ["migrate", ".", "--yes"]],
  ] as [string, string[]][]) {
    const r = run(dir, args);
    expect(r.code, `${name}: ${r.text.slice(-800)}`).toBe(0);
    printed[name] = r.text;
  }
  return printed;
}

const leaks = (text: string) => Object.entries(PLANTED).filter(([, v]) => text.includes(v)).map(([k]) => k);

describe("secret values never leak", () => {
  it("planted in Global, default_env, a stage variable, database.yml, secrets.yml, a gem source and a template", () => {
    const dir = copyFixture("shop");
    plant(dir);
    const before = new Set(filesUnder(dir));

    const printed = runEveryCommand(dir);
    // The planted secrets were seen as secrets (else the scan proves nothing).
    const json = JSON.parse(run(dir, ["analyze", ".", "--json"]).text.trim().split("\n\n")[0]!) as { secrets: { name: string }[] };
    const names = json.secrets.map((s) => s.name);
    for (const n of ["payment.api_key", "STRIPE_SECRET_KEY", "aws.webhook_secret", "partner.token"]) expect(names, n).toContain(n);

    // The report still reads right: the schema holds, names and ids are whole.
    expect(printed["analyze --json"]).toContain('"id": "secret.keys"');
    const schema = JSON.parse(readFileSync(join(ROOT, "schema/appmodel.schema.json"), "utf8"));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(json), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(printed["analyze --json"]).toContain('"config/secrets.yml"');
    const asked = (json as unknown as { gaps: { id: string; secret?: boolean; default: unknown }[] }).gaps.find((g) => g.id === "cap.production.deploy_token");
    expect(asked).toMatchObject({ secret: true, default: null });
    expect(readFileSync(join(dir, ".rails2k8s.yml"), "utf8")).not.toContain("cap.production.deploy_token");
    for (const [name, text] of Object.entries(printed)) {
      expect({ output: name, leaks: leaks(text) }).toEqual({ output: name, leaks: [] });
    }

    const ignored = readFileSync(join(dir, ".gitignore"), "utf8").split("\n").filter((l) => l.startsWith("/")).map((l) => l.slice(1));
    expect(ignored).toContain("k8s/overlays/production/secrets.env");
    const written = filesUnder(dir).filter((p) => !before.has(p) || p === ".gitignore");
    expect(written).toContain(".rails2k8s.yml");
    expect(written).toContain("MIGRATION.md");
    for (const p of written) {
      if (ignored.includes(p)) continue;
      expect({ file: p, leaks: leaks(readFileSync(join(dir, p), "utf8")) }).toEqual({ file: p, leaks: [] });
    }

    // Carried, not lost: the values the repo held are in the git-ignored secret env file.
    const prodSecrets = readFileSync(join(dir, "k8s/overlays/production/secrets.env"), "utf8");
    expect(prodSecrets).toContain(`=${PLANTED.globalLiteral}\n`);
    expect(prodSecrets).toContain(`STRIPE_SECRET_KEY=${PLANTED.defaultEnv}\n`);
    expect(prodSecrets).toContain(`=${PLANTED.templateLiteral}\n`);
    expect(prodSecrets).toContain(`=${PLANTED.anchorToken}\n`);
    expect(statSync(join(dir, "k8s/overlays/production/secrets.env")).mode & 0o077).toBe(0);
  }, 60_000);
});

// --- every kind of secret, by its shape, in every input file type ---------------------------------
//
// The values below sit under innocent names (`k3`, `PLANT_D4`, `:plant_v5`): only their shape says
// they are secrets. Each planted value is unique to its place, so a leak names where it came from.

/** Deterministic noise over an alphabet (seeded by the place), so that a failure can be replayed. */
function noise(seed: string, length: number, alphabet: string): string {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  let out = "";
  for (let i = 0; i < length; i++) {
    h = (Math.imul(h, 1664525) + 1013904223) >>> 0;
    out += alphabet[(h >>> 8) % alphabet.length];
  }
  return out;
}
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64 = ALNUM + "+/";
const B64URL = ALNUM + "-_";

interface Planted {
  /** What is written into the input file. */
  text: string;
  /** The part that must never appear in an output (a URL's host or a header's scheme may). */
  needle: string;
  /** One line, usable in a URL userinfo, or neither. */
  oneLine: boolean;
  urlSafe: boolean;
}

type Kind = "pem" | "awsKeyId" | "awsSecret" | "stripe" | "slackToken" | "slackWebhook" | "github" | "jwt" | "urlUserinfo" | "authHeader" | "entropy";
const KINDS: Kind[] = ["pem", "awsKeyId", "awsSecret", "stripe", "slackToken", "slackWebhook", "github", "jwt", "urlUserinfo", "authHeader", "entropy"];

function secretOf(kind: Kind, place: string): Planted {
  const n = (len: number, alphabet = ALNUM) => noise(`${kind}:${place}`, len, alphabet);
  switch (kind) {
    case "pem": {
      const body = `MIIEow${n(58, B64)}`;
      return { text: `-----BEGIN RSA PRIVATE KEY-----\n${body}\n${n(64, B64).split("").reverse().join("")}\n-----END RSA PRIVATE KEY-----\n`, needle: body, oneLine: false, urlSafe: false };
    }
    case "awsKeyId": {
      const v = `AKIA${noise(place, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`;
      return { text: v, needle: v, oneLine: true, urlSafe: true };
    }
    case "awsSecret": {
      const v = `wJ7${n(37, B64)}`;
      return { text: v, needle: v, oneLine: true, urlSafe: false };
    }
    case "stripe": {
      const v = `sk_live_${n(24)}`;
      return { text: v, needle: v, oneLine: true, urlSafe: true };
    }
    case "slackToken": {
      const v = `xoxb-${noise(place, 12, "0123456789")}-${noise(place + "b", 13, "0123456789")}-${n(24)}`;
      return { text: v, needle: v, oneLine: true, urlSafe: true };
    }
    case "slackWebhook": {
      const path = `T0${n(8).toUpperCase()}/B0${n(8).toUpperCase()}/${n(24)}`;
      return { text: `https://hooks.slack.com/services/${path}`, needle: path, oneLine: true, urlSafe: false };
    }
    case "github": {
      const v = `ghp_${n(36)}`;
      return { text: v, needle: v, oneLine: true, urlSafe: true };
    }
    case "jwt": {
      const rest = `eyJ${n(40, B64URL)}.${n(43, B64URL)}`;
      return { text: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${rest}`, needle: rest, oneLine: true, urlSafe: true };
    }
    case "urlUserinfo": {
      const pw = `Pw9${n(21)}`;
      return { text: `https://deploy:${pw}@api.example.com/v1`, needle: pw, oneLine: true, urlSafe: false };
    }
    case "authHeader": {
      const token = Buffer.from(`svc:${n(24)}`).toString("base64");
      return { text: `Basic ${token}`, needle: token, oneLine: true, urlSafe: false };
    }
    case "entropy": {
      const v = `Zq7${n(41)}`;
      return { text: v, needle: v, oneLine: true, urlSafe: true };
    }
  }
}

/** A Ruby string literal and a YAML scalar for any value (JSON's escapes mean the same in both). */
const quoted = (s: string) => JSON.stringify(s);

interface Place {
  name: string;
  /** Which kinds fit the place (a PEM cannot be a Procfile command, a webhook URL cannot be a password). */
  fits: (p: Planted) => boolean;
  plant: (dir: string, items: { key: string; p: Planted }[]) => void;
  /** Where migrate carries the value (a stage's git-ignored secrets.env), checked for single-line values. */
  carried?: (key: string) => { stage: string; name: string };
}

const any = () => true;
const oneLine = (p: Planted) => p.oneLine;
const lines = (items: { key: string; p: Planted }[], f: (key: string, p: Planted) => string) => items.map((i) => f(i.key, i.p)).join("\n");

const PLACES: Place[] = [
  {
    name: "Global YAML value",
    fits: any,
    plant: (dir, items) => writeFileSync(join(dir, "config/global/plant.yml"), `default:\n  flag: true\nproduction:\n${lines(items, (k, p) => `  ${k}: ${quoted(p.text)}`)}\n`),
  },
  {
    name: "Global ERB default",
    fits: (p) => p.oneLine,
    plant: (dir, items) => writeFileSync(join(dir, "config/global/plant_erb.yml"), `production:\n${lines(items, (k, p) => `  ${k}: <%= ENV.fetch("PLANT_E_${k.toUpperCase()}", ${quoted(p.text)}) %>`)}\n`),
  },
  {
    name: "config/deploy.rb variable",
    fits: any,
    plant: (dir, items) => edit(dir, "config/deploy.rb", (s) => `${s}\n${lines(items, (k, p) => `set :plant_v_${k}, ${quoted(p.text)}`)}\n`),
  },
  {
    // A question Capistrano asked at each deploy, its default written here: asked masked, never saved.
    name: "Capistrano ask default",
    fits: oneLine,
    plant: (dir, items) => edit(dir, "config/deploy.rb", (s) => `${s}\n${lines(items, (k, p) => `ask :plant_a_${k}, ${quoted(p.text)}`)}\n`),
  },
  {
    name: "config/deploy.rb default_env",
    fits: any,
    plant: (dir, items) => edit(dir, "config/deploy.rb", (s) => s.replace(`"TZ" => "Asia/Tokyo",`, `"TZ" => "Asia/Tokyo",\n${lines(items, (k, p) => `  "PLANT_D_${k.toUpperCase()}" => ${quoted(p.text)},`)}`)),
    // production.rb sets its own default_env below: deploy.rb's is staging's.
    carried: (k) => ({ stage: "staging", name: `PLANT_D_${k.toUpperCase()}` }),
  },
  {
    name: "stage file variable and default_env",
    fits: any,
    plant: (dir, items) =>
      edit(dir, "config/deploy/production.rb", (s) => `${s}\n${lines(items, (k, p) => `set :plant_s_${k}, ${quoted(p.text)}`)}\nset :default_env, {\n  "TZ" => "Asia/Tokyo",\n  path: "$HOME/.rbenv/shims:$PATH",\n${lines(items, (k, p) => `  "PLANT_SD_${k.toUpperCase()}" => ${quoted(p.text)},`)}\n}\n`),
    carried: (k) => ({ stage: "production", name: `PLANT_SD_${k.toUpperCase()}` }),
  },
  {
    name: "schedule.rb env",
    fits: any,
    plant: (dir, items) => edit(dir, "config/schedule.rb", (s) => s.replace(`env :PATH,`, `${lines(items, (k, p) => `env :PLANT_C_${k.toUpperCase()}, ${quoted(p.text)}`)}\nenv :PATH,`)),
    carried: (k) => ({ stage: "production", name: `PLANT_C_${k.toUpperCase()}` }),
  },
  {
    name: "database.yml",
    fits: any,
    plant: (dir, items) => edit(dir, "config/database.yml.example", (s) => `${s}${lines(items, (k, p) => `  ${k}: ${quoted(p.text)}`)}\n`),
  },
  {
    name: "secrets.yml",
    fits: any,
    plant: (dir, items) => writeFileSync(join(dir, "config/secrets.yml"), `production:\n${lines(items, (k, p) => `  ${k}: ${quoted(p.text)}`)}\n`),
  },
  {
    name: "sidekiq.yml",
    fits: any,
    plant: (dir, items) => edit(dir, "config/sidekiq.yml", (s) => `${s}${lines(items, (k, p) => `:${k}: ${quoted(p.text)}`)}\n`),
  },
  {
    name: "Procfile",
    fits: oneLine,
    plant: (dir, items) => edit(dir, "Procfile", (s) => `${s}${lines(items, (k, p) => `${k}: bin/notify --to '${p.text}'`)}\n`),
  },
  {
    // A Global file Capistrano renders on the servers (deploy:upload_global): its literals are the
    // servers' settings, carried as secrets when they look like ones.
    name: "Global template (.yml.erb)",
    fits: any,
    plant: (dir, items) => edit(dir, "config/deploy/templates/global/aws.yml.erb", (s) => s.replace("  cloudfront_host: assets.shop.example.com", `  cloudfront_host: assets.shop.example.com\n${lines(items, (k, p) => `  plant_t_${k}: ${quoted(p.text)}`)}`)),
  },
  {
    name: "other YAML read for its ENV names (storage.yml ERB default)",
    fits: oneLine,
    plant: (dir, items) => writeFileSync(join(dir, "config/storage.yml"), `amazon:\n  service: S3\n${lines(items, (k, p) => `  ${k}: <%= ENV.fetch("PLANT_Y_${k.toUpperCase()}", ${quoted(p.text)}) %>`)}\n`),
  },
  {
    name: "unicorn config (ENV defaults and a literal)",
    fits: any,
    plant: (dir, items) =>
      edit(dir, "config/unicorn/production.rb", (s) => `${s}\n${lines(items, (k, p) => `plant_u_${k} = ENV["PLANT_U_${k.toUpperCase()}"] || ${quoted(p.text)}\nplant_uf_${k} = ENV.fetch("PLANT_UF_${k.toUpperCase()}", ${quoted(p.text)})`)}\n`),
  },
  {
    name: "puma config",
    fits: any,
    plant: (dir, items) => writeFileSync(join(dir, "config/puma.rb"), `workers Integer(ENV.fetch("WEB_CONCURRENCY", 2))\n${lines(items, (k, p) => `plant_${k} = ENV.fetch("PLANT_P_${k.toUpperCase()}") { ${quoted(p.text)} }`)}\n`),
  },
  {
    name: "initializer ENV default",
    fits: any,
    plant: (dir, items) => writeFileSync(join(dir, "config/initializers/plant.rb"), `${lines(items, (k, p) => `PLANT_I_${k.toUpperCase()} = ENV.fetch("PLANT_I_${k.toUpperCase()}", ${quoted(p.text)})`)}\n`),
  },
  {
    // Named as secret files by their name; their lines are never shown.
    name: ".env files",
    fits: oneLine,
    plant: (dir, items) => {
      writeFileSync(join(dir, ".env"), `${lines(items, (k, p) => `PLANT_N_${k.toUpperCase()}=${p.text}`)}\n`);
      writeFileSync(join(dir, ".env.production"), `${lines(items, (k, p) => `export PLANT_NP_${k.toUpperCase()}="${p.text}"`)}\n`);
    },
  },
  {
    name: "Gemfile source URL",
    fits: (p) => p.urlSafe,
    plant: (dir, items) => edit(dir, "Gemfile", (s) => `${s}\n${lines(items, (k, p) => `source "https://deploy:${p.text}@gems-${k}.example.com" do\n  gem "plant-${k}"\nend`)}\n`),
  },
];

function plantEverywhere(dir: string, places: Place[], kinds: Kind[]) {
  const planted: { place: string; kind: Kind; key: string; p: Planted }[] = [];
  for (const place of places) {
    const items = kinds.map((kind, i) => ({ kind, key: `k${i}`, p: secretOf(kind, `${place.name}:${kind}`) })).filter((x) => place.fits(x.p));
    place.plant(dir, items);
    planted.push(...items.map((x) => ({ place: place.name, kind: x.kind, key: x.key, p: x.p })));
  }
  return planted;
}

const leaksOf = (planted: { place: string; kind: Kind; p: Planted }[], text: string) => planted.filter((x) => text.includes(x.p.needle)).map((x) => `${x.place}: ${x.kind}`);

function trackedOutput(dir: string, before: Set<string>): string[] {
  const ignored = readFileSync(join(dir, ".gitignore"), "utf8").split("\n").filter((l) => l.startsWith("/")).map((l) => l.slice(1));
  return filesUnder(dir).filter((p) => (!before.has(p) || p === ".gitignore") && !ignored.includes(p));
}

describe("secrets recognised by shape never leak", () => {
  it("each kind, planted under innocent names in every input file type, stays out of every output", () => {
    const dir = copyFixture("shop");
    const planted = plantEverywhere(dir, PLACES, KINDS);
    const before = new Set(filesUnder(dir));
    const printed = runEveryCommand(dir);
    for (const [name, text] of Object.entries(printed)) expect({ output: name, leaks: leaksOf(planted, text) }).toEqual({ output: name, leaks: [] });
    const written = trackedOutput(dir, before);
    expect(written).toContain("MIGRATION.md");
    expect(written).toContain(".rails2k8s.yml");
    for (const p of written) expect({ file: p, leaks: leaksOf(planted, readFileSync(join(dir, p), "utf8")) }).toEqual({ file: p, leaks: [] });

    // Seen as secrets (the report lists them), and carried where a variable holds them.
    const json = JSON.parse(printed["analyze --json"]!.trim().split("\n\n")[0]!) as { secrets: { name: string }[] };
    const names = json.secrets.map((s) => s.name);
    expect(names).toContain("PLANT_C_K3");
    expect(names).toContain(":plant_v_k5");
    // The new places were read, not skipped (else their scan proves nothing).
    expect(names).toContain("aws.plant_t_k1");
    for (const n of ["PLANT_Y_K1", "PLANT_UF_K1", "PLANT_U_K1", "PLANT_I_K1"]) expect(printed["analyze --json"], n).toContain(n);
    // shop's bundle has no puma: its config/puma.rb is read and named unused (its ENV reads are no boot reads)
    expect(printed["analyze --json"]).toMatch(/config\/puma\.rb is not used/);
    for (const place of PLACES.filter((p) => p.carried))
      for (const x of planted.filter((y) => y.place === place.name && y.p.oneLine)) {
        const { stage, name } = place.carried!(x.key);
        expect(readFileSync(join(dir, `k8s/overlays/${stage}/secrets.env`), "utf8"), `${place.name} ${x.kind}`).toContain(`${name}=${x.p.text}\n`);
      }
  }, 120_000);

  it("a secret in a cron command or an nginx header: kept out of every committed file, or refused naming the file (exit 2, nothing written)", () => {
    const dir = copyFixture("shop");
    const planted = plantEverywhere(
      dir,
      [
        {
          name: "schedule.rb command",
          fits: oneLine,
          plant: (d, items) => edit(d, "config/schedule.rb", (s) => `${s}\nevery 1.day do\n${lines(items, (k, p) => `  command "curl -fsS -H 'Authorization: Bearer ${p.needle}' https://example.com/${k}"`)}\nend\n`),
        },
        {
          name: "nginx proxy_set_header",
          fits: oneLine,
          plant: (d, items) => edit(d, "config/deploy/templates/nginx.conf.erb", (s) => s.replace("    proxy_set_header X-Forwarded-Proto $scheme;", `    proxy_set_header X-Forwarded-Proto $scheme;\n${lines(items, (k, p) => `    proxy_set_header ${p.text.startsWith("Basic ") ? "Authorization" : `X-Plant-${k}`} "${p.text}";`)}`)),
        },
        {
          name: "nginx conf template (ERB) values",
          fits: (p) => p.oneLine && !p.text.startsWith("Basic "),
          plant: (d, items) => edit(d, "config/deploy/templates/nginx.conf.erb", (s) => s.replace("    proxy_set_header X-Forwarded-Proto $scheme;", `    proxy_set_header X-Forwarded-Proto $scheme;\n${lines(items, (k, p) => `    # token ${p.text}\n    set $plant_${k} "${p.text}";`)}`)),
        },
      ],
      KINDS,
    );
    const before = snapshot(dir);
    for (const args of [["analyze", "."], ["analyze", ".", "--json"]]) {
      const r = run(dir, args);
      expect(r.code).toBe(0);
      expect(leaksOf(planted, r.text), args.join(" ")).toEqual([]);
    }
    const r = run(dir, ["migrate", ".", "--yes"]);
    expect(leaksOf(planted, r.text)).toEqual([]);
    if (r.code === 2) {
      expect(r.text).toMatch(/(k8s\/\S+|docker\/nginx\/nginx\.conf):\d+: would hold a secret \([^)]+\) taken from config\/(schedule\.rb|deploy\/templates\/nginx\.conf\.erb)/);
      expect(snapshot(dir)).toEqual(before);
    } else {
      expect(r.code, r.text.slice(-500)).toBe(0);
      const written = trackedOutput(dir, new Set(Object.keys(before)));
      for (const p of written) expect({ file: p, leaks: leaksOf(planted, readFileSync(join(dir, p), "utf8")) }).toEqual({ file: p, leaks: [] });
    }
  }, 60_000);

  it("an answer shaped like a secret is never saved in the answers file, and never reaches a committed file", () => {
    const dir = copyFixture("shop");
    expect(run(dir, ["migrate", ".", "--yes"]).code).toBe(0);
    const token = secretOf("awsKeyId", "answer").text;
    const answersFile = join(dir, ".rails2k8s.yml");
    // An answer that follows its grammar and lands in a committed file: an AWS key id is a valid
    // registry host, and the repository reaches each overlay's kustomization.yaml. (Time zones,
    // names and tags refuse most secret shapes by their grammar first.)
    edit(dir, ".rails2k8s.yml", (s) => s.replace(/^image\.repository: .*$/m, `image.repository: ${token}/shop`));
    const before = snapshot(dir);
    const r = run(dir, ["migrate", ".", "--yes"]);
    expect(r.text).not.toContain(token);
    // Refused, naming the committed file and the answer.
    expect(r.code, r.text.slice(-400)).toBe(2);
    expect(r.text).toMatch(/k8s\/\S+:\d+: would hold a secret \(AWS access key id\) taken from \.rails2k8s\.yml/);
    expect(snapshot(dir)).toEqual(before);
    expect(readFileSync(answersFile, "utf8")).toContain(token); // the user's own file, untouched
  }, 60_000);

  it("an answer with a grammar (the image tag) that holds a secret is refused, never shown", () => {
    const dir = copyFixture("shop");
    expect(run(dir, ["migrate", ".", "--yes"]).code).toBe(0);
    const token = secretOf("github", "tag").text;
    edit(dir, ".rails2k8s.yml", (s) => s.replace(/^image\.tag: .*$/m, `image.tag: ${token}`));
    const r = run(dir, ["migrate", ".", "--yes", "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.text).not.toContain(token);
    // A GitHub token is a valid OCI tag: the secret check refuses it, naming the question, not the value.
    expect(r.text).toMatch(/image\.tag/);
  }, 60_000);

  it("an old answer holding a secret is dropped when the answers file is written again", () => {
    const dir = copyFixture("shop");
    expect(run(dir, ["migrate", ".", "--yes"]).code).toBe(0);
    const hook = secretOf("slackWebhook", "old answer");
    edit(dir, ".rails2k8s.yml", (s) => `${s}\nold.notify_url: ${hook.text}\nold.kept: plain value\n`);
    const r = run(dir, ["migrate", ".", "--yes"]);
    expect(r.code, r.text.slice(-400)).toBe(0);
    expect(r.text).toContain("the answer to old.notify_url holds a secret value: it is not saved in the answers file");
    expect(r.text).not.toContain(hook.needle);
    const saved = readFileSync(join(dir, ".rails2k8s.yml"), "utf8");
    expect(saved).not.toContain(hook.needle);
    expect(saved).toContain("old.kept: plain value");
  }, 60_000);
});
