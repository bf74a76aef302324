# Test-only: jobs whose conditions mix the stage's Rails env (known for each stage) with what only a
# server knew when whenever ran there (an ENV value, a flag file in the deploy user's home).
set :output, "log/cron.log"

every 1.day, at: "1:20 am" do
  rake "billing:settle"
end

# staging always writes it; production only where DIGEST_ON was exported
if @environment == "staging" || ENV["DIGEST_ON"]
  every 1.day, at: "6:45 am" do
    rake "digest:send"
  end
end

# staging never writes it; production only where the flag file exists
if @environment == "production" && File.exist?(File.join(Dir.home, "reindex.on"))
  every :sunday, at: "3:30 am" do
    runner "Search.reindex"
  end
end

# open on every stage
unless ENV["MIRROR_OFF"]
  every 4.hours do
    command "echo mirror-pull"
  end
end
