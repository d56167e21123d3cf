// Send queues take turns: a batch per event-loop turn, I/O in between, deferred work last.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TurnScheduler } from '../src/server/turn-scheduler.js';

test('at most perTurn tasks per turn, in order; the loop runs between batches; afterPushes waits for all', async () => {
  const t = new TurnScheduler(2);
  const log: string[] = [];
  t.afterPushes(() => log.push('ack'));
  for (let i = 0; i < 5; i++) t.schedule(() => log.push(`push${i}`));
  // An immediate queued now runs after the first batch and before the second.
  setImmediate(() => log.push('io'));
  assert.equal(log.length, 0, 'nothing runs synchronously');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual([...log], ['push0', 'push1', 'io', 'push2', 'push3', 'push4', 'ack']);
  // Idle again: deferred work alone runs in a microtask.
  t.afterPushes(() => log.push('ack2'));
  await Promise.resolve();
  assert.equal(log.at(-1), 'ack2');
});
