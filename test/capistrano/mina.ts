// Runs real Mina (Debian's `mina`, 0.3.7) on a copy of an app and returns its own view of a stage:
// every setting, evaluated as the deploy's tasks would read it (a lambda called, as Mina's Settings
// does), after the stage's task and `environment` have run.
// - mina-multistage is not packaged by Debian. Unless R2K_MINA_MULTISTAGE_LIB names the real gem's
//   lib/ folder, `require "mina/multistage"` loads the stand-in below, written for these tests from
//   the gem's README and lib/mina/multistage.rb (1.0.x): it does what the gem does when loaded.
// - stdin is /dev/null and the environment is empty but PATH/HOME/LANG (so `ENV[...]` is unset).
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * mina-multistage, as loaded: one task per stage, named for `<stages_dir>/<name>.rb`
 * (stages_dir: config/deploy unless set before the require), whose run sets :stage to the name
 * (a String, a file's basename) and then loads that file, so the stage's file is read after the
 * whole config/deploy.rb. A list set before the require (`all_stages`, 1.0.1 on) names the tasks
 * instead of the files. When the first word of the command line is no stage, the default stage
 * (`default_stage`, else "staging") is run at once, inside the require, if its file is there.
 */
export const MULTISTAGE_STANDIN = `
r2k_dir = settings[:stages_dir] || "config/deploy"
r2k_names = settings[:all_stages] || Dir[File.join(r2k_dir, "*.rb")].map { |path| File.basename(path, ".rb") }
set :all_stages, r2k_names
r2k_names.each do |stage_name|
  task(stage_name) do
    set :stage, stage_name
    load File.join(r2k_dir, "#{stage_name}.rb")
  end
end
r2k_fallback = settings[:default_stage] || "staging"
invoke r2k_fallback if !r2k_names.include?(ARGV.first) && File.exist?(File.join(r2k_dir, "#{r2k_fallback}.rb"))
`;

/** Prints every setting, or the error its lambda raised; Symbols as {sym}, as the model writes them. */
const DUMP = `
task :r2k_dump => :environment do
  require "json"
  enc = lambda do |v|
    case v
    when Symbol then { "sym" => v.to_s }
    when Array then v.map { |x| enc.(x) }
    when Hash then v.to_h { |k, x| [k.to_s, enc.(x)] }
    when String, Integer, Float, true, false, nil then v
    else { "object" => v.class.name }
    end
  end
  out = {}
  settings.keys.each do |k|
    out[k.to_s] = begin
      enc.(settings.evaluate(settings[k]))
    rescue StandardError => e
      { "raised" => e.class.name }
    end
  end
  puts "R2K-JSON" + JSON.generate(out)
end
`;

export interface MinaCopy {
  app: string;
  lib: string;
}

/** A temporary copy of the app with the dump task appended to its config/deploy.rb. */
export function prepareMinaCopy(appDir: string): MinaCopy {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mina-"));
  const app = join(dir, "app");
  cpSync(appDir, app, { recursive: true });
  appendFileSync(join(app, "config/deploy.rb"), DUMP);
  const lib = process.env.R2K_MINA_MULTISTAGE_LIB || join(dir, "lib");
  if (!process.env.R2K_MINA_MULTISTAGE_LIB) {
    mkdirSync(join(lib, "mina"), { recursive: true });
    writeFileSync(join(lib, "mina/multistage.rb"), MULTISTAGE_STANDIN);
  }
  return { app, lib };
}

/** `mina [stage] r2k_dump [VAR=value...]`: the settings it computed, or an error with Mina's output. */
export function runMina(copy: MinaCopy, words: string[]): Record<string, unknown> {
  const tasks = words.filter((w) => !w.includes("="));
  const vars = words.filter((w) => w.includes("="));
  const r = spawnSync("mina", [...tasks, "r2k_dump", ...vars], {
    cwd: copy.app,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: copy.app, LANG: "C.UTF-8", RUBYOPT: `-I${copy.lib}` },
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-JSON"));
  if (r.status !== 0 || !line) throw new Error(`mina ${words.join(" ")} failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  return JSON.parse(line.slice("R2K-JSON".length));
}
