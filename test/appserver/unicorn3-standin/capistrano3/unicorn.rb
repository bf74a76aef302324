# A stand-in for capistrano3-unicorn (tablexi's gem and its forks; not packaged here), written for
# this test from what the gem's lib/capistrano3/tasks/unicorn.rake sets in load:defaults: the config
# path its unicorn:start passes to `unicorn -c`, per rails_env, with no fallback to another file.
namespace :load do
  task :defaults do
    set :unicorn_config_path, -> { File.join(current_path, "config", "unicorn", "#{fetch(:rails_env)}.rb") }
  end
end
