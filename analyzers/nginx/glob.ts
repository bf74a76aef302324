// glob(3) patterns as nginx's `include` uses them (ngx_open_glob: glob() without flags): `*` and
// `?` match within one path segment and never a leading dot, `[...]` is a set (`[!...]` negated).

export const hasGlob = (p: string) => /[*?[]/.test(p);

export function globToRegExp(pattern: string): RegExp {
  const segs = pattern.split("/").map((seg) => {
    let re = "";
    for (let i = 0; i < seg.length; i++) {
      const c = seg[i];
      const atStart = i === 0;
      if (c === "*") re += atStart ? "(?!\\.)[^/]*" : "[^/]*";
      else if (c === "?") re += atStart ? "(?!\\.)[^/]" : "[^/]";
      else if (c === "[") {
        const close = seg.indexOf("]", i + 2);
        if (close < 0) {
          re += "\\[";
          continue;
        }
        let body = seg.slice(i + 1, close);
        const neg = body.startsWith("!") || body.startsWith("^");
        if (neg) body = body.slice(1);
        re += `[${neg ? "^/" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
        i = close;
      } else if (c === "\\" && i + 1 < seg.length) {
        re += escape(seg[++i]);
      } else re += escape(c);
    }
    return re;
  });
  return new RegExp(`^${segs.join("/")}$`);
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
