// Each stage's hosts at the edge: from its own evidence, cited as what said them; where nothing says
// them, a placeholder under the reserved .invalid domain that reads as one, never another stage's
// host, built by kubectl kustomize and valid for every edge target.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { all, emitAndBuild } from "./built.js";
import { defaultAnswers } from "./answers.js";
import { removeTrees, requireKubectl, type K8sObject } from "./kubectl.js";
import { validateObject } from "./validate.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";

beforeAll(async () => {
  requireKubectl();
  await initPrism();
});
afterAll(removeTrees);

const app = (files: Record<string, string>) =>
  analyzeFiles(
    memoryRepo({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
      "config/deploy.rb": 'set :application, "atlas"\nset :repo_url, "git@example.com:acme/atlas.git"\n',
      ...files,
    }),
    "atlas",
  );

const hostsOf = (objs: K8sObject[]): string[] => [
  ...all(objs, "HTTPRoute").flatMap((r: any) => r.spec.hostnames),
  ...all(objs, "Ingress").flatMap((i: any) => i.spec.rules.map((r: any) => r.host)),
];

describe("hosts per stage", () => {
  it("a stage variable's host is cited as that variable, the mailer's as the mailer; a stage with none gets the .invalid placeholder", async () => {
    const m = await app({
      "config/deploy/production.rb": 'server "web1.internal", roles: %w[web app db]\nset :domain, "atlas.example.org"\n',
      "config/deploy/staging.rb": 'server "stg1.internal", roles: %w[web app db]\nset :rails_env, "staging"\n',
      "config/deploy/qa.rb": 'server "qa1.internal", roles: %w[web app db]\nset :rails_env, "qa"\n',
      "config/environments/staging.rb": 'Rails.application.configure do\n  config.action_mailer.default_url_options = { host: "staging.atlas.example.org" }\nend\n',
    });
    for (const target of ["gateway", "alb", "ingress-nginx"]) {
      const { result, stages } = emitAndBuild(m, { "edge.target": target });
      expect(hostsOf(stages["production"]!)).toEqual(["atlas.example.org"]);
      expect(hostsOf(stages["staging"]!)).toEqual(["staging.atlas.example.org"]);
      // Never production's host: a placeholder that cannot resolve, accepted by the target's schema.
      expect(hostsOf(stages["qa"]!)).toEqual(["set-me.qa.atlas.invalid"]);
      for (const o of stages["qa"]!) validateObject(o);
      const rows = result.provenance.filter((p) => p.what.startsWith("hosts "));
      expect(rows.find((r) => r.output.includes("/production/"))!.what).toBe("hosts atlas.example.org (Capistrano :domain)");
      expect(rows.find((r) => r.output.includes("/staging/"))!.what).toBe("hosts staging.atlas.example.org (action_mailer default_url_options: a suggestion to confirm)");
      expect(rows.some((r) => r.output.includes("/qa/"))).toBe(false);
      const notes = result.notes.map((n) => n.message).filter((n) => n.includes(".invalid"));
      expect(result.notes.map((n) => n.message).filter((n) => n.includes("only the mailer"))).toEqual([expect.stringMatching(/^stage staging: k8s\/overlays\/staging\/\S+ routes staging\.atlas\.example\.org, which only the mailer's default_url_options names/)]);
      expect(notes).toEqual([expect.stringMatching(/^stage qa: no evidence names its hosts, so k8s\/overlays\/qa\/\S+ routes set-me\.qa\.atlas\.invalid, a placeholder that never resolves \(\.invalid\): answer stage\.qa\.hosts/)]);
    }
    // Answered: the placeholder and its note go.
    const answered = emitKustomize(m, defaultAnswers(m, { "stage.qa.hosts": ["qa.atlas.example.org"] }));
    expect(answered.notes.filter((n) => n.message.includes(".invalid"))).toEqual([]);
  });
});

describe("a host only the mailer names", () => {
  // An admin app whose mail links to the public site: the mailer's host is that other app's.
  const admin = (extra: Record<string, string> = {}) =>
    app({
      "config/deploy/production.rb": 'server "admin1.internal", roles: %w[web app db]\n',
      "config/environments/production.rb": 'Rails.application.configure do\n  config.action_mailer.default_url_options = { :host => "bookings.example.net" }\nend\n',
      ...extra,
    });

  it("is the default of a question labelled as the mailer's suggestion, routed as given, and MIGRATION.md asks to confirm it", async () => {
    const m = await admin();
    const gap = m.gaps.find((g) => g.id === "stage.production.hosts")!;
    expect(gap).toMatchObject({ default: ["bookings.example.net"], suggestion: true, source: { file: "config/environments/production.rb", line: 2 } });
    expect(gap.placeholder).toBeUndefined();
    expect(gap.why).toMatch(/^only the mailer's action_mailer\.default_url_options \(config\/environments\/production\.rb:2\) names a host for stage production.*another app/);
    const answers = defaultAnswers(m);
    const { stages } = emitAndBuild(m, answers);
    expect(hostsOf(stages["production"]!)).toEqual(["bookings.example.net"]);
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/\*\*Confirm the hosts of stage production\*\*: its edge routes `bookings\.example\.net`, which only the mailer's `action_mailer\.default_url_options` names \(`config\/environments\/production\.rb:2`\)/);
    expect(md).toMatch(/\| `stage\.production\.hosts` \| `\["?bookings\.example\.net"?\]`? \| suggestion, to confirm \|/);
    // Answered with the stage's own host: nothing left to confirm.
    const own = { ...answers, "stage.production.hosts": ["admin.bookings.example.net"] };
    const md2 = emitMigrationGuide(m, own, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, own) }))).content;
    expect(md2).not.toContain("Confirm the hosts of stage production");
  });

  it("is no suggestion for a stage whose environment's mailer links to production's host: that stage gets the placeholder", async () => {
    const env = 'Rails.application.configure do\n  config.action_mailer.default_url_options = { host: "bookings.example.net" }\nend\n';
    const m = await admin({
      "config/deploy/staging.rb": 'server "stg1.internal", roles: %w[web app db]\nset :rails_env, "staging"\n',
      "config/environments/staging.rb": env,
    });
    expect(m.gaps.find((g) => g.id === "stage.production.hosts")).toMatchObject({ default: ["bookings.example.net"], suggestion: true });
    expect(m.gaps.find((g) => g.id === "stage.staging.hosts")).toMatchObject({ default: ["set-me.staging.atlas.invalid"], placeholder: true });
  });

  it("from an environment file two stages run (staging with rails_env production) is offered only to the stage whose server is that host", async () => {
    const m = await app({
      "config/deploy/production.rb": 'server "atlas.example.org", roles: %w[web app db]\n',
      "config/deploy/staging.rb": 'server "staging.atlas.example.org", roles: %w[web app db]\nset :rails_env, "production"\n',
      "config/environments/production.rb": 'Rails.application.configure do\n  config.action_mailer.default_url_options = { host: "atlas.example.org" }\nend\n',
    });
    expect(m.gaps.find((g) => g.id === "stage.production.hosts")).toMatchObject({ default: ["atlas.example.org"], suggestion: true });
    expect(m.gaps.find((g) => g.id === "stage.staging.hosts")).toMatchObject({ default: ["set-me.staging.atlas.invalid"], placeholder: true });
    const { stages } = emitAndBuild(m, defaultAnswers(m));
    expect(hostsOf(stages["staging"]!)).toEqual(["set-me.staging.atlas.invalid"]);
    // No server names it: the stage named like the environment is its owner, the other stage gets none.
    const ips = await app({
      "config/deploy/production.rb": 'server "10.0.0.5", roles: %w[web app db]\n',
      "config/deploy/staging.rb": 'server "10.0.0.6", roles: %w[web app db]\nset :rails_env, "production"\n',
      "config/environments/production.rb": 'Rails.application.configure do\n  config.action_mailer.default_url_options = { host: "atlas.example.org" }\nend\n',
    });
    expect(ips.gaps.find((g) => g.id === "stage.production.hosts")).toMatchObject({ default: ["atlas.example.org"], suggestion: true });
    expect(ips.gaps.find((g) => g.id === "stage.staging.hosts")).toMatchObject({ placeholder: true });
  });

  it("is a fact when a stage variable of the same stage names it too: no question", async () => {
    const m = await admin({ "config/deploy/production.rb": 'server "admin1.internal", roles: %w[web app db]\nset :domain, "bookings.example.net"\n' });
    expect(m.gaps.some((g) => g.id === "stage.production.hosts")).toBe(false);
    const { result, stages } = emitAndBuild(m, defaultAnswers(m));
    expect(hostsOf(stages["production"]!)).toEqual(["bookings.example.net"]);
    expect(result.provenance.find((p) => p.what.startsWith("hosts "))!.what).toBe("hosts bookings.example.net (Capistrano :domain)");
  });
});

describe("a host only an example nginx config names", () => {
  // A Capistrano 2 app whose only nginx config is config/nginx.conf.example: its limit was carried
  // but its server_name ignored, and the hosts question said nothing named the hosts.
  const example = () =>
    analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy'\n",
        "config/deploy.rb": "set :application, 'quire'\nset :repository, 'git@example.com:acme/quire.git'\nrole :web, 'quire.example.org'\nrole :app, 'quire.example.org'\nrole :db, 'quire.example.org', :primary => true\n",
        "config/nginx.conf.example": "server {\n  listen 80;\n  server_name quire.example.org;\n  root /srv/quire/current/public;\n  client_max_body_size 12m;\n}\n",
      }),
      "quire",
    );

  it("is the suggested default of the question, cited as from an example file, routed as given, and every citation of the file says it is an example", async () => {
    const m = await example();
    const gap = m.gaps.find((g) => g.id === "stage.production.hosts")!;
    expect(gap).toMatchObject({ default: ["quire.example.org"], suggestion: true, source: { file: "config/nginx.conf.example", line: 3 } });
    expect(gap.placeholder).toBeUndefined();
    expect(gap.why).toMatch(/^only an example copy of the nginx config names a host for stage production: server_name quire\.example\.org \(from config\/nginx\.conf\.example:3, an example file\)/);
    expect(gap.why).not.toMatch(/names the hosts/);
    const answers = defaultAnswers(m);
    for (const target of ["gateway", "alb", "ingress-nginx"]) {
      const { result, stages } = emitAndBuild(m, { ...answers, "edge.target": target });
      expect(hostsOf(stages["production"]!)).toEqual(["quire.example.org"]);
      expect(result.provenance.find((p) => p.what.startsWith("hosts "))!.what).toBe("hosts quire.example.org (nginx server_name of config/nginx.conf.example, an example file: a suggestion to confirm)");
      expect(result.notes.map((n) => n.message)).toContainEqual(expect.stringMatching(/routes quire\.example\.org, which only config\/nginx\.conf\.example, an example file, names/));
    }
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/\*\*Confirm the hosts of stage production\*\*: its edge routes `quire\.example\.org`, which only an example copy of the nginx config names \(`config\/nginx\.conf\.example:3 \(an example file\)`\)/);
    // the limit it carries is cited as the example's too, never as a bare file:line
    expect(md).toContain("config/nginx.conf.example:5 (an example file)");
    expect(md).not.toMatch(/config\/nginx\.conf\.example:\d+(?! \(an example file\)|, an example file)/);
    // Answered: nothing left to confirm.
    const own = { ...answers, "stage.production.hosts": ["quire.example.net"] };
    expect(emitMigrationGuide(m, own, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, own) }))).content).not.toContain("Confirm the hosts of stage production");
  });
});
