// A small Capistrano 3 + Puma app in memory for the worker tests: its stages' files, extra files,
// lockfile gems and Capfile requires are the test's own.
import { memoryRepo } from "../../src/repo.js";

export const lock = (gems: Record<string, string>) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`;

export function pluginApp(deploy: string, stages: Record<string, string>, extra: Record<string, string>, gems: Record<string, string>, capfile: string) {
  const all = { rails: "7.1.3", puma: "6.4.2", pg: "1.5.6", ...gems };
  return memoryRepo({
    Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/puma"\n${capfile}`,
    "config/deploy.rb": `set :application, "parcel"\nset :repo_url, "git@git.example.org:ops/parcel.git"\n${deploy}`,
    ...Object.fromEntries(Object.entries(stages).map(([n, t]) => [`config/deploy/${n}.rb`, t])),
    Gemfile: `source "https://rubygems.org"\n${Object.keys(all).map((g) => `gem "${g}"`).join("\n")}\n`,
    "Gemfile.lock": lock(all),
    "config/puma.rb": "threads 5, 5\n",
    ...extra,
  });
}

