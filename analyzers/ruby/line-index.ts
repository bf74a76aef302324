// Offsets to lines: the index of the last line start at or before an offset, by binary search over
// the sorted starts (one per line), for the readers that report `file:line` of a match or a node.
export function lastAtOrBefore(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
