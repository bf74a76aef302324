// The front-end build the deploy ran on the servers, carried into the image's build stage: the
// commands (capistrano-npm/gulp and a task of the app's own), their directory and environment,
// before assets:precompile; Node pinned from the repo; yarn 2+ installed as yarn 2+ installs.
// A command the image cannot repeat keeps its named warning; hostile values stay inert (run by a
// real shell against stub tools) or are refused.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { normalizeNode } from "../../analyzers/rails/frontend.js";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { memoryRepo } from "../../src/repo.js";
import { emitContainer } from "../../emitters/container/index.js";
import { RefusedInput } from "../../emitters/encode/refuse.js";
import { lintDockerfile } from "./dockerfile-lint.js";
import { shellcheck } from "../robustness/hostile/shell.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (4.2.11)\n    sprockets-rails (2.3.3)\n    unicorn (5.4.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  sprockets-rails\n  unicorn\n\nBUNDLED WITH\n   1.17.3\n";
const files = (capfileExtra: string, deployExtra = "") => ({
  "Capfile.rb": `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails/assets"\n${capfileExtra}`,
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "sprockets-rails"\ngem "unicorn"\n',
  "Gemfile.lock": LOCK,
  "config/deploy.rb": `set :application, "lantern"\n${deployExtra}`,
  "config/deploy/production.rb": 'server "a1.example.org", roles: %w[web app db]\n',
});

type Problems = { problems: { file: string; line: number; message: string }[] };
const frontend = (m: Problems) => m.problems.filter((p) => p.message.startsWith("assets.frontend-build"));
const analyze = (f: Record<string, string>) => analyzeFiles(memoryRepo(f), "lantern", [], { callSites: false });
const dockerfile = (m: AppModel, answers = {}) => emitContainer(m, answers).files.find((f) => f.path === "Dockerfile")!.content;
/** The shell text of each RUN, continuation lines joined as Docker joins them. */
const runs = (d: string) => lintDockerfile(d).instructions.filter((i) => i.keyword === "RUN").map((i) => i.args.replace(/ &&\s+/g, " && "));

/**
 * Lantern, written for this test: a Capistrano 3 app whose deploy installs packages with
 * capistrano-npm, runs gulp through capistrano-gulp, and builds a client bundle in client/ with a
 * task of its own that sets NODE_ENV and the CDN host for it.
 */
function lantern(over: { assetHost?: string; script?: string; within?: string; nvmrc?: string } = {}): Record<string, string> {
  const f: Record<string, string> = {
    ...files(
      'require "capistrano/npm"\nrequire "capistrano/gulp"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
      [
        'set :deploy_to, "/srv/lantern"',
        'set :npm_flags, "--silent"',
        'set :gulp_tasks, "build"',
        'set :gulp_flags, %w[--production]',
        `set :cdn_host, ${JSON.stringify(over.assetHost ?? "static.lantern.example.org")}`,
        `set :client_script, ${JSON.stringify(over.script ?? "build:client")}`,
        // capistrano-gulp does not hook itself into the deploy: its README has the app add this.
        'before "deploy:updated", "gulp"',
      ].join("\n") + "\n",
    ),
    "lib/capistrano/tasks/client.rake": [
      "namespace :client do",
      '  desc "Bundle the client app"',
      "  task :bundle do",
      "    on roles(:web) do",
      `      within ${over.within ?? 'release_path.join("client")'} do`,
      '        execute :npm, "ci"',
      "        with node_env: fetch(:rails_env), asset_host: fetch(:cdn_host) do",
      '          execute :npm, "run", fetch(:client_script)',
      "        end",
      "      end",
      "    end",
      "  end",
      "end",
      'after "npm:install", "client:bundle"',
      "",
    ].join("\n"),
    "package.json": JSON.stringify({ name: "lantern", private: true, devDependencies: { gulp: "^4.0.2" } }, null, 2),
    "package-lock.json": "{}\n",
    "client/package.json": JSON.stringify({ name: "lantern-client", private: true, scripts: { "build:client": "webpack --mode production" } }, null, 2),
    "client/package-lock.json": "{}\n",
    ".nvmrc": over.nvmrc ?? "v18.19.0\n",
  };
  return f;
}

describe("front-end builds the deploy ran", () => {
  it("names a gulp build it cannot carry (gulp in no package.json) at its require line, in the Capfile and deploy.rb", async () => {
    const m = await analyze(files('# require "capistrano/bower"\nrequire "capistrano/gulp"\n', 'require "capistrano/grunt"\nbefore :updated, "gulp"\nafter "npm:install", :grunt\n'));
    const found = frontend(m).map((p) => `${p.file}:${p.line}`);
    expect(found).toEqual(["Capfile.rb:5", "config/deploy.rb:2"]);
    expect(frontend(m)[0]!.message).toMatch(/ran gulp --no-color .*gulp is not in package\.json.*Dockerfile/);
    expect(frontend(m)[1]!.message).toMatch(/ran grunt --no-color .*grunt is not in package\.json/);
    expect(dockerfile(m)).not.toMatch(/gulp|grunt/);
  });

  it("capistrano-gulp/grunt only define their task: without a hook or invoke of the repo the deploy never ran it, and nothing is carried", async () => {
    const pkg = { "package.json": JSON.stringify({ devDependencies: { gulp: "4", grunt: "1" } }), "package-lock.json": "{}\n" };
    const none = await analyze({ ...files('require "capistrano/gulp"\nrequire "capistrano/grunt"\n'), ...pkg });
    expect(none.rails.assets.frontend?.steps ?? []).toEqual([]);
    expect(frontend(none).map((p) => `${p.file}:${p.line}`)).toEqual(["Capfile.rb:4", "Capfile.rb:5"]);
    expect(frontend(none)[0]!.message).toMatch(/no hook or invoke in the repo runs its task "gulp" \(the plugin does not hook itself/);
    expect(dockerfile(none)).not.toMatch(/RUN .*(gulp|grunt)/);
    // Hooked (gulp) and invoked from a task of the repo (grunt): the plugins' defaults, in their order.
    const f = { ...files('require "capistrano/gulp"\nrequire "capistrano/grunt"\n', 'set :gulp_tasks, "build"\nset :grunt_file, "Gruntfile.js"\nbefore "deploy:updated", "gulp"\nnamespace :deploy do\n  task :grunt_it do\n    invoke "grunt"\n  end\nend\n'), ...pkg };
    const m = await analyze(f);
    expect(frontend(m)).toEqual([]);
    expect(m.rails.assets.frontend!.steps.map((s) => s.argv.join(" "))).toEqual(["gulp --no-color build", "grunt --no-color --gruntfile Gruntfile.js"]);
    // A variable of the plugin this tool does not model is named, not ignored.
    const exe = await analyze({ ...f, "config/deploy.rb": f["config/deploy.rb"] + 'set :gulp_executable, "node_modules/.bin/gulp"\n' });
    expect(frontend(exe).map((p) => p.message)).toEqual([expect.stringMatching(/ran gulp .*:gulp_executable \(config\/deploy\.rb:10\), which this tool does not model/)]);
  });

  it("says nothing for a deploy that only precompiles", async () => {
    const m = await analyze(files('require "capistrano/bundler"\n'));
    expect(frontend(m)).toEqual([]);
    expect(m.rails.assets.frontend).toBeUndefined();
  });

  it("models lantern's build: the commands, their directory and environment, with file:line", async () => {
    const m = await analyze(lantern());
    expect(frontend(m)).toEqual([]);
    const fe = m.rails.assets.frontend!;
    expect(fe.nodeVersion).toEqual({ value: "18.19.0", source: { file: ".nvmrc", line: 1 } });
    expect(fe.steps).toEqual([
      { argv: ["npm", "install", "--silent"], dir: "", env: {}, install: true, source: { file: "Capfile.rb", line: 4 } },
      { argv: ["gulp", "--production", "build"], dir: "", env: {}, source: { file: "Capfile.rb", line: 5 } },
      { argv: ["npm", "ci"], dir: "client", env: {}, install: true, source: { file: "lib/capistrano/tasks/client.rake", line: 6 } },
      { argv: ["npm", "run", "build:client"], dir: "client", env: { NODE_ENV: "production", ASSET_HOST: "static.lantern.example.org" }, source: { file: "lib/capistrano/tasks/client.rake", line: 8 } },
    ]);
    expect(m.rails.assets.needsNode.value).toBe(true);
    expect(m.gaps.map((g) => g.id)).not.toContain("container.node_version");
  });

  it("writes them into the build stage before assets:precompile; the Dockerfile lints clean and each RUN passes shellcheck", async () => {
    const d = dockerfile(await analyze(lantern()));
    expect(lintDockerfile(d).problems).toEqual([]);
    expect(d).toContain("ARG NODE_VERSION=18.19.0\n");
    const r = runs(d);
    const at = (re: RegExp) => r.findIndex((x) => re.test(x));
    const install = at(/^npm ci$/);
    const gulp = at(/^gulp --production build$/);
    const client = at(/^cd client && npm ci$/);
    const bundle = at(/^cd client && NODE_ENV=production ASSET_HOST=static\.lantern\.example\.org npm run build:client$/);
    const precompile = at(/assets:precompile && rm -rf node_modules client\/node_modules$/);
    expect([install, gulp, client, bundle, precompile].every((i) => i >= 0), r.join("\n")).toBe(true);
    expect(install < gulp && gulp < bundle && client < bundle && bundle < precompile).toBe(true);
    // In the build stage, with the packages' own binaries first on PATH; none of it in the final image.
    const build = d.slice(d.indexOf(" AS build"), d.indexOf("\nFROM base\n"));
    expect(build).toContain('ENV PATH="/rails/client/node_modules/.bin:/rails/node_modules/.bin:$PATH"');
    expect(build).toMatch(/cd client && \\\n\s+NODE_ENV=production ASSET_HOST=/);
    for (const x of r) expect(shellcheck(x).out).toBe("");
  });

  it("a step in a directory only the servers have keeps its warning and is not written", async () => {
    const m = await analyze(lantern({ within: 'shared_path.join("client")' }));
    const w = frontend(m);
    expect(w.map((p) => `${p.file}:${p.line}`)).toEqual(["lib/capistrano/tasks/client.rake:6", "lib/capistrano/tasks/client.rake:8"]);
    expect(w[1]!.message).toMatch(/ran npm run build:client .*it ran in "\/srv\/lantern\/shared\/client", a path outside the release/);
    expect(dockerfile(m)).not.toContain("build:client");
    expect(dockerfile(m)).toContain("gulp --production build");
  });

  it("a command given as one string ignores within (SSHKit runs it in the login directory): named, not carried", async () => {
    const f = lantern();
    f["lib/capistrano/tasks/client.rake"] = f["lib/capistrano/tasks/client.rake"]!.replace('execute :npm, "run", fetch(:client_script)', 'execute "npm run build:client"');
    const m = await analyze(f);
    expect(frontend(m).map((p) => p.message)).toEqual([expect.stringMatching(/login directory/)]);
    expect(dockerfile(m)).not.toContain("build:client");
  });
});

describe("shell lines and tools the deploy named", () => {
  const withTask = (body: string) => {
    const f = lantern();
    f["lib/capistrano/tasks/client.rake"] = `namespace :client do\n  task :bundle do\n    on roles(:web) do\n${body}\n    end\n  end\nend\nafter "npm:install", "client:bundle"\n`;
    return f;
  };

  it("`cd #{release_path}/client && npm ci && npm run build:client` in one string: each command a step, in client/", async () => {
    const m = await analyze(withTask('      execute "cd #{release_path}/client && npm ci && npm run build:client"'));
    expect(frontend(m)).toEqual([]);
    expect(m.rails.assets.frontend!.steps.slice(2).map((s) => [s.argv.join(" "), s.dir, s.source.line])).toEqual([["npm ci", "client", 4], ["npm run build:client", "client", 4]]);
    expect(runs(dockerfile(m))).toContain("cd client && npm run build:client");
  });

  it("choosing the servers' Node (nvm) and installing yarn globally are not steps; a global install of a build tool is named", async () => {
    const m = await analyze(withTask('      execute "source ~/.nvm/nvm.sh && nvm use 18 && npm install -g yarn && cd #{release_path} && npm run build:all"\n      execute "npm install -g gulp-cli"'));
    // cd after setup: the only carried command runs at the root; the script is not in package.json, so it is named
    expect(m.rails.assets.frontend!.steps.slice(2).map((s) => s.argv.join(" "))).toEqual(["npm run build:all", "npm install -g gulp-cli"]);
    expect(frontend(m).map((p) => p.message)).toEqual([expect.stringMatching(/no script "build:all"/), expect.stringMatching(/installs packages globally/)]);
  });

  it("a task hooked after the release went live (after deploy:published) is no build step: named, not carried", async () => {
    const f = withTask('      within release_path do\n        execute :gulp, "build"\n      end');
    f["lib/capistrano/tasks/client.rake"] = f["lib/capistrano/tasks/client.rake"]!.replace('after "npm:install", "client:bundle"', 'after "deploy:published", "client:bundle"');
    const m = await analyze(f);
    expect(frontend(m).map((p) => `${p.file}:${p.line}`)).toEqual(["lib/capistrano/tasks/client.rake:5"]);
    expect(frontend(m)[0]!.message).toMatch(/ran after deploy:published \(lib\/capistrano\/tasks\/client\.rake:10\)/);
    expect(runs(dockerfile(m)).filter((x) => /gulp/.test(x))).toEqual(["gulp --production build"]);
  });

  it("a tool whose name the deploy reads from a variable it cannot know (run_locally, fetch(:gulp_executable)) is named, not guessed", async () => {
    const m = await analyze(withTask("      run_locally do\n        execute fetch(:gulp_executable), options\n      end"));
    expect(frontend(m).map((p) => `${p.file}:${p.line}`)).toEqual(["lib/capistrano/tasks/client.rake:5"]);
    expect(frontend(m)[0]!.message).toMatch(/not known statically/);
  });
});

describe("hostile values", () => {
  /** Runs the RUN lines that follow the lockfile installs in sh, with stub npm/gulp that log what they were given. */
  function runSteps(d: string): { log: string; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), "r2k-frontend-"));
    try {
      mkdirSync(join(dir, "app/client"), { recursive: true });
      mkdirSync(join(dir, "bin"));
      for (const tool of ["npm", "gulp"]) {
        writeFileSync(join(dir, "bin", tool), `#!/bin/sh\n{ printf '%s|' "${tool}" "$(basename "$PWD")"; for a in "$@"; do printf '[%s]' "$a"; done; printf '|%s|%s\\n' "$NODE_ENV" "$ASSET_HOST"; } >> "${dir}/log"\n`);
        chmodSync(join(dir, "bin", tool), 0o755);
      }
      const steps = runs(d).filter((x) => !/apt-get|bundle|ln -s|assets:precompile|useradd/.test(x));
      for (const s of steps) {
        const r = spawnSync("sh", ["-c", s], { cwd: join(dir, "app"), env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, HOME: dir }, encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
      }
      return { log: existsSync(join(dir, "log")) ? readFileSync(join(dir, "log"), "utf8") : "", dir };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("a value the deploy gave the build reaches it verbatim and runs nothing", async () => {
    const evil = `x'"; touch PWNED_A; $(touch PWNED_B) \`touch PWNED_C\` \\`;
    const m = await analyze(lantern({ assetHost: evil }));
    const d = dockerfile(m);
    expect(lintDockerfile(d).problems).toEqual([]);
    for (const x of runs(d)) expect(shellcheck(x).out).toBe("");
    const { log } = runSteps(d);
    expect(log.split("\n").filter(Boolean)).toEqual(["npm|app|[ci]||", "gulp|app|[--production][build]||", "npm|client|[ci]||", `npm|client|[run][build:client]|production|${evil}`]);
  });

  it("a script name that is shell text is not written: named instead", async () => {
    const m = await analyze(lantern({ script: "build;touch PWNED" }));
    expect(frontend(m).map((p) => p.message)).toEqual([expect.stringMatching(/build;touch PWNED .*it also runs "touch PWNED", which is not a Node command/)]);
    expect(dockerfile(m)).not.toContain("PWNED");
  });

  it("a Node version that names no release is ignored with a warning (the labelled default is used); a hostile one in the model is refused", async () => {
    const m = await analyze(lantern({ nvmrc: "18; touch PWNED\n" }));
    expect(m.problems.filter((p) => p.message.startsWith("assets.node-version")).map((p) => `${p.file}:${p.line}`)).toEqual([".nvmrc:1"]);
    expect(m.rails.assets.frontend!.nodeVersion).toBeNull();
    const out = emitContainer(m, {});
    expect(out.files.find((f) => f.path === "Dockerfile")!.content).toContain("ARG NODE_VERSION=22\n");
    expect(out.notes.some((n) => /Node 22 is this tool's default/.test(n.message))).toBe(true);
    expect(m.gaps.map((g) => g.id)).toContain("container.node_version");
    const bad = structuredClone(m);
    bad.rails.assets.frontend!.nodeVersion = { value: "18 && touch PWNED", source: { file: ".nvmrc", line: 1 } };
    expect(() => emitContainer(bad, {})).toThrow(RefusedInput);
    expect(() => emitContainer(bad, {})).toThrow(/^\.nvmrc:1: /);
    const nl = structuredClone(m);
    nl.rails.assets.frontend!.steps[3]!.env["ASSET_HOST"] = "a\nRUN touch PWNED";
    expect(() => emitContainer(nl, {})).toThrow(/client\.rake:8: .*line break/);
  });
});

describe("Node and the package manager", () => {
  it("reads the Node version as nvm, nodenv, asdf and npm write it", () => {
    expect(normalizeNode("v20.11.1")).toEqual({ value: "20.11.1" });
    expect(normalizeNode("lts/hydrogen")).toEqual({ value: "18" });
    expect(normalizeNode("^18.17.0")).toEqual({ value: "18" });
    expect(normalizeNode("18.x")).toEqual({ value: "18" });
    expect(normalizeNode("~20.10.0")).toEqual({ value: "20.10" });
    for (const x of ["lts/*", "node", ">=14", "18 || 20", "$(id)"]) expect(normalizeNode(x)).toHaveProperty("why");
  });

  it("takes .node-version over .nvmrc over .tool-versions over engines", async () => {
    const base = { ...lantern(), ".tool-versions": "ruby 3.2.2\nnodejs 16.20.2\n" };
    delete (base as Record<string, string>)[".nvmrc"];
    expect((await analyze(base)).rails.assets.frontend!.nodeVersion).toEqual({ value: "16.20.2", source: { file: ".tool-versions", line: 2 } });
    expect((await analyze({ ...base, ".nvmrc": "lts/iron\n" })).rails.assets.frontend!.nodeVersion!.value).toBe("20");
    expect((await analyze({ ...base, ".nvmrc": "lts/iron\n", ".node-version": "21.7.3\n" })).rails.assets.frontend!.nodeVersion!.value).toBe("21.7.3");
  });

  it("yarn 2+ installs with --immutable after copying its settings; yarn 1 with --frozen-lockfile", async () => {
    const berry = { ...files('require "capistrano/bundler"\n'), "package.json": '{"name":"x","packageManager":"yarn@4.1.0"}\n', "yarn.lock": "__metadata:\n  version: 8\n", ".yarnrc.yml": "nodeLinker: node-modules\n" };
    const d = dockerfile(await analyze(berry));
    expect(d).toMatch(/COPY package\.json yarn\.lock \.\/\nCOPY \.yarnrc\.yml \.yarnrc\.yml\nRUN .*\n\s+yarn install --immutable\n/);
    expect(lintDockerfile(d).problems).toEqual([]);
    const classic = { ...berry, "package.json": '{"name":"x"}\n', "yarn.lock": "# yarn lockfile v1\n" };
    delete (classic as Record<string, string>)[".yarnrc.yml"];
    expect(dockerfile(await analyze(classic))).toContain("yarn install --frozen-lockfile");
  });

  it("a jsbundling app: Node, then the lockfile install, then assets:precompile (which runs its build script)", async () => {
    const lock = LOCK.replace("    unicorn (5.4.0)\n", "    jsbundling-rails (1.3.0)\n    unicorn (5.4.0)\n");
    const f = { ...files('require "capistrano/bundler"\n'), "Gemfile.lock": lock, "package.json": '{"name":"x","scripts":{"build":"esbuild app/javascript/*.* --bundle --outdir=app/assets/builds"}}\n', "yarn.lock": "# yarn lockfile v1\n" };
    const d = dockerfile(await analyze(f));
    const r = runs(d);
    const install = r.findIndex((x) => /yarn install --frozen-lockfile$/.test(x));
    expect(d).toContain("COPY --from=node /usr/local/bin/node /usr/local/bin/node");
    expect(install).toBeGreaterThan(-1);
    expect(install).toBeLessThan(r.findIndex((x) => /assets:precompile/.test(x)));
  });
});

describe("commands behind an assignment, a wrapper or a path", () => {
  const withTask = (body: string, extra: Record<string, string> = {}) => {
    const f = { ...lantern(), ...extra };
    f["lib/capistrano/tasks/client.rake"] = `namespace :client do\n  task :bundle do\n    on roles(:web) do\n${body}\n    end\n  end\nend\nafter "npm:install", "client:bundle"\n`;
    return f;
  };
  const own = (m: AppModel) => m.rails.assets.frontend!.steps.slice(2);

  it("`VAR=value npm …` takes the assignment as the step's environment; a secret-looking one is named, never baked in", async () => {
    const m = await analyze(withTask('      execute "cd #{release_path}/client && NODE_OPTIONS=--max-old-space-size=4096 npm run build:client"'));
    expect(frontend(m)).toEqual([]);
    expect(own(m).map((s) => [s.argv.join(" "), s.dir, s.env])).toEqual([["npm run build:client", "client", { NODE_OPTIONS: "--max-old-space-size=4096" }]]);
    expect(runs(dockerfile(m))).toContain("cd client && NODE_OPTIONS=--max-old-space-size=4096 npm run build:client");
    const secret = await analyze(withTask('      execute "cd #{release_path}/client && SENTRY_AUTH_TOKEN=abc123 npm run build:client"'));
    expect(frontend(secret).map((p) => p.message)).toEqual([expect.stringMatching(/ran npm run build:client .*SENTRY_AUTH_TOKEN looks like a secret/)]);
    expect(dockerfile(secret)).not.toContain("abc123");
  });

  it("`sudo npm …` and `/usr/bin/env npm …` are named, never dropped in silence", async () => {
    const m = await analyze(withTask('      execute "cd #{release_path}/client && sudo npm run build:client"\n      execute "cd #{release_path}/client && /usr/bin/env npm run build:client"'));
    expect(frontend(m).map((p) => `${p.line}: ${p.message}`)).toEqual([expect.stringMatching(/^4: .*through "sudo"/), expect.stringMatching(/^5: .*through "\/usr\/bin\/env"/)]);
  });

  it("a binstub given by path keeps its path (bin/webpack is webpacker's Ruby wrapper) when the repo has it, else it is named", async () => {
    const body = '      execute "cd #{release_path} && bin/webpack"';
    const m = await analyze(withTask(body, { "bin/webpack": "#!/usr/bin/env ruby\n" }));
    expect(frontend(m)).toEqual([]);
    expect(own(m).map((s) => s.argv)).toEqual([["bin/webpack"]]);
    expect(runs(dockerfile(m))).toContain("bin/webpack");
    const missing = await analyze(withTask(body));
    expect(own(missing)[0]!.argv).toEqual(["bin/webpack"]);
    expect(frontend(missing).map((p) => p.message)).toEqual([expect.stringMatching(/bin\/webpack is not in the repo/)]);
    expect(runs(dockerfile(missing)).some((x) => /webpack/.test(x))).toBe(false);
  });
});

describe("the Dockerfile's Node and root install", () => {
  it("the explicit answer container.node_version wins over the repo's pin, which is named with its file:line", async () => {
    const m = await analyze(lantern());
    const out = emitContainer(m, { "container.node_version": "20" });
    expect(out.files.find((f) => f.path === "Dockerfile")!.content).toContain("ARG NODE_VERSION=20\n");
    expect(out.notes.map((n) => n.message)).toContainEqual(expect.stringMatching(/Node 20 \(answer container\.node_version\).*repo pins Node 18\.19\.0 at \.nvmrc:1/));
  });

  it("what the lockfile install drops of the deploy's root npm install (flags, :npm_env_variables) is named", async () => {
    const f = lantern();
    f["config/deploy.rb"] = f["config/deploy.rb"]!.replace('set :npm_flags, "--silent"', 'set :npm_flags, "--production --silent"\nset :npm_env_variables, { "NPM_CONFIG_REGISTRY" => "https://npm.example.org/" }');
    const out = emitContainer(await analyze(f), {});
    const note = out.notes.find((n) => /lockfile install of the build stage, which drops/.test(n.message))!;
    expect(note.message).toMatch(/its flags --production --silent and its environment NPM_CONFIG_REGISTRY .*includes devDependencies/);
    expect(note.source).toEqual({ file: "Capfile.rb", line: 4 });
  });
});

