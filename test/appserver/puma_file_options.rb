# What one Puma config file sets, as Debian's Puma::Configuration reads it (its DSL evaluating the
# file): the settings the oracles compare. Shared by puma_oracle.rb and puma_template_oracle.rb.
require "puma"
require "puma/configuration"

def puma_file_options(path)
  conf = Puma::Configuration.new(config_files: [path])
  conf.load
  set = conf.options.file_options
  {
    "workers" => set[:workers],
    "threads" => set.key?(:min_threads) ? [set[:min_threads], set[:max_threads]] : nil,
    "worker_timeout" => set[:worker_timeout],
    "preload_app" => set[:preload_app],
    "binds" => set[:binds],
  }
end
