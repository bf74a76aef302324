// The parser against nginx itself, directive for directive. For every config (fixtures rendered
// per stage, Debian's /etc/nginx, Unicorn's example):
//  1. `nginx -t` accepts it and our parser reports no problem;
//  2. the files we read, includes and globs resolved, are exactly the files `nginx -T` dumps, in
//     nginx's order, and each dumped text parses to the same directives as the file we read;
//  3. each directive is probed in a copy where only that directive is edited, at the byte range
//     our parser gives for its name, and nginx's own error message must name it:
//     - `r2kprobe_` glued before the name: nginx says `unknown directive "r2kprobe_<name>"` at the
//       line we give for its `;`/`{` — so nginx reads the same name, split at the same place;
//     - the name replaced by `include` (allowed everywhere, takes exactly one argument): nginx says
//       `not terminated by ";"` for our blocks, `invalid number of arguments` unless we count one
//       argument, and for one argument tries to open a file named by nginx's reading of it — which
//       must be our reading of it, escapes and quotes decoded.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import type { Problem } from "../../src/model.js";
import { parseConf } from "../../analyzers/nginx/conf-parser.js";
import { loadTree, type TreeNode } from "../../analyzers/nginx/tree.js";
import { buildCases, type Case } from "./cases.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { dumpFiles, fsRepo, runNginx } from "./nginx.js";

const HANDLER_BLOCKS = new Set(["types", "map", "geo", "split_clients", "charset_map"]);

function read(c: Case) {
  const repo = fsRepo([c.dir, "/etc/nginx"]);
  const problems: Problem[] = [];
  const tree = loadTree(repo, c.conf.slice(1), (p) => problems.push(p), { absolute: (a) => a.slice(1) });
  return { tree, problems };
}

/** Every directive nginx looks up as a directive (entries of types/map blocks are not). */
function directives(nodes: TreeNode[], out: TreeNode[] = []): TreeNode[] {
  for (const n of nodes) {
    out.push(n);
    if (n.block && !HANDLER_BLOCKS.has(n.name)) directives(n.block, out);
  }
  return out;
}

const shape = (nodes: ReturnType<typeof parseConf>["directives"]): unknown =>
  nodes.map((n) => ({ name: n.name, args: n.args, line: n.line, endLine: n.endLine, block: n.block ? shape(n.block) : undefined }));

await initPrism();
const cases = buildCases();
afterAll(() => {
  for (const c of cases) rmSync(c.dir, { recursive: true, force: true });
});

describe.each(cases.map((c) => [c.name, c] as const))("nginx agrees: %s", (_name, c) => {
  let parsed: ReturnType<typeof read>;
  beforeAll(() => {
    parsed = read(c);
  });

  it("nginx -t accepts it and we report no problem", () => {
    const run = runNginx(c.conf, c.dir);
    expect(run.stderr).toContain("syntax is ok");
    expect(run.ok, run.stderr).toBe(true);
    expect(parsed.problems).toEqual([]);
    expect(directives(parsed.tree.directives).length).toBeGreaterThan(5);
  });

  it("reads the same files as nginx -T, in nginx's order, with the same directives", () => {
    const run = runNginx(c.conf, c.dir, true);
    expect(run.ok, run.stderr).toBe(true);
    const dumped = dumpFiles(run.stdout);
    expect(parsed.tree.files.map((f) => "/" + f)).toEqual(dumped.map((d) => d.file));
    for (const d of dumped) {
      const ours = parseConf(readFileSync(d.file, "utf8"));
      const theirs = parseConf(d.text);
      expect(theirs.error).toBeNull();
      expect(shape(ours.directives)).toEqual(shape(theirs.directives));
    }
  });

  it("every directive: nginx reads the name, block, argument count and lone argument we read", () => {
    const confDir = dirname(c.conf);
    const nodes = directives(parsed.tree.directives).filter((n) => ("/" + n.file).startsWith(c.dir + "/"));
    const failures: string[] = [];
    for (const n of nodes) {
      const path = "/" + n.file;
      const original = readFileSync(path);
      const edit = (at: number, drop: number, insert: string, dump = false) => {
        writeFileSync(path, Buffer.concat([original.subarray(0, at), Buffer.from(insert), original.subarray(at + drop)]));
        try {
          return runNginx(c.conf, c.dir, dump);
        } finally {
          writeFileSync(path, original);
        }
      };
      const where = `${n.file}:${n.line} ${n.name}`;
      // 1. the name
      const quoted = original[n.nameStart] === 0x22 || original[n.nameStart] === 0x27;
      const a = edit(n.nameStart + (quoted ? 1 : 0), 0, "r2kprobe_");
      if (!(a.emerg && a.emerg.message === `unknown directive "r2kprobe_${n.name}"` && a.emerg.file === path && a.emerg.line === n.endLine))
        failures.push(`${where}: name probe: ${a.stderr.trim()}`);
      // 2. block / argument count / the one argument
      const b = edit(n.nameStart, n.nameEnd - n.nameStart, "include", true);
      if (n.block) {
        if (!(b.emerg?.message === 'directive "include" is not terminated by ";"' && b.emerg.line === n.endLine)) failures.push(`${where}: block probe: ${b.stderr.trim()}`);
      } else if (n.args.length !== 1) {
        if (!(b.emerg?.message === 'invalid number of arguments in "include" directive' && b.emerg.line === n.endLine))
          failures.push(`${where}: ${n.args.length} args probe: ${b.stderr.trim()}`);
      } else if (/[*?[]/.test(n.args[0])) {
        // A glob matching nothing includes nothing: nginx carries on.
        if (!b.ok) failures.push(`${where}: glob arg probe: ${b.stderr.trim()}`);
      } else {
        const full = n.args[0].startsWith("/") ? n.args[0] : `${confDir}/${n.args[0]}`;
        // nginx names the file it tried: it fails to open it, or (an existing file, e.g. a log or
        // a certificate) reads it as config and dumps it or fails inside it.
        const named = b.stderr.includes(`"${full}"`) || b.stderr.includes(` in ${full}:`) || (b.ok && b.stdout.includes(`# configuration file ${full}:`));
        if (!named) failures.push(`${where}: arg probe expected "${full}": ${b.stderr.trim()}`);
      }
    }
    expect(failures).toEqual([]);
    expect(nodes.length).toBeGreaterThan(5);
  });
});

describe("Debian's /etc/nginx/nginx.conf as installed", () => {
  it("our include resolution opens the files nginx -T dumps, in order", () => {
    const run = runNginx("/etc/nginx/nginx.conf", "/usr/share/nginx", true);
    expect(run.ok, run.stderr).toBe(true);
    const repo = fsRepo(["/etc/nginx"]);
    const problems: Problem[] = [];
    const tree = loadTree(repo, "etc/nginx/nginx.conf", (p) => problems.push(p), { absolute: (a) => a.slice(1) });
    expect(problems).toEqual([]);
    expect(tree.files.map((f) => "/" + f)).toEqual(dumpFiles(run.stdout).map((d) => d.file));
    expect(tree.files).toContain("etc/nginx/sites-enabled/default");
  });
});
