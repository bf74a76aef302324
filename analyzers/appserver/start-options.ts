// The options a Unicorn plugin appends to its start line, per stage. capistrano3-unicorn's
// unicorn:start runs `bundle exec <unicorn_exec> -c <config> -E <rack_env> -D <unicorn_options>`
// (tablexi/capistrano3-unicorn lib/capistrano3/tasks/unicorn.rake; unicorn_exec "unicorn" and
// unicorn_options "" by default); Capistrano 2's capistrano-unicorn runs
// `<unicorn_bundle> exec <unicorn_bin> -c <config> -E <rack_env> -D <unicorn_options>`
// (sosedoff/capistrano-unicorn lib/capistrano-unicorn/config.rb). unicorn_rails' `--path PATH` (and
// its deprecated `-P PATH`) sets ENV['RAILS_RELATIVE_URL_ROOT'] (/usr/bin/unicorn_rails): the app
// ran mounted under that path, which the stage's pods must get too. Any other option is not carried
// by the image's command, and is a named warning.
import type { AnalyzerContext, Fact, Source, Stage, StartEnv } from "../../src/model.js";

const PLUGINS: readonly { require: RegExp; gem: string; exec: string }[] = [
  { require: /^capistrano3\/unicorn$/, gem: "capistrano3-unicorn", exec: "unicorn_exec" },
  { require: /^capistrano-unicorn$/, gem: "capistrano-unicorn", exec: "unicorn_bin" },
];

/**
 * Shell words of an option string as the start line's shell splits them: plain text, '…' and "…"
 * (without $, ` or a backslash inside), pieces side by side making one word. null for anything else
 * (a variable, an operator): not read as words.
 */
function words(s: string): string[] | null {
  const out: string[] = [];
  const piece = /'([^']*)'|"([^"\\$`]*)"|([^\s'"\\$`;&|<>()]+)/y;
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i]!)) {
      i++;
      continue;
    }
    let word = "";
    while (i < s.length && !/\s/.test(s[i]!)) {
      piece.lastIndex = i;
      const m = piece.exec(s);
      if (!m) return null;
      word += m[1] ?? m[2] ?? m[3]!;
      i = piece.lastIndex;
    }
    out.push(word);
  }
  return out;
}

const warn = (ctx: AnalyzerContext, source: Source, message: string) => ctx.problem({ ...source, message, severity: "warning" });

/**
 * Per stage, the environment its Unicorn start line set (`RAILS_RELATIVE_URL_ROOT` from
 * unicorn_rails' `--path`); every option not carried is a named warning at its line.
 */
export function unicornStartEnv(ctx: AnalyzerContext, requires: Fact<string>[], stages: Stage[]): Record<string, StartEnv[]> {
  const plugin = PLUGINS.find((p) => requires.some((r) => p.require.test(r.value)) || stages.some((s) => s.plugins?.some((r) => p.require.test(r.value))));
  const out: Record<string, StartEnv[]> = {};
  if (!plugin) return out;
  for (const stage of stages) {
    const opts = stage.variables["unicorn_options"];
    const exec = stage.variables[plugin.exec];
    const execName = exec === undefined ? "unicorn" : typeof exec.value === "string" ? exec.value.trim().split("/").pop()! : null;
    if (exec && (execName === null || !/^unicorn(_rails)?$/.test(execName)))
      warn(ctx, exec.source, `unicorn.start-exec: stage ${stage.name}: ${plugin.gem}'s ${plugin.exec} ${typeof exec.value === "string" ? JSON.stringify(exec.value) : "(not known statically)"} is not unicorn or unicorn_rails: the image starts unicorn with its own command; check what this program did on the servers`);
    if (!opts) continue;
    if (typeof opts.value !== "string") {
      warn(ctx, opts.source, `unicorn.start-options: stage ${stage.name}: ${plugin.gem}'s unicorn_options is not known statically: whatever options the servers' start line had are not carried`);
      continue;
    }
    const w = words(opts.value);
    if (w === null) {
      warn(ctx, opts.source, `unicorn.start-options: stage ${stage.name}: ${plugin.gem}'s unicorn_options ${JSON.stringify(opts.value)} is not a plain list of options: they are not carried`);
      continue;
    }
    const env: StartEnv[] = [];
    for (let i = 0; i < w.length; i++) {
      const word = w[i]!;
      // unicorn_rails' OptionParser: `--path PATH`, `--path=PATH`, and the deprecated `-P PATH` (also `-PPATH`).
      const inline = /^--path=(.*)$/.exec(word) ?? /^-P(.+)$/.exec(word);
      const path = execName === "unicorn_rails" ? (inline ? inline[1] : word === "--path" || word === "-P" ? w[++i] : undefined) : undefined;
      if (path !== undefined) {
        if (path === "") warn(ctx, opts.source, `unicorn.start-options: stage ${stage.name}: unicorn_rails' ${word} has no path: not carried`);
        else env.push({ name: "RAILS_RELATIVE_URL_ROOT", value: path, source: opts.source, why: `unicorn_rails ${word.startsWith("-P") ? "-P" : "--path"} ${path} (${plugin.gem}'s unicorn_options), which sets it` });
        continue;
      }
      warn(ctx, opts.source, `unicorn.start-options: stage ${stage.name}: ${plugin.gem}'s unicorn_options pass ${JSON.stringify(word)} to ${execName ?? "unicorn"}, which the image's command does not carry${execName === "unicorn" && (word === "--path" || word.startsWith("--path=")) ? " (plain unicorn has no --path: that start line failed on the servers)" : ""}: set its equivalent in the container's Unicorn config or the stage's overlay`);
    }
    if (env.length) out[stage.name] = env;
  }
  return out;
}
