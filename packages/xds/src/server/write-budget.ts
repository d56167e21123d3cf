/**
 * Response bytes written but not yet flushed to connections, server-wide. Each stream also has
 * its own limit. Without a shared one, a thousand streams each writing a multi-megabyte first
 * sync put gigabytes in flight at once (measured: 3.5 GB RSS at 10k services x 1,000 streams).
 * With it, streams take turns, first come first served, and memory stays near the limit while
 * the connections stay busy.
 */
export class WriteBudget {
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** A promise when the budget is spent (resolves in turn), else undefined. */
  wait(): Promise<void> | undefined {
    if (this.inFlight <= this.limit && this.waiters.length === 0) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  take(bytes: number): void {
    this.inFlight += bytes;
  }

  give(bytes: number): void {
    this.inFlight -= bytes;
    // One waiter per release that brings the total under the limit: it writes, the next waits
    // for the next release. Waking them all would make a thousand streams write at once.
    if (this.inFlight <= this.limit) this.waiters.shift()?.();
  }

  /** Drops a waiter that will not write (its stream closed): lets the next one go. */
  release(): void {
    if (this.inFlight <= this.limit) this.waiters.shift()?.();
  }
}
