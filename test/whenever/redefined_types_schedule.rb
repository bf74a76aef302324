# Test-only: a schedule that gives whenever's own rake and runner types templates of its own (a lock,
# a lower priority, the servers' RVM loaded first, rake without bundle exec), and writes script's
# template out again exactly as whenever ships it.
job_type :runner, "source ${HOME}/.rvm/scripts/rvm && cd :path && flock -n /tmp/ledger-runner.lock nice -n 10 bundle exec bin/rails runner -e :environment ':task' :output"
job_type :rake, "cd :path && RAILS_ENV=:environment rake :task --silent :output"
job_type :script,  "cd :path && :environment_variable=:environment :bundle_command script/:task :output"

every 1.day, at: "3:15 am" do
  runner "Ledger.reconcile"
end

every 6.hours do
  rake "ledger:prune"
end

every :monday, at: "5am" do
  script "weekly_digest"
end
