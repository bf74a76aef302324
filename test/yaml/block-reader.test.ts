// The quick block-YAML reader (analyzers/ruby/yaml-block.ts) against the full `yaml` parser: on
// every YAML file of the fixtures, on generated block documents, and on those documents mutated a
// character at a time. Whenever the quick reader accepts a text, the loaded value (keys typed, in
// order), the line of every value and the errors must be exactly the full parser's. Psych itself
// judges the shared rules in psych-oracle.test.ts, whose documents now go through both readers.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadBlockDirect, loadRubyYaml, isRubyHash, rubyKeyId, type RubyVal, type RubyYaml } from "../../analyzers/ruby/yaml.js";
import { parseBlockYaml } from "../../analyzers/ruby/yaml-block.js";
import { docArb, render } from "./block-docs.js";

/** The loaded value with typed keys, the line of every Hash entry and list item, and the errors. */
function snapshot(r: RubyYaml): string {
  const lines: string[] = [];
  const walk = (v: RubyVal, path: (string | number)[], depth: number): unknown => {
    if (depth > 50) return "…";
    if (isRubyHash(v)) {
      return [...v.entries.values()].map((e) => {
        const key = e.key === null || typeof e.key !== "object" ? e.key : JSON.stringify(e.key);
        lines.push(`${[...path, String(key)].join("/")}@${e.line}`);
        return [rubyKeyId(e.key, e.floatKey), e.line, walk(e.value, [...path, String(key)], depth + 1)];
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => (lines.push(`${[...path, i].join("/")}@${r.lineOf([...path, i])}`), walk(x, [...path, i], depth + 1)));
    return v;
  };
  const value = walk(r.ruby, [], 0);
  return JSON.stringify({ value, lines, errors: r.errors, empty: r.empty });
}

/** Texts the direct reader (values in one pass, no nodes) read itself. */
let direct = 0;

function compare(text: string): "quick" | "full" {
  const d = loadBlockDirect(text);
  if (!parseBlockYaml(text)) {
    // Outside the subset: no value (its rules may stop it first, at an unknown alias before the bad line).
    expect(typeof d, text).toBe("string");
    return "full";
  }
  const quick = loadRubyYaml(text);
  const full = loadRubyYaml(text, { quick: false });
  expect(snapshot(quick), text).toBe(snapshot(full));
  if (typeof d === "object") {
    direct++;
    expect(snapshot(d), text).toBe(snapshot(full));
    // The String-keyed view, made when first read, is the full parser's too.
    expect(JSON.stringify(d.value), text).toBe(JSON.stringify(full.value));
  }
  return "quick";
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml(\.erb)?$/.test(name)) out.push(p);
  }
  return out;
}

const RAILS_DOCS = [
  // database.yml
  `default: &default\n  adapter: postgresql\n  encoding: unicode\n  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>\n\ndevelopment:\n  <<: *default\n  database: app_development\n\nproduction:\n  <<: *default\n  database: app_production\n  username: app\n  password: <%= ENV['APP_DATABASE_PASSWORD'] %>\n`,
  // Global files: defaults merged into each env, nested services, lists
  `defaults: &defaults\n  host: localhost\n  port: 6379\n  namespace: app\n  timeout: 1.5\n\ndevelopment:\n  <<: *defaults\n\ntest:\n  <<: *defaults\n  namespace: app_test\n\nproduction:\n  <<: *defaults\n  host: redis.internal\n  sentinels:\n    - host: s1.internal\n      port: 26379\n    - host: s2.internal\n      port: 26379\n`,
  `default:\n  enabled: true\n  retries: 3\n  backoff: 0.5\n  started_on: 2019-04-01\n  hosts:\n  - a.example.com\n  - b.example.com\n  admins: []\nstaging:\n  enabled: false\n`,
  `---\n:concurrency: 5\n:queues:\n  - default\n  - mailers\n  - [critical, 2]\n`,
  `---\n:concurrency: 10\n:timeout: 25\n:queues:\n  - critical\n  - default\n  - low\nproduction:\n  :concurrency: 20\n`,
  `test:\n  service: Disk\n  root: <%= Rails.root.join("tmp/storage") %>\n\nlocal:\n  service: Disk\n  root: <%= Rails.root.join("storage") %>\n\namazon:\n  service: S3\n  access_key_id: <%= ENV["AWS_ACCESS_KEY_ID"] %>\n  bucket: app-uploads # per stage\n  region: 'eu-west-1'\n`,
  `production:\n  adapter: redis\n  url: <%= ENV.fetch("REDIS_URL") { "redis://localhost:6379/1" } %>\n  channel_prefix: app_production\n`,
  `# Feature flags\ndefault:\n  new_checkout: off\n  beta_users: ~\n  ratio: 1:30\n  mode: 0755\n  cron: "0 * * * *"\n  greeting: 'it''s on'\n  pattern: a#b\n  note: trailing # comment\nproduction:\n  new_checkout: on\n`,
  `en:\n  hello: "Hello world"\n  activerecord:\n    errors:\n      messages:\n        blank: can't be blank\n`,
];

describe("the quick block-YAML reader reads what the full parser reads", () => {
  it("on every YAML file of the fixtures", () => {
    const files = yamlFiles(join(import.meta.dirname, "../../fixtures"));
    expect(files.length).toBeGreaterThan(10);
    const by = { quick: 0, full: 0 };
    for (const f of files) by[compare(readFileSync(f, "utf8"))]++;
    // The subset is the common case: most fixture files (written the way Rails apps write them) are in it.
    expect(by.quick).toBeGreaterThan(by.full);
  });

  it("on config files written the way Rails apps write them", () => {
    const by = { quick: 0, full: 0 };
    for (const text of RAILS_DOCS) by[compare(text)]++;
    expect(by.quick).toBeGreaterThanOrEqual(RAILS_DOCS.length - 1);
  });

  it("on generated block documents (anchors, aliases, merge keys, compact lists, comments)", () => {
    let quick = 0;
    direct = 0;
    fc.assert(
      fc.property(docArb, ({ tree, step, comments, marker }) => {
        const text = (marker ? "---\n" : "") + render(tree, step, comments);
        if (compare(text) === "quick") quick++;
      }),
      { numRuns: Number(process.env.BLOCK_RUNS ?? 1500) },
    );
    expect(quick).toBeGreaterThan(300);
    // A good share without a node (the generator redefines anchors and merges lists far more often
    // than config files do: those, and Psych errors, the direct reader leaves to the node reader).
    expect(direct).toBeGreaterThan(quick / 8);
  });

  it("on those documents mutated: a character inserted, deleted or replaced", () => {
    fc.assert(
      fc.property(docArb, fc.nat(), fc.constantFrom(" ", "  ", "-", ":", "#", "'", '"', "&", "*", "\n", "\n  ", "- ", ": ", "x", "\t", "é", ""), fc.nat(3), ({ tree, step, comments }, at, ch, cut) => {
        const text = render(tree, step, comments);
        const i = at % (text.length + 1);
        compare(text.slice(0, i) + ch + text.slice(i + cut));
      }),
      { numRuns: Number(process.env.BLOCK_RUNS ?? 3000) },
    );
  });

  it("keeps the alias-bomb limit: a block-style billion laughs is read quickly and refused", () => {
    let text = "l0: &l0\n" + Array.from({ length: 10 }, () => "  - x").join("\n") + "\n";
    for (let i = 1; i < 12; i++) text += `l${i}: &l${i}\n` + Array.from({ length: 10 }, () => `  - *l${i - 1}`).join("\n") + "\n";
    expect(parseBlockYaml(text)).not.toBeNull();
    const r = loadRubyYaml(text);
    expect(r.ruby).toBeNull();
    expect(r.errors[0]!.message).toMatch(/alias bomb/);
  });

  it("leaves to the full parser what it does not read", () => {
    for (const text of ["a:\tb\n", "a: [1, 2]\n", "a: |\n  x\n", "a: !!str 1\n", 'a: "x\\ny"\n', "a: b\n  c\n", "a: b\n---\nc: d\n", "? a\n: b\n", "\"k\": v\n", "a: é\n", "%YAML 1.1\n---\na: 1\n", "a:\r\n  b: 1\r\n", "plain\n", "", "# only\n"]) {
      expect(parseBlockYaml(text), JSON.stringify(text)).toBeNull();
    }
  });
});
