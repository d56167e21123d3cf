/**
 * Function latency of a running process: a uprobe at the function's entry and a uretprobe at its
 * return (latency.bpf.c) fill a log2 histogram in the kernel; calls slower than a threshold also
 * arrive one by one with the caller's user stack, named from the binaries' symbol tables.
 *
 * ```ts
 * const t = await LatencyTracer.start({ pid, symbol: 'uv_run', slowThresholdNs: 10e6, onSlowCall: (c) => log(c) });
 * setInterval(() => { const h = t.histogram(); console.log(h.quantile(0.99)); }, 1000);
 * t.close();
 * ```
 *
 * Costs one trap per entry and one per return: ~5 µs a call on the project's VM (bench/ebpf).
 * Fine for requests, I/O and GC; too much for a function called millions of times a second.
 */
import { readlinkSync } from 'node:fs';
import { i32, struct, u32, u64, u64Number, type Infer } from '../codec.js';
import type { BpfObject } from '../object.js';
import type { Link } from '../link.js';
import type { BpfMap } from '../map.js';
import { LATENCY_BUCKETS, Log2Histogram } from './histogram.js';
import { StackSymbolizer, type Frame } from './stack-symbolizer.js';
import { resolveFunction } from './symbols.js';

const latencyConfig = struct({ slowThresholdNs: u64, tgid: u32, pad: u32 });
const slowEvent = struct({ startNs: u64, durationNs: u64Number, tgid: u32, tid: u32, userStackId: i32, pad: u32 });
const STACK_DEPTH = 127;
const EEXIST = 17;

export interface SlowCall {
  pid: number;
  tid: number;
  /** CLOCK_MONOTONIC at entry, ns (process.hrtime.bigint() in the traced process reads the same clock). */
  startNs: bigint;
  durationNs: number;
  /** The caller's stack, innermost first; undefined when the kernel could not capture it (see stackError). */
  stack?: Frame[];
  stackError?: string;
}

export interface LatencyTracerOptions {
  /** Trace only this process (its binary is /proc/PID/exe unless `binary` names a library it uses). */
  pid?: number;
  /** The binary or shared library holding the function; default /proc/PID/exe. */
  binary?: string;
  /** The function: a C name, a qualified C++ name (`node::LoadEnvironment`), or an exact mangled name. */
  symbol: string;
  /** Calls at least this slow (ns) arrive in onSlowCall with their stack. 0 or absent: none. */
  slowThresholdNs?: number;
  onSlowCall?: (call: SlowCall) => void;
  /** Errors of the event reader (otherwise they are thrown from the event loop). */
  onError?: (err: Error) => void;
  /** Loads latency.bpf.c; tests and embedders may inject their own loader. */
  load?: () => Promise<BpfObject>;
}

/** Opens and loads one of the package's BPF objects (lazily imported: parsing and math never need the addon). */
export async function loadObject(name: string): Promise<BpfObject> {
  const [{ BpfObject }, { objectPath }] = await Promise.all([import('../object.js'), import('../paths.js')]);
  const obj = BpfObject.open(objectPath(name));
  try {
    await obj.load();
  } catch (err) {
    obj.close();
    throw err;
  }
  return obj;
}

export class LatencyTracer {
  readonly binary: string;
  /** The resolved (mangled) symbol name. */
  readonly symbol: string;
  readonly pid: number | undefined;
  private readonly obj: BpfObject;
  private readonly links: Link[] = [];
  private symbolizer?: StackSymbolizer;
  private closed = false;

  private constructor(obj: BpfObject, binary: string, symbol: string, pid: number | undefined) {
    this.obj = obj;
    this.binary = binary;
    this.symbol = symbol;
    this.pid = pid;
  }

  static async start(opts: LatencyTracerOptions): Promise<LatencyTracer> {
    if (opts.pid === undefined && opts.binary === undefined) throw new TypeError('LatencyTracer: pass pid (trace that process) or binary (trace every process running it)');
    const binary = opts.binary ?? readlinkSync(`/proc/${opts.pid}/exe`);
    // Symbols are read from the file the process really runs, even inside a container.
    const symbolFile = opts.binary ?? `/proc/${opts.pid}/exe`;
    const sym = resolveFunction(symbolFile, opts.symbol);
    const obj = await (opts.load ?? (() => loadObject('latency')))();
    const t = new LatencyTracer(obj, binary, sym.name, opts.pid);
    try {
      obj.map('latency_config', { key: u32, value: latencyConfig }).update(0, { slowThresholdNs: BigInt(Math.round(opts.slowThresholdNs ?? 0)), tgid: opts.pid ?? 0, pad: 0 });
      if (opts.onSlowCall && opts.slowThresholdNs) {
        const onSlow = opts.onSlowCall;
        if (opts.pid !== undefined) t.symbolizer = new StackSymbolizer(opts.pid);
        const stacks = obj.map('latency_stacks', { key: u32 });
        obj.ringBuffer(
          'latency_events',
          (batch) => {
            for (const e of batch.decode(slowEvent)) onSlow(t.slowCall(e, stacks));
          },
          { onError: opts.onError },
        );
      }
      // Return probe first: an entry without its return would leave a stale start time behind.
      t.links.push(obj.program('latency_exit').attachUprobe({ binary: symbolFile, offset: sym.offset, pid: opts.pid, retprobe: true }));
      t.links.push(obj.program('latency_enter').attachUprobe({ binary: symbolFile, offset: sym.offset, pid: opts.pid }));
    } catch (err) {
      t.close();
      throw err;
    }
    return t;
  }

  private slowCall(e: Infer<typeof slowEvent>, stacks: BpfMap<number, Uint8Array>): SlowCall {
    const call: SlowCall = { pid: e.tgid, tid: e.tid, startNs: e.startNs, durationNs: e.durationNs };
    if (e.userStackId < 0) {
      call.stackError = -e.userStackId === EEXIST ? 'stack table full (4096 distinct stacks)' : `bpf_get_stackid failed (errno ${-e.userStackId})`;
      return call;
    }
    const raw = stacks.lookup(e.userStackId);
    if (!raw) {
      call.stackError = 'stack no longer in the stack map';
      return call;
    }
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const addrs: bigint[] = [];
    for (let i = 0; i < STACK_DEPTH; i++) {
      const a = v.getBigUint64(i * 8, true);
      if (a === 0n) break;
      addrs.push(a);
    }
    if (!this.symbolizer || this.symbolizer.pid !== e.tgid) {
      try {
        this.symbolizer = new StackSymbolizer(e.tgid);
      } catch {
        call.stackError = `process ${e.tgid} exited before its stack could be named`;
        call.stack = addrs.map((a) => ({ address: Number(a), module: '[unknown]' }));
        return call;
      }
    }
    call.stack = this.symbolizer.symbolize(addrs);
    return call;
  }

  /** Every call since start, by log2 bucket (summed over CPUs). Read twice and subtract for an interval. */
  histogram(): Log2Histogram {
    const m = this.obj.perCpuMap('latency_hist', { key: u32, value: u64 });
    const perBucket: bigint[][] = [];
    for (let i = 0; i < LATENCY_BUCKETS; i++) perBucket.push(m.lookup(i) ?? []);
    return Log2Histogram.fromPerCpu(perBucket);
  }

  /** Detaches the probes and unloads the program. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.links.splice(0)) l.close();
    this.obj.close();
  }
}
