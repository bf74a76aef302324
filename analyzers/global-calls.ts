// `Global.<namespace>...` call sites in the app's Ruby (app/, lib/, config/), found with Prism so
// strings, comments and look-alikes (`MyGlobal.x`, `Foo::Global.x`) are never touched. The
// codemod emitter rewrites them to Rails.configuration.x.
import type { AnalyzerContext, GlobalCallSite, GlobalFacts } from "../src/model.js";
import { parseRuby, kind } from "./ruby/prism.js";

const ROOTS = ["app/", "lib/", "config/"];
/** Global's own module methods: not namespace reads. */
const GLOBAL_METHODS = new Set(["configure", "configuration", "reload!", "environment", "environment=", "config_directory", "config_directory=", "backend", "backends", "yaml_whitelist_classes", "load_configuration", "respond_to?", "method_missing", "inspect", "to_s", "class"]);
/** Global's methods that read a namespace some other way than by its name as a method. */
const MANUAL_READS = new Set(["configuration", "[]", "send", "public_send", "fetch", "dig", "to_hash", "to_h"]);
/** Files that configure Global or are ours: left alone. */
const SKIP = [/^config\/deploy/, /^lib\/capistrano\//, /^config\/initializers\/global\.rb$/, /^config\/initializers\/(00_)?rails2k8s_config\.rb$/, /^lib\/tasks\/rails2k8s\.rake$/];

export function findGlobalCalls(ctx: AnalyzerContext): GlobalCallSite[] {
  const out: GlobalCallSite[] = [];
  for (const path of ctx.repo.paths) {
    if (!ROOTS.some((r) => path.startsWith(r)) || SKIP.some((re) => re.test(path))) continue;
    if (/\.(erb|haml|slim)$/.test(path)) {
      // Templates are not rewritten (no Ruby parser for Haml/Slim; ERB edits need care): listed.
      const read = ctx.repo.read(path);
      if (!("text" in read) || !read.text.includes("Global")) continue;
      read.text.split("\n").forEach((l, i) => {
        const m = /(?<![\w:])(?:::)?Global\s*(?:\.\s*\w+|\[)[^\s%}'"]*/.exec(l);
        if (m) out.push({ file: path, line: i + 1, offset: -1, length: 0, expr: shorten(m[0]), manual: true });
      });
      continue;
    }
    if (!/\.(rb|rake)$/.test(path)) continue;
    const read = ctx.repo.read(path);
    if (!("text" in read) || !(read.text.includes("Global") || read.text.includes("configuration.x"))) continue;
    const parsed = parseRuby(path, read.text);
    // A file Prism cannot parse is not rewritten: a codemod must never guess.
    if (parsed.errors.length) continue;
    visit(parsed.root, (node) => {
      if (kind(node) !== "CallNode" || !node.receiver) return;
      const r = node.receiver;
      if (isConfigX(r)) {
        out.push({ file: path, line: parsed.lineOf(r.location.startOffset), offset: r.location.startOffset, length: r.location.length, expr: shorten(parsed.textOf(node)), converted: true });
        return;
      }
      const isGlobal = (kind(r) === "ConstantReadNode" && r.name === "Global") || (kind(r) === "ConstantPathNode" && r.parent == null && r.name === "Global");
      if (!isGlobal) return;
      // Reads the codemod cannot rewrite by name (`Global.configuration.x`, `Global[:x]`, `Global.send(:x)`): listed.
      if (MANUAL_READS.has(node.name)) {
        out.push({ file: path, line: parsed.lineOf(r.location.startOffset), offset: r.location.startOffset, length: r.location.length, expr: shorten(parsed.textOf(node)), manual: true });
        return;
      }
      if (GLOBAL_METHODS.has(node.name) || node.name === "[]") return;
      out.push({ file: path, line: parsed.lineOf(r.location.startOffset), offset: r.location.startOffset, length: r.location.length, expr: shorten(parsed.textOf(node)) });
    });
  }
  return out;
}

/**
 * Call sites whose namespace no file of the configuration defines (`Global.admin.family_id` after
 * config/global/admin.yml was deleted): Global raises NoMethodError there today, while after the
 * switch `Rails.configuration.x.admin` is an empty set of options and the read is silently nil.
 * One warning per call site.
 */
export function staleNamespaceCalls(ctx: AnalyzerContext, calls: GlobalCallSite[], global: GlobalFacts): void {
  // No namespace at all: the files live on the servers only, which the analysis says once.
  if (global.namespaces.length === 0) return;
  const known = new Set(global.namespaces.map((ns) => ns.name.split(".")[0]));
  for (const c of calls) {
    if (c.manual || c.converted) continue;
    const m = /^(?:::)?Global\s*\.\s*(\w+)(?![\w?!=])/.exec(c.expr);
    if (!m || known.has(m[1]!)) continue;
    ctx.problem({ file: c.file, line: c.line, message: `Global.${m[1]} is read here, but no file of ${global.dir} defines a namespace ${m[1]} (Global raises NoMethodError here today); after the switch to config_for, Rails.configuration.x.${m[1]} is empty and this read silently gives nil: remove the call or add the settings`, severity: "warning" });
  }
}

const shorten = (expr: string) => (expr.length > 120 ? expr.slice(0, 117) + "..." : expr);

/** `Rails.configuration.x` (or `::Rails...`), the receiver of a namespace read after the codemod. */
function isConfigX(n: any): boolean {
  if (kind(n) !== "CallNode" || n.name !== "x" || n.arguments || !n.receiver) return false;
  const c = n.receiver;
  if (kind(c) !== "CallNode" || c.name !== "configuration" || c.arguments || !c.receiver) return false;
  const r = c.receiver;
  return (kind(r) === "ConstantReadNode" && r.name === "Rails") || (kind(r) === "ConstantPathNode" && r.parent == null && r.name === "Rails");
}

function visit(node: any, fn: (n: any) => void): void {
  if (!node || typeof node !== "object") return;
  fn(node);
  for (const [key, v] of Object.entries(node)) {
    if (key === "location" || key.endsWith("Loc")) continue;
    if (Array.isArray(v)) for (const x of v) visit(x, fn);
    else if (v && typeof v === "object" && kind(v).endsWith("Node")) visit(v, fn);
  }
}
