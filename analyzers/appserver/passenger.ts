// Passenger's settings wherever the repo states them: the nginx configs the nginx analyzer found
// (`passenger_max_pool_size`, per stage when a template rendered them), Apache vhost files
// (`PassengerMaxPoolSize`, per stage likewise: analyzers/apache), a Passengerfile.json, Moonshine's config/moonshine.yml, and
// capistrano-passenger's variables. Each is kept by Passenger Standalone's own key, with the line
// that says it; what no file says is left to the emitter, which labels Passenger's default.
import type { AnalyzerContext, ApacheFacts, Fact, NginxFacts, PassengerFacts, PassengerSetting, Source, Stage } from "../../src/model.js";
import { moonshinePassenger } from "../capistrano/moonshine.js";
import { boundedCount, unboundedCountWhy } from "../process-count.js";

type Kind = "int" | "bool" | "env";

/** Passenger Standalone's key and value type, by nginx directive. */
const NGINX: Record<string, [string, Kind]> = {
  passenger_max_pool_size: ["max_pool_size", "int"],
  passenger_min_instances: ["min_instances", "int"],
  passenger_max_requests: ["max_requests", "int"],
  passenger_pool_idle_time: ["pool_idle_time", "int"],
  passenger_start_timeout: ["start_timeout", "int"],
  passenger_max_request_queue_size: ["max_request_queue_size", "int"],
  passenger_friendly_error_pages: ["friendly_error_pages", "bool"],
  passenger_app_env: ["environment", "env"],
  rails_env: ["environment", "env"],
  rack_env: ["environment", "env"],
};

/** The same by Apache directive (mod_passenger's names; RailsEnv/RackEnv are its older spellings). */
const APACHE: Record<string, [string, Kind]> = {
  PassengerMaxPoolSize: ["max_pool_size", "int"],
  PassengerMinInstances: ["min_instances", "int"],
  PassengerMaxRequests: ["max_requests", "int"],
  PassengerPoolIdleTime: ["pool_idle_time", "int"],
  PassengerStartTimeout: ["start_timeout", "int"],
  PassengerMaxRequestQueueSize: ["max_request_queue_size", "int"],
  PassengerFriendlyErrorPages: ["friendly_error_pages", "bool"],
  PassengerAppEnv: ["environment", "env"],
  RailsEnv: ["environment", "env"],
  RackEnv: ["environment", "env"],
};

/**
 * mod_passenger's directives that count only server-wide: inside a <VirtualHost> Apache starts with
 * "WARNING: PassengerMaxPoolSize cannot occur within <VirtualHost> section" and Passenger ignores
 * it (found with `apache2 -t` and Debian's mod_passenger 6.0.17).
 */
const APACHE_SERVER_WIDE = new Set(["passengermaxpoolsize", "passengerpoolidletime"]);
/** Apache matches directive names without regard to case (`passengermaxpoolsize 12` counts); nginx's are exact. */
const APACHE_FOLDED: Record<string, [string, Kind]> = Object.fromEntries(Object.entries(APACHE).map(([k, v]) => [k.toLowerCase(), v]));

/** Passengerfile.json keys read (the same names). */
const JSON_KEYS: Record<string, Kind> = Object.fromEntries(Object.values(NGINX).map(([k, t]) => [k, t]));

const CAP_VARIABLES = ["passenger_roles", "passenger_restart_with_touch", "passenger_environment_variables", "passenger_restart_command", "passenger_restart_options"];


function parse(raw: string, kind: Kind): number | boolean | string | null {
  const v = raw.replace(/;$/, "").replace(/^["']|["']$/g, "");
  if (/<%|\{\{|\{%|\$/.test(v)) return null;
  if (kind === "int") return /^\d{1,9}$/.test(v) ? Number(v) : null;
  if (kind === "bool") return /^on$/i.test(v) ? true : /^off$/i.test(v) ? false : null;
  return /^[A-Za-z0-9_.-]{1,64}$/.test(v) ? v : null;
}

export function passengerFacts(ctx: AnalyzerContext, nginx: NginxFacts, stages: Stage[], apache?: ApacheFacts): PassengerFacts {
  const settings: PassengerSetting[] = [];
  const unread = (file: string, line: number, directive: string) =>
    ctx.problem({ file, line, message: `${directive}: Passenger's value is not known statically (a template tag or an unexpected form); Passenger's default is used in its place`, severity: "warning" });

  // nginx: every passenger_* line at any level (http, server, location); Apache (analyzers/apache):
  // mod_passenger's directives at any depth. A template is read once per stage it rendered for.
  type Directive = { name: string; args: string[]; source: Source; block?: Directive[] };
  const walk = (ds: Directive[], table: Record<string, [string, Kind]>, stage: string | null, example: boolean, inVhost = false) => {
    const folded = table === APACHE_FOLDED;
    for (const d of ds) {
      const spec = Object.hasOwn(table, folded ? d.name.toLowerCase() : d.name) ? table[folded ? d.name.toLowerCase() : d.name] : undefined;
      if (spec && inVhost && APACHE_SERVER_WIDE.has(d.name.toLowerCase())) {
        const key = `${d.source.file}:${d.source.line}`;
        if (!ignored.has(key)) ignored.add(key), ctx.problem({ ...d.source, message: `\`${d.name} ${d.args.join(" ")}\` sits inside a <VirtualHost>, where Apache ignores it (mod_passenger reads it server-wide only: "cannot occur within <VirtualHost> section"); Passenger's default is used in its place`, severity: "warning" });
      } else if (spec && d.args.length === 1) {
        const value = parse(d.args[0]!, spec[1]);
        const directive = `${d.name} ${d.args[0]}`;
        if (value === null) unread(d.source.file, d.source.line, directive);
        else if (!settings.some((s) => s.key === spec[0] && s.source.file === d.source.file && s.source.line === d.source.line && s.stage === stage))
          settings.push({ key: spec[0], value, source: d.source, directive, stage, ...(example ? { example } : {}) });
      }
      if (d.block) walk(d.block, table, stage, example, inVhost || d.name.toLowerCase() === "virtualhost");
    }
  };
  const ignored = new Set<string>();
  for (const f of nginx.files) walk(f.directives, NGINX, f.stage, !!f.example);
  for (const f of apache?.files ?? []) walk(f.directives, APACHE_FOLDED, f.stage, !!f.example);

  // Passengerfile.json: Passenger Standalone's own file, read as JSON.
  for (const file of ["Passengerfile.json", "passenger-standalone.json"]) {
    if (!ctx.repo.paths.includes(file)) continue;
    const read = ctx.repo.read(file);
    if ("error" in read) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(read.text);
    } catch (e) {
      ctx.problem({ file, line: 1, message: `not valid JSON (${(e as Error).message}): its Passenger settings are not read`, severity: "warning" });
      continue;
    }
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) continue;
    const lines = read.text.split(/\r?\n/);
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      const kind = JSON_KEYS[k];
      const line = Math.max(1, lines.findIndex((l) => l.includes(JSON.stringify(k))) + 1);
      if (!kind) continue;
      const value = typeof v === "number" || typeof v === "boolean" ? parse(String(v === true ? "on" : v === false ? "off" : v), kind) : typeof v === "string" ? parse(v, kind) : null;
      if (value === null) unread(file, line, `${k}: ${JSON.stringify(v)}`);
      else settings.push({ key: kind === "env" ? "environment" : k, value, source: { file, line }, directive: `"${k}": ${JSON.stringify(v)}`, stage: null });
    }
    break;
  }

  // Moonshine's :passenger: :max_pool_size (its passenger.conf template's PassengerMaxPoolSize).
  const moon = moonshinePassenger(ctx);
  if (moon && "value" in moon.pool) settings.push({ key: "max_pool_size", value: moon.pool.value, source: moon.pool.source, directive: `:passenger: :max_pool_size ${moon.pool.value}`, stage: null });

  // A process count above the bound every repo count meets (analyzers/process-count.ts) is not a
  // number of processes any server ran: named, and Passenger's labelled default stands instead.
  for (let i = settings.length - 1; i >= 0; i--) {
    const x = settings[i]!;
    if ((x.key === "max_pool_size" || x.key === "min_instances") && boundedCount(x.value) === null) {
      ctx.problem({ ...x.source, message: `\`${x.directive}\`: ${unboundedCountWhy(String(x.value))}, so it is not taken as Passenger's ${x.key}; Passenger's default is used in its place`, severity: "warning" });
      settings.splice(i, 1);
    }
  }

  // Two files (or two server blocks) giving one setting different values: the first is used, and said.
  for (const a of settings) {
    const b = settings.find((x) => x !== a && x.key === a.key && x.stage === a.stage && !!x.example === !!a.example && x.value !== a.value);
    if (b && settings.indexOf(a) < settings.indexOf(b))
      ctx.problem({ file: b.source.file, line: b.source.line, message: `\`${b.directive}\` disagrees with \`${a.directive}\` (${a.source.file}:${a.source.line})${a.stage ? ` for stage ${a.stage}` : ""}: Passenger's ${a.key} is read from the first`, severity: "warning" });
  }

  const capistrano: Fact<string>[] = [];
  for (const st of stages)
    for (const name of CAP_VARIABLES) {
      const v = st.variables[name];
      if (v && !capistrano.some((c) => c.source.file === v.source.file && c.source.line === v.source.line))
        capistrano.push({ value: `${name} ${JSON.stringify(v.value)}${stages.length > 1 ? ` (stage ${st.name})` : ""}`, source: v.source });
    }
  return { settings, capistrano };
}
