/**
 * Garbage-collection pauses of a running Node.js process, from outside it: uprobe + uretprobe on
 * V8's `Heap::PerformGarbageCollection` and a uretprobe on `Heap::SizeOfObjects` (gc.bpf.c), one
 * event per collection with its collector, reason, pause and live heap before and after.
 *
 * ```ts
 * const t = await GcTracer.start({ pid, onGc: (gc) => console.log(gc.collector, gc.durationNs / 1e6, gc.heapBefore, gc.heapAfter) });
 * ```
 *
 * The pause is the main thread's time inside the collection (what --trace-gc prints); perf_hooks'
 * `gc` entries also include the embedder callbacks around it, so they read slightly longer.
 * Incremental marking steps and concurrent marking are not pauses and are not reported.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { cstring, struct, u32, u64, u64Number, type Infer } from '../codec.js';
import type { BpfObject } from '../object.js';
import type { Link } from '../link.js';
import { loadObject } from './latency.js';
import { resolveFunction, SymbolNotFoundError } from './symbols.js';
import { collectorName, gcKind, GC_SYMBOLS, reasonName, type GcKind } from './v8-gc.js';

const gcConfig = struct({ tgid: u32, pad: u32 });
const gcEvent = struct({
  startNs: u64,
  durationNs: u64Number,
  heapBefore: u64Number,
  heapAfter: u64Number,
  tgid: u32,
  tid: u32,
  collector: u32,
  reason: u32,
  flags: u32,
  pad: u32,
  reasonText: cstring(64),
});
const HEAP_BEFORE = 1;
const HEAP_AFTER = 2;

export interface GcEvent {
  pid: number;
  tid: number;
  /** CLOCK_MONOTONIC at the start of the pause, ns: the clock of process.hrtime.bigint(). */
  startNs: bigint;
  durationNs: number;
  /** `scavenge`, `mark-compact`, `minor-mark-sweep`. */
  collector: string;
  /** perf_hooks' kind: minor (young generation) or major. */
  kind: GcKind;
  /** V8's reason (`allocation failure`, `testing` for gc(), ...). */
  reason: string;
  reasonCode: number;
  /** The free-text reason V8 passes along, when it does (`GC in old space requested`). */
  reasonText?: string;
  /** Live heap bytes (Heap::SizeOfObjects) when the pause began and ended, when readable. */
  heapBefore?: number;
  heapAfter?: number;
}

export interface GcTracerOptions {
  pid: number;
  /** The node binary or libnode.so holding V8; default: found from /proc/PID/exe and /proc/PID/maps. */
  binary?: string;
  onGc: (gc: GcEvent) => void;
  onError?: (err: Error) => void;
  load?: () => Promise<BpfObject>;
}

/** The file of `pid` that holds V8's heap code: the executable itself, or a libnode.so it maps. */
export function findV8Binary(pid: number): string {
  const exe = `/proc/${pid}/exe`;
  try {
    resolveFunction(exe, GC_SYMBOLS.pause);
    return exe;
  } catch (err) {
    if (!(err instanceof SymbolNotFoundError)) throw err;
    const libs = new Set<string>();
    for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
      const path = line.split(/\s+/)[5];
      if (path && /\/libnode\.so/.test(path)) libs.add(path);
    }
    for (const lib of libs) {
      const p = `/proc/${pid}/root${lib}`;
      try {
        resolveFunction(p, GC_SYMBOLS.pause);
        return p;
      } catch {
        // try the next one
      }
    }
    throw new SymbolNotFoundError(
      `process ${pid} (${readlinkSync(exe)}) has no ${GC_SYMBOLS.pause} in its executable${libs.size ? ` or in ${[...libs].join(', ')}` : ''}: ` +
        'it is not Node.js, or its binary is stripped (Debian ships symbols in a -dbgsym package; nodejs.org builds keep them)',
    );
  }
}

export class GcTracer {
  readonly pid: number;
  readonly binary: string;
  /** Whether heap before/after can be read (Heap::SizeOfObjects was found). */
  readonly readsHeapSize: boolean;
  private readonly obj: BpfObject;
  private readonly links: Link[] = [];
  private closed = false;

  private constructor(obj: BpfObject, pid: number, binary: string, readsHeapSize: boolean) {
    this.obj = obj;
    this.pid = pid;
    this.binary = binary;
    this.readsHeapSize = readsHeapSize;
  }

  static async start(opts: GcTracerOptions): Promise<GcTracer> {
    const binary = opts.binary ?? findV8Binary(opts.pid);
    const pause = resolveFunction(binary, GC_SYMBOLS.pause);
    let heapSize: ReturnType<typeof resolveFunction> | undefined;
    try {
      heapSize = resolveFunction(binary, GC_SYMBOLS.heapSize);
    } catch (err) {
      if (!(err instanceof SymbolNotFoundError)) throw err;
    }
    const obj = await (opts.load ?? (() => loadObject('gc')))();
    const t = new GcTracer(obj, opts.pid, binary, heapSize !== undefined);
    try {
      obj.map('gc_config', { key: u32, value: gcConfig }).update(0, { tgid: opts.pid, pad: 0 });
      const onGc = opts.onGc;
      obj.ringBuffer(
        'gc_events',
        (batch) => {
          for (const e of batch.decode(gcEvent)) onGc(toGcEvent(e));
        },
        { onError: opts.onError },
      );
      const at = { binary, pid: opts.pid };
      t.links.push(obj.program('gc_exit').attachUprobe({ ...at, offset: pause.offset, retprobe: true }));
      if (heapSize) t.links.push(obj.program('gc_heap_size').attachUprobe({ ...at, offset: heapSize.offset, retprobe: true }));
      t.links.push(obj.program('gc_enter').attachUprobe({ ...at, offset: pause.offset }));
    } catch (err) {
      t.close();
      throw err;
    }
    return t;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.links.splice(0)) l.close();
    this.obj.close();
  }
}

function toGcEvent(e: Infer<typeof gcEvent>): GcEvent {
  const out: GcEvent = {
    pid: e.tgid,
    tid: e.tid,
    startNs: e.startNs,
    durationNs: e.durationNs,
    collector: collectorName(e.collector),
    kind: gcKind(e.collector),
    reason: reasonName(e.reason),
    reasonCode: e.reason,
  };
  if (e.reasonText) out.reasonText = e.reasonText;
  if (e.flags & HEAP_BEFORE) out.heapBefore = e.heapBefore;
  if (e.flags & HEAP_AFTER) out.heapAfter = e.heapAfter;
  return out;
}
