// YAML files the app's boot code loads by a path written in it (`YAML.load_file
// "#{Rails.root}/config/amqp.yml"`, `YAML.load(File.read(Rails.root.join("config", "x.yml")))`,
// `YAML.load(ERB.new(File.read(...)).result)`) in config/application.rb, config/environment*.rb and
// config/initializers: the app reads them while it boots, as it reads database.yml, so a password or
// token written in one is a secret of the app (rails.secretKeys), named, never printed.
import type { AnalyzerContext } from "../../src/model.js";

/** Where boot code lives: Rails runs all of these before the app serves. */
const BOOT_FILE = /^config\/(application\.rb|environment\.rb|environments\/[^/]+\.rb|initializers\/.+\.rb)$/;
/** A YAML load: load_file, or load/safe_load/unsafe_load of a File.read (ERB.new(...) around it or not). */
const LOAD = /\b(?:YAML|Psych)\.(?:load_file|safe_load_file|unsafe_load_file|(?:safe_|unsafe_)?load\s*\(?\s*(?:ERB\.new\s*\(\s*)?(?:File|IO)\.read)\s*\(?\s*([^\n]+)/g;
/** Files read elsewhere already (database.yml, secrets.yml) or by Rails itself. */
const READ_ELSEWHERE = new Set(["config/database.yml", "config/secrets.yml"]);

/** The repo path a load's argument names, when written as Rails.root (or RAILS_ROOT) plus literal parts. */
export function bootYamlPath(arg: string): string | null {
  const interp = /^["']#\{\s*(?:::)?(?:Rails\.root(?:\.to_s)?|RAILS_ROOT)\s*\}\/([\w./-]+\.ya?ml)["']/.exec(arg);
  if (interp) return interp[1]!;
  const join = /^(?:(?:::)?Rails\.root\.join\s*\(|File\.join\s*\(\s*(?:(?:::)?Rails\.root|RAILS_ROOT)\s*,)\s*((?:["'][\w./-]+["']\s*,?\s*)+)\)/.exec(arg);
  if (join) {
    const parts = [...join[1]!.matchAll(/["']([\w./-]+)["']/g)].map((m) => m[1]!);
    const p = parts.join("/");
    return /\.ya?ml$/.test(p) ? p : null;
  }
  return null;
}

/** The YAML files the repo holds that boot code loads, each with the first line that loads it. */
export function bootYamlFiles(ctx: AnalyzerContext): { file: string; loadedAt: { file: string; line: number } }[] {
  const out: { file: string; loadedAt: { file: string; line: number } }[] = [];
  for (const f of ctx.repo.paths.filter((p) => BOOT_FILE.test(p)).sort()) {
    const r = ctx.repo.read(f);
    if (!("text" in r)) continue;
    const lines = r.text.split("\n");
    lines.forEach((text, i) => {
      if (/^\s*#/.test(text)) return;
      for (const m of text.matchAll(LOAD)) {
        const p = bootYamlPath(m[1]!.trim());
        if (!p || READ_ELSEWHERE.has(p) || !ctx.repo.paths.includes(p) || out.some((o) => o.file === p)) continue;
        out.push({ file: p, loadedAt: { file: f, line: i + 1 } });
      }
    });
  }
  return out;
}
