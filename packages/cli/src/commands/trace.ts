/**
 * `keelson trace latency` and `keelson trace gc`: eBPF tracers of a running process (root, or
 * CAP_BPF + CAP_PERFMON). Each prints as it goes and a summary when stopped by Ctrl-C or
 * --duration; `--output json` prints one JSON object per line instead of text.
 */
import { readlinkSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
// Types only at load time: `keelson up` must not load the eBPF addon.
import type { GcEvent, Log2Histogram, SlowCall } from '@keelson/ebpf';
import { UsageError } from './up.js';

/** `250ms`, `1s`, `2.5s`, `1m`, `500us`, `100ns` -> nanoseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a duration: write it like 500ms, 1s, 2.5s, 1m or 100us`);
  const scale = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9 }[m[2] as 'ns'];
  return Number(m[1]) * scale;
}

function pidNumber(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`"${v}" is not a process id`);
  return Number(v);
}

export interface TraceLatencyOptions {
  pid?: number;
  binary?: string;
  symbol: string;
  intervalNs: number;
  slowNs?: number;
  durationNs?: number;
  output: 'table' | 'json';
}

export interface TraceGcOptions {
  pid: number;
  durationNs?: number;
  output: 'table' | 'json';
}

const ms = (ns: number): string => `${(ns / 1e6).toFixed(ns < 1e7 ? 3 : 1)}ms`;
const clock = (): string => new Date().toISOString().slice(11, 23);

/** Resolves when Ctrl-C, SIGTERM or the duration ends it. */
function untilStopped(durationNs: number | undefined, out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const stop = (why?: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      clearTimeout(timer);
      if (why) out.write(`\n${why}: stopping\n`);
      resolve();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    const timer = durationNs !== undefined ? setTimeout(() => stop(), durationNs / 1e6) : undefined;
  });
}

function checkPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new UsageError(`no process ${pid}: pass the pid of a running process (pgrep -f NAME finds it)`);
  }
}

export async function traceLatency(o: TraceLatencyOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (o.pid === undefined && o.binary === undefined) throw new UsageError('trace latency needs --pid (one process) or --binary (every process running it)');
  checkPid(o.pid);
  const { LatencyTracer, formatFrame, formatDuration } = await import('@keelson/ebpf');
  const json = o.output === 'json';
  const onSlowCall = (c: SlowCall): void => {
    if (json) {
      out.write(JSON.stringify({ type: 'slow', pid: c.pid, tid: c.tid, durationNs: c.durationNs, stack: c.stack?.map((f) => ({ name: f.name, offset: f.offset, module: f.module })), stackError: c.stackError }) + '\n');
      return;
    }
    const lines = c.stack ? c.stack.map((f) => `    ${formatFrame(f)}`) : [`    (no stack: ${c.stackError})`];
    out.write(`${clock()}  slow call ${ms(c.durationNs)} (pid ${c.pid} tid ${c.tid}), called from:\n${lines.join('\n')}\n`);
  };
  const tracer = await LatencyTracer.start({ pid: o.pid, binary: o.binary, symbol: o.symbol, slowThresholdNs: o.slowNs, onSlowCall: o.slowNs ? onSlowCall : undefined });
  const started = tracer.histogram();
  let last = started;
  const where = `${o.symbol}${tracer.symbol !== o.symbol ? ` (${tracer.symbol})` : ''} in ${tracer.binary}${o.pid ? `, pid ${o.pid}` : ', every process'}`;
  if (json) out.write(JSON.stringify({ type: 'start', symbol: tracer.symbol, binary: tracer.binary, pid: o.pid ?? null }) + '\n');
  else out.write(`Tracing ${where}. Every ${formatDuration(o.intervalNs)}: calls, p50, p99 and the histogram${o.slowNs ? `; calls over ${formatDuration(o.slowNs)} with their stacks` : ''}. Ctrl-C stops.\n`);
  const report = (h: Log2Histogram, label: string): void => {
    const p50 = h.quantile(0.5);
    const p99 = h.quantile(0.99);
    if (json) {
      const buckets = h.counts.flatMap((count, i) => (count ? [{ lowNs: i === 0 ? 0 : 2 ** i, highNs: 2 ** (i + 1), count }] : []));
      out.write(JSON.stringify({ type: label, calls: h.total, p50Ns: p50 ?? null, p99Ns: p99 ?? null, buckets }) + '\n');
      return;
    }
    out.write(`${clock()}  ${label === 'interval' ? '' : 'total: '}calls ${h.total}${h.total ? `  p50 ${formatDuration(p50 as number)}  p99 ${formatDuration(p99 as number)}` : ''}\n`);
    if (h.total) out.write(h.render());
  };
  const timer = setInterval(() => {
    const now = tracer.histogram();
    report(now.since(last), 'interval');
    last = now;
  }, o.intervalNs / 1e6);
  try {
    // JSON output stays JSON: the notice goes to stderr.
    await untilStopped(o.durationNs, json ? process.stderr : out);
  } finally {
    clearInterval(timer);
    try {
      report(tracer.histogram().since(started), 'summary');
    } finally {
      tracer.close();
    }
  }
}

export async function traceGc(o: TraceGcOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  checkPid(o.pid);
  const { GcTracer } = await import('@keelson/ebpf');
  const json = o.output === 'json';
  const mb = (b: number | undefined): string => (b === undefined ? '?' : `${(b / 2 ** 20).toFixed(1)} MB`);
  const seen: GcEvent[] = [];
  const tracer = await GcTracer.start({
    pid: o.pid,
    onGc: (gc) => {
      seen.push(gc);
      if (json) {
        out.write(JSON.stringify({ type: 'gc', ...gc, startNs: String(gc.startNs) }) + '\n');
        return;
      }
      const heap = gc.heapBefore !== undefined ? `  heap ${mb(gc.heapBefore)} -> ${mb(gc.heapAfter)}` : '';
      out.write(`${clock()}  ${gc.collector.padEnd(16)} ${ms(gc.durationNs).padStart(9)}${heap}  ${gc.reason}${gc.reasonText ? ` (${gc.reasonText})` : ''}\n`);
    },
  });
  const exe = readlinkSync(`/proc/${o.pid}/exe`);
  if (json) out.write(JSON.stringify({ type: 'start', pid: o.pid, binary: exe, heapSizes: tracer.readsHeapSize }) + '\n');
  else out.write(`Tracing garbage collections of pid ${o.pid} (${exe})${tracer.readsHeapSize ? '' : '; heap sizes unavailable: Heap::SizeOfObjects not found'}. Ctrl-C stops.\n`);
  try {
    await untilStopped(o.durationNs, json ? process.stderr : out);
  } finally {
    tracer.close();
  }
  const total = seen.reduce((s, g) => s + g.durationNs, 0);
  const max = seen.reduce((m, g) => Math.max(m, g.durationNs), 0);
  const major = seen.filter((g) => g.kind === 'major').length;
  if (json) out.write(JSON.stringify({ type: 'summary', collections: seen.length, major, minor: seen.length - major, totalPauseNs: total, maxPauseNs: max }) + '\n');
  else out.write(`${seen.length} collections (${seen.length - major} minor, ${major} major), total pause ${ms(total)}, longest ${ms(max)}\n`);
}

/** Adds `keelson trace latency` and `keelson trace gc`. */
export function registerTraceCommands(program: Command): void {
  const trace = program.command('trace').description('trace running processes with eBPF: function latency, GC pauses (needs root)');
  const output = (): Option => new Option('--output <format>', 'text as it happens, or one JSON object per line').env('KEELSON_OUTPUT').choices(['table', 'json']).default('table');
  const duration = (): Option => new Option('--duration <time>', 'stop after this long (default: at Ctrl-C)').env('KEELSON_DURATION').argParser(parseDuration);
  trace
    .command('latency')
    .description('latency of one function: a log2 histogram with p50/p99 per interval, and the stacks of slow calls')
    .addOption(new Option('--pid <pid>', 'the process to trace').env('KEELSON_PID').argParser(pidNumber))
    .addOption(new Option('--binary <path>', 'the binary or library holding the function (default: the process\'s executable)').env('KEELSON_BINARY'))
    .addOption(new Option('--symbol <name>', 'the function: a C name, a qualified C++ name, or a mangled name').env('KEELSON_SYMBOL').makeOptionMandatory())
    .addOption(new Option('--interval <time>', 'how often to print the histogram').env('KEELSON_INTERVAL').default(1e9, '1s').argParser(parseDuration))
    .addOption(new Option('--slow <time>', 'print calls at least this slow with their stacks').env('KEELSON_SLOW').argParser(parseDuration))
    .addOption(duration())
    .addOption(output())
    .addHelpText('after', '\nExamples:\n  keelson trace latency --pid $(pgrep -n node) --symbol uv_run --slow 50ms\n  keelson trace latency --pid 1234 --symbol node::InternalCallbackScope::Close --interval 5s --output json\n')
    .exitOverride()
    .action(async (o) => {
      await traceLatency({ pid: o.pid, binary: o.binary, symbol: o.symbol, intervalNs: o.interval, slowNs: o.slow, durationNs: o.duration, output: o.output });
    });
  trace
    .command('gc')
    .description('garbage-collection pauses of a Node.js process: collector, reason, pause, heap before and after')
    .addOption(new Option('--pid <pid>', 'the Node.js process').env('KEELSON_PID').argParser(pidNumber).makeOptionMandatory())
    .addOption(duration())
    .addOption(output())
    .addHelpText('after', '\nExample:\n  keelson trace gc --pid $(pgrep -n node) --duration 30s\n')
    .exitOverride()
    .action(async (o) => {
      await traceGc({ pid: o.pid, durationNs: o.duration, output: o.output });
    });
  trace.exitOverride();
}
