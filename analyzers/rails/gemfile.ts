// The Gemfile, read statically with Prism: the `ruby` line, which groups each gem belongs to, and
// where gems come from (git/github/path options, `source`, `git`/`path` blocks). The DSL is
// Bundler's (bundler/lib/bundler/dsl.rb); what we cannot follow (eval_gemfile of another file,
// loops) is skipped, never run.
import type { AnalyzerContext, Fact, Source } from "../../src/model.js";
import { parseRuby, kind, argsOf, statementsOf, literalName, type ParsedRuby } from "../ruby/prism.js";
import { evaluate, isSym, isHash } from "../ruby/evaluate.js";

export interface GemfileFacts {
  /** `ruby "3.1.4"`: the requirement as written (may be `~> 3.1`), or the file of `ruby file:`. */
  ruby: { version: string | null; file: string | null; source: Source } | null;
  gemGroups: Record<string, string[]>;
  /** Git, path and non-rubygems.org gem sources, credentials removed from URLs. */
  privateSources: Fact<string>[];
  /** Gems and where each is declared. */
  gems: Record<string, Source>;
  /** A version the Gemfile pins closely (`"= 5.2.3"`, `"5.2.3"`, `"~> 5.2.3"`): the lower bound, by gem. */
  pinned: Record<string, Fact<string>>;
}

const PUBLIC_SOURCES = /^https?:\/\/(rubygems\.org|www\.rubygems\.org|gems\.rubygems\.org)\/?$/i;

/** Removes `user:password@` from a URL: the model holds names and places, never secrets. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i, "$1REDACTED@");
}

interface Ctx {
  groups: string[];
  source: string | null; // a `source ... do` or `git ... do` block around the gem
}

export function readGemfile(actx: AnalyzerContext, file: string, text: string): GemfileFacts {
  const facts: GemfileFacts = { ruby: null, gemGroups: {}, privateSources: [], gems: {}, pinned: {} };
  const parsed = parseRuby(file, text);
  for (const e of parsed.errors.slice(0, 1)) actx.problem({ file, line: e.line, message: `Ruby syntax error: ${e.message}`, severity: "error" });
  const seen = new Set<string>();
  const addSource = (value: string, src: Source) => {
    const v = redactUrl(value);
    if (seen.has(v)) return;
    seen.add(v);
    facts.privateSources.push({ value: v, source: src });
  };
  const walk = (nodes: any[], ctx: Ctx) => {
    for (const node of nodes) visit(node, ctx);
  };
  const visit = (node: any, ctx: Ctx) => {
    const k = kind(node);
    if (k === "IfNode" || k === "UnlessNode") {
      // Both branches: a gem in either may be installed, depending on the machine.
      walk(statementsOf(node.statements), ctx);
      const other = node.subsequent ?? node.consequent ?? node.elseClause ?? node.else_clause;
      if (other) visit(kind(other) === "ElseNode" ? other.statements : other, ctx);
      return;
    }
    if (k === "StatementsNode" || k === "BeginNode") return walk(statementsOf(node), ctx);
    if (k !== "CallNode" || node.receiver) return;
    const name: string = node.name;
    const args = argsOf(node);
    const src = parsed.sourceOf(node);
    const blockBody = node.block && kind(node.block) === "BlockNode" ? statementsOf(node.block.body) : null;
    switch (name) {
      case "ruby": {
        const opts = keywordOptions(args, parsed);
        const version = args.length && kind(args[0]) === "StringNode" ? literalName(args[0]) : null;
        const fileOpt = typeof opts.file === "string" ? opts.file : null;
        facts.ruby = { version, file: fileOpt, source: src };
        return;
      }
      case "source": {
        const url = args.length ? literalName(args[0]) : null;
        if (url && !PUBLIC_SOURCES.test(url)) addSource(url, src);
        if (blockBody) walk(blockBody, { ...ctx, source: url });
        return;
      }
      case "git":
      case "path": {
        const loc = args.length ? literalName(args[0]) : null;
        if (loc) addSource(loc, src);
        if (blockBody) walk(blockBody, { ...ctx, source: loc });
        return;
      }
      case "github": {
        const repo = args.length ? literalName(args[0]) : null;
        if (repo) addSource(githubUrl(repo), src);
        if (blockBody) walk(blockBody, { ...ctx, source: repo });
        return;
      }
      case "group": {
        const groups = args.filter((a: any) => kind(a) !== "KeywordHashNode").map(literalName).filter((g: string | null): g is string => !!g);
        if (blockBody) walk(blockBody, { ...ctx, groups: [...ctx.groups, ...groups] });
        return;
      }
      case "platforms":
      case "platform":
      case "install_if":
        if (blockBody) walk(blockBody, ctx);
        return;
      case "gemspec": {
        const opts = keywordOptions(args, parsed);
        addSource(typeof opts.path === "string" ? opts.path : ".", src);
        return;
      }
      case "gem": {
        const gem = args.length ? literalName(args[0]) : null;
        if (!gem) return;
        const opts = keywordOptions(args, parsed);
        const optGroups = [opts.group, opts.groups].flatMap((g) => (Array.isArray(g) ? g : g === undefined ? [] : [g])).map(nameOf).filter((g): g is string => !!g);
        const groups = [...new Set([...ctx.groups, ...optGroups])];
        const prev = facts.gemGroups[gem] ?? [];
        facts.gemGroups[gem] = [...new Set([...prev, ...(groups.length ? groups : ["default"])])];
        facts.gems[gem] ??= src;
        // `~> 5.2.3` allows 5.2.x only: its series is known, which is what version rules need.
        const req = args.slice(1).map((a: any) => (kind(a) === "StringNode" ? a.unescaped?.value : null)).find((v: unknown): v is string => typeof v === "string");
        const m = req ? /^\s*(?:=|~>)?\s*(\d+\.\d+(?:\.\d+)*)\s*$/.exec(req) : null;
        if (m && !/~>\s*\d+\.\d+\s*$/.test(req!)) facts.pinned[gem] ??= { value: m[1]!, source: src };
        if (typeof opts.git === "string") addSource(opts.git, src);
        if (typeof opts.github === "string") addSource(githubUrl(opts.github), src);
        if (typeof opts.gitlab === "string") addSource(`https://gitlab.com/${opts.gitlab}.git`, src);
        if (typeof opts.bitbucket === "string") addSource(`https://bitbucket.org/${opts.bitbucket}.git`, src);
        if (typeof opts.path === "string") addSource(opts.path, src);
        if (typeof opts.source === "string" && !PUBLIC_SOURCES.test(opts.source)) addSource(opts.source, src);
        return;
      }
      default:
        return;
    }
  };
  walk(statementsOf(parsed.root), { groups: [], source: null });
  return facts;
}

function githubUrl(repo: string): string {
  if (/^[a-z]+:\/\//i.test(repo) || repo.includes("@")) return repo;
  const full = repo.includes("/") ? repo : `${repo}/${repo}`;
  return `https://github.com/${full}.git`;
}

const nameOf = (v: unknown): string | null => (typeof v === "string" ? v : v && typeof v === "object" && isSym(v as any) ? (v as any).sym : null);

/** The keyword options of a call (`group: :development, git: "..."`), symbols as names. */
function keywordOptions(args: any[], parsed: ParsedRuby): Record<string, unknown> {
  const last = args[args.length - 1];
  if (!last || kind(last) !== "KeywordHashNode") return {};
  const v = evaluate(last, parsed);
  if (!isHash(v)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = isSym(x) ? x.sym : Array.isArray(x) ? x.map((y) => (isSym(y) ? y.sym : y)) : x;
  return out;
}
