# Nightly ledger jobs: a rake task and a runner, each line carrying the environment whenever was given.
every 1.day, at: "2:15 am" do
  rake "ledger:settle"
end

every :sunday, at: "noon" do
  runner "Ledger.weekly_close"
end
