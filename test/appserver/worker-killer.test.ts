// unicorn-worker-killer's Oom bound in config.ru: the pod's memory limit must sit above workers × that
// bound, else the pod dies before the middleware recycles one worker; said with its line. The
// request-count recycler works the same in a pod and is not said. (An app written for this test.)
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const lock = (server: string) => ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.19.2)", "    rails (7.1.3)", `    ${server} (6.1.0)`, "    unicorn-worker-killer (0.4.5)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano", "  rails", `  ${server}`, "  unicorn-worker-killer", ""].join("\n");
const RU = 'require_relative "config/environment"\nrequire "unicorn/worker_killer"\nuse Unicorn::WorkerKiller::MaxRequests, 2000, 3000\n# use Unicorn::WorkerKiller::Oom, 1, 2\nuse Unicorn::WorkerKiller::Oom, (300 * 1024**2), (360 * 1024**2)\nrun Rails.application\n';
const app = (server: "unicorn" | "puma") => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'set :application, "quay"\nset :repo_url, "git@git.example.org:acct/quay.git"\n',
  "config/deploy/production.rb": 'server "web1.quay.example.org", roles: %w[web app db]\n',
  Gemfile: `source "https://rubygems.org"\ngem "rails"\ngem "${server}"\ngem "unicorn-worker-killer"\n`,
  "Gemfile.lock": lock(server),
  [`config/${server}.rb`]: server === "unicorn" ? "worker_processes 4\n" : "workers 2\n",
  "config.ru": RU,
});

describe("unicorn-worker-killer", () => {
  it("the Oom line is said, with its bound; the request-count line and comments are not", async () => {
    const m = await analyzeFiles(memoryRepo(app("unicorn")), "quay");
    const w = m.problems.filter((p) => /unicorn-worker-killer/.test(p.message));
    expect(w.map((p) => p.line)).toEqual([5]);
    expect(w[0]!.message).toMatch(/RSS: \(300 \* 1024\*\*2\), \(360 \* 1024\*\*2\)\).*workers × that bound/);
  });

  it("says nothing when the app server is not Unicorn", async () => {
    const m = await analyzeFiles(memoryRepo(app("puma")), "quay");
    expect(m.problems.filter((p) => /unicorn-worker-killer/.test(p.message))).toEqual([]);
  });
});
