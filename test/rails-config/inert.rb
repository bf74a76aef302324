# Judges generated files the way Ruby itself reads them: each Ruby file (and the Ruby that ERB
# compiles each config_for file to) must pass the syntax check, and a planted marker may appear only
# as the content of a plain string or symbol literal: never as code, and never inside a string's
# interpolation (`#{}`) or a command string (backticks), which Ruby runs.
#
#   ruby inert.rb MARKER < {"path": "content", ...}   →   {"path": {"syntax": true|msg, "code": [...]}}
require "json"
require "ripper"
require "erb"

RUNS = %i[string_embexpr string_dvar xstring_literal xstring_new xstring_add].freeze

# Every token node ([:@type, text, [line, col]]) holding the marker where it is not inert.
def offending(node, marker, inside_run = false, found = [])
  return found unless node.is_a?(Array)

  if node[0].is_a?(Symbol) && node[0].to_s.start_with?("@") && node[1].is_a?(String)
    if node[1].include?(marker) && (node[0] != :@tstring_content || inside_run)
      found << "#{node[0]}#{inside_run ? " (in interpolation or command)" : ""}@#{node[2]&.first}: #{node[1]}"
    end
    return found
  end
  run = inside_run || RUNS.include?(node[0])
  node.each { |child| offending(child, marker, run, found) }
  found
end

marker = ARGV.fetch(0)
files = JSON.parse(STDIN.read)
out = files.to_h do |path, content|
  ruby = path.end_with?(".yml") ? ERB.new(content).src : content
  syntax = begin
    RubyVM::InstructionSequence.compile(ruby, path)
    true
  rescue SyntaxError => e
    e.message
  end
  tree = Ripper.sexp(ruby)
  code = tree ? offending(tree, marker) : ["(Ripper could not parse the file)"]
  # Text after __END__ is not code, but no generated file has any: a payload must not make one.
  code << "__END__ line" if ruby.match?(/^__END__$/)
  [path, { "syntax" => syntax, "code" => code }]
end
print JSON.generate(out)
