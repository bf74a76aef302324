// A systemd unit's Environment= values whose password the shape rule once missed (a `/` in it, an
// IPv6 host) or that look secret at all never reach the worker's Deployment (a tracked file), the
// built overlays (real `kubectl kustomize`), the model the report prints or a warning; the keys are
// listed, without values, in the stage's secrets.env.example, and the warning cites the
// Environment= line (audit s24a A4, A6).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { pluginApp } from "./app.js";

const UNIT_FILE = "config/systemd/tally-sidekiq.service";
const MAIL_PW = "Qu1ll/Rk9";
const CACHE_PW = "Fl1ntCache";
const REDIS_PW = "Sp4rrow/Rd";
const PASSWORDS = [MAIL_PW, CACHE_PW, REDIS_PW];
const service = [
  "Environment=RAILS_MAX_THREADS=5 MALLOC_ARENA_MAX=2",
  `Environment=MAIL_RELAY=relay:${MAIL_PW}@smtp.fenwick.example MEMO_SERVERS=memo:${CACHE_PW}@[fd00::7]:11211`,
  `Environment="REDIS_URL=redis://:${REDIS_PW}@redis7:6379/1"`,
  "ExecStart=/usr/bin/env bundle exec sidekiq -q default",
];
const unit = ["[Unit]", "Description=ledger jobs", "", "[Service]", "Type=simple", ...service, "Restart=on-failure", "", "[Install]", "WantedBy=multi-user.target", ""].join("\n");
const RESTART = 'namespace :jobs do\n  task :bounce do\n    on roles(:app) do\n      execute :sudo, :systemctl, :restart, "tally-sidekiq"\n    end\n  end\nend\nafter "deploy:published", "jobs:bounce"\n';
const STAGES = { production: 'server "box1.ledger.example.net", roles: %w[web app db]\nset :deploy_to, "/srv/tally"\n' };

let model: AppModel;
let built: Built;
beforeAll(async () => {
  requireKubectl();
  await initPrism();
  model = await analyzeFiles(pluginApp(RESTART, STAGES, { [UNIT_FILE]: unit }, { sidekiq: "6.4.1" }, ""), "tally");
  built = emitAndBuild(model);
}, 240_000);
afterAll(() => removeTrees());

describe("a unit's secret Environment= values", () => {
  it("are in no generated file, no built object, and not in the model", () => {
    const texts = [...built.result.files.map((f) => `${f.path}\n${f.content}`), JSON.stringify(built.stages), JSON.stringify(model.workers), JSON.stringify(model.problems ?? [])];
    for (const pw of PASSWORDS) for (const t of texts) expect(t).not.toContain(pw);
    const env = find(built.stages["production"]!, "Deployment", "parcel-worker").spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    expect(env).toContain("MALLOC_ARENA_MAX");
    expect(env).not.toContain("MAIL_RELAY");
    expect(env).not.toContain("MEMO_SERVERS");
  });

  it("are listed without values in the stage's secrets.env.example", () => {
    const example = built.result.files.find((f) => f.path === "k8s/overlays/production/secrets.env.example")!.content;
    for (const k of ["MAIL_RELAY", "MEMO_SERVERS", "REDIS_URL"]) expect(example).toMatch(new RegExp(`^#? ?${k}=$`, "m"));
  });

  it("are warned about at the Environment= lines, not the ExecStart= line", () => {
    const w = (model.problems ?? []).find((p) => /look like secrets/.test(p.message))!;
    expect(w.line).toBe(7);
    expect(w.message).toContain(`${UNIT_FILE}:7, ${UNIT_FILE}:8`);
    expect(w.message).not.toMatch(/worker worker/);
  });

  it("are not said to be carried into the pod's environment", () => {
    const notes = (model.workers ?? []).map((x) => JSON.stringify(x)).join("\n");
    expect(notes).toMatch(/Environment= sets [^"]*MALLOC_ARENA_MAX[^"]*, carried into the pod's environment/);
    for (const k of ["MAIL_RELAY", "MEMO_SERVERS", "REDIS_URL"]) expect(notes).not.toMatch(new RegExp(`Environment= sets [^"]*${k}[^"]*, carried`));
  });
});
