/**
 * A sorted set of strings with ordered iteration from any key and rank queries, kept as a list
 * of sorted chunks (the shape of Python's sortedcontainers.SortedList). Inserting or removing
 * touches one chunk of at most MAX_CHUNK entries, so it stays cheap at 100k+ keys, unlike
 * splicing one big array; counting the keys in a range is O(number of chunks).
 *
 * Strings compare with JavaScript's `<` (UTF-16 code units): byte order for ASCII keys.
 *
 * ```ts
 * const keys = new SortedStrings();
 * keys.add('/registry/pods/default/a');
 * keys.forEachFrom('/registry/pods/', (k) => k < '/registry/pods0');
 * ```
 */
export class SortedStrings {
  /** Split a chunk above this size. 512 keeps splices short and the chunk list small. */
  private static readonly MAX_CHUNK = 512;
  private chunks: string[][] = [];
  private count = 0;

  /** A set holding `sorted`, which must be sorted and free of duplicates (not checked). */
  static fromSorted(sorted: readonly string[]): SortedStrings {
    const set = new SortedStrings();
    const step = SortedStrings.MAX_CHUNK >> 1; // half-full chunks leave room to insert
    for (let i = 0; i < sorted.length; i += step) set.chunks.push(sorted.slice(i, i + step));
    set.count = sorted.length;
    return set;
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key`; false when it was already there. */
  add(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    let ci = this.chunkFor(key);
    if (ci === this.chunks.length) ci--; // beyond every key: append to the last chunk
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk, key);
    if (i < chunk.length && chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > SortedStrings.MAX_CHUNK) {
      this.chunks.splice(ci + 1, 0, chunk.splice(chunk.length >> 1));
    }
    return true;
  }

  /** Removes `key`; false when it was not there. */
  delete(key: string): boolean {
    const ci = this.chunkFor(key);
    if (ci === this.chunks.length) return false;
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk, key);
    if (i === chunk.length || chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  has(key: string): boolean {
    const ci = this.chunkFor(key);
    if (ci === this.chunks.length) return false;
    const chunk = this.chunks[ci];
    const i = lowerBound(chunk, key);
    return i < chunk.length && chunk[i] === key;
  }

  /** How many keys sort before `key`. */
  rank(key: string): number {
    const ci = this.chunkFor(key);
    let n = 0;
    for (let c = 0; c < ci; c++) n += this.chunks[c].length;
    if (ci < this.chunks.length) n += lowerBound(this.chunks[ci], key);
    return n;
  }

  /** How many keys k satisfy `from <= k < to` (`to` undefined: no upper bound). */
  countRange(from: string, to: string | undefined): number {
    const hi = to === undefined ? this.count : this.rank(to);
    return Math.max(0, hi - this.rank(from));
  }

  /**
   * Calls `visit` with every key >= `from` in order until it returns false. The set must not be
   * changed during the walk.
   */
  forEachFrom(from: string, visit: (key: string) => boolean): void {
    const chunks = this.chunks;
    let ci = this.chunkFor(from);
    if (ci === chunks.length) return;
    let i = lowerBound(chunks[ci], from);
    for (; ci < chunks.length; ci++, i = 0) {
      const chunk = chunks[ci];
      for (; i < chunk.length; i++) if (!visit(chunk[i])) return;
    }
  }

  /** The first chunk whose last key is >= `key`; chunks.length when there is none. */
  private chunkFor(key: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const last = chunks[mid][chunks[mid].length - 1];
      if (last < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** First index whose element is >= key. */
function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
