// Capistrano 2 recipe gems whose `require` starts a daemon of the app on every deploy that is no job
// backend: no Deployment runs it, so it is named at the require line (analyzers/workers/uncarried.ts),
// never left unsaid. Read from the gems' source:
// - capistrano-recipes0 (`recipes0/init_d/foreverb`): unless :skip_foreverb_auto_actions is set, hooks
//   `after 'deploy:restart', 'foreverb:restart'`, a task on roles :web that runs
//   /etc/init.d/foreverb-<application> restart; that script (the gem's foreverb.sh.erb) runs
//   `cd <current_path>; RAILS_ENV=<rails_env> nohup bundle exec ./script/foreverb-cron restart` as the
//   deploy user: the app's own Forever (foreverb) daemon, script/foreverb-cron.
export interface Cap2DaemonRecipe {
  require: RegExp;
  gem: string;
  /** The daemon's name, as the uncarried list names it. */
  name: string;
  /** What the recipe runs, in words. */
  starts: string;
  /** The repo file the daemon runs. */
  script: string;
  /** The variable that, set true, turns the recipe's hook off (then nothing starts it on a deploy). */
  skip: string;
}

export const CAP2_DAEMON_RECIPES: Cap2DaemonRecipe[] = [
  {
    require: /^recipes0\/init_d\/foreverb$/,
    gem: "capistrano-recipes0",
    name: "foreverb",
    starts: "after deploy:restart its foreverb:restart (roles :web) runs /etc/init.d/foreverb-<application> restart, a script from the gem's foreverb.sh.erb running `bundle exec ./script/foreverb-cron restart` in the release",
    script: "script/foreverb-cron",
    skip: "skip_foreverb_auto_actions",
  },
];

/** A deploy line's `require "x"` of such a recipe. */
export function cap2DaemonRecipe(line: string): Cap2DaemonRecipe | undefined {
  const m = /^\s*require\s*\(?\s*["']([^"']+)["']/.exec(line);
  return m ? CAP2_DAEMON_RECIPES.find((r) => r.require.test(m[1]!)) : undefined;
}
