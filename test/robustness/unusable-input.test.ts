// Unusable input through the real CLI: `analyze` and `migrate --yes` exit 2, the message names the
// file and the line, and the repo is byte-for-byte what it was (no output tree, no record, no
// answers file). Then names from stage files: mapped ones build with the real `kubectl kustomize`;
// an unknown rails_env is a gap whose default is the stage name, recorded by --yes.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { BIN, copyFixture, snapshot } from "../migrate/helpers.js";

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 });

function bomb(): string {
  const lines = ["default:", '  a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 8; i++) {
    const [p, c] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    lines.push(`  ${c}: &${c} [${Array(10).fill(`*${p}`).join(",")}]`);
  }
  return lines.join("\n") + "\n";
}

/** Psych builds a Hash that holds itself: no value the tool could carry. */
const RECURSIVE = "production: &p\n  adapter: postgresql\n  nested:\n    back: *p\n";

interface Case {
  name: string;
  plant: (dir: string) => void;
  /** What stderr must say: the file and the line. */
  names: RegExp[];
  /** The app planted into (default shop). */
  fixture?: string;
}

const stage = (dir: string, file: string, content: string | Buffer) => writeFileSync(join(dir, "config/deploy", file), content);
const copyStage = (dir: string, from: string, to: string) => copyFileSync(join(dir, "config/deploy", from), join(dir, "config/deploy", to));

const CASES: Case[] = [
  { name: "an alias bomb in a Global file", plant: (d) => writeFileSync(join(d, "config/global/bomb.yml"), bomb()), names: [/config\/global\/bomb\.yml:9: .*alias bomb/] },
  { name: "an alias bomb in sidekiq.yml", plant: (d) => writeFileSync(join(d, "config/sidekiq.yml"), bomb()), names: [/config\/sidekiq\.yml:9: .*alias bomb/] },
  // Every YAML file the tool reads is held to one rule (unusableYamlError): an alias bomb or an
  // alias inside its own anchor is unusable input, whatever the file is read for.
  { name: "an alias bomb in cable.yml (read only for its ENV names)", plant: (d) => writeFileSync(join(d, "config/cable.yml"), `${bomb()}production:\n  url: <%= ENV["REDIS_URL"] %>\n`), names: [/config\/cable\.yml:9: .*alias bomb/] },
  { name: "a recursive alias in database.yml", plant: (d) => writeFileSync(join(d, "config/database.yml"), RECURSIVE), names: [/config\/database\.yml:4: YAML: recursive alias \*p/] },
  { name: "a recursive alias in secrets.yml", plant: (d) => writeFileSync(join(d, "config/secrets.yml"), RECURSIVE), names: [/config\/secrets\.yml:4: YAML: recursive alias \*p/] },
  { name: "a recursive alias in sidekiq.yml", plant: (d) => writeFileSync(join(d, "config/sidekiq.yml"), RECURSIVE), names: [/config\/sidekiq\.yml:4: YAML: recursive alias \*p/] },
  { name: "a recursive alias in storage.yml", plant: (d) => writeFileSync(join(d, "config/storage.yml"), `${RECURSIVE}  key: <%= ENV["S3_KEY"] %>\n`), names: [/config\/storage\.yml:4: YAML: recursive alias \*p/] },
  {
    name: "an alias bomb in a YAML file deploy.rb loads",
    plant: (d) => {
      writeFileSync(join(d, "config/servers.yml"), bomb());
      writeFileSync(join(d, "config/deploy/production.rb"), `${readFileSync(join(d, "config/deploy/production.rb"), "utf8")}\nset :servers_list, YAML.load_file("config/servers.yml")\n`);
    },
    names: [/config\/servers\.yml:9: YAML: .*alias bomb/],
  },
  {
    name: "an alias bomb in YAML text deploy.rb reads (named where it is read)",
    plant: (d) => {
      writeFileSync(join(d, "config/servers.yml"), bomb());
      writeFileSync(join(d, "config/deploy/production.rb"), `${readFileSync(join(d, "config/deploy/production.rb"), "utf8")}\nset :servers_list, YAML.safe_load(File.read("config/servers.yml"), aliases: true)\n`);
    },
    names: [/config\/deploy\/production\.rb:\d+: YAML \(line 9 of the text read here\): .*alias bomb/],
  },
  {
    name: "a Global file whose ERB raises",
    plant: (d) => writeFileSync(join(d, "config/global/boom.yml"), 'default:\n  a: 1\n  b: <%= raise "no config here" %>\n'),
    names: [/config\/global\/boom\.yml:3: .*raise "no config here"/],
  },
  {
    name: "a Global file whose ERB tag does not parse",
    plant: (d) => writeFileSync(join(d, "config/global/boom.yml"), "default:\n  a: <%= [1, %>\n"),
    names: [/config\/global\/boom\.yml:2: .*syntax error/i],
  },
  {
    name: "a Global file that is not YAML",
    plant: (d) => writeFileSync(join(d, "config/global/broken.yml"), "default:\n  a: [1, 2\n  b: 3\n"),
    names: [/config\/global\/broken\.yml:\d+: Global raises loading this file: YAML/],
  },
  { name: "a binary stage file", plant: (d) => stage(d, "qa.rb", Buffer.from([0x73, 0x65, 0x74, 0x00, 0x01, 0xff])), names: [/config\/deploy\/qa\.rb:1: binary file/] },
  { name: "a stage file that is not UTF-8", plant: (d) => stage(d, "qa.rb", Buffer.from('set :x, "caf\xe9"\n', "latin1")), names: [/config\/deploy\/qa\.rb:1: not valid UTF-8/] },
  // Files whose values are carried whole (a worker layout, deploy settings): what the YAML library
  // recovers from a syntax error is not what the app read.
  {
    name: "a syntax error in config/resque-pool.yml",
    plant: (d) => {
      writeFileSync(join(d, "Gemfile.lock"), readFileSync(join(d, "Gemfile.lock"), "utf8").replace("  specs:\n", "  specs:\n    resque (2.6.0)\n    resque-pool (0.7.1)\n"));
      writeFileSync(join(d, "Capfile"), `${readFileSync(join(d, "Capfile"), "utf8")}require "capistrano/resque/pool"\n`);
      writeFileSync(join(d, "config/resque-pool.yml"), 'mailers: 2\n"default: 3\nreports: [1\n');
    },
    names: [/config\/resque-pool\.yml:\d+: YAML: /],
  },
  {
    name: "a syntax error in config/moonshine.yml",
    fixture: "legacy",
    plant: (d) => {
      mkdirSync(join(d, "app/manifests"), { recursive: true });
      writeFileSync(join(d, "app/manifests/application_manifest.rb"), "class ApplicationManifest < Moonshine::Manifest::Rails\nend\n");
      writeFileSync(join(d, "config/moonshine.yml"), ":application: shop\n:rails_env: [production\n:user: rails\n");
    },
    names: [/config\/moonshine\.yml:\d+: YAML: /],
  },
  {
    name: "a rails_env that is a path (Capistrano)",
    plant: (d) => stage(d, "staging.rb", `${readFileSync(join(d, "config/deploy/staging.rb"), "utf8")}\nset :rails_env, "../../etc/passwd"\n`),
    names: [/config\/deploy\/staging\.rb:\d+: rails_env "\.\.\/\.\.\/etc\/passwd"/],
  },
  {
    name: "a rails_env that is a path (config/moonshine.yml)",
    fixture: "legacy",
    plant: (d) => {
      mkdirSync(join(d, "app/manifests"), { recursive: true });
      writeFileSync(join(d, "app/manifests/application_manifest.rb"), "class ApplicationManifest < Moonshine::Manifest::Rails\nend\n");
      writeFileSync(join(d, "config/moonshine.yml"), ":application: shop\n:rails_env: ../../etc/passwd\n");
      // The stage files' own rails_env would win over moonshine.yml's: drop them.
      for (const f of ["production.rb", "staging.rb", "qa.rb"]) stage(d, f, readFileSync(join(d, "config/deploy", f), "utf8").replace(/^set :rails_env.*$/gm, ""));
    },
    names: [/config\/moonshine\.yml:2: rails_env "\.\.\/\.\.\/etc\/passwd"/],
  },
  { name: "a stage file that does not parse", plant: (d) => stage(d, "qa.rb", 'set :branch, "main"\nserver "a.example.com", roles: [\n'), names: [/config\/deploy\/qa\.rb:\d+: Ruby syntax error/] },
  { name: "a stage file named ..rb", plant: (d) => copyStage(d, "staging.rb", "..rb"), names: [/config\/deploy\/\.\.rb:1: stage name "\." has no letter or digit/] },
  { name: "a stage file named _.rb", plant: (d) => copyStage(d, "staging.rb", "_.rb"), names: [/config\/deploy\/_\.rb:1: stage name "_"/] },
  { name: "a stage name with a newline", plant: (d) => copyStage(d, "staging.rb", "qa\ntouch x.rb"), names: [/"config\/deploy\/qa\\ntouch x\.rb":1: stage name "qa\\ntouch x" holds "\\n"/] },
  { name: "a stage name with a space", plant: (d) => copyStage(d, "staging.rb", "qa 2.rb"), names: [/"config\/deploy\/qa 2\.rb":1: stage name "qa 2" holds " "/] },
  { name: "a stage name in unicode", plant: (d) => copyStage(d, "staging.rb", "prödüction.rb"), names: [/"config\/deploy\/prödüction\.rb":1: stage name "prödüction"/] },
  { name: "a stage name with a terminal escape", plant: (d) => copyStage(d, "staging.rb", "qa\x1b[31m.rb"), names: [/"config\/deploy\/qa\\u001b\[31m\.rb":1/] },
  {
    name: "two stages that differ only in case",
    plant: (d) => copyStage(d, "production.rb", "Production.rb"),
    names: [/config\/deploy\/production\.rb:1: stages "Production" \(config\/deploy\/Production\.rb:1\) and "production" both map to the Kubernetes name "production"/],
  },
  {
    name: "staging_1 and staging-1",
    plant: (d) => (copyStage(d, "staging.rb", "staging_1.rb"), copyStage(d, "staging.rb", "staging-1.rb")),
    names: [/config\/deploy\/staging_1\.rb:1: stages "staging-1" \(config\/deploy\/staging-1\.rb:1\) and "staging_1" both map to the Kubernetes name "staging-1"/],
  },
];

describe("unusable input: exit 2, file:line, nothing written", () => {
  it.each(CASES.map((c, i) => ({ ...c, i })))("$name", ({ plant, names, i, fixture }) => {
    const dir = copyFixture(fixture ?? "shop");
    plant(dir);
    const before = snapshot(dir);
    // Every command on the first case; analyze and migrate --yes on the others (the machine is small).
    const all = [["analyze", dir], ["migrate", dir, "--yes"], ["analyze", dir, "--json"], ["migrate", dir, "--dry-run"]];
    for (const args of i === 0 ? all : all.slice(0, 2)) {
      const r = run(args);
      expect({ args: args.slice(0, 1).concat(args.slice(2)), status: r.status, stdout: r.stdout }).toEqual({ args: args.slice(0, 1).concat(args.slice(2)), status: 2, stdout: "" });
      for (const re of names) expect(r.stderr).toMatch(re);
      // The message never carries a raw control character (a planted escape or newline stays inert).
      expect(r.stderr.replace(/\n/g, "")).not.toMatch(/[\x00-\x1f\x7f]/);
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it("an answers file with an alias inside its own anchor: exit 2 naming its line, nothing written", () => {
    const dir = copyFixture("shop");
    expect(run(["migrate", dir, "--yes"]).status).toBe(0);
    const answers = join(dir, ".rails2k8s.yml");
    writeFileSync(answers, `${readFileSync(answers, "utf8")}old.loop: &a\n  b: *a\n`);
    const line = readFileSync(answers, "utf8").split("\n").length - 1;
    const before = snapshot(dir);
    const r = run(["migrate", dir, "--yes"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`.rails2k8s.yml:${line}: an alias inside its own anchor`);
    expect(r.stderr).not.toMatch(/internal error|call stack/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("the untouched fixture still goes through (the cases above are what stops it)", () => {
    const dir = copyFixture("shop");
    expect(run(["analyze", dir]).status).toBe(0);
  });
});

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("stage names mapped to Kubernetes names", () => {
  it("QA_Blue.v2.rb and a 60-character stage build with kubectl kustomize, every name valid", () => {
    const dir = copyFixture("shop");
    const long = "Production_EU_West_1_Blue_Green_Canary_For_The_Shop_App_V2";
    copyStage(dir, "staging.rb", "QA_Blue.v2.rb");
    copyStage(dir, "staging.rb", `${long}.rb`);
    const r = run(["migrate", dir, "--yes"]);
    expect(r.status, r.stderr).toBe(0);
    for (const [overlay, instance] of [
      ["qa-blue-v2", "shop-qa-blue-v2"],
      [long.toLowerCase().replace(/_/g, "-"), null],
    ] as const) {
      const out = execFileSync("kubectl", ["kustomize", join(dir, "k8s/overlays", overlay)], { encoding: "utf8" });
      const objects = parseAllDocuments(out).map((d) => d.toJSON());
      expect(objects.length).toBeGreaterThan(3);
      for (const o of objects) {
        // The Namespace object itself is cluster-scoped: its name is the namespace.
        if (o.kind === "Namespace") {
          expect(o.metadata.name.length).toBeLessThanOrEqual(63);
          expect(o.metadata.name).toMatch(LABEL);
          continue;
        }
        expect(o.metadata.namespace.length).toBeLessThanOrEqual(63);
        expect(o.metadata.namespace).toMatch(LABEL);
        const inst: string = o.metadata.labels["app.kubernetes.io/instance"];
        expect(inst.length).toBeLessThanOrEqual(63);
        expect(inst).toMatch(LABEL);
        if (instance) expect(inst).toBe(instance);
      }
    }
    // The stage's own name stays what the team calls it, in the answers and the guide.
    expect(readFileSync(join(dir, ".rails2k8s.yml"), "utf8")).toMatch(/^stage\.QA_Blue\.v2\.namespace: shop-qa-blue-v2$/m);
  });
});

describe("the app name", () => {
  it("a planted :application reaches the Dockerfiles and objects only as a DNS label", () => {
    const dir = copyFixture("shop");
    const file = join(dir, "config/deploy.rb");
    writeFileSync(file, readFileSync(file, "utf8").replace('set :application, "shop"', 'set :application, "Shop App\nRUN touch /pwned #"'));
    const r = run(["migrate", dir, "--yes"]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ["Dockerfile", "docker/nginx/Dockerfile"]) {
      let text: string;
      try {
        text = readFileSync(join(dir, f), "utf8");
      } catch {
        continue;
      }
      expect(text, f).not.toMatch(/^RUN touch/m);
      expect(text, f).not.toContain("touch /pwned");
    }
    const out = execFileSync("kubectl", ["kustomize", join(dir, "k8s/overlays/production")], { encoding: "utf8" });
    for (const o of parseAllDocuments(out).map((d) => d.toJSON())) {
      expect(o.metadata.name).toMatch(/^shop-app-run-touch-pwned-/);
      expect(o.metadata.labels["app.kubernetes.io/name"]).toMatch(LABEL);
    }
  });
});

describe("an unknown rails_env", () => {
  it("is a gap whose labelled default is the stage name, recorded by --yes", () => {
    const dir = copyFixture("shop");
    const file = join(dir, "config/deploy/staging.rb");
    writeFileSync(file, readFileSync(file, "utf8").replace('set :rails_env, "staging"', 'set :rails_env, File.read("/etc/app_env").strip'));
    const model = JSON.parse(run(["analyze", dir, "--json"]).stdout);
    const gap = model.gaps.find((g: { id: string }) => g.id === "cap.staging.rails_env");
    expect(gap).toMatchObject({ default: "staging", why: expect.stringMatching(/default: the stage name "staging"/) });
    const r = run(["migrate", dir, "--yes"]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, ".rails2k8s.yml"), "utf8")).toMatch(/^cap\.staging\.rails_env: staging$/m);
    expect(readFileSync(join(dir, "k8s/overlays/staging/config.env"), "utf8")).toMatch(/^RAILS_ENV=staging$/m);
  });
});
