// Keeps files that hold secret values out of git: their paths are appended to the repo's
// .gitignore under one marked block. Lines already present (with or without the leading `/`)
// are not repeated, so a re-run leaves the file byte-identical.

export const GITIGNORE = ".gitignore";
export const GITIGNORE_HEADER = "# rails2k8s: files holding secret values (never commit them)";

/** The new .gitignore text, or the current one (possibly null) when nothing needs adding. */
export function addIgnored(current: string | null, paths: string[]): string | null {
  const text = current ?? "";
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const have = new Set(lines.map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => l.replace(/^\//, "")));
  const missing = [...new Set(paths)].filter((p) => !have.has(p)).sort().map((p) => `/${p}`);
  if (!missing.length) return current;
  const at = lines.indexOf(GITIGNORE_HEADER);
  if (at >= 0) {
    // Later runs add to the existing block rather than starting another one.
    let end = at + 1;
    while (end < lines.length && lines[end]!.trim() !== "" && !lines[end]!.startsWith("#")) end++;
    lines.splice(end, 0, ...missing);
  } else {
    if (lines.length && lines[lines.length - 1]!.trim() !== "") lines.push("");
    lines.push(GITIGNORE_HEADER, ...missing);
  }
  return lines.join("\n") + "\n";
}
