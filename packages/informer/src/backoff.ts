/**
 * Jittered exponential backoff that forgets after a stable period (client-go's
 * ExponentialBackoffManager as the Reflector configures it: 800 ms doubling to 30 s, reset
 * after 2 minutes without a failure).
 *
 * ```ts
 * const backoff = new Backoff();
 * await sleep(backoff.next(), signal); // 400–800 ms, then 800–1600 ms, ... up to 15–30 s
 * ```
 */
export interface BackoffOptions {
  /** First step. Default 800 ms: client-go's reflector; long enough not to hammer a restarting server. */
  initialMs?: number;
  /** Cap of a step. Default 30 s: client-go's; recovery within half a minute of the server returning. */
  maxMs?: number;
  /** Growth per failure. Default 2. */
  factor?: number;
  /**
   * A failure this long after the previous one starts again from `initialMs`. Default 2 min:
   * client-go's; a watch that ran that long was healthy, its failure is news, not a storm.
   */
  resetAfterMs?: number;
  /** Clock and randomness, replaceable in tests. */
  now?: () => number;
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly resetAfterMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private step = 0;
  private lastFailureAt = -Infinity;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 800;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.resetAfterMs = opts.resetAfterMs ?? 120_000;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /**
   * The delay before the next attempt, recording a failure. "Equal jitter": between half and all
   * of the step, so reflectors that failed together do not retry together.
   */
  next(): number {
    const now = this.now();
    if (now - this.lastFailureAt > this.resetAfterMs) this.step = 0;
    this.lastFailureAt = now;
    const full = Math.min(this.maxMs, this.initialMs * this.factor ** this.step);
    if (full < this.maxMs) this.step++;
    return full / 2 + this.random() * (full / 2);
  }

  /** Forgets past failures. */
  reset(): void {
    this.step = 0;
    this.lastFailureAt = -Infinity;
  }
}
