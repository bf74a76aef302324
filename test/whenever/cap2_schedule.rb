# Test-only: an archive app's jobs under Capistrano 2, one of them limited to the app role.
every 1.day, at: '1:30 am' do
  rake "archive:compact"
end

every 1.day, at: '11pm', roles: [:app] do
  runner "Archive.warm_cache"
end

if @environment == "staging"
  every :sunday, at: '5am' do
    rake "archive:reset_demo"
  end
end
