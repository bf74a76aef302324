// The defaults Capistrano and its plugins set before config/deploy.rb is read, as Ruby run by the
// same interpreter as the team's files (so lambdas stay lazy exactly as there). Only what we could
// read in each gem's source is here; a plugin not listed contributes nothing (its variables are then
// simply absent, never guessed).

/** Capistrano 3.17 `lib/capistrano/defaults.rb` (Debian's capistrano), minus the validators. */
export const CAP3_CORE = `
set_if_empty :scm, :"default-git"
set_if_empty :branch, "master"
set_if_empty :deploy_to, -> { "/var/www/#{fetch(:application)}" }
set_if_empty :tmp_dir, "/tmp"
set_if_empty :default_env, {}
set_if_empty :keep_releases, 5
set_if_empty :format, :airbrussh
set_if_empty :log_level, :debug
set_if_empty :pty, false
set_if_empty :local_user, -> { ENV["USER"] || ENV["LOGNAME"] || ENV["USERNAME"] }
`;

/** `Capistrano::SCM::Git#set_defaults` (3.17 `lib/capistrano/scm/git.rb`). */
export const CAP3_GIT = `
set_if_empty :git_shallow_clone, false
set_if_empty :git_wrapper_path, lambda { "#{fetch(:tmp_dir)}/git-ssh-#{SecureRandom.hex(10)}.sh" }
set_if_empty :git_environmental_variables, lambda { { git_askpass: "/bin/echo", git_ssh: fetch(:git_wrapper_path) } }
set_if_empty :git_max_concurrent_connections, 10
set_if_empty :git_wait_interval, 0
`;

/** capistrano-mb's default recipe list (the pieces its deploy installs and runs). */
export const MB_DEFAULT_RECIPES = ["aptitude", "bundler", "crontab", "dotenv", "logrotate", "migrate", "nginx", "postgresql", "rbenv", "seed", "ssl", "ufw", "unicorn", "user", "version"];

export const MB_DEFAULTS = `
set :mb_recipes, %w(${MB_DEFAULT_RECIPES.join(" ")})
set :mb_privileged_user, "root"
set :mb_dotenv_keys, %w(rails_secret_key_base postmark_api_key)
set :mb_dotenv_filename, -> { ".env.#{fetch(:rails_env)}" }
set :mb_nginx_force_https, false
set :mb_nginx_redirect_hosts, {}
set :mb_sidekiq_concurrency, 25
set :mb_sidekiq_role, :sidekiq
set :mb_unicorn_workers, 2
set :mb_unicorn_timeout, 30
set :mb_unicorn_config, proc{ "#{current_path}/config/unicorn.rb" }
set :mb_unicorn_log, proc{ "#{current_path}/log/unicorn.log" }
set :mb_unicorn_pid, proc{ "#{current_path}/tmp/pids/unicorn.pid" }
set :bundle_binstubs, false
set :bundle_flags, "--deployment --retry=3 --quiet"
set :deploy_to, -> { "/home/deployer/apps/#{fetch(:application)}" }
set :keep_releases, 10
set :linked_dirs, -> { ["public/#{fetch(:assets_prefix, 'assets')}"] + %w(.bundle log tmp/pids tmp/cache tmp/sockets public/.well-known public/system) }
set :linked_files, -> { [fetch(:mb_dotenv_filename)] + %w(config/database.yml config/unicorn.rb) }
set :log_level, :debug
set :migration_role, :app
set :rails_env, -> { fetch(:stage) }
`;

/**
 * Plugin defaults by the Capfile require that loads them (capistrano-rails 1.x,
 * lib/capistrano/tasks/assets.rake and migrations.rake, `namespace :load do task :defaults`).
 */
export const CAP3_PLUGINS: Record<string, string[]> = {
  "whenever/capistrano": ["whenever"],
  "capistrano/rails": ["rails/assets", "rails/migrations"],
  "capistrano/rails/assets": ["rails/assets"],
  "capistrano/rails/migrations": ["rails/migrations"],
  "capistrano/clockwork": ["clockwork"],
  // Only when Gemfile.lock locks capistrano-mb (index.ts): a Capfile naming a gem the bundle lacks
  // never deployed with its defaults.
  "capistrano/mb": ["mb"],
  // Only when Gemfile.lock locks capistrano3-nginx (index.ts): other gems share the require name.
  "capistrano/nginx": ["nginx"],
  // Only when Gemfile.lock locks capistrano-unicorn-nginx (index.ts).
  "capistrano/unicorn_nginx": ["unicorn_nginx"],
};

export const CAP3_PLUGIN_SNIPPETS: Record<string, string> = {
  // capistrano-clockwork 1.x, lib/capistrano/tasks/capistrano-clockwork.rake (load:defaults):
  // clockworkd runs :clockwork_file on the servers with :clockwork_role.
  clockwork: `
set :clockwork_default_hooks, -> { true }
set :clockwork_file, -> { "lib/clockwork.rb" }
set :clockwork_role, -> { :app }
`,
  // ruby-whenever 1.0, lib/whenever/capistrano/v3/tasks/whenever.rake (Debian's copy).
  whenever: `
set :whenever_roles,        ->{ :db }
set :whenever_command,      ->{ [:bundle, :exec, :whenever] }
set :whenever_command_environment_variables, ->{ fetch(:default_env).merge(rails_env: fetch(:whenever_environment)) }
set :whenever_identifier,   ->{ fetch :application }
set :whenever_environment,  ->{ fetch :rails_env, fetch(:stage, "production") }
set :whenever_variables,    ->{ "environment=#{fetch :whenever_environment}" }
set :whenever_load_file,    ->{ nil }
set :whenever_update_flags, ->{ "--update-crontab #{fetch :whenever_identifier} --set #{fetch :whenever_variables}" }
set :whenever_clear_flags,  ->{ "--clear-crontab #{fetch :whenever_identifier}" }
set :whenever_path,         ->{ release_path }
`,
  // capistrano-mb 0.35.0, lib/capistrano/tasks/defaults.rake (load:defaults). Its `set`s win over
  // Capistrano's set_if_empty (deploy_to) and, loaded after capistrano/rails, over its
  // migration_role. Left out: apt packages, postgresql, rbenv, ssl and ufw settings (they shape the
  // servers, not what ran on them; ask prompts would also stop the run).
  mb: MB_DEFAULTS,
  // capistrano3-nginx 2.x, lib/capistrano/tasks/nginx.rake (load:defaults): what its templates
  // (the gem's, or the repo's own named by :nginx_template) branch on; `app_server` true writes the
  // upstream. Left out: the sudo path and task lists.
  nginx: `
set :nginx_log_path,            -> { "#{shared_path}/log" }
set :nginx_service_path,        -> { 'service nginx' }
set :nginx_static_dir,          -> { "public" }
set :nginx_application_name,    -> { fetch(:application) }
set :nginx_sites_enabled_dir,   -> { "/etc/nginx/sites-enabled" }
set :nginx_sites_available_dir, -> { "/etc/nginx/sites-available" }
set :nginx_roles,               -> { :web }
set :nginx_template,            -> { :default }
set :nginx_use_ssl,             -> { false }
set :nginx_ssl_certificate,          -> { "#{fetch(:application)}.crt" }
set :nginx_ssl_certificate_path,     -> { '/etc/ssl/certs' }
set :nginx_ssl_certificate_key,      -> { "#{fetch(:application)}.key" }
set :nginx_ssl_certificate_key_path, -> { '/etc/ssl/private' }
set :app_server,                     -> { true }
`,
  // capistrano-unicorn-nginx 3.x to 5.x, lib/capistrano/tasks/nginx.rake then unicorn.rake
  // (load:defaults, run in that order): what its templates fetch. Left out: ask prompts for local
  // certificate paths, and :unicorn_use_tcp (a count of the app and web servers, computed by
  // analyzers/appserver/unicorn-nginx.ts from the stage's servers). :nginx_server_name has no
  // default here: the gem's nginx:defaults sets it on the servers, to the web host's address.
  unicorn_nginx: `
set :templates_path, 'config/deploy/templates'
set :nginx_config_name, -> { "#{fetch(:application)}_#{fetch(:stage)}" }
set :nginx_location, '/etc/nginx'
set :nginx_use_ssl, false
set :nginx_fail_timeout, 0
set :nginx_read_timeout, nil
set :linked_dirs, fetch(:linked_dirs, []).push('log')
set :unicorn_service, -> { "unicorn_#{fetch(:application)}_#{fetch(:stage)}" }
set :unicorn_pid, -> { "#{shared_path}/tmp/pids/unicorn.pid" }
set :unicorn_config, -> { "#{shared_path}/config/unicorn.rb" }
set :unicorn_workers, 2
set :unicorn_worker_timeout, 30
set :unicorn_tcp_listen_port, 8080
set :unicorn_app_env, -> { fetch(:rails_env) || fetch(:stage) }
set :linked_dirs, fetch(:linked_dirs, []).push('log', 'tmp/pids')
`,
  "rails/assets": `
set :assets_roles, fetch(:assets_roles, [:web])
set :assets_prefix, fetch(:assets_prefix, 'assets')
`,
  "rails/migrations": `
set :conditionally_migrate, fetch(:conditionally_migrate, false)
set :migration_role, fetch(:migration_role, :db)
set :migration_servers, -> { primary(fetch(:migration_role)) }
`,
};

/**
 * capistrano-rails `assets.rake`'s `deploy:set_linked_dirs`, hooked after `deploy:set_rails_env`: the
 * assets dir is linked once the stage has set its variables, so a deploy.rb's `set :assets_prefix,
 * 'recursos'` links public/recursos (never public/assets), and a linked `public` takes its place.
 */
const SET_LINKED_DIRS = `set :linked_dirs, fetch(:linked_dirs, []).push("public/#{fetch(:assets_prefix)}").uniq unless fetch(:linked_dirs, []).include?("public")`;

/**
 * capistrano-rails `set_rails_env.rake`: after the stage task, `deploy:set_rails_env` runs
 * `set :rails_env, (fetch(:rails_env) || fetch(:stage))` — a Symbol when only the stage gives it.
 */
export const CAP3_AFTER_STAGE: Record<string, string> = {
  "capistrano/rails": `set :rails_env, (fetch(:rails_env) || fetch(:stage))\n${SET_LINKED_DIRS}`,
  "capistrano/rails/assets": `set :rails_env, (fetch(:rails_env) || fetch(:stage))\n${SET_LINKED_DIRS}`,
  "capistrano/rails/migrations": `set :rails_env, (fetch(:rails_env) || fetch(:stage))`,
};

/**
 * whenever's Capistrano 2 recipe (ruby-whenever 1.0, lib/whenever/capistrano/v2/recipes.rb, Debian's
 * copy), loaded by `require "whenever/capistrano"` under Capistrano 2: `_cset`, so a value the deploy
 * set before or after the require wins. Its whenever:update_crontab (before deploy:finalize_update)
 * runs `cd <whenever_path> && <whenever_command> <whenever_update_flags> --roles <the server's roles
 * among whenever_roles>` on the servers of whenever_roles (v2/support.rb).
 */
export const CAP2_WHENEVER = `
_cset(:whenever_roles)        { :db }
_cset(:whenever_options)      { {:roles => fetch(:whenever_roles)} }
_cset(:whenever_command)      { "whenever" }
_cset(:whenever_identifier)   { fetch :application }
_cset(:whenever_environment)  { fetch :rails_env, fetch(:stage, "production") }
_cset(:whenever_variables)    { "environment=#{fetch :whenever_environment}" }
_cset(:whenever_update_flags) { "--update-crontab #{fetch :whenever_identifier} --set #{fetch :whenever_variables}" }
_cset(:whenever_clear_flags)  { "--clear-crontab #{fetch :whenever_identifier}" }
_cset(:whenever_path)         { fetch :latest_release }
`;

/**
 * Capistrano 2.15 `lib/capistrano/recipes/deploy.rb` (`_cset`, loaded by `load 'deploy'` in the
 * Capfile before config/deploy.rb): the variables that shape a deploy. `shared_children` are the
 * directories every release links to shared/ (public/system, log, tmp/pids). `rails_env` is
 * "production" unless the deploy sets it: `_cset :rails_env, "production"` since 2.8.0 (commit
 * f68fcae, "Rails 3.1 Asset Pipeline support"; 2.15.x line 33), and before that every recipe read
 * `fetch(:rails_env, "production")` (deploy:migrate). Never the stage's name: capistrano-ext's
 * multistage sets :stage only.
 */
export const CAP2_CORE = `
_cset :scm, :subversion
_cset :deploy_via, :checkout
_cset :rails_env, "production"
_cset(:deploy_to) { "/u/apps/#{application}" }
_cset :version_dir, "releases"
_cset :shared_dir, "shared"
_cset :shared_children, %w(public/system log tmp/pids)
_cset :current_dir, "current"
_cset :use_sudo, true
_cset :keep_releases, 5
`;

/**
 * Mina 0.3's own defaults (Debian's mina 0.3.7, lib/mina/deploy.rb, git.rb, rails.rb): the deploy
 * paths are relative to deploy_to, which templates join themselves (`"#{deploy_to}/#{current_path}"`).
 */
export const MINA_03 = `
set_default :releases_path, "releases"
set_default :shared_path, "shared"
set_default :current_path, "current"
set_default :keep_releases, 5
set_default :branch, "master"
set_default :rails_env, "production"
`;

/** Mina 1.x's defaults (tasks/mina/deploy.rb, git.rb, rails.rb): the deploy paths are absolute. */
export const MINA_1 = `
set :releases_path, -> { "#{fetch(:deploy_to)}/releases" }
set :shared_path, -> { "#{fetch(:deploy_to)}/shared" }
set :current_path, -> { "#{fetch(:deploy_to)}/current" }
set :keep_releases, 5
set :branch, "master"
set :rails_env, "production"
`;

/**
 * What Mina 1.x's mina/rails adds when a deploy.rb requires it (tasks/mina/rails.rb): the paths it
 * links from shared/, `set :shared_dirs, fetch(:shared_dirs, []).push('log', 'tmp/cache',
 * fetch(:compiled_asset_path))`.
 */
export const MINA_1_RAILS = `
set :compiled_asset_path, "public/assets"
set :shared_dirs, fetch(:shared_dirs, []).push("log", "tmp/cache", fetch(:compiled_asset_path))
`;
