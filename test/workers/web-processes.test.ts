// A supervisor process that runs the app server (an eye process whose start_command is
// `bundle exec unicorn -Dc …`) is the web server: the web Deployment runs it, so it is never named
// as a "not carried" worker, and the cutover never says to keep it running on the old servers.
// The eye file is judged by real Ruby with Eye's DSL stubbed (eye is not packaged). Files written
// for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { webServerRun } from "../../analyzers/workers/web-processes.js";

const EYE = `Eye.application "quill" do
  working_dir "/srv/quill/current"
  process :quill_web do
    pid_file "tmp/pids/unicorn.pid"
    start_command "bundle exec unicorn -Dc config/unicorn.rb -E production"
    stop_signals [:QUIT, 20.seconds, :TERM]
    stop_grace 25.seconds
  end
  process :quill_mailer do
    start_command "bin/mailer --poll 15"
  end
end
`;

const lock = (gems: Record<string, string>) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`;

function realEye(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-eye-web-"));
  writeFileSync(join(dir, "quill.eye"), EYE);
  const stub = `class Integer; def seconds = self; end
class Opts; def initialize = (@o = {}); def method_missing(n, *a) = (@o[n] = a.first); def o = @o; end
module Eye; @ps = {}; def self.ps = @ps
  class App; def working_dir(_) = nil
    def process(n, &b) = (p = Opts.new; p.instance_eval(&b); Eye.ps[n] = p.o[:start_command]); end
  def self.application(_n, &b) = App.new.instance_eval(&b)
end
load ARGV[0]
puts JSON.generate(Eye.ps)`;
  const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "quill.eye")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("a supervised process that runs the web server", () => {
  it("is the web Deployment's, not a not-carried worker; MIGRATION.md never keeps it running on the servers", async () => {
    const deploy = `set :application, "quill"\nset :deploy_to, "/srv/quill"\nnamespace :eye do\n  task :reload do\n    on roles(:app) do\n      within current_path do\n        execute :eye, :load, "config/quill.eye"\n      end\n    end\n  end\nend\nafter "deploy:publishing", "eye:reload"\n`;
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
        "config/deploy.rb": deploy,
        "config/deploy/production.rb": 'server "w1.quill.example.org", roles: %w[web app db]\n',
        "config/quill.eye": EYE,
        "config/unicorn.rb": "worker_processes 3\ntimeout 30\nlisten '/tmp/quill.sock'\n",
        "bin/mailer": "#!/usr/bin/env ruby\n",
        Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\n',
        "Gemfile.lock": lock({ rails: "6.1.7", unicorn: "6.1.0" }),
      }),
      "quill",
    );
    const real = realEye();
    expect(webServerRun(real["quill_web"]!)).toBe("unicorn");
    expect(webServerRun(real["quill_mailer"]!)).toBeNull();
    const web = m.uncarried!.find((u) => u.name === "quill_web")!;
    expect(web.replacedByWeb).toBe(true);
    expect(web.why).toMatch(/the web server, not a worker \(a eye process of config\/quill\.eye.*runs unicorn, stop_grace 25\.seconds \(config\/quill\.eye:7\)\)/);
    const mailer = m.uncarried!.find((u) => u.name === "quill_mailer")!;
    expect(mailer.replacedByWeb).toBeUndefined();
    const answers = { web: { server: "unicorn" } } as any;
    const guide = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    const keep = guide.split("\n").find((l) => /^- \[ \] \*\*Switch traffic/.test(l))!;
    expect(keep).toMatch(/keep `quill_mailer` running/);
    expect(keep).not.toMatch(/quill_web/);
    expect(guide).not.toMatch(/\*\*Not carried\*\*: `quill_web`/);
  });

  it("is told by the program run, not a word anywhere in the line", () => {
    expect(webServerRun("cd /srv/a/current && RAILS_ENV=production bundle exec puma -C config/puma.rb")).toBe("puma");
    expect(webServerRun("/usr/bin/env RAILS_ENV=production /opt/ruby/bin/ruby /srv/a/current/bin/thin start -d")).toBe("thin");
    expect(webServerRun("bundle exec rails server -p 3000")).toBe("rails server");
    expect(webServerRun("bundle exec rake unicorn:stats")).toBeNull();
    expect(webServerRun("bin/report --to unicorn.log")).toBeNull();
    // A rack file of its own is a side server (a Faye or websocket server), not the app.
    expect(webServerRun("bundle exec thin -R faye.ru -p 9292 start")).toBeNull();
    expect(webServerRun("bundle exec rackup config.ru -p 3000")).toBe("rackup");
    // A start_command the file builds from a value it does not state, as written: its program is still read.
    expect(webServerRun('"bundle exec unicorn_rails -D -c #{root}/config/unicorn.rb"')).toBe("unicorn_rails");
  });
});
