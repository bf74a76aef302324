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
import { BIN, ROOT, copyFixture } from "../migrate/helpers.js";

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
};

function edit(dir: string, path: string, fn: (s: string) => string) {
  const p = join(dir, path);
  const before = readFileSync(p, "utf8");
  const after = fn(before);
  if (after === before) throw new Error(`planting in ${path} changed nothing`);
  writeFileSync(p, after);
}

function plant(dir: string) {
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

const leaks = (text: string) => Object.entries(PLANTED).filter(([, v]) => text.includes(v)).map(([k]) => k);

describe("secret values never leak", () => {
  it("planted in Global, default_env, a stage variable, database.yml, secrets.yml, a gem source and a template", () => {
    const dir = copyFixture("shop");
    plant(dir);
    const before = new Set(filesUnder(dir));

    const printed: Record<string, string> = {};
    for (const [name, args] of [
      ["analyze", ["analyze", "."]],
      ["analyze --json", ["analyze", ".", "--json"]],
      ["migrate --dry-run", ["migrate", ".", "--dry-run", "--yes"]],
      ["migrate --yes", ["migrate", ".", "--yes"]],
      ["migrate --yes again", ["migrate", ".", "--yes"]],
    ] as [string, string[]][]) {
      const r = run(dir, args);
      expect(r.code, `${name}: ${r.text.slice(-500)}`).toBe(0);
      printed[name] = r.text;
    }
    // The planted secrets were seen as secrets (else the scan proves nothing).
    const json = JSON.parse(run(dir, ["analyze", ".", "--json"]).text.trim().split("\n\n")[0]!) as { secrets: { name: string }[] };
    const names = json.secrets.map((s) => s.name);
    for (const n of ["payment.api_key", "STRIPE_SECRET_KEY", "aws.webhook_secret"]) expect(names, n).toContain(n);

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
    expect(statSync(join(dir, "k8s/overlays/production/secrets.env")).mode & 0o077).toBe(0);
  }, 60_000);
});
