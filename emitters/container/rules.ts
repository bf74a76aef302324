// The container rules in one place: which facts of the model (and which answers) decide the image.
// Both the emitter and its gaps (src/gaps/container.ts) use them, so a default the wizard offers is
// the value the emitter would take.
import { appServerFor } from "../app-server.js";
import type { Answers, AppModel, AppServerConfig, Fact, NginxDirective, NginxFile, RValue, Source, Stage } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import type { Base } from "./packages.js";
import { versionAtLeast } from "./version.js";
import { isDeployGem } from "../../src/model/deploy-gems.js";

type Model = Omit<AppModel, "gaps">;

// --- Answers --------------------------------------------------------------------------------------

export const BASE_ANSWER = "container.base";
export const SIDECAR_ANSWER = "container.nginx_sidecar";
export const PRIVATE_GEMS_SSH_ANSWER = "container.private_gems_ssh";
export const RUBY_VERSION_ANSWER = "container.ruby_version";
export const NODE_VERSION_ANSWER = "container.node_version";

/** The Ruby used when the repo names none (asked as a gap). */
export const DEFAULT_RUBY_VERSION = "3.3";
/** Node for the asset build when the repo names none (asked as a gap). */
export const DEFAULT_NODE_VERSION = "22";

/**
 * The Debian under the official ruby:<version>-slim image. Old Rubies sit on releases whose
 * package sources moved to archive.debian.org (apt-get update fails on the usual mirrors), with
 * jemalloc 3 (libjemalloc1) on stretch, and a glibc (2.24) too old for Node 18+.
 */
export interface Distro {
  codename: "stretch" | "buster" | "current";
  archived: boolean;
  jemalloc: { pkg: string; so: string };
  /** The newest Node major whose official binary runs on this glibc. */
  maxNode: number | null;
}

export function slimDistro(rubyVersion: string): Distro {
  if (!versionAtLeast(rubyVersion, "2.4")) return { codename: "stretch", archived: true, jemalloc: { pkg: "libjemalloc1", so: "libjemalloc.so.1" }, maxNode: 16 };
  if (!versionAtLeast(rubyVersion, "2.6")) return { codename: "buster", archived: true, jemalloc: { pkg: "libjemalloc2", so: "libjemalloc.so.2" }, maxNode: null };
  return { codename: "current", archived: false, jemalloc: { pkg: "libjemalloc2", so: "libjemalloc.so.2" }, maxNode: null };
}

/** Node for the asset build: the default, or the newest that runs on the image's Debian. */
export function defaultNodeVersion(rubyVersion: string | null): string {
  const max = rubyVersion ? slimDistro(rubyVersion).maxNode : null;
  return max !== null && max < Number(DEFAULT_NODE_VERSION) ? String(max) : DEFAULT_NODE_VERSION;
}

export function answerString(answers: Answers, id: string, fallback: string): string {
  const v = answers[id];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : typeof v === "number" ? String(v) : fallback;
}

export function answerBool(answers: Answers, id: string, fallback: boolean): boolean {
  const v = answers[id];
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    if (/^(y|yes|true|on|1|keep)$/i.test(v.trim())) return true;
    if (/^(n|no|false|off|0|drop|edge)$/i.test(v.trim())) return false;
  }
  return fallback;
}

export function baseOf(answers: Answers): Base {
  return answerString(answers, BASE_ANSWER, "slim") === "alpine" ? "alpine" : "slim";
}

// --- Ruby, Bundler --------------------------------------------------------------------------------

/** `.ruby-version` may say `ruby-3.1.4` or `3.1.4p100`; the image tag wants `3.1.4`. */
export function rubyTag(v: string): string {
  return v.trim().replace(/^ruby-/, "").replace(/p\d+$/, "");
}

// --- Gem groups -----------------------------------------------------------------------------------

export { isDeployGem };

/** Groups a running app always needs: never left out of the image. */
function neededGroups(model: Model): Set<string> {
  const envs = model.stages.map(railsEnvOf);
  // `assets` (Rails 3/4.0 apps) is needed to precompile in the build stage.
  return new Set(["default", "production", "assets", ...envs]);
}

export interface Without {
  /** Groups for BUNDLE_WITHOUT, sorted. */
  groups: string[];
  /** Deploy gems that still end up in the image (in a group the app runs with). */
  deployGemsKept: { gem: string; groups: string[] }[];
}

/** development and test, plus every group that holds only deploy gems (e.g. `:deploy`). */
export function bundleWithout(model: Model): Without {
  const needed = neededGroups(model);
  const byGroup = new Map<string, string[]>();
  for (const [gem, groups] of Object.entries(model.rails.gemGroups))
    for (const g of groups) byGroup.set(g, [...(byGroup.get(g) ?? []), gem]);
  const out = new Set(["development", "test"]);
  for (const [g, gems] of byGroup) if (!needed.has(g) && gems.length > 0 && gems.every(isDeployGem)) out.add(g);
  const deployGemsKept = Object.entries(model.rails.gemGroups)
    .filter(([gem, groups]) => isDeployGem(gem) && (groups.length === 0 || groups.some((g) => !out.has(g))))
    .map(([gem, groups]) => ({ gem, groups }));
  return { groups: [...out].sort(), deployGemsKept };
}

// --- Stages, app server, nginx --------------------------------------------------------------------

/** The stage whose Rails env is production (else the one named production, else the first). */
export function productionStage(model: Model): Stage | null {
  return (
    model.stages.find((s) => s.name === "production") ?? model.stages.find((s) => railsEnvOf(s) === "production") ?? model.stages[0] ?? null
  );
}

/** The app server config the container runs: the one production uses. */
export function containerAppServer(model: Model): AppServerConfig | null {
  return appServerFor(model, productionStage(model));
}

/** The nginx config the sidecar starts from: the one rendered for production, else the first. */
/** Answer id: the sidecar's client_max_body_size when the app's template sets it with ERB no stage evaluates. */
export const BODY_SIZE_ANSWER = "nginx.client_max_body_size";

/** An nginx size (`20M`, `512k`, `0`): what an answer for client_max_body_size must be. */
export const NGINX_SIZE = /^\d+[kKmMgG]?$/;

/**
 * The client_max_body_size of the chosen nginx template that the analysis could not evaluate (its
 * ERB text was put back): left out, the pod's nginx would refuse uploads over its 1m default.
 */
export function unresolvedBodySize(model: Model): { source: NginxDirective["source"]; text: string } | null {
  const file = chosenNginxFile(model);
  if (!file || !(/\.erb$/.test(file.file) || file.template)) return null;
  const walk = (list: NginxDirective[]): NginxDirective | undefined => {
    for (const x of list) {
      if (x.name === "client_max_body_size" && x.args.some((a) => a.includes("<%") || a.includes("{{") || a.includes("{%"))) return x;
      const inner = x.block ? walk(x.block) : undefined;
      if (inner) return inner;
    }
    return undefined;
  };
  const found = walk(file.directives);
  return found ? { source: found.source, text: found.args.join(" ") } : null;
}

export function chosenNginxFile(model: Model): NginxFile | null {
  // An example copy (nginx.conf.example) is the config only where the repo has no real one.
  const real = model.nginx.files.filter((f) => !f.example);
  const files = real.length ? real : model.nginx.files;
  const prod = productionStage(model);
  // A plain file tied to production by its paths (one config per stage) before any other plain file.
  return files.find((f) => prod && f.stage === prod.name) ?? files.find((f) => prod && f.servesStage?.value === prod.name) ?? files.find((f) => f.stage === null) ?? files[0] ?? null;
}

export interface SidecarDefault {
  keep: boolean;
  why: string;
  source?: Source;
}

/** Keep nginx when it serves files (assets) or does what no edge can say; else let the edge replace it. */
export function sidecarDefault(model: Model): SidecarDefault {
  const file = chosenNginxFile(model);
  if (!file) {
    const other = (model.nginx.notServed ?? []).map((n) => n.file);
    return { keep: false, why: `no nginx config ${other.length ? `of the servers in the repo (${other.join(", ")}: no server's, not read)` : "in the repo"}: the edge talks to the app server directly` };
  }
  const assets = file.servers.flatMap((s) => s.locations).filter((l) => l.assets);
  if (assets.length)
    return {
      keep: true,
      why: `nginx serves precompiled assets itself (location ${assets[0]!.modifier ? assets[0]!.modifier + " " : ""}${assets[0]!.path} with cache headers); an edge cannot serve files`,
      source: assets[0]!.source,
    };
  const unportable = file.servers.flatMap((s) => s.unportable);
  if (unportable.length)
    return {
      keep: true,
      why: `nginx does what the edge cannot express: ${[...new Set(unportable.map((u) => u.value))].slice(0, 5).join(", ")}`,
      source: unportable[0]!.source,
    };
  return {
    keep: false,
    why: "nginx only proxies to the app server: the edge does that (Rails serves public/ itself)",
    source: file.servers[0]?.source,
  };
}

// --- Node -----------------------------------------------------------------------------------------

/** Gems that embed a JavaScript engine: ExecJS uses them instead of a node binary. */
const EMBEDDED_JS = ["mini_racer", "therubyracer", "therubyrhino"];

/**
 * ExecJS picks its runtime when it is required, and apps that keep uglifier/sass/coffee in the
 * default group require it at boot: without a JS runtime in the final image the app does not start.
 */
export function nodeAtRuntime(model: Model): boolean {
  const gems = model.rails.gems;
  return "execjs" in gems && !EMBEDDED_JS.some((g) => g in gems) && model.rails.assets.needsNode.value;
}

// --- Private gem sources --------------------------------------------------------------------------

export interface PrivateSource {
  kind: "ssh" | "https" | "path";
  /** Host for ssh/https, the repo path for path sources. */
  where: string;
  fact: Fact<string>;
  /**
   * `git://` (an old lockfile's `github:` gems): the anonymous git protocol, public repos only and no
   * longer served by GitHub; fetched over https instead, with no SSH agent and no credential needed.
   */
  gitProtocol?: boolean;
}

export function classifySource(f: Fact<string>): PrivateSource {
  const v = f.value.trim();
  const scp = /^[^@\s/]+@([^:/\s]+):/.exec(v);
  if (scp) return { kind: "ssh", where: scp[1]!, fact: f };
  const url = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/:]+)/i.exec(v);
  if (url && url[1]!.toLowerCase() === "git") return { kind: "https", where: url[2]!.toLowerCase(), fact: f, gitProtocol: true };
  if (url) return { kind: url[1]!.toLowerCase().startsWith("ssh") ? "ssh" : "https", where: url[2]!.toLowerCase(), fact: f };
  return { kind: "path", where: v.replace(/^\.\//, "").replace(/\/+$/, ""), fact: f };
}

export function privateSources(model: Model): PrivateSource[] {
  return model.rails.privateSources.map(classifySource);
}

/** Bundler reads credentials for a host from BUNDLE_<HOST> (dots → `__`, dashes → `___`). */
export function bundlerCredentialEnv(host: string): string {
  return "BUNDLE_" + host.toUpperCase().replace(/-/g, "___").replace(/\./g, "__");
}

// --- Values ---------------------------------------------------------------------------------------

/** A number written literally, or the default of an ENV reference. */
export function numberOf(v: RValue | undefined): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\d+$/.test(v.trim())) return Number(v);
  if (v && typeof v === "object" && !Array.isArray(v) && "env" in v) return numberOf((v as { default: RValue }).default);
  return null;
}

// --- Assets prefix ----------------------------------------------------------------------------------

/**
 * The URL path of the precompiled assets, and public/<it> where assets:precompile writes them: Rails'
 * `config.assets.prefix`, else capistrano-rails' `:assets_prefix` (the deploy linked public/<it> and
 * backed up its manifest there, which only works when Rails writes there too). Null for the default /assets.
 */
export function assetsPrefix(model: Model): { path: string; source: Source; via: string } | null {
  const rails = model.rails.assets.prefix;
  if (rails && rails.value !== "/assets") return { path: rails.value, source: rails.source, via: "config.assets.prefix" };
  if (rails) return null;
  for (const st of model.stages) {
    const v = st.variables["assets_prefix"];
    if (!v || v.defaultOf || typeof v.value !== "string") continue;
    const name = v.value.replace(/^\/+|\/+$/g, "");
    if (name === "assets" || !/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(name) || name.split("/").some((s) => s === ".." || s === ".")) continue;
    return { path: `/${name}`, source: v.source, via: "capistrano-rails :assets_prefix" };
  }
  return null;
}
