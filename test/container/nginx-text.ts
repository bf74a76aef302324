// Test helper: an nginx config text → NginxFile, so tests can hand the emitter the configs teams
// write without depending on the nginx analyzer. Enough of nginx's syntax for that: quotes,
// comments, blocks; the server facts the container rules read (locations' assets/health flags).
import type { NginxDirective, NginxFile, NginxLocation, NginxServer } from "../../src/model.js";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NGINX_PID_FILE, SOCKET_DIR } from "../../emitters/contract.js";

function tokens(text: string): { t: string; line: number; quoted: boolean }[] {
  const out: { t: string; line: number; quoted: boolean }[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (/\s/.test(c)) i++;
    else if (c === "#") while (i < text.length && text[i] !== "\n") i++;
    else if (c === "{" || c === "}" || c === ";") (out.push({ t: c, line, quoted: false }), i++);
    else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = "";
      while (j < text.length && text[j] !== c) s += text[j] === "\\" && text[j + 1] === c ? text[++j] : text[j], j++;
      out.push({ t: s, line, quoted: true });
      i = j + 1;
    } else {
      let s = "";
      while (i < text.length && !/[\s{};]/.test(text[i]!)) s += text[i++];
      out.push({ t: s, line, quoted: false });
    }
  }
  return out;
}

export function parseNginx(text: string, file: string): NginxDirective[] {
  const toks = tokens(text);
  let k = 0;
  const block = (): NginxDirective[] => {
    const res: NginxDirective[] = [];
    while (k < toks.length && !(toks[k]!.t === "}" && !toks[k]!.quoted)) {
      const head = toks[k++]!;
      const args: string[] = [];
      while (k < toks.length && !([";", "{"].includes(toks[k]!.t) && !toks[k]!.quoted)) args.push(toks[k++]!.t);
      const d: NginxDirective = { name: head.t, args, source: { file, line: head.line } };
      if (toks[k]?.t === "{") {
        k++;
        d.block = block();
        k++; // }
      } else k++; // ;
      res.push(d);
    }
    return res;
  };
  return block();
}

function locations(list: NginxDirective[]): NginxLocation[] {
  return list
    .filter((d) => d.name === "location")
    .map((d) => {
      const [a, b] = d.args;
      const modifier = b !== undefined ? a! : null;
      const path = b ?? a ?? "";
      const body = d.block ?? [];
      const has = (n: string) => body.some((x) => x.name === n);
      return {
        source: d.source,
        modifier,
        path,
        proxyPass: body.find((x) => x.name === "proxy_pass")?.args[0] ?? null,
        assets: has("expires") || has("gzip_static") || body.some((x) => x.name === "add_header" && /cache-control/i.test(x.args[0] ?? "")),
        health: /^\/(health|up|ping)/.test(path) || body.some((x) => x.name === "return" && x.args[0] === "200"),
        websocket: body.some((x) => x.name === "proxy_set_header" && /^upgrade$/i.test(x.args[0] ?? "")),
        directives: body,
      };
    });
}

const UNPORTABLE = new Set(["if", "rewrite", "auth_basic", "limit_req", "sub_filter", "error_page"]);

export function nginxFile(text: string, file: string, stage: string | null = null): NginxFile {
  const directives = parseNginx(text, file);
  const http = directives.find((d) => d.name === "http")?.block ?? directives;
  const servers: NginxServer[] = http
    .filter((d) => d.name === "server" && d.block)
    .map((d) => {
      const body = d.block!;
      const walk = (l: NginxDirective[]): NginxDirective[] => l.flatMap((x) => [x, ...(x.block ? walk(x.block) : [])]);
      return {
        source: d.source,
        serverNames: body.filter((x) => x.name === "server_name").flatMap((x) => x.args.map((a) => ({ value: a, source: x.source }))),
        listens: [],
        certificates: [],
        clientMaxBodySize: null,
        timeouts: {},
        redirectsToHttps: null,
        root: null,
        tryFiles: null,
        locations: locations(body),
        proxyHeaders: {},
        unportable: walk(body)
          .filter((x) => UNPORTABLE.has(x.name))
          .map((x) => ({ value: x.name, source: x.source })),
      };
    });
  return { file, stage, directives, servers, upstreams: [] };
}

/**
 * `nginx -t` on a generated config, in `dir` (nginx's prefix: the /tmp temp paths are its own to
 * create). The pid file lives in the pod's shared directory (contract NGINX_PID_FILE), which
 * nginx -t opens: it is moved under `dir`. Output goes to a file, as in a container: nginx opens
 * /dev/stdout, which a socket pair would refuse.
 */
export function nginxTest(conf: string, dir: string, name = "nginx"): { ok: boolean; out: string } {
  mkdirSync(join(dir, "shared"), { recursive: true });
  const path = join(dir, `${name}.conf`);
  writeFileSync(path, conf.split(` ${NGINX_PID_FILE};`).join(` ${join(dir, "shared", NGINX_PID_FILE.slice(SOCKET_DIR.length + 1))};`));
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, "w");
  try {
    execFileSync("/usr/sbin/nginx", ["-t", "-p", dir, "-e", "stderr", "-c", path], { stdio: ["ignore", fd, fd] });
    return { ok: true, out: readFileSync(log, "utf8") };
  } catch {
    return { ok: false, out: readFileSync(log, "utf8") };
  } finally {
    closeSync(fd);
  }
}
