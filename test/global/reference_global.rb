# A reference implementation of the global gem's filesystem backend (railsware/global,
# lib/global/backend/filesystem.rb, v2.1–v3 rules), for the oracle test: each environment's
# configuration read from a directory exactly as the gem reads it, wrapped with indifferent access
# as Global::Configuration does.
require "erb"
require "yaml"
require "date"
require "fileutils"
require "tmpdir"
require "active_support/all"

module ReferenceGlobal
  module_function

  def configuration(path, environment)
    ActiveSupport::HashWithIndifferentAccess.new(load_from_path(path, environment)).to_hash
  end

  def load_from_path(path, env)
    load_from_file(path, env).deep_merge(load_from_directory(path, env))
  end

  def load_from_file(path, env)
    config = {}
    file = "#{path}.yml"
    return config unless File.exist?(file)

    sections = load_yml_file(file)
    config = section(sections, "default")
    config.deep_merge!(section(sections, env))
    overlay = "#{path}.#{env}.yml"
    config.deep_merge!(load_yml_file(overlay) || {}) if File.exist?(overlay)
    config
  end

  def section(sections, key)
    return {} if sections.empty?

    sections[key.to_sym] || sections[key.to_s] || {}
  end

  def load_yml_file(file)
    YAML.safe_load(ERB.new(File.read(file)).result, permitted_classes: [Date, Time, DateTime, Symbol], aliases: true)
  end

  def load_from_directory(path, env)
    config = {}
    return config unless File.directory?(path)

    Dir["#{path}/*"].each do |entry|
      namespace = File.basename(entry, ".yml")
      next if namespace.include?(".")

      config.deep_merge!(namespace => load_from_path(File.join(File.dirname(entry), namespace), env))
    end
    config
  end

  # What a Capistrano task renders from a template: ERB with trim mode "-", `fetch` reading the
  # stage's variables.
  class StageBinding
    def initialize(vars)
      @vars = vars
    end

    def fetch(key, default = nil)
      @vars.key?(key.to_s) ? @vars[key.to_s] : default
    end

    def render(text)
      ERB.new(text, trim_mode: "-").result(binding)
    end
  end

  # Typed JSON from the model (Symbols as {"sym": name}) back to Ruby values.
  def from_json(v)
    case v
    when Hash then v.key?("sym") && v.size == 1 ? v["sym"].to_sym : v.transform_values { |x| from_json(x) }
    when Array then v.map { |x| from_json(x) }
    else v
    end
  end

  # Global on one stage's servers: a copy of the Global dir (and its sibling file) with each
  # Capistrano template rendered by the stage's variables over its target, then the gem's rules.
  # templates: [{ "template" => path, "target" => path }], paths relative to root.
  def stage_configuration(root, dir, env, vars, templates)
    Dir.mktmpdir do |tmp|
      FileUtils.mkdir_p(File.join(tmp, File.dirname(dir)))
      src = File.join(root, dir)
      FileUtils.cp_r(src, File.join(tmp, dir)) if File.directory?(src)
      FileUtils.cp(src + ".yml", File.join(tmp, dir + ".yml")) if File.exist?(src + ".yml")
      bind = StageBinding.new(from_json(vars))
      templates.each do |t|
        target = File.join(tmp, t["target"])
        FileUtils.mkdir_p(File.dirname(target))
        File.write(target, bind.render(File.read(File.join(root, t["template"]))))
      end
      configuration(File.join(tmp, dir), env)
    end
  end
end
