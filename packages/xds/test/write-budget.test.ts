// The server-wide write budget: streams beyond the limit wait in turn, one woken per release.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteBudget } from '../src/server/write-budget.js';

test('under the limit nobody waits; over it, waiters are woken one per release, first come first served', async () => {
  const b = new WriteBudget(100);
  assert.equal(b.wait(), undefined);
  b.take(150);
  const order: string[] = [];
  const w1 = b.wait()!.then(() => order.push('a'));
  const w2 = b.wait()!.then(() => order.push('b'));
  b.give(20);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'still over the limit');
  b.give(40);
  await w1;
  assert.deepEqual(order, ['a'], 'one per release');
  assert.ok(b.wait(), 'others queue behind the waiter still in line');
  b.release();
  await w2;
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(b.bytesInFlight, 90);
});
