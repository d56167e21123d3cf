/**
 * Waiting with cancellation: `sleep` for backoffs, `waitForCacheSync` for callers that hold
 * several `hasSynced` functions (client-go's cache.WaitForCacheSync).
 */

/** Resolves true after `ms`, or false as soon as `signal` aborts (at once if it already has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves true once every function returns true, false if `signal` aborts first. Polls every
 * `intervalMs` (default 10 ms: a tenth of client-go's 100 ms, since a check costs nothing here
 * and sync time is what users measure).
 *
 * ```ts
 * const reg = informer.addEventHandler(handler);
 * if (!(await waitForCacheSync(signal, informer.hasSynced, reg.hasSynced))) return; // stopped
 * ```
 */
export async function waitForCacheSync(signal: AbortSignal, ...hasSynced: (() => boolean)[]): Promise<boolean> {
  const intervalMs = 10;
  for (;;) {
    if (signal.aborted) return false;
    if (hasSynced.every((f) => f())) return true;
    if (!(await sleep(intervalMs, signal))) return false;
  }
}
