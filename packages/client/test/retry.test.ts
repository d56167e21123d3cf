// The retry policy: which failures are sent again, after how long; Retry-After parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, retryDecision, type FailedAttempt } from '../src/retry.js';

const P = DEFAULT_RETRY_POLICY;
const half = (): number => 0.5;
const d = (f: Partial<FailedAttempt>) => retryDecision({ attempt: 0, method: 'GET', idempotent: true, ...f }, P, half);

test('429 is retried for every verb, after Retry-After when given', () => {
  assert.deepEqual(d({ status: 429, retryAfterMs: 3000 }), { retry: true, delayMs: 3000, why: '429 TooManyRequests' });
  assert.equal(d({ method: 'POST', idempotent: false, status: 429 }).retry, true);
  assert.equal(d({ method: 'POST', idempotent: false, status: 429 }).delayMs, backoffDelay(0, P, half));
});

test('5xx: idempotent verbs, or anything the server sent Retry-After with', () => {
  for (const s of [500, 502, 503, 504]) assert.equal(d({ status: s }).retry, true, `GET ${s}`);
  assert.equal(d({ method: 'POST', idempotent: false, status: 500 }).retry, false);
  assert.equal(d({ method: 'POST', idempotent: false, status: 503, retryAfterMs: 1000 }).retry, true);
  assert.equal(d({ method: 'PATCH', idempotent: true, status: 500 }).retry, true, 'apply and merge patch are idempotent');
  assert.equal(d({ status: 501 }).retry, false, '501 Not Implemented will not change');
});

test('4xx other than 429 are answers, not failures to retry', () => {
  for (const s of [400, 401, 403, 404, 409, 410, 422]) assert.equal(d({ status: s }).retry, false, String(s));
});

test('connection failures: refused for every verb, resets only for idempotent ones', () => {
  assert.equal(d({ method: 'POST', idempotent: false, errorCode: 'ECONNREFUSED' }).retry, true);
  assert.equal(d({ errorCode: 'ECONNRESET' }).retry, true);
  assert.equal(d({ method: 'POST', idempotent: false, errorCode: 'ECONNRESET' }).retry, false);
  assert.equal(d({ errorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }).retry, false, 'a TLS verification failure will fail again');
  assert.equal(d({ errorCode: 'ENOTFOUND' }).retry, false);
});

test('a reused connection closed before the request was written: retried at once for every verb, within maxRetries', () => {
  const stale = d({ method: 'POST', idempotent: false, errorCode: 'ECONNRESET', staleConnection: true });
  assert.equal(stale.retry, true);
  assert.equal(stale.delayMs, 0, 'no backoff: the server did not fail');
  assert.match(stale.why, /reused connection before the POST was sent/);
  assert.equal(d({ method: 'POST', idempotent: false, errorCode: 'ECONNRESET', staleConnection: false }).retry, false, 'written, then reset: may have been acted on');
  assert.equal(d({ attempt: P.maxRetries, method: 'POST', idempotent: false, errorCode: 'ECONNRESET', staleConnection: true }).retry, false);
});

test('gives up after maxRetries; a Retry-After beyond maxRetryAfterMs is left to the caller', () => {
  assert.equal(d({ attempt: P.maxRetries - 1, status: 503 }).retry, true);
  assert.equal(d({ attempt: P.maxRetries, status: 503 }).retry, false);
  assert.equal(retryDecision({ attempt: 0, method: 'GET', idempotent: true, status: 503 }, { ...P, maxRetries: 0 }).retry, false);
  const long = d({ status: 429, retryAfterMs: 3_600_000 });
  assert.equal(long.retry, false);
  assert.match(long.why, /Retry-After 3600 s/);
});

test('Retry-After: 0 backs off instead of spinning', () => {
  assert.equal(d({ status: 429, retryAfterMs: 0 }).delayMs, backoffDelay(0, P, half));
});

test('backoff doubles from 200 ms to 10 s with equal jitter', () => {
  const lo = (): number => 0;
  const hi = (): number => 0.999999;
  assert.equal(backoffDelay(0, P, lo), 100);
  assert.ok(backoffDelay(0, P, hi) < 200);
  assert.equal(backoffDelay(1, P, lo), 200);
  assert.equal(backoffDelay(3, P, lo), 800);
  assert.equal(backoffDelay(10, P, lo), 5000);
  assert.ok(backoffDelay(50, P, hi) <= 10_000);
});

test('parseRetryAfter reads seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(' 0 '), 0);
  assert.equal(parseRetryAfter(['2', '9']), 2000);
  const now = Date.parse('2026-10-21T07:28:00Z');
  assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});
