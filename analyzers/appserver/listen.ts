// Listen addresses: what kind of socket a Unicorn `listen` or Puma `bind`/`port` opens, following
// the servers' own parsing (Unicorn::Configurator#expand_addr, Puma's bind URLs).
import type { ListenSpec, RValue, Source } from "../../src/model.js";
import { isEnvRef, isInterp, isUnknown, rubyToS } from "../ruby/evaluate.js";

/**
 * Unicorn's `expand_addr`, for known addresses: a port number or "*:port" → "0.0.0.0:port",
 * "unix:/path" → "/path", "host:port" → TCP, an IPv4 alone → port 80, anything else → a socket path.
 * Returns the canonical address Unicorn keeps and its kind. (IPv6 and host names are kept as written:
 * Unicorn resolves them with the OS.)
 */
export function unicornAddress(address: string | number): { kind: "unix" | "tcp"; canonical: string } {
  if (typeof address === "number") return { kind: "tcp", canonical: `0.0.0.0:${address}` };
  let m: RegExpExecArray | null;
  if ((m = /^unix:([\s\S]*)$/.exec(address))) return { kind: "unix", canonical: m[1] };
  if (address.startsWith("~")) return { kind: "unix", canonical: address };
  if ((m = /^(?:\*:)?(\d+)$/.exec(address))) return { kind: "tcp", canonical: `0.0.0.0:${m[1]}` };
  if ((m = /^((?:\d+\.){3}\d+)$/.exec(address))) return { kind: "tcp", canonical: `${m[1]}:80` };
  if (/^\[[a-fA-F0-9:]+\]$/.test(address)) return { kind: "tcp", canonical: `${address}:80` };
  if ((m = /^([\s\S]*):(\d+)$/.exec(address))) return { kind: "tcp", canonical: `${m[1]}:${parseInt(m[2], 10)}` };
  return { kind: "unix", canonical: address };
}

/** The kind of a Unicorn listen address that may be only partly known. */
export function unicornListenKind(address: RValue): ListenSpec["kind"] {
  if (typeof address === "number" || typeof address === "string") return unicornAddress(address).kind;
  if (isEnvRef(address)) return address.default === null ? "unknown" : unicornListenKind(address.default);
  if (isInterp(address)) {
    const first = address.interp[0];
    if (typeof first === "string" && /^(unix:|\/|~)/.test(first)) return "unix";
    // "host:#{port}" or "#{host}:#{port}": a colon before a computed last piece
    const last = address.interp[address.interp.length - 1];
    const prev = address.interp[address.interp.length - 2];
    if (typeof last !== "string" && typeof prev === "string" && prev.endsWith(":")) return "tcp";
    if (typeof last === "string" && /:\d+$/.test(last)) return "tcp";
  }
  return "unknown";
}

/** A Unicorn `listen`. */
export function unicornListen(address: RValue, options: Record<string, RValue>, source: Source): ListenSpec {
  return { kind: isUnknown(address) ? "unknown" : unicornListenKind(address), address, options, source };
}

/**
 * A Puma `bind` URL: `unix:///path?backlog=64`, `tcp://host:port`, `ssl://host:port?key=...`.
 * Query parameters become options; `ssl://` adds `ssl: true`.
 */
export function pumaBind(url: RValue, source: Source): ListenSpec {
  const s = typeof url === "string" ? url : null;
  if (s === null) {
    // Interp like "tcp://0.0.0.0:#{ENV['PORT']}": the scheme is known even if the port is not.
    if (isInterp(url) && typeof url.interp[0] === "string") {
      const head = url.interp[0];
      const kind = head.startsWith("unix://") ? "unix" : /^(tcp|ssl):\/\//.test(head) ? "tcp" : "unknown";
      const rest: RValue[] = [head.replace(/^(unix|tcp|ssl):\/\//, ""), ...url.interp.slice(1)];
      return { kind, address: rest[0] === "" ? { interp: rest.slice(1) } : { interp: rest }, options: head.startsWith("ssl://") ? { ssl: true } : {}, source };
    }
    return { kind: "unknown", address: url, options: {}, source };
  }
  const m = /^(unix|tcp|ssl):\/\/([^?]*)(?:\?(.*))?$/.exec(s);
  if (!m) return { kind: "unknown", address: url, options: {}, source };
  const options: Record<string, RValue> = {};
  for (const pair of (m[3] ?? "").split("&").filter(Boolean)) {
    const [k, v = ""] = pair.split("=");
    options[decodeURIComponent(k)] = /^\d+$/.test(v) ? Number(v) : v === "true" ? true : v === "false" ? false : decodeURIComponent(v);
  }
  if (m[1] === "ssl") options["ssl"] = true;
  return { kind: m[1] === "unix" ? "unix" : "tcp", address: m[2], options, source };
}

/** Puma's `port 3000` / `port 3000, "127.0.0.1"`: a TCP bind; the port as written. */
export function pumaPort(port: RValue, host: RValue | undefined, source: Source): ListenSpec {
  if (host === undefined || host === null) return { kind: "tcp", address: port, options: {}, source };
  const h = rubyToS(host);
  const p = rubyToS(port);
  const address: RValue = h !== null && p !== null ? `${h}:${p}` : { interp: [host, ":", port] };
  return { kind: "tcp", address, options: {}, source };
}
