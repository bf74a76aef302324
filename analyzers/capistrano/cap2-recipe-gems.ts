// Capistrano 2 recipe gems a deploy.rb requires, which set deploy values from the gem's own files
// (not in the repo). Without them a value such as deploy_to would read as Capistrano 2's default
// (/u/apps/<application>) when the gem set another. Each row holds the defaults read from the gem's
// source, labelled as that gem's (pluginDefaults in index.ts), the variable listing the paths its
// recipe links from shared/, and what of the gem the analysis does not read (a named warning).
//
// simple-rails-deploy (brain-geek/simple-rails-deploy, the gem's lib/ as published; 0.0.1 is the
// only version released): `require 'simple-rails-deploy/common'` loads, inside
// Capistrano::Configuration.instance.load, `set(:deploy_to) { "/home/#{application}/app/" }`,
// scm git, deploy_via remote_cache, use_sudo false (lib/simple-rails-deploy/common.rb), and
// lib/deploy/sharing-files.rb, whose `deploy:app_symlinks` runs, after deploy:finalize_update, for
// each path of `normal_symlinks` (default config/database.yml and tmp):
// `rm -rf <release>/<path> && ln -nfs <shared>/<path> <release>/<path>`: the path itself is the
// link (removed first, so never a link inside a directory).
export interface Cap2RecipeGem {
  /** The require that loads it. */
  require: string;
  gem: string;
  /** Ruby setting the gem's defaults (our own rendering of them), run at the require. */
  defaults: string;
  /** The gem file those defaults are read from. */
  from: string;
  /** A variable whose paths the gem's recipe links from shared/ into the release, path for path. */
  linkedList?: string;
  /** What the gem (and its files loaded by name) does that the analysis does not read. */
  notRead: string;
}

export const CAP2_RECIPE_GEMS: Cap2RecipeGem[] = [
  {
    require: "simple-rails-deploy/common",
    gem: "simple-rails-deploy",
    defaults: [
      `set :scm, :git`,
      `set :deploy_via, :remote_cache`,
      `set :use_sudo, false`,
      `set(:deploy_to) { "/home/#{application}/app/" }`,
      `set :normal_symlinks, ["config/database.yml", "tmp"]`,
    ].join("\n"),
    from: "lib/simple-rails-deploy/common.rb and lib/deploy/sharing-files.rb",
    linkedList: "normal_symlinks",
    notRead:
      "its recipes loaded by name from the gem (`deploy/rvm`, `deploy/add-to-autostart`; `deploy/unicorn`'s Unicorn config is read apart, in analyzers/appserver/simple-rails-deploy.ts) and its setup tasks (create_database_yml writes shared/config/database.yml)",
  },
];

export function cap2RecipeGem(target: string): Cap2RecipeGem | undefined {
  return CAP2_RECIPE_GEMS.find((g) => g.require === target);
}
