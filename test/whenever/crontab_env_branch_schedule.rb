# Jobs a schedule defines per environment: whenever decides these with the environment it was given
# (the crontab's), whatever the pods' RAILS_ENV is.
every 1.day, at: "2:15 am" do
  rake "ledger:settle"
end

if @environment == "production"
  every 1.day, at: "3:40 am" do
    rake "ledger:close_books"
  end
end

if @environment == "staging"
  every :hour do
    rake "ledger:reset_demo"
  end
end
