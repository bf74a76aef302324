// Terminal controls in every field that reaches the report or MIGRATION.md: a Procfile command, a
// cron job's command and rake task, a worker queue name, a Global file name and key,
// a linked file, a Capistrano variable. The real CLI runs (analyze, analyze --json, migrate --yes):
// nothing it prints or writes into Markdown holds a raw control, and the analysis did see each
// planted value (else the scan proves nothing).
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, copyFixture, edit } from "../migrate/helpers.js";

/** Set the window title, clear the screen, a C1 CSI (0x9b), BEL, CR, backspace and a bidi override. */
const CONTROLS = ["\x1b]0;t\x07", "\x1b[2J", "\x9b31m", "\r", "\b", "\u202e"];
const PAYLOAD = CONTROLS.join("");
/** What a terminal acts on: C0 but tab and newline, DEL, C1, bidi overrides and isolates. */
const RAW = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]/;

const run = (dir: string, args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", input: "", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 });

/** Each field gets its own tag, so that a raw control or a missing value names where it came from. */
const FIELDS = ["proccmd", "cron", "rake", "queue", "gfile", "gkey", "linked", "branch"] as const;
const tagged = (f: (typeof FIELDS)[number]) => `x${f}${PAYLOAD}y`;

function plant(dir: string) {
  const ruby = (s: string) => JSON.stringify(s).replace(/#/g, "\\#");
  // A process name is [A-Za-z0-9_-]+ by the Procfile's own grammar (a line with controls there is
  // no process): the controls go into the command.
  edit(dir, "Procfile", (s) => `${s}release: bin/${tagged("proccmd").replace(/[\r\n]/g, "")}\n`);
  edit(dir, "config/schedule.rb", (s) => `${s}\nevery 1.day do\n  command ${ruby(`echo ${tagged("cron")}`)}\n  rake ${ruby(tagged("rake"))}\nend\n`);
  edit(dir, "config/sidekiq.yml", (s) => s.replace("  - [low, 1]", `  - [low, 1]\n  - [${JSON.stringify(tagged("queue"))}, 1]`));
  writeFileSync(join(dir, `config/global/${tagged("gfile").replace(/[\r\n]/g, "")}.yml`), `default:\n  plain: 1\n`);
  edit(dir, "config/global/payment.yml", (s) => s.replace(/^default:.*\n/m, (m) => `${m}  ${JSON.stringify(tagged("gkey"))}: 1\n`));
  edit(dir, "config/deploy.rb", (s) => s.replace(`"config/global/aws.yml"`, (m) => `${m}, ${ruby(`config/${tagged("linked")}.key`)}`));
  edit(dir, "config/deploy/production.rb", (s) => `${s}\nset :branch, ${ruby(tagged("branch"))}\n`);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

const rawLines = (text: string, re = RAW) => text.split("\n").filter((l) => re.test(l.replace(/\t/g, "")));
/** In a generated config file a bidi control is a valid character of a quoted value, kept exact; what a terminal acts on is not. */
const TERMINAL_RAW = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/;

describe("terminal controls in every field shown to a person", () => {
  it("stay escaped in analyze (text and JSON), migrate's output and MIGRATION.md", () => {
    const dir = copyFixture("shop");
    plant(dir);
    const before = new Set(filesUnder(dir));
    const outputs: Record<string, string> = {};
    for (const args of [["analyze", "."], ["analyze", ".", "--json"], ["migrate", ".", "--yes"]]) {
      const r = run(dir, args);
      expect(r.status, `${args.join(" ")}: ${r.stderr.slice(-600)}`).toBe(0);
      outputs[`${args.join(" ")} stdout`] = r.stdout;
      outputs[`${args.join(" ")} stderr`] = r.stderr;
    }
    for (const [name, text] of Object.entries(outputs)) expect({ name, raw: rawLines(text) }).toEqual({ name, raw: [] });
    const md = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(rawLines(md)).toEqual([]);
    // Nothing generated holds a raw ESC, BEL or C1 control either (a value is encoded, or left out).
    for (const p of filesUnder(dir).filter((f) => !before.has(f))) expect({ p, raw: rawLines(readFileSync(join(dir, p), "utf8"), TERMINAL_RAW) }).toEqual({ p, raw: [] });

    // Each field reached the analysis: its tag is in the JSON report (escaped there), so the checks
    // above read the field's value, not nothing.
    const json = outputs["analyze . --json stdout"]!;
    const missing = FIELDS.filter((f) => !json.includes(`x${f}`));
    expect(missing).toEqual([]);
    // And the text report or the guide names most of them (each in escaped form).
    const said = outputs["analyze . stdout"]! + md;
    expect(FIELDS.filter((f) => said.includes(`x${f}`)).length).toBeGreaterThanOrEqual(5);
  }, 180_000);
});
