/**
 * A sorted set of bigints (the in-use addresses of one family in one pool). Binary search for
 * lookups; insertion and removal move array slots, which for tens of thousands of entries costs
 * microseconds and keeps the structure trivially correct.
 */
export class SortedValues {
  private readonly values: bigint[] = [];

  get size(): number {
    return this.values.length;
  }

  at(index: number): bigint | undefined {
    return this.values[index];
  }

  /** Index of the first value >= v (size when none). */
  lowerBound(v: bigint): number {
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.values[mid] as bigint) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(v: bigint): boolean {
    return this.values[this.lowerBound(v)] === v;
  }

  /** Adds v; false if it was already there. */
  add(v: bigint): boolean {
    const i = this.lowerBound(v);
    if (this.values[i] === v) return false;
    if (i === this.values.length) this.values.push(v);
    else this.values.splice(i, 0, v);
    return true;
  }

  delete(v: bigint): boolean {
    const i = this.lowerBound(v);
    if (this.values[i] !== v) return false;
    this.values.splice(i, 1);
    return true;
  }

  /** Number of values in [first, last]. */
  countIn(first: bigint, last: bigint): number {
    return this.lowerBound(last + 1n) - this.lowerBound(first);
  }
}
