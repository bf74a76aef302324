# Test-only: a schedule whose jobs hang on what only the server knows when whenever runs there:
# an environment variable, a file on the server, and a list built from the environment.
set :output, "log/cron.log"

every 1.day, at: "4:05 am" do
  rake "ledger:close_day"
end

if ENV["NIGHTLY_EXPORT"]
  every 1.day, at: "2:40 am" do
    rake "exports:nightly"
  end
end

if File.exist?(File.join(Dir.home, "archive.enabled"))
  every :sunday, at: "5:15 am" do
    runner "Archive.sweep"
  end
else
  every :hour do
    runner "Archive.check"
  end
end

MIRROR_HOSTS = ENV.fetch("MIRROR_HOSTS", "").split(",")
unless MIRROR_HOSTS.empty?
  every 6.hours do
    command "echo mirror-sync"
  end
end
