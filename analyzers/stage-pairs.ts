// Stages that are one app split by role: `production` (web) beside `production-jobs` (workers),
// `ckarma-api` beside `ckarma-jobs`. Each becomes its own overlay (its own namespace, Secret and
// db:migrate Job), while on the servers they ran the same Rails environment and read the same
// database.yml entry: one database. Said as a hazard, with the evidence that ties them, never
// silently merged or split.
//
// Evidence, each named in the message: the names (one stage's name with a role suffix — `-jobs`,
// `-worker`, `-web`, `-api`, `-admin`… plus an optional number — over the same base as the other's),
// and the same Rails environment (required: different environments read different entries). The
// same deploy_to and application are said when they hold. Nothing else ties two stages: stages of
// one environment with unrelated names (two customers' sites) are not paired here.
import type { AppModel, Hazard, Stage } from "../src/model.js";
import { railsEnvOf } from "../src/model.js";

type Model = Omit<AppModel, "gaps" | "hazards">;

const ROLE_SUFFIX = /^(.+?)[-_](jobs?|workers?|sidekiq|resque|delayed[-_]?jobs?|cron|bg|background|queues?|web|api|app|admin|frontend|front|backend)(\d*)$/i;

/** The stage's name without its role suffix, the suffix, and the number after it. */
export function splitRoleName(name: string): { base: string; suffix: string | null; number: string } {
  const m = ROLE_SUFFIX.exec(name);
  if (!m) {
    const n = /^(.*?)(\d*)$/.exec(name)!;
    return { base: n[2] && n[1] ? n[1] : name, suffix: null, number: n[2] && n[1] ? n[2] : "" };
  }
  return { base: m[1]!, suffix: m[2]!, number: m[3]! };
}

const at = (s: { file: string; line: number }) => `${s.file}:${s.line}`;
const text = (v: unknown): string | null => (typeof v === "string" ? v : v && typeof v === "object" && "sym" in v && typeof (v as { sym: unknown }).sym === "string" ? (v as { sym: string }).sym : null);

function sameVariable(stages: Stage[], name: string): string | null {
  const facts = stages.map((s) => s.variables[name]);
  if (facts.some((f) => !f)) return null;
  const values = facts.map((f) => text(f!.value));
  if (values.some((v) => v === null) || new Set(values).size !== 1) return null;
  const where = [...new Set(facts.map((f) => at(f!.source)))].join(", ");
  return `the same ${name} ${JSON.stringify(values[0])} (${where})`;
}

export const stagePairs = (m: Model): Hazard[] => {
  const groups = new Map<string, Stage[]>();
  for (const st of m.stages) {
    if (st.undeclared) continue;
    const { base, number } = splitRoleName(st.name);
    const key = `${base}\u0000${number}`;
    groups.set(key, [...(groups.get(key) ?? []), st]);
  }
  const out: Hazard[] = [];
  for (const group of groups.values()) {
    if (group.length < 2 || !group.some((s) => splitRoleName(s.name).suffix)) continue;
    const byEnv = new Map<string, Stage[]>();
    // A stage without rails_env runs under its own name's environment (railsEnvOf): left out.
    for (const s of group) if (s.variables["rails_env"]) byEnv.set(railsEnvOf(s), [...(byEnv.get(railsEnvOf(s)) ?? []), s]);
    for (const [env, stages] of byEnv) {
      if (stages.length < 2) continue;
      const names = stages.map((s) => s.name);
      const { base } = splitRoleName(names[0]!);
      const envAt = [...new Set(stages.map((s) => at(s.variables["rails_env"]!.source)))].join(", ");
      const also = [sameVariable(stages, "deploy_to"), sameVariable(stages, "application")].filter(Boolean);
      const all = stages.length === 2 ? "both" : "all";
      const db = m.rails.database;
      const linked = m.linked.find((l) => l.path === "config/database.yml");
      const entry = db?.adapters[env];
      const dbSaid = linked
        ? `config/database.yml is linked from the servers' shared/ directory (${at(linked.source)}): each server's own copy decided the database, and every one of these stages' servers read its \`${env}:\` entry`
        : entry
          ? `${all} read the \`${env}:\` entry of ${db!.file} (${at(entry.source)})`
          : `${all} read the \`${env}:\` entry of database.yml`;
      const envReads = (db?.envReads ?? []).filter((r) => r.railsEnv === env).map((r) => r.env);
      out.push({
        id: "stage.split-by-role",
        message: `stages ${names.join(" and ")} look like one app split by role, not separate apps: their names are one base (${JSON.stringify(base)}) with role suffixes, ${all} run RAILS_ENV=${env} (${envAt})${also.length ? `, with ${also.join(" and ")}` : ""}; ${dbSaid}${envReads.length ? ` (its ${[...new Set(envReads)].join(", ")} came from each server's environment, so the servers' environment decided whether the database was one)` : ", so they shared one database"}`,
        advice: `Each stage gets its own overlay (namespace, Secret, db:migrate Job): either merge them into one overlay (the web stage's Deployment with the other's workers and CronJobs), or point both overlays at the same database and Redis and let only one of them run the db:migrate Job. Check the servers' database settings before the cut-over: nothing in the repo proves they were the same database.`,
        source: stages[1]!.variables["rails_env"]!.source,
      });
    }
  }
  return out;
};
