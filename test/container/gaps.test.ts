// The container gaps: ids, defaults from the emitter's rules (with the reason), and asked only when
// the repo leaves the question open.
import { describe, expect, test } from "vitest";
import { containerGaps } from "../../src/gaps/container.js";
import { emitContainer } from "../../emitters/container/index.js";
import { ledgerModel, legacyModel, SHOP_NGINX, shopModel } from "./models.js";

const byId = (m: ReturnType<typeof shopModel>) => Object.fromEntries(containerGaps(m).map((g) => [g.id, g]));

describe("container gaps", () => {
  test("base: slim by default, alpine on request", () => {
    const g = byId(shopModel())["container.base"]!;
    expect(g.default).toBe("slim");
    expect(g.choices).toEqual(["slim", "alpine"]);
  });

  test("nginx sidecar kept when nginx serves assets, with the location as reason", () => {
    const g = byId(shopModel())["container.nginx_sidecar"]!;
    expect(g.default).toBe(true);
    expect(g.why).toContain("location ^~ /assets/");
    expect(g.source!.file).toBe("config/deploy/templates/nginx.conf.erb");
    expect(SHOP_NGINX.split("\n")[g.source!.line - 1]).toContain("location ^~ /assets/");
  });

  test("nginx sidecar not kept when nginx only proxies (legacy has no asset location nor unportable directive)", () => {
    const m = legacyModel();
    const g = byId(m)["container.nginx_sidecar"]!;
    expect(g.default).toBe(false);
    expect(g.why).toContain("only proxies");
    // and the emitter takes the same default when the answer is missing
    expect(emitContainer(m, {}).files.some((f) => f.path.startsWith("docker/nginx/"))).toBe(false);
  });

  test("nginx sidecar not kept without an nginx config", () => {
    expect(byId(ledgerModel())["container.nginx_sidecar"]!.default).toBe(false);
  });

  test("private gems over SSH asked only when a git-over-SSH source exists", () => {
    expect(byId(ledgerModel())["container.private_gems_ssh"]!.default).toBe(true);
    expect(byId(ledgerModel())["container.private_gems_ssh"]!.why).toContain("BUNDLE_GITHUB__COM");
    expect(byId(shopModel())["container.private_gems_ssh"]).toBeUndefined();
  });

  test("Ruby version asked only when the repo names none; Node version only when assets need Node", () => {
    const m = shopModel();
    expect(byId(m)["container.ruby_version"]).toBeUndefined();
    m.rails.rubyVersion = null;
    const g = byId(m)["container.ruby_version"]!;
    expect(typeof g.default).toBe("string");
    expect(emitContainer(m, { "container.ruby_version": "3.2.4" }).files[0]!.content).toContain("ARG RUBY_VERSION=3.2.4");
    expect(byId(shopModel())["container.node_version"]).toBeDefined();
    expect(byId(legacyModel())["container.node_version"]).toBeUndefined();
  });
});
