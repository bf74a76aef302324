# Reads a config_for file as each Rails version's config_for reads it: the bodies of
# railties/lib/rails/application.rb at v5.2.8.1, v6.0.0 (to 6.0.3) and v6.0.4 (to 6.0.6), run here
# as written there, and the installed Rails itself (Debian's 6.1, same rule as 7.x and 8.x).
# ARGV: app root, config name, comma-separated envs. Prints {env => {rule => Hash}} as JSON.
require "rails"
require "json"
require "erb"
require "yaml"

root, name, envs = ARGV
class VersionsApp < Rails::Application; end
VersionsApp.config.root = root
VersionsApp.config.eager_load = false

text = File.read(File.join(root, "config", "#{name}.yml"))
# Psych 3's YAML.load, as those versions ran it.
all = -> { (YAML.respond_to?(:unsafe_load) ? YAML.unsafe_load(ERB.new(text).result) : YAML.load(ERB.new(text).result)) || {} }

out = envs.split(",").to_h do |env|
  rails604 = begin
    all_configs = all.call
    config, shared = all_configs[env], all_configs["shared"]
    config ||= {} if shared.nil? || shared.is_a?(Hash)
    config.is_a?(Hash) ? (shared&.deep_merge(config) || config) : (config || shared)
  end
  installed = VersionsApp.config_for(name, env: env)
  [env, {
    "5.2" => all.call[env] || {},
    "6.0.0" => (all.call["shared"] || {}).merge(all.call[env] || {}),
    "6.0.4" => rails604,
    "installed" => installed.respond_to?(:to_h) ? installed.to_h.deep_stringify_keys : installed,
  }]
end
puts JSON.generate(out)
