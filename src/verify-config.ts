// `rails2k8s verify-config --reports DIR`: the reports the emitted rake task
// `rails2k8s:verify_config REPORT=…` wrote on each EC2 server, read together against the stages and
// servers of the deploy config. One table of every stage and server; any difference, a server
// without a report, or a report run under another Rails environment is not clean (exit 1).
// `switch-config` asks the same question before it rewrites a single call site.
import { readdirSync, readFileSync, lstatSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { AppModel } from "./model.js";
import { railsEnvOf } from "./model.js";
import { stageLabel } from "./model/names.js";
import { termText } from "../emitters/encode/terminal.js";

/** A report file that is not one the task wrote: bad input, exit 2 (named by file). */
export class BadReport extends Error {}

export interface ReportDifference {
  path: string;
  problem: string;
  /** As the task showed it: values under secret-looking keys already masked on the server. */
  global?: string;
  configFor?: string;
}

export interface ServerResult {
  stage: string;
  server: string;
  /** The report file, relative to the reports directory; null = no report for a known server. */
  file: string | null;
  railsEnv: string | null;
  equal: boolean;
  namespaces: number | null;
  differences: ReportDifference[];
}

export interface Verification {
  rows: ServerResult[];
  /** Stages that have at least one report, every known server reported, and no difference. */
  clean: Set<string>;
  stages: string[];
}

const MAX_REPORT_BYTES = 5 * 1024 * 1024;
const MAX_REPORTS = 10_000;

/** Every *.json under `dir` (links are not followed: a report is a plain file someone copied there). */
function reportFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch (e) {
      throw new BadReport(`${termText(abs)}: cannot read the reports directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    for (const n of names) {
      const p = join(abs, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && n.endsWith(".json")) out.push(p);
      if (out.length > MAX_REPORTS) throw new BadReport(`${termText(dir)}: more than ${MAX_REPORTS} report files`);
    }
  };
  walk(dir);
  return out;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** One report file, checked field by field. */
function parseReport(abs: string, rel: string): { stage: string | null; server: string | null; railsEnv: string | null; equal: boolean; namespaces: number | null; differences: ReportDifference[] } {
  if (lstatSync(abs).size > MAX_REPORT_BYTES) throw new BadReport(`${rel}: over ${MAX_REPORT_BYTES} bytes, not a report of rails2k8s:verify_config`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(abs, "utf8"));
  } catch (e) {
    throw new BadReport(`${rel}: not JSON (${(e as Error).message})`);
  }
  const r = data as Record<string, unknown>;
  if (typeof r !== "object" || r === null || Array.isArray(r) || typeof r.equal !== "boolean" || !Array.isArray(r.differences))
    throw new BadReport(`${rel}: not a report of rails2k8s:verify_config (it needs "equal" and "differences")`);
  const differences = (r.differences as unknown[]).map((d, i) => {
    const x = d as Record<string, unknown>;
    if (typeof x !== "object" || x === null || typeof x.path !== "string" || typeof x.problem !== "string")
      throw new BadReport(`${rel}: differences[${i}] has no path and problem`);
    return { path: x.path, problem: x.problem, ...(typeof x.global === "string" ? { global: x.global } : {}), ...(typeof x.config_for === "string" ? { configFor: x.config_for } : {}) };
  });
  // A report saying "equal" while listing differences is not believed.
  return { stage: str(r.stage), server: str(r.server), railsEnv: str(r.rails_env), equal: r.equal && differences.length === 0, namespaces: typeof r.namespaces === "number" ? r.namespaces : null, differences };
}

/**
 * Reads every report under `dir` and matches it to the model's stages (by the stage the report
 * names, the overlay name, or the first folder under `dir`) and servers (by the SERVER it names).
 */
export function verifyReports(dir: string, model: AppModel): Verification {
  const stages = model.stages.map((s) => s.name);
  const byName = new Map<string, string>();
  for (const s of stages) {
    byName.set(s, s);
    byName.set(stageLabel(s), s);
  }
  const rows: ServerResult[] = [];
  for (const abs of reportFiles(dir)) {
    const rel = relative(dir, abs).split(sep).join("/");
    const r = parseReport(abs, rel);
    const folder = rel.includes("/") ? rel.split("/")[0]! : null;
    const named = r.stage ?? folder;
    const stage = named === null ? undefined : byName.get(named);
    if (stage === undefined)
      throw new BadReport(`${rel}: ${named === null ? "names no stage (run the task with STAGE=<stage>, or put the report in a folder named for its stage)" : `names stage ${JSON.stringify(named)}, which config/deploy does not have`}`);
    const server = r.server ?? rel.replace(/^.*\//, "").replace(/\.json$/, "");
    const differences = [...r.differences];
    const want = railsEnvOf(model.stages.find((s) => s.name === stage)!);
    if (r.railsEnv !== null && r.railsEnv !== want) differences.unshift({ path: "(RAILS_ENV)", problem: `the task ran with RAILS_ENV=${r.railsEnv}; stage ${stage} runs ${want}` });
    rows.push({ stage, server, file: rel, railsEnv: r.railsEnv, equal: r.equal && differences.length === 0, namespaces: r.namespaces, differences });
  }
  // Every server the deploy config names for a stage must have reported.
  for (const st of model.stages) {
    const reported = new Set(rows.filter((r) => r.stage === st.name).map((r) => r.server));
    for (const host of [...new Set(st.servers.map((s) => s.host))])
      if (!reported.has(host)) rows.push({ stage: st.name, server: host, file: null, railsEnv: null, equal: false, namespaces: null, differences: [] });
  }
  rows.sort((a, b) => stages.indexOf(a.stage) - stages.indexOf(b.stage) || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
  const clean = new Set(stages.filter((s) => rows.some((r) => r.stage === s) && rows.filter((r) => r.stage === s).every((r) => r.equal)));
  return { rows, clean, stages };
}

/** The table: a line per server, then its differences by path (values as masked by the task). */
export function renderVerification(v: Verification): string {
  const lines: string[][] = [["stage", "server", "RAILS_ENV", "result"]];
  const detail = new Map<number, string[]>();
  for (const st of v.stages)
    if (!v.rows.some((r) => r.stage === st)) lines.push([st, "(none)", "", "no report: run rails2k8s:verify_config on every server of this stage"]);
  for (const r of v.rows) {
    const result = r.file === null ? "no report" : r.equal ? `equal${r.namespaces !== null ? ` (${r.namespaces} namespaces)` : ""}` : `${r.differences.length} difference(s)`;
    lines.push([r.stage, r.server, r.railsEnv ?? "", result]);
    if (r.differences.length)
      detail.set(
        lines.length - 1,
        r.differences.map((d) => {
          const values = [d.global !== undefined ? `Global ${d.global}` : "", d.configFor !== undefined ? `config_for ${d.configFor}` : ""].filter(Boolean).join(" vs ");
          return `    ${d.path}: ${d.problem}${values ? ` (${values})` : ""}`;
        }),
      );
  }
  const shown = lines.map((l) => l.map((c) => termText(c)));
  const width = shown[0]!.map((_, i) => Math.max(...shown.map((l) => l[i]!.length)));
  const out: string[] = [];
  shown.forEach((l, i) => {
    out.push(l.map((c, j) => (j === l.length - 1 ? c : c.padEnd(width[j]!))).join("  ").trimEnd());
    for (const d of detail.get(i) ?? []) out.push(termText(d));
  });
  const dirty = v.stages.filter((s) => !v.clean.has(s));
  out.push("", dirty.length ? `Not clean: ${dirty.map(termText).join(", ")}.` : `Every stage is clean (${v.stages.map(termText).join(", ")}).`);
  return out.join("\n") + "\n";
}
