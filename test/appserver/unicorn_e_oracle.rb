# Loaded by the real `unicorn -E <env> -c <this file>`: evaluates the config under test
# (R2K_CONFIG) in Unicorn's own Configurator, exactly where Unicorn reads a config, then writes
# what it set and the RACK_ENV it saw to R2K_OUT, and stops before anything is bound.
require "json"
path = ENV.fetch("R2K_CONFIG")
seen = ENV.fetch("RACK_ENV", nil)
instance_eval(File.read(path), path)
File.write(ENV.fetch("R2K_OUT"), JSON.generate({ "worker_processes" => set[:worker_processes], "timeout" => set[:timeout], "preload_app" => set[:preload_app], "rack_env_seen" => seen }))
exit!(0)
