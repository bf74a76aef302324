# Test-only: job types that run their task through the servers' Ruby switch (RVM's wrapper, whose
# path the deploy passes with --set, rbenv, chruby), the way many deploys wrote them.
job_type :thor, "cd :path && :environment_variable=:environment :rvm_path :rvm_ruby_version do bundle exec thor :task :output"
job_type :rbenv_rake, "cd :path && RAILS_ENV=:environment rbenv exec bundle exec rake :task --silent"
job_type :chruby_runner, "cd :path && /usr/local/bin/chruby-exec 3.2.2 -- bin/rails runner -e :environment ':task'"

every 1.day, at: "4:00 am" do
  thor "ledger:settle"
end

every 2.hours do
  rbenv_rake "ledger:sweep"
end

every :sunday, at: "1:30 am" do
  chruby_runner "Ledger.compact!"
end
