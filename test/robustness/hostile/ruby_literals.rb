# Where does a planted value sit in a generated Ruby file? Ruby's own parser (Ripper) decides.
# usage: ruby ruby_literals.rb MARK FILE...  → JSON { file => { syntax_error:, hits: [...] } }
# A hit is every token of the file whose text holds MARK, with its context:
#   "string"  inside a plain string literal (no interpolation reaches it): inert;
#   "xstring" inside `...` or %x(): a shell command; "regexp": a pattern;
#   "code"    anything else (an identifier, interpolated code, a constant...).
# For a hit in a plain literal, "value" is the literal's decoded text, so the test can check
# that the whole planted value is one literal, not pieces of one glued to code.
require "ripper"
require "json"

mark = ARGV.shift
result = {}

# The opening delimiter of each string literal, by where its content starts.
def openers(src)
  map = {}
  Ripper.lex(src).each do |(line, col), event, tok, _|
    next unless %i[on_tstring_beg on_heredoc_beg].include?(event)
    map[[line, col + tok.bytesize]] = tok
  end
  map
end

def decode(opener, raw)
  return nil if opener.nil? || opener.start_with?("<<")
  closer = { "(" => ")", "[" => "]", "{" => "}", "<" => ">" }.fetch(opener[-1], opener[-1])
  # Safe: the caller only decodes literals the parser saw with no interpolation inside.
  eval(opener + raw + closer) # rubocop:disable Security/Eval
rescue SyntaxError, StandardError
  nil
end

def leaf?(node)
  node.is_a?(Array) && node[0].is_a?(Symbol) && node[0].to_s.start_with?("@")
end

ARGV.each do |file|
  src = File.read(file)
  sexp = Ripper.sexp(src)
  if sexp.nil?
    result[file] = { syntax_error: true, hits: [] }
    next
  end
  opens = openers(src)
  hits = []
  walk = lambda do |node, ctx, literal|
    return unless node.is_a?(Array)
    if leaf?(node)
      text = node[1].to_s
      return unless text.include?(mark)
      line = node[2].is_a?(Array) ? node[2][0] : nil
      if node[0] == :@tstring_content && ctx == "string"
        parts = literal && literal[:parts]
        value = nil
        if parts && parts.all? { |p| leaf?(p) && p[0] == :@tstring_content }
          first = parts[0][2]
          value = decode(opens[first], parts.map { |p| p[1] }.join)
        end
        hits << { ctx: "string", token: text, line: line, value: value }
      else
        hits << { ctx: node[0] == :@tstring_content ? ctx : "code", token: text, line: line, kind: node[0].to_s }
      end
      return
    end
    case node[0]
    when :string_literal, :dyna_symbol
      content = node[1]
      parts = content.is_a?(Array) && content[0] == :string_content ? content[1..] : (content.is_a?(Array) ? content : [])
      node[1..].each { |c| walk.call(c, "string", { parts: parts }) }
    when :xstring_literal
      node[1..].each { |c| walk.call(c, "xstring", nil) }
    when :regexp_literal
      node[1..].each { |c| walk.call(c, "regexp", nil) }
    when :string_embexpr, :string_dvar
      node[1..].each { |c| walk.call(c, "code", nil) }
    when :word, :words_add, :qwords_add, :array
      node[1..].each { |c| walk.call(c, ctx == "code" ? "string" : ctx, literal) }
    else
      node.each { |c| walk.call(c, ctx, literal) if c.is_a?(Array) }
    end
  end
  walk.call(sexp, "code", nil)
  # Comments are not in the tree: a mark there is inert only if it did not break the line, which
  # the tree walk above would then see as code.
  result[file] = { syntax_error: false, hits: hits }
end

puts JSON.generate(result)
