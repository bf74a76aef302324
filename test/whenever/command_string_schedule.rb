# Test-only: a ledger app's jobs, some chosen by whenever's variables, its process's environment, or roles.
set :region, "south"

every 1.day, at: '1am' do
  rake "ledger:close"
end

every 1.day, at: '2am' do
  if ENV['BATCH_MODE'] == 'night'
    rake "ledger:batch"
  else
    rake "ledger:inline"
  end
end

every 1.hour, roles: [:app] do
  rake "ledger:sweep"
end

if @region == "north"
  every 1.day, at: '4am' do
    rake "ledger:north_report"
  end
end
