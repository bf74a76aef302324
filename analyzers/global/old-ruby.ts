// Old global gems on a newer Ruby, by the gem's own code (railsware/global tags):
// - 0.x `load_from_file`: `File.exists?(...)` (removed in Ruby 3.2: NoMethodError on the first read)
//   and `YAML::load(ERB...)`. Psych 4 (Ruby 3.1's) made `load` safe: `permitted_classes: [Symbol],
//   aliases: false`, so a file with an alias raises Psych::BadAlias and one with a Date or Time
//   value Psych::DisallowedClass; other files load as before.
// - 1.0.0–2.0.0 `load_yml_file`: `YAML.safe_load(text, [Date, Time, DateTime, Symbol], [], true)`,
//   positional arguments Psych 4 no longer takes: ArgumentError on every file.
// - 2.1.0+ passes keywords on Psych 4.
// The app does not boot as configured on that Ruby, so values computed by the gem's rules are not
// what it runs with: unusable input (exit 2, nothing written), naming each file and what to change.
import { parseAllDocuments, visit, isAlias } from "yaml";
import type { AnalyzerContext, RailsFacts } from "../../src/model.js";
import { isDateValue, isTimeValue, reportUnusable } from "../../src/model.js";
import { isRubyHash, type RubyVal } from "../ruby/yaml.js";
import type { GlobalFile } from "./read-file.js";

const num = (s: string | undefined) => parseInt(s ?? "0", 10) || 0;

/** Psych's major version the app runs: a locked psych gem, else the one its Ruby ships (4 from 3.1). */
function psychMajor(rails: RailsFacts): number | null {
  const locked = rails.gems["psych"]?.value;
  if (locked) return num(locked);
  const ruby = rails.rubyVersion?.value;
  if (!ruby) return null;
  const [maj, min] = ruby.split(".").map(num);
  return maj > 3 || (maj === 3 && min >= 1) ? 4 : 3;
}

function rubyAtLeast(rails: RailsFacts, maj: number, min: number): boolean {
  const ruby = rails.rubyVersion?.value;
  if (!ruby) return false;
  const [a, b] = ruby.split(".").map(num);
  return a > maj || (a === maj && b >= min);
}

/** Said before any file is read: the whole gem fails on this Ruby. */
export function gemOnRuby(c: AnalyzerContext, gemVersion: string | null, rails: RailsFacts): void {
  if (!gemVersion) return;
  const [major, minor] = gemVersion.split(".").map(num);
  const lock = rails.gems["global"]?.source ?? { file: "Gemfile.lock", line: 0 };
  const ruby = rails.rubyVersion?.value;
  if (major === 0 && rubyAtLeast(rails, 3, 2)) {
    reportUnusable(c, { ...lock, message: `global ${gemVersion} calls File.exists?, which Ruby ${ruby} no longer has (removed in 3.2): Global raises NoMethodError on its first read, so the app does not run on this Ruby; upgrade global to 2.1 or later` });
    return;
  }
  const positional = major === 1 || (major === 2 && minor === 0);
  if (positional && psychMajor(rails) === 4) {
    reportUnusable(c, { ...lock, message: `global ${gemVersion} calls YAML.safe_load with positional arguments, which Psych 4 (Ruby ${ruby ?? "?"}) rejects: no Global file loads on this Ruby; upgrade global to 2.1 or later` });
  }
}

/** 0.x on Psych 4 (Ruby 3.1): each file with an alias or a Date/Time value, where it raises. */
export function filesOnPsych4(c: AnalyzerContext, gemVersion: string | null, rails: RailsFacts, files: GlobalFile[]): void {
  if (!gemVersion || num(gemVersion.split(".")[0]) !== 0 || rubyAtLeast(rails, 3, 2) || psychMajor(rails) !== 4) return;
  for (const f of files) {
    const r = c.repo.read(f.file);
    const alias = "text" in r ? firstAlias(r.text) : null;
    const dated = f.ruby === null ? null : firstDate(f.ruby);
    const why = [
      alias !== null ? `an alias (line ${alias}) raises Psych::BadAlias` : null,
      dated !== null ? `a Date/Time value (line ${dated}) raises Psych::DisallowedClass` : null,
    ].filter(Boolean);
    if (!why.length) continue;
    reportUnusable(c, {
      file: f.file,
      line: Math.min(...[alias, dated].filter((x): x is number => x !== null)),
      message: `global ${gemVersion} reads this file with YAML::load, which Psych 4 (Ruby ${rails.rubyVersion?.value ?? "?"}) makes safe: ${why.join(", ")}, so the app does not load it on this Ruby; upgrade global to 2.1 or later (or pin psych below 4)`,
    });
  }
}

/** The line of the first alias (`*name`, merge keys too) in a YAML text, ERB tags blanked. */
function firstAlias(text: string): number | null {
  if (!text.includes("*")) return null;
  // A tag's output is a scalar here; its newlines are kept so lines still count.
  const blanked = text.replace(/<%[\s\S]*?%>/g, (t) => "x" + t.replace(/[^\n]/g, ""));
  let at: number | null = null;
  for (const doc of parseAllDocuments(blanked, { uniqueKeys: false }) as any[]) {
    if (!doc || !doc.contents) continue;
    visit(doc, {
      Alias(_k, node) {
        if (at === null && isAlias(node) && node.range) at = node.range[0];
        return visit.BREAK;
      },
    });
    break; // Psych loads the first document
  }
  return at === null ? null : blanked.slice(0, at).split("\n").length;
}

/** The line of the first Date or Time value. */
function firstDate(v: RubyVal, line = 1): number | null {
  if (isDateValue(v) || isTimeValue(v)) return line;
  if (Array.isArray(v)) {
    for (const x of v) {
      const l = firstDate(x, line);
      if (l !== null) return l;
    }
  } else if (isRubyHash(v)) {
    for (const e of v.entries.values()) {
      if (isDateValue(e.key) || isTimeValue(e.key)) return e.line;
      const l = firstDate(e.value, e.line);
      if (l !== null) return l;
    }
  }
  return null;
}
