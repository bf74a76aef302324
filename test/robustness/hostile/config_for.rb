# Reads each file as Rails' config_for does (ERB, then YAML: ActiveSupport::ConfigurationFile),
# in the caller's working directory. usage: ruby config_for.rb FILE... → JSON { file => { value | error } }
require "json"
require "active_support"
require "active_support/configuration_file"

out = {}
ARGV.each do |file|
  begin
    value = ActiveSupport::ConfigurationFile.parse(file)
    out[file] = { value: JSON.parse(JSON.generate(value)) }
  rescue Exception => e # rubocop:disable Lint/RescueException
    out[file] = { error: "#{e.class}: #{e.message}"[0, 500] }
  end
end
puts JSON.generate(out)
