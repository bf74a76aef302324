# Reads Unicorn config files with Unicorn's own Configurator (Debian's unicorn) for
# scripts/corpus.mjs. stdin: a JSON list of paths (or {path, env}: read with RAILS_ENV=env); stdout: one JSON object per path with
# worker_processes (null when the file leaves it unset) and timeout (Unicorn's default when unset),
# and `depends`: for each of the two whose value this machine cannot stand for, what it depends on.
#
# The corpus copy is not the server: a working_directory that does not exist here, an unwritable
# pid/log directory or an unknown `user` would stop the real reader, so those three are recorded
# without checking. Everything else is Unicorn's code.
#
# What this machine is not, each read twice with the one thing changed; a value that moves depends on it:
# - the host: a shell command (`cat /proc/cpuinfo | grep processor`), Etc.nprocessors or a read of
#   /proc or /sys answers for the servers' machine, not this one (the second read changes each answer);
# - RAILS_ENV, for a path given without env (the deploy states none): the servers had some value
#   this reading does not know (unset, production, staging, development are tried).
require "json"
require "etc"
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

# The second read's host: every command's output and every /proc or /sys read has each number one
# higher and each line twice, and twice the CPUs plus one.
$corpus_other_host = false
def other_host(out) = (s = out.to_s.gsub(/\d+/) { |d| (d.to_i + 1).to_s }) + s
HOST_FILE = %r{\A/(?:proc|sys)/}
Kernel.prepend(Module.new do
  def `(cmd)
    out = super
    $corpus_other_host ? other_host(out) : out
  end
end)
Etc.singleton_class.prepend(Module.new { def nprocessors = $corpus_other_host ? super * 2 + 1 : super })
File.singleton_class.prepend(Module.new do
  def read(path, *args, **kw)
    out = super
    $corpus_other_host && HOST_FILE.match?(path.to_s) ? other_host(out) : out
  end

  def readlines(path, *args, **kw)
    out = super
    $corpus_other_host && HOST_FILE.match?(path.to_s) ? out.flat_map { |l| [other_host(l)] * 2 } : out
  end
end)
IO.singleton_class.prepend(Module.new do
  def readlines(path, *args, **kw)
    out = super
    $corpus_other_host && HOST_FILE.match?(path.to_s) ? out.flat_map { |l| [other_host(l)] * 2 } : out
  end
end)

def read_config(path, env, other_host: false)
  $corpus_other_host = other_host
  env ? ENV["RAILS_ENV"] = env : ENV.delete("RAILS_ENV")
  set = Unicorn::Configurator.new(config_file: path).set
  {
    "worker_processes" => set[:worker_processes] == :unset ? nil : set[:worker_processes],
    "timeout" => set[:timeout] == :unset ? Unicorn::Configurator::DEFAULTS[:timeout] : set[:timeout],
  }
ensure
  $corpus_other_host = false
end

ENVS = [nil, "production", "staging", "development"].freeze

results = JSON.parse($stdin.read).map do |item|
  path, env = item.is_a?(Hash) ? [item["path"], item["env"]] : [item, nil]
  base = read_config(path, env)
  depends = {}
  other = begin
    read_config(path, env, other_host: true)
  rescue StandardError, ScriptError
    nil
  end
  base.each_key { |k| depends[k] = "the servers' machine (a shell command or /proc read at boot)" if other && other[k] != base[k] }
  unless env
    readings = ENVS.map do |e|
      read_config(path, e)
    rescue StandardError, ScriptError
      nil
    end
    base.each_key { |k| depends[k] ||= "RAILS_ENV, which the deploy does not state" if readings.compact.map { |r| r[k] }.uniq.size > 1 }
  end
  base.merge(depends.empty? ? {} : { "depends" => depends })
rescue StandardError, ScriptError => e
  { "error" => "#{e.class}: #{e.message}"[0, 300] }
end
puts JSON.generate(results)
