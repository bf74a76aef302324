// ActiveSupport's Hash#deep_merge, the merge Global applies between the `default` section, the
// environment's section, a `<name>.<env>.yml` overlay and the namespaces of a directory:
// a key in both whose values are both Hashes is merged recursively; otherwise the right side wins
// (Arrays are replaced, not concatenated). Keys keep their first position, as Ruby's merge! does,
// and are compared with their Ruby type (`:a` and `"a"` stay two keys until with_indifferent_access).
import { RubyHash, isRubyHash, rubyKeyId, type RubyVal } from "../ruby/yaml.js";

export function deepMerge(left: RubyHash, right: RubyHash): RubyHash {
  return mergeInto(left.clone(), right);
}

/**
 * `deep_merge!` into a Hash the caller owns (built by it, never shared): Global's directory loop
 * merges one namespace at a time, and copying the growing Hash each time would be quadratic.
 * Values under it may be shared, so a merged child is still a copy.
 */
export function mergeInto(out: RubyHash, right: RubyHash): RubyHash {
  for (const e of right.entries.values()) {
    const id = rubyKeyId(e.key, e.floatKey);
    const old = out.entries.get(id);
    if (old && isRubyHash(old.value) && isRubyHash(e.value)) out.entries.set(id, { ...old, value: deepMerge(old.value, e.value) });
    else out.set(e);
  }
  return out;
}

/** A one-key Hash, as Global builds `{ namespace => value }` for each entry of a directory. */
export function singleKey(key: string, value: RubyVal, file: string): RubyHash {
  const h = new RubyHash();
  h.set({ key, value, line: 1, file });
  return h;
}
