// YAML files that Ruby reads after ERB (database.yml, sidekiq.yml, secrets.yml): the ERB is rendered
// with no Capistrano binding (on the server it runs in the app's process), so `ENV[...]` tags stay
// environment references; then the YAML is read by Psych's rules and the references put back.
import type { AnalyzerContext, RValue } from "../../src/model.js";
import { reportUnusable } from "../../src/model.js";
import { renderErb, restoreRefs } from "../ruby/erb.js";
import { loadRubyYaml, unusableYamlError } from "../ruby/yaml.js";

export interface ErbYaml {
  value: RValue;
  lineOf(path: (string | number)[]): number;
  /** `<% %>` code tags: the file may render differently from what we read. */
  hasLogic: boolean;
}

/** Reads a YAML file with ERB. Null when it cannot be read at all (reported as a problem). */
export function readErbYaml(ctx: AnalyzerContext, file: string): ErbYaml | null {
  const r = ctx.repo.read(file);
  if ("error" in r) {
    ctx.problem({ file, line: 0, message: r.error, severity: "warning" });
    return null;
  }
  return parseErbYaml(ctx, file, r.text);
}

export function parseErbYaml(ctx: AnalyzerContext, file: string, text: string): ErbYaml {
  const rendered = renderErb(file, text, {}, ctx.problem);
  const y = loadRubyYaml(rendered.output);
  for (const e of y.errors.slice(0, 3)) ctx.problem({ file, line: e.line, message: `YAML: ${e.message}`, severity: "error" });
  const bad = unusableYamlError(y);
  if (bad) reportUnusable(ctx, { file, line: bad.line, message: `YAML: ${bad.message}` });
  if (rendered.logic.length) {
    ctx.problem({ file, line: rendered.logic[0].line, message: "ERB code tags (<% %>): read as if they rendered nothing", severity: "warning" });
  }
  return { value: restoreRefs(y.value, rendered.refs), lineOf: y.lineOf, hasLogic: rendered.logic.length > 0 };
}
