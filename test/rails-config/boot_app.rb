# Boots a real Rails application (Debian's railties) on a directory that holds emitted files
# (config/custom/*.yml, config/initializers/00_rails2k8s_config.rb, lib/tasks/rails2k8s.rake), then
# prints what the app sees as JSON, typed so Symbols, Dates and Floats survive the trip.
#
#   ruby boot_app.rb APP_DIR GLOBAL_JSON_FILE [TASK]
#
# GLOBAL_JSON_FILE holds the values Global gives (typed JSON, see `untype`), or is Global's config
# directory itself; a minimal `Global`
# with `configuration.to_hash` serves them to the verify task, since the global gem itself is not
# packaged by Debian. With TASK, runs that rake task and reports its exit status and output.
require_relative "rails_harness"

APP_DIR, GLOBAL_FILE, TASK = ARGV

def untype(v)
  case v
  when Hash
    if v.keys == ["sym"] then v["sym"].to_sym
    elsif v.keys == ["date"] then Date.parse(v["date"])
    elsif v.keys == ["float"] then v["float"] == "NaN" ? Float::NAN : Float(v["float"].sub("Infinity", "1e400"))
    else v.each_with_object({}) { |(k, x), h| h[k] = untype(x) }
    end
  when Array then v.map { |x| untype(x) }
  else v
  end
end

def typed(v)
  case v
  when Hash then v.each_with_object({}) { |(k, x), h| h[k.to_s] = typed(x) }
  when Array then v.map { |x| typed(x) }
  when Symbol then { "sym" => v.to_s }
  when Date then { "date" => v.iso8601 }
  when Float then v.nan? || v.infinite? ? { "float" => v.to_s } : (v == v.to_i && v.abs < 1e15 ? { "float" => v.to_s } : v)
  else v
  end
end

# A directory instead: Global's own files, read by the gem's rules (test/global/reference_global.rb)
# in the RAILS_ENV, so that what the stand-in serves never passes through a JSON encoding of ours.
Global.values =
  if File.directory?(GLOBAL_FILE)
    require_relative "../global/reference_global"
    ReferenceGlobal.configuration(GLOBAL_FILE, ENV.fetch("RAILS_ENV"))
  else
    untype(JSON.parse(File.read(GLOBAL_FILE)))
  end

RailsHarness.boot(APP_DIR)

out = { "namespaces" => {} }
Rails2k8s::CONFIG_FILES.each_key do |ns|
  top = ns.split(".").first
  out["namespaces"][top] ||= typed(Rails.configuration.x.public_send(top).to_h)
end

# Dot access as Global gave it, on keys that collide with Object/Hash method names.
probe = {}
(JSON.parse(ENV["PROBES"] || "[]")).each do |chain|
  value = chain.split(".").reduce(Rails.configuration.x) { |obj, m| obj.public_send(m) }
  probe[chain] = typed(value.respond_to?(:to_h) && !value.is_a?(Array) ? value.to_h : value)
rescue NoMethodError => e
  probe[chain] = { "error" => "NoMethodError" }
end
out["probes"] = probe

out["task"] = RailsHarness.run_task(TASK) if TASK
puts JSON.generate(out)
