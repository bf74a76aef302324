// A secret of the deployed stages carried into development/test by a shared anchor
// (`development: &default` merged into every environment): the generated config/custom file must
// not hold it in its development or test section either. Those sections read the same variable;
// a development literal that differs from every deployed value is kept, with a named note.
// Real Rails (Debian's railties) then reads, per environment, what Global gave.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { planConfig } from "../../emitters/rails-config/index.js";
import { secretEnvFile } from "../../emitters/contract.js";
import type { AppModel, EmittedFile } from "../../src/model.js";
import { writeApp } from "./harness.js";

const TOKEN = "9d41c7e2b05a3f6d8e1b4c7a0f2d5e8b3a6c9f1e4d7b0a3c6f9e2d5b8a1c4e7f";
const PROD_KEY = "Qm7vX2pL9sK4wT8nR1yB6cH3jF5dG0aZ";
const STAGING_KEY = "Hn4kP8tW2xV6bM0qS3zL7rC1yD5fJ9gE";
const DEV_KEY = "local-development-key";
const SMTP_DEFAULT = "Vr5tY8uI2oP6aS9dF3gH7jK1";

const APP: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\ngem "unicorn"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    global (2.1.0)\n    rails (6.1.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails (~> 6.1)\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n",
  "config/application.rb": "module Alumni\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": 'set :application, "alumni"\nset :repo_url, "git@example.com:alumni.git"\n',
  "config/deploy/production.rb": 'server "web1.example.com", user: "deploy", roles: %w[web app]\n',
  "config/deploy/staging.rb": 'server "staging.example.com", user: "deploy", roles: %w[web app]\nset :rails_env, "staging"\n',
  // One anchor carries the production token into every environment.
  "config/global/directory.yml": `development: &default
  api_host: directory.example.org
  token: ${TOKEN}
  token_expire_days: 365
test:
  <<: *default
staging:
  <<: *default
production:
  <<: *default
  api_host: directory.example.com
`,
  // Development has a key of its own: kept, said.
  "config/global/cipher.yml": `default:
  algorithm: aes-256-gcm
development:
  secret_key: ${DEV_KEY}
test:
  secret_key: ${DEV_KEY}
production:
  secret_key: ${PROD_KEY}
staging:
  secret_key: ${STAGING_KEY}
`,
  // A secret default of an ENV read, written once for every environment.
  "config/global/mailer.yml": `default:
  user: mailer
  password: <%= ENV.fetch("SMTP_PASSWORD", "${SMTP_DEFAULT}") %>
`,
};

let model: AppModel;
let files: EmittedFile[];
let root: string;
beforeAll(async () => {
  model = await analyzeFiles(memoryRepo(APP), "alumni");
  const answers = Object.fromEntries(model.gaps.map((g) => [g.id, g.default]));
  files = EMITTERS.flatMap((e) => e.emit(model, answers).files);
  root = mkdtempSync(join(tmpdir(), "r2k-anchor-"));
  for (const [p, c] of Object.entries(APP)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
}, 60_000);

const parseEnv = (text: string) => Object.fromEntries(text.split("\n").flatMap((l) => (/^([A-Za-z_]\w*)=(.*)$/.exec(l) ? [[RegExp.$1, RegExp.$2]] : [])));
const custom = (ns: string) => files.find((f) => f.path === `config/custom/${ns}.yml`)!.content;

describe("a deployed secret carried into development/test by an anchor", () => {
  it("is in no tracked file, development/test sections included", () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files.filter((f) => !f.secret)) for (const v of [TOKEN, PROD_KEY, STAGING_KEY, SMTP_DEFAULT]) expect(f.content.includes(v), `${f.path} holds a deployed secret`).toBe(false);
    // Read from the same variable in every section, development and test too.
    expect(custom("directory")).toMatch(/ENV\["DIRECTORY_TOKEN"\]/);
    expect(custom("directory")).not.toMatch(/^\s*token: [0-9a-f]/m);
    // The development-only key stays (it is not a deployed value); the count is no secret.
    expect(custom("cipher")).toContain(DEV_KEY);
    expect(custom("directory")).toMatch(/token_expire_days: 365/);
    const notes = planConfig(model, Object.fromEntries(model.gaps.map((g) => [g.id, g.default]))).notes.map((n) => n.message);
    expect(notes.some((m) => /^directory\.token in development held the same secret as a deployed stage: read from ENV\["DIRECTORY_TOKEN"\]/.test(m))).toBe(true);
    expect(notes.some((m) => /^cipher\.secret_key in development: the development literal is kept/.test(m))).toBe(true);
    expect(notes.some((m) => /^mailer\.password in (development|test): the secret default of its ENV read/.test(m))).toBe(true);
    // Carried to the git-ignored file, not lost.
    const prod = parseEnv(files.find((f) => f.path === secretEnvFile("production"))!.content);
    expect(prod.DIRECTORY_TOKEN).toBe(TOKEN);
    expect(prod.SMTP_PASSWORD).toBe(SMTP_DEFAULT);
  });

  // Each environment under real Rails: the deployed ones with the pod's env files, development with
  // the variables a laptop sets (the same names).
  for (const [env, stage] of [["production", "production"], ["staging", "staging"], ["development", "production"], ["test", "production"]] as const)
    it(`${env}: real Rails reads what Global gave`, () => {
      const pod: Record<string, string> = parseEnv(files.find((f) => f.path === secretEnvFile(stage))!.content);
      const dir = writeApp(files.filter((f) => f.path.startsWith("config/") || f.path.startsWith("lib/tasks/")));
      const input = join(dir, "verify-input.json");
      writeFileSync(input, JSON.stringify({ app_dir: dir, fixture_root: root, global_dir: "config/global", rails_env: env, vars: {}, templates: [] }));
      const vars = env === "production" || env === "staging" ? pod : { DIRECTORY_TOKEN: TOKEN, SMTP_PASSWORD: SMTP_DEFAULT };
      const r = spawnSync("ruby", [resolve("test/rails-config/fixture_verify.rb"), input], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...vars, RAILS_ENV: env } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { diffs: string[] };
      expect(out.diffs).toEqual([]);
    }, 60_000);
});
