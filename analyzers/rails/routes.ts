// Health check routes, for probe paths: config/routes.rb read with Prism (`get "up" =>
// "rails/health#show"`, `get "/health", to: "health#show"`, inside `scope`/`namespace` blocks),
// and the health-check gems that mount their own routes.
import type { AnalyzerContext, Fact } from "../../src/model.js";
import { parseRuby, kind, argsOf, statementsOf, literalName, type ParsedRuby } from "../ruby/prism.js";
import { evaluate, isSym } from "../ruby/evaluate.js";
import { hasPath } from "../../src/model.js";

/** Paths that answer a load balancer by convention. */
const HEALTH_PATH = /^\/(up|health|healthz|healthcheck|health_check|health-check|_health|ping|status|alive|livez|readyz|ready|heartbeat|lbcheck)$/i;
/** Controllers that exist to answer health checks. */
const HEALTH_TARGET = /(^|\/)(rails\/health|health|healthcheck|health_check|heartbeat|ping|status)#/i;
/** Gems that serve a health endpoint themselves, and where it is by default. */
const HEALTH_GEMS: Record<string, string> = { okcomputer: "/okcomputer", health_check: "/health_check", "rails-healthcheck": "/healthcheck", "health-monitor-rails": "/check" };

export function readHealthPaths(ctx: AnalyzerContext, gems: Record<string, Fact<string>>): Fact<string>[] {
  const out: Fact<string>[] = [];
  const add = (f: Fact<string>) => {
    if (!out.some((x) => x.value === f.value)) out.push(f);
  };
  const file = "config/routes.rb";
  if (hasPath(ctx.repo, file)) {
    const r = ctx.repo.read(file);
    if ("error" in r) ctx.problem({ file, line: 0, message: r.error, severity: "warning" });
    else {
      const p = parseRuby(file, r.text);
      if (p.errors.length) ctx.problem({ file, line: p.errors[0].line, message: `Ruby syntax error: ${p.errors[0].message}`, severity: "error" });
      walk(statementsOf(p.root), "", p, add);
    }
  }
  for (const [gem, path] of Object.entries(HEALTH_GEMS)) if (gems[gem]) add({ value: path, source: gems[gem].source });
  return out;
}

const join = (prefix: string, path: string) => {
  const p = `${prefix}/${path}`.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  return p.startsWith("/") ? p : `/${p}`;
};

function walk(nodes: any[], prefix: string, p: ParsedRuby, add: (f: Fact<string>) => void): void {
  for (const node of nodes) {
    if (kind(node) !== "CallNode") continue;
    const args = argsOf(node);
    const body = node.block && kind(node.block) === "BlockNode" ? statementsOf(node.block.body) : null;
    const opts = optionsOf(args, p);
    switch (node.name) {
      case "get":
      case "match": {
        const route = routeOf(args, opts, p);
        if (route && (HEALTH_PATH.test(join("", route.path)) || (route.to && HEALTH_TARGET.test(route.to)))) add({ value: join(prefix, route.path), source: p.sourceOf(node) });
        break;
      }
      case "mount": {
        // `mount OkComputer::Engine, at: "/ok"`, `mount X => "/health"`
        const to = typeof opts.at === "string" ? opts.at : null;
        const engine = args.length ? p.textOf(args[0]) : "";
        const hash = args.find((a: any) => kind(a) === "KeywordHashNode");
        const arrow = hash?.elements?.find((e: any) => kind(e) === "AssocNode" && kind(e.key) !== "SymbolNode");
        const at = to ?? (arrow ? literalName(arrow.value) : null);
        const name = arrow ? p.textOf(arrow.key) : engine;
        if (at && (/health|okcomputer|ping/i.test(name) || HEALTH_PATH.test(join("", at)))) add({ value: join(prefix, at), source: p.sourceOf(node) });
        break;
      }
      case "health_check_routes":
        add({ value: join(prefix, "health_check"), source: p.sourceOf(node) });
        break;
      case "namespace": {
        const ns = args.length ? literalName(args[0]) : null;
        const path = typeof opts.path === "string" ? opts.path : ns;
        if (body) walk(body, path ? join(prefix, path) : prefix, p, add);
        continue;
      }
      case "scope": {
        const first = args.length && kind(args[0]) !== "KeywordHashNode" ? literalName(args[0]) : null;
        const path = typeof opts.path === "string" ? opts.path : first;
        if (body) walk(body, path ? join(prefix, path) : prefix, p, add);
        continue;
      }
      default:
        break;
    }
    // draw, constraints, defaults, controller, resources...: keep the prefix we know.
    if (body && node.name !== "resources" && node.name !== "resource") walk(body, prefix, p, add);
  }
}

function optionsOf(args: any[], p: ParsedRuby): Record<string, unknown> {
  const last = args[args.length - 1];
  if (!last || kind(last) !== "KeywordHashNode") return {};
  const out: Record<string, unknown> = {};
  for (const el of last.elements ?? []) {
    if (kind(el) !== "AssocNode" || kind(el.key) !== "SymbolNode") continue;
    const v = evaluate(el.value, p);
    out[el.key.unescaped.value] = isSym(v) ? v.sym : v;
  }
  return out;
}

/** The path and target of `get "x" => "c#a"`, `get "x", to: "c#a"`, `get :x`. */
function routeOf(args: any[], opts: Record<string, unknown>, p: ParsedRuby): { path: string; to: string | null } | null {
  const first = args[0];
  if (!first) return null;
  if (kind(first) === "KeywordHashNode") {
    const arrow = first.elements?.find((e: any) => kind(e) === "AssocNode" && kind(e.key) === "StringNode");
    if (!arrow) return null;
    const v = evaluate(arrow.value, p);
    return { path: arrow.key.unescaped.value, to: typeof v === "string" ? v : null };
  }
  const path = literalName(first);
  if (path === null) return null;
  const to = typeof opts.to === "string" ? opts.to : typeof opts.controller === "string" ? `${opts.controller}#${opts.action ?? ""}` : null;
  return { path, to };
}


