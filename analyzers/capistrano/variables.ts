// Capistrano's variable store, as `Capistrano::Configuration::Variables` keeps it (3.17,
// configuration/variables.rb): `set` stores a value or a callable; `fetch` calls a callable without
// parameters and memoizes the result under the key; a callable `fetch` default is called and stored
// too; a plain default is returned without being stored. `ask` stores a Question, a callable that
// answers its default when stdin is not a terminal.
import type { RValue, Source } from "../../src/model.js";
import type { ParsedRuby } from "../ruby/prism.js";

/** A `-> { }` / `lambda { }` / `proc { }` / `set(:x) { }` body, evaluated on the first fetch. */
export interface Lazy {
  kind: "lazy";
  body: any;
  parsed: ParsedRuby;
  locals: Map<string, RValue>;
}

/** `ask :x, default`: answers its default without a terminal. */
export interface Question {
  kind: "question";
  default: RValue;
}

export type Stored = RValue | Lazy | Question;

export const isLazy = (v: unknown): v is Lazy => typeof v === "object" && v !== null && (v as Lazy).kind === "lazy" && "body" in (v as object);
export const isQuestion = (v: unknown): v is Question => typeof v === "object" && v !== null && (v as Question).kind === "question" && "default" in (v as object) && Object.keys(v as object).length === 2;

interface Entry {
  value: Stored;
  source: Source;
}

export class Variables {
  private values = new Map<string, Entry>();
  private resolving = new Set<string>();

  /**
   * The names read since `watch` was given (every name, as "*", when all are listed): whether what
   * was computed so far depends on a variable's value.
   */
  watch: Set<string> | null = null;

  /** `resolve` evaluates a Lazy body (in the session's scope at the time of the fetch). */
  constructor(private resolve: (lazy: Lazy, key: string) => RValue) {}

  /** A copy with its own entries (values are shared: they are never changed in place). */
  copy(resolve: (lazy: Lazy, key: string) => RValue): Variables {
    const v = new Variables(resolve);
    for (const [k, e] of this.values) v.values.set(k, { value: e.value, source: e.source });
    return v;
  }

  /** The stored entry itself, to tell later whether anything replaced it. */
  entry(key: string): object | undefined {
    return this.values.get(key);
  }

  has(key: string): boolean {
    this.watch?.add(key);
    return this.values.has(key);
  }

  keys(): string[] {
    this.watch?.add("*");
    return [...this.values.keys()];
  }

  sourceOf(key: string): Source | undefined {
    this.watch?.add(key);
    return this.values.get(key)?.source;
  }

  set(key: string, value: Stored, source: Source): void {
    this.values.set(key, { value, source });
  }

  delete(key: string): void {
    this.values.delete(key);
  }

  /** Replaces the value but keeps the source of the `set` (memoization, in-place mutation). */
  replace(key: string, value: RValue): void {
    const e = this.values.get(key);
    if (e) e.value = value;
  }

  /**
   * `fetch(key)`; `dflt` is the default (a Stored: a Lazy default is called and stored, as
   * Capistrano's `peek` does). Undefined default = nil.
   */
  fetch(key: string, dflt?: Stored, dfltSource?: Source): RValue {
    this.watch?.add(key);
    const e = this.values.get(key);
    if (!e) {
      if (dflt === undefined) return null;
      if (isLazy(dflt) || isQuestion(dflt)) {
        const v = this.call(dflt, key);
        this.values.set(key, { value: v, source: dfltSource ?? { file: dflt.kind === "lazy" ? dflt.parsed.file : "", line: 0 } });
        return v;
      }
      return dflt;
    }
    if (isLazy(e.value) || isQuestion(e.value)) {
      if (this.resolving.has(key)) return { unknown: `:${key} refers to itself while being computed`, source: e.source };
      this.resolving.add(key);
      try {
        const v = this.call(e.value, key);
        e.value = v;
        return v;
      } finally {
        this.resolving.delete(key);
      }
    }
    return e.value;
  }

  /** The stored value without calling anything (for `set_if_empty`-like checks and dumps). */
  peekRaw(key: string): Stored | undefined {
    this.watch?.add(key);
    return this.values.get(key)?.value;
  }

  private call(v: Lazy | Question, key: string): RValue {
    return isQuestion(v) ? v.default : this.resolve(v, key);
  }
}
