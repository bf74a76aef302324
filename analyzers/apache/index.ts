// Apache vhost configs and their `.erb` templates (Passenger under Apache: mod_passenger's
// directives sit in the vhost). A template is rendered once per stage with the stage's Capistrano
// variables, as the deploy rendered it for that stage's servers; each directive is cited at the
// template line it came from, and a value no stage knows stays as its ERB text, said once. What the
// edge needs is read from each <VirtualHost>: its hosts (ServerName, ServerAlias), TLS, and the
// upload limit (LimitRequestBody). Passenger's own directives are read by appserver/passenger.ts.
import { perItem } from "../per-item.js";
import type { AnalyzerContext, ApacheDirective, ApacheFacts, ApacheFile, ApacheVhost, Fact, Problem, RValue, Stage } from "../../src/model.js";
import { APACHE_ENV_DIRECTIVES, APACHE_SECRET_NOT_KEPT, railsEnvOf } from "../../src/model.js";
import { secretEnvEntry } from "../../src/model/secret-env.js";
import { renderErb, restoreString } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { deployToOf } from "../appserver/files.js";
import { isUnknown } from "../ruby/evaluate.js";
import { displayValue } from "../nginx/template.js";
import { EXAMPLE_SUFFIX } from "../nginx/index.js";
import { parseApache } from "./parse.js";
import { expandIncludes } from "./include.js";

/** Folders that are never the app's own server config (vendored gems and plugins, tests, docs, app code). */
const NEVER = /(?:^|\/)(?:node_modules|vendor|spec|test|tmp|log|public|coverage|\.git)\/|^(?:app|docs?)\//;
/** Kinds of file that are never an Apache config, once `.erb` and `.example`-style suffixes are set aside. */
const NOT_APACHE = /\.(rb|ru|rake|ya?ml|json|js|ts|sh|md|txt|html?|css|key|pem|crt|service|socket|plist|xml|ini|toml|env|lock)$/i;
/** What only an Apache config writes: a VirtualHost section, or mod_passenger's directives run together (nginx's are snake_case); Apache takes any case. */
const APACHE_CONTENT = /^[ \t]*<VirtualHost[\s>]|^[ \t]*(?:Passenger[A-Z]\w*|RailsEnv|RackEnv|RailsBaseURI)[ \t]/im;
/** LimitRequestBody as Apache 2.4 takes it: one non-negative whole number of bytes that fits its 64-bit file offset. */
const limitAccepted = (v: string): boolean => /^\d{1,19}$/.test(v) && BigInt(v) <= 9223372036854775807n;

export function isApacheCandidate(path: string, text: () => string | null): boolean {
  if (NEVER.test(path)) return false;
  const base = path.slice(path.lastIndexOf("/") + 1);
  const inner = base.replace(EXAMPLE_SUFFIX, "").replace(/\.erb$/, "").replace(EXAMPLE_SUFFIX, "");
  if (NOT_APACHE.test(inner)) return false;
  // Only files that could be an Apache config are read: *.conf, templates, examples, or named for Apache/Passenger.
  if (!/\.(?:conf|erb|vhost|example|sample)$|(?:apache|httpd|vhost|passenger)[^/]*$/i.test(path)) return false;
  const t = text();
  return t !== null && APACHE_CONTENT.test(t);
}

export function analyzeApache(ctx: AnalyzerContext, stages: Stage[]): ApacheFacts {
  const seen = new Set<string>();
  // A template's problems are the same for every stage: each said once.
  const problem = (p: Problem) => {
    const key = `${p.file}:${p.line}:${p.message}`;
    if (!seen.has(key)) seen.add(key), ctx.problem(p);
  };
  // One file that cannot be read, or that trips the reader, costs that file alone (analyzers/per-item.ts),
  // whether it is a config of its own or one another config includes.
  const textOf = (p: string) =>
    perItem({ problem }, { file: p }, "this Apache file", null, () => {
      const r = ctx.repo.read(p);
      return "text" in r ? r.text : null;
    });
  const files: ApacheFile[] = [];
  // Files each config includes: one included by another config is read there, in its place, not again on its own.
  const reachedBy = new Map<string, Set<string>>();
  // A config read for no one stage maps server paths by the deploy_to every stage shares, when they share one.
  const deployTos = new Set(stages.map(deployToOf));
  const common = deployTos.size === 1 ? [...deployTos][0]! : null;
  const reader = { paths: ctx.repo.paths, read: textOf, problem, deployTo: common };
  for (const file of ctx.repo.paths) perItem({ problem }, { file }, "this Apache config", undefined, () => {
    if (!isApacheCandidate(file, () => textOf(file))) return;
    const text = textOf(file);
    if (text === null) return;
    const example = EXAMPLE_SUFFIX.test(file);
    const erb = file.replace(EXAMPLE_SUFFIX, "").endsWith(".erb");
    for (const stage of (erb || includesTemplate(file, text, reader)) && stages.length ? stages : [null]) {
      let body = text;
      let lineOf = (n: number) => n;
      let refs = new Map<string, RValue>();
      // The config's own template and every `.erb` it includes render alike, for the same stage.
      const render = (f: string, t: string) => {
        const out = renderErb(f, t, stage ? stageScope(stage) : {}, problem, { branches: true });
        for (const l of out.logic)
          problem({ file: f, line: l.line, message: "Apache template: Ruby code tag (<% %>) not run (its condition or loop is not known for the stage); every branch is read as if rendered", severity: "warning" });
        return { body: out.output, refs: out.refs, lineOf: (n: number) => out.lines[n] ?? n };
      };
      if (erb) ({ body, refs, lineOf } = render(file, text));
      const stageReader = {
        ...reader,
        deployTo: stage ? deployToOf(stage) : common,
        render: (f: string, t: string) => {
          const r = render(f, t);
          return { body: r.body, lineOf: r.lineOf, restore: (nodes: ApacheDirective[]) => restore(nodes, r.refs, stage?.name ?? null, problem) };
        },
      };
      const parsed = parseApache(file, body, lineOf);
      if (parsed.error) {
        problem({ file, line: parsed.error.line, message: `not a valid Apache config (${parsed.error.message}): its vhosts and Passenger settings are not read`, severity: "warning" });
        break;
      }
      const reached = reachedBy.get(file) ?? new Set<string>();
      reachedBy.set(file, reached);
      const directives = withoutSecrets(expandIncludes(file, restore(parsed.directives, refs, stage?.name ?? null, problem), stageReader, reached));
      files.push({ file, stage: stage?.name ?? null, directives, vhosts: vhostsOf(directives, problem), ...(example ? { example } : {}) });
    }
  });
  // Dropped: a file another config includes, unless it includes that config in turn (a cycle: both kept).
  const included = (f: string) => [...reachedBy].some(([g, r]) => g !== f && r.has(f) && !reachedBy.get(f)?.has(g));
  const kept = files.filter((f) => !included(f.file));
  // As with nginx's config per stage: a directory outside every deploy_to says "no stage" only where
  // some vhost's directory lies under one (the repo's vhosts do name the deploy's paths).
  const roots = deployRoots(stages);
  const pathsSpeak = kept.some((f) => f.stage === null && f.vhosts.some((v) => servedDirs(vhostBody(f.directives, v) ?? []).some((d) => roots.some((r) => under(d.path, r.dir)))));
  for (const f of kept) if (!f.example) for (const v of f.vhosts) tieToStage(f, v, stages, pathsSpeak);
  return { files: kept };
}

/**
 * Directives naming a directory a vhost serves the app from. Not PassengerRoot (Passenger's own
 * install) nor RailsBaseURI/RackBaseURI (a URL path under the DocumentRoot, which is read).
 */
const SERVED_DIRS = ["DocumentRoot", "PassengerAppRoot"];
/** Directives naming the Rails environment Passenger runs the vhost's app in. */
const ENV_NAMES = ["RailsEnv", "RackEnv", "PassengerAppEnv"];

/**
 * Which stage a vhost serves, by the rule nginx's server blocks follow (nginx/index.ts
 * claimByDeployTo): the directory it serves, under a stage's deploy_to (the deepest); else the Rails
 * environment Passenger runs it in, when one stage deploys that environment; else the stage a
 * config/apache/<stage>.conf is named for. A vhost whose absolute directories all lie under no
 * stage's deploy_to, or whose environment no stage deploys, serves no stage. A template rendered
 * for a stage is that stage's already.
 */
function tieToStage(f: ApacheFile, v: ApacheVhost, stages: Stage[], pathsSpeak: boolean): void {
  if (f.stage !== null || !stages.length) return;
  const body = vhostBody(f.directives, v);
  if (!body) return;
  const roots = deployRoots(stages);
  const dirs = servedDirs(body);
  const byPath = new Map<string, ApacheDirective["source"]>();
  for (const { path, source } of dirs) {
    const holding = roots.filter((r) => under(path, r.dir));
    if (!holding.length) continue;
    const deepest = Math.max(...holding.map((r) => r.dir.length));
    const owners = holding.filter((r) => r.dir.length === deepest);
    if (owners.length === 1 && !byPath.has(owners[0]!.stage)) byPath.set(owners[0]!.stage, source);
  }
  if (byPath.size === 1) {
    const [[stage, source]] = [...byPath];
    v.servesStage = { value: stage!, source: source! };
    return;
  }
  if (byPath.size > 1) return;
  const env = ENV_NAMES.flatMap((n) => all(body, n)).find((d) => d.args[0] && !unresolved(d.args[0]));
  if (env) {
    const deploying = stages.filter((s) => railsEnvOf(s) === env.args[0]);
    if (deploying.length === 1) v.servesStage = { value: deploying[0]!.name, source: env.source };
    else if (!deploying.length) v.servesNoStage = { why: `${env.name} ${env.args[0]}: no stage deploys Rails environment ${env.args[0]}`, source: env.source };
    if (deploying.length) return;
  }
  if (pathsSpeak && dirs.length && !v.servesNoStage) {
    v.servesNoStage = { why: `${dirs[0]!.path} lies under no stage's deploy_to (${[...new Set(roots.map((r) => r.dir))].join(", ")})`, source: dirs[0]!.source };
    return;
  }
  if (v.servesNoStage) return;
  const named = /^config\/apache2?\/([^/]+)\.conf$/.exec(f.file.replace(EXAMPLE_SUFFIX, ""));
  const owner = named ? stages.find((s) => s.name === named[1]) : undefined;
  if (owner) v.servesStage = { value: owner.name, source: v.source };
}

const deployRoots = (stages: Stage[]): { stage: string; dir: string }[] =>
  stages.flatMap((s) => {
    const d = deployToOf(s)?.replace(/\/+$/, "");
    return d && d.startsWith("/") ? [{ stage: s.name, dir: d }] : [];
  });
const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/** The absolute server directories a vhost serves (SERVED_DIRS); a value no stage knows says nothing. */
function servedDirs(body: ApacheDirective[]): { path: string; source: ApacheDirective["source"] }[] {
  return SERVED_DIRS.flatMap((n) => all(body, n))
    .flatMap((d) => (d.args[0] && d.args[0].startsWith("/") && !unresolved(d.args[0]) ? [{ path: d.args[0].replace(/\/+$/, ""), source: d.source }] : []));
}

/** The body of the <VirtualHost> section a vhost was read from. */
function vhostBody(ds: ApacheDirective[], v: ApacheVhost): ApacheDirective[] | null {
  for (const d of ds) {
    if (d.name.toLowerCase() === "virtualhost" && d.source.file === v.source.file && d.source.line === v.source.line) return d.block ?? [];
    const inner = d.block ? vhostBody(d.block, v) : null;
    if (inner) return inner;
  }
  return null;
}

/** Whether a plain config includes a `.erb` template (then read once per stage, as the template renders). */
function includesTemplate(file: string, text: string, reader: { paths: readonly string[]; read: (p: string) => string | null }): boolean {
  if (!/^[ \t]*Include/im.test(text) || !reader.paths.some((p) => p.endsWith(".erb"))) return false;
  const parsed = parseApache(file, text);
  if (parsed.error) return false;
  const reached = new Set<string>();
  // Tags dropped: only which files are reached matters here.
  const render = (_: string, t: string) => ({ body: t.replace(/<%[\s\S]*?%>/g, ""), lineOf: (n: number) => n, restore: (ds: ApacheDirective[]) => ds });
  expandIncludes(file, parsed.directives, { ...reader, problem: () => {}, render }, reached);
  return [...reached].some((f) => f.endsWith(".erb"));
}

// Shared with the emitters (config.env carries the non-secret ones): defined in src/model.ts.
export { APACHE_ENV_DIRECTIVES, APACHE_SECRET_NOT_KEPT };

/** The config without the values it gives secret-named (or secret-shaped) variables: analyzers/secrets.ts lists each by name. */
function withoutSecrets(nodes: ApacheDirective[]): ApacheDirective[] {
  return nodes.map((d) => {
    const secret = APACHE_ENV_DIRECTIVES.has(d.name.toLowerCase()) && d.args.length >= 2 && d.args.slice(1).some((a) => secretEnvEntry(d.args[0]!, a));
    return { ...d, ...(secret ? { args: [d.args[0]!, APACHE_SECRET_NOT_KEPT] } : {}), ...(d.block ? { block: withoutSecrets(d.block) } : {}) };
  });
}

const TOKEN = /R2K_REF_\d+_/g;

/** Puts each value the stage does not know back as its ERB text, and says it once per line. */
function restore(nodes: ApacheDirective[], refs: Map<string, RValue>, stage: string | null, problem: (p: Problem) => void): ApacheDirective[] {
  if (!refs.size) return nodes;
  const one = (s: string, d: ApacheDirective): string => {
    if (!s.includes("R2K_REF_")) return s;
    for (const m of s.matchAll(TOKEN)) {
      const v = refs.get(m[0]);
      if (v === undefined) continue;
      const why = v !== null && typeof v === "object" && !Array.isArray(v) && isUnknown(v) ? ` (${v.unknown})` : "";
      problem({ ...d.source, message: `Apache template: ${d.name} ${displayValue(v)} has no value known${stage ? ` for stage ${stage}` : ""}${why}; kept as written, and not read as a fact`, severity: "warning" });
    }
    return refs.has(s) ? displayValue(restoreString(s, refs)) : s.replace(TOKEN, (t) => displayValue(restoreString(t, refs)));
  };
  return nodes.map((d) => ({ ...d, args: d.args.map((a) => one(a, d)), ...(d.block ? { block: restore(d.block, refs, stage, problem) } : {}) }));
}

const unresolved = (s: string) => s.includes("<%");
const all = (ds: ApacheDirective[], name: string): ApacheDirective[] =>
  ds.flatMap((d) => [...(d.name.toLowerCase() === name.toLowerCase() ? [d] : []), ...(d.block && d.name.toLowerCase() !== "virtualhost" ? all(d.block, name) : [])]);
const fact = (value: string, d: ApacheDirective): Fact<string> => ({ value, source: d.source });

/**
 * The largest LimitRequestBody among these directives (the edge has one limit per host, and a
 * smaller one would refuse uploads Apache took; 0, no limit, is the largest). A value Apache
 * refuses is said and left out; one no stage knows is kept as written (the edge names it).
 */
function largestLimit(ds: ApacheDirective[], problem: (p: Problem) => void): Fact<string> | null {
  let best: Fact<string> | null = null;
  for (const d of ds) {
    const v = d.args[0] ?? "";
    if (d.args.length !== 1 || (!unresolved(v) && !limitAccepted(v))) {
      problem({ ...d.source, message: `LimitRequestBody ${d.args.join(" ")}: Apache refuses it at start (it takes one whole number of bytes), so the servers never ran it; it is not carried`, severity: "warning" });
      continue;
    }
    if (unresolved(v)) {
      best ??= fact(v, d);
      continue;
    }
    const prev = best && !unresolved(best.value) ? Number(best.value) : -1;
    if (prev !== 0 && (Number(v) === 0 || Number(v) > prev)) best = fact(v, d);
  }
  return best;
}

/**
 * The directive sending the whole plain-HTTP vhost to https:// (mod_alias: `Redirect [status] /
 * https://…`, `RedirectPermanent / https://…`, `RedirectMatch [status] ^/… https://…`; mod_rewrite
 * under `RewriteEngine on`: a RewriteRule whose substitution is an https:// URL, which mod_rewrite
 * answers with a redirect). A status that is no redirect (410, gone) sends nobody anywhere.
 */
function httpsRedirectOf(body: ApacheDirective[]): Fact<boolean> | null {
  const https = (a: string | undefined) => /^"?https:\/\//i.test(a ?? "");
  const REDIRECT_STATUS = /^(?:permanent|temp|seeother|30[0-8])$/i;
  const rewriting = all(body, "RewriteEngine").some((d) => /^on$/i.test(d.args[0] ?? ""));
  // The whole site: `/` for mod_alias's prefix match, a pattern taking every path for the others.
  const EVERY_PATH = /^"?\^?\/?\??(?:\(\.\*\)|\.\*)?\$?"?$/;
  for (const d of [...all(body, "Redirect"), ...all(body, "RedirectPermanent"), ...all(body, "RedirectTemp"), ...all(body, "RedirectMatch"), ...(rewriting ? all(body, "RewriteRule") : [])]) {
    const name = d.name.toLowerCase();
    if (name === "rewriterule" && !wholeSiteRewrite(d, body)) continue;
    const args = (name === "redirect" || name === "redirectmatch") && REDIRECT_STATUS.test(d.args[0] ?? "") ? d.args.slice(1) : d.args;
    const whole = name === "redirectmatch" || name === "rewriterule" ? EVERY_PATH.test(args[0] ?? "") : /^"?\/"?$/.test(args[0] ?? "");
    if (whole && https(args[1])) return { value: true, source: d.source };
  }
  return null;
}

// A RewriteCond that only says "not https yet" (the vhost's every request on plain HTTP meets it).
const NOT_YET_HTTPS: [RegExp, RegExp][] = [
  [/^%\{HTTPS\}$/i, /^(?:off|=off|\^off\$|!on|!=on|!\^on\$)$/i],
  [/^%\{SERVER_PORT\}$/i, /^(?:80|=80|\^80\$|!443|!=443|!\^443\$)$/i],
  [/^%\{HTTP:X-Forwarded-Proto\}$/i, /^(?:!https|!=https|!\^https\$|http|=http|\^http\$)$/i],
];

/**
 * A RewriteRule sends the whole site elsewhere only with a redirect flag (R, R=3xx), without P
 * (mod_proxy fetches the URL instead), and when the RewriteConds right before it, which gate it,
 * are only "not already https" checks: any other (a host, a path, a cookie) limits who is sent.
 */
function wholeSiteRewrite(rule: ApacheDirective, body: ApacheDirective[]): boolean {
  const last = rule.args[rule.args.length - 1] ?? "";
  const flags = rule.args.length >= 3 && /^"?\[.*\]"?$/.test(last) ? last.replace(/^"?\[|\]"?$/g, "").split(",").map((f) => f.trim()) : [];
  if (flags.some((f) => /^(?:P|proxy)$/i.test(f))) return false;
  if (!flags.some((f) => /^(?:R|redirect)(?:=(?:30[0-8]|permanent|temp|seeother))?$/i.test(f))) return false;
  const conds = condsBefore(rule, body);
  if (conds === null) return false;
  return conds.every((c) => {
    const [test, pattern, cflags] = c.args.map((a) => a.replace(/^"|"$/g, ""));
    if (cflags !== undefined && !cflags.replace(/^\[|\]$/g, "").split(",").every((f) => /^(?:NC|nocase|OR|ornext)$/i.test(f.trim()))) return false;
    return c.args.length <= 3 && NOT_YET_HTTPS.some(([t, p]) => t.test(test ?? "") && p.test(pattern ?? ""));
  });
}

/** The RewriteConds right before `rule` in its own block, or null when the rule is not found. */
function condsBefore(rule: ApacheDirective, ds: ApacheDirective[]): ApacheDirective[] | null {
  const i = ds.indexOf(rule);
  if (i >= 0) {
    let j = i;
    while (j > 0 && ds[j - 1]!.name.toLowerCase() === "rewritecond") j--;
    return ds.slice(j, i);
  }
  for (const d of ds) {
    const found = d.block && d.name.toLowerCase() !== "virtualhost" ? condsBefore(rule, d.block) : null;
    if (found) return found;
  }
  return null;
}

function vhostsOf(directives: ApacheDirective[], problem: (p: Problem) => void): ApacheVhost[] {
  const serverWide = largestLimit(all(directives, "LimitRequestBody"), problem);
  const sections = (ds: ApacheDirective[]): ApacheDirective[] => ds.flatMap((d) => (d.name.toLowerCase() === "virtualhost" ? [d] : d.block ? sections(d.block) : []));
  return sections(directives).map((v) => {
    const body = v.block ?? [];
    const address = v.args.join(" ");
    const port = /:(\d{1,5})$/.exec(v.args[0] ?? "");
    const names: Fact<string>[] = [];
    for (const d of [...all(body, "ServerName").slice(0, 1), ...all(body, "ServerAlias")])
      for (const a of d.name.toLowerCase() === "servername" ? d.args.slice(0, 1) : d.args) {
        // ServerName may carry a scheme and a port (`https://www.example.org:443`): the host is the name.
        const host = unresolved(a) ? a : a.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/:\d+$/, "");
        if (host) names.push(fact(host, d));
      }
    const ssl = all(body, "SSLEngine").find((d) => /^on$/i.test(d.args[0] ?? ""));
    const root = all(body, "DocumentRoot")[0];
    return {
      source: v.source,
      address,
      port: port ? Number(port[1]) : null,
      ssl: ssl ? { value: true, source: ssl.source } : null,
      serverNames: names,
      limitRequestBody: largestLimit(all(body, "LimitRequestBody"), problem) ?? serverWide,
      documentRoot: root?.args[0] ? fact(root.args[0], root) : null,
      redirectsToHttps: ssl ? null : httpsRedirectOf(body),
    };
  });
}
