// YAML files that Ruby reads after ERB (database.yml, sidekiq.yml, secrets.yml): the ERB is rendered
// with no Capistrano binding (on the server it runs in the app's process), so `ENV[...]` tags stay
// environment references; then the YAML is read by Psych's rules and the references put back.
import type { AnalyzerContext, RValue } from "../../src/model.js";
import { plainHash, reportUnusable } from "../../src/model.js";
import { renderErb, restoreRefs } from "../ruby/erb.js";
import { isRubyHash, loadRubyYaml, rubyToValue, setKey, unusableYamlError, type RubyYaml } from "../ruby/yaml.js";

export interface ErbYaml {
  value: RValue;
  lineOf(path: (string | number)[]): number;
  /** `<% %>` code tags: the file may render differently from what we read. */
  hasLogic: boolean;
  /**
   * Set only where a top-level key is a Symbol (`:shared:`): the top-level entries whose key is a
   * String, as code that looks names up as Strings (config_for before Rails 6.1) sees the file.
   */
  stringTop?: { [k: string]: RValue };
}

/** Reads a YAML file with ERB. Null when it cannot be read at all (reported as a problem). */
export function readErbYaml(ctx: AnalyzerContext, file: string, opts: StrictYaml = {}): ErbYaml | null {
  const r = ctx.repo.read(file);
  if ("error" in r) {
    ctx.problem({ file, line: 0, message: r.error, severity: "warning" });
    return null;
  }
  return parseErbYaml(ctx, file, r.text, opts);
}

/**
 * strict: a file whose every value is carried into the output (a worker layout, deploy settings): on
 * a parse error the library's partial recovery is not what the app read, so it is unusable input.
 */
export interface StrictYaml {
  strict?: boolean;
}

export function parseErbYaml(ctx: AnalyzerContext, file: string, text: string, opts: StrictYaml = {}): ErbYaml {
  const rendered = renderErb(file, text, {}, ctx.problem);
  const y = loadRubyYaml(rendered.output);
  for (const e of y.errors.slice(0, 3)) ctx.problem({ file, line: e.line, message: `YAML: ${e.message}`, severity: "error" });
  const bad = unusableYamlError(y) ?? (opts.strict ? y.errors[0] : undefined);
  if (bad) reportUnusable(ctx, { file, line: bad.line, message: `YAML: ${bad.message}` });
  if (rendered.logic.length) {
    ctx.problem({ file, line: rendered.logic[0].line, message: "ERB code tags (<% %>): read as if they rendered nothing", severity: "warning" });
  }
  const stringTop = stringKeyedTop(y, rendered.refs);
  return { value: restoreRefs(y.value, rendered.refs), lineOf: y.lineOf, hasLogic: rendered.logic.length > 0, ...(stringTop ? { stringTop } : {}) };
}

/** The top level's String-keyed entries, where some top-level key is a Symbol; null otherwise. */
function stringKeyedTop(y: RubyYaml, refs: Map<string, RValue>): { [k: string]: RValue } | null {
  if (!isRubyHash(y.ruby)) return null;
  const entries = [...y.ruby.entries.values()];
  if (!entries.some((e) => e.key !== null && typeof e.key === "object" && "sym" in e.key)) return null;
  const out: { [k: string]: RValue } = {};
  for (const e of entries) if (typeof e.key === "string") setKey(out, e.key, restoreRefs(rubyToValue(e.value), refs));
  return plainHash(out);
}
