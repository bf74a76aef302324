# Test-only schedule: every rule and quirk of whenever 1.0 the analyzer reproduces.
env :PATH, "/usr/local/bin:/usr/bin:/bin"
env "MAILTO_FALLBACK", ""
set :output, { error: "log/cron.err.log", standard: "log/cron.log" }

job_type :bin, "cd :path && :environment_variable=:environment bin/:task :output"
job_type :curl, "curl -fsS :app_url/:task"
set :app_url, "http://localhost:3000"

every 45.minutes do command "quirk-45min" end
every 90.minutes do command "quirk-90min" end
every 1.week do command "quirk-week" end
every 7.minutes do command "quirk-7min" end
every 15.minutes do
  runner "Cart.expire!('stale')"
  rake "queue:stats", output: nil
end
every 2.hours do command "two-hours" end
every 1.hour, at: 15 do command "hourly-at-15" end
every 3.days, at: "1:30" do command "three-days-130" end

every 1.day, at: "3:00" do command "ambiguous-300" end
every 1.day, at: "6:59" do command "ambiguous-659" end
every 1.day, at: "7" do command "ambiguous-7" end
every 1.day, at: "12:00" do command "twelve" end
every 1.day, at: "12pm" do command "twelve-pm" end
every 1.day, at: "12am" do command "twelve-am" end
every 1.day, at: "noon" do command "noon" end
every 1.day, at: "midnight" do command "midnight" end
every 1.day, at: "16:00" do command "sixteen" end
every 1.day, at: "1630" do command "sixteen-thirty" end
every 1.day, at: "4.30pm" do command "four-thirty-pm" end
every 1.day, at: "0:15" do command "quarter-past-midnight" end
every 1.day, at: ["4:30 am", "6:00 pm"] do command "two-lines" end
every 1.day, at: ["4:30 am", "4:30 pm"] do command "combined" end
every 1.day, at: "5am" do rake "same:task" end
every 1.day, at: "6am" do rake "same:task" end

every :reboot do command "on-boot" end
every :weekday, at: "5pm" do bin "sync --all" end
every :weekend do command "weekend" end
every :sunday, at: "3am" do command "sunday-3am" end
every [:monday, :thursday], at: "9:15 am" do curl "reports/weekly" end
every "0 5 * * *" do command "raw-cron" end
every "0 0 27-31 * *" do command "raw-cron-range" end
every :day, at: "11pm" do command "date +%F >> /tmp/heartbeat" end
every :hour do command "every-hour-symbol" end
every 1.month, at: "January 5th 3am" do command "month-with-date" end
every 1.month, at: "5th 3am" do command "month-day-not-given" end
every 2.months, at: 10 do command "two-months-day-10" end
every 1.year, at: "June 1st 8:00" do command "yearly-june" end
every 1.day, mailto: "ops@example.com" do command "mailed" end

set :job_template, "bash -c ':job'"
every 1.day, at: "2am" do runner %q{puts "it's done"} end
set :job_template, nil
every 1.day, at: "2:30am", roles: [:app, :web] do script "cleanup" end
