# Reads Unicorn config files with Unicorn's own Configurator (Debian's unicorn) for
# scripts/corpus.mjs. stdin: a JSON list of paths (or {path, env}: read with RAILS_ENV=env); stdout: one JSON object per path with
# worker_processes (null when the file leaves it unset) and timeout (Unicorn's default when unset).
#
# The corpus copy is not the server: a working_directory that does not exist here, an unwritable
# pid/log directory or an unknown `user` would stop the real reader, so those three are recorded
# without checking. Everything else is Unicorn's code.
require "json"
require "unicorn"

module CorpusNoServerChecks
  def working_directory(path)
    set[:working_directory] = File.expand_path(path)
  end

  def user(user, group = nil)
    set[:user] = [user, group]
  end
end
Unicorn::Configurator.prepend(CorpusNoServerChecks)
File.singleton_class.prepend(Module.new { def writable?(_path) = true })

results = JSON.parse($stdin.read).map do |item|
  path, env = item.is_a?(Hash) ? [item["path"], item["env"]] : [item, nil]
  env ? ENV["RAILS_ENV"] = env : ENV.delete("RAILS_ENV")
  set = Unicorn::Configurator.new(config_file: path).set
  {
    "worker_processes" => set[:worker_processes] == :unset ? nil : set[:worker_processes],
    "timeout" => set[:timeout] == :unset ? Unicorn::Configurator::DEFAULTS[:timeout] : set[:timeout],
  }
rescue StandardError, ScriptError => e
  { "error" => "#{e.class}: #{e.message}"[0, 300] }
end
puts JSON.generate(results)
