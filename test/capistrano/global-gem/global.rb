# `require "global"` for real `cap` in the tests: the gem's API as a deploy uses it (configure with
# environment and config_directory, Global.configuration, Global.<namespace>, [] and method access
# on the values), its loading done by the reference backend of test/global (the gem's own rules).
require_relative "../../global/reference_global"

module Global
  class Configuration
    def initialize(hash)
      @hash = hash
    end

    def [](key)
      wrap(@hash[key.to_s])
    end

    def key?(key)
      @hash.key?(key.to_s)
    end

    def to_hash
      @hash
    end

    def method_missing(name, *args)
      return super unless args.empty? && key?(name)
      self[name]
    end

    def respond_to_missing?(name, priv = false)
      key?(name) || super
    end

    private

    def wrap(v)
      v.is_a?(Hash) ? Configuration.new(v) : v
    end
  end

  class << self
    attr_accessor :environment, :config_directory

    def configure
      yield self
    end

    def configuration
      raise "environment should be defined" unless environment
      raise "config_directory should be defined" unless config_directory
      Configuration.new(ReferenceGlobal.configuration(config_directory, environment.to_s))
    end

    def method_missing(name, *args)
      return super unless args.empty? && configuration.key?(name)
      configuration[name]
    end

    def respond_to_missing?(name, priv = false)
      configuration.key?(name) || super
    end
  end
end
