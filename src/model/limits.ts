// How much of a repo is read: the walk (src/repo.ts) stops at these, and the Capistrano analyzer
// refuses more stage files than it will evaluate, so the same numbers hold on both sides.

export const LIMITS = {
  /** Largest file read, in bytes: config files are small; a bigger one is not what we look for. */
  fileBytes: 2 * 1024 * 1024,
  /** Paths listed at most; a larger tree is cut with a warning. */
  files: 200_000,
  /** Directory depth walked at most. */
  depth: 32,
  /**
   * Capistrano stage files read at most. Each stage is a full evaluation of the deploy config
   * (about 0.3 ms and 30 KB of model): 10,000 take a few seconds; far more is not a fleet of
   * servers but generated input, refused rather than run out of memory.
   */
  stages: 10_000,
};
