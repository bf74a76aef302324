# Renders a deploy template the way the recipes' `template` helper does
# (`ERB.new(File.read(from)).result(binding)`), with `fetch` answering the stage's variables.
# Input (stdin): {"template": path, "out": path, "vars": {...}}.
require "erb"
require "json"
input = JSON.parse($stdin.read)
vars = input["vars"]
define_method(:fetch) { |name, default = nil| vars.fetch(name.to_s, default) }
File.write(input["out"], ERB.new(File.read(input["template"])).result(binding))
puts JSON.generate({ "ok" => true })
