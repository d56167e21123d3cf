/**
 * A small keyed work queue for the server's own controllers: a key waiting in the queue is not
 * added twice, a key is never processed twice at once, and a failed key comes back after a
 * delay. (The full rate-limited workqueue for users lives in the runtime package.)
 */
export class KeyedWorkQueue {
  private readonly pending = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirtyWhileActive = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly process: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void,
    private readonly concurrency = 4,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirtyWhileActive.add(key);
      return;
    }
    this.pending.add(key);
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, ms);
    t.unref?.();
    this.timers.add(t);
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency && this.pending.size > 0) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      this.active.add(key);
      this.running++;
      void this.process(key)
        .catch((err) => this.onError(key, err))
        .finally(() => {
          this.running--;
          this.active.delete(key);
          if (this.dirtyWhileActive.delete(key)) this.pending.add(key);
          this.pump();
          if (this.running === 0 && this.pending.size === 0) {
            const w = this.idleWaiters;
            this.idleWaiters = [];
            for (const f of w) f();
          }
        });
    }
  }

  /** Resolves when nothing is queued or running (delayed re-adds not counted). */
  idle(): Promise<void> {
    if (this.running === 0 && this.pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }
}
