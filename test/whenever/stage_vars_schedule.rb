# Test-only: a schedule that reads variables the deploy passes per stage (`--set`), each with a
# fallback for a run by hand.
@region ||= "west"
@tier ||= "basic"

every 1.day, at: "3:10 am" do
  rake "reports:regional[#{@region}]"
end

if @region == "north"
  every :hour do
    command "cd #{@path} && bin/north-sync"
  end
end

case @region
when "south", "west"
  every 30.minutes do
    command "echo coastal-#{@region}"
  end
end

if @tier == "gold"
  every 2.hours do
    command "echo gold-refresh"
  end
end
