// `Regexp === value` (a `case` branch `when /prod/`) decided in JS only where JS's RegExp gives the
// same answer as Ruby's Onigmo, else null (the branch stays undecided). The pattern must be plain:
// literals, `.`, anchors (^ $ \A \z \Z \b \B), \d \w \s and their negations, simple classes
// (`[a-z_]`, `[^0-9]`), groups `(...)` `(?:...)`, alternation, the greedy and lazy quantifiers
// with explicit bounds; flags i, m, o. Anything else (lookaround, backreferences, POSIX or nested
// classes, `{,n}`, possessive quantifiers, x, encodings, interpolation) is refused.
// The subject must be printable ASCII, where the two engines agree on the rest:
// no line breaks, so Ruby's line anchors ^ $ are the string's ends (and `.`, m, \Z agree);
// ASCII only, so i's case folding, \w, \s and \b agree.
// The pattern comes from the repo: so that no pattern can make JS backtrack for long, a group that
// holds a quantifier or `|` takes no quantifier, a pattern has at most MAX_QUANTIFIERS, `|` appears
// at one place only (the top level or one group: alternations in sequence, `(|)(|)…`, multiply
// the paths JS tries, 2^n), and the subject is at most MAX_SUBJECT characters (polynomial, small).
// Onigmo anchors a pattern that starts with `.*`/`.+` to line starts even behind a zero-width
// assertion (`/\b.*x/` never matches " ax" in Ruby, does in JS): such a pattern is refused.
import { kind } from "../prism.js";
import type { RValue } from "../../../src/model.js";

const PRINTABLE = /^[\x20-\x7e]*$/;
const MAX_PATTERN = 200;
const MAX_SUBJECT = 64;
const MAX_QUANTIFIERS = 4;
const LITERAL = /[A-Za-z0-9_ \-:,=@!<>%~'"#;/]/;
const CLASS_LITERAL = /[A-Za-z0-9_ :,=@!<>%~'"#;./+*?(){}|$]/;
const ESCAPE_CLASS = /[dDwWsS]/;
// Escapes of a punctuation character mean the character itself in both engines.
const PUNCT = /[.\\^$|?*+()[\]{}\/\-#:,=@!<>%~'";&`]/;

/** The pattern as a JS source with the same meaning, or null when it is not plain. */
export function plainRubyRegex(src: string): string | null {
  if (!PRINTABLE.test(src) || src.length > MAX_PATTERN) return null;
  let i = 0;
  let out = "";
  // open groups: whether each holds a quantifier or `|`; `closed`: the group just closed, if any
  const groups: { risky: boolean }[] = [];
  let closed: { risky: boolean } | null = null;
  let quantifiers = 0;
  // `quantifiable`: the last thing written can take a quantifier (not an anchor, `(`, `|`, or a quantifier).
  let quantifiable = false;
  // where `|` was seen: the open group holding it, or TOP; `lead`: only zero-width assertions and
  // group openings since the start (or since a `|`), `asserted`: one of them was \b or \B
  const TOP = { risky: false };
  let altSite: { risky: boolean } | null = null;
  let lead = true;
  let asserted = false;
  while (i < src.length) {
    const c = src[i]!;
    const after = closed;
    closed = null;
    if (c === "\\") {
      const n = src[i + 1];
      if (n === undefined) return null;
      i += 2;
      if (n === "A") (out += "^"), (quantifiable = false);
      else if (n === "z" || n === "Z") (out += "$"), (quantifiable = false);
      else if (n === "b" || n === "B") (out += `\\${n}`), (quantifiable = false), (asserted = true);
      else if (ESCAPE_CLASS.test(n)) (out += `\\${n}`), (quantifiable = true), (lead = false);
      else if (PUNCT.test(n)) (out += `\\${n}`), (quantifiable = true), (lead = false);
      else return null;
      continue;
    }
    if (c === "^" || c === "$") {
      out += c;
      i++;
      quantifiable = false;
      continue;
    }
    if (c === "|") {
      const site = groups.length ? groups[groups.length - 1]! : TOP;
      if (altSite !== null && altSite !== site) return null;
      altSite = site;
      lead = true;
      if (groups.length) groups[groups.length - 1]!.risky = true;
      out += c;
      i++;
      quantifiable = false;
      continue;
    }
    if (c === "(") {
      if (src[i + 1] === "?") {
        if (src[i + 2] !== ":") return null;
        out += "(?:";
        i += 3;
      } else {
        out += "(";
        i++;
      }
      groups.push({ risky: false });
      quantifiable = false;
      continue;
    }
    if (c === ")") {
      const g = groups.pop();
      if (!g) return null;
      out += c;
      i++;
      quantifiable = true;
      closed = g;
      if (g.risky && groups.length) groups[groups.length - 1]!.risky = true;
      continue;
    }
    if (c === "[") {
      const end = classEnd(src, i);
      if (end === null) return null;
      out += src.slice(i, end + 1);
      i = end + 1;
      quantifiable = true;
      lead = false;
      continue;
    }
    if (c === "*" || c === "+" || c === "?" || c === "{") {
      if (!quantifiable || after?.risky || ++quantifiers > MAX_QUANTIFIERS) return null;
      for (const g of groups) g.risky = true;
      let q: string;
      if (c === "{") {
        const m = /^\{(\d{1,4})(,(\d{1,4})?)?\}/.exec(src.slice(i));
        if (!m || (m[3] !== undefined && Number(m[3]) < Number(m[1]))) return null;
        q = m[0];
      } else q = c;
      i += q.length;
      // a lazy `?` may follow; a possessive `+` (Ruby only) or a second quantifier may not
      if (src[i] === "?") (q += "?"), i++;
      if (src[i] !== undefined && "*+?{".includes(src[i]!)) return null;
      out += q;
      quantifiable = false;
      continue;
    }
    if (c === ".") {
      if (lead && asserted && src[i + 1] !== undefined && "*+{".includes(src[i + 1]!)) return null;
      lead = false;
      out += c;
      i++;
      quantifiable = true;
      continue;
    }
    if (!LITERAL.test(c)) return null;
    lead = false;
    out += c === "/" ? "\\/" : c;
    i++;
    quantifiable = true;
  }
  return groups.length === 0 ? out : null;
}

/** The index of the `]` closing a plain class opened at `start`, or null. */
function classEnd(src: string, start: number): number | null {
  let i = start + 1;
  if (src[i] === "^") i++;
  let items = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "]") return items ? i : null;
    if (c === "[" || c === "&") return null;
    if (c === "\\") {
      const n = src[i + 1];
      if (n === undefined || !(ESCAPE_CLASS.test(n) || PUNCT.test(n))) return null;
      i += 2;
    } else if (c === "-") {
      // a range needs a plain character on each side; a `-` first or last is the character itself
      const prev = src[i - 1]!;
      const next = src[i + 1];
      const edge = items === 0 || next === "]";
      if (!edge && !(/[A-Za-z0-9]/.test(prev) && next !== undefined && /[A-Za-z0-9]/.test(next) && sameKind(prev, next) && prev <= next)) return null;
      i++;
    } else if (CLASS_LITERAL.test(c)) i++;
    else return null;
    items++;
  }
  return null;
}

const sameKind = (a: string, b: string): boolean => [/[a-z]/, /[A-Z]/, /[0-9]/].some((re) => re.test(a) && re.test(b));

/**
 * Ruby's `regexp === subject` for a regexp literal node, or null when JS cannot be trusted to give
 * Ruby's answer (see the top of this file). A String or Symbol is matched; anything else is false.
 */
export function regexCaseEquals(node: any, subject: RValue): boolean | null {
  if (kind(node) !== "RegularExpressionNode") return null;
  if (node.isExtended?.() || node.isEucJp?.() || node.isWindows31j?.() || node.isAscii8bit?.()) return null;
  const src = node.unescaped?.value;
  if (typeof src !== "string") return null;
  const js = plainRubyRegex(src);
  if (js === null) return null;
  const text = typeof subject === "string" ? subject : subject !== null && typeof subject === "object" && !Array.isArray(subject) && "sym" in subject && typeof subject.sym === "string" ? subject.sym : undefined;
  if (text === undefined) return subject === null || typeof subject === "number" || typeof subject === "boolean" ? false : null;
  if (!PRINTABLE.test(text) || text.length > MAX_SUBJECT) return null;
  return new RegExp(js, node.isIgnoreCase?.() ? "i" : "").test(text);
}
