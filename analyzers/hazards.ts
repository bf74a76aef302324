// The hazards of the move, from the whole model: one small rule per hazard id, each saying what
// is wrong, what to do about it, and where it comes from. Rules read only the model, so each can be
// tested with a hand-built one.
import type { AppModel, Hazard, LinkedPath, RValue, Source, Stage } from "../src/model.js";
import { bootEnvReads, cronRolesOf, cronServersOf, cap2DefaultEnv, exportedRailsEnv, hasEnvStandIn, railsEnvFallback, railsEnvOf, startedRailsEnv } from "../src/model.js";
import { isHash, isUnknown, isEnvRef, isInterp, same } from "./ruby/evaluate.js";
import { looksSecretKey } from "./secrets.js";
import { JOB_BACKENDS, backendById } from "./workers/backends.js";
import { LOCAL_KIND_LABEL } from "../src/model/local-kinds.js";
import { stagePairs } from "./stage-pairs.js";
import { wildcardHosts } from "./wildcard-hosts.js";
import { linkedConfigDirHazards } from "./linked-config-dir-hazard.js";
import { envNamesIn } from "./capistrano/top-level-stage.js";
import { serversDatabaseWords, type WordsEncoding } from "../src/model/servers-database.js";
import { LOCAL_MONGO_HOST, mongoidWords } from "../src/model/mongoid-words.js";

/** A hazard's words are plain text (the report encodes them for the terminal, MIGRATION.md for Markdown). */
const PLAIN: WordsEncoding = { quote: (v) => JSON.stringify(v), cite: (s) => s, text: (s) => s };

type Model = Omit<AppModel, "gaps" | "hazards">;
type Rule = (m: Model, asOf: Date) => Hazard[];

// --- end-of-life tables ----------------------------------------------------------------------------
// Ruby: end of security maintenance per branch, from ruby-lang.org's branches list
// (www.ruby-lang.org _data/branches.yml; endoflife.date agrees). 3.3+ are the expected dates.
export const RUBY_EOL: Record<string, string> = {
  "2.0": "2016-02-24", "2.1": "2017-03-31", "2.2": "2018-03-31", "2.3": "2019-03-31", "2.4": "2020-03-31",
  "2.5": "2021-04-05", "2.6": "2022-04-12", "2.7": "2023-03-31", "3.0": "2024-04-23", "3.1": "2025-03-26",
  "3.2": "2026-03-31", "3.3": "2027-03-31", "3.4": "2028-03-31", "4.0": "2029-03-31",
};
// Rails: end of security fixes per minor series (rubyonrails.org/maintenance; from 7.2 on a series
// gets security fixes for two years after its first release). Older series ended long before.
export const RAILS_EOL: Record<string, string> = {
  "5.2": "2022-06-01", "6.0": "2023-06-01", "6.1": "2024-10-01", "7.0": "2025-04-01", "7.1": "2025-10-01",
  "7.2": "2026-08-09", "8.0": "2026-11-07", "8.1": "2027-10-22",
};

/** End-of-life date of a version's series; versions older than the table's first entry are EOL. */
export function eolDate(version: string, table: Record<string, string>): string | null {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return null;
  const series = `${m[1]}.${m[2]}`;
  if (table[series]) return table[series];
  const first = Object.keys(table).map((k) => k.split(".").map(Number)).sort((a, b) => a[0] - b[0] || a[1] - b[1])[0];
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj < first[0] || (maj === first[0] && min < first[1]) ? "long ago" : null;
}

// --- rules -------------------------------------------------------------------------------------------

const DATA_DIR = /(^|\/)(public\/system|public\/uploads|uploads|storage|public\/files|public\/attachments|files|attachments|media)(\/|$)/;

/** Linked dirs holding data written at run time: each pod has its own disk. */
const localData: Rule = (m) =>
  m.linked
    .filter((l) => l.kind === "dir" && (l.class === "data" || (l.class !== "cache" && l.class !== "log" && l.class !== "pids" && DATA_DIR.test(l.path))))
    .map((l) => ({
      id: "data.local-dir",
      message: `${l.path} is a shared directory on the servers' disk (${l.stages.join(", ") || "all stages"}): files written there (uploads, attachments) live on one machine's disk`,
      advice: "Move the files to object storage (S3 via Active Storage / Shrine / Paperclip's S3 backend), or mount a ReadWriteMany volume at this path; copy the existing files over before the switch.",
      source: l.source,
    }));

/**
 * Linked files the checkout lacks, other than those with a known stand-in (database.yml →
 * DATABASE_URL, master.key and credentials keys → RAILS_MASTER_KEY, dotenv files → env): Ruby code
 * or config the app loaded from the servers' shared/ directory (a gitignored
 * config/environments/production.rb, an initializer). The image has none of it.
 */
/** "a linked file", or for a copy made by a deploy task (`cp #{shared_path}/x …`) what copied it. */
const linkedWord = (l: LinkedPath): string => (l.via ? `a file copied from shared/ by \`${l.via}\` in a deploy task` : "a linked file");

const serverOnlyLinkedFiles: Rule = (m) => {
  // Figaro's config/application.yml holds ENV values, like a dotenv file: the env files carry them.
  const figaro = Boolean(m.rails.gems["figaro"]);
  return m.linked
    // A server-only mongoid.yml has its own rule (mongoidServersOnly), which says what it decided.
    .filter((l) => l.kind === "file" && l.serverOnly && !hasEnvStandIn(l.path) && !(figaro && l.path === "config/application.yml") && !renderedByDeploy(m, l.path) && !(m.rails.mongoid?.inRepo === false && l.path === m.rails.mongoid.file))
    .map((l) => {
      const ruby = /\.rb$/.test(l.path);
      // Only an example copy in the repo (production.dist.rb): the real file, the one the app ran with, lived on the servers.
      const example = l.example ? ` (the repo holds only ${l.example}, an example copy)` : "";
      return {
        id: "files.server-only",
        message: l.example
          ? `${l.path} is ${linkedWord(l)} (${l.stages.join(", ") || "all stages"})${example}: the image has no ${l.path}: it lived on the servers, in the shared/ directory the app ${ruby ? "loaded it" : "read it"} from`
          : `${l.path} is ${linkedWord(l)} (${l.stages.join(", ") || "all stages"}) that the repo does not hold: the app ${ruby ? "loaded this Ruby file" : "read this file"} from the servers' shared/ directory, and the image will not have it`,
        advice: (l.example ? `Compare ${l.example} with the file on a server: it may differ from what the servers ran. ` : "") + (ruby
          ? `Copy it from a server and commit it with its secrets replaced by ENV reads (the secrets go to each stage's secrets.env), or mount it from a Secret at ${l.path}; without it Rails boots with different settings, or fails.`
          : `Copy it from a server into the repo if it holds nothing secret (a ConfigMap mounted at ${l.path} if it differs by stage), else mount it from a Secret; without it the app fails where it reads it.`),
        source: l.source,
      };
    });
};

/**
 * Linked files the repo does hold: `cap deploy` replaced each with a symlink to the servers' shared/
 * copy, so the app ran that copy, not the repo's, and the image will carry the repo's. What the
 * analysis read from them (sidekiq's queues, a storage service) is the repo's version. One hazard for
 * all of them, as the check is the same: compare with a server. Files with an env stand-in
 * (database.yml → DATABASE_URL), secret files (their own rules) and files the deploy writes itself
 * are left to their rules.
 */
const linkedFilesInRepo: Rule = (m) => {
  const figaro = Boolean(m.rails.gems["figaro"]);
  const files = m.linked.filter((l) => l.kind === "file" && !l.serverOnly && l.class !== "secret" && !hasEnvStandIn(l.path) && !(figaro && l.path === "config/application.yml") && !renderedByDeploy(m, l.path));
  if (!files.length) return [];
  const stages = [...new Set(files.flatMap((l) => l.stages))];
  const names = files.map((l) => l.path).join(", ");
  return [
    {
      id: "files.linked-in-repo",
      message: `${names} ${files.length === 1 ? "is a linked file" : "are linked files"} (${stages.join(", ") || "all stages"}): the servers ran their own copy from shared/, not the repo's, and the image will carry the repo's version; what this analysis read from ${files.length === 1 ? "it" : "them"} is the repo's version`,
      advice: `Compare each with shared/<path> on a server of each stage before the cutover. Where they differ, commit the server's version (secrets replaced by ENV reads, set in each stage's secrets.env), or mount the stage's copy at that path from a ConfigMap (a Secret if it holds secrets).`,
      source: files[0]!.source,
    },
  ];
};

/** A linked file the deploy itself writes on the servers: a Global template's target, a task's render or upload. */
function renderedByDeploy(m: Model, path: string): boolean {
  if (m.global?.templates.some((t) => t.target === path)) return true;
  const at = (dest: string) => dest === path || dest.endsWith(`/${path}`) || dest.includes(`/${path}"`) || dest.includes(`/${path}'`);
  return (m.capistrano?.tasks ?? []).some((t) => t.uploads.some(at) || (t.renders ?? []).some((r) => at(r.destination)));
}

/** Cron jobs that ran on one server only: a CronJob runs once per schedule in the cluster. */
const cronOnOneServer: Rule = (m) => {
  const out: Hazard[] = [];
  for (const job of m.cron?.jobs ?? []) {
    const single: string[] = [];
    const many: string[] = [];
    // The roles that put the job on servers, over every stage (whenever_roles may differ by stage).
    const seenRoles = new Set<string>();
    for (const s of m.stages) {
      const roles = cronRolesOf(s, job);
      roles.forEach((r) => seenRoles.add(r));
      const hosts = cronServersOf(s, job);
      if (hosts.length === 1) single.push(`${s.name} (${hosts[0].host})`);
      else if (hosts.length > 1) many.push(`${s.name} (${hosts.length} servers)`);
    }
    const task = typeof job.task === "string" ? job.task : JSON.stringify(job.task);
    // whenever's jobs come from Ruby schedule files; a stack gem's crontab template (capistrano-mb) is plain cron.
    const kind = job.source.file.endsWith(".rb") ? "whenever job" : `cron job (${job.source.file})`;
    const roles = [...seenRoles];
    if (single.length) {
      out.push({
        id: "cron.single-server",
        message: `${kind} ${task} ran on one server with role ${roles.join("/")} in ${single.join(", ")}`,
        advice: "A CronJob runs it once per schedule, on whatever node: keep the job idempotent, set concurrencyPolicy: Forbid, and do not rely on that server's local files.",
        source: job.source,
      });
    }
    if (many.length) {
      out.push({
        id: "cron.many-servers",
        message: `${kind} ${task} ran on every server with role ${roles.join("/")} in ${many.join(", ")}: once per server, per schedule`,
        advice: "A CronJob runs it once per schedule: if each server's run did per-machine work (log rotation, local cleanup), that work has no meaning in a pod; if it did shared work, it now runs once instead of N times.",
        source: job.source,
      });
    }
  }
  return out;
};

/** nginx upstreams that pin a client to one backend. */
const stickySessions: Rule = (m) =>
  m.nginx.files.flatMap((f) =>
    f.upstreams
      .filter((u) => u.sticky)
      .map((u) => ({
        id: "nginx.sticky-sessions",
        message: `upstream ${u.name} pins clients to one backend (${u.sticky!.value})${f.stage ? ` for stage ${f.stage}` : ""}`,
        advice: "Set session affinity at the edge (cookie affinity) only if the app needs it; better, keep sessions in the cookie store or Redis so any pod can serve any request.",
        source: u.sticky!.source,
      })),
  );

/** Secret values written in committed YAML (Global, secrets.yml, database.yml). */
const secretsInYaml: Rule = (m) => {
  const out: Hazard[] = [];
  // Paths kept in a Set beside the list: a search of the list per path grew with their square.
  const byFile = new Map<string, { paths: string[]; seen: Set<string>; source: Source }>();
  const note = (file: string, path: string, source: Source) => {
    const e = byFile.get(file) ?? { paths: [], seen: new Set<string>(), source };
    if (!e.seen.has(path)) e.paths.push(path), e.seen.add(path);
    byFile.set(file, e);
  };
  for (const k of m.rails.secretKeys ?? []) {
    // Examples hold placeholders; development/test keys are generated literals by design.
    if (k.given !== "literal" || /\.(example|sample|dist|template)$|\.example\.yml$/.test(k.file) || /^(development|test)\./.test(k.path)) continue;
    note(k.file, k.path, k.source);
  }
  for (const ns of m.global?.namespaces ?? []) {
    const listed = (ns as { secretPaths?: string[] }).secretPaths;
    const given = Array.isArray(listed) ? new Set(listed) : null;
    for (const value of Object.values(ns.values)) {
      eachLeaf(value, null, "", (dotted, key, leaf) => {
        const secret = given ? given.has(dotted) : looksSecretKey(key);
        if (!secret || !isLiteral(leaf)) return;
        const src = ns.sources[dotted] ?? { file: ns.files[0] ?? `config/global/${ns.name}.yml`, line: 1 };
        note(src.file, `${ns.name}.${dotted}`, src);
      });
    }
  }
  for (const [file, e] of byFile) {
    out.push({
      id: "secrets.in-yaml",
      message: `${file} holds secret values written in the file: ${e.paths.slice(0, 6).join(", ")}${e.paths.length > 6 ? `, and ${e.paths.length - 6} more` : ""}`,
      advice: "Move them to Kubernetes Secrets (the generated secrets.env per overlay) and read them from ENV; rotate them, since they are in git history.",
      source: e.source,
    });
  }
  return out;
};

/** A Rails master key committed to the repo. */
const masterKeyCommitted: Rule = (m) =>
  (m.rails.credentials ?? [])
    .filter((c) => c.value === "config/master.key" || /^config\/credentials\/[^/]+\.key$/.test(c.value))
    .map((c) => ({
      id: "secrets.master-key-committed",
      message: `${c.value} is in the repo: anyone with the code can decrypt the credentials`,
      advice: "Remove it from git (and history), rotate the credentials, and give RAILS_MASTER_KEY to the pods from a Secret.",
      source: c.source,
    }));

/** An address as written: `#{shared_path}/tmp/sockets/unicorn.sock` for a path built in Ruby. */
function addressText(v: RValue): string {
  if (typeof v === "string" || typeof v === "number") return String(v);
  if (isInterp(v)) return v.interp.map((p) => (typeof p === "string" ? p : isEnvRef(p) ? `#{ENV["${p.env}"]}` : isObjWith(p, "cap") ? `#{fetch(:${(p as { cap: string }).cap})}` : "#{…}")).join("");
  return "(a path not known statically)";
}
const isObjWith = (v: RValue, k: string) => typeof v === "object" && v !== null && !Array.isArray(v) && k in v;

/** Unicorn listening on a unix socket: pods talk TCP. */
const unicornSocket: Rule = (m) =>
  m.appServers
    .filter((a) => a.kind === "unicorn")
    .flatMap((a) =>
      a.listen
        .filter((l) => l.kind === "unix")
        .map((l) => ({
          id: "unicorn.unix-socket",
          message: `Unicorn listens on the unix socket ${addressText(l.address)} (${a.file}), for the nginx on the same server`,
          advice: "In the container listen on TCP (the Service port), or keep nginx as a sidecar and share the socket through an emptyDir volume.",
          source: l.source,
        })),
    )
    // a file read once per Rails environment lists the same `listen` line once per env
    .filter((h, i, all) => all.findIndex((o) => o.source.file === h.source.file && o.source.line === h.source.line) === i);

const eolRule =
  (id: string, what: string, pick: (m: Model) => { value: string; source: Source } | null, table: Record<string, string>, advice: string): Rule =>
  (m, asOf) => {
    const v = pick(m);
    if (!v) return [];
    const end = eolDate(v.value, table);
    if (!end) return [];
    const past = end === "long ago" || new Date(`${end}T00:00:00Z`).getTime() <= asOf.getTime();
    if (!past) return [];
    return [{ id, message: `${what} ${v.value} is past its end of life (${end === "long ago" ? "long ago" : `security fixes ended ${end}`})`, advice, source: v.source }];
  };

const rubyEol = eolRule("ruby.eol", "Ruby", (m) => m.rails.rubyVersion, RUBY_EOL, "The image will carry a Ruby that gets no security fixes: official ruby images for it are old and unpatched. Plan the upgrade; build the image from the same version first so the move changes one thing at a time.");
const railsEol = eolRule("rails.eol", "Rails", (m) => m.rails.railsVersion, RAILS_EOL, "No security fixes for this Rails series: plan the upgrade (or a paid LTS); keep it separate from the move to Kubernetes.");

/** `ask` in the deploy config: someone typed a value at each deploy. */
const capAsk: Rule = (m) => {
  const out: Hazard[] = [];
  const seen = new Set<string>();
  for (const s of m.stages) {
    for (const a of s.asked ?? []) {
      const key = `${a.name}\0${a.source.file}:${a.source.line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        id: "cap.ask",
        message: `:${a.name} is asked interactively at deploy time (${a.source.file}:${a.source.line})`,
        advice: "Decide where the answer comes from now: a value per overlay, an image tag, or a CI parameter; the migration asks it once.",
        source: a.source,
      });
    }
  }
  return out;
};

/** Unknown values in what a template renders per stage: the output cannot be computed. */
const unknownTemplateValues: Rule = (m) => {
  const out: Hazard[] = [];
  for (const t of m.global?.templates ?? []) {
    for (const [stage, rendered] of Object.entries(t.rendered)) {
      const unknowns = findUnknowns(rendered, []);
      if (!unknowns.length) continue;
      const first = unknowns[0];
      out.push({
        id: "stage.unknown-template-value",
        message: `${t.template} for stage ${stage}: ${unknowns.length} value(s) not known statically (${unknowns.slice(0, 3).map((u) => u.path || "(root)").join(", ")}): ${first.reason}`,
        advice: "Give these values per overlay when asked (or put them in the stage file as plain values) so the generated config matches what the servers had.",
        source: first.source ?? t.source,
      });
    }
  }
  return out;
};

/**
 * nginx serving files from disk: precompiled assets from the release's public/ (they move into the
 * image), or uploads from a shared/ directory (they have no home in a pod at all).
 */
const assetsFromDisk: Rule = (m) =>
  m.nginx.files.flatMap((f) =>
    f.servers.flatMap((s) =>
      s.locations
        .filter((l) => l.assets)
        .map((l): Hazard => {
          const dir = l.directives.find((d) => d.name === "alias" || d.name === "root")?.args[0] ?? "";
          const uploads = /\/shared\//.test(dir) || DATA_DIR.test(l.path.replace(/^\//, ""));
          const stage = f.stage ? ` (stage ${f.stage})` : "";
          return uploads
            ? {
                id: "nginx.uploads-from-disk",
                message: `nginx serves ${l.path} from ${dir || "disk"}${stage}: files uploaded at run time, on each server's own disk`,
                advice: "Serve them from object storage (or the volume they move to, see data.local-dir) and drop this location; a pod's disk is gone at the next rollout.",
                source: l.source,
              }
            : {
                id: "nginx.assets-from-disk",
                message: `nginx serves ${l.path} from disk${stage}: the precompiled assets lived on each server`,
                advice: "In the cluster the assets are in the image: serve them from the app (RAILS_SERVE_STATIC_FILES / public_file_server with long cache headers), an nginx sidecar sharing the files, or a CDN.",
                source: l.source,
              };
        }),
    ),
  );

/** Two stages on one rails_env with different settings: config_for keyed by env cannot tell them apart. */
const sharedRailsEnv: Rule = (m) => {
  const out: Hazard[] = [];
  const byEnv = new Map<string, Stage[]>();
  for (const s of m.stages) {
    const env = railsEnvOf(s);
    const list = byEnv.get(env);
    if (list) list.push(s);
    else byEnv.set(env, [s]);
  }
  for (const [env, stages] of byEnv) {
    if (stages.length < 2) continue;
    const differing = (m.global?.templates ?? []).filter((t) => {
      const vals = stages.map((s) => t.rendered[s.name]).filter((v) => v !== undefined);
      return vals.length > 1 && vals.some((v) => !same(v, vals[0]));
    });
    if (!differing.length) continue;
    const names = stages.map((s) => s.name).join(" and ");
    out.push({
      id: "stage.shared-rails-env",
      message: `stages ${names} both run RAILS_ENV=${env} but render different settings (${differing.map((t) => t.target).join(", ")})`,
      advice: "A file keyed by Rails env cannot hold both: give each overlay its own values (ConfigMap per overlay), or give each stage its own Rails env.",
      source: stages[1].variables["rails_env"]?.source ?? stages[1].source,
    });
  }
  return out;
};

/**
 * ENV the app reads while it boots (Global, a committed database.yml) that nothing in the repo sets
 * (no stage's default_env): on EC2 the servers' own environment gave it, and a pod would silently
 * run on the defaults written in the files (a sandbox endpoint in production).
 */
const envFromServers: Rule = (m) => {
  const deployed = new Set(m.stages.map(railsEnvOf));
  const set = new Set<string>();
  for (const s of m.stages) {
    const env = s.variables["default_env"]?.value;
    if (isHash(env)) for (const k of Object.keys(env)) set.add(k.toUpperCase());
  }
  const reads = new Map<string, Source>();
  const committedDb = m.rails.database?.file === "config/database.yml" && !m.rails.database.serversCopy;
  for (const r of bootEnvReads(m, deployed, committedDb)) if (!reads.has(r.env)) reads.set(r.env, r.source);
  // RAILS_ENV and RACK_ENV are the deploy's own: every pod gets them.
  const names = [...reads.keys()].filter((n) => !set.has(n.toUpperCase()) && n !== "RAILS_ENV" && n !== "RACK_ENV");
  if (!names.length) return [];
  // Figaro's config/application.yml linked from shared/: Figaro put its keys into ENV at boot, from
  // the servers' copy, which the repo does not have: that file is the first place to look.
  const figaro = m.rails.gems["figaro"] ? m.linked.find((l) => l.kind === "file" && l.path === "config/application.yml") : undefined;
  const from = figaro
    ? `; Figaro loads config/application.yml into ENV as the app boots, and the servers' copy was linked from shared/ (${figaro.source.file}:${figaro.source.line}${figaro.serverOnly ? `; the repo ${figaro.example ? `holds only the example ${figaro.example}` : "has none"}` : "; the repo's copy is not the servers'"}): ${names.length === 1 ? "its value" : "their values"} came from that file or from the servers' environment`
    : `; ${names.length === 1 ? "its value" : "their values"} came from the old setup's environment (the servers', or the deploying machine's for a template Capistrano rendered)`;
  return [
    {
      id: "env.from-servers",
      message: `the app reads ${names.length} environment variable${names.length === 1 ? "" : "s"} while it boots that nothing in the repo sets: ${names.join(", ")}${from}`,
      advice: (figaro ? "Copy the keys of shared/config/application.yml from a server of each stage into that stage's secrets.env (non-secret ones to config.env): the image has no servers' copy, so Figaro sets none of them. " : "") + "Take each value from each stage's servers (/etc/environment, the app user's profile, a systemd unit, a dotenv file) into that stage's overlay: migrate lists them, commented out, in config.env (secret ones in secrets.env). Left unset, the pod runs on the defaults written in the files.",
      source: reads.get(names[0])!,
    },
  ];
};

/**
 * A job backend that gets no worker Deployment (analyzers/workers says why): its jobs would wait in
 * the queue forever. A model without the workers list (built by hand) falls back to the lockfile.
 */
const otherJobBackends: Rule = (m) => {
  if (m.workers)
    return m.workers
      .filter((w) => !w.carried && !w.inWeb && !w.notStarted)
      .map((w) => {
        const b = backendById(w.backend)!;
        // "Add the gem" fits only a backend whose gem is missing; with it in the lockfile the reason is another (audit B s26 #8).
        const gemHeld = b.gems.some((g) => m.rails.gems[g]);
        return {
          id: "workers.backend-not-migrated",
          message: `${b.label} ran the app's jobs in worker processes of its own, and migrate emits no worker Deployment for it: ${w.why ?? "its command is unknown"}`,
          advice: gemHeld
            ? `Resolve what the message names, or add a Deployment by hand running the command the servers ran (${b.label}'s standard one is \`${b.standardCommand.join(" ")}\`); keep the EC2 workers running until the cluster runs it.`
            : `Add ${b.gems[0]} to the Gemfile (then migrate emits a Deployment running \`${b.standardCommand.join(" ")}\`), or add that Deployment by hand; keep the EC2 workers running until the cluster runs it.`,
          source: w.evidence[0]?.source ?? { file: "Gemfile.lock", line: 0 },
        };
      });
  // A model built by hand, without the workers list: the lockfile alone, read through the one table
  // of backends (analyzers/workers/backends.ts). Sidekiq is left to its own facts (m.sidekiq).
  return JOB_BACKENDS.filter((b) => b.id !== "sidekiq").flatMap((b) => {
    const gem = b.gems.find((g) => m.rails.gems[g]);
    if (!gem) return [];
    const fact = m.rails.gems[gem]!;
    const command = [...(b.queueEnv ? [`${b.queueEnv}=*`] : []), ...b.standardCommand].join(" ");
    return [
      {
        id: "workers.backend-not-migrated",
        message: `${b.label} (${gem} ${fact.value}) runs the app's jobs in worker processes of its own${b.inWeb ? `, ${b.inWeb}` : ""}, and this model lists no workers, so migrate emits no worker Deployment for it: in the cluster its jobs would wait in the queue forever`,
        advice: `Add a Deployment that runs \`${command}\` (${b.label}'s standard command) from the app image (copy the worker Deployment's shape: same envFrom, a preStop and a grace period longer than the longest job), and keep the EC2 workers running until it does.`,
        source: fact.source,
      },
    ];
  });
};

/** The hazard's words: plain text, the repo's values as JSON strings. */
const MONGO_PLAIN: WordsEncoding = { quote: (v) => JSON.stringify(v), cite: (s) => s, text: (s) => s };

/**
 * Which MongoDB each stage connects to, from config/mongoid.yml (analyzers/rails/mongoid.ts): Mongoid
 * has no DATABASE_URL, so the ENV names its ERB reads are each overlay's secret placeholders (to
 * fill in from that stage's servers, never guessed), and a host or database written in the file is
 * where the pods connect too (one on the server itself is reached by no pod). A linked copy is said
 * as the repo's, not the servers'. Per Rails environment the stages run.
 */
const mongoidConnection: Rule = (m) => {
  const mg = m.rails.mongoid;
  if (!mg?.inRepo) return [];
  const out: Hazard[] = [];
  for (const s of mg.sections) {
    const stages = m.stages.filter((st) => railsEnvOf(st) === s.railsEnv).map((st) => st.name);
    const on = stages.length ? `stage${stages.length > 1 ? "s" : ""} ${stages.join(", ")} (Rails env ${s.railsEnv})` : `the one overlay (Rails env ${s.railsEnv}, no stage declared)`;
    const source = s.source ?? { file: mg.file, line: 1 };
    const linked = mg.linked ? ` The deploy links it from shared/ (${mg.linked.file}:${mg.linked.line}): the servers connected with their own copy, which may name another database; the image carries the repo's.` : "";
    if (s.missing) {
      out.push({ id: "database.mongoid", message: `${on}: Mongoid finds no client to connect with: ${s.missing} (${mg.why}), so the app fails when it first uses a model.${linked}`, advice: `Read shared/${mg.file} on a server of each stage and give ${mg.file} a ${s.railsEnv} section whose default client reads its connection from ENV (its values in each stage's secrets.env).`, source });
      continue;
    }
    if (!s.clients.length) continue;
    const keys = s.clients.flatMap((c) => c.envReads.map((r) => r.env));
    const local = s.clients.some((c) => c.named.some((n) => (n.key === "hosts" || n.key === "host" || n.key === "uri") && LOCAL_MONGO_HOST.test(n.value)));
    const written = s.clients.some((c) => c.named.length);
    out.push({
      id: "database.mongoid",
      message: `${on}: which MongoDB the app connects to is said by ${mg.file} (${mg.why}): ${mongoidWords(mg, s, MONGO_PLAIN)}.${keys.length ? ` Mongoid has no DATABASE_URL: ${[...new Set(keys)].join(", ")} came from the servers' environment, so each overlay's secrets.env lists ${keys.length > 1 ? "them" : "it"} to fill in (never guessed).` : ""}${written ? ` What the file writes is where the pods connect too${local ? "; a MongoDB on the server itself (localhost) is reached by no pod" : ""}.` : ""}${linked}`,
      advice: `${keys.length ? `Fill ${[...new Set(keys)].join(", ")} in each stage's secrets.env from that stage's own servers (production's from a production server)` : "Nothing here is read from ENV: the file decides"}; ${local ? "move the MongoDB off the server or give the file an ENV read for its host, and " : ""}before the cutover check from a pod with \`rails runner 'p Mongoid.default_client.cluster.addresses, Mongoid.default_client.database.name'\` which MongoDB it reaches.`,
      source,
    });
  }
  return out;
};

/**
 * config/mongoid.yml linked from shared/ and not in the repo, which no deploy task writes: which
 * MongoDB each stage used is only in the servers' copy, and the image has none (Mongoid 5+ raises
 * NoClientsConfig without a default client). The same gap as a database.yml placed by hand.
 */
const mongoidServersOnly: Rule = (m) => {
  const mg = m.rails.mongoid;
  const l = m.linked.find((x) => x.kind === "file" && x.path === mg?.file);
  if (!mg || mg.inRepo || !l || renderedByDeploy(m, l.path)) return [];
  const on = l.stages.length ? `stage${l.stages.length > 1 ? "s" : ""} ${l.stages.join(", ")}` : "all stages";
  return [
    {
      id: "database.mongoid-servers-only",
      message: `${mg.file} is ${linkedWord(l)} (${on}) that the repo does not hold and nothing in the repo writes: which MongoDB (hosts, database, user) each stage's servers connected to is written only in their shared/${mg.file}, so it is not known here; the image has no ${mg.file}, and Mongoid cannot connect without one`,
      advice: `Read shared/${mg.file} on a server of each stage. Commit a ${mg.file} whose clients read their connection from ENV (\`uri: <%= ENV["MONGODB_URI"] %>\`, no password in the file) and run rails2k8s migrate again: each overlay's secrets.env then lists that name, to fill with its own stage's value (production's from a production server), never another stage's.`,
      source: l.source,
    },
  ];
};

/**
 * A committed config/database.yml that is also linked from shared/: the servers connected with the
 * shared copy (rendered, uploaded or placed by hand), so the repo's database name, host and pool are
 * not production's. analyzers/rails/database-linked.ts found it and said per stage what a rendered
 * template names; here it is the cutover risk, first among the database ones.
 */
const databaseServersCopy: Rule = (m) => {
  const c = m.rails.database?.serversCopy;
  if (!c) return [];
  if (c.fromRepo && c.uploadedBy) {
    const per = c.fromRepo.map((x) => `${x.stage}: ${x.file ?? "not known"}`).join(", ");
    return [
      {
        id: "database.servers-copy",
        message: `task ${c.uploadedBy.task} uploads the repo's own database config to shared/${c.shared ?? "config/database.yml"} (${c.writes.map((w) => `${w.file}:${w.line}`).join(", ")}), which the release links as config/database.yml (${c.linked.file}:${c.linked.line}): each stage's servers connected with that file (${per}; its values per stage, host included, are in the warning at that line)${c.uploadedBy.byHand ? `, as of the last time someone ran the task by hand (no hook runs it)` : ""}`,
        advice: "Set DATABASE_URL in each stage's secrets.env to the database that section names, as the pods reach it (a host of localhost was the server itself), with the pool and timeout as URL parameters (?pool=N); confirm against shared/" + (c.shared ?? "config/database.yml") + " on a server of each stage, since the task could have been run from another checkout. Before the cutover, check from a pod with rails runner which host and database ActiveRecord connects to.",
        source: c.linked,
      },
    ];
  }
  if (c.fromRepo) {
    const per = c.fromRepo.map((x) => `${x.stage}: ${x.file ?? "not known"}`).join(", ");
    return [
      {
        id: "database.servers-copy",
        message: `a deploy task copies a repo file over config/database.yml (${c.linked.file}:${c.linked.line}): each stage's servers connected with that file (${per}; its values per stage are in the warning at that line), not with config/database.yml; the image never runs that copy`,
        advice: "Set DATABASE_URL in each stage's secrets.env to the database named by that stage's file (and confirm on a server of each stage), with the pool and timeout as URL parameters (?pool=N). Before the cutover, check from a pod with rails runner which host and database ActiveRecord connects to.",
        source: c.linked,
      },
    ];
  }
  const took = c.via ? `copied over the release's from shared/ by \`${c.via}\`${c.condition ? ` (it landed ${c.condition})` : ""}` : c.condition ? `linked from shared/ ${c.condition}` : "linked from shared/";
  // No config/database.yml in the repo, only an example (database.yml.example): the image has none either.
  const exampleOnly = m.rails.database!.file !== "config/database.yml" ? m.rails.database!.file : null;
  const by = c.templates?.length
    ? `rendered by the deploy from ${c.templates.join(", ")} (${c.writes.map((w) => `${w.file}:${w.line}`).join(", ")}; its values per stage are in the warning at ${c.linked.file}:${c.linked.line})`
    : c.writes.length
      ? `uploaded by the deploy (${c.writes.map((w) => `${w.file}:${w.line}`).join(", ")})`
      : "placed on the servers by hand (nothing in the repo writes it)";
  return [
    {
      id: "database.servers-copy",
      message: `config/database.yml is ${took} (${c.linked.file}:${c.linked.line}): the servers connected with their own copy, ${by}; ${exampleOnly ? `the repo holds only ${exampleOnly}, the repo's example, not what the servers used: its adapter, database name and host are no stage's database` : "the repo's config/database.yml (its database name, host, pool) is not what production used, and the image carries it"}`,
      advice: `Set DATABASE_URL in each stage's secrets.env to the database the servers used (read shared/${c.shared ?? "config/database.yml"} on a server of each stage), with the pool and timeout as URL parameters (?pool=N)${exampleOnly ? "" : ": Rails merges DATABASE_URL over the image's copy"}. Before the cutover, check from a pod with rails runner which host and database ActiveRecord connects to.`,
      source: c.linked,
    },
  ];
};

/**
 * A servers' database config shown for a section the servers' Rails may not have read: a Capistrano 2
 * stage that sets no rails_env ran Rails as production (Capistrano 2's default), while the section
 * shown (and carried beside the overlay's DATABASE_URL) is the stage's name. Per stage, at the
 * section's line (analyzers/rails/database-linked.ts namedDatabase).
 */
const databaseSectionEnv: Rule = (m) =>
  (m.rails.serversDatabases ?? []).flatMap((d) => {
    const o = d.otherSection;
    if (!o) return [];
    const shown = serversDatabaseWords(d, PLAIN);
    const other = o.holds ? `its ${o.railsEnv} section names ${serversDatabaseWords(o.holds, PLAIN)}` : `${d.from} renders no ${o.railsEnv} section, so a Rails running ${o.railsEnv} there would not have booted with it`;
    return [
      {
        id: "database.section-env",
        message: `stage ${d.stage}: the servers' ${d.file} is shown from its ${d.section} section (${shown}), but ${o.why}: if they ran ${o.railsEnv}, ${other}. The servers may have read another section than the one shown`,
        advice: `Before the cutover, read RAILS_ENV on a server of stage ${d.stage} (the app process's environment, or its log file's name under shared/log) and read the section of that name in its shared/${d.file}; set that stage's DATABASE_URL and RAILS_ENV (config.env) from it, or set rails_env in the stage file so both agree.`,
        source: o.source,
      },
    ];
  });

/**
 * The Rails environment a stage's overlay runs (railsEnvOf) that the app does not define: no
 * config/environments/<env>.rb (Rails boots with none of that file's settings, and an app that
 * requires per-env settings fails), or no <env> section in database.yml (ActiveRecord raises at the
 * first query). Said with why the stage runs that env, never run silently.
 */
const railsEnvMissing: Rule = (m) =>
  m.stages.flatMap((st) => {
    const env = railsEnvOf(st);
    const envs = m.rails.environments;
    const db = m.rails.database;
    const noFile = envs !== undefined && envs.length > 0 && !envs.includes(env);
    // An example (database.yml.example, database.example.yml) is not what the servers read: no doubt from it.
    const noSection = db?.sections !== undefined && db.sections.length > 0 && !db.serversCopy && !/example|sample|dist/.test(db.file) && !db.sections.includes(env);
    if (!noFile && !noSection) return [];
    const fact = st.variables["rails_env"];
    const hooked = st.hookedSets?.find((h) => h.variable === "rails_env");
    const c2 = cap2DefaultEnv(st);
    const started = startedRailsEnv(st);
    const why = started
      ? `the app server's start line ${started.how} (${started.source.file}:${started.source.line}) started the app with it`
      : c2
      ? c2.evidence ? `the ${c2.evidence.name} its deploy exported (${c2.evidence.source.file}:${c2.evidence.source.line}), over Capistrano 2's default` : "no file sets rails_env, and the stage's name stands in over Capistrano 2's default"
      : hooked
      ? `task ${hooked.task} sets it and the hook \`${hooked.hook.kind} ${hooked.hook.target}\` (${hooked.hook.source.file}:${hooked.hook.source.line}) runs it on every deploy`
      : fact?.defaultOf
        ? `${fact.defaultOf}'s default: no file sets the stage's rails_env`
        : fact
          ? `the stage's rails_env (${fact.source.file}:${fact.source.line})`
          : "no file sets rails_env, and the stage's name stands in (capistrano-rails' default)";
    const lacks = [noFile ? `config/environments/${env}.rb (the app defines ${envs!.join(", ")})` : null, noSection ? `${env} section in ${db!.file} (it has ${db!.sections!.join(", ")})` : null].filter(Boolean).join(" and no ");
    return [{
      id: "stage.rails-env-missing",
      message: `stage ${st.name} runs RAILS_ENV=${env} (${why}), but the app has no ${lacks}`,
      advice: `Check which RAILS_ENV the servers of stage ${st.name} ran (the app process's environment, its log file's name under shared/log) and set that stage's RAILS_ENV in its config.env to an environment the app defines, or add the missing environment file and database section before the switch.`,
      source: started?.source ?? hooked?.set ?? (fact && !fact.defaultOf ? fact.source : st.source),
    }];
  });

/**
 * Two tasks that hooks run before the app's start set the stage's rails_env to different values: which
 * one the deploy ran with is not read from the repo (session.ts applyHookedSets applies neither), so
 * the stage's own value stands and the conflict is a doubt, both set lines named.
 */
const hookedSetConflict: Rule = (m) =>
  m.stages.flatMap((st) =>
    (st.hookedSetConflicts ?? []).filter((c) => c[0]?.variable === "rails_env").map((c) => ({
      id: "stage.rails-env-hooked-conflict",
      message: `stage ${st.name}: ${c.map((h) => `task ${h.task} (${h.set.file}:${h.set.line}, run by \`${h.hook.kind} ${h.hook.target}\` at ${h.hook.source.file}:${h.hook.source.line})`).join(" and ")} set rails_env to different values before the app starts: which one the deploy ran is not known, so the overlay runs the stage's own RAILS_ENV=${railsEnvOf(st)}`,
      advice: `Read RAILS_ENV on a server of stage ${st.name} (the app process's environment, or its log file's name under shared/log) and set that stage's RAILS_ENV in its config.env to it, or remove the set the deploy does not need.`,
      source: c[0]!.set,
    })),
  );

/**
 * Capistrano 2's `_cset :rails_env, "production"` is what its recipes ran with; the app process ran
 * what its start gave it. Where the overlay runs another env (default_environment's RAILS_ENV, or the
 * stage's name for want of evidence), the two disagree: a doubt, both named.
 */
const railsEnvCap2Default: Rule = (m) =>
  m.stages.flatMap((st) => {
    const c = cap2DefaultEnv(st);
    const fact = st.variables["rails_env"];
    if (!c || !fact) return [];
    const line = c.evidence?.startLine ? st.startedEnv : undefined;
    const ran = line ? `its app server's start line ${line.how} (${line.source.file}:${line.source.line}), which started the app with it${line.sets ? "" : ` (unless RAILS_ENV was already in the server's environment)`}` : c.evidence ? `the ${c.evidence.name} its deploy exported (${c.evidence.source.file}:${c.evidence.source.line})` : "its name (no file sets rails_env, and nothing else says which env the app ran)";
    const either = line ? "the app and its migrations may have used different database sections" : "the app may have run either, and read that database section";
    return [{
      id: "stage.rails-env-cap2-default",
      message: `stage ${st.name} runs RAILS_ENV=${c.env} from ${ran}, but Capistrano 2's default rails_env is ${JSON.stringify(fact.value)} (${fact.source.file}:${fact.source.line}), which its recipes (deploy:migrate, assets) ran with: ${either}`,
      advice: `Read RAILS_ENV on a server of stage ${st.name} (the app process's environment, or its log file's name under shared/log) and set that stage's RAILS_ENV in its config.env to it, or set rails_env in the stage file.`,
      source: c.evidence?.source ?? st.source,
    }];
  });

/**
 * The app server's start line names another environment than the stage's rails_env (stated, or
 * exported): the app was started with one, the deploy's own tasks (migrations, assets, whenever)
 * ran with the other. Which the overlay runs follows startedRailsEnv (src/model.ts); Capistrano 2's
 * own default is hazard stage.rails-env-cap2-default instead.
 */
const railsEnvStartLine: Rule = (m) =>
  m.stages.flatMap((st) => {
    const line = st.startedEnv;
    const fact = st.variables["rails_env"];
    const cap2 = fact?.defaultOf === "Capistrano 2";
    // where the line decides over Capistrano 2's default, hazard stage.rails-env-cap2-default names it
    if (!line || (cap2 && startedRailsEnv(st))) return [];
    const env = railsEnvOf(st);
    const decided = startedRailsEnv(st) !== null;
    const fb = railsEnvFallback(st);
    const said = typeof fact?.value === "string" ? fact.value : isSymValue(fact?.value) ? fact!.value.sym : fb?.value ?? null;
    const at = `${line.source.file}:${line.source.line}`;
    if (decided) {
      // no rails_env at all: capistrano-rails' deploy:set_rails_env ran its tasks with the stage's name
      const railsPlugin = !fact && (m.capistrano?.requires ?? []).some((r) => /^capistrano\/rails(?:\/|$)/.test(r.value));
      if (railsPlugin && line.env !== st.name)
        return [{
          id: "stage.rails-env-start-line",
          message: `stage ${st.name}: the app server's start line ${line.how} (${at}) started the app with ${line.variable}=${line.env}, but no file sets rails_env, so capistrano-rails ran the deploy's migrations and assets with the stage's name ${JSON.stringify(st.name)}; the overlay runs RAILS_ENV=${env}`,
          advice: `Read RAILS_ENV on a server of stage ${st.name} (the app process's environment, or its log file's name under shared/log). If the app and its migrations really used different environments, decide which database section the pods and the migration Job must read, and set that stage's RAILS_ENV in its config.env.`,
          source: line.source,
        }];
      if (!fact || said === null || said === line.env) return [];
      return [{
        id: "stage.rails-env-start-line",
        message: `stage ${st.name}: the app server's start line ${line.how} (${at}) sets RAILS_ENV=${line.env}, over the deploy's rails_env ${JSON.stringify(said)} (${fact.source.file}:${fact.source.line}${fact.defaultOf ? `, ${fact.defaultOf}'s default` : ""}): the app ran ${line.env}, while the deploy's own tasks (migrations, assets, cron) ran with ${said}; the overlay runs RAILS_ENV=${env}`,
        advice: `Read RAILS_ENV on a server of stage ${st.name} (the app process's environment, or its log file's name under shared/log). If the app and its migrations really used different environments, decide which database section the pods and the migration Job must read, and set that stage's RAILS_ENV in its config.env.`,
        source: line.source,
      }];
    }
    if (line.env === env) return [];
    const exported = cap2 ? cap2DefaultEnv(st)?.evidence : null;
    const why = exported
      ? `the ${exported.name} the deploy exported (${exported.source.file}:${exported.source.line})`
      : said !== null && fact && !fact.defaultOf
        ? `the deploy's rails_env ${JSON.stringify(said)} (${fact.source.file}:${fact.source.line})`
        : exportedRailsEnv(st) !== null
          ? `the RAILS_ENV the deploy exported (default_env)`
          : fact?.defaultOf && !cap2 && stringOfEnv(fact.value) === env
            ? `${fact.defaultOf}'s default (${fact.source.file}:${fact.source.line})`
            : `the stage's name (no file sets rails_env)`;
    const ran = line.doubt ? `whether stage ${st.name}'s servers ran that line is in doubt (${line.doubt}), so the stated value is kept` : line.sets ? `nothing in the deploy is seen to install or run that file, so whether the servers started the app with it is not in the repo` : `the app ran ${line.env} unless RAILS_ENV=${env} was already in its environment when it started, and which one the servers ran is not in the repo`;
    return [{
      id: "stage.rails-env-start-line",
      message: `stage ${st.name}: the app server's start line ${line.how} (${at}) gives ${line.variable}=${line.env}, but the overlay runs RAILS_ENV=${env} from ${why}: ${ran}`,
      advice: `Read RAILS_ENV on a server of stage ${st.name} (the app process's environment, or its log file's name under shared/log) and set that stage's RAILS_ENV in its config.env to it.`,
      source: line.source,
    }];
  });

const stringOfEnv = (v: unknown): string | null => (typeof v === "string" ? v : isSymValue(v) ? v.sym : null);
const isSymValue = (v: unknown): v is { sym: string } => typeof v === "object" && v !== null && typeof (v as { sym?: unknown }).sym === "string";

/** `set :rails_env, ENV['X'] || 'staging'`: the fallback is used, unless the deploying machine exported X. */
const railsEnvFromEnv: Rule = (m) =>
  m.stages.flatMap((st) => {
    const fb = railsEnvFallback(st);
    // a start line that sets RAILS_ENV to another env decides instead (hazard stage.rails-env-start-line)
    if (!fb || (startedRailsEnv(st) && railsEnvOf(st) !== fb.value)) return [];
    return [{
      id: "stage.rails-env-from-env",
      message: `stage ${st.name}: rails_env is ENV['${fb.env}'] of the machine that ran cap, else '${fb.value}' (${fb.source.file}:${fb.source.line}); the overlay runs the fallback RAILS_ENV=${fb.value}`,
      advice: `Ask who deployed stage ${st.name} whether ${fb.env} was set when they ran cap (or read RAILS_ENV on a server of the stage), and set that stage's RAILS_ENV in its config.env to what the servers ran.`,
      source: fb.source,
    }];
  });

/**
 * Capistrano 2 with switch tasks: a plain `cap deploy` (no switch) deployed config/deploy.rb's top level
 * (analyzers/capistrano/top-level-stage.ts). Capistrano gives that deploy no name: the overlay's name
 * is rails2k8s's, by a stated rule, and the values the top level read from the deploying shell's ENV
 * are the fallbacks, to confirm.
 */
const cap2TopLevelStage: Rule = (m) =>
  m.stages.flatMap((st) => {
    const t = st.topLevel;
    if (!t) return [];
    const at = `${t.source.file}:${t.source.line}`;
    const named =
      t.by === "default"
        ? `"${st.name}" is rails2k8s's name for it (the top level sets no rails_env or stage of its own that another stage does not already have)`
        : `its name "${st.name}" is rails2k8s's, taken from the top level's ${t.by} (${at})${t.envRead ? `, which is ENV['${t.envRead}'] of the machine that ran cap, else '${st.name}': the fallback` : ""}`;
    const reads = Object.entries(st.variables)
      .filter(([, f]) => !f.defaultOf)
      .map(([k, f]) => ({ k, f, envs: [...envNamesIn(f.value)] }))
      .filter((x) => x.envs.length)
      .map((x) => `${x.k} (${x.envs.map((e) => `ENV['${e}']`).join(", ")}, ${x.f.source.file}:${x.f.source.line})`);
    return [{
      id: "stage.cap2-top-level",
      message: `stage ${st.name} is config/deploy.rb's top level: what a plain \`cap deploy\` deployed, with no stage task run before it (the other stages are tasks that switch servers and settings). Capistrano names no such stage: ${named}${reads.length ? `. Its settings read the deploying machine's ENV, read here as their fallbacks: ${reads.join("; ")}` : ""}`,
      advice: `Confirm with whoever ran \`cap deploy\` which environment it deployed, and that ${st.name} is the name its overlay should have${reads.length ? ", and which values those ENV names held when they ran it (each such value may have been a separate deploy: one per value)" : ""}. To name the stage otherwise, write it as a task (\`task :${st.name} do … end\`) or a config/deploy/<stage>.rb file and run again.`,
      source: t.source,
    }];
  });

/** Every rule, by hazard id order in the report. */
/** Global files with plain top-level keys: the gem reads only `default` and environment sections. */
const globalPlainKeys: Rule = (m) =>
  (m.global?.plainFiles ?? []).map((f) => ({
    id: "global.plain-keys",
    message: `${f.file}: keys never read by Global (${f.keys.slice(0, 5).join(", ")}${f.keys.length > 5 ? ", ..." : ""}): the file has no \`default:\` and no environment section, so its namespace is empty on every stage`,
    advice: "Global gives {} for this namespace and so does the migrated config: nothing is lost, but whatever reads these keys gets nothing today. Put them under `default:` (or an environment) if they are meant to be read, or delete the file.",
    source: { file: f.file, line: f.line },
  }));

/**
 * Gem sources on `git://` (old `:git => "git://github.com/..."` lines and lockfiles): public, not
 * private, but GitHub stopped serving the anonymous git protocol in 2022, so `bundle install` as
 * written fails, on the servers today as in an image build.
 */
const gitProtocolSources: Rule = (m) =>
  m.rails.privateSources
    .map((f) => ({ f, host: /^git:\/\/([^/:\s]+)/i.exec(f.value.trim())?.[1]?.toLowerCase() }))
    .filter((x): x is { f: (typeof m.rails.privateSources)[number]; host: string } => !!x.host)
    .map(({ f, host }) => ({
      id: "gems.git-protocol",
      message:
        host === "github.com"
          ? `gem source ${f.value} uses git://, which GitHub no longer serves (since March 2022): bundle install fails fetching it, in the image build as on a fresh server`
          : `gem source ${f.value} uses git://, the unencrypted anonymous git protocol: bundle install fails where ${host} does not serve it`,
      advice: `Change the source to https://${f.value.trim().slice("git://".length)} in the Gemfile (and run bundle install to update Gemfile.lock). Until then the generated Dockerfile rewrites git://${host}/ to https://${host}/ (git config url.insteadOf) so the image builds; no credential is needed for a public repo.`,
      source: f.source,
    }));

/**
 * Backing services the app reaches on its own machine (analyzers/services/local-addresses.ts): in a
 * pod localhost is the pod. database.yml's are `database.localhost`, said first: a pod that connects
 * to a database other than the servers' cuts over to the wrong data.
 */
const localBackends: Rule = (m) =>
  (m.localAddresses ?? [])
    // Only an ENV read's default (Rails' stock cable.yml): the pod sets the variable; said by src/model/env-default-addresses.ts.
    .filter((a) => !a.envDefault)
    .map((a) => {
      const label = LOCAL_KIND_LABEL[a.kind];
      const database = /^database\.yml /.test(a.what);
      const stages = a.stages.length ? `stage${a.stages.length > 1 ? "s" : ""} ${a.stages.join(", ")}` : "";
      const unsure = a.unsure ? `${stages ? "; " : ""}under \`${a.unsure.condition}\`, which the analysis does not decide, in stage${a.unsure.stages.length > 1 ? "s" : ""} ${a.unsure.stages.join(", ")}` : "";
      const how = a.defaultOf ? `${a.address} (written nowhere: ${a.defaultOf})` : a.address;
      const started = (m.services ?? []).find((sv) => sv.kind === a.kind);
      const message =
        `${a.what}${a.repoCopy ? ` (${a.repoCopy})` : ""} reaches ${label} at ${how}` +
        ` (${stages}${unsure}): in a pod localhost is the pod itself, where no ${label.replace(/^an? /, "")} runs` +
        (started ? `; the deploy started ${label} ${started.name} on the servers (${started.source.file}:${started.source.line}), listed with the backing services the cluster must provide` : "");
      const advice = database
        ? `The pod would connect to a database on itself, not the one the servers used. Before the cutover point each stage at its real database: set DATABASE_URL in the stage's secrets.env (Rails merges it over database.yml, its host winning) or make this ${a.what.replace(/^database\.yml \S+ /, "")} an ENV read; then check from a pod, with rails runner, which host and database ActiveRecord connects to, and that it is the servers' database, not a copy.`
        : `Replace the address with an ENV read (ENV.fetch("NAME")) and set that variable per stage to the ${label.replace(/^an? /, "")} the cluster reaches (a managed service, or a Service in the cluster); left as it is, the app fails to connect in the pod, or reaches whatever listens on the pod's own port.`;
      return { id: database ? "database.localhost" : "services.localhost", message, advice, source: a.source };
    })
    // The database first: the one whose silence costs the most.
    .sort((x, y) => Number(y.id === "database.localhost") - Number(x.id === "database.localhost"));

/**
 * Several servers of one stage that each hold the primary :db role, where the stage's database.yml
 * reaches a database on the server itself: Capistrano ran `deploy:migrate` on every one of them,
 * each against its own local database. They are separate sites of the same code (a copy each, its
 * own data), not one app's web servers, and one Deployment with N replicas over one database would
 * merge them. Said first, with every server's line; nothing is migrated per site.
 */
const separateSites: Rule = (m) =>
  m.stages.flatMap((st) => {
    const primaries = st.servers.filter((sv) => sv.primary && sv.roles.includes("db"));
    if (new Set(primaries.map((sv) => sv.host)).size < 2) return [];
    const local = (m.localAddresses ?? []).find((a) => /^database\.yml /.test(a.what) && (a.stages.includes(st.name) || a.stages.length === 0));
    if (!local) return [];
    const each = primaries.map((sv) => `${sv.host} (${sv.source.file}:${sv.source.line})`).join(", ");
    return [{
      id: "stage.separate-sites",
      message: `stage ${st.name} deploys ${primaries.length} separate sites, not one app: each of ${each} holds the primary :db role, so the deploy migrated each one's own database, and ${local.what} reaches the database on the server itself (${local.source.file}:${local.source.line})`,
      advice: "The emitted overlay counts these servers as one app's web servers over one database: that merges the sites. Migrate one site at a time (a stage, or a copy of the repo, per site, each with its own DATABASE_URL and hosts), and move each site's data separately.",
      source: primaries[0]!.source,
    }];
  });

export const RULES: Rule[] = [separateSites, databaseServersCopy, databaseSectionEnv, mongoidServersOnly, mongoidConnection, railsEnvMissing, hookedSetConflict, railsEnvFromEnv, railsEnvCap2Default, railsEnvStartLine, cap2TopLevelStage, stagePairs, localBackends, globalPlainKeys, gitProtocolSources, localData, serverOnlyLinkedFiles, linkedConfigDirHazards, linkedFilesInRepo, cronOnOneServer, stickySessions, secretsInYaml, masterKeyCommitted, unicornSocket, rubyEol, railsEol, capAsk, unknownTemplateValues, assetsFromDisk, sharedRailsEnv, wildcardHosts, envFromServers, otherJobBackends];

export function findHazards(model: Omit<AppModel, "gaps" | "hazards">, asOf: Date = new Date()): Hazard[] {
  return RULES.flatMap((rule) => rule(model, asOf));
}

// --- helpers -------------------------------------------------------------------------------------------

/**
 * Every leaf under a value (what is not a Hash, below the top), in order, with its dotted path and
 * key: the paths built on the way down (a list of path lists, each leaf looked up again from the
 * top, cost more than the rule itself on a large Global tree).
 */
function eachLeaf(v: RValue, dotted: string | null, key: string, fn: (dotted: string, key: string, leaf: RValue) => void): void {
  if (isHash(v)) {
    for (const k of Object.keys(v)) eachLeaf(v[k], dotted === null ? k : `${dotted}.${k}`, k, fn);
    return;
  }
  if (dotted !== null) fn(dotted, key, v);
}

/** A value written as such in the file: not empty, not from ENV, not computed. */
function isLiteral(v: RValue): boolean {
  if (typeof v === "number") return true;
  if (typeof v !== "string") return false;
  return v.trim() !== "";
}

function findUnknowns(v: RValue, path: string[]): { path: string; reason: string; source?: Source }[] {
  if (isUnknown(v)) return [{ path: path.join("."), reason: v.unknown, source: v.source }];
  if (isHash(v)) return Object.entries(v).flatMap(([k, x]) => findUnknowns(x, [...path, k]));
  if (Array.isArray(v)) return v.flatMap((x, i) => findUnknowns(x, [...path, String(i)]));
  if (isInterp(v)) return v.interp.flatMap((x) => findUnknowns(x, path));
  if (isEnvRef(v)) return [];
  if (v && typeof v === "object" && "cap" in v) return [{ path: path.join("."), reason: `Capistrano variable :${(v as { cap: string }).cap} not known for this stage` }];
  return [];
}
