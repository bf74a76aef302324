// The front-end build around assets:precompile: which Node the repo pins, which yarn generation
// its lockfile belongs to, and the Node commands the deploy ran on the servers besides precompile
// (capistrano-npm/yarn/bower/gulp/grunt, and tasks of the repo's own that `execute :npm, "run build"`).
// Each command is read as the production stage ran it: its words, the release subdirectory it ran
// in and the environment SSHKit's `with` gave it. A command the image build cannot repeat (a path
// only the servers have, words not known statically, shell text beyond `cd x && cmd`) is not
// carried: it is named as the warning assets.frontend-build, at its file and line.
import type { AnalyzerContext, AssetFacts, CapistranoFacts, Fact, FrontendBuild, FrontendStep, RValue, Source, Stage, TaskDef } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { secretEnvEntry } from "../../src/model/secret-env.js";
import { argsOf, kind, parseRuby, type ParsedRuby, childrenOf } from "../ruby/prism.js";
import { evaluate, isHash, isSym, rubyToS, type Scope } from "../ruby/evaluate.js";
import { stageScope } from "../ruby/stage-scope.js";
import { capfilePath } from "../capistrano/capfile.js";
import { hooksOn, onStage } from "../capistrano/stage-scope.js";

/** Stands for the release directory in evaluated paths (release_path, current_path): never text a repo writes. */
const RELEASE = "\u0001release\u0001";

/** Commands of the Node toolchain; the first word of a step names one. */
const NODE_TOOLS = new Set(["npm", "yarn", "pnpm", "bun", "npx", "node", "gulp", "grunt", "bower", "webpack", "ember", "brunch"]);
/** Tools run from node_modules/.bin in the image: package.json must declare them (the servers may have had them global). */
const PACKAGE_TOOLS = new Set(["gulp", "grunt", "bower", "webpack", "ember", "brunch"]);
/** npm's names for the packages of gulp etc. where they differ from the command. */
const TOOL_PACKAGES: Record<string, string[]> = { gulp: ["gulp", "gulp-cli"], grunt: ["grunt", "grunt-cli"], webpack: ["webpack", "webpack-cli"], ember: ["ember-cli"] };
/** A word the tool writes as it is: anything else meant something to the servers' shell. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

interface Plugin {
  require: RegExp;
  tool: string;
  /** The words before the variables' words. */
  head: string[];
  prefix: string;
  /** Defaults of the plugin's flags variable (its load:defaults). */
  flags?: string;
  install?: boolean;
  /** A variable naming the build file, written as `--<flag> file` after the flags. */
  file?: string;
  tasks?: boolean;
  /** The plugin's task, when the plugin does not hook it into the deploy itself (a hook of the repo must run it). */
  unhooked?: string;
  /** Variables of the plugin this tool does not model: a stage that sets one is named, not ignored. */
  unmodelled: string[];
}

/**
 * Capistrano plugins that ran a Node command, with the variables, defaults and word order of their
 * task files (not their READMEs, which differ from the code in places): capistrano-npm
 * lib/capistrano/tasks/npm.rake (`npm install` + :npm_flags, within :npm_target_path, with
 * :npm_env_variables; hooked before deploy:updated), capistrano-yarn tasks/yarn.rake (:yarn_bin,
 * :yarn_flags: `--production --silent --no-progress` in 1.x's README, `%w(--production)` in later
 * load:defaults; the install at the root is replaced by the lockfile install either way),
 * capistrano-bower tasks/bower.rake (:bower_bin, :bower_flags `--quiet --config.interactive=false`),
 * capistrano-gulp tasks/gulp.cap (`fetch(:gulp_executable)`, then :gulp_flags `--no-color`,
 * `--gulpfile` :gulp_file, :gulp_tasks; no hook: its README says to add `before :updated, 'gulp'`),
 * roots/capistrano-grunt tasks/grunt.cap (`grunt`, :grunt_flags `--no-color`, `--gruntfile`
 * :grunt_file, :grunt_tasks; no hook either).
 */
const PLUGINS: Plugin[] = [
  { require: /^capistrano\/npm$/, tool: "npm", head: ["npm", "install"], prefix: "npm", flags: "--production --silent --no-progress", install: true, unmodelled: [] },
  { require: /^capistrano\/yarn$/, tool: "yarn", head: ["yarn", "install"], prefix: "yarn", flags: "--production --silent --no-progress", install: true, unmodelled: ["yarn_bin", "yarn_method"] },
  { require: /^capistrano\/bower$/, tool: "bower", head: ["bower", "install"], prefix: "bower", flags: "--quiet --config.interactive=false", unmodelled: ["bower_bin"] },
  { require: /^capistrano\/gulp$/, tool: "gulp", head: ["gulp"], prefix: "gulp", flags: "--no-color", file: "gulpfile", tasks: true, unhooked: "gulp", unmodelled: ["gulp_executable", "gulp_links"] },
  { require: /^capistrano\/grunt$/, tool: "grunt", head: ["grunt"], prefix: "grunt", flags: "--no-color", file: "gruntfile", tasks: true, unhooked: "grunt", unmodelled: ["grunt_executable"] },
];
/** Plugins whose commands this tool does not model: named, as before. */
const OPAQUE_PLUGINS: [RegExp, string][] = [
  [/^capistrano\/(?:webpack|webpacker\/precompile)$/, "webpack"],
  [/^capistrano\/ember_cli$/, "ember-cli build"],
];

type Ctx = {
  ctx: AnalyzerContext;
  stage: Stage | null;
  scope: Scope;
  deployTo: string | null;
  packages: Map<string, any>;
};

export function readFrontend(ctx: AnalyzerContext, assets: AssetFacts, capistrano: CapistranoFacts | null, stages: Stage[]): AssetFacts {
  const paths = new Set(ctx.repo.paths);
  const stage = stages.find((s) => s.name === "production") ?? stages.find((s) => railsEnvOf(s) === "production") ?? stages[0] ?? null;
  const c: Ctx = { ctx, stage, scope: releaseScope(stage), deployTo: stage ? str(stage.variables["deploy_to"]?.value) : null, packages: new Map() };
  // The image builds assets once, as the deploy of `stage` built them: a hook or task written in
  // other stages' files only is no step of that deploy (`cap production deploy` never loads
  // staging.rb). Such a step is named for the stages that ran it, not carried. A stage whose run hit
  // code not followed is read with every stage's hooks (they may be its own), the doubt said.
  const scoped = capistrano && stage && !capistrano.tool && !stage.unfollowedLoad ? { ...capistrano, hooks: hooksOn(capistrano, stage.name), tasks: capistrano.tasks.filter((t) => onStage(t, stage.name)) } : capistrano;
  const steps = [...pluginSteps(c, scoped), ...taskSteps(c, scoped)];
  if (capistrano && stage && scoped !== capistrano) {
    const quiet: Ctx = { ...c, ctx: { ...ctx, problem: () => {} } };
    const at = (x: FrontendStep) => `${x.source.file}:${x.source.line}`;
    const own = new Set(steps.map(at));
    for (const x of [...pluginSteps(quiet, capistrano), ...taskSteps(quiet, capistrano)].filter((x) => !own.has(at(x))))
      ctx.problem({ file: x.source.file, line: x.source.line, message: `assets.frontend-build-other-stages: ${x.argv.length ? x.argv.join(" ") : "a front-end build"} runs only in deploys of other stages than ${stage.name} (a hook or task written in their own files), so it is no step of the image, whose assets are built as stage ${stage.name}'s deploy built them; the pods of those stages serve assets built without it: if they need it, build their image with that step`, severity: "warning" });
  } else if (capistrano && stage?.unfollowedLoad && capistrano.hooks.some((h) => h.stages) && !capistrano.tool) {
    const u = stage.unfollowedLoad;
    ctx.problem({ file: u.source.file, line: u.source.line, message: `assets.frontend-build-stage-doubt: stage ${stage.name}'s run calls \`${u.call}\` on code not followed statically, so the front-end steps of the image are read with the hooks of every stage's files, which may not all be its own; check the image's build steps against what stage ${stage.name}'s deploy ran`, severity: "warning" });
  }
  for (const s of steps.filter((x) => x.uncarried))
    ctx.problem({ file: s.source.file, line: s.source.line, message: `assets.frontend-build: the deploy ran ${s.argv.length ? s.argv.join(" ") : "a front-end build"} on the servers, which the image build cannot repeat (${s.uncarried}); the image build runs only assets:precompile, so add that step to the Dockerfile before it, with the environment the deploy gave it (what such a build reads is baked into the image at build time)`, severity: "warning" });

  // No Node in the image and nothing that would bring it: its version is nobody's concern.
  if (!paths.has("package.json") && steps.length === 0 && !assets.needsNode.value) return assets;
  const frontend: FrontendBuild = { nodeVersion: nodeVersion(c), steps };
  if (assets.packageManager?.value === "yarn") {
    const berry = yarnBerry(c);
    if (berry) frontend.yarnBerry = berry;
    const files = [".yarnrc.yml", ...ctx.repo.paths.filter((p) => p.startsWith(".yarn/releases/") || p.startsWith(".yarn/plugins/"))].filter((p) => paths.has(p));
    if (berry && files.length) frontend.installFiles = files.sort();
  }
  const lockfiles = [...new Set(steps.filter((s) => s.install && s.dir && !s.uncarried).flatMap((s) => ["package-lock.json", "yarn.lock", "pnpm-lock.yaml"].map((f) => `${s.dir}/${f}`)))].filter((p) => paths.has(p));
  if (lockfiles.length) frontend.lockfiles = lockfiles;
  const carried = steps.find((s) => !s.uncarried);
  const needsNode = !assets.needsNode.value && carried ? { value: true, source: carried.source } : assets.needsNode;
  return { ...assets, needsNode, frontend };
}

// --- Node version -----------------------------------------------------------------------------

/** nvm's LTS code names → their majors. */
const LTS: Record<string, string> = { argon: "4", boron: "6", carbon: "8", dubnium: "10", erbium: "12", fermium: "14", gallium: "16", hydrogen: "18", iron: "20", jod: "22" };

/** `v18.17.0`, `18`, `lts/hydrogen`, `^18.2`, `~20.1.0`, `18.x` → an image tag; null with the reason otherwise. */
export function normalizeNode(raw: string): { value: string } | { why: string } {
  const v = raw.trim().replace(/^v(?=\d)/, "");
  if (/^\d{1,3}(?:\.\d{1,4}){0,2}$/.test(v)) return { value: v };
  const lts = /^lts\/([a-z]+)$/i.exec(v);
  if (lts && LTS[lts[1]!.toLowerCase()]) return { value: LTS[lts[1]!.toLowerCase()]! };
  const caret = /^\^\s*v?(\d{1,3})(?:\.[\dx*]+){0,2}$/.exec(v) ?? /^v?(\d{1,3})\.[x*](?:\.[x*])?$/.exec(v);
  if (caret) return { value: caret[1]! };
  const tilde = /^~\s*v?(\d{1,3})\.(\d{1,4})(?:\.\d+)?$/.exec(v);
  if (tilde) return { value: `${tilde[1]}.${tilde[2]}` };
  return { why: `${JSON.stringify(raw.length > 60 ? raw.slice(0, 60) + "…" : raw)} names no single Node release (a range, an alias such as lts/* or node, or not a version)` };
}

function nodeVersion(c: Ctx): Fact<string> | null {
  const found: { raw: string; source: Source }[] = [];
  for (const name of ["nvm_node", "nodenv_node", "node_version"]) {
    const v = c.stage?.variables[name];
    if (v && !v.defaultOf && typeof v.value === "string") found.push({ raw: v.value, source: v.source });
    else if (v && !v.defaultOf)
      c.ctx.problem({ file: v.source.file, line: v.source.line, message: `assets.node-version: the servers ran the Node of :${name}, which is not known statically; the image takes the version the repo's files pin, else a default: check it is the one the servers ran`, severity: "warning" });
  }
  for (const file of [".node-version", ".nvmrc"]) {
    const t = text(c, file);
    const line = t?.split(/\r?\n/).findIndex((l) => l.trim() && !l.trim().startsWith("#")) ?? -1;
    if (t && line >= 0) found.push({ raw: t.split(/\r?\n/)[line]!.replace(/#.*$/, "").trim(), source: { file, line: line + 1 } });
  }
  const tv = text(c, ".tool-versions");
  tv?.split(/\r?\n/).forEach((l, i) => {
    const m = /^\s*(?:nodejs|node)\s+(\S+)/.exec(l);
    if (m) found.push({ raw: m[1]!, source: { file: ".tool-versions", line: i + 1 } });
  });
  const pkg = packageJson(c, "");
  if (pkg) {
    for (const [key, path] of [["engines", "node"], ["volta", "node"]] as const) {
      const v = pkg.json?.[key]?.[path];
      if (typeof v === "string") found.push({ raw: v, source: { file: "package.json", line: lineOf(pkg.text, `"${key}"`) } });
    }
  }
  for (const f of found) {
    const n = normalizeNode(f.raw);
    if ("value" in n) return { value: n.value, source: f.source };
    c.ctx.problem({ file: f.source.file, line: f.source.line, message: `assets.node-version: ${n.why}; not used for the image's Node`, severity: "warning" });
  }
  return null;
}

function yarnBerry(c: Ctx): Fact<boolean> | null {
  if (c.ctx.repo.paths.includes(".yarnrc.yml")) return { value: true, source: { file: ".yarnrc.yml", line: 1 } };
  const pkg = packageJson(c, "");
  const pm = pkg?.json?.packageManager;
  const m = typeof pm === "string" ? /^yarn@(\d+)\./.exec(pm) : null;
  if (m && Number(m[1]) >= 2) return { value: true, source: { file: "package.json", line: lineOf(pkg!.text, '"packageManager"') } };
  const lock = text(c, "yarn.lock");
  // A berry lockfile is YAML with a __metadata entry; yarn 1's has its own format.
  if (lock && /^__metadata:/m.test(lock.slice(0, 2000))) return { value: true, source: { file: "yarn.lock", line: lock.split("\n").findIndex((l) => l.startsWith("__metadata:")) + 1 } };
  return null;
}

// --- Steps: plugins ---------------------------------------------------------------------------

function pluginSteps(c: Ctx, cap: CapistranoFacts | null): FrontendStep[] {
  const out: FrontendStep[] = [];
  const capfile = capfilePath(c.ctx.repo);
  for (const req of requiresIn(c, [capfile, "config/deploy.rb"])) {
    const p = PLUGINS.find((x) => x.require.test(req.value));
    if (p) {
      const step = pluginStep(c, p, req.source);
      if (!p.unhooked) {
        out.push(step);
        continue;
      }
      // capistrano-gulp/grunt only define their task: it ran only if the repo hooked or invoked it.
      const runs = pluginRun(c, cap, p.unhooked);
      if (!runs) {
        c.ctx.problem({ file: req.source.file, line: req.source.line, message: `assets.frontend-build: ${req.value} is required, but no hook or invoke in the repo runs its task "${p.unhooked}" (the plugin does not hook itself into the deploy), so the deploy did not run ${p.tool} and the image build does not either; if the servers ran it some other way, add that step to the Dockerfile before assets:precompile`, severity: "warning" });
        continue;
      }
      const late = "kind" in runs && LATE_HOOK(runs.kind, runs.target) ? `it ran ${runs.kind} ${runs.target} (${runs.source.file}:${runs.source.line}), after the assets were built, so it is no step of the image build` : null;
      out.push(late && !step.uncarried ? { ...step, uncarried: late } : step);
      continue;
    }
    const opaque = OPAQUE_PLUGINS.find(([re]) => re.test(req.value));
    if (opaque) out.push({ argv: [opaque[1]], dir: "", env: {}, source: req.source, uncarried: `${req.value}: its flags and environment come from that plugin's variables, which this tool does not read` });
  }
  return out;
}

/** The hook (or `invoke`) of the repo that runs a plugin task such as `gulp`, or null. */
function pluginRun(c: Ctx, cap: CapistranoFacts | null, task: string): { kind: "before" | "after"; target: string; source: Source } | { source: Source } | null {
  const names = new Set([task, `${task}:default`]);
  const hook = cap?.hooks.find((h) => names.has(h.task.replace(/^:/, "")));
  if (hook) return hook;
  const invoke = new RegExp(`^[^#]*(?:\\binvoke!?\\s*\\(?\\s*|Rake::Task\\[\\s*)["':]${task}(?::default)?(?=["'\\s,)\\]]|$)`);
  const files = c.ctx.repo.paths.filter((f) => f === capfilePath(c.ctx.repo) || /^config\/deploy(?:\.rb|\/.*\.rb)$/.test(f) || /^lib\/capistrano\/.*\.(?:rake|rb|cap)$/.test(f));
  for (const file of files) {
    const lines = text(c, file)?.split(/\r?\n/) ?? [];
    const i = lines.findIndex((l) => invoke.test(l));
    if (i >= 0) return { source: { file, line: i + 1 } };
  }
  return null;
}

/** `require "capistrano/gulp"` lines, uncommented, in the Capfile and deploy.rb. */
function requiresIn(c: Ctx, files: (string | null)[]): Fact<string>[] {
  const out: Fact<string>[] = [];
  for (const file of files) {
    if (!file) continue;
    const t = text(c, file);
    t?.split(/\r?\n/).forEach((line, i) => {
      const m = /^\s*require\s*\(?\s*["']([^"']+)["']/.exec(line);
      if (m) out.push({ value: m[1]!, source: { file, line: i + 1 } });
    });
  }
  return out;
}

function pluginStep(c: Ctx, p: Plugin, source: Source): FrontendStep {
  const vars = c.stage?.variables ?? {};
  const argv = [...p.head];
  const bad: string[] = [];
  const words = (name: string, dflt: string | undefined): string[] => {
    const f = vars[name];
    const v = f ? f.value : dflt ?? null;
    if (v === null || v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    const out: string[] = [];
    for (const x of list) {
      const s = rubyToS(x as RValue);
      if (s === null) bad.push(`:${name} is not known statically${f ? ` (${f.source.file}:${f.source.line})` : ""}`);
      else out.push(...s.split(/\s+/).filter(Boolean));
    }
    return out;
  };
  // The plugins' order: flags, then the build file, then the tasks.
  argv.push(...words(`${p.prefix}_flags`, p.flags));
  if (p.file) {
    const f = words(`${p.prefix}_file`, undefined);
    if (f.length) argv.push(`--${p.file}`, ...f);
  }
  if (p.tasks) argv.push(...words(`${p.prefix}_tasks`, undefined));
  const unread = p.unmodelled.map((n) => vars[n] && !vars[n]!.defaultOf ? `:${n} (${vars[n]!.source.file}:${vars[n]!.source.line})` : null).filter((x): x is string => !!x);
  if (unread.length) bad.push(`the deploy sets ${unread.join(", ")}, which this tool does not model`);
  const target = vars[`${p.prefix}_target_path`];
  const dir = target ? repoDir(c, target.value) : { dir: "" };
  const envVar = vars[`${p.prefix}_env_variables`];
  const env = envVar ? envOf(envVar.value) : { env: {} };
  const step: FrontendStep = { argv, dir: "dir" in dir ? dir.dir : "", env: "env" in env ? env.env : {}, source, ...(p.install ? { install: true } : {}) };
  const why = bad[0] ?? ("why" in dir ? `:${p.prefix}_target_path: ${dir.why}` : null) ?? ("why" in env ? `:${p.prefix}_env_variables: ${env.why}` : null) ?? checkWords(c, step);
  return why ? { ...step, uncarried: why } : step;
}

// --- Steps: the repo's own tasks ----------------------------------------------------------------

/** Tasks the deploy runs (a hook names them), in the order they were defined. */
function taskSteps(c: Ctx, cap: CapistranoFacts | null): FrontendStep[] {
  if (!cap) return [];
  const hooked = (t: TaskDef) => cap.hooks.some((h) => h.task === t.name || t.name.endsWith(`:${h.task}`));
  const parsed = new Map<string, ParsedRuby | null>();
  const out: FrontendStep[] = [];
  for (const t of cap.tasks.filter(hooked)) {
    if (!parsed.has(t.source.file)) {
      const body = text(c, t.source.file);
      parsed.set(t.source.file, body === null ? null : parseRuby(t.source.file, body));
    }
    const p = parsed.get(t.source.file);
    if (!p) continue;
    const node = findTask(p, t.source.line);
    if (!node?.block) continue;
    const found: FrontendStep[] = [];
    visit(c, p, node.block, { dir: RELEASE, env: {} }, found);
    // After the assets were built and the release went live: not a step of building the image.
    const late = cap.hooks.find((h) => (h.task === t.name || t.name.endsWith(`:${h.task}`)) && LATE_HOOK(h.kind, h.target));
    out.push(...(late ? found.map((f) => ({ ...f, uncarried: f.uncarried ?? `it ran ${late.kind} ${late.target} (${late.source.file}:${late.source.line}), after the assets were built, so it is no step of the image build` })) : found));
  }
  return out;
}

/** Hook points after assets:precompile in Capistrano's flow (capistrano-rails hooks precompile after deploy:updated). */
const LATE_HOOK = (kind: string, target: string): boolean =>
  (kind === "after" && /(?:^|:)(?:assets:precompile|compile_assets|updated|publishing|published|finishing|finished|restart|cleanup|symlink|create_symlink)$/.test(target)) ||
  (kind === "before" && /(?:^|:)(?:publishing|published|finishing|finished|restart|cleanup)$/.test(target));

function findTask(p: ParsedRuby, line: number): any {
  let found: any = null;
  walk(p.root, (n) => {
    if (!found && kind(n) === "CallNode" && !n.receiver && n.name === "task" && p.lineOf(n.location.startOffset) === line) found = n;
  });
  return found;
}

interface Around {
  dir: RValue;
  env: Record<string, RValue>;
}

/** Walks a task body, keeping the `within` directory and `with` environment around each command. */
function visit(c: Ctx, p: ParsedRuby, node: any, around: Around, out: FrontendStep[]): void {
  if (!node || typeof node !== "object") return;
  if (kind(node) === "CallNode" && !node.receiver) {
    const args = argsOf(node);
    if (node.name === "within" && node.block && args.length === 1) return visit(c, p, node.block, { ...around, dir: evaluate(args[0], p, c.scope) }, out);
    if (node.name === "with" && node.block && args.length === 1) {
      const h = evaluate(args[0], p, c.scope);
      const env = isHash(h) ? Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v])) : { "": h };
      return visit(c, p, node.block, { ...around, env: { ...around.env, ...env } }, out);
    }
    if ((node.name === "execute" || node.name === "run") && args.length) {
      out.push(...commandSteps(c, p, node, around));
      return;
    }
  }
  const kids: any[] = childrenOf(node);
  for (const k of kids) visit(c, p, k, around, out);
}

/** One `execute` (or Capistrano 2's `run`), one step per command: SSHKit runs a command given as one string with spaces as it is, ignoring within/with. */
function commandSteps(c: Ctx, p: ParsedRuby, node: any, around: Around): FrontendStep[] {
  const source = p.sourceOf(node);
  const values = argsOf(node).filter((a: any) => kind(a) !== "KeywordHashNode").map((a: any) => evaluate(a, p, c.scope));
  const raw = p.textOf(node);
  // `fetch(:gulp_executable)` counts: a word not known statically that names a Node tool.
  const mentions = [...NODE_TOOLS].some((t) => new RegExp(`(?:^|[^A-Za-z0-9])${t}(?![A-Za-z0-9])`).test(raw));
  const parts: string[] = [];
  for (const v of values) {
    const s = isSym(v) ? v.sym : rubyToS(v);
    if (s === null) return mentions ? [{ argv: [], dir: "", env: {}, source, uncarried: `its words are not known statically: ${raw.length > 80 ? raw.slice(0, 80) + "…" : raw}` }] : [];
    parts.push(s);
  }
  if (!parts.length) return [];
  const rawString = node.name === "run" || (values.length === 1 && typeof values[0] === "string" && /\s/.test(parts[0]!));
  // Raw shell text: `cd dir && cmd` (or `;`) is followed, other shell syntax is not rewritten.
  let dir: { dir: string } | { why: string } = rawString ? { why: "a command given as one string runs in the login directory (SSHKit ignores within for it)" } : repoDir(c, around.dir);
  const commands: Cmd[] = [];
  const segments = parts.join(" ").split(/\s*(?:&&|;)\s*/).filter(Boolean);
  for (const seg of segments) {
    const w = seg.trim().split(/\s+/);
    if (w[0] === "cd" && w.length === 2 && commands.length === 0) dir = repoDir(c, w[1]!);
    else if (!nodeSetup(w)) {
      // `SENTRY_AUTH_TOKEN=x npm run build`: the assignments are the command's environment.
      let i = 0;
      const assigns: Record<string, string> = {};
      for (; i < w.length - 1 && ASSIGNMENT.test(w[i]!); i++) assigns[w[i]!.slice(0, w[i]!.indexOf("="))] = w[i]!.slice(w[i]!.indexOf("=") + 1);
      commands.push({ words: w.slice(i), assigns });
    }
  }
  if (!commands.some(nodeLike)) return [];
  const shown = parts.join(" ").replace(/\u0001release\u0001/g, "#{release_path}");
  const other = commands.findIndex((x) => !nodeLike(x));
  if (other >= 0) return [{ argv: shown.split(/\s+/), dir: "", env: {}, source, uncarried: `it also runs ${JSON.stringify(commands[other]!.words.join(" "))}, which is not a Node command` }];
  const aroundEnv = rawString ? { env: {} } : envOf(around.env);
  return commands.map((cmd) => {
    const head = cmd.words[0]!;
    const stepDir = "dir" in dir ? dir.dir : "";
    const path = head.includes("/") ? commandPath(c, head, stepDir) : null;
    const words = [path && "path" in path ? path.path : head.replace(/\u0001release\u0001/g, "#{release_path}"), ...cmd.words.slice(1)];
    const install = isInstall(words);
    const prefixEnv = Object.keys(cmd.assigns).length ? envOf(cmd.assigns) : { env: {} };
    const env = "why" in aroundEnv ? aroundEnv : "why" in prefixEnv ? prefixEnv : { env: { ...aroundEnv.env, ...prefixEnv.env } };
    const step: FrontendStep = { argv: words, dir: stepDir, env: "env" in env ? env.env : {}, source, ...(install ? { install } : {}) };
    const odd = words.find((x) => !PLAIN_WORD.test(x)) ?? Object.values(cmd.assigns).find((x) => !PLAIN_WORD.test(x));
    const tool = head.split("/").pop()!;
    const wrapped = !NODE_TOOLS.has(tool) ? `it runs ${cmd.words.find((x) => NODE_TOOLS.has(x.split("/").pop()!))} through ${JSON.stringify(head.replace(/\u0001release\u0001/g, "#{release_path}"))} (sudo, env or another wrapper), which the image build does not repeat; run the Node command itself` : null;
    const why = wrapped ?? (path && "why" in path ? path.why : null) ?? globalInstall(words) ?? ("why" in dir ? dir.why : null) ?? ("why" in env ? env.why : null) ?? (odd !== undefined ? `the word ${JSON.stringify(odd)} means something to the servers' shell, which the image build does not repeat` : null) ?? checkWords(c, step);
    return why ? { ...step, uncarried: why } : step;
  });
}

type Cmd = { words: string[]; assigns: Record<string, string> };
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** A command with a Node tool among its words (`npm …`, `sudo npm …`, `bin/webpack`). */
const nodeLike = (cmd: Cmd): boolean => cmd.words.some((x) => NODE_TOOLS.has(x.split("/").pop()!));

/**
 * A command given by path keeps its path (`bin/webpack` is webpacker's Ruby wrapper, not webpack):
 * carried when the file is in the repo (or is a package's binary the install makes), else named.
 */
function commandPath(c: Ctx, head: string, dir: string): { path: string } | { why: string } {
  const shown = head.replace(/\u0001release\u0001/g, "#{release_path}");
  let rel: string;
  if (head.startsWith(RELEASE)) {
    if (dir) return { why: `${shown} is given by the release's path while the command runs in ${dir}/; the image build cannot repeat it as written` };
    rel = head.slice(RELEASE.length).replace(/^\/+/, "");
  } else if (head.startsWith("/") || head.startsWith("~")) return { why: `${shown} is a path only the servers have` };
  else rel = head.replace(/^(?:\.\/)+/, "");
  const inRepo = (dir ? `${dir}/${rel}` : rel).replace(/(^|\/)\.\//g, "$1");
  if (rel.split("/").includes("..") || !/^[A-Za-z0-9_.@+/-]+$/.test(rel)) return { why: `${shown} is not a plain path inside the release` };
  if (/^node_modules\/\.bin\/[^/]+$/.test(rel) || c.ctx.repo.paths.includes(inRepo)) return { path: rel };
  return { why: `${shown} is not in the repo${dir ? ` (looked for ${inRepo})` : ""}: the servers had it` };
}

/** Package managers the image already has (Node's npm, corepack's yarn and pnpm). */
const BUNDLED_MANAGERS = /^(?:npm|yarn|pnpm|corepack)(?:@[\w.^~-]+)?$/;

/**
 * A segment that only chose the servers' Node (`source ~/.nvm/nvm.sh`, `nvm use`, `nodenv shell`)
 * or installed a package manager globally: the image pins Node and has its package manager.
 */
function nodeSetup(w: string[]): boolean {
  if ((w[0] === "source" || w[0] === ".") && w.length === 2 && /(?:^|[/"'])(?:nvm|nodenv|asdf)\.sh["']?$|nvm\.sh/.test(w[1]!)) return true;
  if ((w[0] === "nvm" || w[0] === "nodenv" || w[0] === "fnm") && ["use", "install", "shell", "local"].includes(w[1] ?? "")) return true;
  const npmGlobal = w[0] === "npm" && ["install", "i"].includes(w[1] ?? "") && w.some((x) => x === "-g" || x === "--global");
  const pkgs = w.slice(2).filter((x) => !x.startsWith("-"));
  return npmGlobal && pkgs.length > 0 && pkgs.every((x) => BUNDLED_MANAGERS.test(x));
}

/** A global install is about the servers, wherever it ran. */
const globalInstall = (w: string[]): string | null =>
  w.some((x) => x === "-g" || x === "--global") || (w[0] === "yarn" && w[1] === "global")
    ? "it installs packages globally on the servers; add them to package.json's devDependencies so the image build installs them from the lockfile"
    : null;

const isInstall = (w: string[]): boolean =>
  (w[0] === "npm" && ["install", "i", "ci"].includes(w[1] ?? "")) || (w[0] === "yarn" && (w.length === 1 || w[1] === "install" || w[1]!.startsWith("-"))) || ((w[0] === "pnpm" || w[0] === "bun") && ["install", "i"].includes(w[1] ?? ""));

/** What package.json must hold for the step to run in the image (scripts, the tool's package). */
function checkWords(c: Ctx, s: FrontendStep): string | null {
  for (const w of s.argv) if (!PLAIN_WORD.test(w)) return `the word ${JSON.stringify(w)} means something to the servers' shell, which the image build does not repeat`;
  // A package's own binary (node_modules/.bin/gulp) still needs that package declared.
  const tool = /^node_modules\/\.bin\//.test(s.argv[0]!) ? s.argv[0]!.split("/").pop()! : s.argv[0]!;
  const global = globalInstall(s.argv);
  if (global) return global;
  const own = packageJson(c, s.dir);
  const root = packageJson(c, "");
  if (PACKAGE_TOOLS.has(tool)) {
    const names = TOOL_PACKAGES[tool] ?? [tool];
    const declared = [own, root].some((p) => names.some((n) => p?.json?.dependencies?.[n] !== undefined || p?.json?.devDependencies?.[n] !== undefined));
    if (!declared) return `${tool} is not in package.json${s.dir ? ` (${s.dir}/ or the root)` : ""}: the servers had it installed globally; add ${names[0]} to devDependencies so the image build installs it`;
  }
  const script = (tool === "npm" || tool === "pnpm" || tool === "bun") && s.argv[1] === "run" ? s.argv[2] : tool === "yarn" && s.argv[1] === "run" ? s.argv[2] : null;
  if (script !== null && script !== undefined && (own ?? root)?.json?.scripts?.[script] === undefined) return `${s.dir ? s.dir + "/" : ""}package.json has no script ${JSON.stringify(script)}`;
  if (!own && (s.install || script)) return `no ${s.dir ? s.dir + "/" : ""}package.json in the repo`;
  return null;
}

// --- Values -------------------------------------------------------------------------------------

/** The stage's scope, with the release's paths standing for the image's app directory. */
function releaseScope(stage: Stage | null): Scope {
  const base = stage ? stageScope(stage) : {};
  const release = new Set(["release_path", "current_path", "latest_release", "current_release"]);
  return {
    ...base,
    fetch(name, dflt, node) {
      if (release.has(name) && !(stage?.variables[name] && typeof stage.variables[name]!.value === "string")) return RELEASE;
      return base.fetch ? base.fetch(name, dflt, node) : dflt ?? null;
    },
    call(node, ev) {
      if (!node.receiver && release.has(node.name) && !argsOf(node).length) return RELEASE;
      // Pathname#join on a deploy path (release_path.join("client"), shared_path.join(...)).
      if (node.receiver && node.name === "join" && kind(node.receiver) === "CallNode" && !node.receiver.receiver && argsOf(node).length) {
        const head = ev(node.receiver);
        const parts = argsOf(node).map(ev).map(rubyToS);
        if (typeof head !== "string" || parts.some((x) => x === null)) return undefined;
        return parts.reduce<string>((acc, x) => (x!.startsWith("/") ? x! : `${acc.replace(/\/+$/, "")}/${x}`), head);
      }
      return base.call?.(node, ev);
    },
  };
}

/** A deploy path → the repo directory it is in the image, or why it has none. */
function repoDir(c: Ctx, v: RValue): { dir: string } | { why: string } {
  let s = str(v);
  if (s === null) return { why: "its working directory is not known statically" };
  const current = c.deployTo ? `${c.deployTo.replace(/\/+$/, "")}/current` : null;
  if (current && (s === current || s.startsWith(current + "/"))) s = RELEASE + s.slice(current.length);
  if (!s.startsWith(RELEASE)) return { why: `it ran in ${JSON.stringify(s.replace(/\u0001/g, ""))}, a path outside the release, which only the servers have` };
  const rest = s.slice(RELEASE.length).replace(/^\/+|\/+$/g, "").replace(/(^|\/)\.(?=\/|$)/g, "").replace(/^\/+/, "");
  if (rest === "") return { dir: "" };
  if (rest.split("/").some((x) => x === ".." || x === "") || !/^[A-Za-z0-9_.@+][A-Za-z0-9_./@+-]*$/.test(rest)) return { why: `its directory ${JSON.stringify(rest)} is not a plain path inside the release` };
  if (!c.ctx.repo.paths.some((p) => p.startsWith(rest + "/"))) return { why: `it ran in ${rest}/, which is not in the repo (made on the servers)` };
  return { dir: rest };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** SSHKit's `with` hash → env; values must be known, names names, and no secret baked into a layer. */
function envOf(v: RValue): { env: Record<string, string> } | { why: string } {
  if (v === null) return { env: {} };
  if (!isHash(v)) return { why: "its environment is not known statically" };
  const env: Record<string, string> = {};
  for (const [k0, x] of Object.entries(v)) {
    const k = k0.toUpperCase();
    const s = isSym(x) ? x.sym : rubyToS(x);
    if (!ENV_NAME.test(k)) return { why: `its environment names ${JSON.stringify(k0)}, which is not a variable name` };
    if (s === null) return { why: `its environment variable ${k} is not known statically` };
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(s) || s.includes("<<")) return { why: `its environment variable ${k} holds a line break or control character, which a Dockerfile RUN line cannot carry` };
    if (secretEnvEntry(k, s)) return { why: `its environment variable ${k} looks like a secret, which would be baked into an image layer; give it to the build as a build secret` };
    env[k] = s;
  }
  return { env };
}

// --- Files --------------------------------------------------------------------------------------

function text(c: Ctx, file: string): string | null {
  if (!c.ctx.repo.paths.includes(file)) return null;
  const r = c.ctx.repo.read(file);
  return "error" in r ? null : r.text;
}

function packageJson(c: Ctx, dir: string): { json: any; text: string } | null {
  const file = dir ? `${dir}/package.json` : "package.json";
  if (c.packages.has(file)) return c.packages.get(file);
  const t = text(c, file);
  let out: { json: any; text: string } | null = null;
  try {
    out = t === null ? null : { json: JSON.parse(t), text: t };
  } catch {
    out = null;
  }
  c.packages.set(file, out);
  return out;
}

const lineOf = (t: string, needle: string): number => t.split("\n").findIndex((l) => l.includes(needle)) + 1 || 1;
const str = (v: RValue | undefined): string | null => (typeof v === "string" ? v : null);

function walk(node: any, f: (n: any) => void): void {
  if (!node || typeof node !== "object") return;
  f(node);
  const kids: any[] = childrenOf(node);
  for (const k of kids) walk(k, f);
}
