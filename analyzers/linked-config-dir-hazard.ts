// The hazard of a linked config directory (analyzers/linked-config-dirs.ts): the servers read every
// file of it from their shared/ copy, so the image, which has only the repo's files there (or none),
// boots on other settings. Said once per directory, at the line that links it, with what reads it:
// Global (its namespaces), the config gem (config/settings/<env>.yml merged over config/settings.yml).
import type { AppModel, Hazard, LinkedPath } from "../src/model.js";
import { railsEnvOf } from "../src/model.js";
import { linkedConfigDirs } from "./linked-config-dirs.js";

type Model = Omit<AppModel, "gaps" | "hazards">;

const within = (dir: string, path: string): boolean => path === dir || path.startsWith(`${dir}/`);

export function linkedConfigDirHazards(m: Model): Hazard[] {
  return linkedConfigDirs(m.linked).map((l) => hazardOf(m, l));
}

function hazardOf(m: Model, l: LinkedPath): Hazard {
  const dir = l.path.replace(/\/+$/, "");
  const on = l.stages.length ? l.stages : m.stages.map((s) => s.name);
  const stages = on.length ? `stage${on.length > 1 ? "s" : ""} ${on.join(", ")}` : "every stage";
  const held = l.repoFiles ?? [];
  const rendered = (m.global?.templates ?? []).filter((t) => within(dir, t.target));
  const repo = held.length
    ? `the repo's files there (${held.slice(0, 6).join(", ")}${held.length > 6 ? `, and ${held.length - 6} more` : ""}) are not what the servers read`
    : "the repo holds no file there";
  const said: string[] = [];
  // Global: its namespaces come from this directory (or one inside it).
  const g = m.global;
  if (g && (within(dir, g.dir) || within(g.dir, dir))) {
    const copies = g.namespaces.filter((ns) => ns.repoCopy).map((ns) => ns.name);
    said.push(
      copies.length
        ? `Global loads its namespaces from ${g.dir}: the values read here for ${copies.join(", ")} are the repo's copy, the servers' copy may differ, and a namespace only the servers hold is not known at all`
        : `Global loads its namespaces from ${g.dir}, and the repo holds none of them there: its settings exist only on the servers`,
    );
  }
  // The config gem (rubyconfig/config): config/settings/<env>.yml merged over config/settings.yml.
  const base = /^config\/([^/]+)$/.exec(dir)?.[1];
  // Only its settings folder: the gem merges nothing of config/locales or config/certs (audit B s26 #9).
  if (base === "settings") {
    const envs = [...new Set(m.stages.filter((s) => on.includes(s.name)).map(railsEnvOf))];
    const each = envs.map((e) => {
      const f = `${dir}/${e}.yml`;
      return held.includes(f) ? `${f} (the repo's copy may differ)` : `${f} (not in the repo)`;
    });
    if (each.length) said.push(`${m.rails.gems["config"] ? "the config gem" : "a settings loader"} merges ${dir}/<env>.yml over config/${base}.yml: the servers' ${each.join(", ")} ${each.length > 1 ? "were" : "was"} merged over it, so config/${base}.yml's values are not the stages' either`);
  }
  if (rendered.length) said.push(`the deploy renders ${rendered.map((t) => `${t.target} (from ${t.template})`).join(", ")} there itself, read as rendered`);
  return {
    id: "files.server-only",
    message: `${dir} is a linked directory (${stages}; ${l.source.file}:${l.source.line}): the deploy replaced the release's ${dir} with the servers' shared/${dir}, so every file the app read from it is the servers' copy, which the image will not have; ${repo}${said.length ? `; ${said.join("; ")}` : ""}`,
    advice: `Copy shared/${dir} from a server of each stage and compare it with the repo's. Commit what holds nothing secret (what differs by stage as environment sections or ENV reads; secrets as ENV reads set in each stage's secrets.env), or mount the stage's copy at ${dir} from a ConfigMap (a Secret if it holds secrets). Until then the pods boot on the repo's files${g && (within(dir, g.dir) || within(g.dir, dir)) ? ", and the generated config/custom files carry the repo's copy: run the verify task on a server of each stage before the switch" : ""}.`,
    source: l.source,
  };
}
