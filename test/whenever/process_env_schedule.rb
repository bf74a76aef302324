# Test-only: a depot app's jobs that branch on what whenever's own process had in its environment.
every 1.day, at: '2am' do
  if ENV['ON_K8S'] == 'true'
    rake "sync:fast"
  else
    rake "sync:slow"
  end
end

every 1.day, at: '3am' do
  rake "demo:reset" if ENV['RAILS_ENV'] == 'staging'
end

# the deploy exports it under a Symbol key (`mirror:`), which SSHKit upcases
every 1.day, at: '4am' do
  rake "mirror:pull" if ENV['MIRROR'] == 'on'
end
