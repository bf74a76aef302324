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
      expect(rows.find((r) => r.output.includes("/staging/"))!.what).toBe("hosts staging.atlas.example.org (action_mailer default_url_options)");
      expect(rows.some((r) => r.output.includes("/qa/"))).toBe(false);
      const notes = result.notes.map((n) => n.message).filter((n) => n.includes(".invalid"));
      expect(notes).toEqual([expect.stringMatching(/^stage qa: no evidence names its hosts, so k8s\/overlays\/qa\/\S+ routes set-me\.qa\.atlas\.invalid, a placeholder that never resolves \(\.invalid\): answer stage\.qa\.hosts/)]);
    }
    // Answered: the placeholder and its note go.
    const answered = emitKustomize(m, defaultAnswers(m, { "stage.qa.hosts": ["qa.atlas.example.org"] }));
    expect(answered.notes.filter((n) => n.message.includes(".invalid"))).toEqual([]);
  });
});
