# Oracle: Thin's own Runner loads a config as `thin -C FILE start` does (ERB, YAML, key.to_sym, the
# file's value over the flags), without starting anything. Prints the options and whether Thin runs
# a cluster. Usage: ruby thin_config.rb FILE [extra thin args...]
require "json"
require "thin"
runner = Thin::Runner.new(["-C", ARGV[0], *ARGV[1..], "start"])
runner.send(:load_options_from_config_file!)
o = runner.options
puts JSON.generate(servers: o[:servers], timeout: o[:timeout], environment: o[:environment], port: o[:port], socket: o[:socket], cluster: !!runner.cluster?)
