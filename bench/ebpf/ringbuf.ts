/**
 * Ring-buffer events delivered into JavaScript per second, against bpftrace on the same workload.
 *
 * Workload: a small C program (trigger.c) calls getppid(2) in a loop for a few seconds; on each
 * call, a tracepoint program emits 64 events of 16 bytes (packages/ebpf/bpf/bench/
 * ringbuf_bench.bpf.c: `{ u64 seq; u32 cpu; u32 index; }` into a 16 MiB ring buffer). The kernel
 * produces far faster than a reader takes, so the reader is what is measured; events that find
 * the ring full are dropped and counted by the program.
 *
 * Subjects (each in this process, one after the other, every run):
 * - keelson RingBufferReader, packed batches (default): one ArrayBuffer per wakeup, each event's
 *   `index` read through EventBatch.forEach's shared DataView (touched in JS, nothing allocated).
 * - keelson RingBufferReader, `delivery: 'buffers'`: one Buffer per event (the alternative design).
 * - bpftrace (Debian 0.17), the peer: the same trigger and tracepoint, `unroll(64) printf(...)` per
 *   call; bpftrace moves printf records through a perf buffer and writes text lines, here to a file
 *   on tmpfs; lines counted afterwards, "Lost N events" lines parsed.
 *
 * events_per_s = events that reached the consumer / (from "go" to the last event received).
 * cpu_ns_per_event = the consumer's CPU time (this process, or the bpftrace process) per event.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BpfObject, objectPath, u32, u64Number } from '@keelson/ebpf';
import type { ResultRow } from '../lib/results.js';
import { round, summarize } from '../lib/stats.js';

const EVENTS_PER_CALL = 64;
const TARGET_EVENTS_PER_S = 1_000_000;
const here = dirname(fileURLToPath(import.meta.url));

export interface RingbufOptions {
  runs: number;
  seconds: number;
  progress: (line: string) => void;
}

interface RunResult {
  delivered: number;
  dropped: number;
  elapsedS: number;
  cpuS: number;
  batches?: number;
  calls: number;
}

function startTrigger(bin: string, seconds: number): ChildProcess {
  return spawn(bin, [String(seconds)], { stdio: ['pipe', 'pipe', 'inherit'] });
}

async function finish(trigger: ChildProcess): Promise<{ calls: number; seconds: number }> {
  let out = '';
  trigger.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => trigger.once('exit', resolve));
  if (code !== 0) throw new Error(`trigger exited with ${code}`);
  const [calls, seconds] = out.trim().split(' ').map(Number);
  return { calls, seconds };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runKeelson(trigger: string, seconds: number, delivery: 'packed' | 'buffers'): Promise<RunResult> {
  const child = startTrigger(trigger, seconds);
  const obj = BpfObject.open(objectPath('bench/ringbuf_bench'));
  try {
    obj.setGlobal('target_tgid', u32, child.pid!);
    await obj.load();
    obj.program('emit').attach();
    let delivered = 0;
    let batches = 0;
    let checksum = 0;
    let lastAt = 0;
    obj.ringBuffer(
      'events',
      (batch) => {
        batch.forEach((view, offset) => {
          checksum += view.getUint32(offset + 12, true);
        });
        delivered += batch.count;
        batches++;
        lastAt = performance.now();
      },
      { delivery },
    );
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    child.stdin!.end('go\n');
    const { calls } = await finish(child);
    // Drain what the ring still holds: done when everything produced has arrived (or nothing has
    // for a second, which the check below reports).
    for (let seen = -1, still = 0; delivered < obj.getGlobal('produced', u64Number) && still < 20; ) {
      still = delivered === seen ? still + 1 : 0;
      seen = delivered;
      await sleep(50);
    }
    const cpu = process.cpuUsage(cpu0);
    const produced = obj.getGlobal('produced', u64Number);
    const dropped = obj.getGlobal('dropped', u64Number);
    if (delivered !== produced) throw new Error(`keelson (${delivery}): ${produced} events produced, ${delivered} delivered`);
    if (checksum === 0 && delivered > 0) throw new Error('events were not read');
    return { delivered, dropped, elapsedS: (lastAt - t0) / 1000, cpuS: (cpu.user + cpu.system) / 1e6, batches, calls };
  } finally {
    obj.close();
    child.kill();
  }
}

function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (USER_HZ = 100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function runBpftrace(trigger: string, seconds: number, dir: string): Promise<RunResult> {
  const out = join(dir, 'bpftrace.out');
  rmSync(out, { force: true });
  const child = startTrigger(trigger, seconds);
  const script = `tracepoint:syscalls:sys_enter_getppid /pid == ${child.pid}/ { unroll(${EVENTS_PER_CALL}) { printf("%lu %u\\n", nsecs, cpu); } }`;
  const bt = spawn('bpftrace', ['-o', out, '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  bt.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const deadline = Date.now() + 30_000;
    while (!(existsSync(out) && readFileSync(out, 'utf8').includes('Attaching'))) {
      if (bt.exitCode !== null || Date.now() > deadline) throw new Error(`bpftrace did not attach: ${stderr}`);
      await sleep(20);
    }
    const t0 = performance.now();
    child.stdin!.end('go\n');
    const { calls } = await finish(child);
    // bpftrace drains its perf buffers and writes; done when the file stops growing.
    let size = -1;
    let lastAt = performance.now();
    for (let stable = 0; stable < 10; ) {
      await sleep(30);
      const s = statSync(out).size;
      if (s !== size) {
        size = s;
        lastAt = performance.now();
        stable = 0;
      } else stable++;
    }
    const cpuS = cpuSecondsOf(bt.pid!);
    bt.kill('SIGINT');
    await new Promise((resolve) => bt.once('exit', resolve));
    const text = readFileSync(out, 'utf8');
    let delivered = 0;
    let lost = 0;
    for (const line of text.split('\n')) {
      if (/^\d+ \d+$/.test(line)) delivered++;
      else {
        const m = /Lost (\d+) events/.exec(line);
        if (m) lost += Number(m[1]);
      }
    }
    return { delivered, dropped: lost, elapsedS: (lastAt - t0) / 1000, cpuS, calls };
  } finally {
    bt.kill('SIGKILL');
    child.kill();
  }
}

export async function ringbufRows(opts: RingbufOptions): Promise<ResultRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-ebpf-'));
  const trigger = join(dir, 'trigger');
  execFileSync('gcc', ['-O2', '-o', trigger, join(here, 'trigger.c')]);
  const bpftraceVersion = execFileSync('bpftrace', ['--version'], { encoding: 'utf8' }).trim();
  const subjects = [
    { name: 'keelson RingBufferReader (packed batches)', run: () => runKeelson(trigger, opts.seconds, 'packed'), primary: true },
    { name: "keelson RingBufferReader (delivery: 'buffers', a Buffer per event)", run: () => runKeelson(trigger, opts.seconds, 'buffers'), primary: false },
    { name: `${bpftraceVersion} (printf through its perf buffer, to a tmpfs file)`, run: () => runBpftrace(trigger, opts.seconds, dir), primary: false },
  ];
  const results = new Map<string, RunResult[]>();
  try {
    for (let r = 0; r < opts.runs; r++) {
      // Alternate the order between runs, so drift in the machine's load falls on every subject.
      const order = r % 2 === 0 ? subjects : [...subjects].reverse();
      for (const s of order) {
        const res = await s.run();
        const list = results.get(s.name) ?? [];
        list.push(res);
        results.set(s.name, list);
        opts.progress(
          `run ${r + 1}/${opts.runs} ${s.name}: ${Math.round(res.delivered / res.elapsedS).toLocaleString('en-US')} events/s ` +
            `(${res.delivered.toLocaleString('en-US')} delivered, ${res.dropped.toLocaleString('en-US')} dropped, ${res.calls.toLocaleString('en-US')} calls, ${res.elapsedS.toFixed(2)} s` +
            `${res.batches ? `, ${Math.round(res.delivered / res.batches)} events a batch` : ''}, ${Math.round((res.cpuS * 1e9) / Math.max(1, res.delivered))} ns CPU an event)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const kase = `tracepoint, ${EVENTS_PER_CALL} x 16-byte events per getppid(2) call, ${opts.seconds} s per run`;
  const rows: ResultRow[] = [];
  for (const s of subjects) {
    const list = results.get(s.name)!;
    const rate = summarize(list.map((x) => x.delivered / x.elapsedS));
    const extra: Record<string, unknown> = {
      min: round(rate.min),
      max: round(rate.max),
      runs: rate.runs,
      dropped_ratio: round(summarize(list.map((x) => x.dropped / Math.max(1, x.delivered + x.dropped))).value, 4),
      producer_calls_per_s: round(summarize(list.map((x) => x.calls / x.elapsedS)).value),
    };
    if (s.primary) Object.assign(extra, { target: `>= ${TARGET_EVENTS_PER_S.toLocaleString('en-US')} events/s in batches`, met: rate.value >= TARGET_EVENTS_PER_S });
    const batches = list.filter((x) => x.batches).map((x) => x.delivered / x.batches!);
    if (batches.length) extra.events_per_batch = Math.round(summarize(batches).value);
    rows.push({ subject: s.name, case: kase, metric: 'events_per_s', value: round(rate.value), unit: 'events/s', ...extra });
    const cpu = summarize(list.map((x) => (x.cpuS * 1e9) / Math.max(1, x.delivered)));
    rows.push({ subject: s.name, case: kase, metric: 'consumer_cpu_ns_per_event', value: round(cpu.value), unit: 'ns', min: round(cpu.min), max: round(cpu.max), runs: cpu.runs });
  }
  return rows;
}
