// god's `w.env` takes any Hash key, but a process's environment carries only variable names: a key
// with `=` (part of it is a value), a space, or nothing at all is no env entry Kubernetes accepts, and
// its text may hold a secret the name rules (which read words between `_`s) never see. Such a key is
// named at its line, cut where it may hold a secret, and never reaches a Deployment or the secrets file.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { expectHeldNowhere } from "../written-files.js";
import { parse } from "yaml";
import type { AppModel } from "../../src/model.js";

const HIDDEN = "qT7vLm2pXw9Ke";
const HIDDEN2 = "zz8Rb4Nc1Yu";

const app = (god: string) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'set :application, "ledger"\nset :deploy_to, "/srv/ledger"\n',
    "config/deploy/production.rb": 'server "l1.example.net", roles: %w[app web db]\n',
    "bin/tally.rb": "loop { sleep 5 }\n",
    "ops/tally.god": god,
    "ops/load.sh": "#!/bin/sh\ngod -c /srv/ledger/current/ops/tally.god\n",
  });

const tree = (m: AppModel): Record<string, string> => {
  const answers = defaultAnswers(m, {});
  return Object.fromEntries(EMITTERS.flatMap((e) => e.emit(m, answers).files.map((f) => [f.path, f.content])));
};

describe("god w.env keys that are not variable names", () => {
  it("are named, not carried, and their text is cut where it may hold a secret", async () => {
    const god = `God.watch do |w|\n  w.name = "tally"\n  w.dir = "/srv/ledger/current"\n  w.env = { "TALLY_MODE" => "fast", "SHIP_AUTH=${HIDDEN}" => "v1", "ledger secret" => "${HIDDEN2}", "" => "e", "BAD NAME" => "b" }\n  w.start = "bundle exec ruby bin/tally.rb"\nend\n`;
    const m = await analyzeFiles(app(god), "ledger");
    const w = m.workers!.find((x) => x.name === "worker-tally")!;
    expect(w.carried).toBe(true);
    expect(w.env).toEqual({ TALLY_MODE: "fast" });
    expect(w.secretEnv ?? []).toEqual([]);
    const named = m.problems.filter((p) => p.file === "ops/tally.god" && p.line === 4 && /not a variable name/.test(p.message)).map((p) => p.message);
    expect(named.length).toBe(4);
    expect(named.filter((t) => /may hold a secret/.test(t)).length).toBe(2);
    expect(named.some((t) => /an empty key/.test(t))).toBe(true);
    expect(named.some((t) => /the key "BAD NAME"/.test(t))).toBe(true);
    const t = tree(m);
    const env = (parse(t["k8s/base/worker-tally-deployment.yaml"]!) as any).spec.template.spec.containers[0].env as { name: string }[];
    for (const e of env) expect(e.name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(t["k8s/overlays/production/secrets.env.example"] ?? "").not.toMatch(/SHIP_AUTH|ledger/);
    expectHeldNowhere(Object.fromEntries(Object.entries(t).filter(([p]) => !p.endsWith("/secrets.env"))), JSON.stringify(m.problems) + JSON.stringify(m.workers), [HIDDEN, HIDDEN2]);
  });
});
