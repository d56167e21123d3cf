// The send queue: marks coalesce, types drain in make-before-break order (upserts in push order,
// then removals in reverse), a full transport pauses it, a throwing flush stops it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterType, EndpointType, ListenerType, RouteType, SecretType, shortTypeName } from '../src/index.js';
import { SendQueue, type PendingPush } from '../src/server/send-queue.js';

function recorder(opts: { writable?: () => Promise<void> | undefined; throwOn?: string } = {}) {
  const log: string[] = [];
  const pending: PendingPush[] = [];
  const failures: unknown[] = [];
  const q = new SendQueue({
    flush: (typeUrl, phase, p) => {
      if (opts.throwOn === typeUrl) throw new Error('boom');
      log.push(`${phase}:${shortTypeName(typeUrl)}`);
      pending.push(p);
      return 1;
    },
    waitWritable: () => opts.writable?.(),
    fail: (err) => failures.push(err),
  });
  return { q, log, pending, failures };
}

test('upserts in push order (SDS, CDS, EDS, LDS, RDS), then removals in reverse', async () => {
  const { q, log } = recorder();
  for (const t of [RouteType, ListenerType, EndpointType, ClusterType, SecretType]) q.mark(t, 'all', 'change');
  await q.idle();
  assert.deepEqual(log, ['upsert:SDS', 'upsert:CDS', 'upsert:EDS', 'upsert:LDS', 'upsert:RDS', 'remove:RDS', 'remove:LDS', 'remove:EDS', 'remove:CDS', 'remove:SDS']);
});

test('marks of one type before it drains merge into one entry: names unioned, earliest time kept, "change" wins', async () => {
  const { q, pending, log } = recorder();
  q.mark(EndpointType, new Set(['a']), 'request', 100);
  q.mark(EndpointType, new Set(['b']), 'change', 50);
  q.mark(EndpointType, new Set(['a', 'c']), 'request', 200);
  assert.equal(q.pending, 1);
  await q.idle();
  assert.deepEqual(log, ['upsert:EDS', 'remove:EDS']);
  assert.deepEqual([...(pending[0].candidates as Set<string>)].sort(), ['a', 'b', 'c']);
  assert.equal(pending[0].since, 50);
  assert.equal(pending[0].reason, 'change');
  q.mark(EndpointType, new Set(['x']), 'change');
  q.mark(EndpointType, 'all', 'change');
  await q.idle();
  assert.equal(pending[2].candidates, 'all');
  q.mark(EndpointType, new Set(), 'change');
  assert.equal(q.pending, 0, 'an empty mark is nothing');
});

test('a full transport pauses the queue; a mark arriving meanwhile is served in order when it resumes', async () => {
  let release!: () => void;
  let full = true;
  const gate = new Promise<void>((r) => (release = r));
  const { q, log } = recorder({ writable: () => (full ? gate : undefined) });
  q.mark(RouteType, 'all', 'change');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, [], 'nothing written while full');
  q.mark(ClusterType, 'all', 'change');
  full = false;
  release();
  await q.idle();
  assert.deepEqual(log.slice(0, 2), ['upsert:CDS', 'upsert:RDS'], 'the cluster that arrived later still goes first');
});

test('a throwing flush stops the queue and reports the error', async () => {
  const { q, failures } = recorder({ throwOn: ClusterType });
  q.mark(ClusterType, 'all', 'change');
  await q.idle().catch(() => {});
  await new Promise((r) => setImmediate(r));
  assert.equal(failures.length, 1);
  q.mark(RouteType, 'all', 'change');
  assert.equal(q.pending, 0, 'closed after a failure');
});
