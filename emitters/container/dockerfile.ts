// The Dockerfile: base → build → final, as the Rails generator's Dockerfile lays it out, with the
// packages, Bundler, groups, Node and private sources of this app. Rules: rules.ts; packages: packages.ts.
import type { Answers, AppModel, EmitResult, RValue, Source } from "../../src/model.js";
import { APP_DIR, APP_PORT, APP_UID, ENTRYPOINT, PUMA_CONTAINER_CONFIG, SOCKET_DIR, UNICORN_CONTAINER_CONFIG, UNICORN_SOCKET } from "../contract.js";
import { ADAPTER_GEMS, packagesFor, type Base } from "./packages.js";
import {
  baseOf,
  bundlerCredentialEnv,
  bundleWithout,
  defaultNodeVersion,
  slimDistro,
  type Distro,
  DEFAULT_RUBY_VERSION,
  NODE_VERSION_ANSWER,
  nodeAtRuntime,
  PRIVATE_GEMS_SSH_ANSWER,
  answerBool,
  answerString,
  privateSources,
  assetsPrefix,
  RUBY_VERSION_ANSWER,
  rubyTag,
  SIDECAR_ANSWER,
  sidecarDefault,
} from "./rules.js";
import { versionAtLeast } from "./version.js";
import { checked, GEM_VERSION, shellWord, shellWords } from "../encode/shell.js";
import { dockerComment, dockerPair, dockerPath, dockerQuoted, imageTag } from "../encode/dockerfile.js";
import { ANSWERS_FILE } from "../../src/model/answers.js";
import { RefusedInput } from "../encode/refuse.js";
import { appServerKind, replacedWebServer, WEB_SERVER_ANSWER } from "../app-server.js";
import { appName } from "../kustomize/names.js";
import { webServerArgs } from "../kustomize/rules/web.js";

/** The JS lockfiles analyzers/rails/assets.ts names a package manager by. */
const JS_LOCKFILES = new Set(["yarn.lock", "package-lock.json", "pnpm-lock.yaml", "bun.lockb", "bun.lock"]);

export const DOCKERFILE = "Dockerfile";
/** bootsnap's cache, precompiled in the build: under the app, outside tmp/ (an emptyDir in the pod). */
export const BOOTSNAP_CACHE_DIR = `${APP_DIR}/.bootsnap`;

/** Unicorn with the nginx sidecar listens on the shared socket (unicorn-config.ts), not on a port. */
const listensOnSocket = (model: AppModel, answers: Answers, kind: "unicorn" | "puma" | "passenger"): boolean =>
  kind === "unicorn" && answerBool(answers, SIDECAR_ANSWER, sidecarDefault(model).keep);

/**
 * A Dockerfile that cannot build is never written: without Gemfile.lock, `bundle install` in
 * deployment mode refuses to run, and an image whose server gem is not in the bundle cannot start.
 * Both stop migrate (exit 2, nothing written) with the fix.
 */
function refuseUnbuildable(model: AppModel, kind: "unicorn" | "puma" | "passenger"): void {
  const r = model.rails;
  if (r.lockfilePresent === false)
    throw new RefusedInput({ file: "Gemfile", line: 0 }, "no Gemfile.lock beside it: commit Gemfile.lock (run `bundle lock` and add it to git); the image installs exactly the locked gems, and Bundler's deployment mode refuses to run without it");
  if (r.lockfilePresent === true && !r.gems[kind]) {
    // The servers ran Passenger or Thin: the message names what the deploy ran, and the choice.
    const replaced = replacedWebServer(model);
    if (replaced?.was === "passenger")
      throw new RefusedInput(
        replaced.source,
        `the deploy started Passenger, and Gemfile.lock holds none of passenger, puma, unicorn, so the image has no server to run. Add one to the Gemfile and run \`bundle lock\`: gem "passenger" (the image then runs Passenger Standalone, the server the deploy ran, with its numbers${replaced.pool ? `: ${replaced.pool}` : ""}); or gem "puma" (run with workers = that pool size and threads 1, 1, Passenger's one request per process); or gem "unicorn" (that many workers)`,
      );
    if (replaced) {
      throw new RefusedInput(
        replaced.source,
        `the deploy started Thin, which has no container config here, so the image runs Puma or Unicorn in its place, and Gemfile.lock holds neither: add one to the Gemfile (gem "puma", or gem "unicorn") and run \`bundle lock\`, then check its worker and thread counts against what Thin ran`,
      );
    }
    const config = model.appServers.find((a) => a.kind === kind)?.file;
    const evidence = model.webServer?.answered?.source ?? (config ? { file: config, line: 1 } : { file: "Gemfile", line: 0 });
    // Nothing says which server ran: the image's choice is a default, and said to be one.
    const answered = model.webServer?.answered;
    const why = answered ? answered.value : model.webServer?.kind === kind ? "the deploy started it" : config ? `${config} configures it` : `nothing in the repo says which web server ran: answer ${WEB_SERVER_ANSWER}`;
    throw new RefusedInput(evidence, `the image starts ${kind} (${why}), which Gemfile.lock does not hold: add ${kind} to the Gemfile (gem "${kind}") and run \`bundle lock\``);
  }
}
const BUNDLE_PATH = "/usr/local/bundle";
const BASE_RUNTIME: Record<Base, number> = { slim: packagesFor({}, "slim").runtime.length, alpine: packagesFor({}, "alpine").runtime.length };

type Out = Pick<EmitResult, "provenance" | "notes">;

/** A host name as DNS spells it: anything else is not a host a gem source can name. */
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;

/** Where an answer came from, for a refusal: the answers file (its line is not kept). */
const answerSource = { file: ANSWERS_FILE, line: 0 };

/** `RUN a && \ b && \ c` with one command per line. */
function run(cmds: string[], mounts: string[] = []): string {
  const head = ["RUN", ...mounts].join(" ");
  if (cmds.length === 1 && mounts.length === 0) return `${head} ${cmds[0]}`;
  return `${head} \\\n    ${cmds.join(" && \\\n    ")}`;
}

function installPackages(base: Base, pkgs: string[], distro: Distro): string[] {
  if (pkgs.length === 0) return [];
  if (base === "alpine") return [`apk add --no-cache ${shellWords(pkgs)}`];
  // An archived Debian: its packages are on archive.debian.org, its Release files long expired.
  const archived = distro.archived
    ? [`sed -i -e 's|deb.debian.org|archive.debian.org|g' -e 's|security.debian.org|archive.debian.org|g' -e '/-updates/d' /etc/apt/sources.list`]
    : [];
  const update = distro.archived ? "apt-get -o Acquire::Check-Valid-Until=false update -qq" : "apt-get update -qq";
  return [...archived, update, `apt-get install --no-install-recommends -y ${shellWords(pkgs)}`, "rm -rf /var/lib/apt/lists /var/cache/apt/archives"];
}

/** Every ENV name a value reads, with whether it has a default. */
function envReads(v: RValue, acc: { env: string; hasDefault: boolean }[] = []): { env: string; hasDefault: boolean }[] {
  if (Array.isArray(v)) v.forEach((x) => envReads(x, acc));
  else if (v && typeof v === "object") {
    if ("env" in v && typeof (v as { env: unknown }).env === "string") acc.push({ env: (v as { env: string }).env, hasDefault: (v as { default: RValue }).default !== null });
    else if ("interp" in v && Array.isArray((v as { interp: unknown }).interp)) envReads((v as { interp: RValue[] }).interp, acc);
    else if (!("unknown" in v)) Object.values(v as Record<string, RValue>).forEach((x) => envReads(x, acc));
  }
  return acc;
}

export function emitDockerfile(model: AppModel, answers: Answers, out: Out): string {
  const base = baseOf(answers);
  const r = model.rails;
  const prov = (what: string, source: Source) => out.provenance.push({ output: DOCKERFILE, what, source });
  const note = (message: string, source?: Source) => out.notes.push(source ? { message, source } : { message });

  // --- Facts ------------------------------------------------------------------------------------
  // JRuby (or another Ruby that is not MRI): no official ruby image runs the app, and no answer makes one.
  if (r.rubyEngine)
    throw new RefusedInput(r.rubyEngine.source, `ruby.not-mri: the app runs on ${r.rubyEngine.value}, not MRI, and the image is built FROM the official ruby (MRI) image, which cannot run it. Move the app to MRI first (a .ruby-version naming an MRI version and a Gemfile.lock resolved for the ruby platform), then run migrate again`);
  const ruby = imageTag(
    r.rubyVersion ? rubyTag(r.rubyVersion.value) : answerString(answers, RUBY_VERSION_ANSWER, DEFAULT_RUBY_VERSION),
    r.rubyVersion?.source ?? answerSource,
    "the Ruby version",
  );
  if (r.rubyVersion) prov(`Ruby ${ruby}${r.rubyFrom ? `, the deploy's ${r.rubyFrom} (the repo has no .ruby-version nor RUBY VERSION)` : ""} → ARG RUBY_VERSION (ruby:${ruby}-${base})`, r.rubyVersion.source);
  else note(`no .ruby-version nor RUBY VERSION in Gemfile.lock: the image uses Ruby ${ruby} (answer ${RUBY_VERSION_ANSWER})`);
  if (!versionAtLeast(ruby, "2.6"))
    note(`Ruby ${ruby} is long past its end of life: the ruby:${ruby}-${base} image is built on an archived distribution whose package sources no longer answer; point them at the archive or upgrade Ruby first`, r.rubyVersion?.source);

  const kind = appServerKind(model);
  refuseUnbuildable(model, kind);
  const gems: Record<string, string> = Object.fromEntries(Object.entries(r.gems).map(([g, f]) => [g, f.value]));
  const prodAdapter = r.database?.adapters["production"] ?? Object.values(r.database?.adapters ?? {})[0] ?? null;
  const adapter = typeof prodAdapter?.value === "string" ? prodAdapter.value : null;
  if (adapter && ADAPTER_GEMS[adapter] && !(ADAPTER_GEMS[adapter]! in gems)) gems[ADAPTER_GEMS[adapter]!] = "0";
  const pk = packagesFor(gems, base);
  for (const { gem, why } of pk.reasons) prov(`${why} → packages`, r.gems[gem]?.source ?? prodAdapter!.source);

  const without = bundleWithout(model);
  const leftOut = Object.entries(r.gemGroups).find(([, gs]) => gs.length > 0 && gs.every((g) => without.groups.includes(g)));
  prov(`gem groups not run in production → BUNDLE_WITHOUT ${without.groups.join(":")}`, (leftOut && r.gems[leftOut[0]]?.source) || { file: "Gemfile", line: 1 });
  for (const k of without.deployGemsKept)
    note(`${k.gem} (a deploy tool) is in group ${k.groups.join(", ") || "default"}: it is installed in the image; move it to a :development or :deploy group`, r.gems[k.gem]?.source);

  const nodeBuild = r.assets.needsNode.value;
  const nodeRun = nodeAtRuntime(model);
  const pm = r.assets.packageManager?.value ?? null;
  const frontend = r.assets.frontend ?? null;
  const pinnedNode = frontend?.nodeVersion ?? null;
  // The user's explicit answer wins over the repo's pin; the disagreement is said, with the pin's line.
  const nodeAnswered = answers[NODE_VERSION_ANSWER] !== undefined;
  const nodeVersion = pinnedNode && !nodeAnswered
    ? imageTag(pinnedNode.value, pinnedNode.source, "the Node version")
    : imageTag(answerString(answers, NODE_VERSION_ANSWER, defaultNodeVersion(ruby)), answerSource, `answer ${NODE_VERSION_ANSWER}`);
  if (nodeBuild && pinnedNode && nodeAnswered && nodeVersion !== pinnedNode.value)
    note(`Node ${nodeVersion} (answer ${NODE_VERSION_ANSWER}) is used, though the repo pins Node ${pinnedNode.value} at ${pinnedNode.source.file}:${pinnedNode.source.line}: check which one the servers ran`, pinnedNode.source);
  if (nodeBuild && nodeAnswered) prov(`Node ${nodeVersion} (answer ${NODE_VERSION_ANSWER}) → ARG NODE_VERSION`, answerSource);
  else if (nodeBuild && pinnedNode) prov(`Node ${nodeVersion} (pinned by the repo) → ARG NODE_VERSION`, pinnedNode.source);
  else if (nodeBuild && answers[NODE_VERSION_ANSWER] === undefined)
    note(`Node ${nodeVersion} is this tool's default (answer ${NODE_VERSION_ANSWER}): the repo pins no Node version (.node-version, .nvmrc, .tool-versions, package.json engines); pin the one the servers ran`, r.assets.needsNode.source);
  const distro: Distro = base === "alpine" ? slimDistro("9") : slimDistro(ruby);
  if (distro.maxNode !== null && parseInt(nodeVersion, 10) > distro.maxNode)
    note(`Node ${nodeVersion} does not run on ruby:${ruby}-slim (Debian ${distro.codename}, glibc too old): Node ${distro.maxNode} is the newest that does`, r.assets.needsNode.source);
  if (nodeBuild) prov(`assets need Node → Node ${nodeVersion} in the build stage${pm ? `, ${pm} install` : ""}`, r.assets.needsNode.source);
  if (pm) prov(`${pm} lockfile → JS install in the build stage`, r.assets.packageManager!.source);
  if (nodeRun) note("ExecJS is required when the app boots (uglifier/sass in the default group): the final image keeps the node binary as its JavaScript runtime", r.gems["execjs"]?.source);

  const sources = privateSources(model);
  for (const s of sources) {
    if (s.kind === "path") dockerPath(s.where, s.fact.source, "the path gem source");
    else checked(s.where, HOST, "the gem source host", s.fact.source, "a host name");
  }
  const useSsh = answerBool(answers, PRIVATE_GEMS_SSH_ANSWER, true);
  const sshHosts = [...new Set(sources.filter((s) => s.kind === "ssh").map((s) => s.where))].sort();
  // git:// is anonymous, public repos only: fetched over https with no credential (no build secret).
  const httpsHosts = [...new Set(sources.filter((s) => s.kind === "https" && !s.gitProtocol).map((s) => s.where))].sort();
  const paths = [...new Set(sources.filter((s) => s.kind === "path").map((s) => s.where))].sort();
  for (const s of sources)
    prov(
      `gem source ${s.fact.value} → ${s.kind === "path" ? "copied before bundle install" : s.gitProtocol ? `fetched over https (git config url.insteadOf: ${s.where} no longer serves git://), no credential` : s.kind === "ssh" && useSsh ? "RUN --mount=type=ssh" : "RUN --mount=type=secret"}`,
      s.fact.source,
    );

  const bootsnap = r.gems["bootsnap"]?.value ?? null;
  const bootsnapCli = bootsnap && versionAtLeast(bootsnap, "1.5.0");
  const rails = r.railsVersion?.value ?? null;
  const pipelines = r.assets.pipeline.map((p) => p.value).filter((p) => p !== "none");
  const nokogiriOld = "nokogiri" in gems && !versionAtLeast(gems["nokogiri"]!, "1.11.0");

  // --- Stages -----------------------------------------------------------------------------------
  // The image's name, as the overlays' `images:` call it: a DNS label, never the repo's raw text.
  const app = appName(model);
  const L: string[] = [];
  L.push("# syntax=docker/dockerfile:1");
  L.push(dockerComment(`The image of ${app}, written by rails2k8s from the repo (see MIGRATION.md for where each value came from).`));
  const secretHostsForFlags = [...new Set([...(useSsh ? [] : sshHosts), ...httpsHosts])];
  const buildFlags = [
    ...(sshHosts.length && useSsh ? ["--ssh default"] : []),
    ...secretHostsForFlags.map((h) => `--secret id=${bundlerCredentialEnv(h)},env=${bundlerCredentialEnv(h)}`),
  ];
  L.push(dockerComment(`Build: docker build ${[...buildFlags, `-t ${app}`].join(" ")} .`));
  L.push("");
  L.push(`ARG ${dockerPair("RUBY_VERSION", ruby, r.rubyVersion?.source ?? answerSource)}`);
  if (nodeBuild) L.push(`ARG ${dockerPair("NODE_VERSION", nodeVersion, answerSource)}`);
  L.push("");
  if (nodeBuild) {
    L.push("# Node comes from its official image: the same binary on amd64 and arm64.");
    L.push(`FROM node:\${NODE_VERSION}-${base === "alpine" ? "alpine" : "slim"} AS node`);
    if (pm === "bun") L.push(`FROM oven/bun:1${base === "alpine" ? "-alpine" : "-slim"} AS bun`);
    L.push("");
  }

  L.push("# base: what both the build and the final image share.");
  L.push(`FROM ruby:\${RUBY_VERSION}-${base} AS base`);
  L.push(`WORKDIR ${APP_DIR}`);
  const runtimeFor = pk.reasons.filter((x) => packagesFor({ [x.gem]: gems[x.gem]! }, base).runtime.length > BASE_RUNTIME[base]).map((x) => x.gem);
  L.push(dockerComment(`Runtime packages: ${runtimeFor.length ? runtimeFor.join(", ") + "; " : ""}jemalloc, linked at a path that is the same on every architecture.`));
  const jemalloc =
    base === "alpine"
      ? "ln -s /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so"
      : `ln -s "/usr/lib/$(uname -m)-linux-gnu/${distro.jemalloc.so}" /usr/local/lib/libjemalloc.so`;
  const runtimePkgs = base === "alpine" ? pk.runtime : pk.runtime.map((p) => (p === "libjemalloc2" ? distro.jemalloc.pkg : p));
  L.push(run([...installPackages(base, runtimePkgs, distro), jemalloc]));
  L.push("");
  // Bundler 1.x reads BUNDLE_WITHOUT as a colon-separated list; 2.x accepts colons too.
  const gemfile = { file: "Gemfile", line: 1 };
  const imageEnv: [string, string][] = [["RAILS_ENV", "production"], ["BUNDLE_DEPLOYMENT", "1"], ["BUNDLE_PATH", BUNDLE_PATH], ["BUNDLE_WITHOUT", without.groups.join(":")]];
  // bootsnap's cache outside tmp/, which is an emptyDir in the pod: the cache precompiled here survives.
  if (bootsnapCli) imageEnv.push(["BOOTSNAP_CACHE_DIR", BOOTSNAP_CACHE_DIR]);
  L.push(`ENV ${imageEnv.map(([k, v]) => dockerPair(k, v, gemfile, true)).join(" \\\n    ")}`);
  if (r.bundlerVersion) {
    const bundler = checked(r.bundlerVersion.value, GEM_VERSION, "BUNDLED WITH", r.bundlerVersion.source);
    L.push(dockerComment(`Bundler as locked (BUNDLED WITH ${bundler}).`));
    L.push(run([`gem install bundler -v ${shellWord(bundler)} --no-document`]));
    prov(`BUNDLED WITH ${r.bundlerVersion.value} → gem install bundler -v ${r.bundlerVersion.value}`, r.bundlerVersion.source);
  } else note("Gemfile.lock has no BUNDLED WITH: the image uses the Bundler that comes with Ruby");
  L.push("");

  L.push("# build: gems, JS packages and assets; none of its tools reach the final image.");
  L.push("FROM base AS build");
  const buildPkgs = [...pk.build, ...(sshHosts.length && useSsh ? ["openssh-client"] : []), ...(nodeBuild && base === "alpine" ? ["libstdc++"] : [])];
  L.push(run(installPackages(base, buildPkgs, distro)));
  if (nodeBuild) {
    L.push("COPY --from=node /usr/local/bin/node /usr/local/bin/node");
    L.push("COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules");
    const links = [
      "ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm",
      "ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx",
      "ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack",
    ];
    if (pm === "yarn" || pm === "pnpm") links.push(`corepack enable ${pm}`);
    L.push(run(links));
    if (pm === "yarn" || pm === "pnpm") L.push('ENV COREPACK_ENABLE_DOWNLOAD_PROMPT="0"');
    if (pm === "bun") L.push("COPY --from=bun /usr/local/bin/bun /usr/local/bin/bun");
  }
  L.push("");
  L.push("# Gems first: this layer is rebuilt only when the lockfile changes.");
  L.push("COPY Gemfile Gemfile.lock ./");
  for (const p of paths) L.push(`COPY ${p} ${p}`); // checked by dockerPath above
  if (sshHosts.length && useSsh) {
    L.push("# Host keys of the private git servers (fetched at build time; pin them here if your policy asks).");
    L.push(run([`mkdir -p ~/.ssh`, "chmod 0700 ~/.ssh", `ssh-keyscan ${shellWords(sshHosts)} >> ~/.ssh/known_hosts`]));
  }
  const mounts = [`--mount=type=cache,id=${app}-gems,target=/root/.bundle/cache`];
  const preInstall: string[] = [];
  if (sshHosts.length && useSsh) mounts.push("--mount=type=ssh");
  const secretHosts = [...(useSsh ? [] : sshHosts), ...httpsHosts];
  for (const h of [...new Set(secretHosts)]) mounts.push(`--mount=type=secret,id=${bundlerCredentialEnv(h)},env=${bundlerCredentialEnv(h)}`);
  for (const h of [...new Set(sources.filter((s) => s.gitProtocol).map((s) => s.where))].sort()) preInstall.push(`git config --global ${shellWord(`url.https://${h}/.insteadOf`)} ${shellWord(`git://${h}/`)}`);
  if (!useSsh) for (const h of sshHosts) preInstall.push(`git config --global ${shellWord(`url.https://${h}/.insteadOf`)} ${shellWord(`git@${h}:`)}`);
  const installEnv = ["BUNDLE_GLOBAL_GEM_CACHE=1", ...(nokogiriOld ? ['BUNDLE_BUILD__NOKOGIRI="--use-system-libraries"'] : [])];
  const install = [
    ...preInstall,
    `${installEnv.join(" ")} bundle install`,
    // Cached .gem files and the history of git-sourced gems are not needed to run.
    `rm -rf "\${BUNDLE_PATH}"/ruby/*/cache "\${BUNDLE_PATH}"/ruby/*/bundler/gems/*/.git`,
  ];
  // -j 1: parallel precompile hangs under QEMU when building for another architecture.
  const bootsnapJobs = bootsnap && versionAtLeast(bootsnap, "1.6.0") ? " -j 1" : "";
  if (bootsnapCli) install.push(`bundle exec bootsnap precompile${bootsnapJobs} --gemfile`);
  // Passenger Standalone starts with --no-install-runtime: its agent must be in the bundle already.
  if (kind === "passenger") install.push("bundle exec passenger-config install-agent --auto --brief");
  L.push(run(install, mounts));
  if (bootsnap) {
    if (bootsnapCli) prov(`bootsnap ${bootsnap} → bootsnap precompile${bootsnapJobs}`, r.gems["bootsnap"]!.source);
    else note(`bootsnap ${bootsnap} has no precompile command (1.5+): its cache is built when the app first boots`, r.gems["bootsnap"]!.source);
  }
  if (sshHosts.length && useSsh)
    note(`private gems from ${sshHosts.join(", ")} are fetched over SSH with the builder's agent (docker build --ssh default); no key enters a layer`, sources.find((s) => s.kind === "ssh")!.fact.source);
  if (secretHosts.length)
    note(`credentials for ${secretHosts.join(", ")} come from build secrets (${secretHosts.map(bundlerCredentialEnv).join(", ")}), read by Bundler only during bundle install; they never enter a layer`);

  if (pm) {
    // The lockfile the analysis found (its source names it); none → package.json alone, since a
    // COPY of a file the repo lacks fails the build, and the frozen installs refuse to run without one.
    const found = r.assets.packageManager!.source.file;
    const lock = JS_LOCKFILES.has(found) ? found : null;
    const cache = {
      yarn: ["/usr/local/share/.cache/yarn", "/root/.yarn/berry/cache"],
      npm: ["/root/.npm"],
      pnpm: ["/root/.local/share/pnpm/store"],
      bun: ["/root/.bun/install/cache"],
    }[pm];
    const berry = pm === "yarn" && !!frontend?.yarnBerry?.value;
    if (berry) prov("yarn 2+ (berry) → yarn install --immutable", frontend!.yarnBerry!.source);
    const cmd = lock
      ? { yarn: berry ? "yarn install --immutable" : "yarn install --frozen-lockfile", npm: "npm ci", pnpm: "pnpm install --frozen-lockfile", bun: "bun install --frozen-lockfile" }[pm]
      : { yarn: "yarn install", npm: "npm install", pnpm: "pnpm install", bun: "bun install" }[pm];
    if (!lock) note(`no JS lockfile in the repo (yarn.lock, package-lock.json, pnpm-lock.yaml, bun.lock): \`${cmd}\` resolves package.json's ranges at each build, so two builds may get different packages; commit a lockfile to pin them`, r.assets.packageManager!.source);
    L.push("");
    L.push(lock ? "# JS packages next, from their lockfile." : "# JS packages next (no lockfile in the repo: resolved from package.json).");
    L.push(`COPY ${lock ? `package.json ${lock}` : "package.json"} ./`);
    // yarn 2+ reads its settings and its own release from the repo before it installs anything.
    for (const f of berry ? frontend?.installFiles ?? [] : []) L.push(`COPY ${dockerPath(f, frontend!.yarnBerry!.source, "a yarn file")} ${f}`);
    L.push(run([cmd], cache.map((c, i) => `--mount=type=cache,id=${app}-${pm}${i ? i : ""},target=${c}`)));
  }
  L.push("");
  L.push("# Then the code.");
  L.push("COPY . .");
  if (bootsnapCli) L.push(run([`bundle exec bootsnap precompile${bootsnapJobs} app/ lib/`]));
  L.push(...frontendSteps(model, pm, out));

  if (pipelines.length) {
    const railsMajorAtLeast = (v: string) => rails !== null && versionAtLeast(rails, v);
    const env: string[] = [];
    if (railsMajorAtLeast("7.1")) env.push("SECRET_KEY_BASE_DUMMY=1");
    else env.push("SECRET_KEY_BASE=precompile-only-not-a-secret");
    // Apps whose database.yml is a linked file on the servers have none in the repo: Rails (4.2
    // at least) refuses to boot without one, so the build gets a URL it never connects to.
    const dbFile = r.database?.file ?? null;
    if (dbFile && dbFile !== "config/database.yml" && adapter) {
      const scheme = adapter === "postgis" ? "postgis" : adapter;
      env.push(`DATABASE_URL=${shellWord(scheme === "sqlite3" ? "sqlite3:tmp/precompile.sqlite3" : `${scheme}://precompile@127.0.0.1/precompile`)}`);
      note(`config/database.yml is not in the repo (only ${dbFile}): assets:precompile gets a placeholder DATABASE_URL it never connects to`, prodAdapter!.source);
    }
    const task = rails !== null && !versionAtLeast(rails, "5.0") ? "bundle exec rake assets:precompile" : "bundle exec rails assets:precompile";
    L.push(`# Assets, with a placeholder secret: ${railsMajorAtLeast("7.1") ? "Rails 7.1+ takes SECRET_KEY_BASE_DUMMY" : "this Rails needs SECRET_KEY_BASE set to boot"}.`);
    const steps = [`${env.join(" ")} ${task}`];
    // The packages were for the build: the final image copies the app directory, not them.
    const modules = [...(pm ? ["node_modules"] : []), ...frontendDirs(model).map((d) => `${d}/node_modules`)];
    if (modules.length) steps.push(`rm -rf ${shellWords(modules)}`);
    L.push(run(steps));
    prov(`asset pipeline ${pipelines.join(", ")} → assets:precompile`, r.assets.pipeline[0]!.source);
    const prefix = assetsPrefix(model);
    if (prefix) prov(`assets prefix ${prefix.path} (${prefix.via}) → assets:precompile writes public${prefix.path}, served at ${prefix.path}/`, prefix.source);
    if (r.railsVersion) prov(`Rails ${rails} → ${railsMajorAtLeast("7.1") ? "SECRET_KEY_BASE_DUMMY=1" : "placeholder SECRET_KEY_BASE"} for assets:precompile`, r.railsVersion.source);
    // Settings read from ENV while the app boots make the precompile fail when they have no default.
    const reads = new Map<string, Source>();
    for (const ns of model.global?.namespaces ?? [])
      for (const v of Object.values(ns.values)) for (const e of envReads(v)) if (!e.hasDefault && !reads.has(e.env)) reads.set(e.env, { file: ns.files[0] ?? model.global!.dir, line: 1 });
    for (const [env, source] of reads)
      note(`the app reads ENV ${env} while it boots (Global ${source.file}); if that read has no default (ENV.fetch without one), assets:precompile fails in the build — give it a placeholder there (e.g. ${env}=precompile on the RUN line) or a default`, source);
  } else {
    note("no asset pipeline found: the image skips assets:precompile");
    const modules = frontendDirs(model).map((d) => `${d}/node_modules`);
    if (modules.length) L.push(run([`rm -rf ${shellWords(modules)}`]));
  }

  L.push("");
  L.push("# final: the runtime packages, the bundle and the app; runs as a non-root user.");
  L.push("FROM base");
  if (nodeRun) L.push("COPY --from=node /usr/local/bin/node /usr/local/bin/node");
  L.push(`COPY --from=build "\${BUNDLE_PATH}" "\${BUNDLE_PATH}"`);
  L.push(`COPY --from=build ${APP_DIR} ${APP_DIR}`);
  const dataDirs = model.linked.filter((l) => l.kind === "dir" && l.class === "data").map((l) => l.path.replace(/\/+$/, ""));
  const writable = [...new Set(["tmp", "log", ...dataDirs])];
  for (const l of model.linked.filter((l) => l.kind === "dir" && l.class === "data"))
    prov(`linked dir ${l.path} → writable by the app user (mount a volume or move to object storage)`, l.source);
  L.push(dockerComment(`Only the runtime directories are writable: ${writable.join(", ")} and the socket directory shared with nginx.`));
  const user =
    base === "alpine"
      ? `addgroup -S -g ${APP_UID} rails && adduser -S -D -u ${APP_UID} -G rails -h /home/rails -s /bin/sh rails`
      : `groupadd --system --gid ${APP_UID} rails && useradd rails --uid ${APP_UID} --gid ${APP_UID} --create-home --shell /bin/bash`;
  L.push(run([user, `mkdir -p ${shellWords(writable)} tmp/pids ${SOCKET_DIR}`, `chown -R ${APP_UID}:${APP_UID} ${shellWords(writable)} ${SOCKET_DIR}`]));
  if (bootsnapCli) {
    L.push("# The root filesystem is read-only: bootsnap reads the cache precompiled above and never writes.");
    L.push('ENV BOOTSNAP_READONLY="1"');
    prov(`bootsnap ${bootsnap} → BOOTSNAP_CACHE_DIR ${BOOTSNAP_CACHE_DIR} (outside the tmp emptyDir), BOOTSNAP_READONLY`, r.gems["bootsnap"]!.source);
  }
  L.push(`USER ${APP_UID}:${APP_UID}`);
  L.push("");
  L.push("# The entrypoint clears a stale pid and preloads jemalloc; migrations run in their own Job.");
  L.push(`ENTRYPOINT ["${APP_DIR}/${ENTRYPOINT}"]`);
  // EXPOSE what the server listens on: Unicorn behind the sidecar listens on a socket, no port.
  if (listensOnSocket(model, answers, kind)) L.push(dockerComment(`No EXPOSE: Unicorn listens on ${UNICORN_SOCKET}, shared with the nginx sidecar (which exposes its port).`));
  else L.push(`EXPOSE ${APP_PORT}`);
  if (kind === "unicorn") {
    L.push("# Unicorn stops gracefully on QUIT (TERM kills the workers at once).");
    L.push("STOPSIGNAL SIGQUIT");
    L.push(`CMD ["bundle", "exec", "unicorn", "-c", "${UNICORN_CONTAINER_CONFIG}"]`);
  } else if (kind === "passenger") {
    L.push("# Passenger Standalone drops requests in flight on TERM: the pod's preStop drains it first.");
    L.push(`CMD ${JSON.stringify(webServerArgs("passenger", UNICORN_CONTAINER_CONFIG, PUMA_CONTAINER_CONFIG))}`);
  } else L.push(`CMD ["bundle", "exec", "puma", "-C", "${PUMA_CONTAINER_CONFIG}"]`);
  return L.join("\n") + "\n";
}

/** The subdirectories the carried front-end steps ran in (checked as COPY-safe paths in frontendSteps). */
const frontendDirs = (model: AppModel): string[] => [...new Set((model.rails.assets.frontend?.steps ?? []).filter((s) => !s.uncarried && s.dir).map((s) => s.dir))];

/** Lockfiles per package manager, for an install the deploy ran in a subdirectory. */
const LOCK_OF: [string, string, string][] = [
  ["package-lock.json", "npm", "npm ci"],
  ["yarn.lock", "yarn", "yarn install --frozen-lockfile"],
  ["pnpm-lock.yaml", "pnpm", "pnpm install --frozen-lockfile"],
];

/**
 * The Node commands the deploy ran before assets:precompile (analyzers/rails/frontend.ts), in its
 * order, each in its directory with the environment the deploy gave it. An install at the root is
 * the lockfile install above; one in a subdirectory is repeated there, frozen to its lockfile.
 */
function frontendSteps(model: AppModel, pm: string | null, out: Out): string[] {
  const steps = model.rails.assets.frontend?.steps.filter((s) => !s.uncarried) ?? [];
  if (!steps.length) return [];
  const L: string[] = [""];
  L.push(dockerComment(`The front-end build the deploy ran on the servers (${[...new Set(steps.map((s) => `${s.source.file}:${s.source.line}`))].join(", ")}), before assets:precompile as there.`));
  const dirs = frontendDirs(model).map((d) => dockerPath(d, steps.find((s) => s.dir === d)!.source, "the build directory"));
  // Tools such as gulp come from the packages installed above, not from a global install.
  L.push(`ENV PATH="${[...dirs.map((d) => `${APP_DIR}/${d}/node_modules/.bin`), `${APP_DIR}/node_modules/.bin`].join(":")}:$PATH"`);
  for (const s of steps) {
    const where = `${s.source.file}:${s.source.line}`;
    if (s.install && !s.dir) {
      out.provenance.push({ output: DOCKERFILE, what: `${s.argv.join(" ")} (deploy) → the lockfile install of the build stage${pm ? ` (${pm})` : ""}`, source: s.source });
      // What the lockfile install does not repeat: the deploy's flags (--production left devDependencies
      // out) and its environment (a registry, a token), named so nobody thinks they were kept.
      const flags = s.argv.slice(1).filter((w) => w.startsWith("-"));
      const env = Object.keys(s.env);
      if (flags.length || env.length)
        out.notes.push({ message: `\`${s.argv.join(" ")}\` (deploy) is replaced by the lockfile install of the build stage, which drops ${[flags.length ? `its flags ${flags.join(" ")}` : "", env.length ? `its environment ${env.join(", ")} (e.g. :npm_env_variables / :yarn_env_variables)` : ""].filter(Boolean).join(" and ")}${flags.includes("--production") ? "; the image's install includes devDependencies" : ""}: add them to the Dockerfile's install if the build needs them`, source: s.source });
      continue;
    }
    let argv = s.argv.map((w) => checked(w, /^[A-Za-z0-9_@%+=:,./-]+$/, "a word of the deploy's front-end command", s.source, "a plain word"));
    if (s.install) {
      const lock = LOCK_OF.find(([f, tool]) => tool === argv[0] && model.rails.assets.frontend!.lockfiles?.includes(`${s.dir}/${f}`));
      if (lock) argv = lock[2].split(" ");
      else out.notes.push({ message: `${s.dir}/ has no lockfile of ${argv[0]}: \`${argv.join(" ")}\` there resolves its package.json ranges at each build`, source: s.source });
    }
    // bower refuses to run as root, which the build stage is.
    if (argv[0] === "bower" && !argv.includes("--allow-root")) argv = [...argv, "--allow-root"];
    const env = Object.entries(s.env).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new RefusedInput(s.source, `environment name ${JSON.stringify(k)} is not a variable name; refusing to write it into the Dockerfile`);
      dockerQuoted(v, s.source, k); // refuses a line break, which a RUN line cannot carry
      return `${k}=${shellWord(v)}`;
    });
    const cmd = [...env, ...argv.map(shellWord)].join(" ");
    L.push(run([...(s.dir ? [`cd ${shellWord(s.dir)}`] : []), cmd]));
    out.provenance.push({ output: DOCKERFILE, what: `${s.argv.join(" ")}${s.dir ? ` in ${s.dir}/` : ""}${Object.keys(s.env).length ? ` with ${Object.keys(s.env).join(", ")}` : ""} (deploy, ${where}) → RUN before assets:precompile`, source: s.source });
  }
  return L;
}
