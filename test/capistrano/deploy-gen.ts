// Generated Capistrano 3 configs for the differential test: a Capfile, config/deploy.rb and stage
// files composed from the Ruby idioms real deploy configs use to build host names, role lists and
// variables. Values are typed while generating (a string expression, an integer, a list of
// strings), so every program is valid Ruby that Capistrano runs without error.
import fc from "fast-check";

/** Local variables a generated expression may read: block parameters, by type. */
interface Env {
  ints: string[];
  strs: string[];
}
const NO_LOCALS: Env = { ints: [], strs: [] };

const WORDS = ["app", "web", "db", "eu", "blue", "x1", "node", "a", "batch"];
const word = fc.constantFrom(...WORDS);
const lit = word.map((w) => JSON.stringify(w));
const small = fc.integer({ min: 0, max: 3 });

/** Arbitraries are built once per depth and locals: built afresh, their tree grows exponentially. */
const memo = new Map<string, fc.Arbitrary<string>>();
function once(kind: string, d: number, env: Env, build: () => fc.Arbitrary<string>): fc.Arbitrary<string> {
  const k = `${kind}/${d}/${env.ints}/${env.strs}`;
  let a = memo.get(k);
  if (!a) memo.set(k, (a = build()));
  return a;
}

export const intExpr = (d: number, env: Env = NO_LOCALS): fc.Arbitrary<string> => once("int", d, env, () => intExprOf(d, env));
export const strExpr = (d: number, env: Env = NO_LOCALS): fc.Arbitrary<string> => once("str", d, env, () => strExprOf(d, env));
export const strList = (d: number, env: Env = NO_LOCALS): fc.Arbitrary<string> => once("list", d, env, () => strListOf(d, env));

function intExprOf(d: number, env: Env): fc.Arbitrary<string> {
  const leaves: fc.Arbitrary<string>[] = [small.map(String), fc.constant("COUNT"), ...env.ints.map((n) => fc.constant(n))];
  if (d <= 0) return fc.oneof(...leaves);
  return fc.oneof(
    { arbitrary: fc.oneof(...leaves), weight: 3 },
    fc.tuple(intExpr(d - 1, env), intExpr(d - 1, env)).map(([a, b]) => `(${a} + ${b})`),
    strList(d - 1, env).map((l) => `${l}.size`),
    intExpr(d - 1, env).map((a) => `(${a} % 2)`),
  );
}

function strExprOf(d: number, env: Env): fc.Arbitrary<string> {
  const leaves: fc.Arbitrary<string>[] = [
    lit,
    fc.constant("DOMAIN"),
    fc.constant("fetch(:stage).to_s"),
    fc.constant("fetch(:application)"),
    lit.map((l) => `fetch(:r2k_never, ${l})`),
    lit.map((l) => `fetch(:r2k_never_block) { ${l} }`),
    ...env.strs.map((n) => fc.constant(n)),
  ];
  if (d <= 0) return fc.oneof(...leaves);
  const s = () => strExpr(d - 1, env);
  const i = () => intExpr(d - 1, env);
  return fc.oneof(
    { arbitrary: fc.oneof(...leaves), weight: 4 },
    fc.tuple(s(), i()).map(([a, b]) => `"#{${a}}-#{${b}}"`),
    fc.tuple(s(), s()).map(([a, b]) => `(${a} + ${b})`),
    fc.tuple(s(), fc.constantFrom("upcase", "downcase", "to_s", "strip", "capitalize")).map(([a, m]) => `${a}.${m}`),
    i().map((a) => `${a}.to_s`),
    fc.tuple(word, i()).map(([w, a]) => `format("${w}%02d", ${a})`),
    fc.tuple(word, i()).map(([w, a]) => `("${w}-%03d" % ${a})`),
    fc.tuple(s(), fc.integer({ min: 0, max: 8 }), fc.constantFrom("rjust", "ljust")).map(([a, w, m]) => `${a}.${m}(${w}, "${m === "rjust" ? "0" : "-"}")`),
    fc.tuple(s(), fc.constantFrom("a", "e", "-", "."), fc.constantFrom("o", "_", "")).map(([a, x, y]) => `${a}.gsub(${JSON.stringify(x)}, ${JSON.stringify(y)})`),
    fc.tuple(s(), fc.constantFrom("a", "p", "b")).map(([a, x]) => `${a}.sub(${JSON.stringify(x)}, "Q")`),
    fc.tuple(s(), s()).map(([a, b]) => `(fetch(:stage) == :production ? ${a} : ${b})`),
    fc.tuple(s(), s()).map(([a, b]) => `(ENV.fetch("R2K_MODE", "blue") == "blue" ? ${a} : ${b})`),
    fc.tuple(i(), s(), s()).map(([n, a, b]) => `(${n} > 1 ? ${a} : ${b})`),
    fc.tuple(s(), s(), s()).map(([a, b, c]) => `(case fetch(:stage) when :production then ${a} when :staging, :qa then ${b} else ${c} end)`),
    fc.tuple(strList(d - 1, env), fc.constantFrom("-", ",", "")).map(([l, sep]) => `${l}.join(${JSON.stringify(sep)})`),
    strList(d - 1, env).map((l) => `${l}.first.to_s`),
    fc.tuple(s(), strExpr(d - 1, { ...env, strs: [...env.strs, "x"] })).map(([a, body]) => `->(x) { ${body} }.call(${a})`),
    fc.tuple(s(), s()).map(([a, b]) => `{ "k" => ${a} }.merge("v" => ${b})["v"]`),
  );
}

function strListOf(d: number, env: Env): fc.Arbitrary<string> {
  const leaves: fc.Arbitrary<string>[] = [fc.array(word, { maxLength: 3 }).map((ws) => `%w[${ws.join(" ")}]`), fc.constant("ROLES")];
  if (d <= 0) return fc.oneof(...leaves);
  const l = () => strList(d - 1, env);
  const i = () => intExpr(d - 1, env);
  const withI = strExpr(d - 1, { ...env, ints: [...env.ints, "i"] });
  const withH = strExpr(d - 1, { ...env, strs: [...env.strs, "h"] });
  const withHI = strExpr(d - 1, { ints: [...env.ints, "i"], strs: [...env.strs, "h"] });
  return fc.oneof(
    { arbitrary: fc.oneof(...leaves), weight: 3 },
    fc.tuple(i(), withI).map(([n, b]) => `(1..${n}).map { |i| ${b} }`),
    fc.tuple(i(), withI).map(([n, b]) => `(0...${n}).map { |i| ${b} }`),
    fc.tuple(i(), withI).map(([n, b]) => `${n}.times.map { |i| ${b} }`),
    fc.tuple(i(), withI).map(([n, b]) => `1.upto(${n}).map { |i| ${b} }`),
    fc.tuple(l(), withHI).map(([a, b]) => `${a}.each_with_index.map { |h, i| ${b} }`),
    fc.tuple(l(), withHI).map(([a, b]) => `${a}.map.with_index(1) { |h, i| ${b} }`),
    fc.tuple(l(), withH).map(([a, b]) => `${a}.map { |h| ${b} }`),
    fc.tuple(l(), l()).map(([a, b]) => `${a}.product(${b}).map { |x, y| "#{x}.#{y}" }`),
    fc.tuple(l(), l()).map(([a, b]) => `${a}.zip(${b}).map { |x, y| "#{x}#{y}" }`),
    fc.tuple(l(), l()).map(([a, b]) => `(${a} + ${b})`),
    l().map((a) => `${a}.map(&:upcase)`),
    fc.tuple(l(), fc.constantFrom("a", "b", "x")).map(([a, c]) => `${a}.select { |h| h.start_with?(${JSON.stringify(c)}) }`),
    fc.tuple(l(), fc.constantFrom("1", "e")).map(([a, c]) => `${a}.reject { |h| h.include?(${JSON.stringify(c)}) }`),
    fc.tuple(l(), fc.constantFrom("uniq", "reverse", "sort", "compact")).map(([a, m]) => `${a}.${m}`),
  );
}

const roleList = fc.constantFrom("%w[web app]", "[:db]", "ROLES", "ROLES + %w[db]", "%i[worker]", `%w[app]`);

/** One stage file statement that declares servers, written with one of the idioms. */
const serverStmt: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(intExpr(1), word, roleList).map(([n, w, r]) => `(1..${n}).each do |i|\n  server "${w}#{i}.#{DOMAIN}", user: "deploy", roles: ${r}\nend`),
  fc.tuple(intExpr(1), word, roleList).map(([n, w, r]) => `${n}.times do |i|\n  server format("${w}%02d.example.internal", i + 1), roles: ${r}\nend`),
  fc.tuple(intExpr(1), word, roleList).map(([n, w, r]) => `1.upto(${n}) { |i| server "${w}" + i.to_s.rjust(3, "0"), roles: ${r} }`),
  fc.tuple(strList(1), roleList).map(([l, r]) => `${l}.each_with_index do |h, i|\n  server "#{h}-#{i}.#{DOMAIN}", roles: ${r}\nend`),
  fc.tuple(strList(2), word).map(([l, w]) => `hosts = ${l}.map { |h| "${w}-#{h}" }\nrole :web, hosts\nrole :db, hosts.take(1), primary: true`),
  fc.tuple(strList(1)).map(([l]) => `hosts = []\n${l}.each { |h| hosts << "#{h}.pool" }\nhosts.each do |h|\n  server h, roles: %w[app]\nend`),
  fc.tuple(strList(1), strList(1)).map(([a, b]) => `${a}.product(${b}).each do |x, y|\n  server "#{x}-#{y}", roles: %w[worker]\nend`),
  fc.tuple(strList(1), strList(1)).map(([a, b]) => `${a}.zip(${b}).each { |x, y| server "#{x}.#{y}.zip", roles: [:app] }`),
  fc.tuple(word, roleList).map(([w, r]) => `server "${w}.#{DOMAIN}", user: "deploy", roles: ${r}, primary: true`),
  fc.tuple(word, word).map(([a, b]) => `if fetch(:rails_env, "production") == "production"\n  server "${a}.only-prod", roles: %w[web]\nelse\n  server "${b}.not-prod", roles: %w[web]\nend`),
  fc.tuple(word).map(([a]) => `unless ENV.fetch("R2K_CANARY", "no") == "yes"\n  server "${a}.canary-off", roles: %w[app]\nend`),
  fc.tuple(word, word).map(([a, b]) => `case fetch(:stage)\nwhen :production\n  server "${a}.case-prod", roles: %w[db]\nelse\n  server "${b}.case-other", roles: %w[db]\nend`),
  fc.tuple(word, intExpr(1)).map(([w, n]) => `host_for = ->(n) { "${w}#{n}.#{DOMAIN}" }\n(1..${n}).each { |n| server host_for.(n), roles: %w[web] }`),
  fc.constant(`require "yaml"\nYAML.load_file("config/servers.yml").fetch(fetch(:stage).to_s, []).each do |h|\n  server h["host"], user: h["user"], roles: h["roles"]\nend`),
  fc.constant(`require "json"\nJSON.parse(File.read("config/servers.json")).fetch(fetch(:stage).to_s, []).each do |h|\n  server h.fetch("host"), roles: h.fetch("roles", ["app"])\nend`),
);

/** A statement of config/deploy.rb or a stage file setting a variable. */
const varStmt = (n: number): fc.Arbitrary<string> => varBody.map((f) => f(n));
const varBody: fc.Arbitrary<(n: number) => string> = fc.oneof(
    strExpr(3).map((e) => (n: number) => `set :v${n}, ${e}`),
    intExpr(2).map((e) => (n: number) => `set :v${n}, ${e}`),
    strList(2).map((e) => (n: number) => `set :v${n}, ${e}`),
    strExpr(2).map((e) => (n: number) => `set :v${n}, -> { ${e} + fetch(:later, "none") }`),
    fc.tuple(strExpr(1), strExpr(1)).map(([a, b]) => (n: number) => `set :v${n}, { "A" => ${a} }.merge("B" => ${b})`),
    lit.map((l) => (n: number) => `set :v${n}, ENV.fetch("R2K_BRANCH", ${l})`),
    fc.tuple(lit, strExpr(2)).map(([l, e]) => (n: number) => `set :v${n}, "#{ENV.fetch("R2K_UNSET", ${l})}-#{${e}}"`),
    fc.tuple(lit, strExpr(1)).map(([l, e]) => (n: number) => `set :v${n}, ENV.fetch("R2K_UNSET", ${l}) + ${e}`),
    fc.constant((n: number) => `set :v${n}, File.read(".ruby-version").strip`),
    fc.tuple(strExpr(1), strExpr(1)).map(([a, b]) => (n: number) => `if fetch(:stage) == :production\n  set :v${n}, ${a}\nelse\n  set :v${n}, ${b}\nend`),
    fc.tuple(strExpr(1), strExpr(1)).map(([a, b]) => (n: number) => `case fetch(:stage)\nwhen :staging then set :v${n}, ${a}\nelse set :v${n}, ${b}\nend`),
    lit.map((l) => (n: number) => `set :v${n}, fetch(:v${n}, ${l})`),
  );

const STAGES = ["production", "staging", "qa"];

export interface DeployApp {
  files: Record<string, string>;
  stages: string[];
}

const serverData = fc.array(fc.tuple(word, fc.subarray(["web", "app", "db"], { minLength: 1 })), { maxLength: 3 });

export const deployApp: fc.Arbitrary<DeployApp> = fc
  .record({
    app: word,
    domain: fc.constantFrom("example.internal", "corp.example"),
    count: fc.integer({ min: 1, max: 3 }),
    railsEnv: fc.option(fc.constantFrom("production", "staging"), { nil: null }),
    deploy: fc.array(fc.nat(), { maxLength: 5 }).chain((ns) => fc.tuple(...ns.map((_, i) => varStmt(i)))),
    stages: fc.subarray(STAGES, { minLength: 1 }),
    servers: fc.array(serverStmt, { minLength: 1, maxLength: 3 }),
    stageVars: fc.array(fc.nat(), { maxLength: 2 }).chain((ns) => fc.tuple(...ns.map((_, i) => varStmt(10 + i)))),
    later: word,
    ruby: fc.constantFrom("3.2.2", "3.1.4"),
    yaml: fc.record({ production: serverData, staging: serverData }),
  })
  .map((g) => {
    const deploy = [`set :application, ${JSON.stringify(g.app)}`, `DOMAIN = ${JSON.stringify(g.domain)}`, `COUNT = ${g.count}`, `ROLES = %w[web app].freeze`, ...g.deploy].join("\n") + "\n";
    const files: Record<string, string> = {
      Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n`,
      "config/deploy.rb": deploy,
      ".ruby-version": `${g.ruby}\n`,
      "config/servers.yml": Object.entries(g.yaml).map(([st, list]) => `${st}:\n` + (list.length ? list.map(([h, r]) => `  - host: ${h}.yml.internal\n    user: deploy\n    roles: [${r.join(", ")}]\n`).join("") : "  []\n")).join(""),
      "config/servers.json": JSON.stringify(Object.fromEntries(Object.entries(g.yaml).map(([st, list]) => [st, list.map(([h, r]) => ({ host: `${h}.json.internal`, roles: r }))]))),
    };
    for (const st of g.stages) {
      const env = g.railsEnv ? `set :rails_env, ${JSON.stringify(g.railsEnv)}\n` : "";
      files[`config/deploy/${st}.rb`] = `${env}set :later, ${JSON.stringify(g.later)}\n${g.stageVars.join("\n")}\n${g.servers.join("\n")}\n`;
    }
    return { files, stages: g.stages };
  });

/** The program as a reader sees it, for a failure message. */
export function showApp(a: DeployApp): string {
  return Object.entries(a.files)
    .filter(([p]) => p !== ".ruby-version")
    .map(([p, t]) => `==> ${p}\n${t.trimEnd()}`)
    .join("\n");
}
