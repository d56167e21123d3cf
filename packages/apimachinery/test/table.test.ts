import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, parseRfc3339, toPartialObjectMetadata, translateTimestampSince } from '../src/table.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches duration.HumanDuration', () => {
  const cases: [number, string][] = [
    // k8s.io/apimachinery/pkg/util/duration's own test table
    [1 * S, '1s'],
    [70 * S, '70s'],
    [190 * S, '3m10s'],
    [70 * M, '70m'],
    [47 * H, '47h'],
    [49 * H, '2d1h'],
    [(8 * 24 + 2) * H, '8d'],
    [367 * D, '367d'],
    [(365 * 2 * 24 + 25) * H, '2y1d'],
    [(365 * 8 * 24 + 2) * H, '8y'],
    // each boundary of the rules
    [0, '0s'],
    [999, '0s'],
    [-999, '0s'],
    [-1999, '0s'],
    [-2000, '<invalid>'],
    [45 * S, '45s'],
    [119 * S + 999, '119s'],
    [120 * S, '2m'],
    [5 * M, '5m'],
    [5 * M + 30 * S, '5m30s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M + 59 * S, '179m'],
    [3 * H, '3h'],
    [3 * H + 10 * M, '3h10m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H + 59 * M, '47h'],
    [2 * D, '2d'],
    [2 * D + 5 * H, '2d5h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [830 * D, '2y100d'],
    [2919 * D, '7y364d'],
    [2920 * D, '8y'],
    [3650 * D, '10y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('translateTimestampSince', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  assert.equal(translateTimestampSince(undefined, now), '<unknown>');
  assert.equal(translateTimestampSince(null, now), '<unknown>');
  assert.equal(translateTimestampSince('', now), '<unknown>');
  assert.equal(translateTimestampSince('2024-05-01T11:55:00Z', now), '5m');
  assert.equal(translateTimestampSince('2024-04-29T07:00:00Z', now), '2d5h');
  assert.equal(translateTimestampSince('2024-05-01T13:55:00+02:00', now), '5m');
  assert.equal(translateTimestampSince('2024-05-01T11:59:15.900Z', now), '44s');
  // Up to 2 s ahead is clock skew; beyond is invalid.
  assert.equal(translateTimestampSince('2024-05-01T12:00:01Z', now), '0s');
  assert.equal(translateTimestampSince('2024-05-01T12:00:03Z', now), '<invalid>');
  assert.equal(translateTimestampSince('yesterday', now), '<invalid>');
});

test('parseRfc3339', () => {
  assert.equal(parseRfc3339('2024-05-01T12:00:00Z'), Date.UTC(2024, 4, 1, 12));
  assert.equal(parseRfc3339('2024-05-01T12:00:00.5-01:30'), Date.UTC(2024, 4, 1, 13, 30, 0, 500));
  assert.equal(parseRfc3339('2024-02-30T00:00:00Z'), undefined);
  assert.equal(parseRfc3339('2024-05-01 12:00:00Z'), undefined);
  assert.equal(parseRfc3339('2024-05-01T12:00:00'), undefined);
});

test('toPartialObjectMetadata', () => {
  const meta = { name: 'web', namespace: 'default', labels: { app: 'web' } };
  assert.deepEqual(toPartialObjectMetadata({ metadata: meta, spec: {} } as { metadata: typeof meta }), {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
  });
  assert.deepEqual(toPartialObjectMetadata({}), { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: {} });
});
