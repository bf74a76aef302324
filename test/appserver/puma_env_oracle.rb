# Starts Puma's own command line as capistrano3-puma 6+'s systemd unit does (`puma -e <env>`, no -C)
# in an app directory, up to the point where the config is loaded (Puma::CLI builds the Launcher,
# which loads it; nothing is bound), and prints which file Puma loaded and what it set, and what
# ENV["RACK_ENV"] held while the file was evaluated. Input (stdin): a JSON list of {"dir", "env",
# "args"?, "rack_env"?, "environ"?}: -e env (when env is given), then args; rack_env, and each
# name => value of environ (a start line's `RAILS_ENV=x` prefix), are put in the environment.
require "json"
require "puma"
require "puma/cli"

module SeeEnv
  def _load_from(path)
    $rack_env_seen = ENV.fetch("RACK_ENV", nil)
    super
  end
end
Puma::DSL.prepend(SeeEnv)

out = JSON.parse($stdin.read).map do |c|
  Dir.chdir(c["dir"]) do
    $rack_env_seen = :not_loaded
    ENV["RACK_ENV"] = c["rack_env"] if c["rack_env"]
    c.fetch("environ", {}).each { |k, v| ENV[k] = v }
    cli = Puma::CLI.new([*(c["env"] ? ["-e", c["env"]] : []), *c.fetch("args", [])], Puma::Events.strings)
    conf = cli.instance_variable_get(:@conf)
    opts = conf.options
    {
      "file" => conf.config_files.first,
      "workers" => opts[:workers],
      "threads" => [opts[:min_threads], opts[:max_threads]],
      "rack_env_seen" => $rack_env_seen == :not_loaded ? "not loaded" : $rack_env_seen,
    }
  ensure
    ENV.delete("RACK_ENV")
    c.fetch("environ", {}).each_key { |k| ENV.delete(k) }
  end
rescue StandardError, ScriptError => e
  { "error" => "#{e.class}: #{e.message}" }
end
puts JSON.generate(out)
