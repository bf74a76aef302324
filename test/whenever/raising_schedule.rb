# Test-only: a schedule with one cron string of six fields (seconds-style, as some cron dialects
# take), which whenever does not read, beside a job whenever reads.
every 1.day, at: "2:30 am" do
  rake "ledger:archive"
end

every "0 3,9,15,21 * * * *" do
  rake "ledger:sync_rates"
end
