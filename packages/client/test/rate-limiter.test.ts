// The token bucket on a fake clock: burst at once, then qps; FIFO waiters; abort returns the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BURST, DEFAULT_QPS, TokenBucketRateLimiter } from '../src/rate-limiter.js';
import { FakeClock, flush } from './fakes.js';

test('defaults are client-go rest.Config: QPS 5, burst 10', () => {
  assert.equal(DEFAULT_QPS, 5);
  assert.equal(DEFAULT_BURST, 10);
  const l = new TokenBucketRateLimiter({ clock: new FakeClock() });
  assert.equal(l.qps, 5);
  assert.equal(l.burst, 10);
});

test('burst requests pass at once, then one per 1/qps, in arrival order', async () => {
  const clock = new FakeClock();
  const l = new TokenBucketRateLimiter({ qps: 5, burst: 10, clock });
  const done: number[] = [];
  const waits = Array.from({ length: 15 }, (_, i) => l.wait().then(() => done.push(i)));
  await flush();
  assert.deepEqual(done, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'the burst passes without waiting');
  await clock.advance(199);
  assert.equal(done.length, 10, 'nothing before 200 ms');
  await clock.advance(1);
  assert.deepEqual(done.slice(10), [10], 'one more at 200 ms');
  await clock.advance(800);
  await Promise.all(waits);
  assert.deepEqual(done, [...Array(15).keys()], 'FIFO');
  assert.equal(clock.now(), 1000);
});

test('tokens refill over idle time, never above burst', async () => {
  const clock = new FakeClock();
  const l = new TokenBucketRateLimiter({ qps: 2, burst: 3, clock });
  for (let i = 0; i < 3; i++) assert.ok(l.tryAccept());
  assert.equal(l.tryAccept(), false);
  await clock.advance(500);
  assert.ok(l.tryAccept(), 'one token after 1/qps');
  assert.equal(l.tryAccept(), false);
  await clock.advance(60_000);
  for (let i = 0; i < 3; i++) assert.ok(l.tryAccept());
  assert.equal(l.tryAccept(), false, 'an idle minute still gives only burst tokens');
});

test('an aborted waiter rejects with the reason and gives its token back', async () => {
  const clock = new FakeClock();
  const l = new TokenBucketRateLimiter({ qps: 1, burst: 1, clock });
  await l.wait();
  const ac = new AbortController();
  const aborted = l.wait(ac.signal);
  const reason = new Error('stop');
  ac.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);
  // The next waiter needs only the one second the aborted one would have used.
  let passed = false;
  void l.wait().then(() => (passed = true));
  await clock.advance(1000);
  assert.ok(passed);
  await assert.rejects(l.wait(AbortSignal.abort()), { name: 'AbortError' });
});

test('qps must be positive (0 disables limiting at the client, not here)', () => {
  assert.throws(() => new TokenBucketRateLimiter({ qps: 0 }), /qps: 0 to the client/);
});
