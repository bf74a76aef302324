# Test-only: a schedule whose jobs read what the deploy passes to `whenever --set`.
every 1.day, at: "2:15 am" do
  rake "ledger:close"
end

every :hour do
  command "cd #{@path} && bin/flush-outbox"
end
