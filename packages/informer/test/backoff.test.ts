// Backoff: equal jitter, exponential growth to a cap, reset after a stable period; sleep and
// waitForCacheSync honour their signal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, sleep, waitForCacheSync } from '../src/index.js';

describe('Backoff', () => {
  it('doubles from the initial step to the cap, with delays between half and all of the step', () => {
    let now = 0;
    let rand = 0;
    const b = new Backoff({ initialMs: 100, maxMs: 1000, now: () => now, random: () => rand });
    const lows = [b.next(), b.next(), b.next(), b.next(), b.next(), b.next()];
    assert.deepEqual(lows, [50, 100, 200, 400, 500, 500]);
    rand = 0.999999;
    assert.ok(b.next() > 999 && b.next() <= 1000);
    // Two minutes (the default stable period) without a failure: back to the first step.
    now += 120_001;
    rand = 1;
    assert.equal(b.next(), 100);
    assert.equal(b.next(), 200);
    b.reset();
    assert.equal(b.next(), 100);
  });

  it('defaults are client-go reflector’s: 800 ms to 30 s', () => {
    const b = new Backoff({ random: () => 1 });
    assert.equal(b.next(), 800);
    let last = 0;
    for (let i = 0; i < 20; i++) last = b.next();
    assert.equal(last, 30_000);
  });
});

describe('sleep and waitForCacheSync', () => {
  it('sleep answers false when aborted, at once if already aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 5);
    const t0 = Date.now();
    assert.equal(await sleep(10_000, ac.signal), false);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(await sleep(10_000, ac.signal), false);
    assert.equal(await sleep(1), true);
  });

  it('waitForCacheSync waits for every function, or answers false on abort', async () => {
    let a = false;
    setTimeout(() => (a = true), 20);
    assert.equal(await waitForCacheSync(new AbortController().signal, () => a, () => true), true);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    assert.equal(await waitForCacheSync(ac.signal, () => false), false);
  });
});
