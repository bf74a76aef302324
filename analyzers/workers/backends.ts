// The job backends, one row each: how to recognise the backend in a repo, the command its own docs
// give for a worker process, and how it stops. This table is the one place these facts live; the
// analyzer reads it to detect workers, the emitters read it (through the model) for the stop and the
// grace period. Every default here is the gem's own, and is labelled as such where it is used.

export type StopSignal = "TERM" | "QUIT" | "INT";

export interface JobBackend {
  /** Stable id: the Deployment suffix and the answer keys use it. */
  id: string;
  /** Name as people write it. */
  label: string;
  /** Gems whose presence in Gemfile.lock says the app uses the backend. */
  gems: string[];
  /** A process command (Procfile line, systemd ExecStart, monit/god start) that runs this backend. */
  command: RegExp;
  /** Capfile requires of the backend's Capistrano plugin. */
  capistrano: RegExp;
  /** The worker command the backend documents, run when the repo names none. */
  standardCommand: string[];
  /** The signal it drains on: stops taking jobs, lets running ones finish (or hands them back). */
  stopSignal: StopSignal;
  /** Seconds it lets running jobs go on after the signal before it gives up on them (the gem's default). */
  stopTimeout: number;
  /** What that stop does with a running job, and what SIGKILL would do: shown in MIGRATION.md. */
  drain: string;
  /** Env var naming the queues when the command does not (Resque's QUEUE), if the backend reads one. */
  queueEnv?: string;
  /** The Capistrano plugin's variable for processes per server (capistrano3-delayed-job's delayed_job_workers). */
  processesVariable?: string;
  /** Runs inside the web server under some configurations: then no Deployment may be needed. */
  inWeb?: string;
  /**
   * How a script of the repo names the backend (its gem, its classes): a Procfile process running
   * such a script (`rails runner bin/jobs_runner.rb`) is the backend's own start line.
   */
  mention?: RegExp;
}

/**
 * Sidekiq first: its own analyzer (config/sidekiq.yml) gives its command, queues and timeout.
 * Signals, from each gem's source: Sidekiq traps INT/TERM/TTIN/TSTP (QUIT kills it at once, Ruby's
 * default); delayed_job traps TERM/INT and finishes the current job; Resque's parent on QUIT waits
 * for the forked job, on TERM kills it; resque-scheduler, Shoryuken, Sneakers (ServerEngine), GoodJob,
 * Solid Queue, Que and Backburner drain on TERM; inst-jobs' pool drains on QUIT (its row says where).
 */
export const JOB_BACKENDS: JobBackend[] = [
  {
    id: "sidekiq",
    label: "Sidekiq",
    gems: ["sidekiq", "sidekiq-pro", "sidekiq-ent"],
    command: /(^|[\s/])sidekiq(\s|$)/,
    capistrano: /^capistrano\/sidekiq(\/|$)/,
    standardCommand: ["bundle", "exec", "sidekiq"],
    processesVariable: "sidekiq_processes",
    stopSignal: "TERM",
    stopTimeout: 25,
    drain: "on TERM it stops fetching, waits `timeout` for running jobs, then pushes the unfinished ones back to Redis",
  },
  {
    id: "delayed-job",
    mention: /\bdelayed[_ ]job\b|\bDelayed::(Worker|Job)\b/i,
    label: "delayed_job",
    gems: ["delayed_job"],
    command: /\bjobs:work\b|(^|[\s/])(script|bin)\/delayed_job\b/,
    // capistrano3-delayed-job, capistrano-delayed_job, and delayed_job's own Capistrano 2 recipe.
    capistrano: /^capistrano\/delayed[_-]job(\/|$)|^delayed\/recipes$/,
    standardCommand: ["bundle", "exec", "rake", "jobs:work"],
    processesVariable: "delayed_job_workers",
    stopSignal: "TERM",
    // delayed_job has no shutdown timeout: it finishes the job it runs. 60s is rails2k8s' default
    // for the grace period; a job still running at SIGKILL keeps its lock until max_run_time and
    // then runs again on another worker.
    stopTimeout: 60,
    drain: "on TERM it finishes the running job and exits; a job cut by SIGKILL stays locked until `max_run_time` (4 h by default) and then runs again",
  },
  {
    id: "resque-scheduler",
    label: "resque-scheduler",
    gems: ["resque-scheduler"],
    command: /\bresque:scheduler\b|(^|[\s/])resque-scheduler\b/,
    capistrano: /^capistrano[-/]resque\/scheduler\b/,
    standardCommand: ["bundle", "exec", "rake", "resque:scheduler"],
    stopSignal: "TERM",
    stopTimeout: 5,
    drain: "on TERM it finishes the enqueue it is doing and exits; it runs no jobs itself",
  },
  {
    id: "resque",
    mention: /\bResque::Worker\b|\bresque:work\b/,
    label: "Resque",
    gems: ["resque"],
    command: /\bresque:work(ers)?\b|(^|[\s/])resque-pool\b/,
    capistrano: /^capistrano[-/]resque(\/|$)/,
    standardCommand: ["bundle", "exec", "rake", "resque:work"],
    // QUIT, not TERM: on TERM Resque kills the forked child running the job (the job fails).
    stopSignal: "QUIT",
    stopTimeout: 60,
    drain: "on QUIT it waits for the forked job to finish, then exits (TERM would kill the job); the grace period is rails2k8s' default of 60s",
    queueEnv: "QUEUE",
  },
  {
    id: "shoryuken",
    label: "Shoryuken",
    gems: ["shoryuken"],
    command: /(^|[\s/])shoryuken(\s|$)/,
    capistrano: /^capistrano\/shoryuken(\/|$)/,
    standardCommand: ["bundle", "exec", "shoryuken", "-R"],
    stopSignal: "TERM",
    stopTimeout: 8,
    drain: "on TERM it stops fetching and waits `timeout` (8s by default); an unfinished message returns to SQS after its visibility timeout",
  },
  {
    id: "sneakers",
    mention: /\bSneakers::Runner\b/,
    label: "Sneakers",
    gems: ["sneakers"],
    command: /\bsneakers:run\b|(^|[\s/])sneakers\s+work\b/,
    capistrano: /^capistrano\/sneakers(\/|$)/,
    standardCommand: ["bundle", "exec", "rake", "sneakers:run"],
    processesVariable: "sneakers_processes",
    stopSignal: "TERM",
    stopTimeout: 30,
    drain: "on TERM its workers finish the message in hand; an unacknowledged message goes back to RabbitMQ; the grace period is rails2k8s' default of 30s",
  },
  {
    id: "good-job",
    mention: /\bGoodJob::(CLI|Capsule)\b/,
    label: "GoodJob",
    gems: ["good_job"],
    command: /(^|[\s/])good_job(\s+start)?(\s|$)/,
    capistrano: /^capistrano\/good[_-]job(\/|$)/,
    standardCommand: ["bundle", "exec", "good_job", "start"],
    stopSignal: "TERM",
    stopTimeout: 60,
    drain: "on TERM it waits for running jobs (`shutdown_timeout`, unlimited by default); a job cut by SIGKILL is retried once its advisory lock is gone; the grace period is rails2k8s' default of 60s",
    inWeb: "unless it runs inside the web server (execution_mode :async)",
  },
  {
    id: "solid-queue",
    label: "Solid Queue",
    gems: ["solid_queue"],
    command: /(^|[\s/])bin\/jobs\b|\bsolid_queue:start\b/,
    capistrano: /^capistrano\/solid[_-]queue(\/|$)/,
    standardCommand: ["bin/jobs"],
    stopSignal: "TERM",
    stopTimeout: 5,
    drain: "on TERM it waits `shutdown_timeout` (5s by default) for running jobs; jobs of a process that died are released when its heartbeat expires",
    inWeb: "unless it runs inside Puma (plugin :solid_queue)",
  },
  {
    id: "que",
    mention: /\bQue\.(start|worker_count)\b|\bQue::(Worker|Locker)\b/,
    label: "Que",
    gems: ["que"],
    command: /(^|[\s/])que(\s|$)|\bque:(work|fork_and_work)\b/,
    capistrano: /^capistrano\/que(\/|$)/,
    standardCommand: ["bundle", "exec", "que"],
    stopSignal: "TERM",
    stopTimeout: 60,
    drain: "on TERM it finishes running jobs and exits; a job cut by SIGKILL is unlocked when its connection closes and runs again; the grace period is rails2k8s' default of 60s",
  },
  {
    id: "backburner",
    mention: /\bBackburner\.work\b/,
    label: "Backburner",
    gems: ["backburner"],
    command: /\bbackburner(:work)?\b/,
    capistrano: /^capistrano\/backburner(\/|$)/,
    standardCommand: ["bundle", "exec", "backburner"],
    stopSignal: "TERM",
    stopTimeout: 60,
    drain: "on TERM it finishes the job in hand; a reserved job cut by SIGKILL returns to beanstalkd after its TTR; the grace period is rails2k8s' default of 60s",
  },
  {
    // Instructure's fork of delayed_job (gem inst-jobs). Every fact below is read from the gem's source
    // at v3.1.18.1 (github.com/instructure/inst-jobs), the same through v3.3.2:
    // - inst-jobs.gemspec: `s.executables = ["inst_jobs"]`; lib/delayed/cli.rb: `run` starts the
    //   pool in the foreground (`start` daemonizes it, `stop` signals the daemon in the pid file).
    // - lib/delayed/daemon.rb `stop`: `signal = kill ? "TERM" : "QUIT"`: QUIT is the drain its own
    //   `inst_jobs stop` sends; TERM is `--with-prejudice`.
    // - lib/delayed/pool.rb: the pool traps INT/TERM/QUIT; on QUIT it `stop`s gracefully: QUITs its
    //   workers, waits `Settings.slow_exit_timeout`, then TERMs them for 2s, then KILLs them; on
    //   TERM/INT it TERMs them at once. lib/delayed/worker.rb: a worker on QUIT finishes the job in
    //   hand and exits; on TERM/INT it raises SystemExit into the running job.
    // - lib/delayed/settings.rb: `self.slow_exit_timeout = 20`, `self.kill_workers_on_exit = true`.
    // - lib/delayed/backend/base.rb `unlock_orphaned_jobs`: a pool unlocks at start only the jobs
    //   locked under its own host name (`locked_by LIKE "<hostname>:%"`).
    id: "inst-jobs",
    label: "inst-jobs",
    gems: ["inst-jobs"],
    command: /(^|[\s/])inst_jobs(\s|$)/,
    capistrano: /^capistrano\/inst[_-]jobs(\/|$)/,
    standardCommand: ["bundle", "exec", "inst_jobs", "run"],
    stopSignal: "QUIT",
    // slow_exit_timeout (20) plus the pool's 2s TERM round before its KILL.
    stopTimeout: 22,
    drain: "on QUIT the pool tells its workers to finish the job in hand, waits `slow_exit_timeout` (20s by default), TERMs the ones still running (their job is cut) and KILLs them 2s later; a job cut that way stays locked under the pod's host name, which no later pod has, so inst-jobs' start-up unlock does not free it",
  },
  {
    // Rpush's push-notification daemon (gem rpush; its facts in analyzers/workers/rpush-plugin.ts).
    // rpush 2.7.0 lib/rpush/daemon/signal_handler.rb: INT/TERM run Rpush::Daemon.shutdown (the RPC
    // server, the feeder and the app runners stop; no timeout of its own). Each store claims a batch
    // atomically (ActiveRecord `lock(true)` in a transaction, Redis MULTI, Mongoid `$isolated` with the
    // pid) and marks it processing; nothing resets that flag at start, so a batch cut by SIGKILL is
    // never delivered.
    id: "rpush",
    label: "Rpush",
    gems: ["rpush"],
    command: /(^|[\s/])rpush\s+start\b/,
    capistrano: /^capistrano\/rpush$/,
    standardCommand: ["bundle", "exec", "rpush", "start", "-f", "-e", "$(RAILS_ENV)"],
    stopSignal: "TERM",
    stopTimeout: 60,
    drain: "on TERM it stops taking notifications and shuts its dispatchers down; a batch it had claimed when SIGKILL came stays marked processing and is never sent; the grace period is rails2k8s' default of 60s",
  },
  {
    // A clock process, not a queue worker: it enqueues or runs its scheduled blocks (a cron
    // replacement), so it runs once per stage (SINGLETON_BACKENDS in emitters/kustomize/rules/workers.ts).
    id: "clockwork",
    label: "Clockwork",
    gems: ["clockwork"],
    command: /(^|[\s/])clockworkd?(\s|$)/,
    capistrano: /^capistrano\/clockwork(\/|$)/,
    // clockwork's README starts it as `clockwork clock.rb`; capistrano-clockwork's file is its :clockwork_file.
    standardCommand: ["bundle", "exec", "clockwork", "clock.rb"],
    stopSignal: "TERM",
    // Clockwork::Manager traps TERM as a graceful shutdown (waits for the event threads it started);
    // it has no timeout of its own: 60s is rails2k8s' default for the grace period.
    stopTimeout: 60,
    drain: "on TERM it stops scheduling and waits for the events it started; an event cut by SIGKILL is not run again until its next time; the grace period is rails2k8s' default of 60s",
  },
];

/**
 * Gems that provide a backend under another gem name: they ship the backend's own library (its
 * `require` path, its namespace, its rake tasks), so the app loads and starts the backend through them
 * exactly as through the backend's own gem. One row each, with where that is read.
 */
export interface ProvidingGem {
  gem: string;
  /** The backend row it provides (its id above). */
  backend: string;
  /** The first version of the gem that provides it. */
  since: string;
  /** Why, from the gem's own source. */
  why: string;
}

export const PROVIDING_GEMS: ProvidingGem[] = [
  {
    // github.com/ruby-amqp/kicks: commit c82aeae ("Bump major version, change gem name", 3.0.0.pre)
    // renamed sneakers.gemspec to kicks.gemspec and kept the modules; at 3.0.0 through 3.3.0 (and
    // 3.4.0.pre) kicks.gemspec has `gem.name = 'kicks'`, `gem.version = Sneakers::VERSION`,
    // `require_paths = ['lib']`, and lib/ holds sneakers.rb and sneakers/tasks.rb (`rake sneakers:run`).
    gem: "kicks",
    backend: "sneakers",
    since: "3.0.0",
    why: "kicks is Sneakers renamed (ruby-amqp/kicks, from 3.0.0): its gemspec names the gem kicks but ships lib/sneakers.rb and lib/sneakers/tasks.rb, so `require \"sneakers\"` and `rake sneakers:run` run it",
  },
];

/** The gems that give the app a backend: its own, then those that provide it under another name. */
/** The words a unit, script or line names a backend by: its id (dashed and underscored) and its gems. */
export const backendNames = (b: JobBackend): string[] => [...new Set([b.id, b.id.replace(/-/g, "_"), ...b.gems])];

export const backendGems = (b: JobBackend): string[] => [...b.gems, ...PROVIDING_GEMS.filter((p) => p.backend === b.id).map((p) => p.gem)];

/** The row of a gem that provides a backend under its own name, if it is one. */
export const providingGem = (gem: string): ProvidingGem | undefined => PROVIDING_GEMS.find((p) => p.gem === gem);

export const backendById = (id: string): JobBackend | undefined => JOB_BACKENDS.find((b) => b.id === id);

/** The backend a command runs, by the order of the table (resque-scheduler before resque). */
export function backendOfCommand(command: string): JobBackend | undefined {
  // A command quoted inside a wrapper (`bash -lc 'bin/delayed_job start'`) starts at its quote.
  const bare = command.replace(/['"]/g, " ");
  return JOB_BACKENDS.find((b) => b.command.test(command) || b.command.test(bare));
}

/**
 * The queues a worker's command-line words name: `--queue(s)=a,b`, or `-q`/`--queue NAME[,WEIGHT]`
 * once per queue (Sidekiq's form; the weight is not part of the name). Each occurrence adds.
 */
export function queuesFromArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    const m = /^--queues?=(.+)$/.exec(a);
    if (m) out.push(...m[1]!.split(","));
    else if ((a === "-q" || a === "--queue") && args[i + 1]) out.push(args[i + 1]!.split(",")[0]!);
  });
  return out.filter(Boolean);
}
