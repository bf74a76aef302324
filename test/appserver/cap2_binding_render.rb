# Renders a template as Capistrano 2 recipes do (`ERB.new(text).result(binding)` inside the
# configuration): a bare name such as `unicorn_workers` is the variable, and one never set raises
# (Capistrano 2's method_missing), as it did on the servers.
# Input (stdin): [{"template": path, "out": path, "vars": {...}}]; output: [{"ok": true} | {"error": msg}].
require "erb"
require "json"

class Cap2Config
  def initialize(vars) = @vars = vars
  def fetch(name, *default) = @vars.key?(name.to_s) ? @vars[name.to_s] : default.fetch(0) { raise IndexError, "`#{name}' not found" }
  def exists?(name) = @vars.key?(name.to_s)
  def respond_to_missing?(name, priv = false) = @vars.key?(name.to_s) || super
  def method_missing(name, *args) = @vars.key?(name.to_s) ? @vars[name.to_s] : super
  def render(text) = ERB.new(text).result(binding)
end

out = JSON.parse($stdin.read).map do |job|
  File.write(job["out"], Cap2Config.new(job["vars"]).render(File.read(job["template"])))
  { "ok" => true }
rescue StandardError => e
  { "error" => "#{e.class}: #{e.message}" }
end
puts JSON.generate(out)
