// Thin's config, as the deploy started Thin with it (`bundle exec thin -C config/thin.yml start`).
// Thin 1.8's Runner (lib/thin/runner.rb, checked against Debian's thin 1.8.1 in
// test/appserver/thin-config.test.ts) reads the file with `YAML.load(ERB.new(File.read(file)).result)`
// and sets `@options[key.to_sym] = value` for each key, after the command line is parsed: the file's
// value wins over a flag (`-e staging` loses to `environment: production`). What no file sets is
// Thin's default: one server process (no `servers`: a single Controller, not a Cluster), timeout 30
// (Server::DEFAULT_TIMEOUT), environment ENV['RACK_ENV'] || 'development'.
import type { AnalyzerContext, Fact, RValue, Stage, ThinFacts } from "../../src/model.js";
import { envReadsOf, railsEnvOf } from "../../src/model.js";
import type { WebServerFacts } from "../../src/model.js";
import { isHash } from "../ruby/evaluate.js";
import { readErbYaml } from "../rails/erb-yaml.js";
import { startLines } from "./started.js";

/** The keys carried or checked: the rest (max_persistent_conns, threaded, onebyone...) say nothing a pod needs. */
const THIN_KEYS = ["servers", "timeout", "environment", "port", "socket", "chdir", "pid", "wait", "max_conns"] as const;

/**
 * `thin ... -C PATH` / `--config PATH` / `--config=PATH` on a line that runs thin: the first flag
 * after the first `thin` (thinFlag). Linear: no `thin.*?` prefix retried from every `thin` of the
 * line, and an interpolation is at most 200 characters, so a failed try never scans the line's rest.
 */
const CONFIG_FLAG = /(?:\s-C\s*|\s--config[=\s]\s*)(["']?)(#\{[^}\n]{0,200}\}[^\s"';&|]*|[^\s"';&|]+)\1/;
const ENV_FLAG = /(?:\s-e\s*|\s--environment[=\s]\s*)(["']?)(#\{[^}\n]{0,200}\}[^\s"';&|]*|[^\s"';&|]+)\1/;

/** The flag's value after the line's first `thin`, else null. */
export function thinFlag(text: string, flag: "config" | "environment"): string | null {
  const at = /\bthin\b/.exec(text);
  if (!at) return null;
  return (flag === "config" ? CONFIG_FLAG : ENV_FLAG).exec(text.slice(at.index + 4))?.[2] ?? null;
}

/** The path as the release sees it: `#{release_path}/`, `#{current_path}/` and `./` name the app's own directory. */
function repoPath(raw: string): string | null {
  const p = raw.replace(/^#\{\s*(?:release_path|current_path|fetch\(:(?:release_path|current_path)\))\s*\}\//, "").replace(/^\.\//, "");
  return p.includes("#{") || p.startsWith("/") ? null : p;
}

/** The config the deploy starts Thin with, read by Thin's rules; null when no start line names one. */
export function thinFacts(ctx: AnalyzerContext, stages: Stage[]): ThinFacts | null {
  let found: { raw: string; source: ThinFacts["startedWith"]; env?: string } | null = null;
  for (const { text, source } of startLines(ctx)) {
    const m = thinFlag(text, "config");
    if (m === null) continue;
    const e = thinFlag(text, "environment");
    found = { raw: m, source, ...(e !== null ? { env: e } : {}) };
    break;
  }
  if (!found) return null;
  const envFlag: Fact<RValue> | undefined = found.env ? { value: found.env.includes("#{") ? { unknown: `\`-e ${found.env}\` is computed by the deploy` } : found.env, source: found.source } : undefined;
  // A path the deploy computes per stage (`config/thin/#{fetch(:stage)}.yml`): each stage's own file,
  // its variables put in, as a per-stage template is rendered for each stage.
  const perStage = stages.length && stageVariables(found.raw) ? stages.map((st) => ({ st, raw: found.raw.replace(STAGE_VARIABLE_G, (m, v: string) => (RELEASE.test(v) ? m : (stageValue(st, v) ?? m))) })) : null;
  if (perStage && !perStage.some((p) => stageVariables(p.raw))) {
    const first = perStage.find((p) => p.st.name === "production") ?? perStage[0]!;
    if (new Set(perStage.map((p) => p.raw)).size === 1) return readThin(ctx, stages, found.source, first.raw, envFlag, "");
    const byStage: Record<string, ThinFacts> = {};
    for (const p of perStage) byStage[p.st.name] = readThin(ctx, [p.st], found.source, p.raw, envFlag, ` (${found.raw} for stage ${p.st.name})`);
    return { ...byStage[first.st.name]!, byStage };
  }
  return readThin(ctx, stages, found.source, found.raw, envFlag, perStage ? " (computed by the deploy per stage, from a variable not read here)" : "");
}

/** `#{fetch(:stage)}` and the like in a start line's path: a variable each stage gives its own value. */
const STAGE_VARIABLE = /#\{\s*fetch\(\s*:(\w+)\s*\)\s*\}/;
const STAGE_VARIABLE_G = new RegExp(STAGE_VARIABLE.source, "g");
/** The release's own directory (repoPath reads it as the app's): not a per-stage value. */
const RELEASE = /^(?:release_path|current_path)$/;
const stageVariables = (raw: string): boolean => [...raw.matchAll(STAGE_VARIABLE_G)].some((m) => !RELEASE.test(m[1]!));

/** A stage's value of a Capistrano variable, when it is a plain string (`stage` is the stage's name). */
function stageValue(st: Stage, name: string): string | null {
  const v = st.variables[name]?.value;
  if (typeof v === "string" && /^[\w.-]+$/.test(v)) return v;
  return name === "stage" ? st.name : name === "rails_env" ? railsEnvOf(st) : null;
}

/** One Thin config, read as Thin reads it, for the stages that start Thin with it. */
function readThin(ctx: AnalyzerContext, stages: Stage[], startedWith: ThinFacts["startedWith"], raw: string, envFlag: Fact<RValue> | undefined, how: string): ThinFacts {
  const file = repoPath(raw);
  if (file === null || !ctx.repo.paths.includes(file))
    return {
      startedWith,
      file: file ?? raw,
      unread: file === null ? `the deploy starts Thin with ${raw}${how}${how.includes("computed") ? "" : ", a path on the servers outside the release"}` : `the deploy starts Thin with ${file}${how}, which the repo does not hold (it is on the servers)`,
      settings: {},
      ...(envFlag ? { envFlag } : {}),
    };
  const y = readErbYaml(ctx, file);
  const settings: Record<string, Fact<RValue>> = {};
  if (y && isHash(y.value)) {
    // key.to_sym: `servers` and `:servers` are one key; the later line wins, as in the Hash Thin fills.
    for (const [key, value] of Object.entries(y.value)) {
      const k = key.replace(/^:/, "");
      if (!(THIN_KEYS as readonly string[]).includes(k)) continue;
      const line = y.lineOf([key]);
      // An ENV read in the ERB was the servers' environment when Thin started: the value is not in the
      // repo, and the pods never read this file, so it is an Unknown naming the variable.
      const reads = envReadsOf(value);
      settings[k] = { value: reads.length ? { unknown: `Thin's \`${k}\` (${file}:${line}) was ENV ${reads.map((r) => r.env).join(", ")} on the servers when Thin started, which the repo does not hold` } : value, source: { file, line } };
    }
  } else if (y) ctx.problem({ file, line: 1, message: "Thin's config is not a mapping: Thin stops at `each` on it", severity: "warning" });
  const env = settings["environment"]?.value ?? envFlag?.value;
  const at = settings["environment"]?.source ?? envFlag?.source;
  if (typeof env === "string" && at)
    for (const st of stages)
      if (railsEnvOf(st) !== env)
        ctx.problem({ ...at, message: `Thin ran in environment ${JSON.stringify(env)} (${at.file}:${at.line}${settings["environment"] && envFlag ? `, over the start line's -e: Thin's config file wins` : ""}), but stage ${st.name}'s RAILS_ENV is ${JSON.stringify(railsEnvOf(st))}; the pods run ${JSON.stringify(railsEnvOf(st))}`, severity: "warning" });
  return { startedWith, file, settings, ...(envFlag ? { envFlag } : {}) };
}

/** The Thin config files the repo holds and Thin read: Thin's runner reads them, never the app, so no read there is one the pods make. */
export function thinConfigFiles(webServer: WebServerFacts | null): Set<string> {
  const thin = webServer?.thin;
  if (!thin) return new Set();
  return new Set([thin, ...Object.values(thin.byStage ?? {})].filter((t) => !t.unread).map((t) => t.file));
}
