// Values read from the repo's copy of a file the servers replaced with their own (a linked config
// directory, or a Global file linked by itself): labelled as the repo's copy wherever they are shown,
// never as the stage's values. The hazard that says what to do is analyzers/linked-config-dir-hazard.ts.
import type { GlobalFacts, LinkedPath, LocalAddress, Stage } from "../src/model.js";
import { railsEnvOf } from "../src/model.js";
import { linkedDirHolding, linkedConfigDirs, repoCopyLabel } from "./linked-config-dirs.js";

/**
 * Global namespaces read from files the servers replaced: `repoCopy` says so, with the link's line.
 * A namespace the deploy renders from a template is the deploy's (its values are known), not labelled.
 */
export function markGlobalRepoCopies(global: GlobalFacts | null, linked: readonly LinkedPath[]): void {
  if (!global) return;
  const rendered = new Set(global.templates.map((t) => t.target));
  for (const ns of global.namespaces) {
    if (ns.files.some((f) => rendered.has(f))) continue;
    for (const f of ns.files) {
      const dir = linkedDirHolding(linked, f);
      const file = dir ? null : linked.find((l) => l.kind === "file" && l.path === f && !l.serverOnly);
      const l = dir ?? file;
      if (!l) continue;
      ns.repoCopy = {
        label: dir ? repoCopyLabel(dir) : `the repo's copy, the servers' copy may differ: ${f} is linked from the servers' shared/ directory (${l.source.file}:${l.source.line})`,
        source: l.source,
        stages: [...l.stages],
      };
      break;
    }
  }
}

/**
 * Backing-service addresses read from a repo file in a linked config directory, and those of the
 * config gem's base file (config/settings.yml) on a stage whose per-env file (config/settings/<env>.yml)
 * lives in such a directory: the servers' copy merged over it, so the base file's value may not be
 * what the stage read.
 */
export function labelLocalAddresses(addresses: LocalAddress[], linked: readonly LinkedPath[], stages: readonly Stage[]): void {
  if (!linkedConfigDirs(linked).length) return;
  // An app without stages is judged for production (local-addresses.ts stageEnvs): its stage name is its env.
  const envOf = (name: string) => {
    const s = stages.find((x) => x.name === name);
    return s ? railsEnvOf(s) : name;
  };
  for (const a of addresses) {
    const dir = linkedDirHolding(linked, a.source.file);
    if (dir) {
      a.repoCopy = repoCopyLabel(dir);
      continue;
    }
    const base = /^config\/([^/]+)\.ya?ml$/.exec(a.source.file)?.[1];
    if (!base) continue;
    const over = a.stages.map((st) => ({ st, l: linkedDirHolding(linked, `config/${base}/${envOf(st)}.yml`) })).filter((x) => x.l && (!x.l.stages.length || x.l.stages.includes(x.st)));
    if (!over.length) continue;
    const l = over[0]!.l!;
    a.repoCopy = `the servers' config/${base}/<env>.yml may override it on stage${over.length > 1 ? "s" : ""} ${over.map((x) => x.st).join(", ")}: ${repoCopyLabel(l).replace(/^the repo's copy, the servers' copy may differ: /, "")}`;
  }
}
