# Loaded into `cap` (RUBYOPT=-r) by scripts/corpus.mjs before any Capfile. A public repo requires
# gems that this machine does not have (Capistrano plugins, dotenv, rollbar...); for the oracle only
# the stages, servers and roles matter, so a missing file loads as nothing when it is a plugin under
# a known prefix or when the repo's own deploy files ask for it.
CORPUS_MISSING = []
CORPUS_APP = Dir.pwd
# `require "bundler/setup"` would hold the repo's Gemfile (its Ruby, its gems) against this machine.
$LOADED_FEATURES << $LOAD_PATH.resolve_feature_path("bundler/setup")&.last.to_s

module Kernel
  alias_method :__corpus_original_require, :require

  def require(name)
    __corpus_original_require(name)
  rescue LoadError
    raise unless name.is_a?(String)

    plugin = name.match?(%r{\A(capistrano3?|whenever|rvm1?|sidekiq)(/|-|\z)})
    # Code run by instance_eval (a Unicorn config) has a path but no absolute_path.
    asker = caller_locations.map { |l| l.absolute_path || l.path }.find { |p| p && p != __FILE__ && !p.start_with?("<internal:") }
    from_app = File.expand_path(asker.to_s).start_with?("#{CORPUS_APP}/")
    raise unless plugin || from_app

    CORPUS_MISSING << name unless CORPUS_MISSING.include?(name)
    true
  end
  private :require
end

# What a missing gem would have defined: `install_plugin Capistrano::SCM::Git::WithSubmodules` gets an
# empty plugin class (anywhere under Capistrano), and `dotenv` → Dotenv, `rollbar/capistrano3` →
# Rollbar a module that answers every call with nil. Nothing changes until a require was missing.
module CorpusMissingConstants
  def const_missing(name)
    return super if CORPUS_MISSING.empty?

    if self.name.to_s.start_with?("Capistrano")
      require "capistrano/plugin"
      return const_set(name, Class.new(Capistrano::Plugin))
    end
    wanted = CORPUS_MISSING.map { |f| f.split("/").first.split(/[-_]/).map(&:capitalize).join }
    return super unless wanted.include?(name.to_s)

    inert = Module.new
    inert.define_singleton_method(:method_missing) { |*| nil }
    inert.define_singleton_method(:respond_to_missing?) { |*| true }
    Object.const_set(name, inert)
  end
end
Module.prepend(CorpusMissingConstants)
module Capistrano; end

# A deploy.rb often reaches into a plugin's tasks (`Rake::Task["sidekiq:quiet"].clear_actions`); with
# the plugin missing, such a task is an empty one instead of stopping the whole evaluation.
require "rake"
module CorpusMissingPluginTasks
  def [](task_name, scopes = nil)
    super
  rescue RuntimeError
    raise if CORPUS_MISSING.empty?

    define_task(Rake::Task, task_name.to_s)
  end
end
Rake::TaskManager.prepend(CorpusMissingPluginTasks)
