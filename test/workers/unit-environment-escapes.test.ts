// A systemd unit's Environment= values as systemd gives them to the process. systemd-analyze cannot
// show a value (verify only checks), so the values follow systemd.syntax(7) "QUOTING" (C-style escapes,
// in and out of quotes) and systemd.unit(5) "SPECIFIERS" (`%%` is `%`); where systemd refuses a line,
// the real systemd-analyze verify says so, and the analysis names that line's settings instead of
// carrying them.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unitEnvironment } from "../../analyzers/workers/unit-environment.js";

const lines = [
  String.raw`Environment="NL=one\ntwo" TAB=a\tb`,
  String.raw`Environment="HEX=a\x41b" SP=a\sb OCT=\101\102 UNI=caf\u00e9`,
  String.raw`Environment="QUOTES=say \"hi\" it\'s" BS=c:\\dir`,
  String.raw`Environment=PCT=50%% MIXED=pre"mid dle"post`,
  String.raw`Environment=HOMEDIR=%h/x KEEP=plain`,
  String.raw`Environment="BAD=x\qy" ALSO=1`,
];
const unit = `[Unit]\nDescription=escapes\n[Service]\n${lines.join("\n")}\nExecStart=/bin/true\n`;

describe("Environment= escapes and specifiers", () => {
  it("decodes C-style escapes and %%, names a specifier and a refused line", () => {
    const u = unitEnvironment(unit)!;
    const vals = Object.fromEntries(Object.entries(u.vars).map(([k, v]) => [k, v.value]));
    expect(vals).toEqual({
      NL: "one\ntwo",
      TAB: "a\tb",
      HEX: "aAb",
      SP: "a b",
      OCT: "AB",
      UNI: "café",
      QUOTES: `say "hi" it's`,
      BS: "c:\\dir",
      PCT: "50%",
      MIXED: "premid dlepost",
      KEEP: "plain",
    });
    expect(Object.keys(u.unknown).sort()).toEqual(["ALSO", "BAD", "HOMEDIR"]);
    expect(u.unknown["HOMEDIR"]!.why).toMatch(/specifier/);
    expect(u.unknown["BAD"]!.why).toMatch(/refuses its line/);
  });

  it("systemd-analyze verify refuses exactly the line the analysis does not carry", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-esc-"));
    writeFileSync(join(dir, "esc.service"), unit);
    const v = spawnSync("systemd-analyze", ["verify", join(dir, "esc.service")], { encoding: "utf8" });
    expect(v.error).toBeUndefined();
    const own = v.stderr.split("\n").filter((l) => l.includes("esc.service:") && /ignoring/i.test(l));
    // Line 9 is the `\q` line (unit lines: 1 [Unit], 2 Description, 3 [Service], 4.. the Environment= lines).
    expect(own.map((l) => /esc\.service:(\d+)/.exec(l)![1])).toEqual(["9"]);
  });
});
