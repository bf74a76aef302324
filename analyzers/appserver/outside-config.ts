// The deploy makes the server read a config the repo cannot hold: `set :unicorn_config_path,
// "/etc/unicorn.conf"` (DigitalOcean's one-click Rails image keeps its Unicorn config there and a
// restart script of the box starts it), a start line's `-c /etc/unicorn.conf`, or a path inside the
// release the repo lacks. That stage's numbers are then not the repo's config/unicorn.rb's: each is a
// gap (src/gaps/appserver.ts), and the repo's file, which the servers do not read, only offers its
// numbers as the questions' labelled defaults (else the repo's example copy's, else the server's own).
import type { AnalyzerContext, AppServerConfig, Source, Stage } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { unseenConfig } from "./server-only.js";
import { exampleSuggested, suggestedOf } from "./suggested-numbers.js";
import type { ServerKind } from "./files.js";

export interface OutsideStart {
  kind: ServerKind;
  stage: Stage;
  /** The path as the deploy gives it. */
  written: string;
  /** Where the deploy names it (the `set`, the start line). */
  at: Source;
  /** How it is named, in words: "unicorn_config_path", "the start line's -c". */
  by: string;
  /** What the path is, in words: "a path outside the release, which the repo cannot hold", "a path the repo does not hold". */
  where: string;
}

/** One config per path and line, whose numbers are gaps, offered the repo's own (or its example's) numbers as labelled defaults. */
export function outsideConfigs(ctx: AnalyzerContext, starts: OutsideStart[], read: AppServerConfig[]): AppServerConfig[] {
  const out: AppServerConfig[] = [];
  for (const s of starts) {
    const same = out.find((o) => o.kind === s.kind && o.file === s.written && o.startedBy?.source.file === s.at.file && o.startedBy.source.line === s.at.line);
    if (same) {
      if (!same.stages.includes(s.stage.name)) same.stages.push(s.stage.name);
      continue;
    }
    const why = `the deploy starts ${s.kind} with ${s.written} (${s.by}, ${s.at.file}:${s.at.line}), ${s.where}: the servers read a file of their own`;
    const cfg = unseenConfig(s.kind, s.written, s.stage.name, why, s.at, `${why}; its numbers are asked, and no config of the repo is read as this stage's`);
    // The repo's config the stage would otherwise have been given: its numbers, offered and labelled.
    const own = read.find((a) => a.kind === s.kind && a.env === railsEnvOf(s.stage)) ?? read.find((a) => a.kind === s.kind && a.env === null && !a.stages.length);
    const fromOwn = own ? suggestedOf(own, `the repo's ${own.file}`, ", which the servers do not read") : null;
    const suggested = fromOwn ?? exampleSuggested(ctx, s.kind)?.suggested ?? null;
    out.push(suggested ? { ...cfg, suggested } : cfg);
  }
  return out;
}
