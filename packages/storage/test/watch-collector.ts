import type { Store, WatchEvent, WatchHandle } from '../src/store.js';

/** Records what a watch delivers, and waits for it. */
export interface Collected {
  readonly handle: WatchHandle;
  readonly events: WatchEvent[];
  /** The size of every onEvents batch, in order. */
  readonly batches: number[];
  readonly errors: Error[];
  /** Resolves when `done()` holds (checked after every delivery); rejects after `timeoutMs`. */
  until(done: () => boolean, timeoutMs?: number): Promise<void>;
  /** Waits for the event of `revision`. */
  untilRevision(revision: number, timeoutMs?: number): Promise<void>;
}

export function collect(store: Store, prefix: string, afterRevision: number): Collected {
  const events: WatchEvent[] = [];
  const batches: number[] = [];
  const errors: Error[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const handle = store.watch(prefix, afterRevision, {
    onEvents(es) {
      batches.push(es.length);
      events.push(...es);
      wake();
    },
    onError(err) {
      errors.push(err);
      wake();
    },
  });
  const until = (done: () => boolean, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`watch on ${prefix} did not get there in ${timeoutMs} ms; got ${events.length} events, errors ${errors.join('; ')}`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
    });
  return {
    handle,
    events,
    batches,
    errors,
    until,
    untilRevision: (revision, timeoutMs) =>
      until(() => events.length > 0 && events[events.length - 1].revision >= revision, timeoutMs),
  };
}

/** Lets every pending setImmediate/microtask run (a few turns of the event loop). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
