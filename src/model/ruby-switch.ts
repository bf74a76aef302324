// The servers' Ruby version switch at the head of a command line: `~/.rvm/bin/rvm 2.3.1 do …`,
// `rbenv exec …`, `chruby-exec 2.7 -- …`. The image has one Ruby and runs the rest itself, so the
// switch is left out (said so by the caller) wherever a servers' line becomes a container's
// (foreman's Procfile lines, whenever's cron lines). One rule for both.

/**
 * Leading `<path/>rvm <ruby> do` / `<path/>rbenv exec` / `<path/>chruby-exec <ruby> --`, and the
 * shell steps that load a Ruby manager before the command: `source <path>/rvm/scripts/rvm &&`,
 * `rvm use <ruby> &&`, `export PATH=<...rbenv...>:$PATH;`, `eval "$(rbenv init -)";`,
 * `source <path>/chruby.sh && chruby <ruby> &&`, or a `PATH=<...rbenv/shims...>` prefix of the command.
 */
const RUBY_SWITCH = new RegExp(
  "^\\s*(?:" +
    [
      "(?:\\S*\\/)?rvm\\s+\\S+\\s+do\\s+",
      "(?:\\S*\\/)?rbenv\\s+exec\\s+",
      "(?:\\S*\\/)?chruby-exec\\s+\\S+\\s+--\\s+",
      "(?:source|\\.)\\s+\\S*\\/(?:scripts\\/rvm|chruby\\.sh)\\s*(?:&&|;)\\s*",
      "(?:\\S*\\/)?rvm\\s+use\\s+\\S+\\s*(?:&&|;)\\s*",
      "chruby\\s+\\S+\\s*(?:&&|;)\\s*",
      "eval\\s+[\"']\\$\\((?:\\S*\\/)?rbenv\\s+init\\s+-\\)[\"']\\s*(?:&&|;)\\s*",
      "(?:export\\s+)?PATH=[\"']?[^\\s\"';&]*(?:rbenv|\\.rvm|chruby)[^\\s\"';&]*[\"']?\\s*(?:&&|;)\\s*",
      "PATH=[^\\s\"';&]*(?:rbenv|\\.rvm)[^\\s\"';&]*\\s+",
    ].join("|") +
    ")",
);

/**
 * The line without the servers' Ruby switch, and the switch as written (null when none): every such
 * step at its head (`export PATH=…rbenv…; eval "$(rbenv init -)"; bundle exec …` has two). A piece
 * of the line not known statically may stand in the switch's path as a word without spaces (the
 * caller's placeholder): `<rvm_path>/bin/rvm 2.3.1 do` is still RVM's wrapper.
 */
export function withoutRubySwitch(command: string): { command: string; switch: string | null } {
  const parts: string[] = [];
  let rest = command;
  for (let m = RUBY_SWITCH.exec(rest); m && m[0].length; m = RUBY_SWITCH.exec(rest)) {
    parts.push(m[0].trim());
    rest = rest.slice(m[0].length);
  }
  return parts.length ? { command: rest, switch: parts.join(" ") } : { command, switch: null };
}

/** What a left-out switch is said as. */
export const rubySwitchNote = (rubySwitch: string): string => `\`${rubySwitch}\` left out: it chose the servers' Ruby, which the image has as its own`;
