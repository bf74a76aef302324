// Ruby's `format` / `sprintf` / `String#%` for the directives deploy configs use to build host names
// (`%02d`, `%s`, `%-8s`, `%x`, `%.1f`, `%%`). Anything else (named references, `*` widths) is null:
// not computed rather than computed differently.
import type { RValue } from "../../../src/model.js";
import { rubyToS } from "../evaluate.js";
import { tooLong } from "./limits.js";

const DIRECTIVE = /%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdiuxXobfeEgGp%])/g;

export function rubyFormat(fmt: string, args: RValue[]): string | null {
  let i = 0;
  let failed = false;
  // A `%` that is not one of our directives (`%<name>s`, `%*d`) makes the whole result unknown.
  const rest = fmt.replace(DIRECTIVE, "");
  if (rest.includes("%")) return null;
  const out = fmt.replace(DIRECTIVE, (_m, flags: string, width: string, prec: string | undefined, conv: string) => {
    if (conv === "%") return "%";
    if (failed) return "";
    if (i >= args.length) return ((failed = true), "");
    const w = width ? Number(width) : 0;
    if (tooLong(w)) return ((failed = true), "");
    const s = directive(flags, w, prec === undefined ? null : Number(prec), conv, args[i++]);
    if (s === null) failed = true;
    return s ?? "";
  });
  return failed ? null : out;
}

function directive(flags: string, width: number, prec: number | null, conv: string, v: RValue): string | null {
  const left = flags.includes("-");
  const zero = flags.includes("0") && !left;
  const plus = flags.includes("+");
  const space = flags.includes(" ");
  let body: string;
  let sign = "";
  switch (conv) {
    case "s":
    case "p": {
      const s = conv === "p" ? (typeof v === "string" ? JSON.stringify(v) : rubyToS(v)) : rubyToS(v);
      if (s === null) return null;
      body = prec === null ? s : s.slice(0, prec);
      return pad(body, width, left, false, "");
    }
    case "d":
    case "i":
    case "u":
    case "x":
    case "X":
    case "o":
    case "b": {
      const n = toInteger(v);
      if (n === null) return null;
      const radix = conv === "x" || conv === "X" ? 16 : conv === "o" ? 8 : conv === "b" ? 2 : 10;
      // Ruby prints a negative number in a radix other than 10 as `..f` two's complement unless a
      // sign flag is given; not modelled.
      if (n < 0 && radix !== 10 && !plus && !space) return null;
      body = Math.abs(n).toString(radix);
      if (conv === "X") body = body.toUpperCase();
      if (prec !== null) body = body.padStart(prec, "0");
      sign = n < 0 ? "-" : plus ? "+" : space ? " " : "";
      return pad(body, width, left, zero && prec === null, sign);
    }
    case "f": {
      const n = typeof v === "number" ? v : typeof v === "object" && v !== null && "float" in v ? Number((v as { float: string }).float) : null;
      if (n === null || !Number.isFinite(n)) return null;
      body = Math.abs(n).toFixed(prec ?? 6);
      sign = n < 0 ? "-" : plus ? "+" : space ? " " : "";
      return pad(body, width, left, zero, sign);
    }
    default:
      return null;
  }
}

function toInteger(v: RValue): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? Math.floor(v) : null;
  // Kernel#Integer semantics for strings: plain decimal only here.
  if (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v)) return parseInt(v, 10);
  return null;
}

function pad(body: string, width: number, left: boolean, zero: boolean, sign: string): string {
  const len = sign.length + body.length;
  if (len >= width) return sign + body;
  if (left) return sign + body + " ".repeat(width - len);
  if (zero) return sign + "0".repeat(width - len) + body;
  return " ".repeat(width - len) + sign + body;
}
