# Reads Puma config files the way Puma does (Puma::Configuration of Debian's puma 5.6, its DSL
# evaluating the file) and prints what each file set as JSON. Input (stdin): a JSON list of
# {"path": ..., "env": ...}; "env" is put in RAILS_ENV and RACK_ENV before the file is read, as
# capistrano3-puma starts Puma (`with rack_env: puma_env`, under RAILS_ENV of the stage).
require "json"
require_relative "puma_file_options"

out = JSON.parse($stdin.read).map do |c|
  ENV.delete("RAILS_ENV")
  ENV.delete("RACK_ENV")
  if c["env"]
    ENV["RAILS_ENV"] = c["env"]
    ENV["RACK_ENV"] = c["env"]
  end
  puma_file_options(c["path"])
rescue StandardError, ScriptError => e
  { "error" => "#{e.class}: #{e.message}" }
end
puts JSON.generate(out)
