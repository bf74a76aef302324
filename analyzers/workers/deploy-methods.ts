// Service restarts written once in a deploy file's own method and called with literal names
// (`def reload_or_start(service) … execute "sudo systemctl restart #{service}" … end`, then
// `reload_or_start('app-jobs')` under `on roles(:worker)`). Each call is read as the lines of the
// method with its parameters filled in, at the call's line and under the call's roles, so every unit
// the deploy restarts is seen by name; the method's own lines (a name from a variable) are covered by
// the calls, when every call of the method passes literals.
import type { AnalyzerContext, Source } from "../../src/model.js";
import { DEPLOY_FILE } from "../appserver/started.js";
import { argsOf, kind, parseRuby, childrenOf } from "../ruby/prism.js";
import { INIT_SYSTEM_WORD } from "../../src/model/service-managers.js";

export interface MethodStart {
  /** The method's line with the call's literals in place of its parameters. */
  text: string;
  /** The call. */
  source: Source;
  /** The method's line. */
  via: Source;
  method: string;
  /** `on roles(:x)` / `on primary(:x)` around the call; null when none or not literal. */
  on: OnRoles | null;
}

export interface OnRoles {
  roles: string[];
  /** `primary(:x)`: the first server of the role only. */
  primary: boolean;
  source: Source;
}

/** Service-start lines reached through a method called with literals, and the method lines they cover ("file:line"); `word`: the lines looked at (an init system named, by default; monit-checks.ts asks for monit's). */
export function methodStarts(ctx: AnalyzerContext, word: RegExp = INIT_SYSTEM_WORD): { starts: MethodStart[]; covered: Set<string>; direct: MethodStart[] } {
  const starts: MethodStart[] = [];
  const direct: MethodStart[] = [];
  const covered = new Set<string>();
  for (const file of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !word.test(r.text)) continue;
    const parsed = parseRuby(file, r.text);
    if (parsed.errors.length) continue;
    const lines = r.text.split(/\r?\n/);
    const defs = new Map<string, { params: string[]; body: { line: number; text: string }[]; source: Source }>();
    const calls: { node: any; ancestors: any[] }[] = [];
    const walk = (node: any, ancestors: any[]) => {
      if (kind(node) === "DefNode" && !node.receiver) {
        const p = node.parameters;
        const simple = !p || (!p.optionals?.length && !p.rest && !p.posts?.length && !p.keywords?.length && !p.keywordRest && !p.block);
        const params: string[] = (p?.requireds ?? []).map((x: any) => (kind(x) === "RequiredParameterNode" ? String(x.name) : ""));
        if (simple && params.length && params.every(Boolean)) {
          const first = parsed.lineOf(node.location.startOffset);
          const last = parsed.lineOf(node.location.startOffset + node.location.length - 1);
          const body: { line: number; text: string }[] = [];
          for (let l = first + 1; l < last; l++) {
            const t = lines[l - 1] ?? "";
            if (!/^\s*#/.test(t) && word.test(t) && params.some((x) => usesParam(t, x))) body.push({ line: l, text: t });
          }
          if (body.length) defs.set(String(node.name), { params, body, source: { file, line: first } });
        }
      }
      if (kind(node) === "CallNode" && !node.receiver) calls.push({ node, ancestors });
      if (kind(node) === "CallNode" && !node.receiver && RUNS.has(String(node.name)) && word.test(parsed.textOf(node)))
        direct.push({ text: parsed.textOf(node).replace(/\s+/g, " "), source: parsed.sourceOf(node), via: parsed.sourceOf(node), method: "", on: onRoles(ancestors, parsed.sourceOf.bind(parsed)) });
      const kids: any[] = childrenOf(node);
      for (const k of kids) walk(k, [...ancestors, node]);
    };
    walk(parsed.root, []);
    for (const [name, d] of defs) {
      const mine = calls.filter((c) => String(c.node.name) === name);
      const literal = mine.map((c) => {
        const args = argsOf(c.node);
        const values = args.map((a: any) => (kind(a) === "StringNode" || kind(a) === "SymbolNode" ? (a.unescaped?.value as string) : null));
        return values.length === d.params.length && values.every((v: string | null) => v !== null && /^[\w@.:-]+$/.test(v)) ? values as string[] : null;
      });
      // A call with a name from elsewhere leaves the method's lines as they are (named through a variable).
      if (!mine.length || literal.some((v) => v === null)) continue;
      for (const b of d.body) covered.add(`${file}:${b.line}`);
      mine.forEach((c, i) => {
        const values = literal[i]!;
        for (const b of d.body) {
          let text = b.text;
          d.params.forEach((p, j) => (text = fill(text, p, values[j]!)));
          starts.push({ text, source: parsed.sourceOf(c.node), via: { file, line: b.line }, method: name, on: onRoles(c.ancestors, parsed.sourceOf.bind(parsed)) });
        }
      });
    }
  }
  return { starts, covered, direct };
}

/** SSHKit calls that run a command on the servers. */
const RUNS = new Set(["execute", "sudo", "run", "test"]);

/**
 * Where the deploy restarts a unit (by name, as startedUnits reads a line): the roles around the
 * restart, through a method or written directly. Null when no restart of it is found or its roles
 * are not literal; several restarts must agree.
 */
export function unitPlacement(ctx: AnalyzerContext, unit: string, units: (text: string) => string[]): OnRoles | null {
  const ons = unitRestarts(ctx, unit, units).map((x) => x.on);
  if (!ons.length || ons.some((o) => !o)) return null;
  const key = (o: OnRoles) => JSON.stringify([o.roles, o.primary]);
  return ons.every((o) => key(o!) === key(ons[0]!)) ? ons[0]! : null;
}

/** The deploy's restarts of a unit by its name, through a method or written directly. */
export function unitRestarts(ctx: AnalyzerContext, unit: string, units: (text: string) => string[]): MethodStart[] {
  const m = methodStarts(ctx);
  return [...m.starts, ...m.direct].filter((x) => units(x.text.replace(/[:'",()]/g, " ").replace(/\s+/g, " ")).some((u) => u.replace(/\.(service|socket|target|timer)$/, "") === unit));
}

/** A repo file that defines the service: its unit, upstart job or init script. */
export function serviceFileOf(ctx: AnalyzerContext, unit: string): string | null {
  const base = (p: string) => p.replace(/^.*\//, "").replace(/\.erb$/, "");
  return ctx.repo.paths.find((p) => [`${unit}.service`, `${unit}.conf`].includes(base(p)) || new RegExp(`(^|/)(init\\.d|upstart|systemd)/${esc(unit)}$`).test(p)) ?? null;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const usesParam = (t: string, p: string) => new RegExp(`#\\{\\s*${esc(p)}\\s*\\}|(^|[\\s,(])${esc(p)}(?=[\\s,)]|$)`).test(t);
/** The parameter's uses in a line (`#{p}` in a string, `p` as an argument) replaced by the literal. */
const fill = (t: string, p: string, v: string) => t.replace(new RegExp(`#\\{\\s*${esc(p)}\\s*\\}`, "g"), v).replace(new RegExp(`(^|[\\s,(])${esc(p)}(?=[\\s,)]|$)`, "g"), `$1"${v}"`);

/** The innermost `on roles(:x, …)` / `on primary(:x)` around a call. */
export function onRoles(ancestors: any[], sourceOf: (n: any) => Source): OnRoles | null {
  for (const a of [...ancestors].reverse()) {
    if (kind(a) !== "CallNode" || a.name !== "on" || a.receiver) continue;
    const arg = argsOf(a)[0];
    if (kind(arg) !== "CallNode" || arg.receiver || !["roles", "primary"].includes(arg.name)) return null;
    const names = argsOf(arg).map((x: any) => (kind(x) === "SymbolNode" || kind(x) === "StringNode" ? (x.unescaped?.value as string) : null));
    if (!names.length || !names.every((x: string | null) => !!x)) return null;
    return { roles: names as string[], primary: arg.name === "primary", source: sourceOf(a) };
  }
  return null;
}
