// Which server a config template the deploy renders configures (unicorn.rb.erb, puma.rb.erb...):
// the start evidence (started.ts) and the rendered configs (rendered-config.ts) ask it alike. It
// imports neither, so they do not import each other.
import type { AnalyzerContext } from "../../src/model.js";
import type { ServerKind } from "./files.js";

// A server config template by its name: unicorn.rb.erb, unicorn_production.rb.erb, puma.rb.erb, and
// the bare unicorn.erb / puma.erb of Capistrano 2 recipe folders (not unicorn_init.erb, monit_unicorn.erb),
// and a per-stage template of a repo helper (unicorn.rb.staging.erb, render-helpers.ts).
const TEMPLATE_KIND = /(?:^|\/)(?:[\w.-]*\b(unicorn|puma)[\w.-]*\.(?:rb|conf)(?:\.[\w-]+\.erb|\.erb)?|(unicorn|puma)\.erb)$/;

// A shell script or a unit file is no server config, whatever its name (`templates/unicorn_server.rb`
// holding an init script): its first line says so.
const NOT_RUBY = /^\s*(?:#!\s*\/(?!\S*\bruby\b)|\[(?:Unit|Service|Install)\]|### BEGIN INIT INFO)/;

/**
 * The server a rendered template configures, or null. Its name says which (TEMPLATE_KIND); a file
 * that is not ERB by its suffix counts only when the render helper renders it as ERB anyway: it
 * holds an ERB tag, or it lies in a templates/ folder beside the deploy's helpers (a repo's own
 * `template(from, to)` reading `templates/#{from}`), so a repo config such as config/unicorn.rb
 * that a helper's basename search happens to find is not taken for the rendering. A shell script
 * or unit is never a config.
 */
export function configTemplateKind(ctx: AnalyzerContext, template: string): ServerKind | null {
  const m = TEMPLATE_KIND.exec(template);
  if (!m) return null;
  const read = ctx.repo.read(template);
  const text = "text" in read ? read.text : "";
  if (NOT_RUBY.test(text)) return null;
  if (!/\.erb$/.test(template) && !/<%/.test(text) && !/(?:^|\/)templates\//.test(template)) return null;
  return (m[1] ?? m[2]) as ServerKind;
}
