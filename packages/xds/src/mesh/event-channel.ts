/**
 * A queue a producer pushes into and one consumer reads as an async iterable, which is how the
 * config sources hand out events. An event may supersede the one still waiting before it
 * (`coalesce`): a spec nobody has read yet is worth nothing once a newer one exists, so a slow
 * consumer sees the newest state instead of a backlog.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private waiter?: (r: IteratorResult<T>) => void;
  private closed = false;

  /** `coalesce(waiting, next)` returns the one event to keep, or undefined to queue both. */
  constructor(private readonly coalesce?: (waiting: T, next: T) => T | undefined) {}

  push(event: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: event, done: false });
      return;
    }
    const last = this.queue.length ? this.queue[this.queue.length - 1] : undefined;
    const merged = last !== undefined && this.coalesce ? this.coalesce(last, event) : undefined;
    if (merged !== undefined) this.queue[this.queue.length - 1] = merged;
    else this.queue.push(event);
  }

  /** Ends the iteration once the queued events are read. */
  close(): void {
    this.closed = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
