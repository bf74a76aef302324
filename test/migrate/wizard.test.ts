// Prompt-level tests: each kind of question the wizard builds, driven keystroke by keystroke with
// @inquirer/testing (the real @inquirer/prompts on virtual streams).
import { describe, it, expect } from "vitest";
import { render } from "@inquirer/testing";
import { confirm, input, password, select } from "@inquirer/prompts";
import { askGaps, gapContext, promptFor, type Prompts } from "../../src/wizard.js";
import type { Gap, RValue } from "../../src/model.js";

const gap = (over: Partial<Gap>): Gap => ({ id: "x", question: "Question?", why: "because", default: "d", ...over });

/** Renders the prompt the wizard would show for `g`, and returns what it makes of the answer. */
async function run(g: Gap, keys: (e: Awaited<ReturnType<typeof render>>) => Promise<void> | void): Promise<{ value: RValue; screen: string }> {
  const spec = promptFor(g);
  const prompt = { input, select, confirm, password }[spec.kind] as Parameters<typeof render>[0];
  const r = await render(prompt, spec.config as never);
  await keys(r);
  const raw = await r.answer;
  return { value: (spec.parse as (v: unknown) => RValue)(raw), screen: r.getScreen() };
}

describe("wizard prompts", () => {
  it("text: shows the default from the analysis; Enter takes it, typing replaces it", async () => {
    const g = gap({ default: "registry.example.com/shop" });
    const r = await render(input, promptFor(g).config as never);
    expect(r.getScreen()).toContain("Question? (registry.example.com/shop)");
    r.events.keypress("enter");
    expect(await r.answer).toBe("registry.example.com/shop");
    expect((await run(g, (e) => (e.events.type("ghcr.io/acme/shop"), e.events.keypress("enter")))).value).toBe("ghcr.io/acme/shop");
  });

  it("select: one of the choices, the analysis' default preselected", async () => {
    const g = gap({ default: "alb", choices: ["gateway", "alb", "ingress-nginx"] });
    const first = await run(g, (e) => {
      expect(e.getScreen()).toMatch(/❯ alb/);
      e.events.keypress("enter");
    });
    expect(first.value).toBe("alb");
    expect((await run(g, (e) => (e.events.keypress("down"), e.events.keypress("enter")))).value).toBe("ingress-nginx");
  });

  it("yes/no: a confirm with the default", async () => {
    const g = gap({ default: true });
    expect((await run(g, (e) => e.events.keypress("enter"))).value).toBe(true);
    expect((await run(g, (e) => (e.events.type("n"), e.events.keypress("enter")))).value).toBe(false);
  });

  it("number: refuses text, then takes a number", async () => {
    const g = gap({ default: 4 });
    const { value } = await run(g, async (e) => {
      e.events.type("many");
      e.events.keypress("enter");
      await e.nextRender();
      expect(e.getScreen()).toContain("a number, please");
      for (let i = 0; i < 4; i++) e.events.keypress("backspace");
      e.events.type("6");
      e.events.keypress("enter");
    });
    expect(value).toBe(6);
  });

  it("list: comma-separated, default shown joined", async () => {
    const g = gap({ default: ["DB_PASSWORD", "SECRET_KEY_BASE"] });
    expect((await run(g, (e) => e.events.keypress("enter"))).value).toEqual(["DB_PASSWORD", "SECRET_KEY_BASE"]);
    expect((await run(g, (e) => (e.events.type("A, B ,,C"), e.events.keypress("enter")))).value).toEqual(["A", "B", "C"]);
  });

  it("mapping: typed as YAML flow, validated", async () => {
    const g = gap({ default: { requests: { cpu: "500m" } } });
    expect((await run(g, (e) => e.events.keypress("enter"))).value).toEqual({ requests: { cpu: "500m" } });
    const { value } = await run(g, async (e) => {
      e.events.type("[1, 2]");
      e.events.keypress("enter");
      await e.nextRender();
      expect(e.getScreen()).toContain("a YAML mapping, please");
      for (let i = 0; i < 6; i++) e.events.keypress("backspace");
      e.events.type("{requests: {cpu: 1, memory: 2Gi}}");
      e.events.keypress("enter");
    });
    expect(value).toEqual({ requests: { cpu: 1, memory: "2Gi" } });
  });

  it("unknown value (no default): empty stays unknown (null)", async () => {
    const g = gap({ default: null });
    expect((await run(g, (e) => e.events.keypress("enter"))).value).toBeNull();
    expect((await run(g, (e) => (e.events.type("main"), e.events.keypress("enter")))).value).toBe("main");
  });

  it("secret: a masked prompt that never echoes the value", async () => {
    const g = gap({ default: null, secret: true });
    const { value, screen } = await run(g, (e) => (e.events.type("hunter2"), e.events.keypress("enter")));
    expect(value).toBe("hunter2");
    expect(screen).not.toContain("hunter2");
  });

  it("each question is preceded by why it is asked and where the fact came from", async () => {
    const g = gap({ id: "stage.production.namespace", why: "each stage gets its own namespace", source: { file: "config/deploy/production.rb", line: 1 } });
    expect(gapContext(g)).toBe("  why: each stage gets its own namespace\n  from: config/deploy/production.rb:1\n");
    let out = "";
    const seen: string[] = [];
    const prompts = { input: async (c: { message: string }) => (seen.push(c.message), "ns") } as unknown as Prompts;
    const answers = await askGaps([g], (s) => (out += s), prompts);
    expect(answers).toEqual({ "stage.production.namespace": "ns" });
    expect(out).toContain("[1/1] stage.production.namespace\n  why: each stage gets its own namespace\n  from: config/deploy/production.rb:1");
    expect(seen).toEqual(["Question?"]);
  });
});
