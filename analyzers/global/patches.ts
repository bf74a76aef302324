// An app that reopens the global gem (redefines how it loads files, merges extra overlays) gets
// values this analysis, which follows the stock gem, does not compute. Said by name, with the
// git-ignored files under the Global directory such a patch may read on the servers.
import type { AnalyzerContext } from "../../src/model.js";
import { parseRuby, kind, statementsOf, childrenOf } from "../ruby/prism.js";
import { setupFiles } from "./setup.js";

/** Calls that change a module's methods when made on one of Global's constants. */
const PATCHING_CALLS = new Set(["class_eval", "module_eval", "class_exec", "module_exec", "instance_eval", "prepend", "include", "extend", "define_method", "define_singleton_method", "alias_method", "remove_method", "undef_method"]);

const constName = (node: any): string | null => {
  if (!node) return null;
  if (kind(node) === "ConstantReadNode") return node.name;
  if (kind(node) === "ConstantPathNode") {
    const parent = node.parent ? constName(node.parent) : "";
    return parent === null ? null : parent ? `${parent}::${node.name}` : node.name;
  }
  return null;
};
const isGlobalName = (name: string | null) => name !== null && /^(::)?Global(::|$)/.test(name);

export function reportGlobalPatches(ctx: AnalyzerContext, dir: string): void {
  let ignored: string[] | null = null;
  for (const file of setupFiles(ctx.repo.paths)) {
    const r = ctx.repo.read(file);
    if ("error" in r || !/\bGlobal\b/.test(r.text)) continue;
    const parsed = parseRuby(file, r.text);
    const found: { line: number; what: string }[] = [];
    const visit = (node: any, inGlobal: string | null): void => {
      if (!node || typeof node !== "object") return;
      const k = kind(node);
      if (k === "ModuleNode" || k === "ClassNode") {
        const own = constName(node.constantPath);
        const name = own === null ? null : inGlobal ? `${inGlobal}::${own}` : own;
        const scope = isGlobalName(name) ? name : inGlobal;
        for (const s of statementsOf(node.body)) visit(s, scope);
        return;
      }
      if (inGlobal && (k === "DefNode" || k === "AliasMethodNode")) {
        found.push({ line: parsed.sourceOf(node).line, what: `${inGlobal}${k === "DefNode" ? `#${node.name}` : " alias"}` });
        return;
      }
      if (k === "CallNode" && PATCHING_CALLS.has(node.name)) {
        const recv = node.receiver;
        // Global::Base.prepend(M), Global.singleton_class.class_eval { ... }, or a bare call inside `module Global`.
        const target = constName(recv) ?? (recv && kind(recv) === "CallNode" && recv.name === "singleton_class" ? constName(recv.receiver) : null) ?? (recv ? null : inGlobal);
        if (isGlobalName(target)) {
          found.push({ line: parsed.sourceOf(node).line, what: `${target}.${node.name}` });
          return;
        }
      }
      const kids: any[] = childrenOf(node);
      for (const c of kids) visit(c, inGlobal);
    };
    visit(parsed.root, null);
    if (!found.length) continue;
    ignored ??= ignoredUnder(ctx, dir);
    const what = [...new Set(found.map((f) => f.what))].slice(0, 4).join(", ");
    ctx.problem({
      file,
      line: found[0].line,
      message:
        `this file changes the global gem itself (${what}): the Global values here follow the stock gem's rules, so what the app loads on the servers may differ; check what the patch reads` +
        (ignored.length ? `, and collect from a server the git-ignored files it may merge: ${ignored.join(", ")}` : ""),
      severity: "warning",
    });
  }
}

/** .gitignore patterns that can match files in the Global directory, as paths from the repo root. */
function ignoredUnder(ctx: AnalyzerContext, dir: string): string[] {
  const out: string[] = [];
  const gitignores = ctx.repo.paths.filter((p) => p === ".gitignore" || p === "config/.gitignore" || (p.startsWith(`${dir}/`) && p.endsWith("/.gitignore")));
  for (const g of gitignores) {
    const r = ctx.repo.read(g);
    if ("error" in r) continue;
    const base = g.includes("/") ? g.slice(0, g.lastIndexOf("/")) : "";
    r.text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith("#") || line.startsWith("!")) return;
      // git: a slash at the start or in the middle anchors the pattern to the .gitignore's folder;
      // otherwise (a leading `**/` too) it matches at any depth.
      const body = line.replace(/\/$/, "").replace(/^\*\*\//, "");
      const rel = body.replace(/^\//, "");
      let shown: string | null = null;
      if (body.includes("/")) {
        const full = base ? `${base}/${rel}` : rel;
        if (full === dir || full.startsWith(`${dir}/`) || full.startsWith(`${dir}.`)) shown = full;
      } else if (base === dir || base.startsWith(`${dir}/`)) shown = `${base}/**/${rel}`;
      // Elsewhere it counts when it names YAML or "local" files that Dir["*"] lists (not hidden ones).
      else if (/\.ya?ml\b|local/i.test(rel) && !rel.startsWith(".")) shown = `${dir}/**/${rel}`;
      if (shown) out.push(`${shown} (${g}:${i + 1})`);
    });
  }
  return out;
}
