// The web server's config when the deploy links it from shared/ and the repo does not hold it
// (`set :linked_files, %w[config/unicorn.rb]`, the server restarted as a service defined on the
// boxes): the servers ran a file only they had. Its numbers are then not known, and each becomes a
// gap (src/gaps/appserver.ts asks for it, the server's own default offered as a placeholder),
// never the server's defaults stated as fact, nor the numbers of another server's config. The same
// holds for a server the deploy restarts as a service the servers alone define (`service
// unicorn_app restart`) when no config of the repo or linked file serves the stage.
import type { AnalyzerContext, AppServerConfig, Fact, LinkedPath, RValue, Source, Stage, WebServerFacts } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { restartsService } from "./started.js";
import { exampleSuggested } from "./suggested-numbers.js";

/** The example's numbers as the config's suggestions (the link's own example copy first), when it holds any. */
function withExample(ctx: AnalyzerContext, cfg: AppServerConfig, preferred?: string): AppServerConfig {
  const ex = cfg.kind === "unicorn" || cfg.kind === "puma" ? exampleSuggested(ctx, cfg.kind, preferred) : null;
  return ex ? { ...cfg, suggested: ex.suggested } : cfg;
}

/** What the questions offer as defaults: the example's numbers, labelled, else the server's own defaults. */
function defaultsWords(kind: "unicorn" | "puma", o: AppServerConfig): string {
  const ex = o.suggested?.workers ?? o.suggested?.timeout;
  return ex ? `with the numbers of the repo's example ${ex.source.file} as labelled defaults, not as what ran` : `with ${kind === "unicorn" ? "Unicorn" : "Puma"}'s defaults as placeholders`;
}

const EXAMPLE_ONLY = "(the config the servers ran; the repo holds only its example ";
const exampleOnlyFile = (example: string): string => `${EXAMPLE_ONLY}${example})`;

/** A stage no config of the repo serves, where the repo holds an example copy: each number a gap. */
function exampleOnlyConfig(kind: "unicorn" | "puma", example: string, stage: string, web: WebServerFacts): AppServerConfig {
  const started = web.evidence.find((e) => e.value.startsWith(`${kind}:`)) ?? web.evidence[0];
  const at = started?.source ?? { file: example, line: 0 };
  const why = `no ${kind} config of the repo or linked file serves this stage, and the repo holds only the example ${example}, not what the servers ran`;
  return unseenConfig(kind, exampleOnlyFile(example), stage, why, at, `the deploy starts ${kind}${started ? ` (${started.source.file}:${started.source.line})` : ""}; ${why}`);
}

/** Where each server's config conventionally sits in a release, for a stage's Rails env. */
const CONVENTIONAL: Record<"unicorn" | "puma", (env: string) => string[]> = {
  unicorn: (env) => ["config/unicorn.rb", "config/unicorn.conf", `config/unicorn/${env}.rb`],
  puma: (env) => ["config/puma.rb", `config/puma/${env}.rb`],
};

/**
 * One config per linked file, for the stages of the started server that no config of the repo
 * serves and that link a file at that server's conventional path which the repo lacks.
 */
export function linkedServerConfigs(ctx: AnalyzerContext, webServer: WebServerFacts | null, appServers: AppServerConfig[], stages: Stage[], linked: LinkedPath[]): AppServerConfig[] {
  const kind = webServer?.kind;
  if (kind !== "unicorn" && kind !== "puma") return [];
  const own = appServers.filter((a) => a.kind === kind);
  const out: AppServerConfig[] = [];
  const service = unseenService(webServer!, kind);
  for (const st of stages) {
    // as emitters/app-server.ts appServerFor picks a stage's config
    if (own.some((a) => a.stages.includes(st.name) || a.env === railsEnvOf(st) || (a.env === null && !a.stages.length))) continue;
    const paths = CONVENTIONAL[kind](railsEnvOf(st));
    const link = linked.find((l) => l.kind === "file" && l.serverOnly && l.stages.includes(st.name) && paths.includes(l.path));
    if (!link) {
      if (service) {
        const same = out.find((o) => o.file === service.file);
        if (same) same.stages.push(st.name);
        else out.push(withExample(ctx, serviceConfig(kind, service, st.name)));
      } else {
        // Only an example copy (config/unicorn.rb.sample): its numbers are offered, labelled, never stated.
        const ex = exampleSuggested(ctx, kind);
        if (ex) {
          const same = out.find((o) => o.file === exampleOnlyFile(ex.file));
          if (same) same.stages.push(st.name);
          else out.push({ ...exampleOnlyConfig(kind, ex.file, st.name, webServer!), suggested: ex.suggested });
        }
      }
      continue;
    }
    const same = out.find((o) => o.file === link.path);
    if (same) same.stages.push(st.name);
    else out.push(withExample(ctx, unknownConfig(kind, link, st.name, webServer!), link.example));
  }
  for (const o of out.filter((x) => x.file === service?.file))
    ctx.problem({ file: service!.line.source.file, line: service!.line.source.line, message: `stage${o.stages.length > 1 ? "s" : ""} ${o.stages.join(", ")}: the deploy restarts ${kind} as a service defined only on the servers, and no ${kind === "unicorn" ? "Unicorn" : "Puma"} config of the repo or linked file serves ${o.stages.length > 1 ? "them" : "it"}: its ${kind === "unicorn" ? "worker_processes and timeout" : "workers, threads and worker_timeout"} are not known (asked as gaps, ${defaultsWords(kind, o)})`, severity: "warning" });
  for (const o of out.filter((x) => x.file !== service?.file && x.file.startsWith(EXAMPLE_ONLY)))
    ctx.problem({ file: o.file.slice(EXAMPLE_ONLY.length, -1), line: 0, message: `no ${kind === "unicorn" ? "Unicorn" : "Puma"} config of the repo or linked file serves stage${o.stages.length > 1 ? "s" : ""} ${o.stages.join(", ")}, and the repo holds only the example ${o.file.slice(EXAMPLE_ONLY.length, -1)}: read as an example, its numbers offered as the questions' labelled defaults, not as what the servers ran`, severity: "warning" });
  for (const o of out.filter((x) => x.file !== service?.file && !x.file.startsWith(EXAMPLE_ONLY)))
    ctx.problem({ file: o.file, line: 0, message: `the ${kind === "unicorn" ? "Unicorn" : "Puma"} config stage${o.stages.length > 1 ? "s" : ""} ${o.stages.join(", ")} ran is ${o.file}, linked from the servers' shared/ directory and not in the repo: its ${kind === "unicorn" ? "worker_processes and timeout" : "workers, threads and worker_timeout"} are not known (asked as gaps, ${defaultsWords(kind, o)})`, severity: "warning" });
  return out;
}

/**
 * The deploy restarts the server as a service named for it (`service unicorn_app restart`,
 * `systemctl restart puma_app`, `/etc/init.d/unicorn_app upgrade`) and no unit of the repo defines
 * it: the service, and so the config it starts the server with, exist only on the servers. Null
 * when a service file of the repo starts it (read by namedConfigs) or nothing restarts a service.
 */
function unseenService(web: WebServerFacts, kind: "unicorn" | "puma"): { file: string; line: Fact<string> } | null {
  const mine = web.evidence.filter((e) => e.value.startsWith(`${kind}: `));
  if (mine.some((e) => e.value.startsWith(`${kind}: service definition:`))) return null;
  const line = mine.find((e) => e.value.startsWith(`${kind}: deploy task:`) && restartsService(kind, e.value));
  return line ? { file: `(the ${kind === "unicorn" ? "Unicorn" : "Puma"} config of the servers' own ${kind} service)`, line } : null;
}

/** A config the repo does not hold: every number unknown for `why`, each a question. */
export function unseenConfig(kind: "unicorn" | "puma", file: string, stage: string, why: string, at: Source, startedBy: string): AppServerConfig {
  const gap = (expr: string): Fact<RValue> => ({ value: { unknown: why, expr, source: at }, source: at });
  return {
    kind,
    file,
    env: null,
    stages: [stage],
    workers: gap(kind === "unicorn" ? "worker_processes" : "workers"),
    threads: kind === "puma" ? { value: [{ unknown: why, expr: "threads min", source: at }, { unknown: why, expr: "threads max", source: at }], source: at } : null,
    listen: [],
    timeout: gap(kind === "unicorn" ? "timeout" : "worker_timeout"),
    preloadApp: gap(kind === "unicorn" ? "preload_app" : "preload_app!"),
    pid: null,
    stdoutPath: null,
    stderrPath: null,
    workingDirectory: null,
    hooks: [],
    startedBy: { value: startedBy, source: at },
    notInRepo: true,
  };
}

/** The config a service only the servers define loads: each number unknown, with the restart line. */
function serviceConfig(kind: "unicorn" | "puma", service: { file: string; line: Fact<string> }, stage: string): AppServerConfig {
  const at = service.line.source;
  const why = `the deploy restarts ${kind} as a service of the servers (${at.file}:${at.line}), defined outside the repo: the config it starts ${kind} with is on the servers, and neither in the repo nor a linked file`;
  return unseenConfig(kind, service.file, stage, why, at, `${why}; its numbers are asked (the server's defaults are placeholders)`);
}

function unknownConfig(kind: "unicorn" | "puma", link: LinkedPath, stage: string, web: WebServerFacts): AppServerConfig {
  const at = `${link.source.file}:${link.source.line}`;
  const started = web.evidence.find((e) => e.value.startsWith(`${kind}:`));
  const why = `${link.path} is linked from the servers' shared/ directory (linked_files, ${at}) and the repo does not hold it${link.example ? ` (${link.example} is an example, not what ran)` : ""}`;
  return unseenConfig(kind, link.path, stage, why, link.source, `the deploy starts ${kind}${started ? ` (${started.source.file}:${started.source.line})` : ""} from a release where ${why}: the servers' own copy is the config it loaded`);
}
