# For each generated app: Global's configuration of a namespace (the reference reader of the gem's
# rules) against what real Rails' config_for gives from the emitted config/custom file, per env.
# stdin: JSON [{ root, ns, envs }]; stdout: JSON [{ root, env, global, config_for }] for each pair
# that differs (empty when every one round-trips), plus what YAML.load_file made of the Global file.
require "json"
require "pathname"
require "rails"
require "active_support/all"
require_relative "../../global/reference_global"

class ProtoKeysApp < Rails::Application
  config.eager_load = false
end

def plain(v)
  case v
  when Hash then v.to_h { |k, x| [k.to_s, plain(x)] }
  when Array then v.map { |x| plain(x) }
  else v
  end
end

out = { "differ" => [], "loaded" => {} }
JSON.parse($stdin.read).each do |app|
  global_dir = File.join(app["root"], "config/global")
  out["loaded"][app["root"]] = plain(YAML.load_file(File.join(global_dir, "#{app["ns"]}.yml")))
  app["envs"].each do |env|
    want = plain(ReferenceGlobal.configuration(global_dir, env)[app["ns"]] || {})
    got = plain(Rails.application.config_for(Pathname.new(File.join(app["root"], "config/custom/#{app["ns"]}.yml")), env: env).to_h)
    out["differ"] << { "root" => app["root"], "env" => env, "global" => JSON.generate(want), "config_for" => JSON.generate(got) } if want != got
  end
end
puts JSON.generate(out)
