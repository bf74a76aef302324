# Monthly jobs whose at: names a span of the month: whenever keeps the time only.
every 1.month, at: "start of the month at 6am" do
  rake "ledger:open_period"
end

every :month, at: "end of the month at 11:59pm" do
  runner "Ledger.close_period"
end

every :sunday, at: "sunday at noon" do
  rake "ledger:weekly_digest"
end
