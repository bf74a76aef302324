// Where Global reads from and for which environment, as the app configures it wherever it boots it
// (config/application.rb, config/environment.rb or an initializer):
//   v2/v3: Global.configure { |c| c.backend :filesystem, path: Rails.root.join("config", "global").to_s, environment: Rails.env.to_s }
//   v1:    Global.configure { |c| c.config_directory = Rails.root.join("config/global").to_s; c.environment = Rails.env.to_s }
// Under Rails the path defaults to config/global and the environment to Rails.env. Paths are
// evaluated statically (Rails.root, join, File.join, File.expand_path, __dir__, interpolation).
import type { AnalyzerContext, RValue, Source } from "../../src/model.js";
import { parseRuby, kind, argsOf, type ParsedRuby, childrenOf } from "../ruby/prism.js";
import { evaluate, rubyToS, isSym, type Scope } from "../ruby/evaluate.js";

export const DEFAULT_DIR = "config/global";

export interface GlobalSetup {
  /** The directory, relative to the repo root. */
  dir: string;
  /** A fixed environment (`environment: "production"`); null = Rails.env. */
  environment: string | null;
  /** Where the setup was read, when an initializer configures Global. */
  source: Source | null;
}

const ROOT = "\u0000RAILS_ROOT";
const RAILS_ENV = "\u0000RAILS_ENV";

/**
 * The files that may configure Global, in the order Rails runs them: application.rb (the class
 * body runs before any initializer), environment.rb, then initializers by name. A later setting wins.
 */
export function setupFiles(paths: readonly string[]): string[] {
  const inits = paths.filter((p) => /^config\/initializers\/.+\.rb$/.test(p)).sort();
  return [...["config/application.rb", "config/environment.rb"].filter((p) => paths.includes(p)), ...inits];
}

/** Where readSetup looks, for messages that say Global's setup was not found. */
export const SETUP_PLACES = "config/application.rb, config/environment.rb and config/initializers";

export function readSetup(ctx: AnalyzerContext): GlobalSetup {
  const setup: GlobalSetup = { dir: DEFAULT_DIR, environment: null, source: null };
  let filesystem = 0;
  for (const file of setupFiles(ctx.repo.paths)) {
    const r = ctx.repo.read(file);
    if ("error" in r || !/\bGlobal\b/.test(r.text)) continue;
    const parsed = parseRuby(file, r.text);
    if (parsed.errors.length) {
      ctx.problem({ file, line: parsed.errors[0].line, message: `Ruby syntax: ${parsed.errors[0].message}`, severity: "warning" });
      continue;
    }
    const scope = pathScope(file);
    // application.rb and environment.rb configure much else: there only Global's own calls count
    // (`Global.configure { ... }`, `Global.backend ...`); an initializer that names Global is its setup.
    const onlyGlobal = !file.startsWith("config/initializers/");
    walkGlobal(parsed.root, !onlyGlobal, (n) => {
      if (kind(n) !== "CallNode") return;
      const args = argsOf(n);
      if (n.name === "backend" && args.length) {
        const backend = evaluate(args[0], parsed, scope);
        const name = isSym(backend) ? backend.sym : typeof backend === "string" ? backend : null;
        if (name !== "filesystem") {
          ctx.problem({
            file,
            line: parsed.sourceOf(n).line,
            message: `Global backend ${name ? `:${name}` : parsed.textOf(args[0])}: its values live outside the repo and are not analyzed`,
            severity: "warning",
          });
          return;
        }
        filesystem++;
        if (filesystem > 1) {
          ctx.problem({ file, line: parsed.sourceOf(n).line, message: "a second :filesystem backend: only the first directory is analyzed", severity: "warning" });
          return;
        }
        setup.source = parsed.sourceOf(n);
        const opts = args.find((a: any) => kind(a) === "KeywordHashNode" || kind(a) === "HashNode");
        for (const el of opts?.elements ?? []) {
          const key = evaluate(el.key, parsed, scope);
          const k = isSym(key) ? key.sym : typeof key === "string" ? key : null;
          if (k === "path") setDir(ctx, setup, parsed, el.value, scope);
          else if (k === "environment") setEnv(ctx, setup, parsed, el.value, scope);
          else if (k === "directory") {
            ctx.problem({ file, line: parsed.sourceOf(el).line, message: "Global's filesystem backend reads `path:`, not `directory:`: this option is ignored and config/global is used", severity: "warning" });
          }
        }
      } else if ((n.name === "config_directory=" || n.name === "environment=") && args.length === 1) {
        setup.source ??= parsed.sourceOf(n);
        if (n.name === "config_directory=") setDir(ctx, setup, parsed, args[0], scope);
        else setEnv(ctx, setup, parsed, args[0], scope);
      }
    });
  }
  return setup;
}

function setDir(ctx: AnalyzerContext, setup: GlobalSetup, parsed: ParsedRuby, node: any, scope: Scope): void {
  const v = evaluate(node, parsed, scope);
  const s = typeof v === "string" ? normalise(v) : null;
  if (s === null) {
    ctx.problem({ ...parsed.sourceOf(node), message: `Global's path is not known statically (${parsed.textOf(node).slice(0, 60)}): reading ${DEFAULT_DIR}`, severity: "warning" });
  } else if (s.startsWith("/") || s.startsWith("..")) {
    ctx.problem({ ...parsed.sourceOf(node), message: `Global reads ${s}, outside the repo: its files live on the servers only (reading ${DEFAULT_DIR} from the repo instead)`, severity: "warning" });
  } else setup.dir = s;
}

function setEnv(ctx: AnalyzerContext, setup: GlobalSetup, parsed: ParsedRuby, node: any, scope: Scope): void {
  const v = evaluate(node, parsed, scope);
  const s = isSym(v) ? v.sym : typeof v === "string" ? v : null;
  if (s === RAILS_ENV) setup.environment = null;
  else if (s !== null && !s.includes("\u0000")) setup.environment = s;
  else ctx.problem({ ...parsed.sourceOf(node), message: `Global's environment is not known statically (${parsed.textOf(node).slice(0, 60)}): assuming Rails.env`, severity: "warning" });
}

/** A path relative to the repo root, `..` resolved; absolute paths stay absolute. */
function normalise(p: string): string | null {
  let rest = p;
  let rooted = false;
  if (rest.startsWith(ROOT)) {
    rooted = true;
    rest = rest.slice(ROOT.length);
  }
  if (rest.includes("\u0000")) return null;
  if (!rooted && rest.startsWith("/")) return rest.replace(/\/+$/, "");
  const out: string[] = [];
  for (const seg of rest.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else out.push("..");
    } else out.push(seg);
  }
  return out.join("/");
}

/** Evaluates Rails.root-based path expressions of an initializer. */
function pathScope(file: string): Scope {
  const dirOf = (f: string) => f.split("/").slice(0, -1).join("/");
  const join = (parts: string[]) => parts.reduce((acc, p) => (p.startsWith("/") || p.startsWith(ROOT) ? p : acc === "" ? p : `${acc.replace(/\/+$/, "")}/${p}`), "");
  return {
    call(node, ev) {
      const name: string = node.name;
      const recv = node.receiver;
      const recvConst = recv && kind(recv) === "ConstantReadNode" ? recv.name : null;
      if (kind(node) === "SourceFileNode") return `${ROOT}/${file}`;
      if (recvConst === "Rails" && name === "root") return ROOT;
      if (recvConst === "Rails" && name === "env") return RAILS_ENV;
      if (!recv && name === "__dir__") return `${ROOT}/${dirOf(file)}`;
      const args = argsOf(node).map(ev);
      const strs = args.map((a: RValue) => rubyToS(a));
      if (strs.some((s: string | null) => s === null)) return undefined;
      if (recvConst === "File" && name === "join") return join(strs as string[]);
      if (recvConst === "File" && name === "expand_path" && strs.length >= 1) {
        const base = strs[1] ?? ROOT;
        return join([base, strs[0]!]);
      }
      if (recv && (name === "join" || name === "+") && kind(recv) !== "ConstantReadNode") {
        const base = ev(recv);
        if (typeof base === "string" && base.startsWith(ROOT)) return join([base, ...(strs as string[])]);
      }
      return undefined;
    },
  };
}

const isGlobalConst = (n: any) => n && kind(n) === "ConstantReadNode" && n.name === "Global";

/** Visits the nodes of a file; with `inside` false, only those within Global's own calls. */
function walkGlobal(node: any, inside: boolean, visit: (n: any) => void): void {
  if (!node || typeof node !== "object") return;
  const own = inside || (kind(node) === "CallNode" && isGlobalConst(node.receiver));
  if (own) visit(node);
  const kids: any[] = childrenOf(node);
  for (const c of kids) walkGlobal(c, own, visit);
}
