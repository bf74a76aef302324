// A god watch inside a loop (`%w(mail reports).each { |q| God.watch { |w| … } }`, `3.times { |i| … }`)
// started one process per pass. Each pass's command and `w.env` (god-starts.ts) decide what the pod
// runs: passes alike (same command, same env) are one worker with that many processes; passes that
// differ are one worker each. A loop of more kinds than MAX_LOOP_KINDS is cut there, and the cut is
// named (a loop that long is a generated list, better set by hand than as fifty Deployments).
import type { GodPass } from "./god-starts.js";

/** Distinct processes of one watch carried as workers of their own, at most. */
export const MAX_LOOP_KINDS = 50;

export interface GodKind {
  command: string;
  env: GodPass["env"];
  /** The passes that started this same process. */
  count: number;
  /** The pass's own `w.name` where the passes of this kind share one. */
  name?: string;
  envUnknown?: GodPass["envUnknown"];
}

/** The watch's passes grouped by (command, env), in the loop's order; `cut`: kinds past the cap, not carried. */
export function godKinds(passes: readonly GodPass[]): { kinds: GodKind[]; cut: GodKind[] } {
  const by = new Map<string, GodKind & { names: Set<string | undefined> }>();
  for (const p of passes) {
    if (p.command === null) continue;
    const key = JSON.stringify([p.command, p.env.map((e) => [e.name, e.value])]);
    const k = by.get(key);
    if (k) {
      k.count++;
      k.names.add(p.name);
    } else by.set(key, { command: p.command, env: p.env, count: 1, names: new Set([p.name]), ...(p.envUnknown ? { envUnknown: p.envUnknown } : {}) });
  }
  const all = [...by.values()].map(({ names, ...k }) => (names.size === 1 && [...names][0] !== undefined ? { ...k, name: [...names][0]! } : k));
  return { kinds: all.slice(0, MAX_LOOP_KINDS), cut: all.slice(MAX_LOOP_KINDS) };
}
