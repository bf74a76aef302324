// Runs real Capistrano (Debian's `cap`, 3.17) on a copy of a fixture app and returns its own view of
// each stage: every variable as `fetch` gives it and every server of `roles(:all)`.
// - Plugins that are not installed here are stubbed: a prelude makes `require` of a missing
//   capistrano*/whenever/... file succeed and `install_plugin` of their classes a no-op plugin.
// - `lock` is neutralised (the fixtures lock other 3.x versions), stdin is /dev/null (so `ask`
//   answers its default), and the environment is empty but PATH/HOME/LANG (so `ENV[...]` is unset).
import { spawn } from "node:child_process";
import { CAPFILE_NAMES } from "../../analyzers/capistrano/capfile.js";
import { existsSync, cpSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PRELUDE = `
R2K_STUBBED = []
module Kernel
  alias_method :__r2k_require, :require
  def require(path)
    __r2k_require(path)
  rescue LoadError
    raise unless path.is_a?(String) && path =~ %r{\\A(capistrano3?|whenever|rvm1?|sidekiq)(/|-|\\z)}
    R2K_STUBBED << path unless R2K_STUBBED.include?(path)
    true
  end
  private :require
end
# Plugin classes of stubbed gems (install_plugin Capistrano::Puma, Capistrano::Sidekiq...): empty
# plugins, made only once a stubbed require happened.
module R2kStubPlugin
  def const_missing(name)
    return super if R2K_STUBBED.empty?
    require "capistrano/plugin"
    klass = Class.new(Capistrano::Plugin)
    klass.extend(R2kStubPlugin)
    const_set(name, klass)
  end
end
module Capistrano; end
Capistrano.extend(R2kStubPlugin)
`;

export const DUMP = `
module Capistrano::DSL
  def lock(*); end
end

task "r2k:dump" do
  enc = lambda do |v|
    case v
    when Symbol then {"sym" => v.to_s}
    when String, Integer, Float, true, false, nil then v
    when Array then v.map { |x| enc.(x) }
    when Hash then v.to_h { |k, x| [k.to_s, enc.(x)] }
    when Pathname then v.to_s
    when Proc then {"proc" => v.arity}
    else {"object" => v.class.name}
    end
  end
  vars = {}
  env.variables.keys.each { |k| vars[k.to_s] = enc.(fetch(k)) }
  servers = roles(:all).map do |s|
    props = s.properties.to_h.reject { |k, _| k == :primary }
    props = props.merge(ssh_options: s.ssh_options) if s.ssh_options
    { host: s.hostname, user: s.user, port: s.port, roles: s.roles.map(&:to_s), primary: !!s.properties.fetch(:primary), properties: enc.(props) }
  end
  puts "R2K-JSON" + JSON.generate({ variables: vars, servers: servers, stubbed: R2K_STUBBED })
end
`;

export interface CapView {
  variables: Record<string, unknown>;
  servers: { host: string; user: string | null; port: number | null; roles: string[]; primary: boolean; properties: Record<string, unknown> }[];
  stubbed: string[];
}

/** A temporary copy of the app, with the dump task loaded from its Capfile. */
export function prepareCopy(appDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-cap-"));
  cpSync(appDir, join(dir, "app"), { recursive: true });
  const app = join(dir, "app");
  writeFileSync(join(dir, "prelude.rb"), PRELUDE);
  writeFileSync(join(dir, "dump.rake"), DUMP);
  // Into the file `cap` loads (Capfile.rb, capfile...): a new "Capfile" beside it would be loaded instead.
  const capfile = CAPFILE_NAMES.find((n) => existsSync(join(app, n))) ?? "Capfile";
  appendFileSync(join(app, capfile), `\nload ${JSON.stringify(join(dir, "dump.rake"))}\n`);
  return app;
}

/**
 * `rubyLib`: a folder put on Ruby's load path (a real plugin gem's lib/, when one is given). `env`:
 * variables of the deploying shell set for this run (the others stay unset).
 */
export function runCap(app: string, stage: string, rubyLib?: string, env: Record<string, string> = {}): Promise<CapView> {
  return new Promise((resolve, reject) => {
    const child = spawn("cap", [stage, "r2k:dump"], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `${rubyLib ? `-I${rubyLib} ` : ""}-r${join(app, "..", "prelude.rb")} -rjson`, ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      const line = out.split("\n").find((l) => l.includes("R2K-JSON"));
      if (code !== 0 || !line) return reject(new Error(`cap ${stage} failed (${code}): ${err}\n${out}`));
      resolve(JSON.parse(line.slice(line.indexOf("R2K-JSON") + 8)));
    });
  });
}

export const readText = (p: string) => readFileSync(p, "utf8");
