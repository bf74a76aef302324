# Test-only: chronic_options apply to every job (whenever passes the last value for all).
every 1.day, at: "3:00" do command "three-am-on-24h-clock" end
every 1.day, at: "9pm" do command "nine-pm" end
set :chronic_options, hours24: true
every 1.day, at: "11:45" do command "eleven-45" end
