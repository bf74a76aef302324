// Sizes and times read as nginx 1.22 reads them (ngx_parse_size, ngx_parse_offset, ngx_parse_time):
// digits only, one unit, overflow of a signed 64-bit value is an invalid value. `nginx -t` refuses
// a config with such a value, so it is never carried: the directive is left out with a warning.
const INT_MAX = 2n ** 63n - 1n;

/** ngx_atoof / ngx_atosz: decimal digits, no sign, no overflow. */
function digits(text: string): bigint | null {
  if (!/^\d+$/.test(text)) return null;
  const n = BigInt(text);
  return n > INT_MAX ? null : n;
}

/** ngx_parse_size (`offset` false: k, m) or ngx_parse_offset (`offset` true: k, m, g) in bytes; null when nginx refuses it. */
export function nginxBytes(text: string, offset: boolean): bigint | null {
  const unit = text.slice(-1).toLowerCase();
  const scale = unit === "k" ? 1024n : unit === "m" ? 1024n ** 2n : unit === "g" && offset ? 1024n ** 3n : 1n;
  const n = digits(scale === 1n ? text : text.slice(0, -1));
  return n === null || n > INT_MAX / scale ? null : n * scale;
}

const UNITS: Record<string, { step: number; seconds: bigint }> = {
  y: { step: 1, seconds: 31536000n },
  M: { step: 2, seconds: 2592000n },
  w: { step: 3, seconds: 604800n },
  d: { step: 4, seconds: 86400n },
  h: { step: 5, seconds: 3600n },
  m: { step: 6, seconds: 60n },
  s: { step: 7, seconds: 1n },
};

/** ngx_parse_time: milliseconds (`isSec` false) or seconds; null when nginx refuses it. */
export function nginxTime(text: string, isSec: boolean): bigint | null {
  let value = 0n;
  let total = 0n;
  let valid = false;
  let step = isSec ? 0 : 2;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c >= "0" && c <= "9") {
      value = value * 10n + BigInt(c);
      if (value > INT_MAX) return null;
      valid = true;
      i++;
      continue;
    }
    i++;
    let max: bigint;
    let scale: bigint;
    let ms = false;
    if (c === "m" && text[i] === "s") {
      if (isSec || step >= 8) return null;
      i++;
      step = 8;
      [max, scale, ms] = [INT_MAX, 1n, true];
    } else if (c === " ") {
      if (step >= 7) return null;
      step = 9;
      [max, scale] = [INT_MAX, 1n];
    } else {
      const u = UNITS[c];
      if (!u || (u.step === 1 ? step > 0 : step >= u.step)) return null;
      step = u.step;
      [max, scale] = [INT_MAX / u.seconds, u.seconds];
    }
    if (!ms && !isSec) [scale, max] = [scale * 1000n, max / 1000n];
    if (value > max) return null;
    value *= scale;
    if (total > INT_MAX - value) return null;
    total += value;
    value = 0n;
    while (text[i] === " ") i++;
  }
  if (!valid) return null;
  if (!isSec) {
    if (value > INT_MAX / 1000n) return null;
    value *= 1000n;
  }
  return total > INT_MAX - value ? null : total + value;
}

type Kind = "offset" | "size" | "msec" | "sec";
/** The argument kinds of directives nginx parses as a size or a time (the http core and proxy modules). */
function kindsOf(name: string): Kind[] {
  if (name === "client_max_body_size") return ["offset"];
  if (name === "keepalive_timeout") return ["msec", "sec"];
  if (/^(ssl_session_timeout|proxy_cache_valid)$/.test(name)) return name === "ssl_session_timeout" ? ["sec"] : [];
  if (/_timeout$/.test(name) || /^(lingering_time|send_lowat_time)$/.test(name)) return ["msec"];
  if (/^(client_body_buffer_size|client_header_buffer_size|(proxy|fastcgi|uwsgi|scgi)_(buffer_size|busy_buffers_size|max_temp_file_size|temp_file_write_size)|postpone_output|send_lowat|sendfile_max_chunk|output_buffer_size)$/.test(name)) return ["size"];
  return [];
}

/** Why nginx refuses the directive's value (`"…" directive invalid value`), or null. */
export function nginxValueRefusal(name: string, args: string[]): string | null {
  const kinds = kindsOf(name);
  for (let i = 0; i < kinds.length && i < args.length; i++) {
    const a = args[i]!;
    const k = kinds[i]!;
    const ok = k === "offset" || k === "size" ? nginxBytes(a, k === "offset") !== null : nginxTime(a, k === "sec") !== null;
    if (!ok) return `${name} ${JSON.stringify(a)}: nginx refuses this value (invalid value: not a ${k === "offset" || k === "size" ? "size" : "time"} nginx can hold)`;
  }
  return null;
}
