// nginx configs and `.erb` templates (rendered per stage): which files are nginx's, each parsed
// with nginx's grammar (conf-parser.ts), includes spliced in (tree.ts), facts read (facts.ts).
import type { AnalyzerContext, NginxFacts, NginxFile, Problem, Stage } from "../../src/model.js";
import { parseConf } from "./conf-parser.js";
import { extract, toModel } from "./facts.js";
import { restoreTree, renderTemplate } from "./template.js";
import { loadTree, type TreeOptions } from "./tree.js";

/** Files that are never nginx config, whatever their folder. */
const NOT_NGINX = /\.(rb|ru|rake|ya?ml|json|js|mjs|cjs|ts|sh|bash|md|txt|html?|css|key|pem|crt|csr|p12|lock|example|sample|service|socket|plist|xml|ini|toml|env)$/i;
/** A `server {`, `http {` or `upstream name {` block: content only nginx writes. */
const NGINX_CONTENT = /^[ \t]*(?:server|http)[ \t]*\{|^[ \t]*upstream[ \t]+[^\s{]+[ \t]*\{/m;

/**
 * Whether a path may hold nginx config: under config/ (or nginx.conf at the root), not a known
 * other kind of file, and either named for nginx (nginx*.conf, config/nginx/, templates/*nginx*)
 * or a .conf / .erb / extension-less file whose content has nginx blocks.
 */
export function isNginxCandidate(path: string, text: () => string | null): boolean {
  if (path === "nginx.conf") return true;
  if (!path.startsWith("config/")) return false;
  const base = path.slice(path.lastIndexOf("/") + 1);
  const inner = base.replace(/\.erb$/, "");
  if (NOT_NGINX.test(inner)) return false;
  const t = text();
  if (t === null) return false;
  if (NGINX_CONTENT.test(t)) return true;
  // An nginx-named snippet (proxy params, ssl settings) has no blocks: it counts when it parses.
  return /nginx/i.test(path) && (/\.conf$/.test(inner) || path.includes("/nginx/")) && !parseConf(t).error;
}

export function analyzeNginx(ctx: AnalyzerContext, stages: Stage[]): NginxFacts {
  const seen = new Set<string>();
  // Problems of a template are the same for every stage; say each once.
  const problem = (p: Problem) => {
    const key = `${p.file}:${p.line}:${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    ctx.problem(p);
  };
  const textOf = (p: string) => {
    const r = ctx.repo.read(p);
    return "text" in r ? r.text : null;
  };
  const candidates = ctx.repo.paths.filter((p) => isNginxCandidate(p, () => textOf(p)));

  const files: NginxFile[] = [];
  const includedBy = new Map<string, string>();
  const plain: { file: string; tree: ReturnType<typeof loadTree> }[] = [];
  for (const file of candidates.filter((f) => !f.endsWith(".erb"))) {
    const tree = loadTree(ctx.repo, file, problem);
    for (const f of tree.files) if (f !== file) includedBy.set(f, file);
    plain.push({ file, tree });
  }
  // A file another one includes is read as part of it (listing it alone would count its servers twice).
  for (const { file, tree } of plain) {
    if (includedBy.has(file)) continue;
    files.push(nginxFile(file, null, tree.directives));
  }

  for (const file of candidates.filter((f) => f.endsWith(".erb"))) {
    const text = textOf(file);
    if (text === null) continue;
    for (const stage of stages.length ? stages : [null]) {
      const rendered = renderTemplate(file, text, stage, problem);
      const opts: TreeOptions = { entryText: rendered.text, entryLine: rendered.lineOf };
      const tree = loadTree(ctx.repo, file, problem, opts);
      const directives = restoreTree(tree.directives, rendered.refs, stage?.name ?? null, problem);
      files.push(nginxFile(file, stage?.name ?? null, directives));
    }
  }
  return { files };
}

function nginxFile(file: string, stage: string | null, directives: ReturnType<typeof loadTree>["directives"]): NginxFile {
  const { servers, upstreams } = extract(directives);
  return { file, stage, directives: toModel(directives), servers, upstreams };
}

export { parseConf } from "./conf-parser.js";
export { loadTree } from "./tree.js";
