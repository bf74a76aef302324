// What an app server's fork hook sets up besides the database: Redis, Sidekiq's client, memcached,
// search clients, globals. The container config never copies the repo's code (nothing from the
// repo becomes code in a generated file), so each such call is listed with its file and line for
// the team to port; the hook's name alone would not say what is lost.
import type { Fact } from "../../src/model.js";
import type { ParsedRuby } from "../ruby/prism.js";
import { kind, childrenOf } from "../ruby/prism.js";

/** Receivers whose calls configure a connection-holding client. */
const CLIENT_RECEIVERS = /^(?:Sidekiq|Redis|Resque|Dalli|Rails\.cache|ActiveSupport::Cache|Mongoid|MongoMapper|Sequel|Elasticsearch|Searchkick|Sunspot|Bunny|Memcached|Rails\.application\.config\.cache_store|Dalli::Client|Redis::Namespace|ConnectionPool|Rpush|NewRelic|Faye|PusherClient|Pusher)\b/;
/** The standard pair the container config writes itself. */
const STANDARD = /^ActiveRecord::Base\.(?:establish_connection|connection_pool\.disconnect!|connection\.disconnect!|clear_all_connections!|connection_handler\.clear_all_connections!)$/;

/** Client set-up calls in a hook's block, outermost first, at most 20. */
export function hookClientCalls(parsed: ParsedRuby, hook: string, block: any): Fact<string>[] {
  const out: Fact<string>[] = [];
  const seen = new Set<any>();
  const visit = (node: any, depth: number) => {
    if (!node || typeof node !== "object" || out.length >= 20 || depth > 200 || seen.has(node)) return;
    seen.add(node);
    const k = kind(node);
    if (k === "CallNode" && node.receiver) {
      const text = sliceOf(parsed, node.receiver);
      const call = `${text}.${node.name}`;
      if (text && CLIENT_RECEIVERS.test(text) && !STANDARD.test(call)) {
        out.push({ value: `${hook}: ${call.length > 80 ? call.slice(0, 77) + "..." : call}`, source: parsed.sourceOf(node) });
        return; // its block is part of this set-up
      }
    }
    if (k === "GlobalVariableWriteNode" || k === "GlobalVariableOrWriteNode") {
      out.push({ value: `${hook}: ${String(node.name)} = …`, source: parsed.sourceOf(node) });
      return;
    }
    const children = childrenOf(node);
    for (const c of children) visit(c, depth + 1);
  };
  visit(block, 0);
  return out;
}

function sliceOf(parsed: ParsedRuby, node: any): string | null {
  if (!node?.location || typeof node.location.startOffset !== "number") return null;
  const text = parsed.textOf(node);
  return text.length > 200 ? null : text.replace(/\s+/g, " ");
}
