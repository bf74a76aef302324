// An `@` that starts a value or a word of it is a sigil, not a password's (src/model/secret-env.ts).
// The union rule once took any `@` outside one mail address for a user-info: a god watch's
// `QUEUE=@reports` (a Resque dynamic-queue key) went to secrets.env, every worker Deployment lost its
// queue and Resque refused to start. The `@` inside a word (`user:p@ss word@db`, `p@ssw0rd`) stays secret.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { secretEnvEntry } from "../../src/model/secret-env.js";
import { analyzeFiles } from "../../src/analyze.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { pluginApp } from "../workers/app.js";

beforeAll(async () => {
  await initPrism();
});

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
/** Names a plain variable may have: none of the name rule's words. */
const plainName = fc.constantFrom("QUEUE", "QUEUES", "RESQUE_QUEUE", "WORKER_QUEUES", "HANDLE", "LANES", "MODE");

describe("secretEnvEntry and an `@`", () => {
  it("a list of `@`-keys (Resque dynamic queues) or handles is no secret", () => {
    fc.assert(
      fc.property(plainName, fc.array(fc.tuple(fc.boolean(), word), { minLength: 1, maxLength: 5 }), fc.constantFrom(",", ", ", " "), (n, parts, sep) => {
        const v = parts.map(([at, w]) => (at ? `@${w}` : w)).join(sep);
        expect(secretEnvEntry(n, v), `${n}=${v}`).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("an `@` inside a word is a password's or a user-info's, whatever the variable's plain name", () => {
    const nonQueue = fc.constantFrom("HANDLE", "LANES", "MODE", "DB_LOGIN", "MONGO_HOSTS");
    fc.assert(
      fc.property(nonQueue, word, word, fc.option(word, { nil: undefined }), (n, before, after, tail) => {
        const v = tail === undefined ? `${before}@${after}` : `${before}:p@ss ${tail}@${after}`;
        // One mail address is spared by its own rule; these have no dot after the `@`.
        expect(secretEnvEntry(n, v), `${n}=${v}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ["QUEUE", "@data_rt", false],
    ["QUEUE", "@data_rt,@order", false],
    ["QUEUES", "critical,@dynamic", false],
    ["HANDLE", "@parcel_ops", false],
    ["MAILER_FROM", "ops@parcel.example", false],
    // The audit B12 cases stay secret.
    ["DB_LOGIN", "user:p@ss word@db", true],
    ["MONGO_HOSTS", "ops:p@ss word@mongo1", true],
    ["DB_LOGIN", "tanner@Bark h1de", true],
    ["LOGIN", "p@ssw0rd", true],
    // A queue variable is judged by name and shape: a credential URL in it is still cut.
    ["QUEUE", "redis://app:s3cr3tPw@cache.internal:6379/0", true],
  ] as const)("%s=%s: secret %s", (name, value, secret) => {
    expect(secretEnvEntry(name, value)).toBe(secret);
  });
});

const GOD = `RELEASE = "/srv/parcel/current"
LANES = { reports: 2, mail: 1 }.map { |k, n| Array.new(n, k) }.flatten

(1..LANES.length).each do |id|
  God.watch do |w|
    w.name  = "lane.#{id}"
    w.dir   = RELEASE
    w.env   = { "QUEUE" => "@#{LANES[id-1]}", "TERM_CHILD" => id }
    w.start = "bundle exec rake resque:work"
  end
end
`;

describe("a god watch's own QUEUE=@key", () => {
  it("stays in each worker's Deployment and is named as no secret", async () => {
    const deploy = 'namespace :god do\n  task :start do\n    on roles(:jobs) do\n      execute "god -c #{current_path}/config/god/workers.god"\n    end\n  end\nend\nafter "deploy:published", "god:start"\n';
    const m = await analyzeFiles(pluginApp(deploy, { production: 'server "p1.parcel.example.org", roles: %w[web app db jobs]\n' }, { "config/god/workers.god": GOD }, { resque: "2.6.0" }, ""), "parcel");
    const ws = m.workers!.filter((w) => w.backend === "resque");
    expect(ws.map((w) => w.env["QUEUE"]).sort()).toEqual(["@mail", "@reports"]);
    for (const w of ws) expect(w.secretEnv ?? []).toEqual([]);
    expect(m.problems.filter((p) => /QUEUE, which looks like a secret/.test(p.message))).toEqual([]);
  });
});
