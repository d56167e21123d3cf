/**
 * Client-side rate limiting: a token bucket, as client-go's flowcontrol.NewTokenBucketRateLimiter.
 * The defaults are rest.Config's: QPS 5 and burst 10 (client-go applies them when QPS and Burst
 * are left at zero), so a controller that loops on an error cannot flood the API server. The
 * bucket starts full: `burst` requests go at once, then one every 1/qps seconds.
 *
 * Waiters reserve their token when they arrive (the bucket may go negative) and sleep for their
 * share, as golang.org/x/time/rate's Wait does: FIFO without a queue, and an aborted waiter gives
 * its token back.
 *
 * ```ts
 * const limiter = new TokenBucketRateLimiter({ qps: 5, burst: 10 });
 * await limiter.wait(signal); // before every request
 * ```
 */
import { abortReason, realClock, type Clock } from './clock.js';

/** client-go rest.Config's DefaultQPS. */
export const DEFAULT_QPS = 5;
/** client-go rest.Config's DefaultBurst. */
export const DEFAULT_BURST = 10;

export interface RateLimiter {
  /** Waits for a token; rejects with the signal's reason (returning the token) when aborted. */
  wait(signal?: AbortSignal): Promise<void>;
  /** Takes a token if one is available now. */
  tryAccept(): boolean;
}

export class TokenBucketRateLimiter implements RateLimiter {
  readonly qps: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly clock: Clock;

  constructor(opts: { qps?: number; burst?: number; clock?: Clock } = {}) {
    this.qps = opts.qps ?? DEFAULT_QPS;
    this.burst = Math.max(1, Math.floor(opts.burst ?? DEFAULT_BURST));
    if (!(this.qps > 0) || !Number.isFinite(this.qps)) throw new RangeError(`qps must be a positive number, not ${opts.qps}; pass qps: 0 to the client to disable rate limiting`);
    this.clock = opts.clock ?? realClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.qps);
      this.last = now;
    }
  }

  tryAccept(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  async wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortReason(signal);
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const delayMs = (-this.tokens / this.qps) * 1000;
    try {
      await this.clock.sleep(delayMs, signal);
    } catch (e) {
      this.tokens += 1;
      throw e;
    }
  }
}
