// The roles of a Capistrano 2 task line, one rule for every reader (analyzers/capistrano/task-roles.ts).
// Capistrano 2 is not installed here (Debian ships 3): real Ruby evaluates each line as written, with a
// `task` that applies Capistrano 2.15's role_list_from (a String split on commas, then Array(), each
// name stripped), so the expectation is Ruby's reading of the literal, not ours.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { taskLineRoles } from "../../analyzers/capistrano/task-roles.js";

const LINES = [
  "task(:x, roles: :poll) { y }",
  "task :x, :roles => [:a, :b] do",
  'task :x, :roles => [:app, "worker"] do',
  "task :x, roles: %w[a b] do",
  "task :x, roles: %w(web app) do",
  "task :x, :roles => %w{db} do",
  "task :x, roles: %i[cron worker] do",
  'task :x, :roles => "app, db" do',
  "task :x, roles: 'worker' do",
];

/** Capistrano 2.15's role list for each line, as Ruby evaluates it. */
function capistrano2Roles(lines: string[]): string[][] {
  const prog = `def y; end
def task(name, options = {})
  roles = options[:roles]
  roles = roles.split(/,/) if String === roles
  puts Array(roles).map { |r| String === r ? r.strip : r.to_s }.join(" ")
end
${lines.map((l) => (l.endsWith(" do") ? `${l} end` : l)).join("\n")}
`;
  const r = spawnSync("ruby", ["-e", prog], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split("\n").map((l) => l.split(" "));
}

describe("a Capistrano 2 task line's roles", () => {
  it("a symbol, a string (split on commas), an array of those, %w[] %w() %w{} %i[]: as Capistrano 2 reads them", () => {
    const expected = capistrano2Roles(LINES);
    expect(LINES.map(taskLineRoles)).toEqual(expected);
    expect(expected[4]).toEqual(["web", "app"]);
  });

  it("none, or computed: null, never a guess", () => {
    expect(taskLineRoles("task :x do")).toBeNull();
    expect(taskLineRoles("task :x, roles: fetch(:r) do")).toBeNull();
    expect(taskLineRoles("task :x, roles: [:a, fetch(:r)] do")).toBeNull();
  });
});
