# Appended (by `load`) to the Capfile of a scratch copy. `lock` is a no-op because each repo pins its
# own 3.x version. Each answer is one line, prefixed CORPUS-JSON, that scripts/corpus.mjs reads.
module Capistrano::DSL
  def lock(*); end
end

# Capistrano runs no task without a stage, so the stage names it accepts are printed here, as the
# Capfile finishes loading, when asked for: then `cap` stops, or cap_batch.rb goes on to the stages.
if ENV["CORPUS_LIST_STAGES"] || ENV["CORPUS_BATCH"]
  # Kept for cap_batch.rb: the Capfile's own `stages` (a Capfile may not include Capistrano::DSL everywhere).
  $corpus_stages = stages
  puts "CORPUS-JSON" + JSON.generate(stages: $corpus_stages)
  $stdout.flush
  exit 0 unless ENV["CORPUS_BATCH"]
end

namespace :corpus do
  desc "The servers of the stage, with their roles"
  task :dump do
    plain = ->(v) { v.is_a?(Symbol) || v.is_a?(String) || v.is_a?(Numeric) ? v.to_s : nil }
    servers = roles(:all).map { |s| { host: s.hostname, user: s.user, roles: s.roles.map(&:to_s).sort } }
    puts "CORPUS-JSON" + JSON.generate(
      servers: servers,
      rails_env: env.variables.keys.include?(:rails_env) ? plain.(fetch(:rails_env)) : nil,
      # whenever's Capistrano tasks write a crontab on each server of these roles (its default :db),
      # generated with `--set environment=<whenever_environment>` and that server's `--roles`.
      whenever_roles: Array(fetch(:whenever_roles, :db)).map(&:to_s),
      whenever_environment: env.variables.keys.include?(:whenever_environment) ? plain.(fetch(:whenever_environment)) : nil,
      # What `--set` got: whenever_variables as the servers' shell splits it (its first word).
      whenever_set: (v = fetch(:whenever_variables, nil)).is_a?(String) ? (require("shellwords"); Shellwords.split(v).first) : nil,
      # whenever/capistrano (v3) passes `-f <whenever_load_file>` when set (its default nil).
      whenever_load_file: env.variables.keys.include?(:whenever_load_file) ? plain.(fetch(:whenever_load_file)) : nil,
      missing: CORPUS_MISSING
    )
  end
end
