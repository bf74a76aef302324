// The Unicorn config a Mina deploy renders from its own template folder (the mina-stack layout:
// lib/mina/templates, `set_default :config_templates_path, "lib/mina/templates"`). Its helpers are
// read from their own text: `def parse_template(file)` returning `erb("#{<var>}/#{file}.erb")` (Mina's
// `erb` renders a file with the deploy's variables as bare names), and `def upload_template(desc,
// tpl, destination)` that writes parse_template(tpl) to the destination. A task calling
// `upload_template "...", "unicorn.rb", "<dest>"` renders <var>/unicorn.rb.erb with each stage's
// variables; when <dest> is the stage's `unicorn_config`, the path the deploy's Unicorn script
// starts with (`-c <unicorn_config>`), that rendering is the stage's config. Helpers written another
// way are not followed (nothing read, no guess).
import type { AnalyzerContext, AppServerConfig, Stage } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { isKnown, rubyToS } from "../ruby/evaluate.js";
import { renderedUnicornTemplate } from "./nginx-unicorn-cap2.js";

const MINA_RUBY = /^(?:config\/deploy\.rb|config\/deploy\/.+\.rb|lib\/mina\/.+\.rb)$/;

interface MinaRender {
  /** The variable naming the template folder. */
  folderVar: string;
  /** The destination as written, with `#{name}` interpolations of deploy variables. */
  destination: string;
  source: { file: string; line: number };
}

/** The mina-stack helpers and the call that uploads unicorn.rb, or null when the repo has no such shape. */
function minaUnicornRender(ctx: AnalyzerContext): MinaRender | null {
  const texts = ctx.repo.paths.filter((p) => MINA_RUBY.test(p)).sort().flatMap((file) => {
    const r = ctx.repo.read(file);
    return "text" in r ? [{ file, text: r.text }] : [];
  });
  let parse: { name: string; folderVar: string } | null = null;
  for (const { text } of texts) {
    const m = /^[ \t]*def\s+(\w+)\s*\(\s*(\w+)\s*\)\s*\n\s*erb\(\s*"#\{(\w+)\}\/#\{(\w+)\}\.erb"\s*\)/m.exec(text);
    if (m && m[2] === m[4]) parse = { name: m[1]!, folderVar: m[3]! };
  }
  if (!parse) return null;
  let upload: string | null = null;
  for (const { text } of texts)
    for (const m of text.matchAll(/^([ \t]*)def\s+(\w+)\s*\(\s*\w+\s*,\s*(\w+)\s*,\s*\w+\s*\)\s*\n([\s\S]*?)^\1end\b/gm))
      if (new RegExp(`\\b${parse.name}\\(\\s*${m[3]}\\s*\\)`).test(m[4]!)) upload = m[2]!;
  if (!upload) return null;
  // The Unicorn start must name unicorn_config (`-c <%= unicorn_config %>`, `CONFIG="<%= unicorn_config %>"`, `-c #{unicorn_config}`).
  const startsWithConfig = /(?:-c\s+|CONFIG=)["']?(?:<%=\s*unicorn_config!?\s*%>|#\{unicorn_config!?\})/;
  const starts = ctx.repo.paths.filter((p) => MINA_RUBY.test(p) || /^lib\/mina\/.+\.erb$/.test(p)).some((p) => {
    const r = ctx.repo.read(p);
    return "text" in r && startsWithConfig.test(r.text);
  });
  if (!starts) return null;
  for (const { file, text } of texts) {
    const lines = text.split("\n");
    const call = new RegExp(`^\\s*${upload}\\s*\\(?\\s*(['"])[^'"]*\\1\\s*,\\s*(['"])unicorn\\.rb\\2\\s*,\\s*"([^"]*)"`);
    const i = lines.findIndex((l) => call.test(l));
    if (i >= 0) return { folderVar: parse.folderVar, destination: call.exec(lines[i]!)![3]!, source: { file, line: i + 1 } };
  }
  return null;
}

const word = (st: Stage, name: string): string | null => {
  const v = st.variables[name]?.value;
  return v === undefined || v === null || !isKnown(v) ? null : rubyToS(v);
};

/** One config per group of stages rendering the same; empty when the shape is absent or a stage's values are not known. */
export function minaTemplateConfigs(ctx: AnalyzerContext, stages: Stage[]): AppServerConfig[] {
  const render = minaUnicornRender(ctx);
  if (!render) return [];
  const own: AppServerConfig[] = [];
  const key = (c: AppServerConfig) => JSON.stringify({ ...c, stages: [], env: null });
  for (const st of stages) {
    const folder = word(st, render.folderVar)?.replace(/^\.\//, "").replace(/\/+$/, "");
    const template = folder ? `${folder}/unicorn.rb.erb` : null;
    let unknownName = false;
    const dest = render.destination.replace(/#\{(\w+)\}/g, (_, n: string) => word(st, n) ?? ((unknownName = true), ""));
    const started = word(st, "unicorn_config");
    if (!template || !hasPath(ctx.repo, template) || unknownName || dest !== started) continue;
    const read = ctx.repo.read(template);
    if (!("text" in read)) continue;
    const cfg = renderedUnicornTemplate(ctx, st, template, read.text, dest);
    cfg.renderedBy = { value: `${render.source.file}:${render.source.line} renders ${template} to ${dest}, the unicorn_config the deploy's Unicorn script starts with (-c); rendered when that task runs (mina setup), not on each deploy`, source: render.source };
    const same = own.find((o) => key(o) === key(cfg));
    if (same) same.stages.push(st.name);
    else own.push(cfg);
  }
  return own;
}
