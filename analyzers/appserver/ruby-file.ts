// The path helpers config files use to find themselves (`File.expand_path("../..", __FILE__)`,
// `File.join(app_dir, "tmp")`, `__dir__`), computed for the place the file is deployed to. Paths
// relative to the process's working directory are not known statically: those stay Unknown.
import type { RValue } from "../../src/model.js";
import { kind, argsOf } from "../ruby/prism.js";
import { isKnown, isUnknown, same } from "../ruby/evaluate.js";

const isConst = (node: any, name: string) => kind(node) === "ConstantReadNode" && node.name === name;

/** Ruby's `File.expand_path(path, dir)` for absolute results; null when it depends on the cwd or $HOME. */
export function expandPath(path: string, dir?: string): string | null {
  if (path.startsWith("~")) return null;
  let full: string;
  if (path.startsWith("/")) full = path;
  else {
    if (dir === undefined) return null;
    const base = expandPath(dir);
    if (base === null) return null;
    full = `${base}/${path}`;
  }
  const out: string[] = [];
  for (const seg of full.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

/** Ruby's `File.dirname` (no `level` argument). */
export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return path.startsWith("/") ? "/" : ".";
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return ".";
  const d = trimmed.slice(0, i).replace(/\/+$/, "");
  return d === "" ? "/" : d;
}

/** Ruby's `File.join`: one `/` between parts, whatever they end or start with. */
export function fileJoin(parts: string[]): string {
  let out = "";
  parts.forEach((p, i) => {
    if (i === 0) out = p;
    else out = out.replace(/\/+$/, "") + "/" + p.replace(/^\/+/, "");
  });
  return out;
}

/**
 * Scope.call hook for config files: `__FILE__`, `__dir__`, `File.*` path helpers, `==`/`!=` of known
 * values. Returns undefined for anything else (the evaluator then says Unknown).
 */
export function fileScopeCall(node: any, ev: (n: any) => RValue, deployedPath: string | null): RValue | undefined {
  if (kind(node) === "SourceFileNode") return deployedPath ?? undefined;
  if (kind(node) !== "CallNode") return undefined;
  const name: string = node.name;
  const args = argsOf(node);
  if (!node.receiver && name === "__dir__" && args.length === 0) return deployedPath ? dirname(deployedPath) : undefined;
  if ((name === "==" || name === "!=") && node.receiver && args.length === 1) {
    const l = ev(node.receiver);
    const r = ev(args[0]);
    if (!isKnown(l) || !isKnown(r)) return undefined;
    return name === "==" ? same(l, r) : !same(l, r);
  }
  if (node.receiver && isConst(node.receiver, "File")) {
    const vals = args.map(ev);
    // the reason a path is unknown is its argument's (`__FILE__`), not `File`
    const u = vals.find(isUnknown);
    if (u && ["expand_path", "absolute_path", "join", "dirname", "basename"].includes(name)) return u;
    if (!vals.every((v) => typeof v === "string")) return undefined;
    const s = vals as string[];
    switch (name) {
      case "expand_path":
      case "absolute_path":
        if (s.length < 1 || s.length > 2) return undefined;
        return expandPath(s[0], s[1]) ?? undefined;
      case "join":
        return fileJoin(s);
      case "dirname":
        return s.length === 1 ? dirname(s[0]) : undefined;
      case "basename":
        if (s.length === 1) return s[0].replace(/\/+$/, "").split("/").pop() ?? "";
        return undefined;
    }
  }
  return undefined;
}
