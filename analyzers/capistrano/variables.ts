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

/**
 * What an evaluation read of the variables: each name with the entry it found then (its value and
 * source), or undefined when the name was not set; `all` when it listed every name.
 */
export interface Reads {
  names: Map<string, { value: Stored; source: Source } | undefined>;
  all: boolean;
}

export class Variables {
  private values = new Map<string, Entry>();
  private resolving = new Set<string>();

  /**
   * The names read since `watch` was given (every name, as "*", when all are listed): whether what
   * was computed so far depends on a variable's value.
   */
  watch: Set<string> | null = null;

  /** Changes made so far (set, delete, replace, a callable's value kept): whether an evaluation wrote. */
  writes = 0;

  /** Where the reads of an evaluation under way are recorded (see Session's lazy values). */
  reads: Reads | null = null;

  /**
   * `resolve` evaluates a Lazy body (in the session's scope at the time of the fetch); `stored` is
   * true for the callable a `set` stored under `key` (not a fetch default).
   */
  constructor(private resolve: (lazy: Lazy, key: string, stored: boolean) => RValue) {}

  /** A copy with its own entries (values are shared: they are never changed in place). */
  copy(resolve: (lazy: Lazy, key: string, stored: boolean) => RValue): Variables {
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
    if (this.reads) this.read(key);
    return this.values.has(key);
  }

  keys(): string[] {
    this.watch?.add("*");
    if (this.reads) this.reads.all = true;
    return [...this.values.keys()];
  }

  sourceOf(key: string): Source | undefined {
    this.watch?.add(key);
    if (this.reads) this.read(key);
    return this.values.get(key)?.source;
  }

  set(key: string, value: Stored, source: Source): void {
    this.writes++;
    this.values.set(key, { value, source });
  }

  delete(key: string): void {
    this.writes++;
    this.values.delete(key);
  }

  /** Replaces the value but keeps the source of the `set` (memoization, in-place mutation). */
  replace(key: string, value: RValue): void {
    const e = this.values.get(key);
    if (e) this.writes++, (e.value = value);
  }

  private read(key: string): void {
    if (this.reads!.names.has(key)) return;
    const e = this.values.get(key);
    this.reads!.names.set(key, e ? { value: e.value, source: e.source } : undefined);
  }

  /** Whether every name in `reads` holds what it held then (no watch nor record: a check, not a read). */
  same(reads: Reads): boolean {
    if (reads.all) return false;
    for (const [key, was] of reads.names) {
      const e = this.values.get(key);
      if (was === undefined ? e !== undefined : !e || e.value !== was.value || e.source !== was.source) return false;
    }
    return true;
  }

  /** How many names are being computed right now (a callable that reads another one). */
  get computing(): number {
    return this.resolving.size;
  }

  /**
   * `fetch(key)`; `dflt` is the default (a Stored: a Lazy default is called and stored, as
   * Capistrano's `peek` does). Undefined default = nil.
   */
  fetch(key: string, dflt?: Stored, dfltSource?: Source): RValue {
    this.watch?.add(key);
    if (this.reads) this.read(key);
    const e = this.values.get(key);
    if (!e) {
      if (dflt === undefined) return null;
      if (isLazy(dflt) || isQuestion(dflt)) {
        const v = this.call(dflt, key, false);
        this.writes++;
        this.values.set(key, { value: v, source: dfltSource ?? { file: dflt.kind === "lazy" ? dflt.parsed.file : "", line: 0 } });
        return v;
      }
      return dflt;
    }
    if (isLazy(e.value) || isQuestion(e.value)) {
      if (this.resolving.has(key)) return { unknown: `:${key} refers to itself while being computed`, source: e.source };
      this.resolving.add(key);
      try {
        const v = this.call(e.value, key, true);
        this.writes++;
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
    if (this.reads) this.read(key);
    return this.values.get(key)?.value;
  }

  private call(v: Lazy | Question, key: string, stored: boolean): RValue {
    return isQuestion(v) ? v.default : this.resolve(v, key, stored);
  }
}
