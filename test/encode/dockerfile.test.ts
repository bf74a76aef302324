// The Dockerfile encoder, judged by dockerfile-ast (the parser the language server uses) and
// dockerfile-utils' linter; and the Dockerfile emitter fed planted values: each is refused with its
// file:line, or lands as one quoted word that a real shell reads back.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { DockerfileParser } from "dockerfile-ast";
import { dockerComment, dockerPair, dockerPath, dockerQuoted } from "../../emitters/encode/dockerfile.js";
import { RefusedInput } from "../../emitters/encode/refuse.js";
import { emitContainer } from "../../emitters/container/index.js";
import { lintDockerfile } from "../container/dockerfile-lint.js";
import { shopModel } from "../container/models.js";

const SRC = { file: "x", line: 1 };
const oneLine = fc.string({ unit: "binary", maxLength: 30 }).map((s) => s.replace(/[\r\n\0]/g, "").toWellFormed());
const HOSTILE = ['a"b', "\\", "\\$x", "$HOME", "${A:-b}", "a b", " lead", "trail\\", "é漢🙂", "\u001b[31m", "#x", "", "a=b", "'"];

/** The value Docker gives an ENV/ARG/LABEL key: dockerfile-ast unescapes `\"` and `\\` and leaves `\$` for the expansion step, which makes it `$`. */
function parsedValues(dockerfile: string): string[] {
  const df = DockerfileParser.parse(dockerfile);
  return df.getInstructions().flatMap((i) => ("getProperties" in i ? (i as unknown as { getProperties(): { getValue(): string | null }[] }).getProperties().map((p) => (p.getValue() ?? "").replace(/\\\$/g, "$")) : []));
}

describe("dockerPair / dockerQuoted", () => {
  for (const kw of ["ENV", "ARG", "LABEL"])
    it(`${kw}: one property whose value is exactly the input`, () => {
      const values = [...HOSTILE, ...fc.sample(oneLine, { numRuns: 300, seed: 3 })];
      const text = "FROM scratch\n" + values.map((v, i) => `${kw} ${dockerPair(`K${i}`, v, SRC)}`).join("\n") + "\n";
      expect(parsedValues(text)).toEqual(values);
      expect(lintDockerfile(text).problems.filter((p) => p.severity === 1)).toEqual([]);
    });

  it("a line break is refused with its source", () => {
    for (const v of ["a\nRUN x", "\r", "a\0"]) expect(() => dockerQuoted(v, { file: "Gemfile", line: 3 })).toThrow(RefusedInput);
  });

  it("a comment stays one comment line whatever it holds (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (v) => {
        const text = `FROM scratch\n${dockerComment(v)}\nUSER 1000\n`;
        const df = DockerfileParser.parse(text);
        return df.getInstructions().length === 2 && df.getComments().length === 1 && !dockerComment(v).includes("\n");
      }),
    );
  });

  it("COPY paths: plain relative paths only", () => {
    expect(dockerPath("vendor/gems/foo-1.0", SRC)).toBe("vendor/gems/foo-1.0");
    for (const p of ["../x", "/etc", "a b", "a*", "$X", "a\nb", "-x", "vendor/../../x"]) expect(() => dockerPath(p, SRC), p).toThrow(RefusedInput);
  });
});

describe("the Dockerfile emitter with planted values", () => {
  it("BUNDLED WITH that is not a version: refused, naming Gemfile.lock:line", () => {
    const m = shopModel();
    m.rails.bundlerVersion = { value: "2.4.22;touch${IFS}/x;#", source: { file: "Gemfile.lock", line: 300 } };
    expect(() => emitContainer(m, {})).toThrow(/^Gemfile\.lock:300: BUNDLED WITH "2\.4\.22;touch\$\{IFS\}\/x;#" is not a version/);
  });

  it("a pre-release Bundler is written as it is", () => {
    const m = shopModel();
    m.rails.bundlerVersion = { value: "2.5.0.pre1", source: { file: "Gemfile.lock", line: 300 } };
    expect(emitContainer(m, {}).files[0]!.content).toContain("gem install bundler -v 2.5.0.pre1 --no-document");
  });

  it("a Ruby version or path gem source that is not plain: refused with its source", () => {
    const a = shopModel();
    a.rails.rubyVersion = { value: "3.1.4\nRUN id", source: { file: ".ruby-version", line: 1 } };
    expect(() => emitContainer(a, {})).toThrow(/^\.ruby-version:1: /);
    const b = shopModel();
    b.rails.privateSources = [{ value: "vendor/$(id)", source: { file: "Gemfile", line: 9 } }];
    expect(() => emitContainer(b, {})).toThrow(/^Gemfile:9: /);
    const c = shopModel();
    c.rails.privateSources = [{ value: "git@evil;id:org/x.git", source: { file: "Gemfile", line: 10 } }];
    expect(() => emitContainer(c, {})).toThrow(/^Gemfile:10: /);
  });

  it("a linked dir and an app name full of shell and Dockerfile syntax stay words and comments", () => {
    const m = shopModel();
    const dir = "public/$(touch x) `id`;'q'";
    m.name = { value: "shop\nRUN touch /pwned\n\u001b[31m", source: { file: "config/deploy.rb", line: 1 } };
    m.linked = [{ path: dir, kind: "dir", class: "data", stages: ["production"], source: { file: "config/deploy.rb", line: 12 } }];
    const d = emitContainer(m, {}).files[0]!.content;
    expect(d).not.toContain("\u001b");
    expect(d).not.toMatch(/^RUN touch \/pwned/m);
    const p = lintDockerfile(d);
    expect(p.problems.filter((x) => x.severity === 1)).toEqual([]);
    // The RUN line with the directory, run by sh with mkdir/chown replaced by printf: the words come back whole.
    const run = p.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args).find((a) => a.includes("mkdir -p"))!;
    const mkdir = /mkdir -p (.*?) && /s.exec(run.replace(/\\\n\s*/g, ""))![1]!;
    const r = spawnSync("sh", ["-c", `printf '%s\\0' ${mkdir}`], { encoding: "utf8" });
    expect(r.stdout.split("\0")).toContain(dir);
  });
});

describe("RUN lines under shellcheck", () => {
  it("every RUN command of the emitted Dockerfiles, planted values included, has no shellcheck warning", async () => {
    const { ledgerModel, legacyModel } = await import("../container/models.js");
    const hostile = shopModel();
    hostile.linked = [{ path: "public/$(touch x) `id`;'q' *", kind: "dir", class: "data", stages: ["production"], source: SRC }];
    const cases: [ReturnType<typeof shopModel>, Record<string, unknown>][] = [
      [shopModel(), {}],
      [legacyModel(), {}],
      [ledgerModel(), {}],
      [ledgerModel(), { "container.base": "alpine", "container.private_gems_ssh": false }],
      [hostile, {}],
    ];
    for (const [m, answers] of cases) {
      const d = emitContainer(m, answers as never).files[0]!.content;
      const runs = DockerfileParser.parse(d)
        .getInstructions()
        .filter((i) => i.getKeyword() === "RUN")
        .map((i) => (i.getArgumentsContent() ?? "").replace(/\\\n\s*/g, "").replace(/^(--mount=\S+\s+)+/, ""));
      const script = "#!/bin/sh\n" + runs.join("\n") + "\n";
      const r = spawnSync("shellcheck", ["-s", "sh", "-S", "warning", "-"], { input: script, encoding: "utf8" });
      expect(r.stdout + r.stderr, script).toBe("");
    }
  });
});
