// The nginx word encoder, judged by nginx's tokenizer (our parser, which follows ngx_conf_read_token
// and is itself checked against nginx in test/nginx) and by the real `nginx -t`: a word the
// encoder writes is read back as exactly the value, as one word, and a value it refuses is exactly
// one holding a control character.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { nginxCommentValue, nginxRefusal, nginxWord } from "../../emitters/encode/nginx.js";
import { parseConf } from "../../analyzers/nginx/conf-parser.js";

const HOSTILE = ['a"b', "a\\", "\\", '"', "'", "x;y", "}", "{", "a b", "#c", "$host", "${x}", "", "é漢🙂", '"a"; return 200 x; "b"', "a\nb", "\u0000", "\u001b[31m", "\t", "\u007f"];
const values = [...HOSTILE, ...fc.sample(fc.string({ unit: "grapheme-ascii", maxLength: 30 }), { numRuns: 300, seed: 21 }), ...fc.sample(fc.string({ unit: "binary", maxLength: 20 }), { numRuns: 100, seed: 22 })];

describe("nginxWord", () => {
  it("refuses exactly the values holding a control character or no UTF-8 form", () => {
    for (const v of values) expect(nginxRefusal(v) !== null, JSON.stringify(v)).toBe(/[\u0000-\u001f\u007f-\u009f]/.test(v) || v !== v.toWellFormed());
  });

  it("writes every other value as one word that nginx's tokenizer reads back exactly", () => {
    for (const v of values.filter((x) => nginxRefusal(x) === null)) {
      const parsed = parseConf(`x ${nginxWord(v)} end;\n`);
      expect(parsed.error, JSON.stringify(v)).toBeNull();
      expect(parsed.directives[0]!.args, JSON.stringify(v)).toEqual([v, "end"]);
    }
  });

  it("and the real nginx -t accepts them all, one per entry of a types block", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-nginx-word-"));
    try {
      const ok = values.filter((x) => nginxRefusal(x) === null);
      const entries = ok.map((v, i) => `    ${nginxWord(v)} ext${i};`).join("\n");
      const conf = `pid ${dir}/nginx.pid;\nevents {}\nhttp {\n  # from ${nginxCommentValue("a\nb } server {")}\n  types {\n${entries}\n  }\n}\n`;
      writeFileSync(join(dir, "nginx.conf"), conf);
      const r = spawnSync("/usr/sbin/nginx", ["-t", "-p", dir, "-e", "stderr", "-c", join(dir, "nginx.conf")], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      // The control: a pasted word breaks it.
      writeFileSync(join(dir, "bad.conf"), conf.replace("ext0;", 'ext0; "a\\";'));
      expect(spawnSync("/usr/sbin/nginx", ["-t", "-p", dir, "-e", "stderr", "-c", join(dir, "bad.conf")]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
