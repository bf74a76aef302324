# Renders a repo copy of capistrano-unicorn-nginx's unicorn_init.erb as the gem's `template_to_s` does
# (ERB with '-' trim mode), with `fetch` answering the stage's variables, `current_path` given, and
# the gem's `bundle_unicorn` helper as it is written there (SSHKit's own Command#to_command).
# Input (stdin): [{"template": path, "out": path, "vars": {...}, "current_path": path}]
require "erb"
require "json"
require "sshkit"

class InitStage
  def initialize(vars, current) = (@vars, @current = vars, current)
  def fetch(name, default = nil) = @vars.fetch(name.to_s, default)
  def current_path = @current
  def bundle_unicorn(*args) = SSHKit::Command.new(:bundle, :exec, :unicorn, args).to_command
  def render(text) = ERB.new(text, trim_mode: "-").result(binding)
end

out = JSON.parse($stdin.read).map do |job|
  File.write(job["out"], InitStage.new(job["vars"], job["current_path"]).render(File.read(job["template"])))
  { "ok" => true }
end
puts JSON.generate(out)
