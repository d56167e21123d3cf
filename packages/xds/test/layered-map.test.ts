// LayeredMap against a plain Map under random changes: same contents, order, size; old maps unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LayeredMap } from '../src/cache/layered-map.js';

test('random updates and deletes: a LayeredMap reads like a Map copied on every change', () => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const start = new Map(Array.from({ length: 200 }, (_, i) => [`k${i}`, i] as [string, number]));
  let plain = new Map(start);
  let layered = LayeredMap.from(start);
  const history: [Map<string, number>, LayeredMap<string, number>][] = [];
  for (let step = 0; step < 600; step++) {
    const updates: [string, number][] = [];
    const deletes: string[] = [];
    for (let j = rand(4); j >= 0; j--) updates.push([`k${rand(260)}`, step * 10 + j]);
    for (let j = rand(3); j > 0; j--) deletes.push(`k${rand(260)}`);
    const next = new Map(plain);
    for (const [k, v] of updates) next.set(k, v);
    for (const k of deletes) next.delete(k);
    plain = next;
    layered = layered.with(updates, deletes);
    assert.equal(layered.size, plain.size, `size at step ${step}`);
    assert.deepEqual(new Map(layered), plain);
    for (const k of ['k0', `k${rand(260)}`, 'absent']) {
      assert.equal(layered.get(k), plain.get(k));
      assert.equal(layered.has(k), plain.has(k));
    }
    if (step % 50 === 0) history.push([plain, layered]);
  }
  // Base order kept for entries that were only replaced; earlier maps unchanged by later changes.
  for (const [p, l] of history) assert.deepEqual(new Map(l), p);
  assert.deepEqual([...layered.keys()], [...layered.entries()].map(([k]) => k));
  assert.deepEqual([...layered.values()], [...layered.entries()].map(([, v]) => v));
  let n = 0;
  layered.forEach(() => n++);
  assert.equal(n, layered.size);
});
