// `case ENV["RAILS_ENV"] when /prod/` decided per stage where JS's RegExp answers exactly as Ruby's
// (analyzers/ruby/idioms/regex.ts), else every branch kept, marked. Judged by Ruby itself: each
// literal is matched by a real `case` in Ruby (hand-picked ones and fast-check's draws from a small
// regex grammar), and a Unicorn config branching on regexps is read by Unicorn::Configurator for
// each stage's RAILS_ENV.
import "../fast-check-seed.js";
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism, parseRuby } from "../../analyzers/ruby/prism.js";
import { regexCaseEquals } from "../../analyzers/ruby/idioms/regex.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { isUnknown, type RValue } from "../../src/model.js";
import { appServerFor } from "../../emitters/app-server.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Our answer for `case subject when <literal>`: the node as Prism parses it, matched by regexCaseEquals. */
function ours(literal: string, subject: RValue): boolean | null {
  const parsed = parseRuby("t.rb", `case x\nwhen ${literal} then 1\nend\n`);
  const node = parsed.root.statements.body[0].conditions[0].conditions[0];
  return regexCaseEquals(node, subject);
}

type Case = { literal: string; subject: string; symbol?: boolean };
const ruby = (cases: Case[]): (boolean | { error: string })[] =>
  runRubyFile(join(here, "regex_case_oracle.rb"), cases.map((c) => (c.symbol ? { literal: c.literal, symbol: c.subject } : { literal: c.literal, subject: c.subject })));

beforeAll(async () => {
  await initPrism();
});

describe("regexp `when` against Ruby", () => {
  const DECIDED: Case[] = [
    { literal: "/prod/", subject: "production" },
    { literal: "/prod/", subject: "preprod" },
    { literal: "/^prod/", subject: "preprod" },
    { literal: "/\\Aprod\\z/", subject: "prod" },
    { literal: "/\\Aprod\\z/", subject: "production" },
    { literal: "/^(staging|qa\\d+)$/", subject: "qa12" },
    { literal: "/^(?:staging|qa\\d+)$/", subject: "qa" },
    { literal: "/PROD/i", subject: "Production" },
    { literal: "/PROD/", subject: "production" },
    { literal: "/[a-c]_env$/", subject: "b_env" },
    { literal: "/[^a-z]/", subject: "staging" },
    { literal: "%r{^dev(elopment)?$}", subject: "development" },
    { literal: "/st.g/", subject: "stage" },
    { literal: "/e{2,3}/", subject: "beep" },
    { literal: "/\\bprod\\b/", subject: "eu-prod-1" },
    { literal: "/prod/", subject: "production", symbol: true },
    { literal: "/^prod$/m", subject: "prod" },
  ];

  it("hand-picked plain literals: decided, and as Ruby decides", () => {
    const got = DECIDED.map((c) => ours(c.literal, c.symbol ? { sym: c.subject } : c.subject));
    expect(got.every((g) => g !== null)).toBe(true);
    expect(got).toEqual(ruby(DECIDED));
  });

  it("what JS may read otherwise is left undecided", () => {
    for (const literal of ["/(?<=x)prod/", "/(a*)*b/", "/(a|b)+/", "/a{,2}/", "/a*+/", "/[[:alpha:]]/", "/[a-z&&[^b]]/", "/(\\w)\\1/", "/prod # x\n/x", "/\\h+/", "/é/"])
      expect(ours(literal, "production"), literal).toBeNull();
    // a subject with a line break or beyond printable ASCII: ^ $ and i are not the same there
    expect(ours("/^prod$/", "x\nprod")).toBeNull();
    expect(ours("/prod/i", "PRÖD")).toBeNull();
    // Onigmo anchors a leading `.*`/`.+` to line starts even behind \b or \B: Ruby says nil for " ax", JS a match
    for (const literal of ["/\\b.*x/", "/\\B.+\\^\\w/", "/(?:\\b.*x)/", "/\\b.{0,}x/"]) expect(ours(literal, " ax"), literal).toBeNull();
    expect(ruby([{ literal: "/\\b.*x/", subject: " ax" }])).toEqual([false]);
    // a nil or number subject never matches a regexp, in Ruby as here
    expect(ours("/prod/", null)).toBe(false);
  });

  it("alternations in sequence (2^n paths for JS) are refused at once",  () => {
    for (const literal of [`/${"(|)".repeat(60)}x/`, `/${"(a|a)".repeat(38)}x/`, "/((a|b)|c)x/", "/(a|b)c(d|e)/", "/a|(b|c)/"]) {
      const t0 = process.hrtime.bigint();
      expect(ours(literal, "a".repeat(40)), literal).toBeNull();
      expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(1000);
    }
    // one alternation site, with any number of alternatives, stays decided
    expect(ours("/^(a|b|c)x$/", "bx")).toBe(true);
    expect(ours("/a|b|prod/", "production")).toBe(true);
  });

  it("fast-check: every literal drawn from a small grammar that we decide, Ruby decides the same", () => {
    const atom = fc.oneof(
      fc.constantFrom("a", "b", "p", "r", "o", "d", "_", "-", "1", ".", "\\d", "\\w", "\\s", "\\.", "[a-c]", "[^o]", "[0-9_]", "P", "D"),
      fc.constantFrom("(ro|od)", "(?:pr)", "(a)"),
    );
    const piece = fc.tuple(atom, fc.constantFrom("", "", "*", "+", "?", "{1,2}", "*?", "{2}")).map(([a, q]) => a + q);
    const body = fc.tuple(fc.constantFrom("", "^", "\\A", "\\b", "\\B", "\\b."), fc.array(piece, { minLength: 1, maxLength: 5 }), fc.constantFrom("", "$", "\\z", "\\Z"), fc.constantFrom("", "|prod")).map(([s, ps, e, alt]) => s + ps.join("") + e + alt);
    const literal = fc.tuple(body, fc.constantFrom("", "i", "m")).map(([b, f]) => `/${b}/${f}`);
    const subject = fc.oneof(fc.constantFrom("production", "prod", "staging", "qa2", "PROD", "a_b", "rdo", "", "pp1"), fc.stringMatching(/^[a-dpro_ 1.-]{0,10}$/));
    const samples = fc.sample(fc.tuple(literal, subject), 400);
    const cases = samples.map(([l, s]) => ({ literal: l, subject: s, mine: ours(l, s) })).filter((c) => c.mine !== null);
    expect(cases.length).toBeGreaterThan(100);
    const theirs = ruby(cases);
    cases.forEach((c, i) => expect(c.mine, `${c.literal} === ${JSON.stringify(c.subject)}`).toBe(theirs[i]));
  });
});

describe("a Unicorn config branching on RAILS_ENV with regexps", () => {
  const CONFIG = [
    'case ENV["RAILS_ENV"]',
    "when /^prod/ then worker_processes 6",
    "when /stag(e|ing)/i then worker_processes 3",
    "else worker_processes 1",
    "end",
    'timeout(ENV["RAILS_ENV"] =~ /prod/ ? 30 : 60)',
    "case ENV[\"RAILS_ENV\"]",
    "when /(?<=pre)view/ then preload_app false",
    "else preload_app true",
    "end",
    "",
  ].join("\n");
  const files = (): Record<string, string> => ({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'set :application, "weir"\nset :repo_url, "git@git.example.test:weir.git"\nset :deploy_to, "/srv/weir"\nset :unicorn_config_path, "config/unicorn.rb"\n',
    "config/deploy/production.rb": 'server "w1.example.test", roles: %w[web app]\nset :rails_env, "production"\n',
    "config/deploy/staging.rb": 'server "w2.example.test", roles: %w[web app]\nset :rails_env, "Staging"\n',
    "config/unicorn.rb": CONFIG,
  });

  it("workers follow the branch Unicorn takes for each stage; an unreadable regexp leaves its setting unknown", async () => {
    const m = await analyzeFiles(memoryRepo(files()), "weir");
    const path = join(mkdtempSync(join(tmpdir(), "r2k-case-regex-")), "unicorn.rb");
    writeFileSync(path, CONFIG);
    const real = runRubyFile(join(here, "unicorn_oracle.rb"), ["production", "Staging"].map((env) => ({ path, env })));
    for (const [i, name] of ["production", "staging"].entries()) {
      const cfg = appServerFor(m, m.stages.find((s) => s.name === name)!)!;
      expect(cfg.workers?.value, name).toBe(real[i].worker_processes);
      expect(isUnknown(cfg.preloadApp!.value), name).toBe(true);
    }
    expect(real.map((r: any) => r.worker_processes)).toEqual([6, 3]);
  });

  it("a hostile regexp (60 alternations in sequence) is refused quickly: every branch kept", async () => {
    const hostile = `case ENV["RAILS_ENV"]\nwhen /${"(|)".repeat(60)}x/ then worker_processes 6\nelse worker_processes 2\nend\n`;
    const repo = { ...files(), "config/unicorn.rb": hostile };
    const t0 = process.hrtime.bigint();
    const m = await analyzeFiles(memoryRepo(repo), "weir");
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(5000);
    for (const name of ["production", "staging"]) expect(isUnknown(appServerFor(m, m.stages.find((s) => s.name === name)!)!.workers!.value), name).toBe(true);
  });
});
