// File globs as Ruby's Dir.glob reads them, for the patterns deploy configs use: `*` (not across
// `/`), `**/` (any depth), `?`, `{a,b}` and `[abc]`. Dotfiles are not matched by `*`, as in Ruby.
export function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*" && pattern[i + 2] === "/") {
        re += "(?:[^/.][^/]*/)*";
        i += 2;
      } else re += i === 0 || pattern[i - 1] === "/" ? "(?![.])[^/]*" : "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "{") {
      const end = pattern.indexOf("}", i);
      if (end < 0) re += "\\{";
      else {
        re += "(?:" + pattern.slice(i + 1, end).split(",").map(escape).join("|") + ")";
        i = end;
      }
    } else if (c === "[") {
      const end = pattern.indexOf("]", i);
      if (end < 0) re += "\\[";
      else {
        re += "[" + pattern.slice(i + 1, end).replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`);
}

const escape = (s: string) => s.replace(/[.+^$()|\\/]/g, "\\$&");
