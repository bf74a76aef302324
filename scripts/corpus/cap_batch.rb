# `ruby cap_batch.rb`, in a scratch copy whose Capfile loads cap_dump.rake, with RUBYOPT as for `cap`:
# every stage's `cap <stage> corpus:dump` for the price of one Capfile load. This is what the `cap`
# binary does (Capistrano::Application#run = Rake's init, load_rakefile, top_level), split where the
# Capfile has loaded: the process forks there, once per stage, and each child runs the stage's tasks
# from that same state, as a fresh `cap <stage> corpus:dump` would. A child's stdout and stderr go to
# CORPUS_OUT/cap-<stage>.{out,err}, as the one-process-per-stage run wrote them; each child has
# CORPUS_TIMEOUT seconds, then SIGKILL. A Capfile that reads ARGV is not run this way
# (scripts/corpus.mjs runs one `cap` per stage there): its load would see another command line.
#
# stdout: cap_dump.rake's stages line once the Capfile has loaded (CORPUS_BATCH set), then
# `CORPUS-BATCH {"<stage>": {"status", "signal", "timedOut", "ms"}}`. A Capfile that fails to load
# fails as `cap` does (its message on stderr, exit 1), and there is no CORPUS-BATCH line.
require "json"
require "capistrano/all"

wanted = JSON.parse(ENV.fetch("CORPUS_WANTED"))
out = ENV.fetch("CORPUS_OUT")
timeout = Float(ENV.fetch("CORPUS_TIMEOUT"))
now = -> { Process.clock_gettime(Process::CLOCK_MONOTONIC) }

app = Capistrano::Application.new
Rake.application = app
ARGV.replace([])
app.standard_exception_handling do
  app.init("rake", [])
  app.load_rakefile
end

results = {}
# The stages as cap_dump.rake read them at the end of the Capfile (what `cap` accepts).
(wanted & $corpus_stages).each do |stage|
  t0 = now.()
  $stdout.flush
  $stderr.flush
  pid = fork do
    $stdout.reopen(File.join(out, "cap-#{stage}.out"), "w")
    $stderr.reopen(File.join(out, "cap-#{stage}.err"), "w")
    $stdout.sync = $stderr.sync = true
    ARGV.replace([stage, "corpus:dump"])
    app.standard_exception_handling do
      app.collect_command_line_tasks([stage, "corpus:dump"])
      app.top_level
    end
    exit 0
  end
  status = nil
  timed_out = false
  until (status = Process.waitpid2(pid, Process::WNOHANG)&.last)
    if now.() - t0 > timeout
      Process.kill(:KILL, pid)
      status = Process.waitpid2(pid).last
      timed_out = true
      break
    end
    sleep 0.01
  end
  results[stage] = { status: status.exitstatus, signal: status.termsig, timedOut: timed_out, ms: ((now.() - t0) * 1000).round }
end
puts "CORPUS-BATCH" + JSON.generate(results)
