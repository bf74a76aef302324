# Renders a capistrano3-puma (5.x) config template as its `template_puma` does
# (`ERB.new(erb, trim_mode: '-').result(binding)`, with the plugin's helpers), then reads the result
# with Debian's Puma::Configuration. Input (stdin): a JSON list of {"template", "out", "vars"};
# vars are the stage's variables with the plugin's defaults already applied ("false"/null as JSON).
require "erb"
require "json"
require_relative "puma_file_options"

class Binder
  def initialize(vars) = @vars = vars
  def fetch(name, default = nil) = @vars.key?(name.to_s) ? @vars[name.to_s] : default
  def current_path = "#{fetch(:deploy_to)}/current"
  def shared_path = "#{fetch(:deploy_to)}/shared"
  def puma_workers = fetch(:puma_workers, 0)
  def puma_preload_app? = fetch(:puma_preload_app)
  def puma_daemonize? = fetch(:puma_daemonize)
  def puma_plugins = Array(fetch(:puma_plugins)).map { |p| "plugin '#{p}'" }.join("\n")
  def puma_bind = Array(fetch(:puma_bind)).map { |b| "bind '#{b}'" }.join("\n")
  def render(text) = ERB.new(text, trim_mode: "-").result(binding)
end

out = JSON.parse($stdin.read).map do |c|
  File.write(c["out"], Binder.new(c["vars"]).render(File.read(c["template"])))
  puma_file_options(c["out"]).except("binds")
rescue StandardError, ScriptError => e
  { "error" => "#{e.class}: #{e.message}" }
end
puts JSON.generate(out)
