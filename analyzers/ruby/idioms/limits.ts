// Bounds of what the evaluator computes for one stage: a deploy config is data we read, not a
// program we let run for as long as it likes. Every limit reached becomes an Unknown (or a warning)
// that names the limit, never a hang.
export const EVAL_LIMITS = {
  /** Elements of one range, `times`, `upto`, product... */
  elements: 10_000,
  /** Block calls in one stage's run, across every loop (nested loops multiply). */
  iterations: 100_000,
  /** Characters of a string built by the config (`*`, `rjust`, `format` widths, concatenation). */
  stringChars: 100_000,
  /** Servers one stage may declare. */
  servers: 5_000,
  /** Nested lambda / block calls. */
  depth: 50,
};

/** The iterations left for one stage's evaluation (shared by every loop of that run). */
export class Budget {
  iterations = 0;
  depth = 0;
  /** Takes `n` block calls from the budget; a message when that goes over the limit. */
  take(n: number): string | null {
    this.iterations += n;
    return this.iterations > EVAL_LIMITS.iterations ? `more than ${EVAL_LIMITS.iterations} block calls in one stage: stopped (limit)` : null;
  }
}

export function tooManyElements(n: number): string | null {
  return n > EVAL_LIMITS.elements ? `${n} elements is over the limit of ${EVAL_LIMITS.elements}: not expanded` : null;
}

export function tooLong(n: number): string | null {
  return n > EVAL_LIMITS.stringChars ? `a string of ${n} characters is over the limit of ${EVAL_LIMITS.stringChars}: not built` : null;
}
