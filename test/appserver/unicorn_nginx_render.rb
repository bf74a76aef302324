# Renders a template as capistrano-unicorn-nginx's `template_to_s` does (`ERB.new(text).result(binding)`),
# with `fetch` answering the stage's variables and the path helpers its templates call.
# Input (stdin): [{"template": path, "out": path, "vars": {...}, "helpers": {...}}]
require "erb"
require "json"

class Stage
  def initialize(vars, helpers)
    @vars = vars
    helpers.each { |name, value| define_singleton_method(name) { value } }
  end

  def fetch(name, default = nil) = @vars.fetch(name.to_s, default)

  def render(text) = ERB.new(text).result(binding)
end

out = JSON.parse($stdin.read).map do |job|
  File.write(job["out"], Stage.new(job["vars"], job["helpers"]).render(File.read(job["template"])))
  { "ok" => true }
end
puts JSON.generate(out)
