// Which web server the deploy actually started on the servers. A config file in the repo proves
// nothing (an app that moved from Puma to Unicorn often keeps both), so the kind is decided by what
// started it, strongest first: the Capistrano plugin the Capfile loads, the Procfile's `web:` line,
// the deploy's own restart commands, and service units kept in the repo. Each piece of evidence is
// kept with its file and line; pieces that disagree are said.
import { perItem } from "../per-item.js";
import type { AnalyzerContext, Fact, ProcfileEntry, Source, WebServerFacts, WebServerKind } from "../../src/model.js";
import { SERVICE_FILE } from "../../src/model/service-managers.js";
import { foremanRuns, foremanWebEntries } from "./foreman.js";
import { moonshinePassenger } from "../capistrano/moonshine.js";
import type { Stage } from "../../src/model.js";
import { MB, mbRecipe, mbStack } from "../capistrano/mb.js";
import { UNICORN_NGINX, UNICORN_NGINX_REQUIRE, unicornNginxStack } from "./unicorn-nginx.js";
import { stagesStartingNoWeb } from "./started-stages.js";
import { stagesWithoutWebRoles, type ServerLine } from "./role-stages.js";
import { isCapfileName } from "../capistrano/capfile.js";
import { cap2UnicornRecipe } from "./cap2-unicorn-recipes.js";
import { configTemplateKind } from "./config-templates.js";
import type { CapistranoFacts, TaskDef } from "../../src/model.js";
import { deployRunTasks } from "../capistrano/run-tasks.js";

/** Capistrano plugins that start a web server (their `require` in the Capfile). */
const PLUGINS: [RegExp, WebServerKind][] = [
  [/^capistrano3?\/unicorn(?:_nginx)?(?:\/|$)|^capistrano-unicorn|^capistrano\/unicorn/, "unicorn"],
  [/^capistrano3?\/puma(?:\/|$)/, "puma"],
  [/^capistrano\/passenger(?:\/|$)/, "passenger"],
  [/^capistrano\/thin(?:\/|$)/, "thin"],
];

/** A service the init system runs, named for its server (`service unicorn_#{fetch(:application)} restart`, `systemctl reload puma_app`). */
// SSHKit's word forms too: `execute :sudo, :service, "unicorn_app", :restart`, `execute :systemctl, :restart, "puma_app"`.
// An option is `-` or `--` then a word character, so each reads one way only: a failed match stays linear.
const SERVICE = (name: string) => new RegExp(`(?:\\bservice\\s+|:service\\s*,\\s*|\\bsystemctl\\s+(?:--?\\w[\\w-]*\\s+)*(?:re)?(?:start|stop|reload)\\s+|:systemctl\\s*,\\s*:?(?:re)?(?:start|stop|reload)["']?\\s*,\\s*|/etc/init\\.d/)["':]?${name}[_-]`);

/** A deploy line restarting a service named for the server (`service unicorn_app restart`): its definition, and the config it loads, are on the servers. */
export const restartsService = (kind: "unicorn" | "puma", line: string): boolean => SERVICE(kind).test(line);

/** A command line that starts or restarts a server (Procfile, systemd ExecStart, a deploy task). */
export const COMMANDS: [RegExp, WebServerKind][] = [
  [new RegExp(`\\bunicorn(?:_rails)?\\b(?!\\.(?:rb|conf|pid|sock|log))|\\bunicorn:(?:restart|reload|start|duplicate)\\b|${SERVICE("unicorn").source}`), "unicorn"],
  [new RegExp(`\\bpuma(?:ctl)?\\b(?!\\.(?:rb|pid|sock|state|log))|\\bpuma:(?:restart|phased[-_]restart|start)\\b|${SERVICE("puma").source}`), "puma"],
  // Passenger's restart file, however the path is built (`File.join(current_path, 'tmp', 'restart.txt')`).
  [/\bpassenger(?:-config)?\b|(?:^|[\s'"/])restart\.txt\b/, "passenger"],
  [/\bthin\s+(?:start|restart|-C)\b|\bthin:(?:restart|start|reload)\b/, "thin"],
];

/**
 * In deploy files: a pid file or socket named for the server (`/tmp/unicorn_app.pid` signalled with
 * USR2) says which ran. The name must begin a word of the path (after `/`, `_`, `-`, `.` or a quote):
 * inside another word (`browse_everything_providers.yml` holds "thin") it names no server.
 */
const RUNTIME_FILES: [RegExp, WebServerKind][] = [
  [/(?<![A-Za-z0-9])unicorn[\w.-]*\.(?:pid|sock)\b/, "unicorn"],
  [/(?<![A-Za-z0-9])puma[\w.-]*\.(?:pid|sock|state)\b/, "puma"],
  [/(?<![A-Za-z0-9])thin[\w.-]*\.(?:pid|sock|ya?ml)\b/, "thin"],
];

/** A server's config template the deploy renders onto the servers (`lib/capistrano/templates/thin.yml.erb`). */
const DEPLOY_TEMPLATES: [RegExp, WebServerKind][] = [[/^(?:lib\/capistrano\/templates|config\/deploy\/templates)\/thin[\w.-]*\.ya?ml(?:\.erb)?$/, "thin"]];

/** Web servers the image does not run (no config reader, no container command here): a deploy line restarting one is the web.server question's evidence. */
const OTHER_SERVERS = /\b(iodine|falcon|agoo|rainbows|pitchfork|goliath)\b(?![.\/])/i;

/** A deploy line that starts or restarts a server rather than naming its files. */
// SSHKit passes each flag as its own string (`execute :unicorn_rails, '-D', '-c config/unicorn.rb'`): a quote bounds it too.
const STARTS = /\b(start|restart|reload|phased[-_]restart|exec|ExecStart)\b|(?:\s|["'])-[cCD](?=\s|["'])|\bservice\s+\S|:service\s*,|\bsystemctl\b|\/etc\/init\.d\//;

const kindOf = (text: string, table: [RegExp, WebServerKind][]): WebServerKind | null => table.find(([re]) => re.test(text))?.[1] ?? null;

/**
 * Deploy files whose restart commands tell which server ran (tasks of deploy.rb, stage files,
 * lib/capistrano/tasks, in subfolders too: a Capfile's recursive glob of that folder loads them).
 */
export const DEPLOY_FILE = /^(?:config\/deploy\.rb|config\/deploy\/[^/]+\.rb|lib\/capistrano\/tasks\/(?:[^/]+\/)*[^/]+\.(?:rake|rb|cap))$/;

/**
 * The Procfile's web server entries: the ones the deploy starts with foreman when it names them
 * (`foreman start web_daemon`; needs `ctx` to read the deploy), else the `web:` line of Procfile
 * (Procfile.dev and the like start the app on a laptop, not on the servers).
 */
export function webProcfileEntries(procfile: ProcfileEntry[], ctx?: AnalyzerContext): ProcfileEntry[] {
  const chosen = ctx ? foremanWebEntries(ctx, procfile, isServerCommand) : [];
  if (chosen.length) return chosen.map((c) => c.entry);
  return procfile.filter((x) => x.name === "web" && x.source.file === "Procfile");
}

/** A command line that starts an app server. */
export const isServerCommand = (command: string): boolean => kindOf(command, COMMANDS) !== null;

/** Longest deploy or service file line read as a command, in characters. */
export const MAX_START_LINE = 4000;

export interface StartLine {
  text: string;
  source: Source;
  service: boolean;
}

/** startLines' result per repo: many readers walk these lines (app server, workers, foreman, services). */
const startLinesOf = new WeakMap<object, { recipes: readonly string[] | undefined; lines: readonly StartLine[] }>();

/**
 * The lines that start or restart the servers' processes: every line of the deploy's task files
 * (with the recipes it loads from vendor/plugins, ctx.deployRecipes) and of the service files kept
 * in the repo (the first 5,000 of each), comments left out.
 * Read once per repo: a file that cannot be read is left out of every reader and named once.
 */
/**
 * Repo scripts a deploy file links into /etc/init.d (`ln -nfs #{current_path}/config/unicorn_init.sh
 * /etc/init.d/unicorn_app`, the Railscasts Cap 2 recipe): init scripts, whatever their name, so their
 * start lines are read like those of a script kept under init.d/.
 */
export function initScriptsLinked(ctx: AnalyzerContext): Set<string> {
  const out = new Set<string>();
  for (const file of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(file)) continue;
    const read = ctx.repo.read(file);
    if (!("text" in read)) continue;
    for (const m of read.text.matchAll(/\bln\s+(?:-\w+\s+)*["']?([^\s"']+)["']?\s+["']?\/etc\/init\.d\//g)) {
      const path = m[1]!.replace(/^#\{(?:fetch\(:)?(?:current_path|release_path)\)?\}\//, "").replace(/^\/\S*?\/(?:current|releases\/[^/]+)\//, "");
      if (ctx.repo.paths.includes(path)) out.add(path);
    }
  }
  return out;
}

export function startLines(ctx: AnalyzerContext): readonly StartLine[] {
  // Kept with the recipe list it read: a call before the Capistrano analysis found them reads again after.
  const known = startLinesOf.get(ctx.repo);
  if (known && known.recipes === ctx.deployRecipes) return known.lines;
  const out: StartLine[] = [];
  const recipes = new Set(ctx.deployRecipes ?? []);
  const initLinked = initScriptsLinked(ctx);
  for (const file of new Set([...ctx.repo.paths, ...recipes])) {
    const service = !recipes.has(file) && (SERVICE_FILE.test(file) || initLinked.has(file));
    if (!service && !DEPLOY_FILE.test(file) && !recipes.has(file)) continue;
    const read = perItem(ctx, { file }, "this deploy or service file", null, () => ctx.repo.read(file));
    if (read === null || "error" in read) continue;
    const lines = read.text.split(/\r?\n/);
    // A task's `desc <<-DESC` text is documentation ("works by touching tmp/restart.txt"): its body runs nothing.
    let descEnd: RegExp | null = null;
    // A line longer than MAX_START_LINE is no command anyone types: left out, so no pattern runs on it.
    for (let i = 0; i < lines.length && i < 5000; i++) {
      const line = lines[i]!;
      if (descEnd) {
        if (descEnd.test(line)) descEnd = null;
        continue;
      }
      const heredoc = service ? null : /^\s*desc\s*\(?\s*<<([-~]?)(["']?)(\w+)\2/.exec(line);
      if (heredoc) descEnd = new RegExp(heredoc[1] ? `^\\s*${heredoc[3]}\\s*$` : `^${heredoc[3]}$`);
      if (line.length > MAX_START_LINE || /^\s*#/.test(line)) continue;
      // A Ruby command written over several lines is read as one, at its first line.
      const joined = service ? null : continuedCommand(lines, i);
      if (joined) {
        out.push({ text: joined.text, source: { file, line: i + 1 }, service });
        i = joined.last;
      } else out.push({ text: line, source: { file, line: i + 1 }, service });
    }
  }
  startLinesOf.set(ctx.repo, { recipes: ctx.deployRecipes, lines: out });
  return out;
}

/** Lines one Ruby command may be continued over (a longer run is read line by line, as before). */
const MAX_CONTINUED = 12;

/**
 * A Ruby command continued past line `i` (0-based), joined into one line as Ruby reads it, with the
 * index of its last line; null when line `i` is not continued. A line ends unfinished after `\`
 * (`"a " \` then `"b"`: adjacent literals, one string), after `+` (a string built in pieces), and
 * after `,` or `(` inside a call (`execute :foreman, :export,` then its arguments). Joined string
 * pieces become one literal, so a reader sees `"… -u deploy -f Procfile.production"`, not two.
 */
export function continuedCommand(lines: readonly string[], i: number): { text: string; last: number } | null {
  const open = (t: string) => (t.match(/\(/g)?.length ?? 0) - (t.match(/\)/g)?.length ?? 0);
  const unfinished = (t: string) => {
    const code = t.replace(/\s+#[^{"']*$/, "").trimEnd();
    return /(?:\\|\+|,|\()$/.test(code) && (/\\$/.test(code) || /\+$/.test(code) || open(t) > 0 || /^\s*(?:execute|sudo|test|capture|run)\b/.test(t));
  };
  let text = lines[i]!;
  if (!unfinished(text)) return null;
  let j = i;
  while (unfinished(text) && j + 1 < lines.length && j - i < MAX_CONTINUED) {
    const next = lines[++j]!.trim();
    if (next.startsWith("#") || next.length > MAX_START_LINE) return null;
    const head = text.replace(/\s+#[^{"']*$/, "").trimEnd();
    // `"a " \` + `"b"` and `"a " +` + `"b"`: one string literal, as Ruby joins them
    const glued = /(["'])\s*(?:\\|\+)$/.exec(head);
    if (glued && next.startsWith(glued[1]!)) text = head.slice(0, glued.index) + next.slice(1);
    else text = `${head.replace(/\s*\\$/, "")} ${next}`;
  }
  return j > i ? { text, last: j } : null;
}

export function startedWebServer(ctx: AnalyzerContext, requires: Fact<string>[], procfile: ProcfileEntry[], stages: Stage[] = [], tasks: TaskDef[] = [], cap: CapistranoFacts | null = null): WebServerFacts | null {
  const byHand = unhookedTaskAt(ctx, cap);
  const evidence: { kind: WebServerKind; fact: Fact<string>; tier: number; starts?: boolean }[] = [];
  // capistrano-mb's unicorn recipe (in its default :mb_recipes) installs a systemd unit running
  // bin/unicorn and restarts it on every deploy: a plugin that starts the server.
  const mb = mbStack(ctx, requires);
  if (mb) {
    const on = stages.map((st) => ({ st, r: mbRecipe(ctx, mb, st, "unicorn") })).filter((x) => x.r?.on);
    if (on.length) {
      const r = on[0]!.r!;
      const which = on.length === stages.length ? "every stage" : `stages ${on.map((x) => x.st.name).join(", ")}`;
      evidence.push({ kind: "unicorn", tier: 0, fact: { value: `Capfile loads capistrano/mb (${MB} ${mb.version.value}); its unicorn recipe (${r.why}) restarts unicorn_<application>.service, \`bin/unicorn -c <mb_unicorn_config>\`, on each deploy for ${which}`, source: r.source } });
    }
  }
  const uniNginx = unicornNginxStack(ctx, requires);
  for (const r of requires) {
    const kind = kindOf(r.value, PLUGINS);
    // capistrano-unicorn-nginx: what its hook starts, said with the gem's version.
    const how = uniNginx && r.value === UNICORN_NGINX_REQUIRE ? ` (${UNICORN_NGINX} ${uniNginx.version.value}, ${uniNginx.version.source.file}:${uniNginx.version.source.line}); after deploy:publishing its unicorn:restart runs the init script /etc/init.d/<unicorn_service>, which starts \`bundle exec unicorn -D -c <unicorn_config> -E <unicorn_app_env>\`` : "";
    if (kind) evidence.push({ kind, tier: 0, fact: { value: `${isCapfileName(r.source.file) ? "Capfile" : r.source.file} loads ${r.value}${how}`, source: r.source } });
    const recipe = kind ? undefined : cap2UnicornRecipe(r.value);
    if (recipe) evidence.push({ kind: "unicorn", tier: 0, fact: { value: `${r.source.file} loads ${r.value} (${recipe.gem}): ${recipe.starts}`, source: r.source } });
  }
  // A Procfile line the deploy starts by name outranks Heroku's `web:` line: it is what ran.
  const foreman = foremanWebEntries(ctx, procfile, isServerCommand);
  for (const { entry: p, run } of foreman) {
    const kind = kindOf(p.command, COMMANDS)!;
    evidence.push({ kind, tier: 1, fact: { value: `${p.source.file} ${p.name}: ${p.command} (started by the deploy's \`${run.command.slice(0, 80)}\`, ${run.source.file}:${run.source.line})`, source: p.source } });
  }
  for (const p of foreman.length ? [] : webProcfileEntries(procfile)) {
    const kind = kindOf(p.command, COMMANDS);
    if (kind) evidence.push({ kind, tier: 1, fact: { value: `Procfile web: ${p.command}`, source: p.source } });
  }
  const others: { name: string; fact: Fact<string> }[] = [];
  // Every line naming a server (evidence keeps one per file): where each ran decides a jobs-only stage.
  const lines: ServerLine[] = [];
  const pumaTouch = pumaTmpRestart(ctx);
  for (const { text: line, source, service } of startLines(ctx)) {
    // A service file says what it runs on its ExecStart/start lines; a deploy file in its commands.
    if (service && !/ExecStart|ExecReload|start|exec|command/i.test(line)) continue;
    // god's :restart_file_touched condition (`c.restart_file = …restart.txt`) watches the file to
    // restart its own watch (a worker): it starts no web server, whatever the file's name says.
    if (service && /^\s*\w+\.restart_file\s*=/.test(line)) continue;
    // Loading a recipe file named for a server (`require_relative 'deploy_modules/puma'`) starts nothing.
    if (!service && /^\s*(require(_relative)?|load|import)\b/.test(line)) continue;
    // A task's description (`desc "restart passenger"`) runs nothing: the task's own lines say what ran.
    if (!service && /^\s*desc\b/.test(line)) continue;
    // A namespace named for a server (`namespace :unicorn do`) is a name; its tasks' lines say what ran.
    if (!service && /^\s*namespace\b/.test(line)) continue;
    // A `case` branch (`when :passenger` of `case fetch(:daemon_strategy)`) names a value; its body says what ran.
    if (!service && /^\s*when\b/.test(line)) continue;
    // capistrano-bundler's `bundle_bins` lists commands it runs through `bundle exec` (`<< :pumactl`): a binstub, not a start.
    if (!service && /\bbundle_bins\b/.test(line)) continue;
    const other = OTHER_SERVERS.exec(line);
    if (other && STARTS.test(line) && !kindOf(line, COMMANDS)) others.push({ name: other[1]!.toLowerCase(), fact: { value: `${other[1]!.toLowerCase()}: ${service ? "service definition" : "deploy task"}: ${line.trim().slice(0, 120)}`, source } });
    const kind0 = kindOf(line, COMMANDS) ?? (service ? null : kindOf(line, RUNTIME_FILES));
    // A bare `touch tmp/restart.txt` is in Mina's and Capistrano 2's stock restart tasks, whatever
    // server ran: weaker than any other line (tier 4), and dropped below when another server is started.
    // A touch in a recipe file named for Passenger (`daemon_strategies/passenger.rb`) is Passenger's own restart.
    const touchOnly0 = kind0 === "passenger" && !service && !/\bpassenger/.test(line) && !/(?:^|\/)passenger[^/]*$/.test(source.file);
    // Puma's tmp_restart plugin restarts Puma on the same touch: with Puma locked, no passenger gem,
    // and the plugin loaded by the app's Puma config, the touch is Puma's restart (as strong as a
    // deploy command), not a sign of Passenger.
    const kind = touchOnly0 && pumaTouch ? "puma" : kind0;
    const touchOnly = touchOnly0 && !pumaTouch;
    if (!kind) continue;
    // A start in a task no hook, flow step or invoke runs: someone ran it by hand, so it says which
    // server, but more weakly than a task every deploy runs (below service units and templates).
    const hand = service ? null : byHand(source);
    if (!hand) lines.push({ kind, source, text: line, service });
    const fact = { value: `${service ? "service definition" : hand ? `task ${hand}, run by hand (no hook runs it)` : "deploy task"}: ${line.trim().slice(0, 120)}${touchOnly0 && pumaTouch ? ` (Puma restarts on this file: \`${pumaTouch.text}\` at ${pumaTouch.source.file}:${pumaTouch.source.line}; Gemfile.lock has puma and no passenger)` : ""}`, source };
    const same = evidence.find((e) => e.kind === kind && e.fact.source.file === source.file);
    // One line per file and server; a line that starts it is shown rather than one that names a path.
    if (!same) evidence.push({ kind, tier: touchOnly ? 4 : service ? 3 : hand ? 3.5 : 2, fact, starts: STARTS.test(line) });
    else if (!same.starts && STARTS.test(line)) (same.fact = fact), (same.starts = true);
  }
  // An init script or unit the deploy's own tasks render onto the servers (`template("unicorn_server.rb",
  // "#{shared_path}/bin/unicorn_server")`): a service definition, wherever the repo keeps it.
  for (const r of renderedServiceLines(ctx, tasks))
    if (!evidence.some((e) => e.kind === r.kind && e.fact.source.file === r.source.file)) evidence.push({ kind: r.kind, tier: 3, fact: { value: `service definition rendered by task ${r.task} (${r.upload.file}:${r.upload.line}): ${r.text.trim().slice(0, 120)}`, source: r.source }, starts: true });
  // A Procfile nothing in the deploy runs (Heroku's, or one for laptops: `puma -b ssl://...`) is
  // weaker than the deploy's own start or restart of another server: the servers ran what the
  // deploy restarted. With no such deploy line (a Heroku app) the Procfile stays the start.
  let restarts = evidence.filter((e) => e.tier === 2 && e.starts);
  const procfileUnrun = !foreman.length && !procfileRunByDeploy(ctx);
  // The deploy's only restart is Passenger's restart file, and the only other evidence is a
  // Procfile it never runs (Heroku's `web: unicorn -p $PORT`): the touch is weak only against
  // another server the deploy itself starts, so here it is the deploy's restart and it wins.
  const touches = evidence.filter((e) => e.tier === 4);
  if (!restarts.length && procfileUnrun && touches.length && evidence.some((e) => e.tier === 1 && e.kind !== "passenger") && evidence.every((e) => e.tier === 1 || e.tier === 4)) {
    for (const t of touches) (t.tier = 2), (t.starts = true);
    restarts = touches;
  }
  // A start only someone ran by hand still says more of the servers than a Procfile nothing runs.
  if (!restarts.length && procfileUnrun) restarts = evidence.filter((e) => e.tier === 3.5 && e.starts);
  const restart = new Set(restarts.map((e) => e.kind)).size === 1 && procfileUnrun ? restarts[0] : undefined;
  const outranked: { procfile: Fact<string>; by: Fact<string> }[] = [];
  for (const e of restart ? evidence : [])
    if (e.tier === 1 && e.kind !== restart!.kind) {
      // just below the line that outranks it (a start run by hand sits at 3.5)
      e.tier = restart!.tier === 2 ? 2.5 : restart!.tier + 0.25;
      outranked.push({ procfile: { ...e.fact }, by: restart!.fact });
      e.fact = { ...e.fact, value: `${e.fact.value} (not run by the deploy: no foreman start or export and no Procfile-based service; outranked by ${restart!.fact.source.file}:${restart!.fact.source.line})` };
    }
  // A template only the deploy renders backs what its tasks said; alone it is weaker than a command.
  for (const file of ctx.repo.paths) {
    const kind = kindOf(file, DEPLOY_TEMPLATES);
    if (kind && !evidence.some((e) => e.kind === kind && e.fact.source.file === file)) evidence.push({ kind, tier: 3, fact: { value: `deploy template ${file}`, source: { file, line: 1 } } });
  }
  // Moonshine's manifest installed Apache + Passenger on the servers (its provisioning, not a deploy
  // command): as strong as a plugin, with the pool size its config gave Passenger.
  const moon = moonshinePassenger(ctx);
  if (moon) {
    evidence.push({ kind: "passenger", tier: 0, fact: { value: `Moonshine's manifest installs Apache + Passenger (${moon.recipe.text})`, source: moon.recipe.source } });
    evidence.push({
      kind: "passenger",
      tier: 0,
      fact:
        "value" in moon.pool
          ? { value: `PassengerMaxPoolSize ${moon.pool.value}: up to ${moon.pool.value} app processes per server (config/moonshine.yml :passenger: :max_pool_size)`, source: moon.pool.source }
          : { value: `pool size not known: ${moon.pool.unknown}`, source: moon.pool.source },
    });
  }
  // The restart.txt touch counts only where nothing else names a server other than Passenger.
  const touched = evidence.filter((e) => e.tier === 4);
  if (touched.length && evidence.some((e) => e.tier < 4 && e.kind !== "passenger"))
    for (const t of touched) evidence.splice(evidence.indexOf(t), 1);
  // Only a server the image does not run (iodine, falcon): not a guess at another, the web.server question with its line.
  if (evidence.length === 0 && others.length) return { kind: null, evidence: others.map((o) => o.fact), unsupported: [...new Set(others.map((o) => o.name))] };
  if (evidence.length === 0) return null;
  const best = Math.min(...evidence.map((e) => e.tier));
  const strongest = [...new Set(evidence.filter((e) => e.tier === best).map((e) => e.kind))];
  // Two plugins in one Capfile (capistrano/passenger next to capistrano3/unicorn): the deploy's own
  // restart commands break the tie when they name one of them; otherwise it is not known.
  let kind: WebServerKind | null = strongest.length === 1 ? strongest[0]! : null;
  if (kind === null) {
    const weaker = [...new Set(evidence.filter((e) => e.tier > best && strongest.includes(e.kind)).map((e) => e.kind))];
    if (weaker.length === 1) kind = weaker[0]!;
  }
  const kinds = [...new Set(evidence.map((e) => e.kind))];
  if (kinds.length > 1) {
    const won = kind ? evidence.filter((e) => e.kind === kind).sort((a, b) => a.tier - b.tier || Number(!!b.starts) - Number(!!a.starts))[0]! : null;
    const by = (t: number) => (t === 0 ? "its Capistrano plugin" : t === 1 ? "the Procfile" : "the deploy's commands");
    const why = won ? ` (${by(won.tier)}: ${won.fact.source.file}:${won.fact.source.line})` : "";
    const lost = outranked.map((o) => `; the Procfile's web line (${o.procfile.source.file}:${o.procfile.source.line}, ${clip(o.procfile.value.replace(/^Procfile web: /, ""))}) is not what the deploy starts: nothing in the deploy runs that Procfile (no foreman start or export, no Procfile-based service), and ${o.by.source.file}:${o.by.source.line} restarts ${kind}`).join("");
    ctx.problem({
      file: evidence[0]!.fact.source.file,
      line: evidence[0]!.fact.source.line,
      message: `the deploy names more than one web server (${kinds.join(", ")}): ${kind ? `${kind} is read as the one started${why}${lost}` : "which one served requests is not known"}`,
      severity: "warning",
    });
  }
  const notStartedOn = stagesStartingNoWeb(ctx, evidence, stages, kind);
  const byRoles = stagesWithoutWebRoles(ctx, kind, evidence, lines.filter((l) => l.kind === kind), stages, procfileUnrun ? [] : procfileRunLines(ctx), startLines(ctx));
  for (const n of byRoles.notStarted) if (!notStartedOn.some((x) => x.stage === n.stage)) notStartedOn.push(n);
  for (const u of byRoles.undecided) if (!notStartedOn.some((x) => x.stage === u.stage)) ctx.problem({ file: u.source.file, line: u.source.line, message: `stage.web-roles-unknown: ${u.why}`, severity: "warning" });
  // Strongest first, and within a tier a line that starts or restarts the server before one that names it.
  return { kind, evidence: evidence.sort((a, b) => a.tier - b.tier || Number(!!b.starts) - Number(!!a.starts)).map((e) => ({ ...e.fact, value: `${e.kind}: ${e.fact.value}` })), ...(notStartedOn.length ? { notStartedOn } : {}) };
}

/**
 * The start lines of the non-config templates the deploy's tasks render (init scripts, units): the
 * first line per template that runs a server. Templates outside the deploy and service files that
 * startLines reads (config/capistrano/templates/…) are reached only this way.
 */
function renderedServiceLines(ctx: AnalyzerContext, tasks: TaskDef[]): { kind: WebServerKind; text: string; source: Source; task: string; upload: Source }[] {
  const out: { kind: WebServerKind; text: string; source: Source; task: string; upload: Source }[] = [];
  for (const t of tasks)
    for (const r of t.renders ?? []) {
      if (out.some((o) => o.source.file === r.template) || DEPLOY_FILE.test(r.template) || SERVICE_FILE.test(r.template) || configTemplateKind(ctx, r.template)) continue;
      const read = ctx.repo.read(r.template);
      if (!("text" in read)) continue;
      const lines = read.text.split(/\r?\n/);
      for (let i = 0; i < lines.length && i < 5000; i++) {
        const line = lines[i]!;
        if (line.length > MAX_START_LINE || /^\s*#/.test(line)) continue;
        const kind = kindOf(line, COMMANDS);
        if (kind && STARTS.test(line)) {
          out.push({ kind, text: line, source: { file: r.template, line: i + 1 }, task: t.name, upload: r.source });
          break;
        }
      }
    }
  return out;
}

/**
 * For a deploy line, the name of the Capistrano task it is written in when the deploy never runs that
 * task (run-tasks.ts: no hook, flow step, invoke or Capistrano 2 call; a doubt counts it as run),
 * else null. The task is the last one defined above the line in its file, up to its `end` (the first
 * line after it indented as it is): a line past that is not the task's. Mina's tasks are not read
 * this way (its deploy block runs them by name, not by hooks).
 */
function unhookedTaskAt(ctx: AnalyzerContext, cap: CapistranoFacts | null): (at: Source) => string | null {
  if (!cap || cap.tool === "mina" || !cap.tasks.length) return () => null;
  let ran: Set<string> | null = null;
  const text = (file: string) => {
    const r = ctx.repo.read(file);
    return "text" in r ? r.text : "";
  };
  return (at) => {
    let def = 0;
    for (const t of cap.tasks) if (t.source.file === at.file && t.source.line <= at.line && t.source.line > def) def = t.source.line;
    if (!def || !withinTask(text(at.file), def, at.line)) return null;
    // One line may define several tasks (`%w(start restart).each { |c| task c.to_sym do … }`): run if any of them is.
    const here = cap.tasks.filter((t) => t.source.file === at.file && t.source.line === def).map((t) => t.name);
    ran ??= deployRunTasks(cap.hooks, cap.conditionalHooks ?? [], cap.tasks, cap.major, text).ran;
    const run = ran;
    return here.some((name) => run.has(name) || [...run].some((x) => name.endsWith(`:${x}`))) ? null : here.join(", ");
  };
}

/** Whether 1-based line `at` lies inside the block of the task defined at line `def` (before its `end` or `}` at the task's indentation). */
function withinTask(text: string, def: number, at: number): boolean {
  const lines = text.split(/\r?\n/);
  const indent = /^\s*/.exec(lines[def - 1] ?? "")![0];
  // A one-line task (`task :x do … end`) holds only its own line.
  if (/\bend\s*$|\}\s*$/.test(lines[def - 1] ?? "") && !/\bdo\s*(?:\|[^|]*\|)?\s*$/.test(lines[def - 1] ?? "")) return at === def;
  for (let i = def; i < lines.length && i < at; i++) {
    const l = lines[i]!;
    if (l.trim() && /^\s*/.exec(l)![0].length <= indent.length && /^\s*(?:end\b|\})/.test(l)) return false;
  }
  return true;
}

const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/**
 * Whether the deploy runs a Procfile at all: foreman (start or export, whatever it names), another
 * Procfile runner, or a deploy or service line that names a Procfile.
 */
export function procfileRunByDeploy(ctx: AnalyzerContext): boolean {
  return procfileRunLines(ctx).length > 0;
}

/** The deploy or service lines that run a Procfile (procfileRunByDeploy's reasons): where they ran is where its processes ran. */
export function procfileRunLines(ctx: AnalyzerContext): StartLine[] {
  const lines = startLines(ctx);
  const out: StartLine[] = [];
  const add = (l: StartLine) => void (!out.some((o) => o.source.file === l.source.file && o.source.line === l.source.line) && out.push(l));
  for (const run of foremanRuns(ctx)) add(lines.find((l) => l.source.file === run.source.file && l.source.line === run.source.line) ?? { text: run.command, source: run.source, service: SERVICE_FILE.test(run.source.file) });
  for (const l of lines) if (/\b(?:overmind|hivemind|honcho|forego)\s+start\b|\bProcfile\b/.test(l.text)) add(l);
  return out;
}

/**
 * The app's Puma config loading Puma's tmp_restart plugin (`plugin :tmp_restart`), when Gemfile.lock
 * locks puma and no passenger: then a deploy's `touch tmp/restart.txt` restarted Puma.
 */
function pumaTmpRestart(ctx: AnalyzerContext): { text: string; source: Source } | null {
  const lock = ctx.repo.read("Gemfile.lock");
  if ("error" in lock || !/^    puma \(/m.test(lock.text) || /^    passenger \(/m.test(lock.text)) return null;
  for (const file of ctx.repo.paths.filter((p) => /^config\/puma(\.rb|\/[\w.-]+\.rb)$/.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const lines = r.text.split(/\r?\n/);
    const i = lines.findIndex((l) => /^\s*plugin\s*\(?\s*[:'"]tmp_restart\b/.test(l));
    if (i >= 0) return { text: lines[i]!.trim(), source: { file, line: i + 1 } };
  }
  return null;
}
