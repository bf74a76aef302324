// Servers and roles as Capistrano 3.17 merges them (configuration/servers.rb, server.rb): one
// server per (hostname, port); `role` adds the role to each host with its options; a later
// `user@host` sets the user; options become properties, where Hashes merge and Arrays concatenate;
// roles keep the order they were first given in (a Ruby Set).
import type { RValue, Server, Source } from "../../src/model.js";
import { isHash } from "../ruby/evaluate.js";

interface Entry {
  host: string;
  user: string | null;
  port: number | null;
  roles: string[];
  properties: Record<string, RValue>;
  source: Source;
}

/** `user@host:port` as SSHKit's host parsers read it (IPv6 forms are taken as plain host names). */
export function parseHost(text: string): { user: string | null; host: string; port: number | null } {
  const m = /^(?:([^@]+)@)?([^:@]+)(?::(\d+))?$/.exec(text);
  if (!m) return { user: null, host: text, port: null };
  return { user: m[1] ?? null, host: m[2], port: m[3] ? Number(m[3]) : null };
}

/** Properties Capistrano assigns through setters on the host instead of storing them. */
const SETTERS = new Set(["user", "port", "hostname", "password", "key", "keys", "roles"]);

export class Servers {
  private entries: Entry[] = [];

  /** A copy whose hosts change apart from this one's. */
  copy(): Servers {
    const c = new Servers();
    c.entries = this.entries.map((e) => ({ ...e, roles: [...e.roles], properties: { ...e.properties } }));
    return c;
  }

  /** Servers declared so far (for the limit). */
  get count(): number {
    return this.entries.length;
  }

  /** `server "host", properties` (Capistrano 3). */
  addHost(hostText: string, props: Record<string, RValue>, source: Source): void {
    const parsed = parseHost(hostText);
    if ("port" in props) parsed.port = typeof props.port === "number" ? props.port : parsed.port;
    let e = this.entries.find((x) => x.host === parsed.host && x.port === parsed.port);
    if (e) {
      if (parsed.user) e.user = parsed.user;
    } else {
      e = { host: parsed.host, user: parsed.user, port: parsed.port, roles: [], properties: {}, source };
      this.entries.push(e);
    }
    for (const [k, v] of Object.entries(props)) {
      if (k === "roles") for (const r of Array.isArray(v) ? v : [v]) addRole(e, r);
      else if (k === "user") e.user = typeof v === "string" ? v : e.user;
      else if (k === "port") e.port = typeof v === "number" ? v : e.port;
      else if (SETTERS.has(k)) continue;
      else setProperty(e.properties, k, v);
    }
  }

  /** `role :name, hosts, options` (Capistrano 3): every host gets the role and a copy of the options. */
  addRole(role: string, hosts: string[], options: Record<string, RValue>, source: Source): void {
    for (const h of hosts) this.addHost(h, { ...structuredClone(options), roles: { sym: role } }, source);
  }

  list(userFallback: string | null = null): Server[] {
    return this.entries.map((e) => {
      const { primary, ...rest } = e.properties;
      return {
        host: e.host,
        user: e.user ?? userFallback,
        port: e.port,
        roles: [...e.roles],
        primary: primary !== undefined && primary !== null && primary !== false,
        properties: rest,
        source: e.source,
      };
    });
  }
}

function addRole(e: Entry, r: RValue): void {
  const name = typeof r === "string" ? r : typeof r === "object" && r !== null && "sym" in r && typeof r.sym === "string" ? r.sym : null;
  if (name !== null && !e.roles.includes(name)) e.roles.push(name);
}

function setProperty(props: Record<string, RValue>, k: string, v: RValue): void {
  const old = props[k];
  if (isHash(old) && isHash(v)) props[k] = { ...old, ...v };
  else if (Array.isArray(old) && Array.isArray(v)) props[k] = [...old, ...v];
  else props[k] = v;
}
