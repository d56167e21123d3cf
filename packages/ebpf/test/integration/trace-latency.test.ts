/**
 * The latency tracer on a real process whose traced function has known durations: a small C
 * program sleeping 1, 10 and 100 ms per call, which also times each call itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { bucketBounds, bucketOf } from '../../src/trace/histogram.js';
import { LatencyTracer, type SlowCall } from '../../src/trace/latency.js';

let dir: string;
let bin: string;
let child: ChildProcessWithoutNullStreams;
let lines: Interface;
const queue: string[] = [];
let waiting: ((line: string) => void) | undefined;

function nextLine(): Promise<string> {
  const l = queue.shift();
  if (l !== undefined) return Promise.resolve(l);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the target printed nothing for 30 s')), 30_000);
    waiting = (line) => {
      clearTimeout(timer);
      resolve(line);
    };
  });
}

interface TimedCall {
  asked: number;
  took: number;
  start: bigint;
}

/** Runs `call MS N` in the target; returns its own timing of each call. */
async function calls(ms: number, n: number): Promise<TimedCall[]> {
  child.stdin.write(`call ${ms} ${n}\n`);
  const out: TimedCall[] = [];
  for (;;) {
    const line = await nextLine();
    if (line === 'done') return out;
    const m = /^took (\d+) (\d+)$/.exec(line);
    assert.ok(m, `unexpected output ${line}`);
    out.push({ asked: ms, took: Number(m[1]), start: BigInt(m[2]) });
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keelson-latency-'));
  bin = join(dir, 'latency-target');
  execFileSync('gcc', ['-O1', '-g', '-fno-omit-frame-pointer', '-o', bin, join(import.meta.dirname, '..', 'fixtures', 'trace', 'latency-target.c')]);
  child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  lines = createInterface({ input: child.stdout });
  lines.on('line', (l) => {
    const w = waiting;
    waiting = undefined;
    if (w) w(l);
    else queue.push(l);
  });
  assert.match(await nextLine(), /^ready \d+$/);
});

after(() => {
  child?.kill();
  lines?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('calls of 1, 10 and 100 ms land in the buckets of their durations, slow ones with their stacks', async () => {
  const slow: SlowCall[] = [];
  const tracer = await LatencyTracer.start({ pid: child.pid as number, symbol: 'traced_sleep', slowThresholdNs: 5e6, onSlowCall: (c) => slow.push(c) });
  try {
    assert.equal(tracer.histogram().total, 0);
    const timed = [...(await calls(1, 5)), ...(await calls(10, 3)), ...(await calls(100, 2))];
    const took = timed.map((c) => c.took);
    const h = tracer.histogram();
    assert.equal(h.total, 10, 'every call counted once');

    // The probes time the call from inside it, the target from around it: the kernel's duration
    // is at most the target's, and only the trap costs (microseconds) less. A call within 3% above
    // a power of two may therefore land one bucket lower; every other call has exactly one bucket.
    const lower = took.map((ns) => bucketOf(Math.floor(ns * 0.97)));
    const upper = took.map((ns) => bucketOf(ns));
    for (let b = 0; b < 64; b++) {
      const must = took.filter((_, i) => lower[i] === b && upper[i] === b).length;
      const may = took.filter((_, i) => lower[i] === b || upper[i] === b).length;
      assert.ok(h.counts[b] >= must && h.counts[b] <= may, `bucket ${b} ${bucketBounds(b)} holds ${h.counts[b]}, expected ${must}..${may} (calls took ${took.join(', ')} ns)`);
    }
    // p50 is the 5th of 10 calls by duration, p99 the 10th: each in that call's bucket.
    const sorted = [...took].sort((a, b) => a - b);
    for (const [q, ns] of [[0.5, sorted[4]], [0.99, sorted[9]]] as const) {
      const b = bucketOf(Math.floor(h.quantile(q) as number));
      assert.ok(b === bucketOf(ns) || b === bucketOf(Math.floor(ns * 0.97)), `quantile ${q} is in bucket ${b}, the call took ${ns} ns`);
    }

    // Calls of 10 and 100 ms are slower than the 5 ms threshold; a 1 ms call may be too on a
    // loaded machine. Each slow call arrives once, inside the call the target timed, with the
    // caller's stack.
    const deadline = Date.now() + 20_000;
    while (slow.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const matched = new Set<TimedCall>();
    for (const c of slow) {
      const call = timed.find((t) => c.startNs >= t.start && c.startNs <= t.start + BigInt(t.took));
      assert.ok(call && !matched.has(call), `slow call at ${c.startNs} ns matches one timed call`);
      matched.add(call);
      assert.equal(c.pid, child.pid);
      assert.ok(c.durationNs >= 5e6 && c.durationNs >= call.asked * 1e6, `${c.durationNs} ns: over the threshold and at least the ${call.asked} ms asked`);
      assert.ok(c.durationNs <= call.took, `${c.durationNs} ns is at most the ${call.took} ns the caller measured`);
      assert.equal(c.stackError, undefined);
      const names = (c.stack ?? []).map((f) => f.name);
      assert.equal(names[0], 'run_calls', `the return lands in the caller: ${names.join(' < ')}`);
      assert.ok(names.includes('main'), names.join(' < '));
      assert.equal(c.stack?.[0].module, bin);
    }
    for (const t of timed.filter((x) => x.asked >= 10)) assert.ok(matched.has(t), `the ${t.asked} ms call at ${t.start} was reported slow`);
  } finally {
    tracer.close();
  }
});

test('unknown functions and processes fail with what to do', async () => {
  await assert.rejects(LatencyTracer.start({ pid: child.pid as number, symbol: 'no_such_function' }), /no function "no_such_function" in \/proc\/\d+\/exe.*nm -C/);
  await assert.rejects(LatencyTracer.start({ symbol: 'x' }), /pass pid \(trace that process\) or binary/);
});
