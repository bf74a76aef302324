// The scratch copies the corpus run's oracles work in (scripts/corpus.mjs): the repo itself is never
// written, and nothing an oracle runs writes outside its copy.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";

/** A copy of the repo in a fresh scratch folder (symbolic links kept as links). */
export function scratchCopy(repoDir, scratchRoot, label) {
  const dest = join(scratchRoot, label);
  const r = spawnSync("cp", ["-a", "--", repoDir, dest], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cp -a ${repoDir}: ${r.stderr}`);
  return dest;
}

/**
 * A committed `log` that is a symbolic link out of the repo (participa.cloud's `log ->
 * /home/ruby-data/app/shared/log`, a path of its servers) is made an empty folder in the copy. Capistrano
 * writes log/capistrano.log in the folder it runs in (Airbrussh's log file, made with mkdir_p at
 * each stage's load): a link to nowhere fails every stage with Errno::EEXIST, and a link to a folder
 * of this machine would be written outside the copy. Neither says anything of the deploy. Returns
 * what was done, for the run's log, or null when `log` is not such a link.
 */
export function detachLinkedLog(app) {
  const log = join(app, "log");
  let st;
  try {
    st = lstatSync(log);
  } catch {
    return null;
  }
  if (!st.isSymbolicLink()) return null;
  const target = readlinkSync(log);
  const resolved = existsSync(log) ? realpathSync(log) : resolve(app, target);
  const rel = relative(realpathSync(app), resolved);
  const inside = rel !== "" && rel.split(sep)[0] !== ".." && !isAbsolute(rel);
  if (inside && existsSync(log)) return null;
  rmSync(log);
  mkdirSync(log);
  return `log is a committed link to ${target}${existsSync(resolved) ? "" : ", which is not there"}: an empty folder in the copy, for Capistrano's log/capistrano.log`;
}
