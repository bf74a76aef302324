# What the Rails-booting test scripts share: a stand-in `Global` serving known values to the
# emitted verify task (the global gem is not packaged by Debian), a real Rails application booted
# on a directory of emitted files, and a rake task run with its exit status and output captured.
require "json"
require "date"
require "logger"
require "stringio"
require "rails"
require "active_support/all"

module Global
  class << self
    attr_accessor :values
  end

  # Global 1.x: to_hash keeps a Configuration object (answering to_hash) for every nested Hash.
  class Configuration
    def initialize(hash) = @hash = hash
    def to_hash = @hash
  end

  def self.wrap(v)
    v.is_a?(Hash) ? Configuration.new(v.transform_values { |x| wrap(x) }) : v
  end

  def self.configuration
    return Configuration.new(values.transform_values { |x| wrap(x) }) if ENV["GLOBAL_1X"]

    Struct.new(:hash) { def to_hash = hash }.new(values)
  end
end

module RailsHarness
  module_function

  def boot(app_dir)
    app = Class.new(Rails::Application) do
      config.root = app_dir
      config.eager_load = false
      config.logger = Logger.new(nil)
      config.secret_key_base = "rails2k8s-test-only"
      config.active_support.deprecation = :silence
    end
    Object.const_set(:HarnessApp, app)
    Rails.application.initialize!
  end

  def run_task(name)
    require "rake"
    Rails.application.load_tasks
    output = StringIO.new
    status = 0
    begin
      $stdout = output
      $stderr = output
      Rake::Task[name].invoke
    rescue SystemExit => e
      status = e.status
    ensure
      $stdout = STDOUT
      $stderr = STDERR
    end
    { "status" => status, "output" => output.string }
  end
end
