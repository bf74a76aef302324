// Dot access in the generated loader (issue 12), under real Rails: a key named like an Object method
// (`class`, `display`) gives the key's value, at any depth; where no such key exists the
// method is Object's own, and the access methods (`fetch`, `key?`, `to_h`, `hash` — Global's data) stay the loader's.
import { describe, it, expect } from "vitest";
import { emitRailsConfig } from "../../emitters/rails-config/index.js";
import { MODEL_VERSION, type AppModel, type GlobalNamespace, type Stage } from "../../src/model.js";
import { bootApp, typedJson, writeApp } from "./harness.js";

const src = (file: string, line = 1) => ({ file, line });
const stage: Stage = { name: "production", source: src("config/deploy/production.rb"), servers: [], variables: {} };
const ns = (name: string, v: Record<string, unknown>): GlobalNamespace => ({ name, files: [`config/global/${name}.yml`], sources: {}, values: { production: v } }) as unknown as GlobalNamespace;
const AWS = { class: "STANDARD_IA", hash: "9f86d081884c7d65", display: "wide", bucket: "shop-assets", count: 3, storage: { class: "GLACIER", tier: 2 } };
const model = {
  version: MODEL_VERSION, name: { value: "shop", source: src("config/deploy.rb") },
  rails: { rubyVersion: null, railsVersion: { value: "6.1.7.10", source: src("Gemfile.lock") }, bundlerVersion: null, gems: {}, gemGroups: {}, privateSources: [], database: null, assets: { pipeline: [], needsNode: { value: false, source: src("Gemfile.lock") }, packageManager: null }, appModule: null, timeZone: null, healthPaths: [] },
  capistrano: null, stages: [stage], appServers: [], nginx: { files: [] },
  global: { dir: "config/global", gemVersion: "3.1.1", namespaces: [ns("aws", AWS), ns("plain", { region: "eu-west-1" })], templates: [] },
  sidekiq: null, cron: null, procfile: [], linked: [], secrets: [], gaps: [], hazards: [], problems: [],
} as unknown as AppModel;

describe("dot access on keys named like Object methods", () => {
  it("reads the key's value (class, display, nested), Object's method where there is no such key, and `hash` as Global's data", () => {
    const dir = writeApp(emitRailsConfig(model, {}).files);
    const booted = bootApp(dir, { aws: typedJson(AWS as never), plain: { region: "eu-west-1" } }, {
      env: { RAILS_ENV: "production" },
      probes: ["aws.class", "aws.hash", "aws.hash.class", "aws.storage.hash.deep_symbolize_keys.keys", "plain.hash", "aws.display", "aws.storage.class", "aws.storage.tier", "aws.bucket", "aws.count", "aws.missing", "plain.class", "plain.region"],
      task: "rails2k8s:verify_config",
    });
    expect(booted.probes["aws.class"]).toBe("STANDARD_IA");
    // `hash` is Global's own (attr_reader): the data, even beside a key named "hash" (that key was
    // never readable by dot under Global).
    expect(booted.probes["aws.hash"]).toEqual(typedJson(AWS as never));
    expect(booted.probes["aws.hash.class"]).toBe("ActiveSupport::HashWithIndifferentAccess");
    expect(booted.probes["aws.storage.hash.deep_symbolize_keys.keys"]).toEqual([{ sym: "class" }, { sym: "tier" }]);
    expect(booted.probes["plain.hash"]).toEqual({ region: "eu-west-1" });
    expect(booted.probes["aws.display"]).toBe("wide");
    expect(booted.probes["aws.storage.class"]).toBe("GLACIER");
    expect(booted.probes["aws.storage.tier"]).toBe(2);
    expect(booted.probes["aws.bucket"]).toBe("shop-assets");
    expect(booted.probes["aws.count"]).toBe(3);
    expect(booted.probes["aws.missing"]).toEqual({ error: "NoMethodError" });
    // No `class` key: Object's own method answers.
    expect(booted.probes["plain.class"]).toBe("Rails2k8s::Settings");
    expect(booted.namespaces).toEqual({ aws: typedJson(AWS as never), plain: { region: "eu-west-1" } });
    expect(booted.task?.status, booted.task?.output).toBe(0);
  }, 60_000);
});
