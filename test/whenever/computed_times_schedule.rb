# Test-only: a small ledger app's jobs, their times computed from one base time, and a table of
# named reports walked with two block parameters and with one.
base = '4:30 am'
early = (Time.parse(base) - 2.hours).strftime('%I:%M %P')
late = Time.parse(base) + 9.hours
before_midnight = Time.parse('1:15 am') - 2.hours

every 1.day, at: early do
  rake "ledger:close"
end
every 1.day, at: late do
  rake "ledger:archive"
end
every 1.day, at: before_midnight do
  rake "ledger:rollover"
end
every :sunday, at: Time.parse('6:05 pm') - 5.minutes do
  rake "ledger:weekly"
end
every 1.day, at: Time.parse('7:40 am').strftime('%d %H:%M') do
  rake "ledger:dated"
end

REPORTS = { sales: '1am', stock: '2:30am', 'refunds' => '11pm' }
REPORTS.each do |name, time|
  every 1.day, at: time do
    rake "reports:#{name}"
  end
end
REPORTS.each do |pair|
  every 1.week, at: pair[1] do
    runner "Digest.send_for(#{pair[0].inspect})"
  end
end
