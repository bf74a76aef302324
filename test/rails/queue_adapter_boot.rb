# Boots a real Rails application (Debian's railties and activejob) on APP_DIR in each RAILS_ENV
# given, and prints the Active Job adapter each one runs with as JSON ({ env => adapter name }).
# The app's config/application.rb body is config/application_body.rb here (a class of our own is
# the application, as test/rails-config/rails_harness.rb does); environments and initializers are
# the app's own files, loaded by Rails in its own order.
#
#   ruby queue_adapter_boot.rb APP_DIR ENV...
require "json"
require "logger"

app_dir, *envs = ARGV
out = {}
envs.each do |env|
  read, write = IO.pipe
  pid = fork do
    read.close
    ENV["RAILS_ENV"] = env
    require "rails"
    require "active_job/railtie"
    app = Class.new(Rails::Application) do
      config.root = app_dir
      config.eager_load = false
      config.logger = Logger.new(nil)
      config.secret_key_base = "rails2k8s-test-only"
    end
    Object.const_set(:AdapterApp, app)
    body = File.join(app_dir, "config/application_body.rb")
    AdapterApp.class_eval(File.read(body), body) if File.exist?(body)
    Rails.application.initialize!
    write.write(ActiveJob::Base.queue_adapter_name)
    write.close
    exit!(0)
  end
  write.close
  out[env] = read.read
  Process.wait(pid)
  raise "Rails did not boot in #{env}" unless $?.success?
end
puts JSON.generate(out)
