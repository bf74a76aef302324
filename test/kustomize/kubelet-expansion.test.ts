// The kubelet expands `$(NAME)` and `$$` in a container's command, args and env values before the
// process sees them (Kubernetes' expansion package; no kubelet runs here, so the check below follows
// its documented algorithm). A repo string reaches those fields through emitters/encode/kubelet.ts,
// so the process gets the servers' string back — never a secret's value spliced into its argv.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { kubeletLiteral } from "../../emitters/encode/kubelet.js";
import { emitAndBuild, all } from "./built.js";
import { requireKubectl, removeTrees } from "./kubectl.js";

/** Kubernetes' expansion (third_party/forked/golang/expansion Expand): `$$` → `$`, `$(NAME)` → env[NAME] when defined, else left. */
function expand(input: string, env: Record<string, string>): string {
  let out = "";
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== "$" || i + 1 >= input.length) { out += input[i]; continue; }
    const next = input[i + 1];
    if (next === "$") { out += "$"; i++; continue; }
    if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close !== -1) {
        const name = input.slice(i + 2, close);
        out += Object.hasOwn(env, name) ? env[name] : input.slice(i, close + 1);
        i = close;
        continue;
      }
    }
    out += "$";
  }
  return out;
}

const ENV = { SECRET_KEY_BASE: "s3cr3t-value", RAILS_ENV: "production", HOME: "/rails" };

describe("kubeletLiteral", () => {
  it("gives back every string through the expansion", () => {
    fc.assert(fc.property(fc.stringMatching(/^[$()A-Z_a-z ]{0,24}$/), (s) => expand(kubeletLiteral(s), ENV) === s));
    expect(expand("$(SECRET_KEY_BASE)", ENV)).toBe("s3cr3t-value");
    expect(kubeletLiteral("tar czf x-$(date +%F).tgz; echo $HOME $$")).toBe("tar czf x-$$(date +%F).tgz; echo $HOME $$$");
  });
});

describe("repo strings in the built objects", () => {
  beforeAll(async () => {
    requireKubectl();
    await initPrism();
  });
  afterAll(removeTrees);

  it("a daemon's literal `$(SECRET_KEY_BASE)` argument and a cron command's `$(...)` reach the pod as the servers passed them", async () => {
    const files = {
      Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\n`,
      Gemfile: `source "https://rubygems.org"\ngem "rails", "7.0.8"\ngem "em-websocket"\ngem "puma"\ngem "whenever"\n`,
      "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.0.8)\n    em-websocket (0.5.3)\n    puma (6.4.0)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  em-websocket\n  puma\n  rails (= 7.0.8)\n  whenever\n`,
      Procfile: "web: bundle exec puma -C config/puma.rb\n",
      "bin/ticker.rb": `require "em-websocket"\nEventMachine.run do\n  EventMachine::WebSocket.start(host: "0.0.0.0", port: 9410) { |ws| }\nend\n`,
      "config/deploy.rb": `set :application, "abacus"\nset :deploy_to, "/srv/abacus"\n`,
      "config/deploy/production.rb": `server "abacus1.example.net", roles: %w[app web db]\n`,
      "config/puma.rb": "workers 2\nthreads 1, 5\n",
      "config/schedule.rb": `every 1.day, at: "4:10 am" do\n  command "tar czf /tmp/ledger-$(date +%F).tgz db && echo $(SECRET_KEY_BASE) > /dev/null"\nend\n`,
      "ops/init/ticker": `#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          ticker\n### END INIT INFO\ncase "$1" in\n  start)\n    cd /srv/abacus/current\n    bundle exec ruby bin/ticker.rb --motd '$(SECRET_KEY_BASE)' &\n    ;;\n  stop)\n    kill -INT \`cat /tmp/ticker.pid\`\n    ;;\nesac\n`,
      "ops/install.sh": "#!/bin/sh\ncp ops/init/ticker /etc/init.d/ticker\nupdate-rc.d ticker defaults\n",
    };
    const m = await analyzeFiles(memoryRepo(files), "abacus");
    const { stages } = emitAndBuild(m);
    const objs = stages["production"]!;
    const daemon = all(objs, "Deployment").find((d) => /ticker/.test(d.metadata.name));
    expect(daemon, "the ticker daemon is carried").toBeTruthy();
    const args: string[] = daemon!["spec"].template.spec.containers[0].args;
    expect(args).toContain("$$(SECRET_KEY_BASE)");
    expect(args.map((a) => expand(a, ENV))).toContain("$(SECRET_KEY_BASE)");
    for (const a of args) expect(expand(a, ENV)).not.toContain(ENV.SECRET_KEY_BASE);
    const cron = all(objs, "CronJob")[0]!;
    const command: string = cron["spec"].jobTemplate.spec.template.spec.containers[0].args[2];
    expect(command).toContain("$$(date +");
    expect(expand(command, ENV)).toContain("$(date +");
    expect(expand(command, ENV)).toContain("echo $(SECRET_KEY_BASE)");
  });
});
