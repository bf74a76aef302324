// A repo that holds only an example of its database config (config/database.yml.sample) while the
// deploy links config/database.yml from shared/: the servers connected with their own copy, so the
// example's adapter, database and host are never said as a stage's database; without a link, the
// example's values are still said as the example's, not as the app's.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { memoryRepo } from "../../src/repo.js";
import { analyzeFiles } from "../../src/analyze.js";
import { renderReport } from "../../src/report.js";

beforeAll(async () => {
  await initPrism();
});

const BASE: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "mysql2"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mysql2 (0.5.5)\n    rails (6.1.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mysql2\n  rails\n",
  "config/database.yml.sample": "development:\n  adapter: mysql2\n  database: pantry_dev\n\nproduction:\n  adapter: mysql2\n  host: localhost\n  database: pantry_dev_copy\n  password:\n",
  "config/deploy/production.rb": 'server "pantry1.example.org", user: "deploy", roles: %w[app web db]\n',
};
const deploy = (linked: boolean) =>
  ['lock "~> 3.17"', 'set :application, "pantry"', 'set :repo_url, "git@git.example.org:ops/pantry.git"', 'set :deploy_to, "/srv/pantry"', ...(linked ? ['append :linked_files, "config/database.yml"'] : []), ""].join("\n");

describe("only an example of database.yml in the repo", () => {
  it("linked from shared/: the example is the repo's example, the servers' copy is the stage's database", async () => {
    const m = await analyzeFiles(memoryRepo({ ...BASE, "config/deploy.rb": deploy(true) }), "pantry");
    expect(m.rails.database?.file).toBe("config/database.yml.sample");
    expect(m.rails.database?.serversCopy?.linked).toEqual({ file: "config/deploy.rb", line: 5 });
    const h = m.hazards.find((x) => x.id === "database.servers-copy");
    expect(h?.message).toContain("placed on the servers by hand");
    expect(h?.message).toContain("the repo holds only config/database.yml.sample, the repo's example, not what the servers used");
    expect(h?.advice).toContain("DATABASE_URL");
    const text = renderReport(m, { color: false });
    expect(text).toContain(`database (production, the repo's example, not what the servers used): "mysql2"  config/database.yml.sample:6`);
    expect(text).not.toMatch(/database \(production\):/);
  });

  it("not linked: the example's values are labelled as the example's", async () => {
    const m = await analyzeFiles(memoryRepo({ ...BASE, "config/deploy.rb": deploy(false) }), "pantry");
    expect(m.rails.database?.serversCopy).toBeUndefined();
    expect(m.hazards.some((x) => x.id === "database.servers-copy")).toBe(false);
    const text = renderReport(m, { color: false });
    expect(text).toContain(`database (production, the repo's example: no config/database.yml in the repo): "mysql2"  config/database.yml.sample:6`);
  });
});
