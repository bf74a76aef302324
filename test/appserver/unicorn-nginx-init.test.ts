// capistrano-unicorn-nginx with the repo's own copy of unicorn_init.erb (under :templates_path, here
// lib/capistrano/templates): the init script it renders is what started Unicorn, so its `-c` is the
// config Unicorn read, its `-E` the environment, AS_USER the account. Oracle: the copy rendered by
// Ruby's ERB with the gem's `bundle_unicorn` (SSHKit's Command), then run by bash as `start`, with a
// `bundle` on PATH that records the arguments it was given.
import { beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { railsEnvOf, type AppModel, type RValue } from "../../src/model.js";
import { filesOf } from "../fixture-files.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const APP = filesOf(join(here, "../../fixtures/appserver/lantern"));
const INIT = "lib/capistrano/templates/unicorn_init.erb";

// Written for this test: the gem's script as a team trimmed it, starting each stage's own config
// from the release instead of the rendered shared/config/unicorn.rb.
const initScript = (envArg: string) =>
  [
    "#!/bin/bash",
    "# lantern's unicorn service: each stage runs its own config from the release",
    "set -e",
    "APP_ROOT=<%= current_path %>",
    "PID=<%= fetch(:unicorn_pid) %>",
    "AS_USER=<%= fetch(:unicorn_user) %>",
    'UNICORN_ENV="<%= fetch(:unicorn_env) %>"',
    `CMD="cd $APP_ROOT && $UNICORN_ENV <%= bundle_unicorn("-D -c", "#{current_path}/config/unicorn/#{fetch(:stage)}.rb", "-E", ${envArg}) %>"`,
    "set -u",
    "sig () {",
    '  test -s "$PID" && kill -$1 `cat $PID`',
    "}",
    "run () {",
    '  if [ "$(id -un)" = "$AS_USER" ]; then',
    "    eval $1",
    "  else",
    '    su -c "$1" - $AS_USER',
    "  fi",
    "}",
    'case "$1" in',
    "start)",
    '  sig 0 && echo >&2 "Already running" && exit 0',
    '  run "$CMD"',
    "  ;;",
    "stop)",
    "  sig QUIT && exit 0",
    "  ;;",
    "*)",
    '  echo >&2 "Usage: $0 <start|stop>"',
    "  exit 1",
    "  ;;",
    "esac",
    "",
  ].join("\n");

const CONFIGS = {
  "config/unicorn/production.rb": 'worker_processes 6\ntimeout 90\nlisten "/tmp/lantern.sock", backlog: 64\n',
  "config/unicorn/staging.rb": "worker_processes 2\ntimeout 40\nlisten 8080\n",
};

const analyze = (envArg = "fetch(:unicorn_app_env)") =>
  analyzeFiles(
    memoryRepo({
      ...APP,
      "config/deploy.rb": `${APP["config/deploy.rb"]}set :templates_path, "lib/capistrano/templates"\n`,
      "config/deploy/staging.rb": `${APP["config/deploy/staging.rb"]}set :unicorn_user, "lantern"\n`,
      [INIT]: initScript(envArg),
      ...CONFIGS,
    }),
    "lantern",
  );
const unicornOf = (m: AppModel, stage: string) => m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes(stage))!;
const said = (m: AppModel) => m.problems.map((p) => `${p.file}:${p.line} ${p.message}`);

let model: AppModel;
beforeAll(async () => {
  await initPrism();
  model = await analyze();
}, 60_000);

describe("capistrano-unicorn-nginx's init script, from the repo's copy", () => {
  it("the config its -c starts is the one read, per stage, with its own lines", () => {
    const prod = unicornOf(model, "production");
    const stg = unicornOf(model, "staging");
    expect([prod.file, prod.env, prod.workers, prod.timeout?.value]).toEqual(["config/unicorn/production.rb", "production", { value: 6, source: { file: "config/unicorn/production.rb", line: 1 } }, 90]);
    expect([stg.file, stg.env, stg.workers?.value, stg.listen.map((l) => l.address)]).toEqual(["config/unicorn/staging.rb", "staging", 2, [8080]]);
    expect(prod.renderedBy).toMatchObject({ source: { file: INIT, line: 8 } });
    expect(prod.renderedBy!.value).toMatch(/runs `bundle exec unicorn -D -c \/home\/deploy\/apps\/lantern_production\/current\/config\/unicorn\/production\.rb -E production` in current\//);
    // the account: staging names it; production leaves it to the gem's default, the deploy user on the server
    expect(stg.renderedBy!.value).toMatch(/ as lantern, /);
    expect(said(model)).toContainEqual(expect.stringMatching(new RegExp(`^${INIT}:6 .*stage production: the account it runs Unicorn as \\(AS_USER\\) is not known statically`)));
    // the repo's config/unicorn.rb is still not what ran
    expect(said(model)).toContainEqual(expect.stringMatching(/^config\/unicorn\.rb:1 config\/unicorn\.rb is not the Unicorn config the servers ran/));
  });

  it("a fixed -E that is not the stage's rails_env is said at its line", async () => {
    const m = await analyze('"production"');
    expect(unicornOf(m, "staging").env).toBe("production");
    expect(said(m)).toContainEqual(expect.stringMatching(new RegExp(`^${INIT}:8 .*stage staging: Unicorn ran with -E production .* not the stage's rails_env staging`)));
  });

  it("the copy rendered by Ruby and run by bash starts the -c and -E the analysis says", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-unicorn-init-"));
    writeFileSync(join(dir, "unicorn_init.erb"), initScript("fetch(:unicorn_app_env)"));
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "bin/bundle"), '#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_OUT"\n');
    chmodSync(join(dir, "bin/bundle"), 0o755);
    const me = spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim();
    for (const stage of ["production", "staging"]) {
      const st = model.stages.find((s) => s.name === stage)!;
      const current = join(dir, stage, "current");
      mkdirSync(current, { recursive: true });
      const vars: Record<string, RValue> = { stage, unicorn_user: me, unicorn_env: "", unicorn_pid: join(dir, stage, "unicorn.pid"), unicorn_app_env: railsEnvOf(st) };
      runRubyFile(join(here, "unicorn_init_render.rb"), [{ template: join(dir, "unicorn_init.erb"), out: join(dir, stage, "init"), vars, current_path: current }]);
      const out = join(dir, stage, "args");
      const r = spawnSync("bash", [join(dir, stage, "init"), "start"], { encoding: "utf8", env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, HOME: dir, ARGS_OUT: out } });
      expect(r.status, r.stderr).toBe(0);
      const args = readFileSync(out, "utf8").trim().split("\n");
      const a = unicornOf(model, stage);
      expect(args).toEqual(["exec", "unicorn", "-D", "-c", `${current}/${a.file}`, "-E", a.env]);
    }
  });
});
