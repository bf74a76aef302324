# Ruby's own `case` over regexp literals, for test/appserver/case-regex.test.ts. stdin: a JSON list of
# {"literal": "/.../i", "subject": "production"} (or {"symbol": "production"}); stdout: a JSON list
# of true/false (the `when` taken or not) or {"error": ...} when Ruby refuses the literal.
require "json"

out = JSON.parse($stdin.read).map do |item|
  re = eval(item["literal"]) # the test's own literals, never repo text
  subject = item.key?("symbol") ? item["symbol"].to_sym : item["subject"]
  case subject
  when re then true
  else false
  end
rescue StandardError, ScriptError => e
  { "error" => "#{e.class}: #{e.message}"[0, 200] }
end
puts JSON.generate(out)
