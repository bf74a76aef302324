# A Capistrano 2 configuration cut down to its variables, enough to load an app's own recipe files
# (config/recipes/*.rb) for real: `set` with a block is lazy and fetched once, `exists?` says
# whether a name was set, a bare name reads its variable (Cap 2's method_missing), tasks are stored
# and run on demand, and `put` records what would be uploaded. So the repo's own `set_default`
# and `template` helpers decide the values. The uploaded Unicorn config is then read by
# unicorn_oracle.rb. `load` reads a repo file; `require` (plugins) and `server` are no-ops here.
# Input (stdin): {"root", "file", "task"}; output: {"uploads": {path: text}, "vars": {name: value}}.
require "erb"
require "json"

class Cap2Vars
  attr_reader :uploads

  def initialize(root)
    @root = root
    @vars = {}
    @tasks = {}
    @ns = []
    @uploads = {}
    set(:shared_path) { "#{fetch(:deploy_to)}/shared" }
    set(:current_path) { "#{fetch(:deploy_to)}/current" }
  end

  def set(name, value = nil, &block) = @vars[name.to_sym] = block || value
  def exists?(name) = @vars.key?(name.to_sym)

  def fetch(name, *default)
    return default.first unless exists?(name)
    v = @vars[name.to_sym]
    v.is_a?(Proc) ? (@vars[name.to_sym] = v.call) : v
  end

  def method_missing(name, *args, &block) = args.empty? && exists?(name) ? fetch(name) : super
  def respond_to_missing?(name, priv = false) = exists?(name) || super

  def namespace(name)
    @ns.push(name)
    yield
  ensure
    @ns.pop
  end

  def task(name, *_options, &block) = @tasks[(@ns + [name]).join(":")] = block
  def desc(*) = nil
  def after(*) = nil
  def before(*) = nil
  def run(*) = nil
  def sudo = "sudo"
  def put(body, to) = @uploads[to] = body
  def server(*) = nil
  def require(*) = nil
  def load(rel) = load_file(rel.end_with?(".rb") ? rel : "#{rel}.rb")

  def load_file(rel)
    path = File.join(@root, rel)
    instance_eval(File.read(path), path)
  end

  def run_task(name) = instance_eval(&@tasks.fetch(name))
end

input = JSON.parse($stdin.read)
cap = Cap2Vars.new(input["root"])
cap.load_file(input["file"])
cap.run_task(input["task"])
vars = %w[unicorn_config unicorn_pid unicorn_workers unicorn_timeout].to_h { |k| [k, cap.fetch(k)] }
puts JSON.generate({ "uploads" => cap.uploads, "vars" => vars })
