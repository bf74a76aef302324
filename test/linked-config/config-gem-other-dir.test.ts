// The config gem merges config/settings/<env>.yml over config/settings.yml, and nothing else: a linked
// config/locales (the app "sorter", on the config gem, written for this test) is the servers' copy,
// but no "<env>.yml merged over config/locales.yml" is claimed for it (audit B s26 #9).
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "../workers/app.js";

beforeAll(async () => {
  await initPrism();
});

const app = (dir: string) =>
  analyzeFiles(pluginApp(`append :linked_dirs, "log", "${dir}"\n`, { production: 'server "s1.sorter.example.org", roles: %w[web app db]\n' }, { [`${dir}/en.yml`]: "en:\n  hello: Hello\n" }, { config: "5.5.1" }, ""), "sorter");

describe("a linked config/ directory with the config gem", () => {
  it("config/locales: the servers' copy, no settings merge claimed", async () => {
    const m = await app("config/locales");
    const h = m.hazards.find((x) => x.id === "files.server-only" && x.message.startsWith("config/locales "))!;
    expect(h).toBeDefined();
    expect(h.message).not.toMatch(/merges config\/locales\/<env>\.yml/);
  });

  it("config/settings: the merge is still said", async () => {
    const m = await app("config/settings");
    const h = m.hazards.find((x) => x.id === "files.server-only" && x.message.startsWith("config/settings "))!;
    expect(h.message).toMatch(/the config gem merges config\/settings\/<env>\.yml over config\/settings\.yml/);
  });
});
