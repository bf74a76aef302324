# Reads Unicorn config files the way Unicorn does (Unicorn::Configurator.new(config_file:).set,
# Debian's unicorn 6) and prints what they set as JSON. Input (stdin): a JSON list of paths.
#
# Only the checks tied to the EC2 machine are lifted: pid/log directories must be writable and
# working_directory chdirs into a directory that must exist (both are server paths, not here), and
# `user` looks the user up. Everything else is Unicorn's own code.
require "json"
require "unicorn"

module LiftServerChecks
  def working_directory(path)
    set[:working_directory] = File.expand_path(path) # recorded instead of Dir.chdir
  end

  def user(user, group = nil)
    set[:user] = [user, group]
  end
end
Unicorn::Configurator.prepend(LiftServerChecks)
File.singleton_class.prepend(Module.new { def writable?(_path) = true })

HOOKS = %i[before_fork after_fork before_exec after_worker_ready after_worker_exit].freeze
defaults = Unicorn::Configurator::DEFAULTS

out = JSON.parse($stdin.read).map do |item|
  path, env = item.is_a?(Hash) ? [item["path"], item["env"]] : [item, nil]
  env ? ENV["RAILS_ENV"] = env : ENV.delete("RAILS_ENV")
  set = Unicorn::Configurator.new(config_file: path).set
  given = ->(k) { set[k] == :unset ? nil : set[k] }
  {
    "worker_processes" => given[:worker_processes],
    "timeout" => set[:timeout] == :unset ? defaults[:timeout] : set[:timeout],
    "listeners" => set[:listeners].map { |a| { "address" => a, "options" => set[:listener_opts].fetch(a, {}).transform_keys(&:to_s) } },
    "preload_app" => given[:preload_app],
    "pid" => given[:pid],
    "stderr_path" => given[:stderr_path],
    "stdout_path" => given[:stdout_path],
    "working_directory" => set.key?(:working_directory) ? set[:working_directory] : nil,
    "hooks" => HOOKS.select { |h| set[h] != :unset && !set[h].equal?(defaults[h]) }.map(&:to_s),
  }
rescue StandardError, ScriptError => e
  { "error" => "#{e.class}: #{e.message}" }
end
puts JSON.generate(out)
