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
  return { value: restoreRefs(y.value, rendered.refs), lineOf: y.lineOf, hasLogic: rendered.logic.length > 0 };
}
