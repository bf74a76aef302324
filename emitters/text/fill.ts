// Fills a template file's `{{name}}` slots. Every value must already be encoded for the template's
// language (emitters/encode/): this only places text, it never quotes or escapes.
//
// A slot that has no value, or a value that is not used, is a bug in the emitter, so both throw:
// a template and its caller cannot drift apart silently.
export function fill(template: string, values: Record<string, string>, name = "template"): string {
  const used = new Set<string>();
  const out = template.replace(/\{\{([a-z_][a-z0-9_]*)\}\}/g, (_, key: string) => {
    if (!Object.hasOwn(values, key)) throw new Error(`${name}: no value for {{${key}}}`);
    used.add(key);
    return values[key]!;
  });
  for (const key of Object.keys(values)) if (!used.has(key)) throw new Error(`${name}: {{${key}}} is not in the template`);
  return out;
}
