// What a constant read while cap loads the deploy files may be without a NameError: one of Ruby's
// own, or one the repo's deploy files (Capfile, config/deploy*, lib/capistrano) define somewhere.
// The session (session.ts constantAtLoad) says the stage aborts only for a name neither covers.
import type { RepoFiles } from "../../src/model.js";

/** Ruby's own value-shaped constants (Object's), which every file can read. */
export const RUBY_CONSTANTS = new Set(["ENV", "ARGV", "ARGF", "DATA", "STDIN", "STDOUT", "STDERR", "RUBY_VERSION", "RUBY_PLATFORM", "RUBY_ENGINE", "RUBY_ENGINE_VERSION", "RUBY_PATCHLEVEL", "RUBY_RELEASE_DATE", "RUBY_REVISION", "RUBY_COPYRIGHT", "RUBY_DESCRIPTION", "TOPLEVEL_BINDING", "RUBYGEMS_ACTIVATION_MONITOR", "SCRIPT_LINES__"]);

const DEPLOY_FILE = /^(?:Capfile(?:\.rb)?|config\/deploy(?:\.rb|\/.*\.rb)|lib\/capistrano\/.*\.(?:rb|rake|cap))$/;

/** Whether a deploy file assigns `name` (`NAME =`, `NAME ||=`) or defines it as a class or module. */
export function definedInDeployFiles(repo: RepoFiles, name: string): boolean {
  const re = new RegExp(`(?:^|[\\s;(:])${name}\\s*(?:\\|\\|)?=(?!=|~)|\\b(?:class|module)\\s+(?:\\w+::)*${name}\\b|const_set\\(?\\s*:?["']?${name}\\b`, "m");
  for (const p of repo.paths) {
    if (!DEPLOY_FILE.test(p)) continue;
    const r = repo.read(p);
    if ("text" in r && re.test(r.text)) return true;
  }
  return false;
}
