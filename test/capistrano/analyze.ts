// Runs the Capistrano analyzer on in-memory files, collecting problems.
import { memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCapistranoWith, type CapistranoOptions } from "../../analyzers/capistrano/index.js";
import type { Problem, Stage } from "../../src/model.js";

export const CAPFILE3 = `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n`;

export async function analyze(files: Record<string, string>, options: CapistranoOptions = {}) {
  await initPrism();
  const problems: Problem[] = [];
  const result = analyzeCapistranoWith({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, options);
  const stage = (name: string): Stage => {
    const s = result.stages.find((x) => x.name === name);
    if (!s) throw new Error(`no stage ${name}`);
    return s;
  };
  const v = (st: string, name: string) => stage(st).variables[name]?.value;
  return { ...result, problems, stage, v };
}
