# A stand-in for capistrano3-nginx_unicorn 0.0.6 (not packaged, and no network here), written for
# this test from what the gem's lib/capistrano3/tasks/nginx_unicorn.rake does in the parts
# rails2k8s models: its load:defaults, unicorn:setup hooked after deploy:check, and a top-level
# `template(name, target)` that renders <templates_path>/<name> when the app has it, else its own.
# The app's own `def template`, loaded later, replaces that method exactly as it would the gem's.
namespace :load do
  task :defaults do
    set :templates_path, "config/deploy/templates"
    set :unicorn_pid, -> { "#{current_path}/tmp/pids/unicorn.pid" }
    set :unicorn_config, -> { "#{shared_path}/config/unicorn.rb" }
    set :unicorn_log, -> { "#{shared_path}/log/unicorn.log" }
    set :unicorn_workers, 4
  end
end

namespace :unicorn do
  task :setup do
    on roles(:app) do
      template "unicorn.rb.erb", fetch(:unicorn_config)
    end
  end
  after "deploy:check", "unicorn:setup"
end

def template(template_name, target)
  chosen = "#{fetch(:templates_path)}/#{template_name}"
  chosen = File.join(__dir__, "templates", template_name) unless File.exist?(chosen)
  upload! StringIO.new(ERB.new(File.read(chosen)).result(binding)), target
end
