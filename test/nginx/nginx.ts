// Running the real nginx (Debian's /usr/sbin/nginx) on configs copied into a temp dir, and reading
// what it says: `nginx -t` verdicts, the first [emerg] message with its file:line, and the
// `nginx -T` dump split by nginx's own `# configuration file <path>:` headers.
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { RepoFiles } from "../../src/model.js";

export const NGINX = "/usr/sbin/nginx";

export interface NginxRun {
  ok: boolean;
  stderr: string;
  stdout: string;
  /** The first [emerg] line: message, file, line. */
  emerg: { message: string; file: string; line: number } | null;
}

export function runNginx(conf: string, prefix: string, dump = false): NginxRun {
  const r = spawnSync(NGINX, [dump ? "-T" : "-t", "-c", conf, "-p", prefix + "/"], { encoding: "utf8" });
  const m = /\[emerg\] (?:\d+#\d+: )?(.*) in (\/.*):(\d+)\n/.exec(r.stderr);
  return { ok: r.status === 0, stderr: r.stderr, stdout: r.stdout, emerg: m ? { message: m[1], file: m[2], line: Number(m[3]) } : null };
}

/** The dump of `nginx -T`, split per file in nginx's order. */
export function dumpFiles(stdout: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const re = /^# configuration file (.*):\n/gm;
  const heads = [...stdout.matchAll(re)];
  heads.forEach((h, i) => {
    const start = h.index! + h[0].length;
    const end = i + 1 < heads.length ? heads[i + 1].index! : stdout.length;
    // nginx appends a newline after each file's text.
    out.push({ file: h[1], text: stdout.slice(start, end).replace(/\n$/, "") });
  });
  return out;
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `r2k-nginx-${tag}-`));
}

export function writeTree(root: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
}

/**
 * The file system under some roots as a RepoFiles whose paths are the absolute paths without the
 * leading slash (so `include /etc/nginx/x` maps to repo path `etc/nginx/x`). Symlinked files are
 * read through, as nginx does.
 */
export function fsRepo(roots: string[]): RepoFiles {
  const paths: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else paths.push(p.slice(1));
    }
  };
  for (const r of roots) if (existsSync(r)) walk(r);
  paths.sort();
  const set = new Set(paths);
  return { paths, read: (p) => (set.has(p) ? { text: readFileSync("/" + p, "utf8") } : { error: "no such file" }) };
}

/** A throwaway self-signed certificate (nginx -t loads certificate files). */
export function selfSigned(dir: string, cn: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${cn}`, "-keyout", key, "-out", cert], { stdio: "ignore" });
  return { cert, key };
}

/** nginx's syntax messages (ngx_conf_read_token / ngx_conf_parse), as opposed to a directive's own. */
export const isSyntaxMessage = (m: string) => /^(unexpected |too long parameter)/.test(m);
