// Search daemons the deploy itself (re)starts through their gem's rake task: thinking-sphinx's searchd
// (`ts:start`, `ts:rebuild`, `ts:restart`, `thinking_sphinx:*`) and sunspot's Solr (`sunspot:solr:start`,
// `sunspot:solr:run`). They ran on the app servers beside the app, with their index on the servers'
// disk; no pod runs them, so each is a process no Deployment carries, and where the client's config
// names no address the app reaches it at the gem's default address on its own machine (in a pod: the
// pod itself). The rule lives here; analyzers/workers/uncarried.ts names the process and
// analyzers/services/local-addresses.ts the address.
//
// The gems' defaults, when the environment's section names no address:
// - thinking-sphinx 1.x/2.x (config/sphinx.yml): address 127.0.0.1, port 9312 (ThinkingSphinx::Configuration,
//   its documented defaults);
// - thinking-sphinx 3.x and later (config/thinking_sphinx.yml): address 127.0.0.1, mysql41 port 9306
//   (ThinkingSphinx::Configuration::Defaults ADDRESS and PORT);
// - sunspot_rails (config/sunspot.yml, `solr.hostname`/`solr.port`): localhost, 8983
//   (Sunspot::Rails::Configuration#hostname and #port).
import type { AnalyzerContext, LocalAddress, RValue, Source, Stage, UncarriedProcess } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { startLines } from "../appserver/started.js";
import { parseLockfile } from "../rails/lockfile.js";
import { readErbYaml } from "../rails/erb-yaml.js";
import { isHash } from "../ruby/evaluate.js";

interface Daemon {
  kind: "sphinx" | "solr";
  /** The daemon's name, as the report says it. */
  name: string;
  gem: string;
  version: string | null;
  /** The rake task as the deploy line writes it. */
  task: string;
  source: Source;
  line: string;
}

const SPHINX_TASK = /\b(?:ts|thinking_sphinx):(?:start|rebuild|restart|run|regenerate)\b/;
const SOLR_TASK = /\bsunspot:solr:(?:start|run|restart)\b/;

/** The search daemons the deploy starts through a known rake task, with the locked gem that defines it. */
function daemonsStarted(ctx: AnalyzerContext): Daemon[] {
  const lock = ctx.repo.read("Gemfile.lock");
  const specs = "error" in lock ? [] : parseLockfile(lock.text).specs;
  const locked = (names: string[]) => specs.find((s) => names.includes(s.name)) ?? null;
  const out: Daemon[] = [];
  for (const l of startLines(ctx)) {
    if (l.service || /^\s*#/.test(l.text)) continue;
    const ts = SPHINX_TASK.exec(l.text);
    const gem = ts ? locked(["thinking-sphinx"]) : null;
    // Without the gem locked the task is someone else's (or nobody's): what it starts is not known.
    if (ts && gem && !out.some((d) => d.kind === "sphinx")) out.push({ kind: "sphinx", name: "searchd", gem: gem.name, version: gem.version ?? null, task: ts[0], source: l.source, line: l.text.trim() });
    const solr = SOLR_TASK.exec(l.text);
    const sgem = solr ? locked(["sunspot_solr", "sunspot_rails"]) : null;
    if (solr && sgem && !out.some((d) => d.kind === "solr")) out.push({ kind: "solr", name: "solr", gem: sgem.name, version: sgem.version ?? null, task: solr[0], source: l.source, line: l.text.trim() });
  }
  return out;
}

/** Each search daemon the deploy starts, as a process no Deployment carries. */
export function searchDaemonProcesses(ctx: AnalyzerContext): UncarriedProcess[] {
  return daemonsStarted(ctx).map((d) => ({
    name: d.name,
    command: d.line.slice(0, 160),
    source: d.source,
    why:
      d.kind === "sphinx"
        ? `Sphinx's searchd, which the deploy (re)starts with thinking-sphinx's \`${d.task}\` on the servers it runs on; it is a long-running daemon with its index on the servers' disk, and no Deployment runs it: run searchd (and its indexing) as a service the pods reach, and point thinking-sphinx at it`
        : `Solr, which the deploy starts with sunspot's \`${d.task}\` on the servers it runs on; it is a long-running daemon with its index on the servers' disk, and no Deployment runs it: run Solr as a service the pods reach, and point sunspot.yml at it`,
  }));
}

const majorOf = (v: string | null) => (v ? Number(/^(\d+)/.exec(v)?.[1]) : NaN);

/**
 * Per stage, the address the app's client reaches the daemon at when its config names none: the gem's
 * default, on the machine itself. A section that names an address is left to the general reading of
 * config/*.yml (local-addresses.ts), which judges a written localhost.
 */
export function searchDaemonAddresses(ctx: AnalyzerContext, stages: readonly Stage[]): LocalAddress[] {
  const envs = stages.length ? stages.map((s) => ({ stage: s.name, env: railsEnvOf(s) })) : [{ stage: "production", env: "production" }];
  const quiet: AnalyzerContext = { ...ctx, problem: () => {} };
  const out: LocalAddress[] = [];
  for (const d of daemonsStarted(ctx)) {
    const modern = d.kind === "sphinx" && majorOf(d.version) >= 3;
    const file = d.kind === "solr" ? "config/sunspot.yml" : modern ? "config/thinking_sphinx.yml" : "config/sphinx.yml";
    const address = d.kind === "solr" ? "localhost:8983" : modern ? "127.0.0.1:9306" : "127.0.0.1:9312";
    const gemSays =
      d.kind === "solr"
        ? "sunspot_rails' default when sunspot.yml names no solr hostname (Sunspot::Rails::Configuration: localhost, port 8983)"
        : modern
          ? `thinking-sphinx ${d.version}'s default when ${file} names no address (ThinkingSphinx::Configuration::Defaults: 127.0.0.1, mysql41 port 9306)`
          : `thinking-sphinx ${d.version ?? ""}'s default when ${file} names no address (ThinkingSphinx::Configuration: 127.0.0.1, port 9312)`.replace("thinking-sphinx 's", "thinking-sphinx's");
    const y = ctx.repo.paths.includes(file) ? readErbYaml(quiet, file) : null;
    const top = y && isHash(y.value) ? (y.value as Record<string, RValue>) : null;
    for (const e of envs) {
      const section = top?.[e.env];
      const held = section !== undefined && isHash(section) ? (section as Record<string, RValue>) : null;
      const solr = held?.["solr"];
      const named = d.kind === "solr" ? solr !== undefined && isHash(solr) && (held!["solr"] as Record<string, RValue>)["hostname"] !== undefined : held?.["address"] !== undefined;
      if (named) continue;
      const source = held && y ? { file, line: y.lineOf([e.env]) || 1 } : d.source;
      const what = held ? `${d.name} (${file} ${e.env} names no address)` : `${d.name} (${top ? `${file} has no ${e.env} section` : `no ${file}`})`;
      const same = out.find((a) => a.what === what && a.source.file === source.file && a.source.line === source.line);
      if (same) {
        if (!same.stages.includes(e.stage)) same.stages.push(e.stage);
        continue;
      }
      out.push({ kind: d.kind, what, address, defaultOf: gemSays, source, stages: [e.stage] });
    }
  }
  return out;
}
