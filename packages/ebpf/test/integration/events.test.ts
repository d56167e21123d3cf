// Ring buffer and perf buffer reading on the event loop: a tracepoint program emits one event per
// pread64 of this process on one file, carrying the read position; the test reads N positions and
// checks every event arrives, in order, decoded, in batches.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BpfObject, EventBatch, RingBufferReader, objectPath, struct, u32, u64Number } from '../../src/index.js';
import { waitFor } from './support/bpftool.js';
import { requireBuilt, skipUnlessRoot } from './support/env.js';

const event = struct({ seq: u64Number, tgid: u32, cpu: u32 });

describe('ring buffer and perf buffer readers', { skip: skipUnlessRoot }, () => {
  let obj: BpfObject;
  let dir: string;
  let fd: number;

  before(async () => {
    requireBuilt('test/events');
    dir = mkdtempSync(join(tmpdir(), 'keelson-ebpf-events-'));
    writeFileSync(join(dir, 'data'), 'x');
    fd = openSync(join(dir, 'data'), 'r');
    obj = BpfObject.open(objectPath('test/events'));
    obj.setGlobal('target_tgid', u32, process.pid);
    obj.setGlobal('target_fd', u32, fd);
    await obj.load();
  });

  after(() => {
    obj?.close();
    if (fd !== undefined) closeSync(fd);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function preads(from: number, count: number): void {
    const b = Buffer.alloc(1);
    for (let i = from; i < from + count; i++) readSync(fd, b, 0, 1, i);
  }

  it('delivers ring buffer events in order, in batches, on the event loop', async () => {
    const seqs: number[] = [];
    const batches: number[] = [];
    const link = obj.program('to_ringbuf').attachTracepoint('syscalls/sys_enter_pread64');
    // A small batch cap, so one wakeup's records arrive over several callbacks.
    const reader = obj.ringBuffer(
      'events',
      (batch) => {
        assert.ok(batch instanceof EventBatch);
        batches.push(batch.count);
        for (const e of batch.decode(event)) {
          assert.equal(e.tgid, process.pid);
          seqs.push(e.seq);
        }
      },
      { maxBatchBytes: 4096 },
    );
    try {
      const n = 3000;
      // Synchronous: the reader cannot run until this returns, so all n events queue up.
      preads(0, n);
      assert.equal(seqs.length, 0, 'nothing is delivered while JavaScript runs');
      await waitFor(`${n} ring buffer events`, () => seqs.length >= n);
      assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i));
      assert.ok(batches.length > 1 && batches.every((c) => c > 1), `batches: ${batches.join(',')}`);
      // 24 bytes a record (8 of header): a batch ends with the record that reaches the cap.
      assert.ok(Math.max(...batches) <= Math.ceil(4096 / 24), `largest batch ${Math.max(...batches)} records`);
      const s = reader.stats();
      assert.equal(s.records, n);
      assert.equal(s.batches, batches.length);
      assert.equal(obj.getGlobal('dropped', u64Number), 0);
    } finally {
      reader.close();
      link.detach();
    }
  });

  it('consume() drains synchronously; a closed reader leaves the rest in the buffer', async () => {
    const got: number[] = [];
    const link = obj.program('to_ringbuf').attachTracepoint('syscalls', 'sys_enter_pread64');
    const reader = obj.ringBuffer('events', (b) => b.forEach((view, offset) => got.push(event.decode(view, offset).seq)));
    try {
      preads(10_000, 100);
      assert.equal(reader.consume(), 100);
      assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => 10_000 + i));
      preads(20_000, 5);
      reader.close();
      const late: number[] = [];
      const second = new RingBufferReader(obj.map('events'), (b) => late.push(...b.decode(event).map((e) => e.seq)));
      await waitFor('the events left in the ring', () => late.length === 5);
      assert.deepEqual(late, [20_000, 20_001, 20_002, 20_003, 20_004]);
      second.close();
    } finally {
      reader.close();
      link.detach();
    }
  });

  it('delivers perf buffer events with their CPU, none lost', async () => {
    const seqs: number[] = [];
    let lost = 0;
    const link = obj.program('to_perf').attachTracepoint('syscalls/sys_enter_pread64');
    const reader = obj.perfBuffer(
      'perf_events',
      (batch) => {
        lost += batch.lost;
        batch.forEach((view, offset, size, cpu) => {
          // The kernel pads perf samples so that size + its 4-byte header is a multiple of 8.
          assert.equal(size, 20);
          const e = event.decode(view, offset);
          assert.equal(e.cpu, cpu, 'the record came through the buffer of the CPU it was written on');
          seqs.push(e.seq);
        });
      },
      { pageCount: 16 },
    );
    try {
      const n = 1000;
      preads(0, n);
      await waitFor(`${n} perf events`, () => seqs.length >= n);
      assert.equal(lost, 0);
      // Per CPU the order is kept; across CPUs the reader interleaves buffers.
      assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    } finally {
      reader.close();
      link.detach();
    }
  });

  it('stops reading when its AbortSignal fires, and reports callback errors to onError', async () => {
    const ac = new AbortController();
    const errors: Error[] = [];
    const link = obj.program('to_ringbuf').attachTracepoint('syscalls/sys_enter_pread64');
    const reader = obj.ringBuffer(
      'events',
      () => {
        throw new Error('handler failed');
      },
      { signal: ac.signal, onError: (e) => errors.push(e) },
    );
    try {
      preads(0, 3);
      await waitFor('the handler error', () => errors.length > 0);
      assert.equal(errors[0].message, 'handler failed');
      ac.abort();
      assert.equal(reader.closed, true);
      assert.throws(() => reader.consume(), /the reader is closed/);
    } finally {
      reader.close();
      link.detach();
    }
    assert.throws(() => obj.ringBuffer('perf_events', () => {}), /is perf_event_array, not a ringbuf/);
  });
});
