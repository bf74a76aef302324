// config/application.rb: the application module (`module Shop; class Application <
// Rails::Application`) and `config.time_zone`, also looked for in initializers, where teams move it.
import type { AnalyzerContext, Fact } from "../../src/model.js";
import { parseRuby, kind, argsOf, statementsOf, type ParsedRuby } from "../ruby/prism.js";
import { evaluate } from "../ruby/evaluate.js";
import { hasPath } from "../../src/model.js";

export interface ApplicationFacts {
  appModule: Fact<string> | null;
  timeZone: Fact<string> | null;
}

export function readApplication(ctx: AnalyzerContext): ApplicationFacts {
  const out: ApplicationFacts = { appModule: null, timeZone: null };
  const files = ["config/application.rb", ...ctx.repo.paths.filter((p) => /^config\/initializers\/[^/]+\.rb$/.test(p))];
  for (const file of files) {
    if (!hasPath(ctx.repo, file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r) {
      ctx.problem({ file, line: 0, message: r.error, severity: "warning" });
      continue;
    }
    const parsed = parseRuby(file, r.text);
    if (parsed.errors.length && file === "config/application.rb") {
      ctx.problem({ file, line: parsed.errors[0].line, message: `Ruby syntax error: ${parsed.errors[0].message}`, severity: "error" });
    }
    visit(parsed.root, [], parsed, out, ctx);
  }
  return out;
}

const constName = (node: any): string | null => {
  if (kind(node) === "ConstantReadNode") return node.name;
  if (kind(node) === "ConstantPathNode") {
    const parent = node.parent ? constName(node.parent) : "";
    return parent === null ? null : parent ? `${parent}::${node.name}` : node.name;
  }
  return null;
};

function visit(node: any, modules: string[], p: ParsedRuby, out: ApplicationFacts, ctx: AnalyzerContext): void {
  if (!node) return;
  switch (kind(node)) {
    case "ProgramNode":
    case "StatementsNode":
    case "BeginNode":
      for (const s of statementsOf(node)) visit(s, modules, p, out, ctx);
      return;
    case "ModuleNode": {
      const name = constName(node.constantPath);
      for (const s of statementsOf(node.body)) visit(s, name ? [...modules, name] : modules, p, out, ctx);
      return;
    }
    case "ClassNode": {
      const name = constName(node.constantPath) ?? "";
      const sup = constName(node.superclass);
      if (!out.appModule && sup && /^(::)?Rails::Application$/.test(sup)) {
        // `class Shop::Application` names the module in the class path itself.
        const full = [...modules, name].join("::").split("::");
        const mod = full.length > 1 ? full.slice(0, -1).join("::") : null;
        if (mod) out.appModule = { value: mod, source: p.sourceOf(node) };
      }
      for (const s of statementsOf(node.body)) visit(s, [...modules, name], p, out, ctx);
      return;
    }
    case "CallNode": {
      if (node.name === "time_zone=" && isConfig(node.receiver) && !out.timeZone) {
        const v = evaluate(argsOf(node)[0], p);
        if (typeof v === "string") out.timeZone = { value: v, source: p.sourceOf(node) };
        else ctx.problem({ file: p.file, line: p.sourceOf(node).line, message: "config.time_zone is not a plain string: not read", severity: "warning" });
        return;
      }
      // Blocks: `Rails.application.configure do ... end`, `configure do`.
      if (node.block && kind(node.block) === "BlockNode") for (const s of statementsOf(node.block.body)) visit(s, modules, p, out, ctx);
      return;
    }
    default:
      return;
  }
}

/** `config`, `Rails.application.config`, `Rails.configuration`. */
function isConfig(node: any): boolean {
  if (kind(node) !== "CallNode") return false;
  if (node.name === "config" && !node.receiver) return true;
  if (node.name === "config" || node.name === "configuration") return kind(node.receiver) === "CallNode" || constName(node.receiver) === "Rails";
  return false;
}
