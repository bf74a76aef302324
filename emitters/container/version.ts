// Gem and Ruby version comparison (numeric segments; `1.10.9` > `1.9`, prerelease tags ignored).

function segments(v: string): number[] {
  return v
    .replace(/^ruby-/, "")
    .split(/[.-]/)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : NaN))
    .filter((n) => !Number.isNaN(n));
}

/** True when version `v` is at least `min`. An unreadable version counts as recent. */
export function versionAtLeast(v: string, min: string): boolean {
  const a = segments(v);
  const b = segments(min);
  if (a.length === 0) return true;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
