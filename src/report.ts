// The human report of `rails2k8s analyze`: what was found, grouped, each fact with file:line; then
// the gaps (with the default the wizard will offer) and the hazards of the move. Pure: model → text.
import type { AppModel, CronJob, Fact, Gap, NginxFile, RValue, SidekiqConfigFacts, Source } from "./model.js";
import { cronEnvFate } from "../emitters/kustomize/rules/cron.js";
import { sidekiqOfStage } from "../emitters/kustomize/rules/sidekiq.js";
import { WHENEVER_DEFAULT_FILE, isRetiredCopy, SIDEKIQ_PLAIN_ENTRY, cronRolesOf, railsEnvOf } from "./model.js";
import { formatValue } from "./model/format.js";
import { painter } from "../emitters/encode/terminal.js";
import { backingServiceSummary } from "../emitters/backing-services.js";
import { envDefaultAddresses } from "./model/env-default-addresses.js";
import { capAbortShort, noServersShort } from "../emitters/kustomize/left-out.js";

/** Stage variables that name hosts, shown with the stage (the edge reads the same ones: emitters/kustomize/rules/hosts.ts HOST_VARIABLES). */
const STAGE_HOST_VARIABLES = ["domain", "nginx_server_name", "server_name", "url"];

export interface ReportOptions {
  color: boolean;
}

export function renderReport(m: AppModel, opts: ReportOptions): string {
  // Every line is escaped for the terminal as it is finished: the repo's values in it (hosts, names,
  // paths) cannot carry a terminal sequence, while the painter's colours stay.
  const paint = painter(opts.color);
  const c = colors(paint.wrap);
  const lines: string[] = [];
  const at = (s: Source | undefined | null) => (s ? c.dim(s.line > 0 ? `${s.file}:${s.line}` : s.file) : "");
  const fact = (label: string, f: Fact<RValue> | null | undefined) => {
    if (f) lines.push(f.defaultOf ? `  ${label}: ${formatValue(f.value)} (${f.defaultOf}'s default: ${f.source.file} sets none)` : `  ${label}: ${formatValue(f.value)}  ${at(f.source)}`);
  };
  const section = (title: string) => lines.push("", c.bold(title));

  lines.push(c.bold(`rails2k8s analysis of ${m.name.value}`) + `  ${at(m.name.source)}`);

  section("App");
  fact(m.rails.rubyFrom ? `Ruby (the deploy's ${m.rails.rubyFrom})` : "Ruby", m.rails.rubyVersion);
  fact("Ruby engine (not MRI)", m.rails.rubyEngine);
  fact("Rails", m.rails.railsVersion);
  fact("Bundler", m.rails.bundlerVersion);
  if (m.rails.database) {
    // Only an example in the repo (database.yml.example): its values are the example's, never said as a stage's database.
    const db = m.rails.database;
    const example = db.file !== "config/database.yml" ? (db.serversCopy ? ", the repo's example, not what the servers used" : ", the repo's example: no config/database.yml in the repo") : "";
    for (const [env, f] of Object.entries(db.adapters)) fact(example ? `database (${env}${example})` : `database (${env})`, f);
  }
  for (const p of m.rails.assets.pipeline) fact("assets", p);
  if (m.rails.assets.prefix) fact("assets prefix (config.assets.prefix)", m.rails.assets.prefix);
  if (m.rails.assets.needsNode.value) fact("Node needed for assets", m.rails.assets.needsNode);
  if (m.rails.assets.frontend?.nodeVersion) fact("Node version", m.rails.assets.frontend.nodeVersion);
  for (const s of m.rails.assets.frontend?.steps ?? [])
    lines.push(`  front-end build ${s.uncarried ? "(not carried: see warnings)" : s.install && !s.dir ? "(the image's lockfile install)" : "(in the image)"}: ${s.argv.join(" ") || "?"}${s.dir ? ` in ${s.dir}/` : ""}${Object.keys(s.env).length ? ` with ${Object.keys(s.env).join(", ")}` : ""}  ${at(s.source)}`);
  fact("time zone", m.rails.timeZone);
  for (const h of m.rails.healthPaths) fact("health route", h);
  // not all private: a public GitHub gem is here too (the Dockerfile fetches it over https, no credential)
  for (const s of m.rails.privateSources) fact("gem source outside rubygems.org", s);

  section("Stages and servers");
  if (m.capistrano) {
    lines.push(`  ${m.capistrano.tool === "mina" ? "Mina (not Capistrano: its deploy.rb read with the same set/fetch/task DSL; its server is `set :domain`)" : `Capistrano ${m.capistrano.major}`}${m.capistrano.lock ? ` (lock ${m.capistrano.lock.value})` : ""}  ${at(m.capistrano.lock?.source)}`);
    for (const r of m.capistrano.requires) lines.push(`  plugin ${r.value}  ${at(r.source)}`);
  }
  if (m.stages.length === 0) lines.push("  (no stages found)");
  for (const s of m.stages) {
    lines.push(`  ${c.bold(s.name)}  ${at(s.source)}`);
    // First under the stage: everything listed below it is what a deploy that could not run would have used.
    if (s.capAborts) lines.push(`    ${c.red(c.bold("cap aborts this stage"))}: ${capAbortShort(s)}  ${at(s.capAborts.source)}`);
    if (s.servers.length === 0 && !(Array.isArray(s.unread) && s.unread.some((u) => u.what === "servers"))) lines.push("    (declares no server: whenever wrote no crontab for it, so its CronJobs are written suspended)");
    // The host-naming variables too (Capistrano 2's `set :domain` above all): the stage's hosts come from them.
    for (const key of ["rails_env", "branch", "deploy_to", "application", ...STAGE_HOST_VARIABLES]) {
      const v = s.variables[key];
      if (v) lines.push(v.defaultOf ? `    ${key}: ${formatValue(v.value)}  (${v.defaultOf}'s default${v.source.line > 0 ? `, loaded at ${v.source.file}:${v.source.line}` : ""}; no file sets it)` : `    ${key}: ${formatValue(v.value)}  ${at(v.source)}`);
    }
    for (const srv of s.servers) {
      const who = srv.user ? `${srv.user}@${srv.host}` : srv.host;
      lines.push(`    server ${who}${srv.port ? `:${srv.port}` : ""} roles [${srv.roles.join(", ")}]${srv.primary ? " primary" : ""}  ${at(srv.source)}`);
    }
    // Beside the stage, not in a footnote: the list above is then not the stage's whole list.
    for (const u of Array.isArray(s.unread) ? s.unread : [])
      lines.push(
        u.what === "servers"
          ? `    ${c.bold("servers not read")}: ${u.message}  ${at(u.source)} — the ${s.servers.length} server(s) above may be only part of the stage (question servers.${s.name})`
          : `    ${c.bold(`${u.name} not read`)}: ${u.message}  ${at(u.source)}`,
      );
    // A list change under a condition of the deploying machine: the list above is certain, this may be in it too.
    for (const m of s.maybe ?? []) lines.push(`    ${c.bold(`${m.name} maybe`)} ${m.change === "append" ? "also" : "without"} ${m.expr} (only ${m.condition})  ${at(m.source)}`);
  }
  for (const s of m.stagesWithoutServers ?? []) lines.push(`  ${c.bold(s.name)}  ${at(s.source)}`, `    (${noServersShort(s)})`);
  if (m.capistrano?.tasks.length) {
    lines.push("  custom tasks:");
    for (const t of m.capistrano.tasks) lines.push(`    ${t.name}${t.templates.length ? ` (templates: ${t.templates.join(", ")})` : ""}  ${at(t.source)}`);
  }
  if (m.capistrano?.hooks.length) {
    lines.push("  hooks:");
    for (const h of m.capistrano.hooks) lines.push(`    ${h.kind} ${h.target} → ${h.task}  ${at(h.source)}`);
  }

  section("Web server");
  if (m.webServer) {
    lines.push(`  started by the deploy: ${m.webServer.kind ?? (m.webServer.unsupported?.length ? `${m.webServer.unsupported.join(", ")}, which the image does not run: asked as web.server` : "not known (the evidence disagrees): asked as web.server")}`);
    for (const e of m.webServer.evidence) fact("evidence", e);
    const thin = m.webServer.thin;
    if (thin) {
      lines.push(`  Thin config ${thin.file}${thin.unread ? `: not read (${thin.unread})` : ""}, started with it at ${at(thin.startedWith)}; the image does not run Thin: asked as web.server`);
      for (const [k, f] of Object.entries(thin.settings)) fact(`thin ${k}`, f);
      if (thin.envFlag) fact("thin -e", thin.envFlag);
    }
    for (const n of m.webServer.notStartedOn ?? []) lines.push(`  not started on stage ${n.stage}: no web Deployment, Service, HPA, PDB or edge in its overlay (${n.why})  ${at(n.source)}`);
  } else lines.push("  started by the deploy: nothing in the repo says (no plugin, Procfile web line, restart command or service unit): asked as web.server");
  if (m.appServers.length === 0) lines.push("  (no Unicorn or Puma config found)");
  for (const a of m.appServers) {
    lines.push(`  ${a.kind} ${a.file}${a.env ? ` (env ${a.env})` : ""}${a.stages.length ? ` for stages ${a.stages.join(", ")}` : ""}`);
    if (a.renderedBy) fact("  rendered by", a.renderedBy);
    if (a.startedBy) fact("  loaded because", a.startedBy);
    fact("  workers", a.workers);
    if (a.threads) fact("  threads", a.threads as Fact<RValue>);
    fact("  timeout", a.timeout);
    fact("  preload_app", a.preloadApp);
    for (const l of a.listen) lines.push(`    listen ${l.kind} ${formatValue(l.address)}  ${at(l.source)}`);
    fact("  pid", a.pid);
    if (a.hooks.length) lines.push(`    hooks: ${a.hooks.map((h) => h.value).join(", ")}`);
  }

  section("nginx");
  if (m.nginx.files.length === 0) lines.push(`  (no nginx config ${m.nginx.notServed?.length ? "of the servers " : ""}found)`);
  for (const n of m.nginx.notServed ?? [])
    lines.push(`  ${n.file}: ${n.why === "development" ? "a developer's own nginx config" : "another deployment's nginx config"}, not the servers': ${n.detail}; read for no stage (no hosts, TLS, limits, sidecar or routes)${n.hosts.length ? `; its server_name ${n.hosts.join(" ")} routed nowhere` : ""}  ${at(n.source)}`);
  for (const f of m.nginx.files) {
    lines.push(`  ${f.file}${nginxStageNote(f)}${f.example ? (isRetiredCopy(f.file) ? " (retired copy: read as an example, never a source of hosts)" : " (example copy)") : ""}`);
    if (f.servesStage) lines.push(`    serves stage ${f.servesStage.value} only (its paths lie under that stage's deploy_to)  ${at(f.servesStage.source)}`);
    for (const u of f.upstreams) {
      lines.push(`    upstream ${u.name}: ${u.servers.map((s) => s.value.address).join(", ")}${u.sticky ? ` (sticky: ${u.sticky.value})` : ""}  ${at(u.source)}`);
    }
    for (const s of f.servers) {
      const names = s.serverNames.map((n) => n.value).join(" ") || "(no server_name)";
      const ports = s.listens.map((l) => `${l.value.port ?? l.value.address}${l.value.ssl ? " ssl" : ""}`).join(", ");
      lines.push(`    server ${names} [${ports}]  ${at(s.source)}`);
      if (s.clientMaxBodySize) lines.push(`      client_max_body_size ${s.clientMaxBodySize.value}  ${at(s.clientMaxBodySize.source)}`);
      for (const [k, t] of Object.entries(s.timeouts)) lines.push(`      ${k} ${t.value}  ${at(t.source)}`);
      for (const l of s.locations) {
        const tags = [l.health && "health", l.assets && "assets", l.websocket && "websocket", l.proxyPass && `→ ${l.proxyPass}`].filter(Boolean).join(", ");
        lines.push(`      location ${l.modifier ? l.modifier + " " : ""}${l.path}${tags ? ` (${tags})` : ""}  ${at(l.source)}`);
      }
      for (const u of s.unportable) lines.push(`      ${c.yellow("not expressible at the edge")}: ${u.value}  ${at(u.source)}`);
    }
  }

  if (m.apache?.files.length) {
    section("Apache");
    for (const f of m.apache.files) {
      lines.push(`  ${f.file}${f.stage ? ` (rendered for ${f.stage})` : ""}${f.example ? (isRetiredCopy(f.file) ? " (retired copy: read as an example, never a source of hosts)" : " (example copy)") : ""}`);
      for (const v of f.vhosts) {
        lines.push(`    <VirtualHost ${v.address}> ${v.serverNames.map((n) => n.value).join(" ") || "(no ServerName)"}${v.ssl ? " ssl" : ""}  ${at(v.source)}`);
        if (v.servesNoStage)
          lines.push(`      serves no stage (${v.servesNoStage.why}): ${v.serverNames.length ? `its hosts ${v.serverNames.map((n) => n.value).join(" ")} are routed nowhere` : "read for no stage"}  ${at(v.servesNoStage.source)}`);
        if (v.servesStage) lines.push(`      serves stage ${v.servesStage.value} only  ${at(v.servesStage.source)}`);
        if (v.limitRequestBody) lines.push(`      LimitRequestBody ${v.limitRequestBody.value}  ${at(v.limitRequestBody.source)}`);
      }
    }
  }

  section("Config");
  if (m.global) {
    lines.push(`  Global in ${m.global.dir}${m.global.gemVersion ? ` (gem ${m.global.gemVersion})` : ""}: ${m.global.namespaces.length} namespaces`);
    const plain = new Set((m.global.plainFiles ?? []).map((f) => f.file));
    for (const ns of m.global.namespaces) {
      // A namespace made only of plain-key files holds nothing Global reads: not listed as holding values.
      const empty = ns.files.length > 0 && ns.files.every((f) => plain.has(f));
      // Values of files the servers replaced (a linked config/global): the repo's copy, never the stages'.
      const copy = ns.repoCopy ? `  (${ns.repoCopy.label})` : "";
      lines.push(`    ${ns.name}  ${c.dim(ns.files.join(", "))}  ${empty ? "no values: its keys are never read by Global (no default: or environment section)" : `envs: ${Object.keys(ns.values).join(", ")}`}${copy}`);
    }
    for (const t of m.global.templates) lines.push(`    template ${t.template} → ${t.target} (stages: ${Object.keys(t.rendered).join(", ")})  ${at(t.source)}`);
  } else lines.push("  (no Global config)");
  for (const l of m.linked) lines.push(`  linked ${l.kind} ${l.path}: ${l.class} (${l.stages.length ? `stages ${l.stages.join(", ")}` : "all stages"})  ${at(l.source)}`);
  if (m.bootEnv?.length) {
    // Each read with the Rails environment it applies to: a stage gets it only where that env runs.
    section(`ENV read while the app boots (outside Global and database.yml): ${new Set(m.bootEnv.map((r) => r.env)).size} name(s)`);
    for (const r of m.bootEnv)
      lines.push(`  ${r.env}  ${r.railsEnv === null ? "every environment" : `${r.railsEnv} only`}  ${r.default === null ? (r.required ? "no default (required)" : "no default") : `default ${formatValue(r.default)}`}  ${at(r.source)}`);
  }

  section("Workers");
  if (m.sidekiq) {
    // The config each stage's Sidekiq read: capistrano-sidekiq's `sidekiq_config`, else the repo's
    // default. A file no stage read is not listed as if it ran; each stage's line is what its overlay runs.
    const sk = m.sidekiq;
    const byFile = new Map<string | null, { facts: SidekiqConfigFacts; stages: string[]; via: Source | null }>();
    for (const st of m.stages.length ? m.stages : [null]) {
      const own = st ? sk.plugin?.[st.name]?.config : undefined;
      const file = own ? own.value : sk.file;
      const entry = byFile.get(file) ?? { facts: own ? own.facts : sk, stages: [], via: own ? own.source : null };
      if (st) entry.stages.push(st.name);
      byFile.set(file, entry);
    }
    const several = byFile.size > 1 || [...byFile.values()].some((e) => e.via);
    for (const [file, e] of byFile) {
      if (several) lines.push(`  sidekiq config ${file ?? "(none: Sidekiq's defaults)"}${e.stages.length ? ` (stages ${e.stages.join(", ")})` : ""}${e.via ? `, capistrano-sidekiq's sidekiq_config  ${at(e.via)}` : ""}`);
      fact("sidekiq concurrency", e.facts.concurrency);
      fact("sidekiq timeout", e.facts.timeout);
      for (const [env, over] of Object.entries(e.facts.envOverrides ?? {}))
        lines.push(`  sidekiq in ${env}: ${Object.entries(over).map(([k, v]) => `${k} ${formatValue(v)}`).join(", ")}  ${file ?? ""}`.trimEnd());
      for (const q of e.facts.queues) fact("queue", q);
    }
    if (several)
      for (const st of m.stages) {
        const run = sidekiqOfStage(m, st);
        lines.push(`  sidekiq on stage ${st.name}: ${run.file ?? "no config file"}, concurrency ${run.concurrency}, queues ${run.queues.join(" ") || "(default)"}, timeout ${run.timeout}s${sk.plugin?.[st.name]?.perProcess ? " before its sidekiq_options_per_process (each set's worker below)" : ""}`);
      }
    // A linked config: the servers read their shared/ copy; what is above is the repo's.
    if (sk.repoCopy) lines.push(`  sidekiq config ${sk.file} is the repo's copy: it is linked (${at(sk.repoCopy.linked)}${sk.repoCopy.uploads.length ? `; uploaded by ${sk.repoCopy.uploads.map((u) => at(u)).join(", ")}` : ""}), the servers read shared/${sk.file}`);
    for (const e of sk.evidence) fact("evidence", e);
  } else lines.push("  (no sidekiq)");
  // An in-worker schedule (sidekiq-cron's YAML…) is on each carried worker's evidence
  // (analyzers/workers/schedules.ts); a worker read from its own start line keeps a list of its own,
  // which the Sidekiq rows above do not print: said once per row under that worker.
  const printed = new Set((m.sidekiq?.evidence ?? []).map((e) => `${e.value}\0${at(e.source)}`));
  const schedulesOf = (w: (typeof m.workers & {})[number]) => {
    for (const e of w.evidence) {
      const key = `${e.value}\0${at(e.source)}`;
      if (!/ scheduled jobs? of .+ run inside this worker$/s.test(e.value) || printed.has(key)) continue;
      printed.add(key);
      fact("  evidence", e);
    }
  };
  for (const w of m.workers ?? []) {
    if (w.commandFrom === "sidekiq" && w.carried) {
      // A 3.x Sidekiq split by sidekiq_config_files: each unit's Deployment, its file's settings and its servers per stage.
      if (w.sidekiqConfig) {
        const u = w.sidekiqConfig;
        const servers = Object.entries(m.sidekiq?.units ?? {}).map(([st, list]) => `${st} ${list.find((x) => x.entry === u.entry)?.servers ?? 0}`);
        lines.push(
          `  Sidekiq worker ${w.name}: capistrano-sidekiq 3.x unit for sidekiq_config_files entry ${u.entry}: ${w.carried ? `sidekiq ${u.entry === SIDEKIQ_PLAIN_ENTRY ? (m.sidekiq?.file ?? "with Sidekiq's defaults") : `-C ${u.file}`}` : `not carried, ${w.why}`}; servers per stage: ${servers.join(", ")}  ${at(w.commandSource ?? w.evidence.at(-1)?.source)}`.trimEnd(),
        );
        const f = u.entry === SIDEKIQ_PLAIN_ENTRY ? null : m.sidekiq?.configFiles?.[u.entry]?.facts;
        if (f) {
          fact("  sidekiq concurrency", f.concurrency);
          fact("  sidekiq timeout", f.timeout);
          for (const [env, over] of Object.entries(f.envOverrides ?? {}))
            lines.push(`    sidekiq in ${env}: ${Object.entries(over).map(([k, v]) => `${k} ${formatValue(v)}`).join(", ")}  ${u.file ?? ""}`.trimEnd());
          for (const q of f.queues) fact("  queue", q);
        }
        schedulesOf(w);
        continue;
      }
      // A Sidekiq split by sidekiq_options_per_process: each Deployment, its words and its processes per stage.
      if (w.sidekiqOptions?.line)
        lines.push(`  Sidekiq worker ${w.name}: its start line: sidekiq ${[...(w.sidekiqOptions.config ? ["-C", w.sidekiqOptions.config.file] : []), ...w.sidekiqOptions.words].join(" ")}${w.perStage ? `; processes per server: ${Object.entries(w.perStage).map(([st, c]) => `${st} ${c.processes}`).join(", ")}` : ""}  ${at(w.sidekiqOptions.line)}`.trimEnd());
      else if (w.sidekiqOptions)
        lines.push(
          `  Sidekiq worker ${w.name}: ${w.sidekiqOptions.words.length ? `the stage's sidekiq command + ${w.sidekiqOptions.words.join(" ")}` : "the stage's sidekiq command (processes with no per-process options)"}; processes per server: ${Object.entries(w.perStage ?? {}).map(([st, c]) => `${st} ${c.processes}`).join(", ")}  ${at(w.commandSource ?? undefined)}`.trimEnd(),
        );
      schedulesOf(w);
      continue;
    }
    const cmd = [...Object.entries(w.env).map(([k, v]) => `${k}=${v}`), ...w.args].join(" ");
    lines.push(
      w.carried
        ? `  ${w.label} worker ${w.name}: ${cmd} (${w.commandFrom === "standard" ? "the backend's standard command" : w.commandFrom === "capistrano" ? (/^the deploy's own task/.test(w.commandNote ?? "") ? w.commandNote : "from the Capistrano plugin's settings") : `from the ${w.commandFrom}`}); stops on SIG${w.stopSignal}, ${w.stopTimeout.seconds}s${w.stopTimeout.source ? "" : " (default)"}  ${at(w.commandSource ?? w.evidence[0]?.source)}`.trimEnd()
        : w.inWeb
          ? `  ${w.label}: runs inside the web server, no worker of its own (${w.inWeb.why})  ${at(w.inWeb.source)}`.trimEnd()
          : `  ${w.label}: ${w.notStarted ? "no worker" : "not carried"}, ${w.why ?? ""}  ${at(w.evidence[0]?.source)}`.trimEnd(),
    );
    for (const e of w.evidence) fact("evidence", e);
  }
  for (const p of m.procfile) lines.push(`  Procfile ${p.name}: ${p.command}  ${at(p.source)}`);
  for (const [st, p] of Object.entries(m.sidekiq?.plugin ?? {}))
    for (const entry of p.unusedOptions?.value ?? [])
      lines.push(`  not started: stage ${st}: sidekiq_options_per_process entry ${JSON.stringify(entry)}: only ${p.unusedOptions!.processes} process(es) per server start (sidekiq_processes); no Deployment runs it  ${at(p.unusedOptions!.source)}`);
  for (const u of m.uncarried ?? []) lines.push(`  ${u.devOnly ? "not run" : u.replacedByWeb ? "web server" : "NOT CARRIED"}: ${u.name}: ${u.why}  ${at(u.source)}`);

  if (m.services?.length) {
    // Started by the deploy on the servers; the cluster runs none of them.
    section("Backing services the deploy started (the cluster must provide them)");
    for (const sv of m.services) {
      const sum = backingServiceSummary(sv);
      lines.push(`  ${sum.title}: ${sv.command}${sv.via ? ` (command_map ${at(sv.via)})` : ""}  ${at(sv.source)}`);
      if (sv.config) lines.push(`    config ${sv.config.file} (${sv.config.how})${sv.config.linked ? `; a linked file (${at(sv.config.linked)}): the servers ran their shared/ copy, compare it with the repo's` : ""}`);
      for (const x of sum.settings) lines.push(`    ${x}`);
      lines.push(`    needs ${sum.needs}`);
    }
  }

  const fromEnv = envDefaultAddresses(m);
  if (fromEnv.length) {
    // Not hazards: the address is only the fallback of an ENV read, which each pod sets.
    section(`Backing services read from ENV, with the machine itself as the fallback: ${new Set(fromEnv.map((x) => x.env)).size} variable(s) each pod sets`);
    for (const x of fromEnv) lines.push(`  ${x.message}  ${at(x.source)}`);
  }

  section("Cron");
  if (m.cron) {
    // A schedule whose blocks are empty (or all commented out) wrote an empty crontab: said, so an
    // empty section does not read as a schedule that was not looked at.
    // Which schedule files the servers loaded, and what loaded each (analyzers/whenever/loaded.ts),
    // said when it is more than whenever's default file on every stage's whenever_roles.
    for (const f of m.cron.files ?? []) if (f.notRunByDeploy) lines.push(`  ${f.file} exists but the deploy never runs whenever (no whenever/capistrano, no whenever command in a deploy task): its jobs reached a crontab only if someone ran whenever on the servers by hand`);
    const plain = (m.cron.files ?? []).every((f) => f.file === WHENEVER_DEFAULT_FILE && !f.stages && !f.taskRoles);
    for (const f of plain ? [] : m.cron.files ?? []) {
      const where = [f.stages ? `stages ${f.stages.join(", ")}` : "", f.taskRoles ? `on roles ${f.taskRoles.roles.join(", ")}` : ""].filter(Boolean).join("; ");
      lines.push(`  ${f.file}: loaded by ${f.how}${where ? ` (${where})` : ""}${f.loadedBy ? `  ${at(f.loadedBy)}` : ""}`);
    }
    // whenever's `env` lines top each file's crontab (`PATH=...`): every job of that file had them.
    for (const f of m.cron.files?.length ? m.cron.files : [{ file: m.cron.file, settings: m.cron.settings }])
      for (const [key, fact] of Object.entries(f.settings)) {
        if (!key.startsWith("env:")) continue;
        const name = key.slice(4);
        const fate = cronEnvFate(name, fact.value);
        const shown = fate.kind === "carried" ? `${name}=${JSON.stringify(fate.value)}: on every CronJob of ${f.file}` : fate.kind === "secret" ? `${name}: a secret, through the stage's Secret (secrets.env) for every CronJob of ${f.file}` : `${name}: not carried: ${fate.why}`;
        lines.push(`  env ${shown}  ${at(fact.source)}`);
      }
    if (m.cron.jobs.length === 0) lines.push(`  (${(m.cron.files?.map((f) => f.file) ?? [m.cron.file]).join(", ")} define${(m.cron.files?.length ?? 1) > 1 ? "" : "s"} no jobs)`);
    for (const j of m.cron.jobs) {
      const none = j.wheneverRaises ? `(whenever raises on this schedule at ${at(j.wheneverRaises.source)}: ${j.wheneverRaises.message}; no crontab line, no CronJob)` : "(schedule computed at run time)";
      lines.push(`  ${j.schedules.join(" | ") || none}  ${cronEnvShown(m, j, formatValue(j.command).replace(/#\{fetch\(:(?:release|current)_path\)\}/g, "<release dir>"))} (${cronRolesText(m, j)})${cronEnvsText(j)}${cronStagesText(j)}${cronConditionText(j)}${cronControlText(j)}  ${at(j.source)}`);
    }
  } else lines.push("  (no whenever schedule the deploy loads)");

  section("Secrets (names only)");
  if (m.secrets.length === 0) lines.push("  (none found)");
  for (const s of m.secrets) lines.push(`  ${s.kind} ${s.name}: ${s.reason}  ${at(s.source)}`);

  section(`Gaps: ${m.gaps.length} question(s) for the wizard`);
  for (const g of m.gaps) lines.push(`  ${g.id}: ${g.question} [${g.required && g.default === null ? "no default: must be answered" : `default: ${formatValue(g.default)}`}]${askedWhen(g)}${g.source ? "  " + at(g.source) : ""}`);

  section(`Hazards: ${m.hazards.length}`);
  for (const h of m.hazards) {
    lines.push(`  ${c.yellow(h.id)}: ${h.message}  ${at(h.source)}`);
    lines.push(`    → ${h.advice}`);
  }

  if (m.problems.length) {
    section(`Problems with the input: ${m.problems.length}`);
    for (const p of m.problems) lines.push(`  ${p.severity === "error" ? c.red("error") : c.yellow("warning")} ${at({ file: p.file, line: p.line })}: ${p.message}`);
  }
  return paint.lines(lines) + "\n";
}

/** How a template's stage is said: rendered for it, or only read with its values when no deploy task renders it. */
function nginxStageNote(f: Pick<NginxFile, "stage" | "notRendered">): string {
  if (!f.stage) return "";
  if (!f.notRendered) return ` (rendered for ${f.stage})`;
  return ` (a template no deploy task renders, read with stage ${f.stage}'s values; the deploy renders ${f.notRendered.sibling} instead, ${f.notRendered.renders.file}:${f.notRendered.renders.line})`;
}

function colors(wrap: (open: string, close: string) => (s: string) => string) {
  return { bold: wrap("1", "22"), dim: wrap("2", "22"), red: wrap("31", "39"), yellow: wrap("33", "39") };
}

/**
 * The roles whose servers ran a cron job: its own `roles:`, else each stage's `whenever_roles`
 * (Capistrano's default `:db`), said per stage when the stages differ.
 */
function cronRolesText(m: AppModel, job: CronJob): string {
  if (job.taskRoles) return `roles ${job.taskRoles.roles.join(", ")} (the deploy task that runs whenever on ${job.source.file})${job.roles.length ? `, job roles ${job.roles.join(", ")}${job.taskRoles.byRole ? "" : " (not passed: the task gives no --roles)"}` : ""}`;
  const unpassed = job.rolesNotPassedOn?.length ? ` (not passed on stage${job.rolesNotPassedOn.length > 1 ? "s" : ""} ${job.rolesNotPassedOn.join(", ")}: whenever ran there with no --roles, so it wrote the job on every server it ran on)` : "";
  // Mina's whenever:update runs on its one server (`set :domain`), with no --roles.
  if (m.capistrano?.tool === "mina" && (m.cron?.files ?? []).some((f) => /^Mina's whenever/.test(f.how))) return `the Mina server (domain)${job.roles.length ? `, job roles ${job.roles.join(", ")} not passed: Mina's whenever:update gives no --roles` : ""}`;
  if (job.roles.length) return `roles ${job.roles.join(", ")}${unpassed}`;
  const per = m.stages.map((st) => ({ stage: st.name, roles: cronRolesOf(st, job).join(", "), set: st.variables["whenever_roles"] !== undefined }));
  if (per.length === 0) return "roles db (whenever_roles default)";
  const distinct = new Set(per.map((p) => p.roles));
  if (distinct.size === 1) return `roles ${per[0]!.roles} (whenever_roles${per.some((p) => p.set) ? "" : " default"})`;
  return `roles by stage (whenever_roles): ${per.map((p) => `${p.stage} ${p.roles}`).join("; ")}`;
}

/**
 * The command with the env each stage passed to whenever, not the one run the analysis read it from:
 * one env where every stage that runs it passed the same, else a marker and the env per stage.
 */
function cronEnvShown(m: AppModel, job: CronJob, text: string): string {
  const read = job.environment;
  if (!read) return text;
  const on = m.stages.filter((st) => (!job.envs || job.envs.includes(railsEnvOf(st))) && (!job.onStages || job.onStages.stages.includes(st.name)) && (!job.stages || job.stages.includes(st.name)));
  const per = on.map((st) => ({ stage: st.name, env: job.environmentOn ? (job.environmentOn[st.name] ?? read) : railsEnvOf(st) }));
  const envs = [...new Set(per.map((p) => p.env))];
  if (envs.length === 0 || (envs.length === 1 && envs[0] === read)) return text;
  const escaped = read.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const swapped = text.replace(new RegExp(`((?:RAILS_ENV|RACK_ENV)=|-e |--environment[= ])${escaped}(?![\\w.-])`, "g"), `$1${envs.length === 1 ? envs[0] : "<the stage's env>"}`);
  return envs.length === 1 ? swapped : `${swapped} [env by stage: ${per.map((p) => `${p.stage} ${p.env}`).join("; ")}]`;
}

/**
 * A job the schedule defines only under some Rails envs (`if @environment == :production`): the
 * stages of the other envs had no such crontab line, and their CronJob is suspended.
 */
const cronEnvsText = (job: CronJob): string => (job.envs ? ` [only for RAILS_ENV ${job.envs.join(", ")}]` : "");

/** A job that supervised the servers' processes (analyzers/whenever/process-control.ts): written suspended. */
const cronControlText = (job: CronJob): string => (job.controlsProcess ? ` [suspended: it supervised a process of the servers (${job.controlsProcess.what.join("; ")}); the cluster runs and restarts its processes itself]` : "");

/** A job under a condition not decided statically: written suspended until the servers' crontab is confirmed. */
const cronConditionText = (job: CronJob): string => (job.condition && job.conditionOn ? ` [suspended on ${job.conditionOn.stages ? `stages ${job.conditionOn.stages.join(", ")}` : `RAILS_ENV ${(job.conditionOn.envs ?? []).join(", ")}`} only: under \`${job.condition.text}\` (${job.condition.source.file}:${job.condition.source.line}), not decided there; the other stages decide it and run the job]` : job.condition ? ` [suspended: under \`${job.condition.text}\` (${job.condition.source.file}:${job.condition.source.line}), not decided statically; resume once you confirm the servers ran it]` : "");

/** A job the schedule defines only with some stages' whenever variables. */
const cronStagesText = (job: CronJob): string => (job.onStages ? ` [only on stages ${job.onStages.stages.join(", ")}: ${job.onStages.by === "environment" ? "the environment the stages' deploys exported to whenever" : "their whenever variables"} (${job.onStages.with.file}:${job.onStages.with.line})]` : "");

/** A question that depends on an earlier answer says on which. */
const askedWhen = (g: Gap): string => (g.askIf?.length ? ` (asked only when ${g.askIf.map((c) => `${c.id} is ${c.oneOf.join(" or ")}${c.or ? ` (or ${c.or.id} is ${c.or.label})` : ""}`).join(" and ")})` : "");

