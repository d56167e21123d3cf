/**
 * The tracers: what a traced call costs, and how the GC pauses compare with perf_hooks.
 *
 * ns_per_call: a C program (packages/ebpf/test/fixtures/trace/latency-target.c) calls a noinline
 * function in a loop and times the loop. Subjects, each on a fresh process, every run:
 * - no probes: the loop alone (the floor);
 * - keelson LatencyTracer: uprobe + uretprobe on the function, log2 histogram (latency.bpf.c);
 * - bpftrace (the peer), the same pair: `@s[tid] = nsecs` at entry, `hist(nsecs - @s[tid])` at return.
 * overhead_ns_per_call = traced - floor.
 *
 * gc_pause_diff_ms: a Node.js process forces collections (test/fixtures/trace/gc-target.mjs) while
 * GcTracer watches; for each collection, its perf_hooks entry's duration minus the traced pause
 * (perf_hooks times from the GC prologue callbacks to the epilogue ones, around the pause).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
// From the sources until @keelson/ebpf's index re-exports src/trace (then: from '@keelson/ebpf').
import { GcTracer, LatencyTracer, PERF_HOOKS_GC_KIND, type GcEvent } from '@keelson/ebpf';
import type { ResultRow } from '../lib/results.js';
import { median, percentile, round, summarize } from '../lib/stats.js';

export interface TraceBenchOptions {
  runs: number;
  seconds: number;
  progress: (line: string) => void;
}

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'ebpf', 'test', 'fixtures', 'trace');

/** A process that answers one line per command on stdout. */
function lineProcess(cmd: string, args: string[]): { child: ChildProcessWithoutNullStreams; next: () => Promise<string> } {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  createInterface({ input: child.stdout }).on('line', (l) => {
    queue.push(l);
    wake?.();
  });
  const next = async (): Promise<string> => {
    const deadline = Date.now() + 120_000;
    while (queue.length === 0) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${cmd} gave no answer`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
    return queue.shift() as string;
  };
  return { child, next };
}

async function spin(target: ReturnType<typeof lineProcess>, calls: number): Promise<number> {
  target.child.stdin.write(`spin ${calls}\n`);
  const line = await target.next();
  const m = /^spin (\d+) 1$/.exec(line);
  if (!m) throw new Error(`unexpected answer ${line}`);
  if ((await target.next()) !== 'done') throw new Error('target out of step');
  return Number(m[1]) / calls;
}

async function withTarget<T>(bin: string, fn: (t: ReturnType<typeof lineProcess>, pid: number) => Promise<T>): Promise<T> {
  const t = lineProcess(bin, []);
  try {
    const ready = await t.next();
    if (!/^ready \d+$/.test(ready)) throw new Error(`target said ${ready}`);
    return await fn(t, t.child.pid as number);
  } finally {
    t.child.kill();
  }
}

async function withBpftrace<T>(bin: string, pid: number, fn: () => Promise<T>): Promise<T> {
  const script = `uprobe:${bin}:traced_noop { @s[tid] = nsecs; } uretprobe:${bin}:traced_noop /@s[tid]/ { @h = hist(nsecs - @s[tid]); delete(@s[tid]); }`;
  const bt = spawn('bpftrace', ['-p', String(pid), '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (/Attaching 2 probes/.test(out)) resolve();
      };
      bt.stdout.on('data', onData);
      bt.stderr.on('data', (d: Buffer) => (out += d.toString()));
      bt.once('exit', (code) => reject(new Error(`bpftrace exited (${code}) before attaching: ${out}`)));
      bt.once('error', reject);
    });
    // "Attaching" is printed before the probes are in place; give them a moment.
    await new Promise((r) => setTimeout(r, 500));
    return await fn();
  } finally {
    bt.kill('SIGINT');
    await new Promise((r) => (bt.exitCode !== null ? r(undefined) : bt.once('exit', r)));
  }
}

export async function traceRows(opts: TraceBenchOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'keelson-trace-bench-'));
  try {
    const bin = join(dir, 'latency-target');
    execFileSync('gcc', ['-O1', '-g', '-fno-omit-frame-pointer', '-o', bin, join(fixtures, 'latency-target.c')]);
    // Calls per measurement: ~1 s of traced calls at the ~5 µs a pair costs here.
    const tracedCalls = Math.max(20_000, Math.round(opts.seconds * 70_000));
    const floorCalls = 20_000_000;
    const per: Record<'floor' | 'keelson' | 'bpftrace', number[]> = { floor: [], keelson: [], bpftrace: [] };
    for (let r = 0; r < opts.runs; r++) {
      per.floor.push(await withTarget(bin, (t) => spin(t, floorCalls)));
      per.keelson.push(
        await withTarget(bin, async (t, pid) => {
          const tracer = await LatencyTracer.start({ pid, symbol: 'traced_noop' });
          try {
            const ns = await spin(t, tracedCalls);
            const counted = tracer.histogram().total;
            if (counted !== tracedCalls) throw new Error(`the histogram counted ${counted} of ${tracedCalls} calls`);
            return ns;
          } finally {
            tracer.close();
          }
        }),
      );
      per.bpftrace.push(await withTarget(bin, (t, pid) => withBpftrace(bin, pid, () => spin(t, tracedCalls))));
      opts.progress(`trace run ${r + 1}/${opts.runs}: floor ${round(per.floor.at(-1)!)} ns, keelson ${round(per.keelson.at(-1)!)} ns, bpftrace ${round(per.bpftrace.at(-1)!)} ns per call`);
    }
    const floor = median(per.floor);
    const push = (subject: string, samples: number[]): void => {
      const s = summarize(samples);
      rows.push({ subject, case: 'noinline C function', metric: 'ns_per_call', value: round(s.value), unit: 'ns', min: round(s.min), max: round(s.max), runs: s.runs });
      if (subject !== 'no probes (floor)') {
        rows.push({ subject, case: 'noinline C function', metric: 'overhead_ns_per_call', value: round(s.value - floor), unit: 'ns', runs: s.runs });
      }
    };
    push('no probes (floor)', per.floor);
    push('keelson LatencyTracer (uprobe+uretprobe)', per.keelson);
    push('bpftrace 0.17 (uprobe+uretprobe, hist)', per.bpftrace);

    // GC pauses against perf_hooks.
    const diffs: number[] = [];
    let collections = 0;
    for (let r = 0; r < opts.runs; r++) {
      const target = lineProcess(process.execPath, ['--expose-gc', join(fixtures, 'gc-target.mjs'), '4']);
      try {
        if (!/^ready/.test(await target.next())) throw new Error('gc target not ready');
        const events: GcEvent[] = [];
        const tracer = await GcTracer.start({ pid: target.child.pid as number, onGc: (e) => events.push(e) });
        try {
          target.child.stdin.write('go\n');
          const report = JSON.parse(await target.next()) as { goNs: string; doneNs: string; entries: { kind: number; startNs: string; durationNs: number }[] };
          const [go, done] = [BigInt(report.goNs), BigInt(report.doneNs)];
          const perf = report.entries.filter((e) => e.kind === PERF_HOOKS_GC_KIND.minor || e.kind === PERF_HOOKS_GC_KIND.major);
          const seen = events.filter((e) => e.startNs >= go && e.startNs <= done);
          if (perf.length !== seen.length) throw new Error(`${seen.length} traced collections vs ${perf.length} perf_hooks entries`);
          seen.forEach((e, i) => diffs.push((perf[i].durationNs - e.durationNs) / 1e6));
          collections += seen.length;
        } finally {
          tracer.close();
        }
      } finally {
        target.child.kill();
      }
    }
    rows.push({ subject: 'keelson GcTracer', case: `${collections} collections vs perf_hooks`, metric: 'gc_pause_diff_ms', value: round(median(diffs), 3), unit: 'ms', p95: round(percentile(diffs, 95), 3), max: round(Math.max(...diffs), 3), runs: opts.runs });
    opts.progress(`gc: ${collections} collections, perf_hooks - traced pause median ${round(median(diffs), 3)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
