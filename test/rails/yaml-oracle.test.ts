// database.yml, sidekiq.yml and secrets.yml as our reader gives them vs real Ruby
// (`YAML.load(ERB.new(text).result, aliases: true)`), once with the referenced ENV unset and once
// with it set. Our reader keeps ENV references; here they are resolved the way the ERB text
// insertion would, then compared. One Ruby process for every case.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { parseErbYaml } from "../../analyzers/rails/erb-yaml.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { psychScalar } from "../../analyzers/ruby/yaml.js";
import { rubyToS, isEnvRef, isInterp, isHash } from "../../analyzers/ruby/evaluate.js";
import { memoryRepo } from "../../src/repo.js";
import type { RValue, Problem } from "../../src/model.js";
import { runRuby } from "../yaml/ruby.js";

const file = (p: string) => readFileSync(p, "utf8");
const cases: { name: string; text: string; env: string[] }[] = [
  { name: "shop database.yml.example", text: file("fixtures/apps/shop/config/database.yml.example"), env: ["RAILS_MAX_THREADS", "DB_USERNAME", "DB_PASSWORD", "DB_HOST"] },
  { name: "legacy database.yml.example", text: file("fixtures/apps/legacy/config/database.yml.example"), env: [] },
  { name: "ledger database.yml", text: file("fixtures/apps/ledger/config/database.yml"), env: ["RAILS_MAX_THREADS", "DATABASE_URL"] },
  { name: "shop sidekiq.yml", text: file("fixtures/apps/shop/config/sidekiq.yml"), env: ["SIDEKIQ_CONCURRENCY"] },
  { name: "legacy secrets.yml", text: file("fixtures/apps/legacy/config/secrets.yml"), env: ["S3_SECRET_ACCESS_KEY", "SECRET_KEY_BASE"] },
  {
    name: "multi-database with url and replica",
    text: `defaults: &defaults
  adapter: postgresql
  pool: <%= ENV.fetch("DB_POOL", "10") %>
  timeout: 5000
production:
  primary:
    <<: *defaults
    url: <%= ENV["PRIMARY_DATABASE_URL"] %>
  replica:
    <<: *defaults
    url: <%= ENV["REPLICA_DATABASE_URL"] %>
    replica: true
development:
  adapter: sqlite3
  database: db/development.sqlite3
  checkout_timeout: 1:30
`,
    env: ["DB_POOL", "PRIMARY_DATABASE_URL", "REPLICA_DATABASE_URL"],
  },
  {
    name: "sidekiq plain keys and env sections",
    text: `concurrency: <%= ENV.fetch("WORKERS") { 3 } %>
timeout: 8
verbose: no
queues:
  - default
  - [mailers, 2]
  - :low
:schedule:
  cleanup:
    cron: "0 3 * * *"
    class: CleanupJob
production:
  :concurrency: 30
  :queues: [critical, default]
staging: { concurrency: 2 }
`,
    env: ["WORKERS"],
  },
];

const RUBY = `
require "erb"; require "yaml"; require "date"
def tag(v)
  case v
  when Hash then v.each_with_object({}) { |(k, x), h| h[k.to_s] = tag(x) }
  when Array then v.map { |x| tag(x) }
  when Symbol then { "sym" => v.to_s }
  when Date then { "date" => v.iso8601 }
  when Float then v.nan? || v.infinite? ? v.to_s : v
  else v
  end
end
out = JSON.parse($stdin.read).map do |c|
  res = {}
  [["unset", nil], ["set", true]].each do |mode, set|
    c["env"].each { |n| set ? ENV[n] = "value-of-#{n}" : ENV.delete(n) }
    res[mode] = tag(YAML.load(ERB.new(c["text"]).result, aliases: true, permitted_classes: [Symbol, Date, Time]))
  end
  res
end
puts JSON.generate(out)
`;

/** Puts the text the ERB tag would have output, then reads it as Psych would a plain scalar. */
function resolve(v: RValue, set: boolean): RValue {
  if (isEnvRef(v) || isInterp(v)) {
    const parts = isInterp(v) ? v.interp : [v];
    const text = parts.map((p) => (isEnvRef(p) ? (set ? `value-of-${p.env}` : rubyToS(p.default) ?? "") : rubyToS(p) ?? "")).join("");
    return psychScalar(text);
  }
  if (Array.isArray(v)) return v.map((x) => resolve(x, set));
  if (isHash(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, set)]));
  return v;
}

describe("ERB + YAML reading vs Ruby", () => {
  let oracle: { unset: unknown; set: unknown }[];
  beforeAll(async () => {
    await initPrism();
    oracle = runRuby(RUBY, cases);
  });
  cases.forEach((c, i) => {
    it(`reads ${c.name} as Ruby does, ENV unset and set`, () => {
      const problems: Problem[] = [];
      const y = parseErbYaml({ repo: memoryRepo({}), problem: (p) => problems.push(p) }, "x.yml", c.text);
      expect(problems).toEqual([]);
      expect(resolve(y.value, false)).toEqual(oracle[i].unset);
      expect(resolve(y.value, true)).toEqual(oracle[i].set);
    });
  });
});
