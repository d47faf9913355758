/**
 * A sorted set of bigints (the in-use addresses of one family in one pool), kept in chunks of at
 * most CHUNK values so that an insertion or removal moves a few hundred slots rather than the whole
 * set (a single array made restoring 10,000 Services spend most of its time in splice). Lookups
 * are binary searches over the chunks and then inside one chunk; `at(i)` is by global index.
 */
const CHUNK = 256;

export class SortedValues {
  private chunks: bigint[][] = [];
  /** starts[c] = global index of chunks[c][0]; starts[chunks.length] = size. */
  private starts: number[] = [0];

  get size(): number {
    return this.starts[this.chunks.length] as number;
  }

  /** Index of the first chunk whose last value is >= v (chunks.length when none). */
  private chunkFor(v: bigint): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid] as bigint[];
      if ((chunk[chunk.length - 1] as bigint) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static lowerBoundIn(chunk: readonly bigint[], v: bigint): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((chunk[mid] as bigint) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private reindex(from: number): void {
    this.starts.length = this.chunks.length + 1;
    for (let c = Math.max(0, from); c < this.chunks.length; c++) {
      this.starts[c + 1] = (this.starts[c] as number) + (this.chunks[c] as bigint[]).length;
    }
  }

  at(index: number): bigint | undefined {
    if (index < 0 || index >= this.size) return undefined;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.chunks[lo]?.[index - (this.starts[lo] as number)];
  }

  /** Index of the first value >= v (size when none). */
  lowerBound(v: bigint): number {
    const c = this.chunkFor(v);
    if (c === this.chunks.length) return this.size;
    return (this.starts[c] as number) + SortedValues.lowerBoundIn(this.chunks[c] as bigint[], v);
  }

  has(v: bigint): boolean {
    const c = this.chunkFor(v);
    const chunk = this.chunks[c];
    return chunk !== undefined && chunk[SortedValues.lowerBoundIn(chunk, v)] === v;
  }

  /** Adds v; false if it was already there. */
  add(v: bigint): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([v]);
      this.reindex(0);
      return true;
    }
    const c = Math.min(this.chunkFor(v), this.chunks.length - 1);
    const chunk = this.chunks[c] as bigint[];
    const i = SortedValues.lowerBoundIn(chunk, v);
    if (chunk[i] === v) return false;
    if (i === chunk.length) chunk.push(v);
    else chunk.splice(i, 0, v);
    if (chunk.length > CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK / 2));
    this.reindex(c);
    return true;
  }

  delete(v: bigint): boolean {
    const c = this.chunkFor(v);
    const chunk = this.chunks[c];
    if (!chunk) return false;
    const i = SortedValues.lowerBoundIn(chunk, v);
    if (chunk[i] !== v) return false;
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(c, 1);
    this.reindex(c);
    return true;
  }

  /** Number of values in [first, last]. */
  countIn(first: bigint, last: bigint): number {
    return this.lowerBound(last + 1n) - this.lowerBound(first);
  }
}
