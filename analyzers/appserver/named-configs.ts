// Config files the deploy's own start commands name: `-c <path>` (Unicorn), `-C <path>` /
// `--config <path>` (Puma) on the Procfile's web line, in Capistrano tasks
// (`bundle exec unicorn -c config/unicorn/production.rb -E production -D`) and in the service
// files kept in the repo (systemd ExecStart, init scripts, monit). The server reads that file, so
// it is the stage's config whatever the conventional places hold.
import type { AnalyzerContext, ProcfileEntry, Source } from "../../src/model.js";
import { COMMANDS, isServerCommand, procfileRunByDeploy, startLines, webProcfileEntries } from "./started.js";
import { foremanWebEntries } from "./foreman.js";
import type { ServerKind } from "./files.js";
import { pumaConfigForEnv } from "./puma-plugin.js";

export interface NamedConfig {
  kind: ServerKind;
  /** The repo path, or null when the path is on the server only or not known statically. */
  path: string | null;
  /** The path as written on the line. */
  written: string;
  source: Source;
  /** The stage whose deploy file says it (`config/deploy/<stage>.rb`); null = every stage. */
  stage: string | null;
  /** The Rails environment the line itself gives the server (`RAILS_ENV=x unicorn ...`, `unicorn_rails -E x`), if any. */
  railsEnv?: string;
  /** RACK_ENV as the line sets it before the server reads its config (`RACK_ENV=x ...`, plain `unicorn -E x`), if any. */
  rackEnv?: string;
  /** Puma started with no -C: the environment that chose `path` (pumaLineEnv), in words. */
  pumaEnv?: string;
  /** The Procfile's `web:` line, and nothing in the deploy runs that Procfile (Heroku's, a laptop's): weaker than the deploy's own lines. */
  unrunProcfile?: true;
}

/**
 * The environment Puma picks its config file by, as a start line without -C states it: `-e x` /
 * `--environment x`, else the first of APP_ENV, RACK_ENV, RAILS_ENV the line sets as a prefix
 * (Puma::Configuration's default environment reads them in that order; -e replaces it). A prefix is
 * read with the variables before it in that order unset, as the line leaves them: said in `how`.
 * Null when the line states none, or not as a plain word (`-e $RAILS_ENV`).
 */
export function pumaLineEnv(line: string): { env: string; how: string } | null {
  const m = COMMANDS.find(([, k]) => k === "puma")![0].exec(line);
  if (!m) return null;
  const after = line.slice(m.index);
  // OptionParser's forms: `-e x`, `-ex`, `--environment x`, `--environment=x` (`-e=x` would be "=x")
  const flag = /\s(?:-e\s+|-e(?=\w)|--environment(?:=|\s+))(["']?)([^\s"';&|)]+)\1(?=[\s"';&|)]|$)/.exec(after);
  if (flag) return /^[\w.-]+$/.test(flag[2]!) ? { env: flag[2]!, how: `\`${flag[0].trim()}\`` } : null;
  const before = line.slice(0, m.index);
  const names = ["APP_ENV", "RACK_ENV", "RAILS_ENV"];
  for (const [i, name] of names.entries()) {
    const p = new RegExp(`(?:^|[\\s"'\`;&(])${name}=(["']?)([^\\s"';&|)]*)\\1\\s`).exec(before);
    if (!p) continue;
    if (!/^[\w.-]+$/.test(p[2]!)) return null;
    const unset = names.slice(0, i);
    return { env: p[2]!, how: `\`${name}=${p[2]}\`${unset.length ? ` (read with ${unset.join(" and ")} unset, as the line leaves ${unset.length > 1 ? "them" : "it"})` : ""}` };
  }
  return null;
}

/**
 * RACK_ENV as a start line sets it before the config file is evaluated: a `RACK_ENV=x` prefix, or
 * plain unicorn's `-E x`/`--env x` (bin/unicorn assigns ENV["RACK_ENV"] while parsing its options,
 * before the config is loaded). Not Puma's `-e x`: Puma assigns RACK_ENV only after it has loaded
 * its config (Puma::Launcher#set_rack_environment, 5.6 to 7.x), nor unicorn_rails' -E (RAILS_ENV).
 */
export function lineRackEnv(line: string): string | null {
  const prefix = /(?:^|[\s"'`;&(])RACK_ENV=["']?([\w-]+)["']?\s/.exec(line);
  if (prefix) return prefix[1]!;
  // the command word itself: not unicorn_rails, not a path such as config/unicorn.rb
  const unicorn = /(?:^|[\s/"'])unicorn(?=\s|$)(.*)$/.exec(line);
  const e = unicorn ? /\s(?:-E|--env)(?:=|\s+)["']?([\w-]+)/.exec(unicorn[1]!) : null;
  return e ? e[1]! : null;
}

/**
 * RAILS_ENV as a start line states it: a `RAILS_ENV=x` prefix, or unicorn_rails' `-E x` (it sets
 * RAILS_ENV; plain unicorn's -E sets RACK_ENV only). Null when the line says nothing.
 */
export function lineRailsEnv(line: string): string | null {
  const prefix = /(?:^|[\s"'`;&(])RAILS_ENV=["']?([\w-]+)["']?\s/.exec(line);
  if (prefix) return prefix[1]!;
  const rails = /\bunicorn_rails\b(.*)$/.exec(line);
  const e = rails ? /\s(?:-E|--env)(?:=|\s+)["']?([\w-]+)/.exec(rails[1]!) : null;
  return e ? e[1]! : null;
}

// Unicorn: -c / --config-file; Puma: -C / --config.
export const FLAG = /(?:^|[\s"'])(?:-c|-C|--config-file|--config)(?:=|\s*["']?\s*,\s*["']|\s+["']?)([^\s"',;&|)]+)/;
// Where a deploy puts the release, written the ways tasks, templates and shells write it.
const RELEASE_PREFIX = /^(?:#\{(?:fetch\(:)?(?:current_path|release_path)\)?\}|<%=\s*(?:fetch\(:)?(?:current_path|release_path)\)?\s*%>)\//;

/** `dropped`: stages left out because they declare no server; a line in one of their files starts nothing. */
export function namedConfigs(ctx: AnalyzerContext, procfile: ProcfileEntry[], stageNames: string[], dropped: string[] = []): NamedConfig[] {
  const out: NamedConfig[] = [];
  const consider = (line: string, source: Source, startedAt: Source = source, unrun = false) => {
    const mark = unrun ? { unrunProcfile: true as const } : {};
    const hit = COMMANDS.map(([re, kind]) => ({ m: re.exec(line), kind })).find((h) => h.m && (h.kind === "unicorn" || h.kind === "puma"));
    if (!hit?.m) return;
    // the flag after the server's name: `bash -c "... unicorn -c x"` names x, not the shell's -c
    const m = FLAG.exec(line.slice(hit.m.index));
    if (!m) {
      // Puma with no -C loads config/puma/<env>.rb, else config/puma.rb (Puma::Configuration#config_files)
      const env = hit.kind === "puma" && !/\bpumactl\b/.test(line) ? pumaLineEnv(line) : null;
      const path = env ? pumaConfigForEnv(ctx, env.env) : null;
      if (!env || !path) return;
      const stageFile = /^config\/deploy\/([^/]+)\.rb$/.exec(startedAt.file)?.[1];
      if (stageFile && dropped.includes(stageFile)) return;
      const stage = stageFile && stageNames.includes(stageFile) ? stageFile : null;
      const railsEnv = lineRailsEnv(line);
      const rackEnv = lineRackEnv(line);
      const named: NamedConfig = { kind: "puma", path, written: env.how, source, stage, pumaEnv: env.how, ...(railsEnv ? { railsEnv } : {}), ...(rackEnv ? { rackEnv } : {}), ...mark };
      if (!out.some((o) => o.kind === "puma" && o.written === named.written && o.stage === named.stage)) out.push(named);
      return;
    }
    let written = m[1]!;
    // `-c fetch(:unicorn_config_path)` or `-C $CONF`: a variable, read where it is set
    if (!/[/.]/.test(written) || /^fetch\(|^\$\w+$/.test(written)) return;
    // An init script's `-c $APP_ROOT/config/x.rb`, with APP_ROOT=/…/current set in the script itself.
    const root = /^\$\{?(\w+)\}?\//.exec(written);
    const rootValue = root ? scriptVariable(ctx, source.file, root[1]!) : null;
    if (root && rootValue && /\/(?:current|releases\/[^/]+)\/?$/.test(rootValue)) written = `${rootValue.replace(/\/+$/, "")}/${written.slice(root[0].length)}`;
    const stageFile = /^config\/deploy\/([^/]+)\.rb$/.exec(startedAt.file)?.[1] ?? initScriptStage(ctx, source.file, stageNames);
    if (stageFile && dropped.includes(stageFile)) return;
    const stage = stageFile && stageNames.includes(stageFile) ? stageFile : null;
    const railsEnv = lineRailsEnv(line);
    const rackEnv = lineRackEnv(line);
    const named: NamedConfig = { kind: hit.kind as ServerKind, path: repoPath(written), written, source, stage, ...(railsEnv ? { railsEnv } : {}), ...(rackEnv ? { rackEnv } : {}), ...mark };
    if (!out.some((o) => o.kind === named.kind && o.written === named.written && o.stage === named.stage)) out.push(named);
  };
  // The Procfile line the deploy starts (`foreman start web_daemon`), for the stages whose deploy
  // file runs it; else Heroku's `web:` line.
  const started = foremanWebEntries(ctx, procfile, isServerCommand);
  for (const { entry, run } of started) consider(entry.command, entry.source, run.source);
  const unrun = !started.length && !procfileRunByDeploy(ctx);
  if (!started.length) for (const p of webProcfileEntries(procfile)) consider(p.command, p.source, p.source, unrun);
  for (const { text, source } of startLines(ctx)) consider(text, source);
  return out;
}

/** `NAME=value` (or `NAME="value"`) alone on a line of a shell script of the repo: its value, when plain. */
function scriptVariable(ctx: AnalyzerContext, file: string, name: string): string | null {
  const text = readText(ctx, file);
  if (!/\.(sh|init|initd)$|(^|\/)init\.d\//.test(file) && !/^#!.*\bsh\b/.test(text.slice(0, 80))) return null;
  const m = new RegExp(`^${name}=(["']?)([^\\s"'$\`;]+)\\1\\s*$`, "m").exec(text);
  return m ? m[2]! : null;
}

const readText = (ctx: AnalyzerContext, file: string): string => {
  if (!ctx.repo.paths.includes(file)) return "";
  const r = ctx.repo.read(file);
  return "text" in r ? r.text : "";
};

/**
 * The one stage whose own deploy file links this repo script into /etc/init.d
 * (`ln -nfs #{current_path}/config/unicorn_init-staging.sh /etc/init.d/…`): the start line in it is that
 * stage's (Cap 2 recipes keep one init script per stage). Null when no stage file, or more than one, does.
 */
export function initScriptStage(ctx: AnalyzerContext, file: string, stageNames: string[]): string | null {
  if (/^config\/deploy(\/|\.rb$)/.test(file)) return null;
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const link = new RegExp(`\\bln\\s+(?:-\\w+\\s+)*["']?\\S*?(?:^|[/}])${esc}["']?\\s+["']?/etc/init\\.d/`, "m");
  const hits = stageNames.filter((st) => link.test(readText(ctx, `config/deploy/${st}.rb`)));
  return hits.length === 1 ? hits[0]! : null;
}

/** `config/unicorn.rb`, `./config/x.rb`, `#{current_path}/config/x.rb`, `/var/www/app/current/config/x.rb` → the repo path. */
function repoPath(written: string): string | null {
  let s = written.replace(RELEASE_PREFIX, "");
  if (/#\{|<%|\$|%[{(]/.test(s)) return null;
  if (s.startsWith("/")) {
    const m = /\/(?:current|releases\/[^/]+)\/(.+)$/.exec(s);
    return m ? m[1]! : null;
  }
  s = s.replace(/^(\.\/)+/, "");
  return s === "" ? null : s;
}
