// The words of a shell line as POSIX sh reads them: quotes taken off, each piece of a word kept with
// how it was quoted (what the shell still expands in it), commands split at the operators. One reader
// for every side: an init script's exports (analyzers/workers/init-scripts.ts), a cron command's paths
// (emitters/kustomize/cron-words.ts).

/**
 * How a piece of a word was written: bare (`""`: the shell still expands `$`, splits, globs, expands
 * braces and `~`), in double quotes (`$` and backticks still expanded), in single quotes or after a `\`
 * (literal).
 */
export type ShellQuote = "" | '"' | "'" | "\\";

/** One shell word: its text with quotes removed, and whether any of it was quoted. */
export interface ShellWord {
  text: string;
  quoted: boolean;
  /** The word's text piece by piece, each with how it was quoted (the shell's expansions depend on it). */
  parts: { text: string; quote: ShellQuote }[];
  /** The word ended at a `(` right after a bare `$`: a command substitution `$(…)` this reader does not follow. */
  substitution?: boolean;
  /** A redirection operator (`>`, `>>`, `2>`, `<`, `2>&1`...): the next word is its target (a file), unless the operator duplicates a descriptor. */
  redirect?: boolean;
}

/**
 * The simple commands of a line: words split at unquoted blanks, commands split at unquoted `;`, `&`,
 * `&&`, `|`, `||`, newlines and parentheses. Quotes are POSIX sh's: `'…'` literal, `"…"` with `\`
 * escaping `"`, `\`, `$` and `` ` ``, a bare `\` escaping the next character.
 */
export function simpleCommands(line: string): ShellWord[][] {
  const out: ShellWord[][] = [];
  let words: ShellWord[] = [];
  let text = "";
  let quoted = false;
  let inWord = false;
  let parts: ShellWord["parts"] = [];
  let substitution = false;
  const add = (t: string, quote: ShellQuote) => {
    text += t;
    const last = parts[parts.length - 1];
    if (last && last.quote === quote) last.text += t;
    else parts.push({ text: t, quote });
  };
  const endWord = () => {
    if (inWord) words.push({ text, quoted, parts, ...(substitution ? { substitution } : {}) });
    text = "";
    quoted = false;
    inWord = false;
    parts = [];
    substitution = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) out.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const close = line.indexOf("'", i + 1);
      const end = close < 0 ? line.length : close;
      add(line.slice(i + 1, end), "'");
      if (end === i + 1) parts.push({ text: "", quote: "'" });
      quoted = inWord = true;
      i = end;
    } else if (ch === '"') {
      quoted = inWord = true;
      let any = false;
      for (i++; i < line.length && line[i] !== '"'; i++) {
        any = true;
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) add(line[++i]!, "\\");
        else add(line[i]!, '"');
      }
      if (!any) parts.push({ text: "", quote: '"' });
    } else if (ch === "\\" && i + 1 < line.length) {
      add(line[++i]!, "\\");
      quoted = inWord = true;
    } else if (/\s/.test(ch)) {
      if (ch === "\n") endCommand();
      else endWord();
    } else if (ch === "#" && !inWord) {
      // A comment, to the end of the line.
      while (i + 1 < line.length && line[i + 1] !== "\n") i++;
    } else if (ch === ";" || ch === "&" || ch === "|" || ch === "(" || ch === ")") {
      if (ch === "(" && inWord && parts[parts.length - 1]?.quote === "" && text.endsWith("$")) substitution = true;
      endCommand();
    } else if (ch === ">" || ch === "<") {
      // `2>`, `>>`, `>&`, `2>&1`: the operator is a word of its own (a leading descriptor number joins it).
      const fd = inWord && !quoted && /^\d+$/.test(text) ? text : "";
      if (!fd) endWord();
      let op = fd + ch;
      while (line[i + 1] === ">" || line[i + 1] === "&" || line[i + 1] === "<") op += line[++i];
      if (/&$/.test(op)) while (/[\d-]/.test(line[i + 1] ?? "")) op += line[++i];
      text = "";
      inWord = false;
      quoted = false;
      parts = [];
      words.push({ text: op, quoted: false, parts: [{ text: op, quote: "" }], redirect: true });
    } else {
      add(ch, "");
      inWord = true;
    }
  }
  endCommand();
  return out;
}
