/**
 * The GC tracer against a Node.js process that forces collections: every collection the process
 * reports through perf_hooks is seen, with a pause that agrees, and the heap sizes agree with
 * V8's own --trace-gc account.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GcTracer, type GcEvent } from '../../src/trace/gc.js';
import { PERF_HOOKS_GC_KIND } from '../../src/trace/v8-gc.js';

interface TargetReport {
  goNs: string;
  doneNs: string;
  entries: { kind: number; startNs: string; durationNs: number }[];
  heapUsedAfterGc: number[];
}

const MB = 2 ** 20;
const ROUNDS = 3;

test('GC pauses match the process\'s perf_hooks entries and its --trace-gc heap sizes', async () => {
  const child = spawn(process.execPath, ['--expose-gc', '--trace-gc', join(import.meta.dirname, '..', 'fixtures', 'trace', 'gc-target.mjs'), String(ROUNDS)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let tracer: GcTracer | undefined;
  try {
    const traceLines: string[] = [];
    const ours: string[] = [];
    let wake: (() => void) | undefined;
    createInterface({ input: child.stdout }).on('line', (l) => {
      // V8 prints --trace-gc lines as "[pid:isolate] N ms: ..."; the rest is the target's.
      if (l.startsWith('[')) traceLines.push(l);
      else ours.push(l);
      wake?.();
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const next = async (): Promise<string> => {
      const deadline = Date.now() + 60_000;
      while (ours.length === 0) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('the GC target said nothing');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
      return ours.shift() as string;
    };
    assert.match(await next(), /^ready \d+$/);

    const events: GcEvent[] = [];
    tracer = await GcTracer.start({ pid: child.pid as number, onGc: (e) => events.push(e) });
    assert.equal(tracer.readsHeapSize, true, 'this node has Heap::SizeOfObjects');
    child.stdin.write('go\n');
    const report = JSON.parse(await next()) as TargetReport;
    child.stdin.write('exit\n');
    await exited; // V8's stdout buffer (the --trace-gc lines) is flushed at exit
    await new Promise((r) => setTimeout(r, 50)); // the last ring buffer wakeup
    tracer.close();

    // perf_hooks: collections that started while the target forced GCs, minor and major ones
    // (incremental-marking steps are not pauses and have no counterpart).
    const [go, done] = [BigInt(report.goNs), BigInt(report.doneNs)];
    const perf = report.entries.filter((e) => e.kind === PERF_HOOKS_GC_KIND.minor || e.kind === PERF_HOOKS_GC_KIND.major);
    const seen = events.filter((e) => e.startNs >= go && e.startNs <= done);
    assert.ok(perf.length >= 2 * ROUNDS, `the target forced at least ${2 * ROUNDS} collections (${perf.length})`);
    assert.equal(seen.length, perf.length, `count: ${seen.length} traced vs ${perf.length} in perf_hooks`);
    seen.forEach((e, i) => {
      const p = perf[i];
      const what = `GC ${i}: ${e.collector} traced ${(e.durationNs / 1e6).toFixed(3)} ms, perf_hooks kind ${p.kind} ${(p.durationNs / 1e6).toFixed(3)} ms`;
      assert.equal(PERF_HOOKS_GC_KIND[e.kind], p.kind, what);
      // perf_hooks times from the GC prologue callbacks to the epilogue ones, around the pause we
      // time, on the same clock: the traced pause lies inside the entry (200 µs for the entry's
      // time origin, which the target estimates). How much shorter it is depends on the machine's
      // load (bench/ebpf reports the difference).
      const slack = 200_000n;
      const pStart = BigInt(p.startNs);
      assert.ok(e.startNs >= pStart - slack, `${what}: starts inside the perf_hooks entry`);
      assert.ok(e.startNs + BigInt(e.durationNs) <= pStart + BigInt(p.durationNs) + slack, `${what}: ends inside the perf_hooks entry`);
    });
    assert.ok(seen.filter((e) => e.kind === 'major' && e.reason === 'testing').length >= ROUNDS, 'gc() calls are major collections for "testing"');
    assert.ok(seen.some((e) => e.kind === 'major' && e.reasonText === 'GC in old space requested'));

    // --trace-gc: V8 prints every collection with the live heap before and after in MB (%.1f). The
    // tracer attached after the target started, so its events are the last lines.
    const parsed = traceLines.map((l) => {
      const m = /: (Scavenge|Mark-Compact(?: \(reduce\))?|Minor Mark-Sweep|Minor Mark-Compact)\s+([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(l);
      assert.ok(m, `a --trace-gc line: ${l}`);
      return { collector: m[1], before: Number(m[2]), after: Number(m[3]) };
    });
    assert.ok(events.length > 0 && events.length <= parsed.length);
    const tail = parsed.slice(-events.length);
    events.forEach((e, i) => {
      const t = tail[i];
      const what = `GC ${i}: traced ${e.collector} ${(e.heapBefore ?? NaN) / MB} -> ${(e.heapAfter ?? NaN) / MB} MB, --trace-gc ${t.collector} ${t.before} -> ${t.after} MB`;
      assert.equal(t.collector.toLowerCase().startsWith('scavenge') ? 'scavenge' : t.collector.startsWith('Mark-Compact') ? 'mark-compact' : 'minor-mark-sweep', e.collector, what);
      assert.ok(e.heapBefore !== undefined && Math.abs(e.heapBefore / MB - t.before) <= 0.051, what);
      assert.ok(e.heapAfter !== undefined && Math.abs(e.heapAfter / MB - t.after) <= 0.051, what);
    });
  } finally {
    tracer?.close();
    child.kill();
  }
});

test('a process without V8 is refused with the reason', async () => {
  const child = spawn('sleep', ['30']);
  try {
    await assert.rejects(GcTracer.start({ pid: child.pid as number, onGc: () => {} }), /process \d+ \(.*sleep\) has no v8::internal::Heap::PerformGarbageCollection in its executable: it is not Node\.js, or its binary is stripped/);
  } finally {
    child.kill();
  }
});
