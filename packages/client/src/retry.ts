/**
 * When a failed request is sent again, and after how long. Pure: the transport asks
 * `retryDecision()` after every failed attempt and sleeps for the answer.
 *
 * - 429 TooManyRequests: always retried. The server turned the request away before doing
 *   anything (API Priority and Fairness, max-in-flight), whatever the verb.
 * - 5xx (not 501/505): retried when the verb is idempotent (GET, HEAD, PUT, DELETE, server-side
 *   apply, merge patch), or when the server sent `Retry-After`, which says it did not act (client-go
 *   retries exactly those answers; kube-apiserver sends Retry-After with 429 and with 503/504 from
 *   its own timeouts).
 * - Connection failures: `ECONNREFUSED` (nothing was sent) for every verb; resets, timeouts and
 *   DNS hiccups for idempotent verbs only, since a POST may have been acted on before the reset.
 * - A stale keep-alive connection: a reused pooled connection that turned out closed before any
 *   of the request was written to it (`staleConnection`) is retried at once for every verb: the
 *   server cannot have seen the request. This is Go net/http's rule (`shouldRetryRequest`: a
 *   reused connection and `nothingWrittenError` → retry any request). A reset after the request
 *   was written stays under the rule above even on a reused connection: as in Go, a POST that
 *   may have reached the server is not sent twice.
 *
 * The delay is `Retry-After` when the server gave one (an HTTP date or seconds), else exponential
 * from 200 ms doubling to 10 s with "equal jitter" (between half and all of the step), so clients
 * that failed together do not come back together. A `Retry-After` longer than
 * `maxRetryAfterMs` is not waited out: the ApiError goes to the caller, whose
 * `details.retryAfterSeconds` says when to come back.
 *
 * ```ts
 * const d = retryDecision({ attempt: 0, method: 'GET', idempotent: true, status: 503 }, DEFAULT_RETRY_POLICY);
 * if (d.retry) await clock.sleep(d.delayMs, signal);
 * ```
 */

export interface RetryPolicy {
  /** Retries after the first attempt; client-go's default for Retry-After answers is 10. 0 disables retries. */
  maxRetries: number;
  /** The first backoff step without Retry-After. */
  baseDelayMs: number;
  /** The largest backoff step without Retry-After. */
  maxDelayMs: number;
  /** The longest Retry-After waited for inside one call. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 10,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/** Connection error codes that mean "try again" (for idempotent requests). */
const TRANSIENT_CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
]);

export interface FailedAttempt {
  /** 0 for the first attempt. */
  attempt: number;
  method: string;
  /** Safe to send twice (see the module comment). */
  idempotent: boolean;
  /** The HTTP status, when the server answered. */
  status?: number;
  /** The Retry-After the server asked for, in ms. */
  retryAfterMs?: number;
  /** The connection error code, when it did not answer. */
  errorCode?: string;
  /** The attempt met a reused keep-alive connection already closed, before writing any of the request. */
  staleConnection?: boolean;
}

export interface RetryDecision {
  retry: boolean;
  delayMs: number;
  /** Why, for logs and tests. */
  why: string;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** HTTP's idempotent methods; PATCH is idempotent only for apply and merge patch (the caller says so). */
export const isIdempotentMethod = (method: string): boolean => IDEMPOTENT_METHODS.has(method.toUpperCase());

/** `Retry-After: 3` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`, in ms from `nowMs` (wall clock). */
export function parseRetryAfter(header: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The n-th exponential step (n from 0) with equal jitter: between half and all of min(max, base·2ⁿ). */
export function backoffDelay(n: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(n, 30));
  return step / 2 + (random() * step) / 2;
}

export function retryDecision(f: FailedAttempt, policy: RetryPolicy, random: () => number = Math.random): RetryDecision {
  const no = (why: string): RetryDecision => ({ retry: false, delayMs: 0, why });
  if (f.attempt >= policy.maxRetries) return no(`gave up after ${f.attempt + 1} attempts`);
  // `Retry-After: 0` ("now") is backed off like no header, so ten retries are not one busy loop.
  const delay = (): number => (f.retryAfterMs ? f.retryAfterMs : backoffDelay(f.attempt, policy, random));
  if (f.retryAfterMs !== undefined && f.retryAfterMs > policy.maxRetryAfterMs) {
    return no(`Retry-After ${Math.round(f.retryAfterMs / 1000)} s is longer than ${policy.maxRetryAfterMs / 1000} s`);
  }
  if (f.status !== undefined) {
    if (f.status === 429) return { retry: true, delayMs: delay(), why: '429 TooManyRequests' };
    if (f.status >= 500 && f.status !== 501 && f.status !== 505) {
      if (f.idempotent) return { retry: true, delayMs: delay(), why: `${f.status} on an idempotent ${f.method}` };
      if (f.retryAfterMs !== undefined) return { retry: true, delayMs: delay(), why: `${f.status} with Retry-After` };
      return no(`${f.status} on a non-idempotent ${f.method}`);
    }
    return no(`${f.status} is not retryable`);
  }
  if (f.errorCode !== undefined) {
    // No backoff: the server did not fail, a pooled connection it had closed did.
    if (f.staleConnection) return { retry: true, delayMs: 0, why: `${f.errorCode} on a reused connection before the ${f.method} was sent` };
    if (f.errorCode === 'ECONNREFUSED') return { retry: true, delayMs: delay(), why: 'connection refused' };
    if (!TRANSIENT_CONNECTION_CODES.has(f.errorCode)) return no(`${f.errorCode} is not transient`);
    if (f.idempotent) return { retry: true, delayMs: delay(), why: `${f.errorCode} on an idempotent ${f.method}` };
    return no(`${f.errorCode} on a non-idempotent ${f.method}`);
  }
  return no('nothing to retry');
}
