// A deploy that exports a named Procfile with foreman (`foreman export systemd … -a shop-#{fetch(:stage)}
// -f Procfile.live`) ran that Procfile's processes, not the root Procfile's: its delayed_job line is
// the worker, on the roles of the task, as many per server as the formation says, stopped as
// foreman's systemd units stop it. Judged by real foreman 0.87 (`foreman export systemd`): the
// units it writes for each process, and their TimeoutStopSec. The app is written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { parseForeman } from "../../analyzers/appserver/foreman.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { pluginApp } from "./app.js";

const LIVE = "web: bundle exec puma -C config/puma.rb\nworker: rvm . do bundle exec rake jobs:work\n";

const exportTask = (flags: string) => `namespace :foreman do
  task :export do
    on roles(:jobs) do
      within current_path do
        execute :sudo, :bundle, :exec, :foreman, :export, :systemd, "/etc/systemd/system -a shop-#{fetch(:stage)} -f Procfile.live ${flags}--root #{current_path}"
      end
    end
  end
  task :restart do
    on roles(:jobs) do
      execute :sudo, :systemctl, :restart, "shop-#{fetch(:stage)}.target"
    end
  end
end
after "deploy:publishing", "foreman:export"
after "foreman:export", "foreman:restart"
`;

async function app(flags: string, task = exportTask(flags), extra: Record<string, string> = {}) {
  return analyzeFiles(
    pluginApp(
      task,
      { production: 'server "w1.shop.example.org", roles: %w[web app db]\nserver "j1.shop.example.org", roles: %w[jobs]\nserver "j2.shop.example.org", roles: %w[jobs]\nset :rails_env, "production"\n' },
      { Procfile: "web: bundle exec rails server -p $PORT\n", "Procfile.live": LIVE, ...extra },
      { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
      "",
    ),
    "shop",
  );
}

/** Units real foreman writes for the worker process, and their TimeoutStopSec. */
function realExport(flags: string[], files: Record<string, string> = {}): { workers: number; timeout: string | null } {
  const dir = mkdtempSync(join(tmpdir(), "r2k-fexport-"));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  writeFileSync(join(dir, "Procfile.live"), LIVE.replace(/^([\w-]+):.*$/gm, (_l, n) => `${n}: echo ran ${n}`));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" };
  const r = spawnSync("foreman", ["export", "systemd", join(dir, "out"), "-f", "Procfile.live", "-a", "shop-production", ...flags], { cwd: dir, env, encoding: "utf8", timeout: 20000 });
  expect(r.status, r.stderr).toBe(0);
  const units = readdirSync(join(dir, "out")).filter((f) => /^shop-production-worker\.\d+\.service$/.test(f));
  const timeout = units.length ? (/^TimeoutStopSec=(\d+)$/m.exec(readFileSync(join(dir, "out", units[0]!), "utf8"))?.[1] ?? null) : null;
  return { workers: units.length, timeout };
}

describe("foreman export of a named Procfile", () => {
  it("reads -f past an interpolation holding a parenthesis", () => {
    const r = parseForeman('execute :sudo, :bundle, :exec, :foreman, :export, :systemd, "/etc/systemd/system -a shop-#{fetch(:stage)} -f Procfile.live -m worker=2 --root #{current_path}"')!;
    expect(r.procfile).toBe("Procfile.live");
    expect(r.format).toBe("systemd");
    expect(r.names).toEqual(["worker"]);
    expect(r.counts).toEqual({ worker: 2 });
  });

  it("the exported Procfile's worker is carried, on the task's roles, stopped as foreman's units stop it", async () => {
    const m = await app("");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.carried).toBe(true);
    expect(w.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
    expect(w.commandSource).toEqual({ file: "Procfile.live", line: 2 });
    expect(w.commandNote).toMatch(/`rvm \. do` left out/);
    expect(w.roles).toEqual(["jobs"]);
    const real = realExport([]);
    expect(real.workers).toBe(1);
    expect(w.stopTimeout.seconds).toBe(Number(real.timeout));
    expect(w.processesPerServer).toBeUndefined();
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => s.replicas)).toEqual([2]);
  });

  it("the formation's count per server and --timeout are the servers' processes and drain; export's -t is its template", async () => {
    const t = await app("-t 20 ");
    expect(t.workers!.find((x) => x.backend === "delayed-job")!.stopTimeout.seconds).toBe(Number(realExport(["-t", "20"]).timeout));
    const m = await app("-m worker=3 --timeout 20 ");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    const real = realExport(["-m", "worker=3", "--timeout", "20"]);
    expect(w.processesPerServer?.value).toBe(real.workers);
    expect(w.stopTimeout.seconds).toBe(Number(real.timeout));
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => s.replicas)).toEqual([6]);
  });

  it("--timeout filled in from a variable every stage sets is that drain; one not known is said, never foreman's 5", async () => {
    const set = await app("--timeout #{fetch(:jobs_drain)} ", `set :jobs_drain, 300\n${exportTask("--timeout #{fetch(:jobs_drain)} ")}`);
    const w = set.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.stopTimeout.seconds).toBe(Number(realExport(["--timeout", "300"]).timeout));
    expect(w.stopTimeout.source).toEqual({ file: "config/deploy.rb", line: 3 });
    const unknown = await app("--timeout #{fetch(:jobs_drain)} ");
    const u = unknown.workers!.find((x) => x.backend === "delayed-job")!;
    expect(u.stopTimeout.seconds).not.toBe(5);
    expect(unknown.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/foreman export's `--timeout #\{fetch\(:jobs_drain\)\}` \(config\/deploy\.rb:\d+\) is filled in by the deploy .* not known; the worker keeps delayed_job's own \d+s drain/));
  });

  it("--template: the repo's DIR/process.service.erb decides the units' stop, where real foreman reads it; DIR/systemd/ is not looked in", async () => {
    const TEMPLATE = "[Unit]\nPartOf=<%= app %>.target\n\n[Service]\nWorkingDirectory=<%= engine.root %>\nExecStart=/bin/bash -lc 'exec <%= process.command %>'\nKillMode=mixed\nTimeoutStopSec=45\n";
    const flags = "--template #{current_path}/config/foreman_units --timeout 20 ";
    const own = await app(flags, exportTask(flags), { "config/foreman_units/process.service.erb": TEMPLATE });
    const real = realExport(["--template", "tpl", "--timeout", "20"], { "tpl/process.service.erb": TEMPLATE });
    expect(own.workers!.find((x) => x.backend === "delayed-job")!.stopTimeout.seconds).toBe(Number(real.timeout));
    const nested = await app(flags, exportTask(flags), { "config/foreman_units/systemd/process.service.erb": TEMPLATE });
    const realNested = realExport(["--template", "tpl", "--timeout", "20"], { "tpl/systemd/process.service.erb": TEMPLATE });
    expect(nested.workers!.find((x) => x.backend === "delayed-job")!.stopTimeout.seconds).toBe(Number(realNested.timeout));
    expect(nested.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/the release holds no config\/foreman_units\/process\.service\.erb \(the repo's config\/foreman_units\/systemd\/process\.service\.erb is not where foreman 0\.87 looks\)/));
  });

  it("the root Procfile's lines were not run by the deploy, which exports another file: said so, not as a loss", async () => {
    const m = await analyzeFiles(
      pluginApp(
        exportTask(""),
        { production: 'server "w1.shop.example.org", roles: %w[web app db]\nserver "j1.shop.example.org", roles: %w[jobs]\n' },
        { Procfile: "web: bundle exec rails server -p $PORT\nclock: bundle exec clockwork lib/clock.rb\n", "Procfile.live": LIVE, "lib/clock.rb": "require 'clockwork'\n" },
        { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
        "",
      ),
      "shop",
    );
    // Real foreman, given the deploy's -f, writes units for that file's processes only.
    const dir = mkdtempSync(join(tmpdir(), "r2k-fexport-root-"));
    writeFileSync(join(dir, "Procfile"), "clock: echo ran clock\n");
    writeFileSync(join(dir, "Procfile.live"), LIVE.replace(/^([\w-]+):.*$/gm, (_l, n) => `${n}: echo ran ${n}`));
    const r = spawnSync("foreman", ["export", "systemd", join(dir, "out"), "-f", "Procfile.live", "-a", "shop"], { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" }, encoding: "utf8", timeout: 20000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(dir, "out")).some((f) => f.includes("clock"))).toBe(false);
    const clock = m.uncarried!.find((u) => u.name === "clock")!;
    expect(clock.devOnly).toBe(true);
    expect(clock.why).toMatch(/^not run by the deploy, which exports Procfile\.live with foreman \(config\/deploy\.rb:\d+\), not Procfile/);
    expect(m.uncarried!.filter((u) => u.source.file === "Procfile").every((u) => u.devOnly)).toBe(true);
  });

  // The same export written over several lines, in the two ways Ruby allows: a string continued with
  // `\` (adjacent literals are one string) or built with `+`, and SSHKit's words across lines.
  const continued = (call: string) => exportTask("").replace(/^ {8}execute :sudo, :bundle.*$/m, call);
  const FORMS: [string, string][] = [
    ["a string continued with \\", `        execute "cd #{current_path} && " \\\n          "sudo bundle exec foreman export systemd /etc/systemd/system " \\\n          "-a shop-#{fetch(:stage)} -f Procfile.live " \\\n          "--timeout 20 --root #{current_path}"`],
    ["a string built with +", `        execute "cd #{current_path} && sudo bundle exec foreman export systemd /etc/systemd/system " +\n          "-a shop-#{fetch(:stage)} -f Procfile.live " +\n          "--timeout 20 --root #{current_path}"`],
    ["SSHKit words across lines", `        execute :sudo, :bundle, :exec, :foreman, :export,\n          :systemd, "/etc/systemd/system -a shop-#{fetch(:stage)}",\n          "-f Procfile.live --timeout 20 --root #{current_path}"`],
  ];
  for (const [form, call] of FORMS)
    it(`reads an export written over several lines: ${form}`, async () => {
      const task = continued(call);
      expect(task).toContain("Procfile.live");
      const m = await app("", task);
      const w = m.workers!.find((x) => x.backend === "delayed-job")!;
      expect(w.carried).toBe(true);
      expect(w.commandSource).toEqual({ file: "Procfile.live", line: 2 });
      expect(w.stopTimeout.seconds).toBe(Number(realExport(["--timeout", "20"]).timeout));
    });
});
