# Test-only Unicorn config: the idioms the analyzer must follow, checked against Unicorn itself.
root = File.expand_path("../..", __FILE__)
sockets = %w[web admin]
sockets.each do |name|
  listen "unix:#{root}/tmp/#{name}.sock", backlog: 16
end
listen "*:9000"
listen 9001, tcp_nodelay: false, reuseport: true
listen "10.0.0.5"
port = ENV.fetch("UNICORN_PORT") { 9100 }
listen "127.0.0.1:#{port}", tries: 3, delay: 0.5

workers = (ENV["WORKERS"] || 6).to_i
worker_processes workers

if true
  timeout 3_000_000 # Unicorn caps it at 30 days
else
  timeout 10
end

unless false
  preload_app false
end

log_dir = "#{root}/log"
log_dir ||= "/nope"
stderr_path File.join(log_dir, "unicorn.err.log")
stdout_path nil
pid File.join(root, "tmp", "pids", "unicorn.pid")
working_directory "#{root}/"

after_worker_ready do |server, worker|
  server.logger.info("worker #{worker.nr} ready")
end
after_fork nil
before_exec { |server| ENV["BUNDLE_GEMFILE"] = "#{root}/Gemfile" }
after_worker_exit proc { |server, worker, status| server.logger.warn(status.inspect) }
