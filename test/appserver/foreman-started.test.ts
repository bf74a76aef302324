// The Procfile process the deploy starts with foreman is the web server, not Heroku's `web:` line;
// and a config that reads the Rails environment through a constant (`APP_ENV = ENV["RAILS_ENV"] ||
// "development"`) is read per stage. Judged by real foreman (which processes it starts or exports)
// and by Unicorn::Configurator with each stage's RAILS_ENV. Fixture: fixtures/appserver/darkroom
// (Capistrano 2 multistage, a Heroku Procfile line next to the daemon line the deploy starts).
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo, readRepo } from "../../src/repo.js";
import { parseForeman } from "../../analyzers/appserver/foreman.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { appServerFor } from "../../emitters/app-server.js";
import type { AppModel, Problem, Stage } from "../../src/model.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const APP = join(here, "../../fixtures/appserver/darkroom");
let m: AppModel;
beforeAll(async () => {
  await initPrism();
  m = await analyzeFiles(readRepo(APP).repo, "darkroom");
});

/** Which processes real foreman runs for `args` in a folder holding these Procfiles (commands made harmless). */
function foremanRuns(args: string[], procfiles: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), "r2k-foreman-"));
  for (const [name, text] of Object.entries(procfiles))
    writeFileSync(join(dir, name), text.replace(/^([\w-]+):.*$/gm, (_l, n) => `${n}: echo ran ${n}`));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" };
  if (args[0] === "export") {
    const r = spawnSync("foreman", [...args.slice(0, 2), join(dir, "out.txt"), ...args.slice(2), "-a", "probe"], { cwd: dir, env, encoding: "utf8", timeout: 20000 });
    expect(r.status, r.stderr).toBe(0);
    return [...new Set([...readFileSync(join(dir, "out.txt"), "utf8").matchAll(/\/var\/log\/probe\/([\w-]+)-\d+\.log/g)].map((x) => x[1]!))].sort();
  }
  const r = spawnSync("foreman", args, { cwd: dir, env, encoding: "utf8", timeout: 20000 });
  return [...new Set([...r.stdout.matchAll(/^\S+ ([\w-]+)\.\d+\s+\| started with pid/gm)].map((x) => x[1]!))].sort();
}

describe("the Procfile process the deploy starts with foreman", () => {
  it("is the web server: its line is the evidence, with the deploy line that starts it", () => {
    expect(m.webServer?.kind).toBe("unicorn");
    const first = m.webServer!.evidence[0]!;
    expect(first.source).toEqual({ file: "Procfile", line: 2 });
    expect(first.value).toContain("config/deploy.rb:15");
    expect(m.webServer!.evidence.some((e) => e.source.line === 1 && e.source.file === "Procfile")).toBe(false);
  });

  it("its -c config is each stage's config; the Heroku line's file is read by no stage", () => {
    for (const s of m.stages) expect(appServerFor(m, s)?.file).toBe("config/unicorn.rb");
    expect(m.appServers.some((a) => a.file === "config/heroku_unicorn.rb" && a.stages.length)).toBe(false);
  });

  const procfiles = {
    Procfile: readFileSync(join(APP, "Procfile"), "utf8"),
    "Procfile.servers": "web: bundle exec unicorn -p $PORT\nweb_daemon: bundle exec unicorn -c config/unicorn.rb -D\nworker: bundle exec rake jobs:work\n",
  };
  const CASES: { line: string; args: string[]; procfile: string }[] = [
    { line: 'run "cd #{current_path} && bundle exec foreman start app_server"', args: ["start", "app_server"], procfile: "Procfile" },
    { line: 'run "cd #{current_path}; foreman start -f Procfile.servers web_daemon; echo done"', args: ["start", "-f", "Procfile.servers", "web_daemon"], procfile: "Procfile.servers" },
    { line: "execute :foreman, 'start --procfile=Procfile.servers -m web_daemon=1,worker=0'", args: ["start", "--procfile=Procfile.servers", "-m", "web_daemon=1,worker=0"], procfile: "Procfile.servers" },
    { line: 'sudo "foreman export inittab /etc/inittab.d -f Procfile.servers -m worker=2,web_daemon=1 -u deploy"', args: ["export", "inittab", "-f", "Procfile.servers", "-m", "worker=2,web_daemon=1", "-u", "deploy"], procfile: "Procfile.servers" },
    { line: 'run "foreman export inittab /etc/inittab.d -m all=1"', args: ["export", "inittab", "-m", "all=1"], procfile: "Procfile" },
    { line: 'run "foreman start"', args: ["start"], procfile: "Procfile" },
  ];
  for (const c of CASES)
    it(`reads \`${c.line}\` as foreman does`, () => {
      const ours = parseForeman(c.line)!;
      expect(ours.procfile).toBe(c.procfile);
      const all = procfiles[c.procfile as keyof typeof procfiles].split("\n").filter(Boolean).map((l) => l.split(":")[0]!).sort();
      expect((ours.names ?? all).slice().sort()).toEqual(foremanRuns(c.args, procfiles));
    });

  it("old foreman's `-c name=N` formation, and foreman's -c colour flag", () => {
    expect(parseForeman('run "foreman export upstart /etc/init -a photos -c web_daemon=1,worker=0"')?.names).toEqual(["web_daemon"]);
    expect(parseForeman('run "foreman start -c app_server"')?.names).toEqual(["app_server"]);
    expect(parseForeman('run "foreman start -f #{shared_path}/Procfile web"')?.procfile).toBeNull();
    expect(parseForeman('run "bundle exec rake foreman:check"')).toBeNull();
  });

  it("without foreman naming a process, the Procfile's web: line stays the one", async () => {
    const files = Object.fromEntries(["Capfile", "config/deploy.rb", "config/deploy/production.rb", "config/deploy/staging.rb", "Procfile", "config/unicorn.rb", "config/heroku_unicorn.rb", "Gemfile"].map((f) => [f, readFileSync(join(APP, f), "utf8")]));
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace("foreman start app_server", "foreman start");
    const plain = await analyzeFiles(memoryRepo(files), "darkroom");
    expect(plain.webServer?.evidence[0]?.source).toEqual({ file: "Procfile", line: 1 });
  });
});

describe("the Rails environment read through a constant or a local, per stage", () => {
  it("matches Unicorn::Configurator run with each stage's RAILS_ENV", () => {
    const root = mkdtempSync(join(tmpdir(), "r2k-unicorn-env-"));
    const path = join(root, "unicorn.rb");
    copyFileSync(join(APP, "config/unicorn.rb"), path);
    const envs = ["production", "staging"];
    const real = runRubyFile(join(here, "unicorn_oracle.rb"), envs.map((env) => ({ path, env })));
    envs.forEach((env, i) => {
      const ours = appServerFor(m, m.stages.find((s) => s.name === env)!)!;
      expect(ours.workers?.value).toBe(real[i].worker_processes);
      expect(ours.timeout?.value).toBe(real[i].timeout);
      expect(ours.listen.map((l) => l.address)).toEqual(real[i].listeners.map((l: any) => l.address));
      expect(ours.stderrPath?.value ?? null).toBe(real[i].stderr_path);
    });
    expect(real[0].worker_processes).not.toBe(real[1].worker_processes);
  });

  const stage = (name: string, rails_env: string): Stage => ({ name, source: { file: `config/deploy/${name}.rb`, line: 1 }, variables: { rails_env: { value: rails_env, source: { file: `config/deploy/${name}.rb`, line: 1 } } }, servers: [] });
  const IDIOMS = [
    'RAILS_ENV = ENV["RAILS_ENV"]\nworker_processes (RAILS_ENV == "production" ? 8 : 2)\n',
    'RAILS_ENV = ENV["RAILS_ENV"] || "development"\nworker_processes(RAILS_ENV == "production" ? 8 : 2)\ntimeout 20 if RAILS_ENV != "production"\n',
    'rails_env = ENV.fetch("RAILS_ENV", "production")\nworker_processes({ "production" => 8, "qa" => 3 }.fetch(rails_env, 1))\n',
    'ENVIRONMENT ||= ENV["RAILS_ENV"]\nif ENVIRONMENT == "qa"\n  worker_processes 3\nelse\n  worker_processes 5\nend\n',
    // `or` binds looser than `?:`: production gives `true`, which Unicorn refuses
    'RAILS_ENV = ENV["RAILS_ENV"]\nworker_processes (RAILS_ENV == "production" or RAILS_ENV == "qa" ? 8 : 2)\n',
  ];
  IDIOMS.forEach((text, n) =>
    it(`idiom ${n + 1}: ${text.split("\n")[0]}`, () => {
      const root = mkdtempSync(join(tmpdir(), "r2k-unicorn-idiom-"));
      mkdirSync(join(root, "config"));
      writeFileSync(join(root, "config/unicorn.rb"), text);
      const envs = ["production", "qa"];
      const problems: Problem[] = [];
      const servers = analyzeAppServers({ repo: memoryRepo({ "config/unicorn.rb": text }), problem: (p) => problems.push(p) }, envs.map((e) => stage(e, e)));
      const real = runRubyFile(join(here, "unicorn_oracle.rb"), envs.map((env) => ({ path: join(root, "config/unicorn.rb"), env })));
      envs.forEach((env, i) => {
        const ours = servers.find((s) => s.env === env) ?? servers.find((s) => s.env === null)!;
        if (real[i].error) {
          expect(real[i].error).toMatch(/worker_processes/);
          expect((ours.workers?.value as any)?.unknown).toMatch(/refuses worker_processes/);
        } else {
          expect(ours.workers?.value).toBe(real[i].worker_processes);
          expect(ours.timeout?.value).toBe(real[i].timeout);
        }
      });
    }),
  );
});
