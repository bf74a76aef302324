// A stage file that sets the app server's numbers as Capistrano variables (`set :unicorn_workers, 4`)
// meant them for a template that renders the server's config: a gem's own (capistrano-cook, and many
// private recipe gems) or the team's. Where the analysis rendered no template that reads the
// variable, the config it did read (a leftover config/unicorn.rb) may hold another number: the
// stage's value would be lost without a word. Each such variable the stage's config does not agree
// with is said, with both numbers and both lines, so that the person checks what the servers ran.
import type { AnalyzerContext, AppModel, AppServerConfig, Fact, RValue, Stage } from "./model.js";
import { isEnvRefShape, isUnknown } from "./model.js";
import { formatValue } from "./model/format.js";
import { appServerFor } from "../emitters/app-server.js";

type Setting = "workers" | "timeout" | "threads";

/** The variables the well-known recipes name, by server and setting. */
const NAMES: Record<"unicorn" | "puma", Record<string, Setting>> = {
  unicorn: { unicorn_workers: "workers", unicorn_worker_processes: "workers", unicorn_worker_count: "workers", unicorn_timeout: "timeout", unicorn_worker_timeout: "timeout" },
  puma: { puma_workers: "workers", puma_threads: "threads", puma_worker_timeout: "timeout" },
};

const number = (v: RValue | undefined): number | null => (typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null);

function threads(v: RValue | undefined): string | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const [a, b] = [number(v[0] as RValue), number(v[1] as RValue)];
  return a === null || b === null ? null : `${a}, ${b}`;
}

/**
 * A setting the config states but not as a number: read from ENV on the servers (`threads
 * ENV.fetch("RAILS_MAX_THREADS", 5)`), said as written with its default. Null when some part is not
 * known (then the config states nothing the analysis could read).
 */
function statedFromEnv(v: RValue | undefined): string | null {
  const parts = Array.isArray(v) ? v : v === undefined ? [] : [v];
  if (!parts.length || !parts.some(isEnvRefShape) || parts.some((p) => isUnknown(p) || (typeof p === "object" && p !== null && !isEnvRefShape(p)))) return null;
  return parts.map((p) => formatValue(p as RValue)).join(", ");
}

function configValue(c: AppServerConfig | null, s: Setting): { text: string | null; fact: Fact<unknown> | null } {
  if (!c) return { text: null, fact: null };
  if (s === "threads") return { text: c.threads ? threads(c.threads.value as unknown as RValue) : null, fact: c.threads };
  const f = s === "workers" ? c.workers : c.timeout;
  const n = f ? number(f.value) : null;
  return { text: n === null ? null : String(n), fact: f };
}

/**
 * Warns for each stage variable naming a Unicorn/Puma number that the config the stage runs does
 * not hold. A variable a rendered template read agrees with it (same number, or cited from the
 * variable's own line), and stays silent; so does one no repo file sets (a plugin's default).
 */
export function unreadStageNumbers(ctx: AnalyzerContext, stages: Stage[], model: Pick<AppModel, "appServers" | "rails" | "webServer">): void {
  const kind = model.webServer?.kind;
  const said = new Set<string>();
  for (const stage of stages) {
    const config = appServerFor(model, stage);
    const server = config?.kind === "unicorn" || config?.kind === "puma" ? config.kind : kind === "unicorn" || kind === "puma" ? kind : null;
    if (!server) continue;
    for (const [name, setting] of Object.entries(NAMES[server])) {
      const v = stage.variables[name];
      if (!v || v.defaultOf || !/^(config\/deploy|Capfile)/.test(v.source.file)) continue;
      const mine = setting === "threads" ? threads(v.value) : number(v.value) === null ? null : String(number(v.value));
      if (mine === null) continue;
      const { text, fact } = configValue(config, setting);
      if (text === mine) continue;
      if (fact && fact.source.file === v.source.file && fact.source.line === v.source.line) continue;
      const key = `${stage.name}:${name}`;
      if (said.has(key)) continue;
      said.add(key);
      const fromEnv = text === null && fact ? statedFromEnv(fact.value as RValue) : null;
      const says = fromEnv !== null ? `says ${setting} ${fromEnv}, read from ENV on the servers` : text === null ? null : `says ${setting} ${text}`;
      const theirs = config
        ? `the ${server} config read for it, ${config.file}, ${says === null ? `states no ${setting} the analysis could read` : `${says}${fact?.defaultOf ? ` (${fact.defaultOf}'s default)` : fact ? ` (${fact.source.file}:${fact.source.line})` : ""}`}`
        : `no ${server} config of the repo serves it (the server's defaults are used)`;
      // The plugin started the server on a repo config without rendering one (capistrano3-puma 6+):
      // the variable was dead on the servers too, which is the thing to say.
      if (config?.startedBy) {
        ctx.problem({ ...v.source, message: `stage.unread-server-number: stage ${stage.name} sets :${name} to ${mine}, but the server was started on ${config.file} without a config rendered from it (${config.startedBy.value}): the setting had no effect on the servers; ${theirs}, and that is what the outputs carry`, severity: "warning" });
        continue;
      }
      ctx.problem({
        ...v.source,
        message: `stage.unread-server-number: stage ${stage.name} sets :${name} to ${mine}, but no template the analysis rendered reads it (a gem's own template, or one only the servers had, may have written the ${server} config from it); ${theirs}, and that is what the outputs carry: check which the servers ran`,
        severity: "warning",
      });
    }
  }
}
