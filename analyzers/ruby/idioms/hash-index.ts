// `TABLE[key]` / `TABLE.fetch(key, dflt)` on a Hash written as a literal in the same file, with
// Ruby's own key equality: a Symbol key never matches a String (`{ production: 5 }["production"]`
// is nil), and a miss gives the Hash's default (`table.default = 2`), or nil. Configs pick per-env
// numbers this way: `{ production: 5, staging: 2 }[rails_env.to_sym]`.
// The value model keeps Symbol and String keys alike, so the literal is read again here. A table
// assigned more than once, changed other than by one `default =`, or read any other way than
// `[]`/`fetch`/`freeze`/`default=` on it (`update`, passed to a method), is not decided (undefined).
import type { RValue } from "../../../src/model.js";
import type { ParsedRuby } from "../prism.js";
import { argsOf, kind, literalName, childrenOf } from "../prism.js";

type Ev = (n: any) => RValue;
const READS: Record<string, string> = { LocalVariableReadNode: "LocalVariableWriteNode", ConstantReadNode: "ConstantWriteNode" };
const WRITES = /^(LocalVariable|Constant)(Or|And|Operator|Target)?WriteNode$|^(LocalVariable|Constant)TargetNode$/;
/** Calls on the table that neither change it nor let it out. */
const TABLE_USES: ReadonlySet<string> = new Set(["[]", "fetch", "freeze", "default="]);
const INDEX_WRITES = /^Index(Or|And|Operator)WriteNode$|^IndexTargetNode$/;

/** The value of the lookup, or undefined when it is not decided here. */
export function literalHashIndex(recv: any, call: any, parsed: ParsedRuby, key: RValue, ev: Ev): RValue | undefined {
  const name: string = call.name;
  if ((name !== "[]" && name !== "fetch") || call.block) return undefined;
  const table = tableOf(recv, call, parsed);
  if (!table) return undefined;
  const want = keyOf(key);
  if (!want) return undefined;
  let hit: any = undefined;
  for (const el of table.hash.elements) {
    if (kind(el) !== "AssocNode") return undefined;
    const k = kind(el.key) === "SymbolNode" ? { sym: true, text: literalName(el.key) } : kind(el.key) === "StringNode" ? { sym: false, text: literalName(el.key) } : null;
    if (!k || k.text === null) return undefined;
    if (k.sym === want.sym && k.text === want.text) hit = el.value;
  }
  if (hit !== undefined) return ev(hit);
  const args = argsOf(call);
  if (name === "fetch") return args.length > 1 ? ev(args[1]) : undefined;
  return table.dflt ? ev(table.dflt) : null;
}

function keyOf(v: RValue): { sym: boolean; text: string } | null {
  if (typeof v === "string") return { sym: false, text: v };
  if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { sym?: unknown }).sym === "string") return { sym: true, text: (v as { sym: string }).sym };
  return null;
}

/** The Hash literal `recv` holds at `call`, and the node of its default, if one was set before. */
function tableOf(recv: any, call: any, parsed: ParsedRuby): { hash: any; dflt: any | null } | null {
  if (kind(recv) === "HashNode") return { hash: recv, dflt: null };
  const writeKind = READS[kind(recv)];
  if (!writeKind) return null;
  const at = call.location.startOffset;
  const writes: any[] = [];
  const defaults: any[] = [];
  let changed = false;
  const isRead = (n: any) => n && kind(n) === kind(recv) && n.name === recv.name;
  // Any other read may change the table (`update`, a method it is passed to): only these leave it as written.
  const reads = new Set<any>();
  const readsAsReceiver = new Set<any>();
  visit(parsed.root, (n) => {
    const k = kind(n);
    if (isRead(n)) reads.add(n);
    if (k === "CallNode" && isRead(n.receiver) && TABLE_USES.has(n.name)) readsAsReceiver.add(n.receiver);
    if (WRITES.test(k) && n.name === recv.name && (k.startsWith("Constant") === (writeKind === "ConstantWriteNode"))) writes.push(n);
    else if (INDEX_WRITES.test(k) && isRead(n.receiver)) changed = true;
    else if (k === "CallNode" && isRead(n.receiver) && /[=!]$/.test(n.name) && !["==", "!="].includes(n.name)) {
      if (n.name === "default=" && argsOf(n).length === 1) defaults.push(n);
      else changed = true;
    } else if (k === "CallNode" && isRead(n.receiver) && ["store", "delete", "clear", "replace", "compare_by_identity", "shift", "delete_if", "keep_if", "transform_keys!", "transform_values!"].includes(n.name)) changed = true;
  });
  if ([...reads].some((r) => !readsAsReceiver.has(r))) changed = true;
  if (changed || writes.length !== 1 || kind(writes[0]) !== writeKind || defaults.length > 1) return null;
  // `TABLE = { ... }.freeze` is the same table.
  let hash = writes[0].value;
  if (kind(hash) === "CallNode" && hash.name === "freeze" && !argsOf(hash).length && !hash.block) hash = hash.receiver;
  if (kind(hash) !== "HashNode" || writes[0].location.startOffset > at) return null;
  const dflt = defaults.length && defaults[0].location.startOffset < at ? argsOf(defaults[0])[0] : null;
  return { hash, dflt };
}

function visit(node: any, fn: (n: any) => void): void {
  if (!node) return;
  fn(node);
  const kids: any[] = childrenOf(node);
  for (const k of kids) visit(k, fn);
}
