// Mapping rules of the database migration: whether the app has one (needsMigration, mongoidOnly) and
// the command that runs it (migrateArgs). Index of all rules: ./README.md.
import type { ModelLike } from "./stage.js";

/** Whether the app has a database to migrate (database.yml) — then a db:migrate Job runs before each rollout. */
/**
 * The app has a database to migrate: database.yml (or its example) says so, or the servers had it
 * (a linked config/database.yml), or capistrano-rails ran migrations (db/migrate, migration_role).
 */
export const needsMigration = (model: ModelLike): boolean =>
  model.rails.database !== null ||
  model.linked.some((l) => l.path === "config/database.yml") ||
  model.stages.some((s) => s.variables["migration_role"] !== undefined && model.capistrano?.requires.some((r) => r.value === "capistrano/rails/migrations"));

/**
 * Mongoid with no ActiveRecord database: the app's database is MongoDB, which has no ActiveRecord
 * migrations (`db:migrate` is ActiveRecord's task; Mongoid creates collections as documents are
 * written). A gem that adds Mongoid migrations (mongoid_rails_migrations, mongoid-migrations) keeps a
 * `db:migrate` of its own, so such an app is not this case.
 */
export const mongoidOnly = (model: ModelLike): boolean =>
  !needsMigration(model) && model.rails.gems["mongoid"] !== undefined && !["mongoid_rails_migrations", "mongoid-migrations", "mongoid_migrations"].some((g) => model.rails.gems[g] !== undefined);

/** Rails ≥ 5 runs tasks through bin/rails; older apps through rake. Both read RAILS_ENV. */
export function migrateArgs(model: ModelLike): string[] {
  const v = model.rails.railsVersion?.value;
  const major = v ? Number.parseInt(v, 10) : NaN;
  return Number.isFinite(major) && major < 5 ? ["bundle", "exec", "rake", "db:migrate"] : ["bundle", "exec", "rails", "db:migrate"];
}
