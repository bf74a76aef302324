// Unicorn and Puma configs, per file and environment. Each file is read as the server reads it
// (analyzers/appserver/unicorn.ts, puma.ts); `__FILE__` is where Capistrano puts the file
// (`<deploy_to>/current/<path>`) when the stages running it agree on `deploy_to`.
import type { AnalyzerContext, AppServerConfig, Stage } from "../src/model.js";
import { railsEnvOf } from "../src/model.js";
import { parseRuby } from "./ruby/prism.js";
import { conventionalFiles, repoPathOf, deployToOf, unicornPluginDefault, CONFIG_VARIABLE, type ConfigFile, type ServerKind } from "./appserver/files.js";
import { readUnicorn } from "./appserver/unicorn.js";
import { readPuma } from "./appserver/puma.js";
import { hasPath } from "../src/model.js";

export function analyzeAppServers(ctx: AnalyzerContext, stages: Stage[]): AppServerConfig[] {
  const files = conventionalFiles(ctx.repo.paths);
  const byStage = new Map<string, string[]>(); // file → stages pointing at it
  const capfile = hasPath(ctx.repo, "Capfile") ? ctx.repo.read("Capfile") : null;
  const usesUnicornPlugin = !!capfile && "text" in capfile && /^\s*require\s*\(?\s*["']capistrano3\/unicorn["']/m.test(capfile.text);

  for (const stage of stages) {
    for (const kind of ["unicorn", "puma"] as ServerKind[]) {
      const variable = CONFIG_VARIABLE[kind];
      const fact = stage.variables[variable];
      let path: string | null;
      if (fact) {
        path = repoPathOf(fact.value, deployToOf(stage));
        if (path === null || !hasPath(ctx.repo, path)) {
          ctx.problem({ file: fact.source.file, line: fact.source.line, message: `stage ${stage.name}: ${variable} does not name a ${kind} config file of the repo (${describe(fact.value)}); the server reads a file made on the server`, severity: "warning" });
          continue;
        }
      } else if (kind === "unicorn" && usesUnicornPlugin) {
        path = unicornPluginDefault(stage);
        if (!hasPath(ctx.repo, path)) continue;
      } else continue;
      if (!files.some((f) => f.file === path)) files.push({ kind, file: path, env: null });
      const list = byStage.get(path) ?? [];
      if (!list.includes(stage.name)) list.push(stage.name);
      byStage.set(path, list);
    }
  }

  files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const out: AppServerConfig[] = [];
  for (const f of files) {
    const read = ctx.repo.read(f.file);
    if ("error" in read) {
      ctx.problem({ file: f.file, line: 0, message: `cannot read ${f.kind} config: ${read.error}`, severity: "warning" });
      continue;
    }
    const parsed = parseRuby(f.file, read.text);
    for (const e of parsed.errors.slice(0, 1)) ctx.problem({ file: f.file, line: e.line, message: `Ruby syntax error: ${e.message}`, severity: "error" });
    const fileStages = (byStage.get(f.file) ?? []).sort();
    const deployed = deployedPath(f, fileStages, stages);
    const base = { file: f.file, env: f.env, stages: fileStages };
    out.push(f.kind === "unicorn" ? readUnicorn(parsed, base, deployed) : readPuma(parsed, base, deployed));
  }
  return out;
}

/**
 * Where the file sits on the servers: `<deploy_to>/current/<file>` for the stages that run it (those
 * pointing at it, else those of its Rails env, else all for a file of every env); null unless they
 * agree on `deploy_to` (a per-env file no stage deploys, like development.rb, is never deployed).
 */
function deployedPath(f: ConfigFile, pointing: string[], stages: Stage[]): string | null {
  let running = stages.filter((s) => pointing.includes(s.name));
  if (running.length === 0 && f.env !== null) running = stages.filter((s) => railsEnvOf(s) === f.env);
  else if (running.length === 0) running = stages;
  const dirs = new Set(running.map(deployToOf));
  if (dirs.size !== 1) return null;
  const dir = [...dirs][0];
  return dir ? `${dir.replace(/\/+$/, "")}/current/${f.file}` : null;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}
