// Capistrano 2 recipe gems whose `require` starts Unicorn on every deploy, read from the gems'
// source: what each runs, and the Rails environment Unicorn then evaluates config/unicorn.rb with.
// - capistrano-recipes0 (`recipes0/init_d/unicorn`): hooks `after 'deploy:restart', 'unicorn:upgrade'`,
//   which runs /etc/init.d/unicorn-<application> upgrade; the script (its unicorn.sh.erb) starts
//   `unicorn -E <rails_env> -D -c <current_path>/config/unicorn.rb`. Plain unicorn's -E sets
//   RACK_ENV before the config is read, so RACK_ENV is the stage's rails_env there.
// - capi (`capi/unicorn`): its unicorn:restart runs `unicorn_rails -c <deploy_to>/current/config/unicorn.rb
//   -E <rails_env> -D` (unicorn_rails' -E is RAILS_ENV).
export interface Cap2UnicornRecipe {
  require: RegExp;
  gem: string;
  /** What the recipe runs, in words, for the evidence line. */
  starts: string;
  /** The repo config its start line names. */
  config: string;
  /** Whether RACK_ENV is the stage's rails_env when the config is evaluated (plain unicorn -E). */
  rackIsRails: boolean;
}

export const CAP2_UNICORN_RECIPES: Cap2UnicornRecipe[] = [
  {
    require: /^recipes0\/init_d\/unicorn$/,
    gem: "capistrano-recipes0",
    starts: "after deploy:restart its unicorn:upgrade runs /etc/init.d/unicorn-<application> upgrade, a script from the gem's unicorn.sh.erb starting `unicorn -E <rails_env> -D -c <current_path>/config/unicorn.rb`",
    config: "config/unicorn.rb",
    rackIsRails: true,
  },
  {
    require: /^capi\/unicorn$/,
    gem: "capi",
    starts: "its unicorn:restart (after deploy:restart) runs `unicorn_rails -c <deploy_to>/current/config/unicorn.rb -E <rails_env> -D`",
    config: "config/unicorn.rb",
    rackIsRails: false,
  },
];

export const cap2UnicornRecipe = (required: string): Cap2UnicornRecipe | undefined => CAP2_UNICORN_RECIPES.find((r) => r.require.test(required));
