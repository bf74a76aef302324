// Issue 14's image points: bootsnap's cache outside the tmp emptyDir and read-only, EXPOSE only a
// port the server listens on, .dockerignore keeping rails2k8s state and every .env file out, and no
// Dockerfile at all (exit 2 with the fix) when the bundle cannot be installed or cannot start the server.
import { describe, expect, it } from "vitest";
import type { Answers, AppModel } from "../../src/model.js";
import { emitContainer } from "../../emitters/container/index.js";
import { BOOTSNAP_CACHE_DIR } from "../../emitters/container/dockerfile.js";
import { RefusedInput } from "../../emitters/encode/refuse.js";
import { APP_PORT } from "../../emitters/contract.js";
import { ledgerModel, shopModel } from "./models.js";
import { lintDockerfile } from "./dockerfile-lint.js";

const dockerfile = (m: AppModel, a: Answers = {}) => emitContainer(m, a).files.find((f) => f.path === "Dockerfile")!.content;
const withBootsnap = (m: AppModel, version = "1.18.4") => {
  m.rails.gems["bootsnap"] = { value: version, source: { file: "Gemfile.lock", line: 40 } };
  return m;
};

describe("bootsnap", () => {
  it("precompiles into a cache dir outside tmp/ and reads it read-only in the final image", () => {
    const d = dockerfile(withBootsnap(shopModel()));
    expect(BOOTSNAP_CACHE_DIR).not.toMatch(/\/tmp(\/|$)/);
    expect(d).toContain(`BOOTSNAP_CACHE_DIR="${BOOTSNAP_CACHE_DIR}"`);
    // set in the base stage (before the precompile), read-only only in the final stage (after it)
    expect(d.indexOf("BOOTSNAP_CACHE_DIR")).toBeLessThan(d.indexOf("bootsnap precompile"));
    expect(d.indexOf('BOOTSNAP_READONLY="1"')).toBeGreaterThan(d.lastIndexOf("bootsnap precompile"));
    expect(d.indexOf('BOOTSNAP_READONLY="1"')).toBeGreaterThan(d.lastIndexOf("\nFROM base"));
    expect(lintDockerfile(d).problems).toEqual([]);
  });

  it("an app without bootsnap gets neither variable", () => {
    const m = shopModel();
    delete m.rails.gems["bootsnap"];
    expect(dockerfile(m)).not.toMatch(/BOOTSNAP/);
  });
});

describe("EXPOSE", () => {
  it("no port when Unicorn listens on the socket shared with the nginx sidecar", () => {
    const d = dockerfile(shopModel(), { "container.nginx_sidecar": true });
    expect(d).not.toMatch(/^EXPOSE/m);
    expect(d).toMatch(/^# No EXPOSE: Unicorn listens on/m);
  });
  it("the app port when the server listens on TCP", () => {
    expect(dockerfile(shopModel(), { "container.nginx_sidecar": false })).toMatch(new RegExp(`^EXPOSE ${APP_PORT}$`, "m"));
    expect(dockerfile(ledgerModel(), { "container.nginx_sidecar": true })).toMatch(new RegExp(`^EXPOSE ${APP_PORT}$`, "m"));
  });
});

describe(".dockerignore", () => {
  it("keeps rails2k8s' state and every .env file, nested ones too, out of the context", () => {
    const ignore = emitContainer(shopModel(), {}).files.find((f) => f.path === ".dockerignore")!.content.split("\n");
    expect(ignore).toContain("/.rails2k8s/");
    expect(ignore).toContain("**/.env*");
  });
});

describe("a bundle the image cannot install or start", () => {
  it("no Gemfile.lock: refused with the fix, no Dockerfile", () => {
    const m = shopModel();
    m.rails.lockfilePresent = false;
    expect(() => emitContainer(m, {})).toThrow(RefusedInput);
    expect(() => emitContainer(m, {})).toThrow(/commit Gemfile\.lock/);
  });
  it("a lockfile without the server the image starts: refused with the fix", () => {
    const m = shopModel();
    m.rails.lockfilePresent = true;
    delete m.rails.gems["unicorn"];
    expect(() => emitContainer(m, {})).toThrow(/add unicorn to the Gemfile/);
  });
  it("a lockfile with the server: the Dockerfile is written", () => {
    const m = shopModel();
    m.rails.lockfilePresent = true;
    expect(m.rails.gems["unicorn"]).toBeTruthy();
    expect(dockerfile(m)).toMatch(/^CMD \["bundle", "exec", "unicorn"/m);
  });
});
