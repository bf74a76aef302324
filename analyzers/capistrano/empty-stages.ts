// Stages that deploy nowhere. `cap install` writes config/deploy/staging.rb and production.rb with
// every line commented out, and teams add development.rb or test.rb beside them that they never
// fill in: Capistrano loads such a stage and runs its deploy on no host. Nothing of the app ran
// there, so it gets no overlay and no question; it is named instead.
//
// Rules:
// - A stage without servers counts only when nothing unknown could have declared one (no
//   `unread` servers: a cap-ec2 `ec2_role`, a loop over a computed list). Those stay stages, with
//   their question servers.<stage>.
// - When every stage is such a file, nothing says which one was the real deploy: the stages are
//   kept as they are (each one's CronJobs suspended, as before), so no overlay set is invented.
import type { CapistranoFacts, Source, Stage, StageWithoutServers } from "../../src/model.js";

/** True when the stage declares no server and nothing it could not read would have declared one. */
export function declaresNoServer(stage: Stage): boolean {
  if (stage.undeclared || stage.servers.length) return false;
  return !(Array.isArray(stage.unread) && stage.unread.some((u) => u.what === "servers"));
}

/** The stages that get an overlay, and those left out because they deploy nowhere. */
export function splitEmptyStages(stages: Stage[], unusableFiles: ReadonlySet<string> = new Set()): { stages: Stage[]; empty: StageWithoutServers[] } {
  // A stage file refused as unusable (a syntax error, nesting too deep) said nothing readable: not "no server".
  const empty = (s: Stage) => declaresNoServer(s) && !unusableFiles.has(s.source.file);
  const kept = stages.filter((s) => !empty(s));
  if (!kept.length || kept.length === stages.length) return { stages, empty: [] };
  return { stages: kept, empty: stages.filter(empty).map((s) => ({ name: s.name, source: s.source, ...(s.capAborts ? { capAborts: s.capAborts } : {}) })) };
}

/**
 * The facts without the gems only dropped stages' own files require (Stage.plugins): kept, they
 * would read as Capfile requires and switch their plugin on for every stage that is left. Hooks and
 * tasks only dropped stages' deploys define go too (HookDef.stages), and the others name kept stages only.
 */
export function withoutDroppedPlugins(cap: CapistranoFacts, all: Stage[], kept: Stage[]): CapistranoFacts {
  const at = (p: { source: { file: string; line: number } }) => `${p.source.file}:${p.source.line}`;
  const keptAt = new Set(kept.flatMap((s) => (s.plugins ?? []).map(at)));
  const droppedAt = new Set(all.filter((s) => !kept.includes(s)).flatMap((s) => (s.plugins ?? []).map(at)).filter((k) => !keptAt.has(k)));
  const out = droppedAt.size ? { ...cap, requires: cap.requires.filter((r) => !droppedAt.has(at(r))) } : cap;
  // Hooks and tasks defined only in dropped stages' deploys are gone with them; the others name only kept stages.
  const names = kept.map((s) => s.name);
  const within = <T extends { stages?: string[] }>(list: T[]): T[] =>
    list.flatMap((x) => {
      if (!x.stages) return [x];
      const on = x.stages.filter((n) => names.includes(n));
      if (!on.length) return [];
      if (on.length === names.length) {
        const { stages: _all, ...rest } = x;
        return [rest as T];
      }
      return [{ ...x, stages: on }];
    });
  return { ...out, tasks: within(out.tasks), hooks: within(out.hooks), ...(out.conditionalHooks ? { conditionalHooks: within(out.conditionalHooks) } : {}) };
}

/**
 * Marks the stages left out that other stage files load (`require_relative "helper"`, `require
 * "./config/deploy/helper"`): a helper file kept in config/deploy/. Capistrano 3's setup defines a
 * task for every config/deploy/*.rb, so `cap helper deploy` exists and runs on no host; the file is
 * still a stage to cap, so it stays listed as one without servers, named as the helper it is.
 */
export function markHelperStages(empty: StageWithoutServers[], stages: Stage[], text: (file: string) => string | null): void {
  for (const e of empty) {
    const dir = e.source.file.replace(/[^/]*$/, "");
    const by: Source[] = [];
    for (const st of stages) {
      const t = st.source.file !== e.source.file ? text(st.source.file) : null;
      if (t === null) continue;
      t.split("\n").forEach((line, i) => {
        const m = /^\s*(require_relative|require)\s*\(?\s*["']([^"']+)["']/.exec(line);
        if (!m) return;
        const name = m[2]!.replace(/\.rb$/, "");
        // require_relative resolves from the loading file's folder; a plain require from the repo root (`./config/deploy/x`)
        const target = m[1] === "require_relative" ? joinPath(st.source.file.replace(/[^/]*$/, ""), name) : name.replace(/^\.\//, "");
        if (`${target}.rb` === e.source.file && target.startsWith(dir)) by.push({ file: st.source.file, line: i + 1 });
      });
    }
    if (by.length) e.loadedBy = by;
  }
}

/** `dir/` + a relative path, with `./` and `../` resolved. */
function joinPath(dir: string, rel: string): string {
  const parts: string[] = [];
  for (const p of `${dir}${rel}`.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return parts.join("/");
}
