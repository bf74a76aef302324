// Unicorn and Puma configs, per file and environment. Each file is read as the server reads it
// (analyzers/appserver/unicorn.ts, puma.ts); `__FILE__` is where Capistrano puts the file
// (`<deploy_to>/current/<path>`) when the stages running it agree on `deploy_to`.
import type { AnalyzerContext, AppServerConfig, ProcfileEntry, Stage } from "../src/model.js";
import { cap2DefaultEnv, railsEnvIsCap2Default, railsEnvOf, startedRailsEnv } from "../src/model.js";
import { parseRuby } from "./ruby/prism.js";
import { conventionalFiles, repoPathOf, deployToOf, unicornPluginDefault, unicornPluginRackEnv, CONFIG_VARIABLE, type ConfigFile, type ServerKind } from "./appserver/files.js";
import { parseLockfile } from "./rails/lockfile.js";
import { readUnicorn } from "./appserver/unicorn.js";
import { readPuma } from "./appserver/puma.js";
import { namedConfigs, type NamedConfig } from "./appserver/named-configs.js";
import { SERVICE_FILE } from "../src/model/service-managers.js";
import { rubyToS } from "./ruby/evaluate.js";
import { pumaPluginConfig, pumaTemplatePaths, renderedPumaTemplate, pumaPluginLocked, pumaPluginNotBundled, pumaPluginStart, pumaEnvOf, pumaConfigForEnv, pumaUnitOverride } from "./appserver/puma-plugin.js";
import { hasPath } from "../src/model.js";
import { capfilePath } from "./capistrano/capfile.js";
import type { HookDef, TaskDef } from "../src/model.js";
import { hookRunning } from "./capistrano/tasks.js";
import { renderedUploads, renderedChoice, renderedServerConfig, type RenderedChoice } from "./appserver/rendered-config.js";
import { reportRefusedValues } from "./appserver/refused-values.js";
import { capturedDeployTo, capturedClause } from "./appserver/captured-path.js";
import { perItem } from "./per-item.js";
import { reportMachineCounts } from "./appserver/machine.js";
import { cap2UnicornRecipe } from "./appserver/cap2-unicorn-recipes.js";
import { mbStack, mbRecipe } from "./capistrano/mb.js";
import { mbUnicornConfig } from "./appserver/mb-unicorn.js";
import { unicornNginxStack, unicornNginxConfig, UNICORN_NGINX } from "./appserver/unicorn-nginx.js";
import { nginxUnicornStack, nginxUnicornConfigs } from "./appserver/nginx-unicorn-cap2.js";
import { unseenConfig } from "./appserver/server-only.js";
import { outsideConfigs, type OutsideStart } from "./appserver/outside-config.js";
import { nginxUnicorn3Stack, nginxUnicorn3Configs } from "./appserver/nginx-unicorn-cap3.js";
import { simpleRailsDeployUnicorn, simpleRailsDeployConfigs } from "./appserver/simple-rails-deploy.js";
import { minaTemplateConfigs } from "./appserver/mina-templates.js";
import type { Fact, LinkedPath, RValue, Source } from "../src/model.js";
import { formatValue } from "../src/model/format.js";

export function analyzeAppServers(ctx: AnalyzerContext, stages: Stage[], procfile: ProcfileEntry[] = [], tasks: TaskDef[] = [], requires: Fact<string>[] = [], dropped: string[] = [], linked: LinkedPath[] = [], hooks: HookDef[] = []): AppServerConfig[] {
  // Stages whose unicorn capistrano-mb's unicorn recipe configured and started (analyzers/appserver/mb-unicorn.ts).
  const mb = mbStack(ctx, requires);
  const mbUnicorn = new Map<string, Source>();
  for (const stage of mb ? stages : []) {
    const r = mbRecipe(ctx, mb!, stage, "unicorn");
    if (r?.on) mbUnicorn.set(stage.name, r.source);
  }
  // capistrano-unicorn-nginx renders and starts its own Unicorn config on every stage (analyzers/appserver/unicorn-nginx.ts).
  const uniNginx = mb ? null : unicornNginxStack(ctx, requires);
  // capistrano3-nginx_unicorn renders its unicorn.rb.erb on every deploy and starts unicorn with it (analyzers/appserver/nginx-unicorn-cap3.ts).
  const nginxUnicorn3 = mb || uniNginx ? null : nginxUnicorn3Stack(ctx, requires);
  // simple-rails-deploy's deploy/unicorn starts Unicorn with the gem's own config (analyzers/appserver/simple-rails-deploy.ts).
  const srdUnicorn = mb || uniNginx || nginxUnicorn3 ? null : simpleRailsDeployUnicorn(ctx, requires);
  const files = conventionalFiles(ctx.repo.paths);
  const byStage = new Map<string, string[]>(); // file → stages pointing at it
  const capfileAt = capfilePath(ctx.repo);
  const capfile = capfileAt ? ctx.repo.read(capfileAt) : null;
  const capText = !!capfile && "text" in capfile ? capfile.text : "";
  const usesUnicornPlugin = /^\s*require\s*\(?\s*["']capistrano3\/unicorn["']/m.test(capText);
  // capistrano3-puma's entry point (`capistrano/puma` since 3.x, `capistrano3/puma` before)
  const pumaRequire = /^\s*require\s*\(?\s*["']capistrano3?\/puma["']/m;
  // A require of a gem the bundle lacks is a LoadError, not the plugin: its defaults are not what ran
  // (said below, at the require line), and the repo's own Puma config is read in their place.
  const pumaUnbundled = pumaRequire.test(capText) ? pumaPluginNotBundled(ctx) : null;
  const usesPumaPlugin = pumaRequire.test(capText) && !pumaUnbundled;
  // From 6.0 the plugin starts `puma -e <puma_env>` and renders no config (puma-plugin.ts).
  const pumaLock = usesPumaPlugin ? pumaPluginLocked(ctx) : null;
  const pumaStart = pumaLock ? pumaPluginStart(pumaLock.version) : "template";
  const startedBy = new Map<string, { stages: string[]; envs: string[] }>(); // file → the stages whose unit loads it, and their puma_env
  const unicornLock = usesUnicornPlugin ? lockedGem(ctx, "capistrano3-unicorn") : null;
  const pluginStarts: { path: string; rackEnv?: string }[] = []; // configs capistrano3-unicorn's start task runs
  const point = (kind: ServerKind, path: string, stage: string | null) => {
    if (!files.some((f) => f.file === path)) files.push({ kind, file: path, env: null });
    if (stage === null) return;
    const list = byStage.get(path) ?? [];
    if (!list.includes(stage)) list.push(stage);
    byStage.set(path, list);
  };

  // Start commands naming a config (`unicorn -c x`, `puma -C x`): read even without stages.
  const named = namedConfigs(ctx, procfile, stages.map((s) => s.name), dropped);
  // Said after the stages are read: a rendering the deploy uploads to that very path is its config.
  const offRepo: NamedConfig[] = [];
  for (const n of named) {
    if (n.path === null) {
      if (!(n.kind === "puma" && usesPumaPlugin)) offRepo.push(n);
    } else if (!hasPath(ctx.repo, n.path)) {
      ctx.problem({ file: n.source.file, line: n.source.line, message: `this ${n.kind} start command names its config ${n.written}, but the repo has no ${n.path}; its settings are not read`, severity: "warning" });
    } else if (stages.length === 0) point(n.kind, n.path, null);
  }
  const generated: Stage[] = []; // stages running the config capistrano3-puma renders
  // Configs the deploy renders from a template and uploads to the path the servers start with.
  const uploads = stages.length ? renderedUploads(ctx, tasks) : [];
  const chosen: { stage: Stage; choice: RenderedChoice }[] = [];
  const noTemplate: AppServerConfig[] = []; // stages a per-stage render found no template for

  // Stages whose plugin starts the server with a config the repo does not hold (capistrano3-unicorn's
  // `unicorn -c <unicorn_config_path>`, no fallback): each gets a config whose numbers are gaps, so
  // appServerFor never gives it config/unicorn.rb's (youhei19880130/v_studio: production had no
  // config/unicorn/production.rb). A path linked from shared/ is the servers' own copy: gaps too, said
  // as linked (left to linkedServerConfigs, a config/unicorn.rb beside it was read in its place).
  const absentConfigs: AppServerConfig[] = [];
  // Stages whose server the deploy starts with a config outside the repo, no plugin involved (analyzers/appserver/outside-config.ts).
  const outsideStarts: OutsideStart[] = [];
  const absentSaid = new Map<string, { stages: string[]; set: Fact<RValue> | null }>();
  const linkedSaid: AppServerConfig[] = [];
  const pluginAbsent = (stage: Stage, kind: ServerKind, path: string, set: Fact<RValue> | null, offRepo = false) => {
    const link = linked.find((l) => l.kind === "file" && l.serverOnly && l.stages.includes(stage.name) && l.path === path);
    if (link) {
      const same = linkedSaid.find((c) => c.file === path);
      if (same) return void same.stages.push(stage.name);
      const how = set ? `unicorn_config_path (${set.source.file}:${set.source.line})` : "unicorn_config_path's default, config/unicorn/<rails_env>.rb";
      const why = `capistrano3-unicorn starts \`unicorn -c ${path}\` with ${how}, and ${path} is linked from the servers' shared/ directory (linked_files, ${link.source.file}:${link.source.line}) and not in the repo${link.example ? ` (${link.example} is an example, not what ran)` : ""}: the servers' own copy is the config it loaded`;
      const cfg = unseenConfig(kind, path, stage.name, why, set?.source ?? link.source, `${why}; its numbers are asked (Unicorn's defaults are placeholders), and no other config of the repo is read in its place`);
      linkedSaid.push(cfg);
      absentConfigs.push(cfg);
      return;
    }
    const said = absentSaid.get(path) ?? { stages: [], set };
    said.stages.push(stage.name);
    absentSaid.set(path, said);
    // A path not known statically is one config per `set` line: two stages' lines name two files.
    const same = offRepo ? null : absentConfigs.find((c) => c.kind === kind && c.file === path);
    if (same) return void same.stages.push(stage.name);
    const at: Source = set?.source ?? { file: capfileAt ?? "Capfile", line: capText.split("\n").findIndex((l) => /^\s*require\s*\(?\s*["']capistrano3\/unicorn["']/.test(l)) + 1 };
    const how = set ? `unicorn_config_path (${set.source.file}:${set.source.line})` : "unicorn_config_path's default, config/unicorn/<rails_env>.rb";
    const why = `capistrano3-unicorn starts \`unicorn -c ${path}\` with ${how} and no fallback, and ${offRepo ? "that is not a file of a release (the repo cannot hold it)" : `the repo has no ${path}`}: that start failed, or the servers had a file of their own`;
    absentConfigs.push(unseenConfig(kind, path, stage.name, why, at, `${why}; its numbers are asked (Unicorn's defaults are placeholders), and no other config of the repo is read in its place`));
  };

  // capistrano3-puma before 6 with `puma_conf` inside the release (`"#{release_path}/config/puma/x.rb"`)
  // and no such file in the repo. Its puma:check (after deploy:check) renders the plugin's template
  // to that path only when nothing is there, and deploy:check runs before the new release exists:
  // the release Puma then starts from has no such file, and Puma raises on a missing -C file
  // (Errno::ENOENT). Before 5.0 puma:start renders it too when Puma is not running (a cold start ran
  // the template; a restart, `pumactl -F <path>`, raised the same). Either way the stage's numbers are
  // not the repo's: gaps, said at the `set` (seuros/capistrano-puma v1.2.1–v5.2.0, puma.rake/daemon.rake).
  const pumaConfAbsent = (stage: Stage, path: string, set: Fact<RValue>) => {
    const same = absentConfigs.find((c) => c.kind === "puma" && c.file === path && c.startedBy?.source.file === set.source.file && c.startedBy.source.line === set.source.line);
    const gem = `capistrano3-puma${pumaLock ? ` ${pumaLock.version}` : ""}`;
    // A file linked from shared/ is there in the release: the servers' own copy, unknown all the same.
    const link = linked.find((l) => l.kind === "file" && l.serverOnly && l.stages.includes(stage.name) && l.path === path);
    if (link) {
      if (same) return void same.stages.push(stage.name);
      const why = `${gem} starts Puma with \`-C <release>/${path}\` (puma_conf, ${set.source.file}:${set.source.line}), which is linked from the servers' shared/ directory (linked_files, ${link.source.file}:${link.source.line}) and not in the repo${link.example ? ` (${link.example} is an example, not what ran)` : ""}: the servers' own copy is the config it loaded`;
      const cfg = unseenConfig("puma", path, stage.name, why, set.source, `${why}; its numbers are asked (Puma's defaults are placeholders), and no other config of the repo is read in its place`);
      absentConfigs.push(cfg);
      pumaAbsent.push({ cfg, why });
      return;
    }
    const cold = pumaLock && Number.parseInt(pumaLock.version, 10) < 5 ? `; before 5.0 its puma:start also renders it when Puma is not running, so a cold start ran the plugin's template (${pumaTemplatePaths(stage.name).find((p) => hasPath(ctx.repo, p)) ?? "the gem's own"}) until the next restart (\`pumactl -F ${path}\`) raised` : "";
    const why = `${gem} starts Puma with \`-C <release>/${path}\` (puma_conf, ${set.source.file}:${set.source.line}), and the repo has no ${path}: that start failed, or the servers had a file of their own`;
    const story = `its puma:check renders the plugin's template to that path only when no file is there, at deploy:check, before the new release exists, so the release Puma starts from has none, and Puma raises on a missing -C file (Errno::ENOENT)${cold}`;
    if (same) return void same.stages.push(stage.name);
    const cfg = unseenConfig("puma", path, stage.name, why, set.source, `${why}; its numbers are asked (Puma's defaults are placeholders), and no other config of the repo is read in its place`);
    absentConfigs.push(cfg);
    pumaAbsent.push({ cfg, why: `${why}. Why: ${story}` });
  };
  const pumaAbsent: { cfg: AppServerConfig; why: string }[] = []; // said once per `set`, with its stages, after the stages are read

  const unitsSaid = new Map<string, { unit: NamedConfig; stages: string[] }>();
  const procfileOutranked = new Map<string, { line: NamedConfig; stages: string[]; templates: Set<string> }>();
  const unicornProcfileOutranked = new Map<string, { line: NamedConfig; stages: string[]; paths: Set<string>; absent: Set<string> }>();
  for (const stage of stages) {
    for (const kind of ["unicorn", "puma"] as ServerKind[]) {
      if (kind === "unicorn" && (mbUnicorn.has(stage.name) || uniNginx || nginxUnicorn3 || srdUnicorn)) continue;
      const choice = uploads.length ? renderedChoice(ctx, stage, kind, uploads, named, tasks, linked) : null;
      if (choice) {
        chosen.push({ stage, choice });
        continue;
      }
      // A per-stage helper call (`template "unicorn.rb", …, true`) that found templates for other
      // stages but none for this one raised there (no such file): this stage's config was made on
      // its servers, not config/<kind>.rb. Said at the call, and the repo's file is not read for it.
      const elsewhere = uploads.find((u) => u.kind === kind && u.stage !== undefined && u.stage !== stage.name && !uploads.some((o) => o.kind === kind && o.stage === stage.name && o.source.file === u.source.file && o.source.line === u.source.line));
      if (elsewhere && !uploads.some((u) => u.kind === kind && u.stage === stage.name)) {
        const at = elsewhere.template.lastIndexOf(`.${elsewhere.stage}`);
        const missing = `${elsewhere.template.slice(0, at)}.${stage.name}${elsewhere.template.slice(at + 1 + elsewhere.stage!.length)}`;
        const others = uploads.filter((u) => u.kind === kind && u.source.file === elsewhere.source.file && u.source.line === elsewhere.source.line);
        ctx.problem({ file: elsewhere.source.file, line: elsewhere.source.line, message: `stage ${stage.name}: this per-stage render reads ${missing}, which is not in the repo (only ${others.map((u) => u.template).join(", ")}): cap raised there, so the ${kind} config stage ${stage.name}'s servers ran was made on them; its settings (workers, timeout) are not known and no repo config is read as this stage's`, severity: "warning" });
        // Its numbers are gaps (asked, the server's defaults as labelled placeholders), never the
        // numbers of config/<kind>.rb or of another stage's template: appServerFor finds this config by its stage.
        const why = `stage ${stage.name}'s per-stage render (${elsewhere.source.file}:${elsewhere.source.line}) reads ${missing}, which the repo does not hold (cap raised there, so the config its servers ran was made on them); the other stages ran ${others.map((u) => `${u.template} (stage ${u.stage})`).join(", ")}`;
        const same = noTemplate.find((c) => c.kind === kind && c.file === missing);
        if (same) same.stages.push(stage.name);
        else noTemplate.push(unseenConfig(kind, missing, stage.name, why, elsewhere.source, `${why}; its numbers are asked (the server's defaults are placeholders)`));
        continue;
      }
      const variable = CONFIG_VARIABLE[kind];
      const fact = stage.variables[variable];
      // what the stage's own commands name, its stage file first
      // (a Procfile nothing in the deploy runs comes last: the config the deploy's own line names wins)
      const ordered = [...named.filter((n) => n.stage === stage.name), ...named.filter((n) => n.stage === null)];
      const fromCommand = [...ordered.filter((n) => !n.unrunProcfile), ...ordered.filter((n) => n.unrunProcfile)].find((n) => n.kind === kind && n.path !== null && hasPath(ctx.repo, n.path));
      let path: string | null;
      // the plugin's unit outranks a Procfile's web line (Heroku's, or development's), not the deploy's own start line
      // The repo's own unit for Puma (`puma -C <path>`) next to the plugin's (`puma -e <env>`, no -C):
      // they disagree, and which was installed on the servers is not in the repo. Said with both lines.
      const ownUnit = kind === "puma" && usesPumaPlugin && pumaStart !== "template" ? repoPumaUnit(ctx, stage, named) : null;
      if (ownUnit) {
        const key = `${ownUnit.source.file}:${ownUnit.source.line}`;
        const said = unitsSaid.get(key) ?? { unit: ownUnit, stages: [] };
        said.stages.push(stage.name);
        unitsSaid.set(key, said);
        if (ownUnit.path === null || !hasPath(ctx.repo, ownUnit.path)) continue;
      }
      // Before 6.0 the plugin's puma:start runs `puma -C <puma_conf>`, rendered by puma:config: a
      // Procfile no deploy line runs (Heroku's, a laptop's) does not outrank it (said at its line below).
      if (kind === "puma" && usesPumaPlugin && pumaStart === "template" && !fact && fromCommand?.unrunProcfile) {
        const key = `${fromCommand.source.file}:${fromCommand.source.line}`;
        const said = procfileOutranked.get(key) ?? { line: fromCommand, stages: [], templates: new Set<string>() };
        said.stages.push(stage.name);
        said.templates.add(pumaTemplatePaths(stage.name).find((p) => hasPath(ctx.repo, p)) ?? "the gem's own template");
        procfileOutranked.set(key, said);
        generated.push(stage);
        continue;
      }
      if (kind === "puma" && usesPumaPlugin && pumaStart !== "template" && (!fromCommand || fromCommand.source.file.startsWith("Procfile"))) {
        path = pumaUnitConfig(ctx, stage, pumaLock!, pumaStart, fact ?? null, startedBy);
        if (path === null) continue;
      } else if (fact) {
        path = repoPathOf(fact.value, deployToOf(stage));
        if (path === null || !hasPath(ctx.repo, path)) {
          // built from an earlier deploy_to (config/deploy.rb's, before the stage file set its own)
          const captured = path === null ? capturedDeployTo(ctx, stage, variable, fact) : null;
          if (kind === "puma" && usesPumaPlugin && path === null) {
            if (captured)
              ctx.problem({ file: fact.source.file, line: fact.source.line, message: `stage ${stage.name}: ${capturedClause(variable, fact, captured)}. capistrano3-puma${pumaLock ? ` ${pumaLock.version}` : ""} renders its template to that path only when no file is there (puma:check after deploy:check, and puma:start); a release under ${captured.builtFrom} on the same servers would have been read instead, which the repo cannot say. Read here as the plugin's rendering`, severity: "warning" });
            generated.push(stage);
            continue;
          }
          // capistrano3-puma before 6 starts `puma -C <puma_conf>`: a path inside the release the repo
          // does not hold is that stage's config, unknown, never config/puma.rb's numbers.
          if (kind === "puma" && usesPumaPlugin && pumaStart === "template" && path !== null) {
            pumaConfAbsent(stage, path, fact);
            continue;
          }
          ctx.problem({ file: fact.source.file, line: fact.source.line, message: `stage ${stage.name}: ${captured ? `${capturedClause(variable, fact, captured)}; it` : `${variable}`} does not name a ${kind} config file of the repo (${describe(fact.value)}); the server reads a file made on the server`, severity: "warning" });
          // The plugin starts the server with that path: its numbers are that file's, not another's.
          if (kind === "unicorn" && usesUnicornPlugin) pluginAbsent(stage, kind, path ?? describe(fact.value), fact, path === null);
          // Without the plugin the variable still says which file the servers read: its numbers are gaps, never config/<kind>.rb's.
          else outsideStarts.push({ kind, stage, written: rubyToS(fact.value) ?? describe(fact.value), at: fact.source, by: variable, where: path === null ? "a path outside the release, which the repo cannot hold" : `${path}, which the repo does not hold` });
          continue;
        }
      } else if (fromCommand && !(kind === "unicorn" && usesUnicornPlugin && fromCommand.unrunProcfile)) {
        path = fromCommand.path!;
      } else if (kind === "unicorn" && usesUnicornPlugin) {
        // capistrano3-unicorn's unicorn:start runs `unicorn -c <unicorn_config_path>`: a Procfile
        // nothing in the deploy runs (Heroku's) does not outrank it, as with capistrano3-puma above.
        path = unicornPluginDefault(stage);
        if (fromCommand?.unrunProcfile) {
          const key = `${fromCommand.source.file}:${fromCommand.source.line}`;
          const said = unicornProcfileOutranked.get(key) ?? { line: fromCommand, stages: [], paths: new Set<string>(), absent: new Set<string>() };
          said.stages.push(stage.name);
          (hasPath(ctx.repo, path) ? said.paths : said.absent).add(path);
          unicornProcfileOutranked.set(key, said);
        }
        if (!hasPath(ctx.repo, path)) {
          pluginAbsent(stage, kind, path, null);
          continue;
        }
      } else if (kind === "puma" && usesPumaPlugin) {
        generated.push(stage);
        continue;
      } else continue;
      point(kind, path, stage.name);
      if (kind === "unicorn" && usesUnicornPlugin && (fact || !fromCommand || fromCommand.unrunProcfile)) {
        const rackEnv = unicornPluginRackEnv(stage, unicornLock);
        pluginStarts.push({ path, ...(rackEnv ? { rackEnv } : {}) });
      }
    }
  }

  for (const n of offRepo) {
    const rendered = chosen.filter((c) => c.choice.startedAt?.file === n.source.file && c.choice.startedAt.line === n.source.line);
    const rest = n.stage === null ? stages.filter((st) => !rendered.some((c) => c.stage.name === st.name)).map((st) => st.name) : rendered.length ? [] : [n.stage];
    if (rendered.length && !rest.length) continue;
    const on = rendered.length ? ` (stage${rest.length > 1 ? "s" : ""} ${rest.join(", ")}: no task of the deploy renders a config to it there)` : "";
    ctx.problem({ file: n.source.file, line: n.source.line, message: `this ${n.kind} start command names its config as ${n.written}, which is not a file of the repo (a path on the server or not known statically)${on}; its settings are not read`, severity: "warning" });
    // Its stages' numbers are gaps, not the repo's config/<kind>.rb's (a Procfile nothing runs says nothing of the servers).
    if (!n.unrunProcfile) for (const name of rest) outsideStarts.push({ kind: n.kind, stage: stages.find((x) => x.name === name)!, written: n.written, at: n.source, by: "the start line's config option", where: "a path on the server or not known statically, not a file of the repo" });
  }
  // A render task no hook runs: the servers hold what its last manual run wrote (read all the same: nothing else writes that path).
  const byHand = (t: TaskDef) => (hooks.length || tasks.length) && !hookRunning(t, hooks) ? `; no hook of the deploy runs ${t.name}: it was run by hand (\`cap <stage> ${t.name}\`), so the servers held the rendering of its last run` : "";
  const capLineOf = (re: RegExp) => capText.split("\n").findIndex((l) => re.test(l)) + 1;
  const pumaGem = pumaLock ? `capistrano3-puma ${pumaLock.version} (${capfileAt}:${capLineOf(pumaRequire)}, ${pumaLock.source.file}:${pumaLock.source.line})` : `capistrano3-puma (${capfileAt}:${capLineOf(pumaRequire)}; no Gemfile.lock gives its version)`;
  for (const { line, stages: on, templates } of procfileOutranked.values())
    ctx.problem({ file: line.source.file, line: line.source.line, message: `this Procfile's web line starts Puma with ${line.written}, but nothing in the deploy runs this Procfile (no foreman start or export, no Procfile-based service): ${pumaGem} starts Puma with -C <puma_conf>, which its puma:config renders from ${[...templates].join(", ")}; that rendered config is read for stage${on.length > 1 ? "s" : ""} ${on.join(", ")}, not ${line.path}`, severity: "warning" });
  for (const cfg of linkedSaid) {
    const others = files.filter((f) => f.kind === cfg.kind && f.env === null && hasPath(ctx.repo, f.file)).map((f) => f.file);
    const at = cfg.startedBy!.source;
    ctx.problem({ file: at.file, line: at.line, message: `unicorn.plugin-config-linked: stage${cfg.stages.length > 1 ? "s" : ""} ${cfg.stages.join(", ")}: ${(cfg.workers!.value as { unknown: string }).unknown}. Its worker_processes and timeout are not known (asked as gaps, with Unicorn's defaults as placeholders)${others.length ? `; ${others.join(", ")} ${others.length > 1 ? "are" : "is"} not read in its place` : ""}`, severity: "warning" });
  }
  for (const { cfg, why } of pumaAbsent) {
    const others = files.filter((f) => f.kind === "puma" && f.env === null && hasPath(ctx.repo, f.file)).map((f) => f.file); // the every-env files appServerFor would otherwise give it
    const at = cfg.startedBy!.source;
    ctx.problem({ file: at.file, line: at.line, message: `puma.plugin-config-absent: stage${cfg.stages.length > 1 ? "s" : ""} ${cfg.stages.join(", ")}: ${why}. Its workers, threads and worker_timeout are not known (asked as gaps, with Puma's defaults as placeholders)${others.length ? `; ${others.join(", ")} ${others.length > 1 ? "are" : "is"} not read in its place` : ""}`, severity: "warning" });
  }
  for (const [path, { stages: on, set }] of absentSaid) {
    if (set) continue; // said at the `set` above
    const others = files.filter((f) => f.kind === "unicorn" && f.env === null && hasPath(ctx.repo, f.file)).map((f) => f.file); // the every-env files appServerFor would otherwise give it
    ctx.problem({ file: capfileAt ?? "Capfile", line: capLineOf(/^\s*require\s*\(?\s*["']capistrano3\/unicorn["']/), message: `unicorn.plugin-config-absent: stage${on.length > 1 ? "s" : ""} ${on.join(", ")}: capistrano3-unicorn${unicornLock ? ` ${unicornLock.version}` : ""} starts \`unicorn -c <current>/${path}\` (unicorn_config_path's default, config/unicorn/<rails_env>.rb, with no fallback to another file), and the repo has no ${path}: that start failed, or the servers had a file of their own. Its worker_processes and timeout are not known (asked as gaps, with Unicorn's defaults as placeholders)${others.length ? `; ${others.join(", ")} ${others.length > 1 ? "are" : "is"} not read in its place` : ""}`, severity: "warning" });
  }
  const unicornGem = `capistrano3-unicorn${unicornLock ? ` ${unicornLock.version}` : ""} (${capfileAt}:${capLineOf(/^\s*require\s*\(?\s*["']capistrano3\/unicorn["']/)}${unicornLock ? "" : "; no Gemfile.lock gives its version"})`;
  for (const { line, stages: on, paths, absent } of unicornProcfileOutranked.values()) {
    const read = paths.size ? `${[...paths].join(", ")} ${paths.size > 1 ? "are" : "is"} read for stage${on.length > 1 ? "s" : ""} ${on.join(", ")}, not ${line.path}` : "";
    const missing = absent.size ? `the repo has no ${[...absent].join(", ")}: that config was a file of the servers, its settings are not known, and ${line.path} is not read in its place` : "";
    ctx.problem({ file: line.source.file, line: line.source.line, message: `this Procfile's web line starts Unicorn with ${line.written}, but nothing in the deploy runs this Procfile (no foreman start or export, no Procfile-based service): ${unicornGem} starts \`unicorn -c <unicorn_config_path>\`, whose default is config/unicorn/<rails_env>.rb (the gem's lib/capistrano3/tasks/unicorn.rake: \`set :unicorn_config_path, -> { File.join(current_path, "config", "unicorn", "#{fetch(:rails_env)}.rb") }\`); ${[read, missing].filter(Boolean).join("; ")}`, severity: "warning" });
  }
  if (pumaUnbundled) {
    const own = files.filter((f) => f.kind === "puma").map((f) => f.file);
    ctx.problem({
      file: capfileAt!,
      line: capLineOf(pumaRequire),
      message: `capfile.plugin-not-locked: the Capfile requires capistrano/puma, but ${pumaUnbundled.inGemfile ? "Gemfile.lock does not lock capistrano3-puma (the Gemfile names it)" : "capistrano3-puma is in neither the Gemfile nor Gemfile.lock"}: \`cap\` run with this bundle (\`bundle exec cap\`) cannot load it (LoadError), so the deploy as committed could not run that way; a \`cap\` run outside the bundle, with capistrano3-puma installed as a gem of the deploying machine, loads it and could have run the deploy, in a version the repo does not state. Which Puma config the servers ran is not in the repo: capistrano3-puma's defaults (of whichever version ran) are not applied; ${own.length ? `the repo's own ${own.join(", ")} ${own.length > 1 ? "are" : "is"} read in their place` : "the repo has no Puma config of its own: Puma's own defaults are read in their place"}`,
      severity: "warning",
    });
  }
  const pluginLoads = (st: Stage) => {
    const env = pumaEnvOf(st, pumaLock!.version);
    if (env === null) return "a config chosen by puma_env, which is not known";
    return pumaConfigForEnv(ctx, env.value) ?? `no file of the repo for ${env.value} (Puma's defaults)`;
  };
  const serverOnly: AppServerConfig[] = [];
  for (const { unit, stages: on } of unitsSaid.values()) {
    const capLine = capText.split("\n").findIndex((l) => /^\s*require\s*\(?\s*["']capistrano3?\/puma["']/.test(l)) + 1;
    const plugin = `capistrano3-puma ${pumaLock!.version} (${capfileAt}:${capLine}, ${pumaLock!.source.file}:${pumaLock!.source.line}) installs a unit that runs \`puma -e <puma_env>\` with no -C, loading ${[...new Set(on.map((n) => pluginLoads(stages.find((x) => x.name === n)!)))].join(", ")}`;
    const inRepo = unit.path !== null && hasPath(ctx.repo, unit.path);
    const where = inRepo ? `${unit.path}, which is read` : `${unit.written}, a file only the servers hold${serverOnlyNote(unit.written, on.map((n) => stages.find((x) => x.name === n)!))}: Puma's settings for stage${on.length > 1 ? "s" : ""} ${on.join(", ")} are not known (config/puma.rb is not read in its place)`;
    // Its settings are unknown, not config/puma.rb's: the stages get a config whose every number is a gap.
    if (!inRepo) serverOnly.push(unknownPumaConfig(unit, on));
    ctx.problem({ file: unit.source.file, line: unit.source.line, message: `the repo's own Puma unit starts \`puma -C ${unit.written}\`, but ${plugin}: the two disagree, and which one the servers ran is not in the repo. Read as the repo's unit: its config is ${where}`, severity: "warning" });
  }
  if (pumaLock && pumaStart !== "template")
    for (const t of new Set(stages.flatMap((st) => pumaTemplatePaths(st.name)).filter((p) => hasPath(ctx.repo, p))))
      ctx.problem({ file: t, line: 1, message: `capistrano3-puma ${pumaLock.version} (${pumaLock.source.file}:${pumaLock.source.line}) renders no puma.rb: this template is not used by the deploy, and its settings are not read`, severity: "warning" });
  files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const out: AppServerConfig[] = [];
  for (const f of files) perItem(ctx, { file: f.file }, `this ${f.kind} config`, undefined, () => {
    const read = ctx.repo.read(f.file);
    if ("error" in read) {
      ctx.problem({ file: f.file, line: 0, message: `cannot read ${f.kind} config: ${read.error}`, severity: "warning" });
      return;
    }
    const parsed = parseRuby(f.file, read.text);
    for (const e of parsed.errors.slice(0, 1)) ctx.problem({ file: f.file, line: e.line, message: `Ruby syntax error: ${e.message}`, severity: "error" });
    const fileStages = (byStage.get(f.file) ?? []).sort();
    const deployed = deployedPath(f, fileStages, stages);
    const base = { file: f.file, env: f.env, stages: fileStages };
    // RACK_ENV is the Rails env only where the plugin starts Puma `with rack_env:` (before 6.0)
    const rackIsRails = usesPumaPlugin && pumaStart === "template";
    const rackEnv = statedRackEnv([...named.filter((n) => n.kind === f.kind && n.path === f.file), ...(f.kind === "unicorn" ? pluginStarts.filter((p) => p.path === f.file) : [])]);
    // A Capistrano 2 recipe starting plain `unicorn -E <rails_env> -c config/unicorn.rb`: RACK_ENV is each stage's rails_env.
    const recipeRack = f.kind === "unicorn" && requires.some((r) => { const x = cap2UnicornRecipe(r.value); return !!x && x.rackIsRails && x.config === f.file; });
    const read1 = (env: string | null, b = base) => (f.kind === "unicorn" ? readUnicorn(parsed, b, deployed, env, rackEnv, recipeRack) : readPuma(parsed, b, deployed, env, undefined, rackIsRails, rackEnv));
    const stated = (s: Stage) => statedRailsEnv(s, named.filter((n) => n.path === f.file && (n.stage === null || n.stage === s.name)));
    // a stage whose capistrano3-unicorn start names a file the repo lacks runs no repo file by convention
    const pluginMissing = (s: Stage) => f.kind === "unicorn" && [...unicornProcfileOutranked.values()].some((o) => o.absent.size && o.stages.includes(s.name));
    out.push(...perEnv(f, read1, runningStages(f, byStage, files, stages).filter((s) => !(f.kind === "puma" && generated.includes(s)) && !pluginMissing(s)), stated));
  });
  for (const o of out) {
    const by = o.kind === "puma" ? startedBy.get(o.file) : undefined;
    if (by && o.stages.some((s) => by.stages.includes(s)))
      o.startedBy = { value: `capistrano3-puma ${pumaLock!.version}'s systemd unit runs \`puma -e <puma_env>\` in current/ with no -C, so Puma loads ${o.file} (puma_env ${by.envs.join("; ")})`, source: pumaLock!.source };
  }
  // A start line with no -C (`puma -e production`): why Puma loaded this file.
  for (const o of out) {
    const n = o.kind === "puma" && !o.startedBy && (o.stages.length || !stages.length) ? named.find((x) => x.pumaEnv && x.path === o.file && (x.stage === null || o.stages.includes(x.stage))) : undefined;
    if (n) o.startedBy = { value: `${n.source.file}:${n.source.line} starts Puma with ${n.pumaEnv} and no -C, so Puma loads ${o.file} (the first of config/puma/<env>.rb and config/puma.rb in the app)`, source: n.source };
  }
  out.unshift(...pumaPluginConfigs(ctx, generated));
  out.push(...serverOnly);
  if (mbUnicorn.size) {
    const own: AppServerConfig[] = [];
    for (const stage of stages) {
      const at = mbUnicorn.get(stage.name);
      if (!at) continue;
      const cfg = mbUnicornConfig(ctx, stage, at);
      const key = (c: AppServerConfig) => JSON.stringify({ ...c, stages: [], env: null, file: "", renderedBy: null });
      const same = own.find((o) => key(o) === key(cfg) && o.env === cfg.env);
      if (same) same.stages.push(stage.name);
      else own.push(cfg);
    }
    // The repo's own Unicorn files: the link to shared/config/unicorn.rb replaces config/unicorn.rb.
    for (const o of out) {
      if (o.kind !== "unicorn" || !o.stages.some((s) => mbUnicorn.has(s)) && o.stages.length) continue;
      ctx.problem({ file: o.file, line: 1, message: `${o.file} is not the Unicorn config the servers ran: capistrano-mb's unicorn recipe renders its own to shared/config/unicorn.rb and links it as config/unicorn.rb; its settings are read from the recipe`, severity: "warning" });
      o.stages = o.stages.filter((s) => !mbUnicorn.has(s));
    }
    out.unshift(...own);
  }
  if (uniNginx && stages.length) out.unshift(...unicornNginxConfigs(ctx, stages, uniNginx, out));
  // capistrano-nginx-unicorn (Capistrano 2) renders and starts its own Unicorn config (analyzers/appserver/nginx-unicorn-cap2.ts).
  const nginxUnicorn = mb || uniNginx ? null : nginxUnicornStack(ctx, requires);
  if (nginxUnicorn && stages.length) out.unshift(...nginxUnicornConfigs(ctx, stages, nginxUnicorn, out));
  if (nginxUnicorn3 && !nginxUnicorn && stages.length) out.unshift(...nginxUnicorn3Configs(ctx, stages, nginxUnicorn3, out));
  if (srdUnicorn && !nginxUnicorn && stages.length) out.unshift(...simpleRailsDeployConfigs(ctx, stages, srdUnicorn, out));
  for (const kind of ["unicorn", "puma"] as ServerKind[]) {
    const mine = chosen.filter((c) => c.choice.upload.kind === kind);
    if (!mine.length) continue;
    const own: AppServerConfig[] = [];
    const said = new Set<string>();
    for (const { stage, choice } of mine) {
      const up = choice.upload;
      const why = choice.startedAt ? `the path ${kind === "unicorn" ? "Unicorn" : "Puma"} is started with (${choice.startedAt.file}:${choice.startedAt.line})` : `a path named like the ${kind} config; nothing in the repo names the path the server is started with, so this is read from the destination's name`;
      const key0 = `${up.template}\0${why}`;
      if (!choice.startedAt && !said.has(key0)) {
        said.add(key0);
        ctx.problem({ file: up.source.file, line: up.source.line, message: `task ${up.task.name} renders ${up.template} to ${up.destination.replace(/^["']|["']$/g, "")}, ${why}`, severity: "warning" });
      }
      const cfg = renderedServerConfig(ctx, up, stage);
      if (!cfg) continue;
      cfg.renderedBy = { value: `task ${up.task.name} renders it to ${up.destination.replace(/^["']|["']$/g, "")}, ${why}${byHand(up.task)}`, source: up.source };
      const key = (c: AppServerConfig) => JSON.stringify({ ...c, stages: [], env: null });
      const same = own.find((o) => key(o) === key(cfg));
      if (same) same.stages.push(stage.name);
      else own.push(cfg);
    }
    // The repo's own files of that server are not what these stages ran.
    const up = mine[0]!.choice.upload;
    for (let i = out.length - 1; i >= 0; i--) {
      const o = out[i]!;
      if (o.kind !== kind) continue;
      ctx.problem({ file: o.file, line: 1, message: `${o.file} is not the ${kind === "unicorn" ? "Unicorn" : "Puma"} config the servers ran: task ${up.task.name} (${up.source.file}:${up.source.line}) renders ${up.template} to ${up.destination.replace(/^["']|["']$/g, "")}, and the server is started with that; its settings are read from the template`, severity: "warning" });
      o.stages = o.stages.filter((s) => !mine.some((r) => r.stage.name === s));
    }
    out.unshift(...own);
  }
  // Read before the stages lose them: the repo's own configs offer their numbers as labelled defaults.
  const outside = outsideConfigs(ctx, outsideStarts.filter((o) => stages.includes(o.stage)), out);
  out.push(...noTemplate, ...absentConfigs, ...outside);
  // A Mina deploy that renders its Unicorn config from its own template folder and starts Unicorn
  // with it (mina-templates.ts): the repo's own Unicorn files are not what those stages ran.
  const mina = stages.length && !chosen.length && !mb && !uniNginx && !nginxUnicorn && !nginxUnicorn3 && !srdUnicorn ? minaTemplateConfigs(ctx, stages) : [];
  for (const o of out) {
    if (o.kind !== "unicorn" || !mina.length) continue;
    ctx.problem({ file: o.file, line: 1, message: `${o.file} is not the Unicorn config the servers ran: ${mina[0]!.renderedBy!.value}; its settings are read from the template`, severity: "warning" });
    o.stages = o.stages.filter((s) => !mina.some((c) => c.stages.includes(s)));
  }
  out.unshift(...mina);
  reportRefusedValues(ctx, out);
  reportMachineCounts(ctx, out);
  return out;
}

/**
 * capistrano-unicorn-nginx's rendered configs, one per group of stages that render the same; the
 * repo's own Unicorn files lose those stages, with a warning (the servers read the rendered one).
 */
function unicornNginxConfigs(ctx: AnalyzerContext, stages: Stage[], gem: NonNullable<ReturnType<typeof unicornNginxStack>>, out: AppServerConfig[]): AppServerConfig[] {
  const own: AppServerConfig[] = [];
  for (const stage of stages) {
    const cfg = unicornNginxConfig(ctx, stage, gem);
    const key = (c: AppServerConfig) => JSON.stringify({ ...c, stages: [], env: null, renderedBy: null });
    const same = own.find((o) => key(o) === key(cfg) && o.env === cfg.env && o.renderedBy?.value === cfg.renderedBy?.value);
    if (same) same.stages.push(stage.name);
    else own.push(cfg);
  }
  for (const o of out) {
    if (o.kind !== "unicorn") continue;
    // The repo's unicorn_init.erb starts this very file from the release: read above, per stage.
    if (own.some((c) => c.file === o.file)) {
      o.stages = [];
      continue;
    }
    ctx.problem({ file: o.file, line: 1, message: `${o.file} is not the Unicorn config the servers ran: ${UNICORN_NGINX} (${gem.required.file}:${gem.required.line}) renders its unicorn.rb.erb to shared/config/unicorn.rb and starts unicorn with -c that file; its settings are read from the gem's template`, severity: "warning" });
    o.stages = [];
  }
  return own;
}

/**
 * The repo file Puma loads on a stage that capistrano3-puma 6+ starts (`puma -e <puma_env>`, no
 * -C), or null (said) when that is not known or no file is loaded. `puma_conf` no longer names it.
 */
/**
 * The repo's own systemd/init file that starts Puma with -C for this stage (not the plugin's unit
 * template override, which pumaUnitConfig reads): what that unit loads, as namedConfigs read it.
 */
function repoPumaUnit(ctx: AnalyzerContext, stage: Stage, named: NamedConfig[]): NamedConfig | null {
  const override = pumaUnitOverride(ctx, stage.name);
  return named.find((n) => n.kind === "puma" && !n.pumaEnv && SERVICE_FILE.test(n.source.file) && n.source.file !== override && (n.stage === null || n.stage === stage.name)) ?? null;
}

/** A Puma config only the servers hold: each setting unknown, with the unit line that loads it. */
function unknownPumaConfig(unit: NamedConfig, stages: string[]): AppServerConfig {
  const why = `set in ${unit.written}, which the repo's own unit (${unit.source.file}:${unit.source.line}) loads and only the servers hold`;
  const gap = (expr: string): Fact<RValue> => ({ value: { unknown: why, expr, source: unit.source }, source: unit.source });
  return {
    kind: "puma",
    file: unit.written,
    env: null,
    stages: [...stages].sort(),
    workers: gap(`in ${unit.written}`),
    threads: { value: [{ unknown: why, expr: "threads min", source: unit.source }, { unknown: why, expr: "threads max", source: unit.source }], source: unit.source },
    listen: [],
    timeout: gap(`in ${unit.written}`),
    preloadApp: gap(`in ${unit.written}`),
    pid: null,
    stdoutPath: null,
    stderrPath: null,
    workingDirectory: null,
    hooks: [],
    startedBy: { value: `${unit.source.file}:${unit.source.line} starts Puma with -C ${unit.written}, a file only the servers hold`, source: unit.source },
    notInRepo: true,
  };
}

/** `<deploy_to>/shared/x`: a file of shared/, and the link the deploy makes of it when linked_files lists x. */
function serverOnlyNote(written: string, on: Stage[]): string {
  for (const st of on) {
    const deployTo = deployToOf(st);
    if (!deployTo || !written.startsWith(`${deployTo.replace(/\/+$/, "")}/shared/`)) continue;
    const rel = written.slice(deployTo.replace(/\/+$/, "").length + "/shared/".length);
    const linked = st.variables["linked_files"]?.value;
    const isLinked = Array.isArray(linked) && linked.some((x) => rubyToS(x) === rel);
    return ` (in shared/${isLinked ? `, linked into each release as ${rel} by linked_files, and not in the repo` : ""})`;
  }
  return "";
}

function pumaUnitConfig(ctx: AnalyzerContext, stage: Stage, lock: { version: string; source: { file: string; line: number } }, start: "env-flag" | "bare", pumaConf: { source: { file: string; line: number } } | null, startedBy: Map<string, { stages: string[]; envs: string[] }>): string | null {
  const gem = `capistrano3-puma ${lock.version} (${lock.source.file}:${lock.source.line})`;
  if (pumaConf)
    ctx.problem({ file: pumaConf.source.file, line: pumaConf.source.line, message: `stage ${stage.name}: puma_conf is not used by ${gem}: its systemd unit starts Puma without -C, so Puma picks its config itself`, severity: "warning" });
  const override = pumaUnitOverride(ctx, stage.name);
  const overrideText = override ? ctx.repo.read(override) : null;
  const unit = override && overrideText && "text" in overrideText ? overrideText.text : null;
  if (override && (unit === null || /\s(?:-C|--config)\b/.test(unit) || !/\s(?:-e|--environment)\s/.test(unit))) {
    ctx.problem({ file: override, line: 1, message: `stage ${stage.name}: the repo's own systemd unit template for ${gem} ${unit === null ? "cannot be read" : "does not start Puma as the gem's does (`puma -e <puma_env>`)"}; which Puma config it loads is not modelled`, severity: "warning" });
    return null;
  }
  if (start === "bare") {
    ctx.problem({ file: lock.source.file, line: lock.source.line, message: `stage ${stage.name}: ${gem} starts \`puma\` with neither -e nor -C: its environment, and so its config file, come from the unit's environment, which the repo does not state`, severity: "warning" });
    return null;
  }
  const env = pumaEnvOf(stage, lock.version);
  if (env === null) {
    ctx.problem({ file: stage.source.file, line: 0, message: `stage ${stage.name}: ${gem} starts \`puma -e <puma_env>\`, and puma_env is not known statically: which of config/puma/<env>.rb and config/puma.rb Puma loads is not known`, severity: "warning" });
    return null;
  }
  const path = pumaConfigForEnv(ctx, env.value);
  if (path === null) {
    ctx.problem({ file: lock.source.file, line: lock.source.line, message: `stage ${stage.name}: ${gem} starts \`puma -e ${env.value}\`, and the repo has neither config/puma/${env.value}.rb nor config/puma.rb: Puma runs with its own defaults there`, severity: "warning" });
    return null;
  }
  const said = env.defaultOf ? `${env.value}, ${env.defaultOf}'s default` : `${env.value} from ${env.source.file}:${env.source.line}`;
  const by = startedBy.get(path) ?? { stages: [], envs: [] };
  by.stages.push(stage.name);
  if (!by.envs.includes(said)) by.envs.push(said);
  startedBy.set(path, by);
  return path;
}

/**
 * A config whose settings depend on the Rails environment (`workers 4 if rails_env ==
 * "production"`) read once per environment of the stages running it. When every environment reads
 * the same, the file stays one config as before. Otherwise it becomes one config per environment,
 * with `env` set to it and `stages` narrowed to that environment's: appServerFor already picks a
 * stage's config by its stages, then by its env, so no consumer changes, and a file stays one entry
 * per thing a reader must tell apart.
 */
function perEnv(f: ConfigFile, read: (env: string | null, base?: Pick<AppServerConfig, "file" | "env" | "stages">) => AppServerConfig, running: Stage[], stated: (s: Stage) => string | null): AppServerConfig[] {
  const plain = read(f.env);
  if (f.env !== null) return perFileEnv(f, read, plain, running, stated);
  // Only an environment the deploy states decides a branch: a stage name is not one (railsEnvOf's
  // fallback), so those stages keep the plain reading, its branches unknown.
  const envs = [...new Set(running.map(stated).filter((e): e is string => e !== null))].sort();
  const unstated = running.filter((r) => stated(r) === null).map((r) => r.name);
  if (envs.length === 0) return [plain];
  const readings = envs.map((env) => ({ env, cfg: read(env) }));
  const key = (c: AppServerConfig) => JSON.stringify({ ...c, env: null, stages: [] });
  if (readings.every((r) => key(r.cfg) === key(plain))) return [plain];
  if (readings.every((r) => key(r.cfg) === key(readings[0]!.cfg)) && envs.length > 1 && !unstated.length) return [readings[0]!.cfg];
  const out = readings.map(({ env }) =>
    read(env, { file: f.file, env, stages: plain.stages.filter((s) => running.some((r) => r.name === s && stated(r) === env)) }),
  );
  if (unstated.length) out.push({ ...plain, stages: plain.stages.filter((s) => unstated.includes(s)) });
  return out;
}

/**
 * A per-env file (config/unicorn/<env>.rb) is named for one environment, but the server evaluates
 * it with the RAILS_ENV of the stage that starts it (`set :unicorn_config_path` of a staging stage
 * running production): a stage stating another environment reads it with that one, as its own
 * config (its env, its stages); the rest keep the file name's reading. One entry while they agree.
 */
function perFileEnv(f: ConfigFile, read: (env: string | null, base?: Pick<AppServerConfig, "file" | "env" | "stages">) => AppServerConfig, plain: AppServerConfig, running: Stage[], stated: (s: Stage) => string | null): AppServerConfig[] {
  const other = running.filter((s) => plain.stages.includes(s.name) && stated(s) !== null && stated(s) !== f.env);
  const envs = [...new Set(other.map((s) => stated(s)!))].sort();
  if (!envs.length) return [plain];
  const key = (c: AppServerConfig) => JSON.stringify({ ...c, env: null, stages: [] });
  const out: AppServerConfig[] = [];
  const moved: string[] = [];
  for (const env of envs) {
    const stages = other.filter((s) => stated(s) === env).map((s) => s.name);
    const cfg = read(env, { file: f.file, env, stages });
    if (key(cfg) === key(plain)) continue;
    out.push(cfg);
    moved.push(...stages);
  }
  const rest = { ...plain, stages: plain.stages.filter((s) => !moved.includes(s)) };
  return rest.stages.length || !plain.stages.length || !out.length ? [rest, ...out] : out;
}

/**
 * The Rails environment a stage's server evaluated its config with, as the deploy states it: the
 * stage's `rails_env` (set in a deploy file, or a modelled plugin's default), else a start line
 * naming this file that gives RAILS_ENV. Null when nothing says (the env came from the server).
 */
function statedRailsEnv(stage: Stage, lines: { railsEnv?: string; stage: string | null }[]): string | null {
  // Capistrano 2's own `_cset :rails_env, "production"` is what its recipes (deploy:migrate) ran
  // with, not what the repo's start line started the server with: that line, or the environment the
  // deploy exported (cap2DefaultEnv's evidence), decides; with neither, the server's own env did.
  // The stage's start line, where it decides the process's RAILS_ENV (startedRailsEnv): what the
  // config was evaluated with. A RACK_ENV-only line leaves RAILS_ENV to what follows.
  const started = startedRailsEnv(stage);
  if (started?.variable === "RAILS_ENV") return started.env;
  const cap2 = railsEnvIsCap2Default(stage);
  const v = cap2 ? undefined : stage.variables["rails_env"]?.value;
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "object" && v !== null && "sym" in v && typeof v.sym === "string") return v.sym;
  const own = lines.find((l) => l.stage === stage.name && l.railsEnv) ?? lines.find((l) => l.railsEnv);
  if (own?.railsEnv) return own.railsEnv;
  const exported = cap2 ? cap2DefaultEnv(stage) : null;
  return exported?.evidence && !exported.evidence.startLine ? exported.env : null;
}

/** A gem's locked version, and whether it comes from rubygems.org (not a git or path source). */
function lockedGem(ctx: AnalyzerContext, name: string): { version: string; fromRubygems: boolean } | null {
  if (!hasPath(ctx.repo, "Gemfile.lock")) return null;
  const read = ctx.repo.read("Gemfile.lock");
  if (!("text" in read)) return null;
  const lock = parseLockfile(read.text);
  const spec = lock.specs.find((s) => s.name === name);
  if (!spec) return null;
  const source = lock.sources[spec.source];
  return { version: spec.version, fromRubygems: source?.type === "GEM" && source.remotes.every((r) => /^https?:\/\/rubygems\.org\/?$/.test(r)) };
}

/**
 * RACK_ENV as the start lines naming a file set it (`unicorn -E x`, `RACK_ENV=x ...`): known only
 * when every such line sets the same one; a line that sets none leaves it to the server's ENV.
 */
function statedRackEnv(lines: { rackEnv?: string }[]): string | null {
  const envs = new Set(lines.map((l) => l.rackEnv ?? null));
  return lines.length > 0 && envs.size === 1 && !envs.has(null) ? [...envs][0]! : null;
}

/** The stages that run a file: those pointing at it; else those of its env; else those no other file of its kind serves. */
function runningStages(f: ConfigFile, byStage: Map<string, string[]>, files: ConfigFile[], stages: Stage[]): Stage[] {
  const pointing = byStage.get(f.file) ?? [];
  if (pointing.length) return stages.filter((s) => pointing.includes(s.name));
  const elsewhere = (s: Stage) => files.some((o) => o.kind === f.kind && o.file !== f.file && ((byStage.get(o.file) ?? []).includes(s.name) || o.env === railsEnvOf(s)));
  if (f.env !== null) return stages.filter((s) => railsEnvOf(s) === f.env && !elsewhere(s));
  return stages.filter((s) => !elsewhere(s));
}

/** capistrano3-puma's rendered configs, one per group of stages that render the same. */
function pumaPluginConfigs(ctx: AnalyzerContext, stages: Stage[]): AppServerConfig[] {
  const out: AppServerConfig[] = [];
  for (const stage of stages) {
    const template = pumaTemplatePaths(stage.name).find((p) => hasPath(ctx.repo, p));
    const read = template ? ctx.repo.read(template) : null;
    const cfg = template && read && "text" in read ? renderedPumaTemplate(ctx, template, read.text, stage) : pumaPluginConfig(stage);
    const key = (c: AppServerConfig) => JSON.stringify({ ...c, stages: [] });
    const same = out.find((o) => key(o) === key(cfg));
    if (same) same.stages.push(stage.name);
    else out.push(cfg);
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

/** A value in words (formatValue: `ENV["X"]`, `<unknown: …>`), never the model's JSON. */
function describe(v: RValue): string {
  const s = formatValue(v);
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}
