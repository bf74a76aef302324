// Apache's Include / IncludeOptional followed into the repo: a path is absolute or relative to
// ServerRoot; a server path reaches the repo only through the deployed release (…/current/…);
// wildcards, directories (every file under them, in order) and what cannot be followed (servers'
// files, nothing matching, cycles, escapes) are each said at the Include's line. The order of the
// files read is judged by the real httpd (`apache2 -t -D DUMP_INCLUDES`). The configs are written here.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel, ApacheDirective } from "../../src/model.js";
import { matchRepoFiles } from "../../analyzers/apache/include.js";
import { APACHE } from "./apache.js";

beforeAll(async () => {
  await initPrism();
});

const SITE = `<VirtualHost *:80>
  ServerName shelf.example.org
  Include /var/www/shelf/current/config/apache/common/*.conf
  IncludeOptional /var/www/shelf/current/config/apache/local.conf
  Include conf.d/hardening.conf
  Include /etc/apache2/extra/tls-defaults.conf
</VirtualHost>
`;

const flat = (ds: ApacheDirective[]): ApacheDirective[] => ds.flatMap((d) => [d, ...flat(d.block ?? [])]);
const warned = (m: AppModel, file: string, line: number, re: RegExp) => m.problems.some((p) => p.file === file && p.line === line && re.test(p.message));

describe("Apache Include followed into the repo", () => {
  it("a release path's files take the Include's place: their upload limit is the vhost's, cited at their own line", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "config/apache/shelf.conf": SITE,
        "config/apache/common/uploads.conf": "# big scans\nLimitRequestBody 52428800\n",
        "config/apache/common/headers.conf": "Header always set X-Frame-Options SAMEORIGIN\n",
      }),
      "shelf",
    );
    const files = m.apache!.files;
    expect(files.map((f) => f.file)).toEqual(["config/apache/shelf.conf"]);
    const v = files[0]!.vhosts[0]!;
    expect(v.limitRequestBody).toEqual({ value: "52428800", source: { file: "config/apache/common/uploads.conf", line: 2 } });
    // Alphabetical, as httpd reads a wildcard's matches.
    expect(flat(files[0]!.directives).filter((d) => d.source.file !== "config/apache/shelf.conf").map((d) => d.source.file)).toEqual(["config/apache/common/headers.conf", "config/apache/common/uploads.conf"]);
    expect(warned(m, "config/apache/shelf.conf", 4, /apache\.include: IncludeOptional .*local\.conf in the repo, where nothing matches/)).toBe(true);
    expect(warned(m, "config/apache/shelf.conf", 5, /relative to the servers' ServerRoot/)).toBe(true);
    expect(warned(m, "config/apache/shelf.conf", 6, /resolves to \/etc\/apache2\/extra\/tls-defaults\.conf, a file of the servers/)).toBe(true);
  });

  it("without the Include the limit is lost (the included file is no vhost of its own)", async () => {
    const m = await analyzeFiles(memoryRepo({ "config/apache/shelf.conf": SITE.replace(/^.*common.*\n/m, ""), "config/apache/common/uploads.conf": "LimitRequestBody 52428800\n" }), "shelf");
    expect(m.apache!.files[0]!.vhosts[0]!.limitRequestBody).toBeNull();
  });

  it("a hostile path, a cycle, an Include naming nothing: each said at its line, nothing read outside the repo", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "config/apache/shelf.conf": [
          "<VirtualHost *:80>",
          "  ServerName shelf.example.org",
          "  Include /var/www/shelf/current/config/../../../../etc/passwd",
          "  Include /var/www/shelf/current/../shared/config/apache.conf",
          "  Include /var/www/shelf/current/config/apache/loop-a.inc",
          "  Include /var/www/shelf/current/config/apache/missing.conf",
          "  Include /var/www/shelf/current/<%= fetch(:conf) %>",
          "</VirtualHost>",
          "",
        ].join("\n"),
        "config/apache/loop-a.inc": "Include /var/www/shelf/current/config/apache/loop-b.inc\nLimitRequestBody 1000\n",
        "config/apache/loop-b.inc": "Include /var/www/shelf/current/config/apache/loop-a.inc\n",
      }),
      "shelf",
    );
    const F = "config/apache/shelf.conf";
    expect(warned(m, F, 3, /resolves to \/var\/etc\/passwd, a file of the servers/)).toBe(true);
    expect(warned(m, F, 4, /resolves to \/var\/www\/shelf\/shared\/config\/apache\.conf, a file of the servers/)).toBe(true);
    expect(warned(m, "config/apache/loop-b.inc", 1, /loop-a\.inc includes itself \(config\/apache\/loop-a\.inc → config\/apache\/loop-b\.inc → config\/apache\/loop-a\.inc\)/)).toBe(true);
    expect(warned(m, F, 6, /config\/apache\/missing\.conf in the repo, which has no such file/)).toBe(true);
    expect(warned(m, F, 7, /httpd takes one path; not followed/)).toBe(true);
    expect(m.apache!.files.map((f) => f.file)).toEqual(["config/apache/shelf.conf"]);
    expect(m.apache!.files[0]!.vhosts[0]!.limitRequestBody?.value).toBe("1000");
  });

  it("matches as fnmatch does, per path component; a directory is every file under it", () => {
    const paths = ["c/a.conf", "c/b.txt", "c/sub/z.conf", "c/sub.conf", "d/x.conf"];
    expect(matchRepoFiles("c/*.conf", paths)).toEqual(["c/a.conf", "c/sub.conf"]);
    expect(matchRepoFiles("c", paths)).toEqual(["c/a.conf", "c/b.txt", "c/sub/z.conf", "c/sub.conf"]);
    expect(matchRepoFiles("[cd]/?.conf", paths)).toEqual(["c/a.conf", "d/x.conf"]);
    expect(matchRepoFiles("*/sub", paths)).toEqual(["c/sub/z.conf"]);
  });
});

describe("judged by httpd: the files an Include reads, in order", () => {
  it("ServerRoot-relative wildcards and a directory include read the same files in the same order as apache2 -D DUMP_INCLUDES", async () => {
    const base = mkdtempSync(join(tmpdir(), "r2k-apache-inc-"));
    const root = join(base, "shelf", "current");
    const files: Record<string, string> = {
      "config/apache/shelf.conf": [
        `ServerRoot ${root}`,
        "Include config/apache/parts/*.conf",
        "<VirtualHost *:80>",
        "  ServerName shelf.example.org",
        "  Include config/apache/vhost.d",
        "  IncludeOptional config/apache/none/*.conf",
        "</VirtualHost>",
        "",
      ].join("\n"),
      "config/apache/parts/b.conf": "LimitRequestBody 2\n",
      "config/apache/parts/a.conf": "LimitRequestBody 1\nInclude config/apache/nested/inner.inc\n",
      "config/apache/parts/skip.txt": "LimitRequestBody 99\n",
      "config/apache/nested/inner.inc": "LimitRequestBody 3\n",
      "config/apache/vhost.d/z.inc": "LimitRequestBody 5\n",
      "config/apache/vhost.d/m/k.inc": "LimitRequestBody 4\n",
      "config/apache/vhost.d/m.inc": "LimitRequestBody 6\n",
    };
    for (const [p, t] of Object.entries(files)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), t);
    }
    const r = spawnSync(APACHE, ["-t", "-D", "DUMP_INCLUDES", "-f", join(root, "config/apache/shelf.conf")], { encoding: "utf8" });
    const theirs = [...r.stdout.matchAll(/^\s+\(\d+\) (\S+)$/gm)].map((x) => x[1]!.slice(root.length + 1));
    expect(theirs.length).toBeGreaterThan(3);
    const m = await analyzeFiles(memoryRepo(files), "shelf");
    const ours = [...new Set(flat(m.apache!.files[0]!.directives).map((d) => d.source.file).filter((f) => f !== "config/apache/shelf.conf"))];
    expect(ours).toEqual(theirs);
  });
});

describe("hostile Include patterns and paths", () => {
  const cpuMs = (f: () => void) => {
    const start = process.cpuUsage();
    f();
    const c = process.cpuUsage(start);
    return (c.user + c.system) / 1000;
  };

  it("a pattern of many stars against a long name is matched in linear time (a RegExp took seconds at 55 characters)", () => {
    let hits: string[] = ["unset"];
    expect(cpuMs(() => (hits = matchRepoFiles("x/*a*a*a*a*a*a*c", [`x/${"a".repeat(55)}`])))).toBeLessThan(200);
    expect(hits).toEqual([]);
    expect(cpuMs(() => (hits = matchRepoFiles("x/*a*a*a*a*a*a*a*a*a*c", [`x/${"a".repeat(5000)}`, `x/${"a".repeat(5000)}c`])))).toBeLessThan(500);
    expect(hits).toEqual([`x/${"a".repeat(5000)}c`]);
  });

  it("classes, escapes and leading dots match as httpd's apr_fnmatch does (judged by apache2 -D DUMP_INCLUDES)", () => {
    const names = ["a.conf", ".h.conf", "x[z.conf", "b.conf", "q]c", "zz", "m-n", "!x", "^x", "a-b"];
    const patterns = ["*", "[z-a]*", "[!z-a]*", "x[z*", ".*", "\\.*", "[.]*", "?h*", "[]q]*", "[a-]*", "[!]*", "[^x]*", "[m\\-n]*", "a[!-]*", "[a-c]?*", "\\*"];
    const base = mkdtempSync(join(tmpdir(), "r2k-apache-fnm-"));
    mkdirSync(join(base, "d"));
    for (const n of names) writeFileSync(join(base, "d", n), "LimitRequestBody 1\n");
    const paths = names.map((n) => `d/${n}`);
    for (const pat of patterns) {
      writeFileSync(join(base, "main.conf"), `ServerRoot ${base}\nIncludeOptional d/${pat}\n`);
      const r = spawnSync(APACHE, ["-t", "-D", "DUMP_INCLUDES", "-f", join(base, "main.conf")], { encoding: "utf8" });
      const theirs = [...r.stdout.matchAll(/^\s+\(2\) (\S+)$/gm)].map((x) => x[1]!.slice(base.length + 1));
      expect({ pat, files: matchRepoFiles(`d/${pat}`, paths) }).toEqual({ pat, files: theirs });
    }
  });

  it("an out-of-order range does not stop the Apache analysis; only a deploy layout's first `current` maps into the repo", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "config/apache/shelf.conf": [
          "<VirtualHost *:80>",
          "  ServerName shelf.example.org",
          "  IncludeOptional /var/www/shelf/current/config/apache/[z-a].conf",
          "  Include /etc/letsencrypt/current/options-ssl-apache.conf",
          "  Include /var/www/shelf/current/config/current/limits.conf",
          "</VirtualHost>",
          "",
        ].join("\n"),
        "options-ssl-apache.conf": "LimitRequestBody 7\n",
        "config/current/limits.conf": "LimitRequestBody 1000\n",
        "limits.conf": "LimitRequestBody 9\n",
      }),
      "shelf",
    );
    const F = "config/apache/shelf.conf";
    expect(m.problems.filter((p) => /Range out of order|Invalid regular expression/.test(p.message))).toEqual([]);
    expect(warned(m, F, 3, /where nothing matches/)).toBe(true);
    expect(warned(m, F, 4, /resolves to \/etc\/letsencrypt\/current\/options-ssl-apache\.conf, a file of the servers/)).toBe(true);
    expect(m.apache!.files.find((f) => f.file === F)!.vhosts[0]!.limitRequestBody).toEqual({ value: "1000", source: { file: "config/current/limits.conf", line: 1 } });
  });
});

describe("a release path is mapped by the stage's deploy_to", () => {
  const CAP = {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy/production.rb": 'server "web1.example.org", roles: %w[web app]\n',
    "config/apache/common/uploads.conf": "LimitRequestBody 52428800\n",
  };
  const site = (include: string) => `<VirtualHost *:80>\n  ServerName shelf.example.org\n  Include ${include}\n</VirtualHost>\n`;

  it("under <deploy_to>/current: the repo file, with no pattern warning", async () => {
    const m = await analyzeFiles(memoryRepo({ ...CAP, "config/deploy.rb": 'set :application, "shelf"\nset :deploy_to, "/home/deploy/apps/shelf"\n', "config/apache/shelf.conf": site("/home/deploy/apps/shelf/current/config/apache/common/*.conf") }), "shelf");
    expect(m.apache!.files[0]!.vhosts[0]!.limitRequestBody?.value).toBe("52428800");
    expect(m.problems.filter((p) => p.message.includes("apache.release-by-pattern"))).toEqual([]);
  });

  it("another app's current/ (not under this deploy_to) is a file of the servers, not the repo's", async () => {
    const m = await analyzeFiles(memoryRepo({ ...CAP, "config/deploy.rb": 'set :application, "shelf"\nset :deploy_to, "/home/deploy/apps/shelf"\n', "config/apache/shelf.conf": site("/srv/ledger/current/config/apache/common/*.conf") }), "shelf");
    expect(m.apache!.files[0]!.vhosts[0]!.limitRequestBody).toBeNull();
    expect(warned(m, "config/apache/shelf.conf", 3, /resolves to \/srv\/ledger\/current\/config\/apache\/common\/\*\.conf, a file of the servers outside the deployed app \(the stage's deploy_to is \/home\/deploy\/apps\/shelf\)/)).toBe(true);
  });

  it("deploy_to not known: the current/ component decides, and a named warning says so", async () => {
    const m = await analyzeFiles(memoryRepo({ ...CAP, "config/deploy.rb": 'set :application, "shelf"\nset :deploy_to, ENV.fetch("SHELF_ROOT")\n', "config/apache/shelf.conf": site("/srv/ledger/current/config/apache/common/*.conf") }), "shelf");
    expect(m.apache!.files[0]!.vhosts[0]!.limitRequestBody?.value).toBe("52428800");
    expect(warned(m, "config/apache/shelf.conf", 3, /^apache\.release-by-pattern: Include .*deploy_to is not known/)).toBe(true);
  });
});
