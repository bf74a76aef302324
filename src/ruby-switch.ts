// The servers' Ruby version switch at the head of a command line: `~/.rvm/bin/rvm 2.3.1 do …`,
// `rbenv exec …`, `chruby-exec 2.7 -- …`. The image has one Ruby and runs the rest itself, so the
// switch is left out (said so by the caller) wherever a servers' line becomes a container's
// (foreman's Procfile lines, whenever's cron lines). One rule for both.

/** Leading `<path/>rvm <ruby> do` / `<path/>rbenv exec` / `<path/>chruby-exec <ruby> --`. */
const RUBY_SWITCH = /^\s*(?:(?:\S*\/)?rvm\s+\S+\s+do|(?:\S*\/)?rbenv\s+exec|(?:\S*\/)?chruby-exec\s+\S+\s+--)\s+/;

/**
 * The line without the servers' Ruby switch, and the switch as written (null when none). A piece of
 * the line not known statically may stand in the switch's path as a word without spaces (the
 * caller's placeholder): `<rvm_path>/bin/rvm 2.3.1 do` is still RVM's wrapper.
 */
export function withoutRubySwitch(command: string): { command: string; switch: string | null } {
  const m = RUBY_SWITCH.exec(command);
  return m ? { command: command.slice(m[0].length), switch: m[0].trim() } : { command, switch: null };
}

/** What a left-out switch is said as. */
export const rubySwitchNote = (rubySwitch: string): string => `\`${rubySwitch}\` left out: it chose the servers' Ruby, which the image has as its own`;
