// Global's loading rules case by case: small repos held in memory for the analyzer, written to
// temporary directories for the Ruby reference implementation of the gem (one Ruby process), and
// compared environment by environment. Then what only the analyzer does: initializer paths,
// Capistrano templates per stage, problems, secrets.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeGlobal } from "../../analyzers/global/index.js";
import { isUnknown } from "../../analyzers/ruby/evaluate.js";
import type { CapistranoFacts, Problem, RailsFacts, RValue, Stage } from "../../src/model.js";
import { runRuby, RUBY_ENCODER, normalizeRuby } from "../yaml/ruby.js";
import { assemble, resolveRefs, rubyExprs, encodePlain, canon } from "./compare.js";

const RAILS = { gems: { global: { value: "3.1.1", source: { file: "Gemfile.lock", line: 1 } } }, rubyVersion: { value: "3.1.4", source: { file: ".ruby-version", line: 1 } } } as unknown as RailsFacts;
const INIT = {
  "config/initializers/global.rb": 'Global.configure { |c| c.backend :filesystem, path: Rails.root.join("config", "global").to_s, environment: Rails.env.to_s }\n',
  "config/environments/development.rb": "",
  "config/environments/production.rb": "",
};

function stage(name: string, vars: Record<string, RValue>): Stage {
  const src = { file: `config/deploy/${name}.rb`, line: 1 };
  return { name, source: src, servers: [], variables: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { value: v, source: src }])) };
}

function analyze(files: Record<string, string>, stages: Stage[] = [], cap: CapistranoFacts | null = null) {
  const problems: Problem[] = [];
  const global = analyzeGlobal({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, stages, RAILS, cap);
  return { global: global!, problems };
}

// --- cases the Ruby reference judges ---------------------------------------------------------------

const CASES: { name: string; files: Record<string, string>; envs: string[]; env?: Record<string, string> }[] = [
  {
    name: "sibling global.yml, nested directories, skipped names, extensionless files",
    envs: ["production", "development"],
    files: {
      ...INIT,
      "config/global.yml": "default:\n  app_name: Shop\n  services:\n    extra: 1\n    timeout: 1\nproduction:\n  app_name: Shop Prod\n  maintenance: false\n",
      "config/global/services.yml": "default:\n  timeout: 5\n  search:\n    index: shop\n    url: overridden\n",
      "config/global/services/search.yml": "default:\n  url: http://localhost:9200\nproduction:\n  url: http://search:9200\n",
      "config/global/services/.hidden.yml": "default:\n  hidden: true\n",
      "config/global/only_dir/deep/leaf.yml": "default:\n  a: 1\n",
      "config/global/notes": "free text, never parsed\n",
      "config/global/x.yaml": "default:\n  never: read\n",
      "config/global/y.yml.erb": "default:\n  never: <%= 1 %>\n",
      "config/global/z.production.yml": "overlay: without its base file\n",
      "config/global/.secret.yml": "default:\n  hidden: 1\n",
    },
  },
  {
    name: "sections: Symbol before String, nil default, env only, arrays replaced, overlays whole",
    envs: ["production", "staging", "development"],
    files: {
      ...INIT,
      "config/global/flags.yml": ":default:\n  a: 1\ndefault:\n  a: 2\n  b: 2\n:production:\n  c: sym\nproduction:\n  c: str\nstaging:\n  c: str-only\n",
      "config/global/nil_default.yml": "default:\nproduction:\n  a: 1\n",
      "config/global/env_only.yml": "production:\n  a: 1\nunrelated_top_level: {x: 1}\n",
      "config/global/arrays.yml": "default:\n  list: [1, 2]\n  h: {a: [1], keep: yes}\nproduction:\n  list: [3]\n  h: {b: 1}\n",
      "config/global/overlay.yml": "default:\n  a: 1\n  nested: {x: 1, y: 1}\nproduction:\n  a: 2\n",
      "config/global/overlay.production.yml": "a: 3\nnested:\n  y: 2\nproduction:\n  is_a_key: here\n",
      "config/global/overlay.staging.yml": "# comments only: Global merges `nil || {}`\n",
      "config/global/keys.yml": "default:\n  :sym: 1\n  sym: 2\n  nested:\n    :a: {x: 1}\n    a: {y: 2}\n",
    },
  },
  {
    name: "YAML the way Psych reads it, inside Global files",
    envs: ["production", "development"],
    files: {
      ...INIT,
      "config/global/mixed.yml":
        "default: &default\n  t: 1:30\n  o: 0755\n  e: 1e3\n  y: y\n  on_: on\n  s: :sym\n  d: 2020-01-01\n  tm: 2020-01-01 10:00:00 +09:00\n  n: ~\n  big: 1_000\n  quoted: \"yes\"\n  block: |\n    a\n    b\nproduction:\n  x: 1\n  <<: *default\n  t: 2:00\ndevelopment:\n  <<: [*default, {extra: 1}]\n",
    },
  },
  {
    name: "ERB with ENV references",
    envs: ["production"],
    env: { PORT: "8080", HOST: "db.internal", A: "from-a", FLAG: "off" },
    files: {
      ...INIT,
      "config/global/erb.yml":
        "default:\n  port: <%= ENV.fetch('PORT', 3000) %>\n  url: http://<%= ENV['HOST'] %>:80/x\n  either: <%= ENV['A'] || ENV['B'] %>\n  flag: <%= ENV.fetch('FLAG') { 'on' } %>\n  literal: <%= 'abc' %>\n  sum: <%= 1 + 2 %>\n",
    },
  },
];

const RAISES: { name: string; file: string; text: string }[] = [
  { name: "an empty file", file: "empty", text: "" },
  { name: "a comment-only file", file: "comments", text: "# nothing here\n" },
  { name: "a section that is not a mapping", file: "scalar_section", text: "default: 5\n" },
  { name: "a file that is not a mapping", file: "scalar_file", text: "just a string\n" },
  { name: "`-%>` without a trim mode", file: "trim", text: "default:\n  a: <%= 1 -%>\n" },
  { name: "a YAML syntax error", file: "broken", text: "default:\n  a: [1, 2\n  b: 3\n" },
  { name: "an unknown alias", file: "alias", text: "default:\n  a: *nope\n" },
];

const RUBY = `
require ${JSON.stringify(resolve("test/global/reference_global.rb"))}
${RUBY_ENCODER}
input = JSON.parse($stdin.read)
out = input.map do |c|
  c["env"].each { |k, v| ENV[k] = v }
  # What each converting ERB tag (an expression around ENV reads) prints here.
  exprs = c["exprs"].to_h { |e| [e, eval(e).to_s] }
  res = c["envs"].to_h do |env|
    [env, begin
      enc(ReferenceGlobal.configuration(File.join(c["root"], "config/global"), env))
    rescue StandardError, SyntaxError => e
      { "error" => e.class.name }
    end]
  end
  c["env"].each_key { |k| ENV.delete(k) }
  res.merge("exprs" => exprs)
end
puts JSON.generate(out)
`;

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "r2k-global-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

let oracle: Record<string, any>[];
const raiseCase = (r: (typeof RAISES)[number]) => ({ ...INIT, [`config/global/${r.file}.yml`]: r.text, "config/global/fine.yml": "default:\n  ok: true\n" });

beforeAll(async () => {
  await initPrism();
  const input = [
    ...CASES.map((c) => ({ root: writeTree(c.files), envs: c.envs, env: c.env ?? {}, exprs: [...analyze(c.files).global.namespaces.reduce((acc, n) => rubyExprs(n.values as RValue, acc), new Set<string>())] })),
    ...RAISES.map((r) => ({ root: writeTree(raiseCase(r)), envs: ["production"], env: {}, exprs: [] })),
  ];
  oracle = runRuby(RUBY, input);
}, 60_000);

describe("Global's rules vs the Ruby reference", () => {
  CASES.forEach((c, i) => {
    it(c.name, () => {
      const { global, problems } = analyze(c.files);
      expect(problems.filter((p) => p.severity === "error")).toEqual([]);
      for (const env of c.envs) {
        const ours = canon(encodePlain(resolveRefs(assemble(global.namespaces, env), (n) => c.env?.[n], (e) => oracle[i].exprs[e])));
        expect({ env, config: ours }).toEqual({ env, config: canon(normalizeRuby(oracle[i][env])) });
      }
    });
  });

  RAISES.forEach((r, j) => {
    it(`${r.name}: Global raises; reported, the namespace Unknown, the others read`, () => {
      expect(oracle[CASES.length + j].production).toHaveProperty("error");
      const { global, problems } = analyze(raiseCase(r));
      const file = `config/global/${r.file}.yml`;
      expect(problems.some((p) => p.file === file && p.severity === "error")).toBe(true);
      const ns = global.namespaces.find((n) => n.name === r.file)!;
      expect(isUnknown(ns.values.production)).toBe(true);
      expect(global.namespaces.find((n) => n.name === "fine")!.values.production).toEqual({ ok: true });
    });
  });
});

// --- what only the analyzer does -------------------------------------------------------------------

describe("Global analyzer", () => {
  it("lists namespaces and files for the directory rules", () => {
    const { global } = analyze(CASES[0].files);
    expect(global.namespaces.map((n) => [n.name, n.files])).toEqual([
      ["app_name", ["config/global.yml"]],
      ["maintenance", ["config/global.yml"]],
      ["notes", ["config/global/notes"]],
      ["only_dir.deep.leaf", ["config/global/only_dir/deep/leaf.yml"]],
      ["services", ["config/global.yml", "config/global/services.yml"]],
      ["services.search", ["config/global/services.yml", "config/global/services/search.yml"]],
    ]);
    expect(global.namespaces.find((n) => n.name === "notes")!.values).toEqual({ production: {}, development: {} });
    expect(global.namespaces.find((n) => n.name === "app_name")!.values).toEqual({ production: "Shop Prod", development: "Shop" });
  });

  it("reads environments from the stages, config/environments and the files' sections", () => {
    const { global } = analyze(
      { ...CASES[1].files, "config/environments/uat.rb": "" },
      [stage("prod-eu", { rails_env: "production" }), stage("qa", {})],
    );
    expect(Object.keys(global.namespaces.find((n) => n.name === "flags")!.values)).toEqual(["production", "qa", "development", "staging", "uat"]);
  });

  it("keeps the Symbol section when both are written, and says where each leaf came from", () => {
    const { global } = analyze(CASES[1].files);
    const flags = global.namespaces.find((n) => n.name === "flags")!;
    expect(flags.values.production).toEqual({ a: 1, c: "sym" });
    expect(flags.sources).toEqual({ a: { file: "config/global/flags.yml", line: 2 }, c: { file: "config/global/flags.yml", line: 7 } });
    expect(global.namespaces.find((n) => n.name === "overlay")!.sources["nested.y"]).toEqual({ file: "config/global/overlay.production.yml", line: 3 });
  });

  it("reads the directory and the environment an initializer configures", () => {
    const cases: [string, string, string | null][] = [
      ['c.backend :filesystem, path: Rails.root.join("config", "settings").to_s', "config/settings", null],
      ['c.backend :filesystem, path: "#{Rails.root}/config/settings", environment: "production"', "config/settings", "production"],
      ['c.backend :filesystem, path: File.expand_path("../settings", __dir__)', "config/settings", null],
      ["c.backend(:filesystem, path: Rails.root.join('config/settings').to_s, environment: Rails.env)", "config/settings", null],
      ["c.config_directory = File.join(Rails.root, 'config', 'settings')\n  c.environment = 'production'", "config/settings", "production"],
    ];
    for (const [body, dir, fixed] of cases) {
      const files = {
        "config/initializers/global.rb": `Global.configure do |c|\n  ${body}\nend\n`,
        "config/settings/app.yml": "default:\n  name: x\nproduction:\n  name: prod\nstaging:\n  name: stg\n",
      };
      const { global, problems } = analyze(files, [stage("staging", { rails_env: "staging" })]);
      expect({ body, dir: global.dir, problems }).toEqual({ body, dir, problems: [] });
      expect(global.namespaces[0].values.staging).toEqual({ name: fixed ? "prod" : "stg" });
    }
  });

  it("reads Global's setup in config/application.rb and config/environment.rb, not only initializers", () => {
    const rails2 = { gems: { global: { value: "2.1.0", source: { file: "Gemfile.lock", line: 1 } } }, rubyVersion: { value: "3.1.4", source: { file: ".ruby-version", line: 1 } } } as unknown as RailsFacts;
    const app = "config/settings/app.yml";
    const yml = "default:\n  name: x\nproduction:\n  name: prod\nstaging:\n  name: stg\n";
    const cases: [string, Record<string, string>, string, string | null][] = [
      [
        "inside the Application class",
        { "config/application.rb": 'module Shop\n  class Application < Rails::Application\n    Cache.backend :redis\n    Global.configure do |config|\n      config.backend :filesystem, path: File.expand_path("settings", __dir__), environment: "production"\n    end\n  end\nend\n' },
        "config/settings",
        "production",
      ],
      [
        "after the class, v1 setters",
        { "config/application.rb": 'module Shop\n  class Application < Rails::Application\n  end\nend\nGlobal.configure do |c|\n  c.config_directory = Rails.root.join("config/settings").to_s\n  c.environment = Rails.env.to_s\nend\n' },
        "config/settings",
        null,
      ],
      [
        "config/environment.rb, Global.backend directly",
        { "config/environment.rb": 'require_relative "application"\nGlobal.backend :filesystem, path: Rails.root.join("config", "settings").to_s, environment: "production"\nRails.application.initialize!\n' },
        "config/settings",
        "production",
      ],
      [
        "an initializer wins over application.rb",
        {
          "config/application.rb": 'Global.configure { |c| c.backend :filesystem, path: Rails.root.join("config", "settings").to_s, environment: "production" }\n',
          "config/initializers/global.rb": 'Global.configure { |c| c.environment = Rails.env }\n',
        },
        "config/settings",
        null,
      ],
    ];
    for (const [name, setup, dir, fixed] of cases) {
      const problems: Problem[] = [];
      const global = analyzeGlobal({ repo: memoryRepo({ ...setup, [app]: yml }), problem: (p) => problems.push(p) }, [stage("staging", { rails_env: "staging" })], rails2, null)!;
      expect({ name, dir: global.dir, problems }).toEqual({ name, dir, problems: [] });
      expect({ name, v: global.namespaces[0].values.staging }).toEqual({ name, v: { name: fixed ? "prod" : "stg" } });
    }
    // Without any setup Global 2+ raises: the warning stays, naming where it looked.
    const problems: Problem[] = [];
    analyzeGlobal({ repo: memoryRepo({ "config/application.rb": "Cache.backend :filesystem\n", "config/global/a.yml": "default:\n  a: 1\n" }), problem: (p) => problems.push(p) }, [], rails2, null);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/config\/application\.rb, config\/environment\.rb and config\/initializers: Global 2\+ raises 'Backend must be defined'/)]);
  });

  it("names an app's patch of the gem itself, with the git-ignored files it may merge on the servers", () => {
    const patch = [
      "# Merge <name>.local.yml files kept on each server",
      "module Global",
      "  module Base",
      "    protected",
      "",
      "    def load_from_directory(dir, env)",
      "      super",
      "    end",
      "  end",
      "end",
      "Global::Configuration.prepend(Module.new)",
      "",
    ].join("\n");
    const files = {
      ...INIT,
      "config/initializers/zz_global_local.rb": patch,
      "config/global/app.yml": "default:\n  a: 1\n",
      ".gitignore": "/log/*\n*.local.*\n!keep.local.yml\n/config/global/secrets/\n/config/database.yml\n*.swp\n.tool.yml\n",
      "config/global/.gitignore": "override.yml\n",
    };
    const { problems } = analyze(files);
    expect(problems).toEqual([
      {
        file: "config/initializers/zz_global_local.rb",
        line: 6,
        severity: "warning",
        message:
          "this file changes the global gem itself (Global::Base#load_from_directory, Global::Configuration.prepend): the Global values here follow the stock gem's rules, so what the app loads on the servers may differ; check what the patch reads, and collect from a server the git-ignored files it may merge: config/global/**/*.local.* (.gitignore:2), config/global/secrets (.gitignore:4), config/global/**/override.yml (config/global/.gitignore:1)",
      },
    ]);
    // Configuring or reading Global is no patch; nor is another module's method of the same name.
    const plain = analyze({
      ...INIT,
      "config/initializers/zz.rb": "module Other\n  def load_configuration; end\nend\nGlobal.configure { |c| c.environment = Rails.env }\nx = Global.app.a\n",
      "config/global/app.yml": "default:\n  a: 1\n",
    });
    expect(plain.problems).toEqual([]);
  });

  it("global 0.x rules: String env section only, no overlays, dotted names are namespaces, a directory replaces the file's key", () => {
    // Expected values: global 0.1.2's own lib/global/base.rb run on these files (Ruby 3.1, File.exists? aliased).
    const files = {
      "config/initializers/global.rb": 'Global.configure do |c|\n  c.environment = Rails.env.to_s\n  c.config_directory = Rails.root.join("config/global").to_s\nend\n',
      "config/global/flags.yml": ":default:\n  a: 1\ndefault:\n  a: 2\n  b: 2\n:production:\n  c: sym\nproduction:\n  c: str\n",
      "config/global/app.yml": "default:\n  x: 1\n",
      "config/global/app.production.yml": "x: 2\n",
      "config/global/services.yml": "default:\n  timeout: 5\n  search:\n    index: shop\n    url: overridden\n",
      "config/global/services/search.yml": "default:\n  url: http://search\n",
    };
    const problems: Problem[] = [];
    const rails = { gems: { global: { value: "0.1.2", source: { file: "Gemfile.lock", line: 1 } } }, rubyVersion: { value: "2.7.2", source: { file: ".ruby-version", line: 1 } } } as unknown as RailsFacts;
    const global = analyzeGlobal({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, [stage("production", {})], rails, null)!;
    const values = Object.fromEntries(global.namespaces.map((n) => [n.name, n.values.production]));
    expect(values.flags).toEqual({ a: 1, c: "str" });
    expect(values.app).toEqual({ x: 1 });
    // The nested namespace is its directory's alone (2.x deep-merges the file's `search.index` in).
    expect(values.services).toEqual({ timeout: 5 });
    expect(values["services.search"]).toEqual({ url: "http://search" });
    expect(problems.filter((p) => p.file === "config/global/app.production.yml").map((p) => p.message)).toEqual([
      expect.stringMatching(/^global 0\.1\.2 reads this as a namespace named "app\.production" \(0\.x keeps dots/),
    ]);
  });

  it("warns about backends and options it cannot read", () => {
    const { problems } = analyze({
      "config/initializers/global.rb": "Global.configure do |c|\n  c.backend :filesystem, directory: 'config/x'\n  c.backend :aws_parameter_store, prefix: '/shop/'\nend\n",
      "config/global/a.yml": "default:\n  a: 1\n",
    });
    expect(problems.map((p) => [p.line, p.message.split(":")[0]])).toEqual([
      [2, "Global's filesystem backend reads `path"],
      [3, "Global backend "],
    ]);
  });

  it("turns ERB it cannot evaluate into Unknowns with their source", () => {
    const { global } = analyze({ ...INIT, "config/global/a.yml": "default:\n  key: <%= Rails.application.credentials.dig(:a, :b) %>\n  env: <%= Rails.env %>\n" });
    const v = global.namespaces[0].values.production as Record<string, RValue>;
    expect(v.key).toMatchObject({ unknown: expect.any(String), source: { file: "config/global/a.yml", line: 2 } });
    expect(v.env).toMatchObject({ unknown: expect.any(String), source: { file: "config/global/a.yml", line: 3 } });
  });

  it("an ENV read with a conversion around it keeps the expression; a plain read does not", () => {
    const { global, problems } = analyze({ ...INIT, "config/global/a.yml": 'default:\n  w: <%= ENV["W"].to_i %>\n  p: <%= ENV["P"] %>\n  q: <%= ENV.fetch("Q", "x") %>\n  f: <%= ENV.fetch("F", "1.5").to_f %>\n  o: <%= ENV["O1"] || ENV.fetch("O2", ENV["O3"]) || "none" %>\n' });
    // A second ENV read as the fallback is an expression too: carried whole.
    expect((global.namespaces[0].values.production as Record<string, RValue>).o).toMatchObject({ env: "O1", ruby: 'ENV["O1"] || ENV.fetch("O2", ENV["O3"]) || "none"' });
    const v = global.namespaces[0].values.production as Record<string, RValue>;
    // Unset, W is nil and nil.to_i is 0: the default is what Ruby gives.
    expect(v.w).toEqual({ env: "W", default: 0, ruby: 'ENV["W"].to_i' });
    expect(v.p).toEqual({ env: "P", default: null });
    expect(v.q).toEqual({ env: "Q", default: "x" });
    expect(v.f).toMatchObject({ env: "F", ruby: 'ENV.fetch("F", "1.5").to_f' });
    expect(problems.filter((p) => /ERB tag/.test(p.message))).toEqual([]);
  });

  it("keeps a whole-number Float default a Float (the evaluator reads 1.0 as 1)", () => {
    const { global } = analyze({ ...INIT, "config/global/a.yml": 'default:\n  t: <%= ENV.fetch("T", 1.0) %>\n  u: <%= ENV["U"] || 2.0 %>\n  i: <%= ENV.fetch("I", 1.0).to_i %>\n' });
    const v = global.namespaces[0].values.production as Record<string, RValue>;
    expect(v.t).toEqual({ env: "T", default: { float: "1.0" } });
    expect(v.u).toEqual({ env: "U", default: { float: "2.0" } });
    expect(v.i).toMatchObject({ env: "I", default: 1, ruby: 'ENV.fetch("I", 1.0).to_i' });
  });

  it("does not carry a conversion whose tag also reads Capistrano's variables, and says so", () => {
    const { global, problems } = analyze({ ...INIT, "config/global/a.yml": 'default:\n  w: <%= ENV.fetch("W", fetch(:workers)).to_i %>\n' });
    expect((global.namespaces[0].values.production as Record<string, RValue>).w).not.toHaveProperty("ruby");
    expect(problems.filter((p) => /ERB tag/.test(p.message)).map((p) => [p.file, p.line])).toEqual([["config/global/a.yml", 2]]);
  });

  it("marks literal secrets, not ENV-read or empty ones", () => {
    const { global } = analyze({
      ...INIT,
      "config/global/keys.yml":
        "default:\n  api_key: FAKE-literal\n  password: <%= ENV['DB_PASSWORD'] %>\n  token: ''\n  oauth:\n    client_secret: FAKE-nested\n    client_id: public\n  secret_list: [FAKE-a, FAKE-b]\n",
    });
    expect(global.namespaces[0].secretPaths).toEqual(["api_key", "oauth.client_secret", "secret_list"]);
  });

  it("renders templates per stage, and flags stages that share a Rails env but not values", () => {
    const files = {
      ...INIT,
      "lib/capistrano/templates/global/gateway.yml.erb": "default:\n  endpoint: <%= fetch(:gateway) %>\n  region: <%= fetch(:region, 'eu') %>\n  missing: <%= fetch(:not_set) %>\n",
      "config/global/gateway.yml": "default:\n  endpoint: http://localhost\n",
    };
    const cap = {
      major: 3,
      requires: [],
      lock: null,
      hooks: [],
      tasks: [{ name: "deploy:gateway", source: { file: "lib/capistrano/tasks/gateway.rake", line: 3 }, templates: ["lib/capistrano/templates/global/gateway.yml.erb"], uploads: ["#{shared_path}/config/global/gateway.yml"] }],
    } as CapistranoFacts;
    const linked = ["config/global/gateway.yml"];
    const { global, problems } = analyze(files, [stage("demo", { rails_env: "production", gateway: "https://demo", linked_files: linked }), stage("production", { rails_env: "production", gateway: "https://prod", linked_files: linked })], cap);
    expect(global.templates).toEqual([
      {
        template: "lib/capistrano/templates/global/gateway.yml.erb",
        target: "config/global/gateway.yml",
        source: { file: "lib/capistrano/tasks/gateway.rake", line: 3 },
        rendered: { demo: { endpoint: "https://demo", region: "eu", missing: null }, production: { endpoint: "https://prod", region: "eu", missing: null } },
      },
    ]);
    const ns = global.namespaces.find((n) => n.name === "gateway")!;
    // production from the first stage deploying it; development from the repo's own file.
    expect(ns.values).toEqual({ production: { endpoint: "https://demo", region: "eu", missing: null }, development: { endpoint: "http://localhost" } });
    expect(ns.files).toEqual(["lib/capistrano/templates/global/gateway.yml.erb", "config/global/gateway.yml"]);
    expect(problems.filter((p) => /both run RAILS_ENV=production/.test(p.message))).toHaveLength(1);
  });

  it("returns null without any trace of Global", () => {
    const problems: Problem[] = [];
    expect(analyzeGlobal({ repo: memoryRepo({ "config/application.rb": "" }), problem: (p) => problems.push(p) }, [], { gems: {} } as unknown as RailsFacts, null)).toBeNull();
  });

  it("old Global on a newer Ruby, per gem version: unusable where the app does not load its files", () => {
    const files = {
      ...INIT,
      "config/global/plain.yml": "default:\n  a: 1\n  s: :sym\nproduction:\n  a: 2\n",
      "config/global/anchored.yml": "development: &base\n  a: 1\nproduction:\n  <<: *base\n  b: 2\n",
      "config/global/dated.yml": "default:\n  name: <%= 1 + 1 %>\n  since: 2020-01-01\n",
      "config/global/anchor_only.yml": "default: &d\n  a: '*not an alias'\n",
    };
    const run = (global: string, ruby: string, psych?: string) => {
      const problems: Problem[] = [];
      const gems: Record<string, unknown> = { global: { value: global, source: { file: "Gemfile.lock", line: 7 } } };
      if (psych) gems.psych = { value: psych, source: { file: "Gemfile.lock", line: 9 } };
      const rails = { gems, rubyVersion: { value: ruby, source: { file: ".ruby-version", line: 1 } } } as unknown as RailsFacts;
      analyzeGlobal({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, [], rails, null);
      return problems.map((p) => `${p.severity} ${p.file}:${p.line} ${p.message}`);
    };
    expect(run("2.0.0", "3.2.2")).toEqual([expect.stringMatching(/^error Gemfile\.lock:7 global 2\.0\.0 calls YAML\.safe_load with positional arguments/)]);
    expect(run("1.1.0", "3.1.2")).toEqual([expect.stringMatching(/^error Gemfile\.lock:7 global 1\.1\.0 calls YAML\.safe_load with positional/)]);
    expect(run("1.1.0", "3.1.2", "3.3.4")).toEqual([]);
    expect(run("2.1.0", "3.3.0")).toEqual([]);
    expect(run("0.2.1", "3.0.6")).toEqual([]);
    // 0.x on Ruby 3.1: YAML::load is safe; only the files with an alias or a Date raise.
    expect(run("0.1.2", "3.1.2")).toEqual([
      expect.stringMatching(/^error config\/global\/anchored\.yml:4 global 0\.1\.2 reads this file with YAML::load, which Psych 4 \(Ruby 3\.1\.2\) makes safe: an alias \(line 4\) raises Psych::BadAlias/),
      expect.stringMatching(/^error config\/global\/dated\.yml:3 .*a Date\/Time value \(line 3\) raises Psych::DisallowedClass/),
    ]);
    expect(run("0.1.2", "3.1.2", "3.1.0")).toEqual([]);
    expect(run("0.2.1", "3.2.2")).toEqual([expect.stringMatching(/^error Gemfile\.lock:7 global 0\.2\.1 calls File\.exists\?, which Ruby 3\.2\.2 no longer has/)]);

    // What 0.x calls, on this machine's Ruby (3.1, Psych 4): the same files raise, the others load.
    const dir = mkdtempSync(join(tmpdir(), "r2k-psych4-"));
    for (const f of ["plain.yml", "anchored.yml", "dated.yml", "anchor_only.yml"]) writeFileSync(join(dir, f), files[`config/global/${f}` as keyof typeof files]);
    const script = 'require "yaml"; require "erb"; Dir[File.join(ARGV[0], "*.yml")].sort.each { |f| r = begin; YAML::load(ERB.new(IO.read(f)).result); "ok"; rescue => e; e.class.name; end; puts "#{File.basename(f)} #{r}" }';
    const out = execFileSync("ruby", ["-e", script, dir], { encoding: "utf8" });
    expect(out.trim().split("\n")).toEqual(["anchor_only.yml ok", "anchored.yml Psych::BadAlias", "dated.yml Psych::DisallowedClass", "plain.yml ok"]);
  });
});
