// Syntax errors against nginx: for hand-written malformed configs and for random edits of the
// fixtures' configs (fast-check, fixed seed), our first error is nginx's — same message, same line —
// whenever nginx's first error is a syntax error; when nginx stops earlier on a directive's own
// error, ours is not before it; when nginx accepts the file, we report nothing. And the analyzer,
// fed broken files, reports a problem with the line and never throws.
import { describe, it, expect, afterAll } from "vitest";
import fc from "fast-check";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConf, NGX_CONF_BUFFER } from "../../analyzers/nginx/conf-parser.js";
import { analyzeNginx } from "../../analyzers/nginx/index.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { isSyntaxMessage, runNginx, tempDir } from "./nginx.js";
import { fixture } from "./cases.js";

const dir = tempDir("syntax");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(dir, "main.conf");
const SITE = join(dir, "site.conf");
writeFileSync(MAIN, "events {}\nhttp {\n  include site.conf;\n}\n");

/** nginx's verdict on `text` as a file included in http {}, next to ours. */
function compare(text: string): { ours: ReturnType<typeof parseConf>["error"]; theirs: ReturnType<typeof runNginx> } {
  writeFileSync(SITE, text);
  return { ours: parseConf(text).error, theirs: runNginx(MAIN, dir) };
}

/** How often nginx's first error was a syntax error we had to match exactly (the test must bite). */
const stats = { syntax: 0 };

function agrees(text: string): string | null {
  const { ours, theirs } = compare(text);
  if (theirs.ok) return ours ? `nginx accepts it, we say ${JSON.stringify(ours)}` : null;
  const e = theirs.emerg;
  if (!e || e.file !== SITE) return null; // failed elsewhere (e.g. after the include): not about this file
  if (isSyntaxMessage(e.message) || e.message.startsWith("unexpected end of file")) {
    stats.syntax++;
    return ours && ours.message === e.message && ours.line === e.line ? null : `nginx: ${e.message} at ${e.line}; ours: ${JSON.stringify(ours)}`;
  }
  // nginx stopped at a directive's own error: our syntax error, if any, comes no earlier.
  return ours && ours.line < e.line ? `nginx: ${e.message} at ${e.line}; ours earlier: ${JSON.stringify(ours)}` : null;
}

const MALFORMED: Record<string, string> = {
  "unbalanced }": "server {\n  listen 80;\n}\n}\n",
  "missing }": "server {\n  listen 80;\n  location / {\n    root /srv;\n  }\n",
  "unterminated double quote": 'server {\n  listen 80;\n  add_header X-A "open;\n}\n',
  "unterminated single quote": "server {\n  server_name 'a.example.com;\n}\n",
  "missing ;": "server {\n  listen 80\n}\n",
  "stray ;": "server {\n  ;\n}\n",
  "stray {": "server {\n  {\n}\n",
  "quote glued to word": 'server {\n  server_name "a"b;\n}\n',
  "} inside a word": "server {\n  server_name a}b;\n}\n",
  "${} keeps the brace": "server {\n  set $a ${b};\n}\n",
  "if with quoted operand": 'server {\n  if ($http_x = "a b") { return 403; }\n}\n',
  "block in types": "types {\n  text/html html {\n}\n",
  "long comment": `# ${"x".repeat(NGX_CONF_BUFFER + 10)}\nserver { listen 80; }\n`,
  "long quoted string": `server {\n  add_header X "${"y".repeat(NGX_CONF_BUFFER + 10)}\n}\n`,
  "long word": `server {\n  server_name ${"z".repeat(NGX_CONF_BUFFER + 10)};\n}\n`,
  "escape at end": "server {\n  server_name a\\",
  "comment hides }": "server {\n  listen 80; # }\n",
  "empty file": "",
  "CRLF lines": "server {\r\n  listen 80;\r\n}\r\n}\r\n",
  "unicode word": "server {\n  server_name bücher.example;\n}\n}\n",
};

describe("malformed configs: our first error is nginx's", () => {
  for (const [name, text] of Object.entries(MALFORMED)) {
    it(name, () => {
      expect(agrees(text)).toBeNull();
    });
  }

  it("the messages nginx gives, with lines", () => {
    expect(parseConf(MALFORMED["unbalanced }"]).error).toEqual({ message: 'unexpected "}"', line: 4 });
    expect(parseConf(MALFORMED["missing }"]).error).toEqual({ message: 'unexpected end of file, expecting "}"', line: 6 });
    expect(parseConf(MALFORMED["unterminated double quote"]).error).toEqual({ message: 'unexpected end of file, expecting ";" or "}"', line: 5 });
    expect(parseConf(MALFORMED["long quoted string"]).error).toEqual({ message: 'too long parameter, probably missing terminating """ character', line: 2 });
    expect(parseConf(MALFORMED["quote glued to word"]).error).toEqual({ message: 'unexpected "b"', line: 2 });
    expect(parseConf(MALFORMED["} inside a word"]).directives[0].block![0].args).toEqual(["a}b"]);
    expect(parseConf(MALFORMED["${} keeps the brace"]).directives[0].block![0].args).toEqual(["$a", "${b}"]);
    expect(parseConf(MALFORMED["if with quoted operand"]).directives[0].block![0].args).toEqual(["($http_x", "=", "a b", ")"]);
  });
});

describe("random edits of the fixtures' configs", () => {
  const sources = {
    ledger: fixture("ledger", "config/nginx/ledger.conf"),
    legacyServer: fixture("legacy", "config/nginx.conf").replace(/^[\s\S]*?http \{/, "").replace(/\}\s*$/, ""),
  };
  const noise = fc.constantFrom("}", "{", ";", '"', "'", "#", "\\", "${", "$", ")", "(", "\n", " ", '\\"', "a", "}}", "{{", ";;");
  const edit = fc.record({ at: fc.nat(), insert: noise, drop: fc.nat({ max: 3 }) });

  for (const [name, text] of Object.entries(sources)) {
    it(`${name}: 400 edits, nginx and we agree on the first error`, () => {
      expect(agrees(text)).toBeNull();
      const before = stats.syntax;
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
          let t = text;
          for (const e of edits) {
            const at = e.at % (t.length + 1);
            t = t.slice(0, at) + e.insert + t.slice(at + e.drop);
          }
          const why = agrees(t);
          if (why) throw new Error(`${why}\n--- config ---\n${t}`);
        }),
        { numRuns: 400, seed: 20261123 },
      );
      expect(stats.syntax - before).toBeGreaterThan(30);
      // 400 runs of real nginx: about 20 s alone, three times that beside the rest of the suite.
    }, 180_000);
  }
});

describe("the analyzer on broken files", () => {
  it("reports the problem with file and line, keeps what came before, never throws", () => {
    const problems: Problem[] = [];
    const repo = memoryRepo({
      "config/nginx/site.conf": "upstream app {\n  server 127.0.0.1:3000;\n}\nserver {\n  listen 80;\n  server_name a.example.com;\n  location / {\n    proxy_pass http://app;\n}\n",
      "config/nginx.conf": 'server {\n  server_name "b.example.com;\n}\n',
    });
    const facts = analyzeNginx({ repo, problem: (p) => problems.push(p) }, []);
    expect(problems).toContainEqual({ file: "config/nginx/site.conf", line: 10, message: 'unexpected end of file, expecting "}"', severity: "error" });
    expect(problems).toContainEqual({ file: "config/nginx.conf", line: 4, message: 'unexpected end of file, expecting ";" or "}"', severity: "error" });
    const site = facts.files.find((f) => f.file === "config/nginx/site.conf")!;
    expect(site.upstreams[0].servers[0].value.address).toBe("127.0.0.1:3000");
    expect(site.servers[0].serverNames.map((s) => s.value)).toEqual(["a.example.com"]);
  });

  it("blocks nested thousands deep are refused with a message, not a stack overflow", () => {
    const problems: Problem[] = [];
    const repo = memoryRepo({ "config/nginx/deep.conf": "http { ".repeat(5000) + "} ".repeat(5000) });
    expect(() => analyzeNginx({ repo, problem: (p) => problems.push(p) }, [])).not.toThrow();
    expect(problems).toEqual([{ file: "config/nginx/deep.conf", line: 1, message: "blocks nested deeper than 64: not read", severity: "error" }]);
  });

  it("fuzzed text never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.array(fc.constantFrom("server {", "}", '"', "'", "#", "\\", "${", "location", "_by_lua_block {", "[[", "--[[", "\n", ";", "include *.conf;"), { maxLength: 30 }), (s, parts) => {
        const text = s + parts.join(" ");
        const problems: Problem[] = [];
        const repo = memoryRepo({ "config/nginx/x.conf": text, "config/nginx/y.conf": "include x.conf; include y.conf;\n" + text });
        expect(() => analyzeNginx({ repo, problem: (p) => problems.push(p) }, [])).not.toThrow();
        for (const p of problems) expect(p.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe("OpenResty *_by_lua_block", () => {
  it("reads the Lua body raw: braces in strings and comments do not count", () => {
    const text = [
      "location /t {",
      "  content_by_lua_block {",
      '    local t = { a = "}" , b = [[ } ]] } -- }',
      "    --[==[ { ]==]",
      "    ngx.say('{')",
      "  }",
      "  access_log off;",
      "}",
      "",
    ].join("\n");
    const r = parseConf(text);
    expect(r.error).toBeNull();
    const loc = r.directives[0];
    expect(loc.block!.map((d) => d.name)).toEqual(["content_by_lua_block", "access_log"]);
    expect(loc.block![0].raw).toContain("ngx.say('{')");
    expect(loc.block![1].line).toBe(7);
  });

  it("an unclosed Lua block is an error at the end of the file", () => {
    expect(parseConf("server {\n  access_by_lua_block {\n    if x then\n").error).toEqual({ message: 'unexpected end of file, expecting "}"', line: 4 });
  });
});
