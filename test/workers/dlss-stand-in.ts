// The stand-in for dlss-capistrano's *_systemd plugins that real cap loads in the dlss tests (the gem
// is not installed here), and the oracle task that records which host got which command.
import { DLSS_DEFAULT_ROLE, DLSS_SYSTEMD } from "../../analyzers/workers/dlss-systemd.js";
import { hostRecorder } from "../capistrano/cap-record.js";

/** The stand-in gem: our reading of each plugin (DLSS_SYSTEMD), in the shape its tasks have. */
export const STAND_IN = DLSS_SYSTEMD.map(
  (p) => `namespace :load do
  task :defaults do
    set :${p.prefix}_role, fetch(:${p.prefix}_role, :${DLSS_DEFAULT_ROLE})
    set :${p.prefix}_use_hooks, fetch(:${p.prefix}_use_hooks, false)
  end
end
namespace :deploy do
  before :starting, :add_${p.prefix}_hooks do
    invoke "${p.prefix}:add_hooks" if fetch(:${p.prefix}_use_hooks)
  end
end
namespace :${p.prefix} do
  task :add_hooks do
    after "deploy:published", "${p.prefix}:start"
  end
  task :start do
    on roles(fetch(:${p.prefix}_role)) do
      ${p.start}
    end
  end
end
`,
).join("\n");

/** Runs deploy:starting's hook-adding prerequisites (a plugin's `before :starting, :check_x_hooks`), then deploy:published, recording each command with its host. */
export const ORACLE = hostRecorder(
  "r2k:published",
  `Rake::Task["deploy:starting"].prerequisite_tasks.each { |t| t.invoke if t.name.end_with?("_hooks") }
  invoke "deploy:published"`,
);

