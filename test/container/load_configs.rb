# Loads the emitted container configs as the servers read them, and prints what they set (JSON).
# Unicorn: its own Unicorn::Configurator. Puma (not installed here): a recorder for the DSL methods
# the emitted config calls, evaluated the way Puma's DSL evaluates a config file (instance_eval).
# Input (ARGV[0], JSON): [{ "id", "kind", "path", "env": { NAME => value } }]
require "json"
require "unicorn"

class PumaRecorder
  attr_reader :set
  def initialize; @set = {}; end
  def workers(n); @set["workers"] = n; end
  def threads(min, max); @set["threads"] = [min, max]; end
  def bind(url); (@set["bind"] ||= []) << url; end
  def environment(e); @set["environment"] = e; end
  def preload_app!(v = true); @set["preload_app"] = v; end
  def worker_timeout(t); @set["worker_timeout"] = t; end
  def method_missing(name, *args); (@set["other"] ||= []) << name.to_s; end
  def respond_to_missing?(*) = true
end

cases = JSON.parse(File.read(ARGV[0]))
out = {}
cases.each do |c|
  saved = {}
  c["env"].each { |k, v| saved[k] = ENV[k]; ENV[k] = v }
  begin
    if c["kind"] == "unicorn"
      s = Unicorn::Configurator.new(config_file: c["path"], use_defaults: true).set
      out[c["id"]] = {
        "worker_processes" => s[:worker_processes], "timeout" => s[:timeout], "preload_app" => s[:preload_app],
        "listeners" => s[:listeners], "listener_opts" => s[:listener_opts].to_h,
        "pid" => s[:pid] == :unset ? nil : s[:pid], "stderr_path" => s[:stderr_path] == :unset ? nil : s[:stderr_path],
        "before_fork" => s[:before_fork].source_location&.first == c["path"], "after_fork" => s[:after_fork].source_location&.first == c["path"],
        "cwd" => Dir.pwd,
      }
    else
      r = PumaRecorder.new
      r.instance_eval(File.read(c["path"]), c["path"])
      out[c["id"]] = r.set
    end
  rescue Exception => e
    out[c["id"]] = { "error" => "#{e.class}: #{e.message}" }
  ensure
    saved.each { |k, v| v.nil? ? ENV.delete(k) : ENV[k] = v }
  end
end
puts JSON.generate(out)
