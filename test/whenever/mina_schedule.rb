# Test-only: a shop app deployed by Mina; one job limited to a role, one to production.
every 1.day, at: '2am' do
  rake "shop:nightly"
end

every 1.hour, roles: [:worker] do
  rake "shop:drain"
end

if @environment == "production"
  every 1.day, at: '6am' do
    rake "shop:invoices"
  end
end
