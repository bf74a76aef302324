// Which server the deploy starts when the repo's Procfile and its Capistrano tasks disagree. A
// Procfile nothing in the deploy runs (no foreman start or export, no Procfile-based service) is a
// laptop's or Heroku's, weaker than the deploy's own restart of another server; without any such
// restart (a Heroku-style app) the Procfile is the start, as before. The evidence shows both lines
// and which won. When the server that won reads a config only the servers hold (a linked file),
// its numbers are gaps. Fixture: fixtures/appserver/kettle.
import { beforeAll, describe, expect, it } from "vitest";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { isUnknown } from "../../src/model.js";
import { appServerFor, appServerKind } from "../../emitters/app-server.js";
import { appServerGaps } from "../../src/gaps/appserver.js";
import { filesOf } from "../fixture-files.js";
import { COMMANDS } from "../../analyzers/appserver/started.js";

const here = dirname(fileURLToPath(import.meta.url));
const APP = join(here, "../../fixtures/appserver/kettle");
const RESTART_LINE = 14; // config/deploy.rb: invoke "unicorn:restart"
const SERVICE_LINE = 6; // lib/capistrano/tasks/unicorn.rake: sudo "service unicorn_... #{action}"

beforeAll(async () => {
  await initPrism();
});

describe("a development Procfile beside a deploy that restarts a unicorn service", () => {
  it("Unicorn is the server: the deploy's restart outranks the Procfile nothing runs, and both lines are shown", async () => {
    const files = filesOf(APP);
    expect(files["config/deploy.rb"]!.split("\n")[RESTART_LINE - 1]).toMatch(/invoke "unicorn:restart"/);
    expect(files["lib/capistrano/tasks/unicorn.rake"]!.split("\n")[SERVICE_LINE - 1]).toMatch(/service unicorn_/);
    const m = await analyzeFiles(memoryRepo(files), "kettle");
    expect(m.webServer?.kind).toBe("unicorn");
    expect(appServerKind(m)).toBe("unicorn");
    const ev = m.webServer!.evidence;
    expect(ev[0]).toMatchObject({ source: { file: "config/deploy.rb", line: RESTART_LINE } });
    expect(ev.some((e) => e.source.file === "lib/capistrano/tasks/unicorn.rake" && e.source.line === SERVICE_LINE && /service unicorn_/.test(e.value))).toBe(true);
    const procfile = ev.find((e) => e.source.file === "Procfile")!;
    expect(procfile.value).toMatch(/^puma: Procfile web: .*not run by the deploy.*outranked by config\/deploy\.rb:14/);
    expect(ev.indexOf(procfile)).toBeGreaterThan(ev.findIndex((e) => e.source.file === "config/deploy.rb"));
    const said = m.problems.find((p) => /more than one web server/.test(p.message))!.message;
    expect(said).toMatch(/unicorn is read as the one started \(the deploy's commands: config\/deploy\.rb:14\)/);
    expect(said).toMatch(/the Procfile's web line \(Procfile:2, .*\) is not what the deploy starts/);
  });

  it("its config is a linked file only the servers hold: workers and timeout are the placeholder gaps, not config/puma.rb's or Unicorn's defaults as fact", async () => {
    const m = await analyzeFiles(memoryRepo(filesOf(APP)), "kettle");
    const prod = m.stages.find((s) => s.name === "production")!;
    const cfg = appServerFor(m, prod)!;
    expect(cfg).toMatchObject({ kind: "unicorn", file: "config/unicorn.rb", stages: ["production"] });
    expect(isUnknown(cfg.workers!.value)).toBe(true);
    expect(isUnknown(cfg.timeout!.value)).toBe(true);
    expect(cfg.startedBy?.value).toMatch(/linked from the servers' shared\/ directory \(linked_files, config\/deploy\.rb:8\)/);
    const gaps = appServerGaps(m);
    expect(gaps.map((g) => g.id).sort()).toEqual(["stage.production.web.timeout", "stage.production.web.workers"]);
    expect(gaps.every((g) => g.placeholder)).toBe(true);
    expect(gaps.find((g) => g.id.endsWith("workers"))?.default).toBe(1);
  });

  it("the service restart alone (no invoke line) already names Unicorn", async () => {
    const files = filesOf(APP);
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace('invoke "unicorn:restart"', 'execute :true');
    const m = await analyzeFiles(memoryRepo(files), "kettle");
    expect(m.webServer?.kind).toBe("unicorn");
    expect(m.webServer!.evidence[0]).toMatchObject({ source: { file: "lib/capistrano/tasks/unicorn.rake", line: SERVICE_LINE } });
  });
});

describe("a Procfile that is the start", () => {
  it("Heroku-style: no Capistrano app-server evidence at all, the Procfile's puma wins as before", async () => {
    const files = filesOf(APP);
    delete files["lib/capistrano/tasks/unicorn.rake"];
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace(/namespace :deploy do[\s\S]*$/, "");
    const m = await analyzeFiles(memoryRepo(files), "kettle");
    expect(m.webServer?.kind).toBe("puma");
    expect(m.webServer!.evidence).toEqual([{ value: expect.stringMatching(/^puma: Procfile web: /), source: { file: "Procfile", line: 2 } }]);
    expect(m.appServers.some((a) => a.kind === "unicorn")).toBe(false);
  });

  it("a Procfile the deploy runs through foreman keeps outranking the deploy's other restart lines", async () => {
    const files = filesOf(APP);
    files["config/deploy.rb"] += '\nnamespace :procs do\n  task :export do\n    on roles(:app) do\n      execute "cd #{current_path} && sudo foreman export upstart /etc/init -a kettle -u deploy"\n    end\n  end\nend\n';
    const m = await analyzeFiles(memoryRepo(files), "kettle");
    expect(m.webServer?.kind).toBe("puma");
    expect(m.webServer!.evidence[0]!.source).toEqual({ file: "Procfile", line: 2 });
    expect(m.webServer!.evidence[0]!.value).not.toMatch(/not run by the deploy/);
  });
});

describe("a service the init system runs, named for its server", () => {
  it("is read as a start of that server, in shell and SSHKit's word forms", () => {
    const starts: [string, string][] = [
      ['sudo "service unicorn_#{fetch(:application)} #{action}"', "unicorn"],
      ["execute :sudo, :service, \"unicorn_#{fetch(:application)}\", :restart", "unicorn"],
      ['execute :sudo, :systemctl, :restart, "puma_kettle"', "puma"],
      ["sudo systemctl --no-block reload unicorn-kettle", "unicorn"],
      ['run "/etc/init.d/unicorn_kettle upgrade"', "unicorn"],
    ];
    for (const [line, kind] of starts) expect(COMMANDS.find(([re]) => re.test(line))?.[1], line).toBe(kind);
    // a log or pid path, or another service, is no start of the server
    for (const line of ['execute "tail -F #{shared_path}/log/unicorn_kettle.log"', "sudo service unicornish restart", "sudo service nginx reload"]) expect(COMMANDS.some(([re]) => re.test(line)), line).toBe(false);
  });
});
