# Capistrano 2 cut down to what a deploy task's `run` lines need, to run a repo's task for real and
# record the shell commands it sends: variables (`set`, lazy blocks, `fetch`, a bare name reading its
# variable as Cap 2's method_missing does), `namespace`/`task`, and the path helpers as Cap 2's
# recipes/deploy.rb defines them (shared_path, release_path under releases/<timestamp>). Ruby itself
# runs the task body, so its loops, `File.join` and interpolations are Ruby's. `load` reads a repo
# file; hooks, servers and roles are no-ops.
# Input (stdin): {"root", "files": [...], "task", "release"}; output: {"run": [command, ...]}.
require "json"

class Cap2Runs
  attr_reader :runs

  def initialize(root, release)
    @root = root
    @vars = {}
    @tasks = {}
    @ns = []
    @runs = []
    set(:shared_path) { "#{fetch(:deploy_to)}/shared" }
    set(:current_path) { "#{fetch(:deploy_to)}/current" }
    set(:release_path) { "#{fetch(:deploy_to)}/releases/#{release}" }
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
  def run(cmd, *) = @runs << cmd
  def server(*) = nil
  def role(*) = nil
  def require(*) = nil
  def load(rel) = load_file(rel.end_with?(".rb") ? rel : "#{rel}.rb")

  def load_file(rel)
    path = File.join(@root, rel)
    instance_eval(File.read(path), path)
  end

  def run_task(name) = instance_eval(&@tasks.fetch(name))
end

input = JSON.parse($stdin.read)
cap = Cap2Runs.new(input["root"], input["release"])
input["files"].each { |f| cap.load_file(f) }
cap.run_task(input["task"])
puts JSON.generate({ "run" => cap.runs })
