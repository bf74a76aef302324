// Mapping rules of the hosts a stage answers on: its own evidence (stageHosts, stageHostDifference,
// nginxNameHosts), names the edge cannot route (isRoutableHost, machineName, unroutableServerNames),
// suggestions where nothing names one (mailerHostSuggestion, exampleHostSuggestion,
// sharedHostSuggestion, sharedHostFiles, sshHostSuggestion) and the placeholder otherwise
// (placeholderHost, isPlaceholderHost). Index of all rules: ./README.md.
import { type ApacheFile, type Source, type Stage, stageLabel } from "../../../src/model.js";
import { type ModelLike, stringOf, railsEnvOf, productionStage } from "./stage.js";
import { nginxFilesFor, apacheFilesFor, apacheVhostsOf } from "./site-files.js";

/**
 * A name a cloud provider gives one machine, not a host the site answers on: EC2's public and
 * private DNS names (ec2-1-2-3-4.compute-1.amazonaws.com, ….<region>.compute.amazonaws.com,
 * ip-10-0-0-1.ec2.internal, ….compute.internal) and Compute Engine's reverse names
 * (….bc.googleusercontent.com), an IP address and localhost; what it is, or null. The name goes with
 * the machine (a new instance gets another), and no certificate authority (ACM included) issues a
 * certificate for it. One rule for the hosts the edge routes and the notes on those it does not.
 */
export function machineName(name: string): string | null {
  const n = name.toLowerCase();
  if (/\.compute(?:-1)?\.amazonaws\.com$/.test(n) || /\.(?:compute|ec2)\.internal$/.test(n)) return "an EC2 machine's own DNS name";
  if (/\.bc\.googleusercontent\.com$/.test(n)) return "a Compute Engine machine's own DNS name";
  if (/^\d+(\.\d+){3}$/.test(n)) return "an IP address";
  if (n === "localhost") return "localhost";
  return null;
}

/** A server_name the edge can route: a host name or a `*.` wildcard; not `_`, regexes, IPs or localhost. */
export function isRoutableHost(name: string): boolean {
  // .local names (mDNS, RFC 6762: resolved on the local network only, never by DNS); one machine's names (machineName)
  if (!name || name === "_" || name.startsWith("~") || /\.local$/i.test(name) || machineName(name)) return false;
  return /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(name);
}

/** A plain file the deploy linked for this one stage alone: its hosts are that stage's own. */
const linkedForOnly = (f: ModelLike["nginx"]["files"][number], stage: Stage): boolean => f.linkedFor?.stages.length === 1 && f.linkedFor.stages[0] === stage.name;

/**
 * Whether a stage may take its hosts from these nginx files. A rendered template names the stage's
 * own hosts; a plain file holds one set of server_names, which only the production stage can claim —
 * so no production host ever lands on another stage (its hosts become a question instead).
 */
function hostsBelongToStage(model: ModelLike, stage: Stage): boolean {
  if (model.nginx.files.some((f) => f.stage === stage.name || f.servesStage?.value === stage.name || linkedForOnly(f, stage))) return true;
  return model.stages.length === 0 || productionStage(model.stages)?.name === stage.name;
}

/** Whether the hosts of this one file of the stage's (nginxFilesFor) are the stage's: an untied plain file's are production's only. */
function fileHostsBelong(model: ModelLike, stage: Stage, f: ModelLike["nginx"]["files"][number]): boolean {
  // a file several stages' deploys render names no one stage's hosts: asked (sharedHostSuggestion)
  if (f.sharedBy) return false;
  if (f.stage !== null || f.servesStage?.value === stage.name || linkedForOnly(f, stage)) return true;
  return model.stages.length === 0 || productionStage(model.stages)?.name === stage.name;
}

/** Capistrano variables that name a stage's own host (capistrano3-puma's nginx_server_name, capistrano3-nginx's nginx_domains, and the common hand-made ones). */
const HOST_VARIABLES = ["nginx_server_name", "nginx_domains", "server_name", "domain", "url", "app_host", "host_name", "hostname"];

/**
 * Mina's `domain` is the host its deploy logs in to over SSH (an IP, a bastion, a box behind a load
 * balancer): never evidence of the host the site answers on (sshHostSuggestion offers it, labelled).
 */
const hostVariables = (model: ModelLike): string[] => (model.capistrano?.tool === "mina" ? HOST_VARIABLES.filter((n) => n !== "domain") : HOST_VARIABLES);

/**
 * The SSH host of a Mina stage whose public hosts nothing names: offered to the person answering,
 * labelled as the login host, never written as the stage's host.
 */
export function sshHostSuggestion(model: ModelLike, stage: Stage): { host: string; source: Source } | null {
  if (model.capistrano?.tool !== "mina" || stageHosts(model, stage).length) return null;
  const fact = stage.variables["domain"];
  const text = fact ? stringOf(fact.value) : null;
  const host = text?.trim().toLowerCase() ?? "";
  return fact && isRoutableHost(host) ? { host, source: fact.source } : null;
}

/**
 * Capistrano variables that hold nginx's own server_name for the stage (a hand-made
 * `set :server_name, "a.be www.a.be"` rendered into the site, capistrano3-puma's nginx_server_name,
 * capistrano3-nginx's nginx_domains): the stage says these are its hosts, so they join the hosts nginx
 * names (each cited to its own line) instead of standing only where nginx names none.
 */
const SERVER_NAME_VARIABLES = ["server_name", "nginx_server_name", "nginx_domains"];

/**
 * Hosts of a stage from its own evidence only, never another stage's: its nginx `server_name`s (see
 * hostsBelongToStage) together with the hosts its server_name-style variables name (a host the
 * variable names and nginx does not is not dropped: stageHostDifference names it), else its other
 * Capistrano host variables. Empty when nothing names one: a gap (whose default may be the mailer's
 * host, mailerHostSuggestion).
 */
export function stageHosts(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  const fromNginx = hostsFromNginx(model, stage);
  const named = serverNameVariableHosts(model, stage);
  if (fromNginx.length) {
    const seen = new Set(fromNginx.map((h) => h.host));
    return [...fromNginx, ...named.filter((h) => !seen.has(h.host))];
  }
  const fromApache = hostsFromApache(model, stage);
  if (fromApache.length) {
    const seen = new Set(fromApache.map((h) => h.host));
    return [...fromApache, ...named.filter((h) => !seen.has(h.host))];
  }
  const out: { host: string; source: Source }[] = [...named];
  for (const name of hostVariables(model)) {
    if (SERVER_NAME_VARIABLES.includes(name)) continue;
    const fact = stage.variables[name];
    const text = fact ? stringOf(fact.value) : null;
    if (!fact || text === null) continue;
    for (const word of text.split(/[\s,]+/)) {
      const host = word.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/[/:].*$/, "").toLowerCase();
      if (isRoutableHost(host) && !out.some((o) => o.host === host)) out.push({ host, source: fact.source });
    }
  }
  return out;
}

/**
 * The hosts a stage's server_name-style variables name, split as nginx splits a server_name
 * (whitespace only: a comma would be part of the name in nginx, so a word holding one is no host), a
 * leading-dot name being the name and its wildcard (nginxNameHosts). A list value (nginx_domains) is
 * one name per element.
 */
function serverNameVariableHosts(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  const out: { host: string; source: Source }[] = [];
  for (const name of SERVER_NAME_VARIABLES) {
    if (!hostVariables(model).includes(name)) continue;
    const fact = stage.variables[name];
    if (!fact) continue;
    const words = Array.isArray(fact.value) ? fact.value.map((v) => stringOf(v)) : [stringOf(fact.value)];
    for (const text of words) {
      if (text === null) continue;
      for (const word of text.split(/\s+/).filter(Boolean))
        for (const host of nginxNameHosts(word))
          if (isRoutableHost(host) && !out.some((o) => o.host === host)) out.push({ host, source: fact.source });
    }
  }
  return out;
}

/**
 * Where a stage's server_name-style variable and the server_names of its nginx (or Apache) config
 * disagree: the hosts only the variable names (kept: the stage said so) and the hosts only the config
 * names (kept too: the servers answered on them). Both are listed for the person to confirm, never
 * silently unioned. Null when they agree or one side is silent.
 */
export function stageHostDifference(model: ModelLike, stage: Stage): { variable: Source; onlyVariable: string[]; config: Source[]; onlyConfig: string[] } | null {
  const named = serverNameVariableHosts(model, stage);
  if (!named.length) return null;
  const nginx = hostsFromNginx(model, stage);
  const config = nginx.length ? nginx : hostsFromApache(model, stage);
  if (!config.length) return null;
  const inConfig = new Set(config.map((h) => h.host));
  const inVariable = new Set(named.map((h) => h.host));
  const onlyVariable = named.filter((h) => !inConfig.has(h.host)).map((h) => h.host);
  const onlyConfigHosts = config.filter((h) => !inVariable.has(h.host));
  if (!onlyVariable.length && !onlyConfigHosts.length) return null;
  const sources: Source[] = [];
  for (const h of config) if (!sources.some((s) => s.file === h.source.file && s.line === h.source.line)) sources.push(h.source);
  return { variable: named[0]!.source, onlyVariable, config: sources, onlyConfig: onlyConfigHosts.map((h) => h.host) };
}

/**
 * The host a stage's Rails environment's mailer links to (`action_mailer.default_url_options` in
 * config/environments/<env>.rb), when nothing else names the stage's hosts. Only a suggestion: mail
 * may link to another app (an admin app's mail points at the public site), and routing that host
 * would take the other app's traffic. Where nginx or a stage variable names hosts, those are the fact.
 */
export function mailerHostSuggestion(model: ModelLike, stage: Stage): { host: string; source: Source } | null {
  if (stageHosts(model, stage).length) return null;
  const mailer = model.rails.mailerHosts?.[railsEnvOf(stage)];
  if (!mailer) return null;
  const host = mailer.value.toLowerCase();
  if (!isRoutableHost(host)) return null;
  // A staging environment whose mail links to production's host (copied config) names production, not itself.
  const prod = productionStage(model.stages);
  if (prod && prod.name !== stage.name) {
    const prodHosts = [...stageHosts(model, prod).map((h) => h.host), model.rails.mailerHosts?.[railsEnvOf(prod)]?.value.toLowerCase()];
    if (railsEnvOf(prod) !== railsEnvOf(stage) && prodHosts.includes(host)) return null;
  }
  if (!mailerHostIsStages(model, stage, host)) return null;
  return { host, source: mailer.source };
}

/**
 * The hosts an example copy of the nginx config (config/nginx.conf.example) names for a stage whose
 * hosts nothing else names, mailer included: read by the rule the real files follow (a plain file's
 * are the production stage's only). Only a suggestion, cited as an example file's: a copy meant to be
 * edited before use may hold the upstream project's host, not this deployment's.
 */
export function exampleHostSuggestion(model: ModelLike, stage: Stage): { hosts: string[]; source: Source } | null {
  if (stageHosts(model, stage).length || mailerHostSuggestion(model, stage) || !hostsBelongToStage(model, stage)) return null;
  const found: { host: string; source: Source }[] = [];
  for (const f of nginxFilesFor(model, stage).filter((x) => x.example && fileHostsBelong(model, stage, x)))
    for (const s of f.servers)
      for (const n of s.serverNames)
        for (const host of nginxNameHosts(n.value)) if (isRoutableHost(host) && !found.some((o) => o.host === host)) found.push({ host, source: n.source });
  return found.length ? { hosts: found.map((h) => h.host), source: found[0]!.source } : null;
}

/**
 * The hosts of a plain nginx file that several stages' deploys render (NginxFile.sharedBy), for a
 * stage among them whose hosts nothing else names: offered as the production stage's default (the
 * rule a plain file's hosts follow), to confirm; another stage sharing it is asked with a
 * placeholder, the file's hosts named (sharedHostFiles). Never a fact of any one stage.
 */
export function sharedHostSuggestion(model: ModelLike, stage: Stage): { hosts: string[]; source: Source; stages: string[] } | null {
  if (stageHosts(model, stage).length || productionStage(model.stages)?.name !== stage.name) return null;
  const files = sharedHostFiles(model, stage);
  const found: { host: string; source: Source }[] = [];
  for (const f of files)
    for (const s of f.servers)
      for (const n of s.serverNames)
        for (const host of nginxNameHosts(n.value)) if (isRoutableHost(host) && !found.some((o) => o.host === host)) found.push({ host, source: n.source });
  return found.length ? { hosts: found.map((h) => h.host), source: found[0]!.source, stages: [...new Set(files.flatMap((f) => f.sharedBy!.stages))] } : null;
}

/** The stage's nginx files that several stages' deploys render (NginxFile.sharedBy), this one among them. */
export function sharedHostFiles(model: ModelLike, stage: Stage): ModelLike["nginx"]["files"] {
  return nginxFilesFor(model, stage).filter((f) => !f.example && f.sharedBy?.stages.includes(stage.name));
}

/**
 * Whether a mailer host may be offered to this stage: never when another stage's own evidence (its
 * hosts, or the name of a server it deploys to) is that host. An environment file that several stages
 * run (staging with rails_env production) is no one stage's evidence: it is offered only to the stage
 * whose server is that host, else to the stage named like the environment, else to none.
 */
function mailerHostIsStages(model: ModelLike, stage: Stage, host: string): boolean {
  const serverHost = (s: Stage) => s.servers.some((sv) => sv.host.replace(/^[^@]*@/, "").replace(/:\d+$/, "").toLowerCase() === host);
  for (const other of model.stages)
    if (other.name !== stage.name && (serverHost(other) || stageHosts(model, other).some((h) => h.host === host))) return false;
  const env = railsEnvOf(stage);
  const sharing = model.stages.filter((s) => railsEnvOf(s) === env);
  if (sharing.length < 2) return true;
  const owner = sharing.find(serverHost) ?? sharing.find((s) => s.name === env);
  return owner?.name === stage.name;
}

/** Hosts per stage from nginx `server_name`; empty when nginx does not say. */
function hostsFromNginx(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  // Asked by every emitter for every stage: a server_name of 60,000 hosts is read once per stage.
  const memo = nginxHostsMemo.get(stage);
  if (memo && memo.files === model.nginx.files && memo.stages === model.stages && memo.length === model.stages.length) return memo.hosts.slice();
  const hosts = hostsFromNginxOnce(model, stage);
  nginxHostsMemo.set(stage, { files: model.nginx.files, stages: model.stages, length: model.stages.length, hosts });
  return hosts.slice();
}

const nginxHostsMemo = new WeakMap<Stage, { files: unknown; stages: unknown; length: number; hosts: { host: string; source: Source }[] }>();

function hostsFromNginxOnce(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  const out: { host: string; source: Source }[] = [];
  if (!hostsBelongToStage(model, stage)) return out;
  // A set, not a scan of `out`: one server_name line may list tens of thousands of hosts.
  const seen = new Set<string>();
  for (const f of nginxFilesFor(model, stage).filter((x) => !x.example && fileHostsBelong(model, stage, x)))
    for (const s of f.servers)
      for (const n of s.serverNames)
        for (const host of nginxNameHosts(n.value))
          if (isRoutableHost(host) && !seen.has(host)) seen.add(host), out.push({ host, source: n.source });
  return out;
}

/**
 * The hosts one nginx server_name answers: itself, except nginx's leading-dot form (`.example.org`),
 * which is the name and every name under it, so the host and its wildcard (every edge target takes
 * `*.` hosts: HTTPRoute hostnames, Ingress rules, ALB host-header conditions).
 */
export function nginxNameHosts(name: string): string[] {
  const host = name.toLowerCase();
  return /^\.[^.]/.test(host) ? [host.slice(1), `*${host}`] : [host];
}

/**
 * Hosts of a stage from its Apache vhosts' ServerName/ServerAlias, by the rule nginx's follow: a
 * template rendered for the stage names its own hosts; a plain file's are the production stage's
 * only; an example copy's are never hosts.
 */
function hostsFromApache(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  const out: { host: string; source: Source }[] = [];
  const own = (f: ApacheFile) => f.stage === stage.name || model.stages.length === 0 || productionStage(model.stages)?.name === stage.name;
  // a vhost tied to a stage (ApacheVhost.servesStage) names that stage's hosts, whichever it is
  for (const f of apacheFilesFor(model, stage).filter((x) => !x.example))
    for (const v of apacheVhostsOf(f, stage))
      for (const n of v.servesStage || own(f) ? v.serverNames : []) {
        const host = n.value.toLowerCase();
        if (isRoutableHost(host) && !out.some((o) => o.host === host)) out.push({ host, source: n.source });
      }
  return out;
}

/**
 * Server names of the stage's own files the edge cannot route, each with why (listed as notes, never
 * dropped silently): regexes, and names of one machine (a cloud provider's machine name, an IP
 * address, localhost) that are no host of the site and for which no certificate is issued.
 */
export function unroutableServerNames(model: ModelLike, stage: Stage): { name: string; source: Source; why: "regex" | string }[] {
  const out: { name: string; source: Source; why: "regex" | string }[] = [];
  if (!hostsBelongToStage(model, stage)) return out;
  for (const f of nginxFilesFor(model, stage).filter((x) => fileHostsBelong(model, stage, x)))
    for (const s of f.servers)
      for (const n of s.serverNames) {
        const name = n.value.toLowerCase();
        const why = n.value.startsWith("~") ? "regex" : machineName(name);
        // an example copy's names are never hosts: only its regexes are noted, as before
        if (why && (why === "regex" || !f.example) && !out.some((o) => o.name === n.value)) out.push({ name: n.value, source: n.source, why });
      }
  return out;
}

/**
 * Placeholder host for a stage whose host is unknown: `set-me.` says it is to fill in, and the
 * reserved `.invalid` top-level domain (RFC 2606, RFC 6761) never resolves, so no request can reach
 * it by mistake. Still a valid host name for an HTTPRoute, an Ingress and an ALB host-header rule.
 */
export const placeholderHost = (app: string, stage: string): string => `${PLACEHOLDER_HOST_PREFIX}${stageLabel(stage)}.${app}.invalid`;

const PLACEHOLDER_HOST_PREFIX = "set-me.";

/** Whether a host is a placeholder left to fill in (ours, or any name under the reserved .invalid). */
export const isPlaceholderHost = (host: string): boolean => host.startsWith(PLACEHOLDER_HOST_PREFIX) || /\.invalid$/.test(host);
