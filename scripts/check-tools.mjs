#!/usr/bin/env node
// The tests judge our output with the real tools (Ruby, Rails, Capistrano, Unicorn, nginx,
// whenever, Mina, Sidekiq, Redis, kubectl, tmux, less, shellcheck). This checks they are here before the suite starts. As
// root with apt-get available it installs what is missing from Debian; otherwise it fails at once
// and says what to install — never a skipped test hiding a missing tool.
import { execFileSync, spawnSync } from "node:child_process";

const DEBIAN = ["ruby", "ruby-railties", "capistrano", "unicorn", "puma", "nginx", "ruby-whenever", "mina", "tmux", "less", "hyperfine", "shellcheck", "ruby-sidekiq", "redis-server", "ruby-foreman", "thin"];
const checks = [
  ["ruby", ["-e", "exit 0"], "ruby"],
  ["ruby", ["-e", "require 'rails'; require 'active_support/all'"], "ruby-railties"],
  ["cap", ["--version"], "capistrano"],
  ["unicorn", ["-v"], "unicorn"],
  // Puma's own config DSL judges the Puma reader (test/appserver/puma_oracle.rb).
  ["ruby", ["-e", "require 'puma'; require 'puma/configuration'"], "puma"],
  ["/usr/sbin/nginx", ["-v"], "nginx"],
  ["whenever", ["--version"], "ruby-whenever"],
  // Mina's own run judges the Mina targets (test/capistrano/mina-targets.test.ts).
  ["mina", ["--version"], "mina"],
  ["tmux", ["-V"], "tmux"],
  // The review's pager in the terminal tests (test/migrate/terminal.test.ts).
  ["less", ["--version"], "less"],
  ["shellcheck", ["--version"], "shellcheck"],
  ["ruby", ["-e", "require 'sidekiq/cli'"], "ruby-sidekiq"],
  ["ruby", ["-e", "require 'thin'"], "thin"],
  ["redis-server", ["--version"], "redis-server"],
  // foreman's own start/export judges which Procfile process the deploy runs (test/appserver/foreman-started.test.ts).
  ["foreman", ["version"], "ruby-foreman"],
  ["redis-cli", ["--version"], "redis-server"],
];

function missing() {
  const out = [];
  for (const [cmd, args, pkg] of checks) {
    const r = spawnSync(cmd, args, { stdio: "ignore" });
    if (r.status !== 0) out.push(pkg);
  }
  return [...new Set(out)];
}

let lack = missing();
if (lack.length) {
  const canInstall = process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (canInstall) {
    console.error(`check-tools: installing from Debian: ${lack.join(" ")}`);
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...DEBIAN], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    lack = missing();
  }
  if (lack.length) {
    console.error(`check-tools: the tests need these Debian packages: ${lack.join(" ")}\n  run: apt-get update && apt-get install -y --no-install-recommends ${DEBIAN.join(" ")}`);
    process.exit(1);
  }
}
if (spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status !== 0) {
  console.error("check-tools: kubectl is missing (it is on the machine image; `kubectl kustomize` judges every overlay)");
  process.exit(1);
}
