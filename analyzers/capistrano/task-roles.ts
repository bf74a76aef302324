// The roles a Capistrano 2 task definition names (`task :x, roles: :worker`, `task(:x, :roles => [:a, "b"])`,
// `roles: %w(a b)`): Capistrano 2.15's role_list_from reads `Array(options[:roles])`, a String first
// split on commas ("app, db"), so a symbol, a string, an array of those or a %w/%i word list. One rule for every reader of a task line (monit loops, whenever's
// loaded schedules, a Sidekiq task of the repo's own). A computed value is not guessed: null.

const ROLES = /(?::roles\s*=>|\broles:|["']roles["']\s*=>)\s*(:\w+|"[\w\s,-]+"|'[\w\s,-]+'|\[[^\]]*\]|%[wi](?:\[([^\]]*)\]|\(([^)]*)\)|\{([^}]*)\}|<([^>]*)>))/;

/** The literal roles of a task definition line; null when it names none or they are computed (`roles: fetch(:r)`). */
export function taskLineRoles(line: string): string[] | null {
  const m = ROLES.exec(line);
  if (!m) return null;
  const v = m[1]!;
  // A %w/%i list: its words (a `#{…}` would only be interpolated by %W/%I, which are not matched).
  if (v.startsWith("%")) {
    const words = (m[2] ?? m[3] ?? m[4] ?? m[5]!).trim().split(/\s+/).filter(Boolean);
    return words.length ? words : null;
  }
  const items = (v.startsWith("[") ? v.slice(1, -1).split(",") : [v]).map((x) => x.trim()).filter(Boolean);
  // A lone String is split on its commas; inside an array each item is one role.
  const split = (x: string) => (v.startsWith("[") ? [x] : x.split(",").map((y) => y.trim()).filter(Boolean));
  const names = items.map((x) => /^(?::(\w+)|"([\w\s,-]+)"|'([\w\s,-]+)')$/.exec(x)).flatMap((x) => (x ? (x[1] ? [x[1]] : split((x[2] ?? x[3])!)) : [null]));
  return names.length && names.every((x) => x !== null) ? (names as string[]) : null;
}

/** Options of a Capistrano 2 task that choose its servers: roles, hosts, or a filter on them. */
const PLACING = /(?::(?:roles|hosts|only|except)\s*=>|\b(?:roles|hosts|only|except):|["'](?:roles|hosts|only|except)["']\s*=>)/;

/**
 * Where a Capistrano 2 task line runs: its literal roles; `all` when it names no roles, hosts or
 * filter (Capistrano 2's find_servers_for_task then takes every server of the stage); null when
 * they are computed or filtered (not guessed).
 */
export function taskLinePlacement(line: string): { roles: string[] } | { all: true } | null {
  const roles = taskLineRoles(line);
  if (roles) return /(?::(?:hosts|only|except)\s*=>|\b(?:hosts|only|except):)/.test(line) ? null : { roles };
  return PLACING.test(line) ? null : { all: true };
}
