# One stage of a fixture app, end to end under real Rails (Debian's railties):
#   1. what Global gives on that stage's servers — the fixture's config/global read by the gem's
#      rules (test/global/reference_global.rb), with the Capistrano templates rendered into a copy
#      using the stage's variables, exactly as deploy put them there;
#   2. a Rails app booted on the files rails2k8s emitted, with the pod's environment (the process
#      ENV, set by the test from the stage's config.env and secrets.env);
#   3. a deep comparison of both, namespace by namespace, and the emitted rake task
#      rails2k8s:verify_config run against the same Global.
#
#   ruby fixture_verify.rb INPUT_JSON
# INPUT_JSON: { app_dir, fixture_root, global_dir, rails_env, vars, templates: [{template, target}] }
require_relative "rails_harness"
require_relative "../global/reference_global"

input = JSON.parse(File.read(ARGV[0]))
# Booted first: Global loads inside the booted app (an initializer), where Rails.root is set.
RailsHarness.boot(input["app_dir"])
reference = ReferenceGlobal.stage_configuration(input["fixture_root"], input["global_dir"], input["rails_env"], input["vars"], input["templates"])
Global.values = reference

# Plain nested Hashes with String keys, Symbols and Dates as they are: what `==` compares.
def plain(v)
  case v
  when Hash then v.each_with_object({}) { |(k, x), h| h[k.to_s] = plain(x) }
  when Array then v.map { |x| plain(x) }
  else v
  end
end

# Each difference by its dotted path, values shown by type only (fixtures hold fake secrets, but
# the test output should not teach anyone to print config values).
# Strict: 1 and 1.0, or "1" and 1, are different values to the app even where Ruby's == says equal.
def diffs(a, b, path = [])
  if a.is_a?(Hash) && b.is_a?(Hash)
    (a.keys | b.keys).flat_map { |k| diffs(a[k], b[k], path + [k]) }
  elsif a.is_a?(Array) && b.is_a?(Array) && a.size == b.size
    a.each_index.flat_map { |i| diffs(a[i], b[i], path + [i.to_s]) }
  elsif a.class == b.class && a == b
    []
  else
    ["#{path.join(".")}: Global #{a.class} vs config_for #{b.class}#{a.class == b.class ? " (different value)" : ""}"]
  end
end

out = { "namespaces" => reference.keys.sort, "diffs" => [] }
reference.each do |ns, want|
  got = Rails.configuration.x.respond_to?(ns) ? Rails.configuration.x.public_send(ns) : nil
  got = got.respond_to?(:to_h) ? got.to_h : got
  out["diffs"].concat(diffs(plain(want), plain(got), [ns]))
end

out["task"] = RailsHarness.run_task("rails2k8s:verify_config")
puts JSON.generate(out)
