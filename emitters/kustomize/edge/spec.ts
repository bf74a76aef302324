// What nginx did in front of the app on one stage, in target-neutral terms. Each edge target
// (gateway.ts, alb.ts, ingress-nginx.ts) carries this over as far as it can, through its own table.
import type { AppModel, Answers, EmitResult, Source, Stage } from "../../../src/model.js";
import { answerBool, answerList } from "../answers.js";
import { stageHostDifference, stageHosts, mailerHostSuggestion, exampleHostSuggestion, placeholderHost, isPlaceholderHost, unroutableServerNames, sharedHostSuggestion } from "../rules/hosts.js";
import { nginxSizeToBytes, nginxTimeToSeconds } from "../rules/edge.js";
import { stageServers, nginxFilesFor, apacheVhostsFor } from "../rules/site-files.js";

/** Apache's LimitRequestBody when no line sets it: 1 GiB from 2.4.54 (0, unlimited, up to 2.4.53). */
export const APACHE_DEFAULT_BODY_BYTES = 1073741824;
const APACHE_DEFAULT_BODY_LABEL = "LimitRequestBody not set (Apache's default: 1073741824 bytes, 1 GiB, since 2.4.54; no limit up to 2.4.53)";

export interface Sourced<T> {
  value: T;
  source: Source;
}

export interface EdgeSpec {
  stage: string;
  hosts: string[];
  /** Where the hosts came from: nginx server_name, or the answer to `stage.<name>.hosts`. */
  hostsFrom: Source | "answer";
  /** What named the hosts when the repo did (nginx server_name unless said). */
  hostsVia?: string;
  /**
   * The repo's hosts grouped by the line that names them (a stage variable's and each server_name
   * line's apart), so that every host is cited to its own line. Empty when the hosts are answered.
   */
  hostLines?: { hosts: string[]; source: Source; via: string }[];
  /** The stage's server_name variable and its nginx/Apache config name different hosts (both kept, the difference named). */
  hostDifference?: NonNullable<ReturnType<typeof stageHostDifference>>;
  /** The hosts are the mailer's host, a suggestion nothing else agrees with: to confirm. */
  hostsToConfirm?: Sourced<string> & { example?: true; sharedBy?: string[] };
  /** nginx listened with ssl: the edge terminates TLS for these hosts. */
  tls: Sourced<true> | null;
  /** A plain-HTTP server redirected to https. */
  httpsRedirect: Sourced<true> | null;
  /**
   * client_max_body_size as written (nginx default 1m when absent); under Apache its
   * LimitRequestBody in bytes, with `directive` naming it for the notes.
   */
  bodySize: Sourced<{ raw: string; bytes: number | null; directive?: string; defaultOf?: "Apache" }> | null;
  /** proxy_{read,send,connect}_timeout in seconds. */
  timeouts: { read?: Sourced<number>; send?: Sourced<number>; connect?: Sourced<number> };
  /** ip_hash / hash $cookie_ / sticky: the directive as written. */
  sticky: Sourced<string> | null;
  websockets: Sourced<{ path: string; proxyPass: string | null; readTimeout: number | null }>[];
  /** Directives nginx ran that no edge target expresses (rewrite, if, auth_basic, ...). */
  unportable: Sourced<string>[];
  /** Server names no route takes, with why: "regex", or what the name is (an EC2 machine's own DNS name, an IP address, localhost). */
  unroutableNames: (Sourced<string> & { why: string })[];
}

export interface EdgeInput {
  app: string;
  stage: string;
  spec: EdgeSpec;
  answers: Answers;
  serviceName: string;
  servicePort: number;
  healthPath: string;
  /** Path of the file the edge objects go to (for provenance). */
  output: string;
}

export interface EdgeOutput {
  objects: Record<string, unknown>[];
  comment: string;
  notes: EmitResult["notes"];
  provenance: EmitResult["provenance"];
}

/** One row of a target's mapping table: an nginx feature and how (or whether) the target says it. */
export interface MappingRow<Build> {
  nginx: string;
  /** The target's field or annotation, or null when the target cannot express it. */
  target: string | null;
  apply(input: EdgeInput, build: Build, out: EdgeOutput): void;
}

/**
 * The hosts a stage's edge routes. The stage's own evidence is the fact; an answer only fills a
 * stage that evidence does not describe (or overrides it on purpose); else the placeholder.
 */
export function edgeHosts(model: AppModel, stage: Stage, answers: Answers, app: string): string[] {
  const answered = answerList(answers, `stage.${stage.name}.hosts`, []);
  const fromNginx = stageHosts(model, stage);
  return answered.length ? answered : fromNginx.length ? fromNginx.map((h) => h.host) : [placeholderHost(app, stage.name)];
}

/** What said a stage's hosts (stageHosts gives the source): a Capistrano variable, the mailer's url options, else nginx. */
function hostsNamedBy(model: AppModel, stage: Stage, source: Source): string {
  const same = (s: Source | undefined) => !!s && s.file === source.file && s.line === source.line;
  const variable = Object.entries(stage.variables).find(([, f]) => same(f.source));
  if (variable) return `Capistrano :${variable[0]}`;
  if (Object.values(model.rails.mailerHosts ?? {}).some((f) => same(f?.source))) return "action_mailer default_url_options";
  if (model.apache?.files.some((f) => f.vhosts.some((v) => v.serverNames.some((n) => same(n.source))))) return "Apache ServerName/ServerAlias";
  return "nginx server_name";
}

export function edgeSpec(model: AppModel, stage: Stage, answers: Answers, app: string): EdgeSpec {
  const servers = stageServers(model, stage);
  const fromNginx = stageHosts(model, stage);
  const answered = answerList(answers, `stage.${stage.name}.hosts`, []);
  const hosts = edgeHosts(model, stage, answers, app);
  const hostsFrom: EdgeSpec["hostsFrom"] = answered.length || !fromNginx.length ? "answer" : fromNginx[0]!.source;
  // The gap's default (the mailer's host) taken as given: still cited to the mailer, as a suggestion,
  // until someone answers the question (src/migrate.ts then no longer marks it a suggestion).
  const mailer = mailerHostSuggestion(model, stage);
  const suggested = model.gaps.some((g) => g.id === `stage.${stage.name}.hosts` && g.suggestion === true);
  const example = exampleHostSuggestion(model, stage);
  const shared = sharedHostSuggestion(model, stage);
  const hostsToConfirm =
    mailer && suggested && hosts.length === 1 && hosts[0] === mailer.host
      ? { value: mailer.host, source: mailer.source }
      : example && suggested && example.hosts.every((h) => hosts.includes(h))
        ? { value: example.hosts.join(", "), source: example.source, example: true as const }
        : shared && suggested && shared.hosts.every((h) => hosts.includes(h))
          ? { value: shared.hosts.join(", "), source: shared.source, sharedBy: shared.stages }
          : null;

  let tls: EdgeSpec["tls"] = null;
  let httpsRedirect: EdgeSpec["httpsRedirect"] = null;
  let bodySize: EdgeSpec["bodySize"] = null;
  const timeouts: EdgeSpec["timeouts"] = {};
  const unportable: EdgeSpec["unportable"] = [];
  const websockets: EdgeSpec["websockets"] = [];
  for (const s of servers) {
    const ssl = s.listens.find((l) => l.value.ssl);
    if (ssl && !tls) tls = { value: true, source: ssl.source };
    if (s.redirectsToHttps?.value && !httpsRedirect) httpsRedirect = { value: true, source: s.redirectsToHttps.source };
    if (s.clientMaxBodySize) {
      const bytes = nginxSizeToBytes(s.clientMaxBodySize.value);
      const prev = bodySize?.value.bytes ?? -1;
      // The largest limit wins: the edge has one limit per host, and a smaller one would refuse uploads nginx took.
      if (!bodySize || bytes === 0 || (bytes !== null && prev !== 0 && bytes > prev))
        bodySize = { value: { raw: s.clientMaxBodySize.value, bytes }, source: s.clientMaxBodySize.source };
    }
    for (const [key, name] of [
      ["read", "proxy_read_timeout"],
      ["send", "proxy_send_timeout"],
      ["connect", "proxy_connect_timeout"],
    ] as const) {
      const f = s.timeouts[name];
      const secs = f ? nginxTimeToSeconds(f.value) : null;
      if (f && secs !== null && (!timeouts[key] || secs > timeouts[key]!.value)) timeouts[key] = { value: secs, source: f.source };
    }
    for (const u of s.unportable) unportable.push({ value: u.value, source: u.source });
    for (const l of s.locations) {
      if (!l.websocket) continue;
      const rt = l.directives.find((d) => d.name === "proxy_read_timeout");
      websockets.push({
        value: { path: l.path, proxyPass: l.proxyPass, readTimeout: rt?.args[0] ? nginxTimeToSeconds(rt.args[0]) : null },
        source: l.source,
      });
    }
  }
  // Passenger under Apache, where no nginx config describes the stage: its vhosts' TLS and upload limit.
  const apacheVhosts = servers.length ? [] : apacheVhostsFor(model, stage);
  if (!servers.length)
    for (const v of apacheVhosts) {
      if (v.ssl && !tls) tls = { value: true, source: v.ssl.source };
      if (v.redirectsToHttps?.value && !httpsRedirect) httpsRedirect = { value: true, source: v.redirectsToHttps.source };
      const l = v.limitRequestBody;
      if (!l) continue;
      // LimitRequestBody is bytes (0: no limit), which nginx-style sizes also read as bytes.
      const bytes = /^\d+$/.test(l.value) ? Number(l.value) : null;
      const prev = bodySize?.value.bytes ?? -1;
      if (!bodySize || bytes === 0 || (bytes !== null && prev !== 0 && bytes > prev)) bodySize = { value: { raw: l.value, bytes, directive: `LimitRequestBody ${l.value}` }, source: l.source };
    }
  // nginx's own default (1m) is ingress-nginx's too, so a site without client_max_body_size needs
  // nothing; Apache's is not: 1 GiB since 2.4.54 (unlimited before, Apache's CHANGES), so a vhost
  // without LimitRequestBody carries Apache's default, labelled, instead of the edge's 1m.
  if (!bodySize && apacheVhosts.length && apacheVhosts.every((v) => !v.limitRequestBody))
    bodySize = { value: { raw: String(APACHE_DEFAULT_BODY_BYTES), bytes: APACHE_DEFAULT_BODY_BYTES, directive: APACHE_DEFAULT_BODY_LABEL, defaultOf: "Apache" }, source: apacheVhosts[0]!.source };
  // HTTPS when nginx had it, or when the answer says so (TLS ended before nginx); never half: a
  // host served over HTTPS redirects its HTTP to it.
  const https = answerBool(answers, "edge.https", tls !== null);
  if (!https) tls = null;
  else if (!tls) tls = { value: true, source: stage.source };
  if (tls && !httpsRedirect) httpsRedirect = { value: true, source: tls.source };
  let sticky: EdgeSpec["sticky"] = null;
  for (const f of nginxFilesFor(model, stage))
    for (const u of f.upstreams) if (u.sticky && !sticky) sticky = { value: u.sticky.value, source: u.sticky.source };

  const hostLines: NonNullable<EdgeSpec["hostLines"]> = [];
  if (hostsFrom !== "answer")
    for (const h of fromNginx) {
      const line = hostLines.find((l) => l.source.file === h.source.file && l.source.line === h.source.line);
      if (line) line.hosts.push(h.host);
      else hostLines.push({ hosts: [h.host], source: h.source, via: hostsNamedBy(model, stage, h.source) });
    }
  const difference = hostsFrom !== "answer" ? stageHostDifference(model, stage) : null;
  return {
    stage: stage.name,
    hosts,
    hostsFrom,
    ...(hostsFrom !== "answer" ? { hostsVia: hostsNamedBy(model, stage, hostsFrom), hostLines } : {}),
    ...(difference ? { hostDifference: difference } : {}),
    ...(hostsToConfirm ? { hostsToConfirm } : {}),
    tls,
    httpsRedirect,
    bodySize,
    timeouts,
    sticky,
    websockets,
    unportable,
    unroutableNames: unroutableServerNames(model, stage).map((n) => ({ value: n.name, source: n.source, why: n.why })),
  };
}

/** Notes every target shares: nginx lines no edge can express. */
export function commonNotes(input: EdgeInput, out: EdgeOutput): void {
  for (const u of input.spec.unportable)
    out.notes.push({ message: `stage ${input.stage}: nginx \`${u.value}\` has no equivalent at the edge; carry it in the app or the nginx sidecar`, source: u.source });
  for (const n of input.spec.unroutableNames)
    out.notes.push({
      message:
        n.why === "regex"
          ? `stage ${input.stage}: server_name ${n.value} is a regular expression; routes need literal hosts (list them in stage.${input.stage}.hosts)`
          : `stage ${input.stage}: server_name ${n.value} is ${n.why}, the name of one machine, not a host of the site: not routed and not put on the certificate (a certificate authority issues none for it); list the site's hosts in stage.${input.stage}.hosts if it answered on them`,
      source: n.source,
    });
  for (const w of input.spec.websockets)
    if (w.value.proxyPass && !/^https?:\/\/(app|unicorn|puma|rails|backend)/.test(w.value.proxyPass) && w.value.proxyPass.includes("cable"))
      out.notes.push({ message: `stage ${input.stage}: websocket location ${w.value.path} proxied to ${w.value.proxyPass}, a separate server; only the Rails app is emitted`, source: w.source });
}

/** Provenance of the hosts, shared by the targets. */
export function hostProvenance(input: EdgeInput, out: EdgeOutput): void {
  const src = input.spec.hostsFrom;
  const lines = input.spec.hostLines ?? [];
  // one row per line that names hosts: each host cited to its own line, never to a neighbour's
  if (src !== "answer" && lines.length) for (const l of lines) out.provenance.push({ output: input.output, what: `hosts ${l.hosts.join(", ")} (${l.via})`, source: l.source });
  else if (src !== "answer") out.provenance.push({ output: input.output, what: `hosts ${input.spec.hosts.join(", ")} (${input.spec.hostsVia ?? "nginx server_name"})`, source: src });
  const diff = input.spec.hostDifference;
  if (diff) {
    const cfg = diff.config.map((s) => `${s.file}:${s.line ?? "?"}`).join(", ");
    const parts = [
      ...(diff.onlyVariable.length ? [`${diff.onlyVariable.join(", ")} only in the stage's server_name variable`] : []),
      ...(diff.onlyConfig.length ? [`${diff.onlyConfig.join(", ")} only in the server_name of ${cfg}`] : []),
    ];
    out.notes.push({
      message: `stage ${input.stage}: the stage's server_name variable and its web server config name different hosts (${parts.join("; ")}); ${input.output} routes all of them: confirm stage.${input.stage}.hosts`,
      source: diff.variable,
    });
  }
  const toConfirm = input.spec.hostsToConfirm;
  if (toConfirm) {
    if (toConfirm.sharedBy) {
      out.provenance.push({ output: input.output, what: `hosts ${toConfirm.value} (nginx server_name of ${toConfirm.source.file}, which the deploys of stages ${toConfirm.sharedBy.join(", ")} all render: a suggestion to confirm)`, source: toConfirm.source });
      out.notes.push({
        message: `stage ${input.stage}: ${input.output} routes ${toConfirm.value}, which ${toConfirm.source.file} names, a file the deploys of stages ${toConfirm.sharedBy.join(", ")} all render: no one stage's own, so confirm which stage answers it (stage.<stage>.hosts)`,
        source: toConfirm.source,
      });
    } else if (toConfirm.example) {
      out.provenance.push({ output: input.output, what: `hosts ${toConfirm.value} (nginx server_name of ${toConfirm.source.file}, an example file: a suggestion to confirm)`, source: toConfirm.source });
      out.notes.push({
        message: `stage ${input.stage}: ${input.output} routes ${toConfirm.value}, which only ${toConfirm.source.file}, an example file, names: it may name another deployment's host, so confirm stage.${input.stage}.hosts (or give this stage's own hosts)`,
        source: toConfirm.source,
      });
    } else {
      out.provenance.push({ output: input.output, what: `hosts ${toConfirm.value} (action_mailer default_url_options: a suggestion to confirm)`, source: toConfirm.source });
      out.notes.push({
        message: `stage ${input.stage}: ${input.output} routes ${toConfirm.value}, which only the mailer's default_url_options names: mail may link to another app, so confirm stage.${input.stage}.hosts (or give this stage's own hosts)`,
        source: toConfirm.source,
      });
    }
  }
  const placeholders = input.spec.hosts.filter(isPlaceholderHost);
  if (placeholders.length)
    out.notes.push({ message: `stage ${input.stage}: no evidence names its hosts, so ${input.output} routes ${placeholders.join(", ")}, a placeholder that never resolves (.invalid): answer stage.${input.stage}.hosts with the real host names` });
}
