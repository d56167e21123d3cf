import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketBounds, bucketOf, formatDuration, Log2Histogram } from '../src/trace/histogram.js';

test('bucketOf is floor(log2(ns)) with 0 and 1 in bucket 0', () => {
  assert.equal(bucketOf(0), 0);
  assert.equal(bucketOf(1), 0);
  assert.equal(bucketOf(2), 1);
  assert.equal(bucketOf(3), 1);
  assert.equal(bucketOf(1024), 10);
  assert.equal(bucketOf(1_000_000), 19); // 1 ms sits just under 2^20 ns
  assert.equal(bucketOf(1_100_000), 20);
  assert.equal(bucketOf(10_000_000), 23);
  assert.equal(bucketOf(100_000_000), 26);
  assert.equal(bucketOf(2n ** 63n), 63);
  assert.equal(bucketOf(2n ** 60n - 1n), 59);
  // Doubles hold every integer below 2^53 exactly; past that the bounds are checked as bigints.
  for (let i = 0; i < 52; i++) {
    const [lo, hi] = bucketBounds(i);
    assert.equal(bucketOf(Math.max(lo, 0)), i);
    assert.equal(bucketOf(hi - 1), i);
  }
});

test('quantiles interpolate inside the bucket that holds the rank', () => {
  const h = new Log2Histogram();
  for (let i = 0; i < 90; i++) h.record(1_500); // bucket 10: [1024, 2048)
  for (let i = 0; i < 10; i++) h.record(40_000_000); // bucket 25: [33.5 ms, 67.1 ms)
  assert.equal(h.total, 100);
  const p50 = h.quantile(0.5) as number;
  assert.ok(p50 >= 1024 && p50 < 2048, `p50 ${p50}`);
  const p99 = h.quantile(0.99) as number;
  assert.ok(p99 >= 2 ** 25 && p99 < 2 ** 26, `p99 ${p99}`);
  assert.ok((h.quantile(0.9) as number) < 2048, 'the 90th of 100 is still in the fast bucket');
  assert.ok((h.quantile(0.91) as number) >= 2 ** 25);
  assert.equal(new Log2Histogram().quantile(0.5), undefined);
  assert.throws(() => h.quantile(0), /not in \(0, 1\]/);
});

test('per-CPU counters sum, intervals subtract', () => {
  const perCpu = Array.from({ length: 64 }, (_, i) => (i === 20 ? [3n, 4n] : i === 23 ? [1n, 0n] : [0n, 0n]));
  const h = Log2Histogram.fromPerCpu(perCpu);
  assert.equal(h.counts[20], 7);
  assert.equal(h.counts[23], 1);
  const later = new Log2Histogram(h.counts.map((c, i) => (i === 23 ? c + 5 : c)));
  const interval = later.since(h);
  assert.equal(interval.total, 5);
  assert.equal(interval.counts[23], 5);
});

test('render draws one row per bucket between the first and the last non-empty one', () => {
  const h = new Log2Histogram();
  h.record(1_100_000, 10);
  h.record(10_100_000, 5);
  const text = h.render(20);
  const rows = text.trimEnd().split('\n');
  assert.equal(rows.length, 1 + (23 - 20 + 1));
  assert.match(rows[1], /1\.05ms -> 2\.1ms : 10 +\|\*{20}\|/);
  assert.match(rows[4], /8\.39ms -> 16\.8ms : 5 +\|\*{10} {10}\|/);
  assert.equal(new Log2Histogram().render(), '  (no calls)\n');
  assert.equal(formatDuration(999), '999ns');
  assert.equal(formatDuration(1500), '1.5µs');
  assert.equal(formatDuration(250_000_000), '250ms');
});
