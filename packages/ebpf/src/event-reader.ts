/**
 * Reading BPF ring buffers and perf event arrays on the Node event loop.
 *
 * The addon watches libbpf's epoll fd with a uv_poll_t on the main loop: no thread per map and no
 * busy polling. Each wakeup drains what is there (up to `maxBatchBytes`) into one ArrayBuffer and
 * calls `onBatch` once with an EventBatch; decoding is up to the caller, per record, from a shared
 * DataView (no object per record unless asked for).
 *
 * ```ts
 * const event = struct({ pid: u32, latencyNs: u64Number });
 * const reader = obj.ringBuffer('events', (batch) => {
 *   for (const e of batch.decode(event)) handle(e);
 * });
 * // ...
 * reader.close();
 * ```
 */
import type { Codec } from './codec.js';
import { BpfError, call, fromNative } from './errors.js';
import type { NativeEventReader } from './internal/native.js';
import { native } from './internal/native.js';
import { track, untrack } from './internal/registry.js';

const HEADER = 8;

/** The records one wakeup delivered, in the order the kernel produced them (per CPU, for perf buffers). */
export class EventBatch {
  /** Records in this batch. */
  readonly count: number;
  /** Records the kernel dropped since the previous batch (perf buffers report it; ring buffers cannot: count drops in the program). */
  readonly lost: number;
  /** The packed records: u32 size | u32 cpu | bytes | padding to 8, back to back. */
  readonly data: ArrayBuffer;
  readonly view: DataView;
  private readonly buffers: Buffer[] | undefined;

  /** @internal */
  constructor(data: ArrayBuffer | Buffer[], count: number, lost: number) {
    this.count = count;
    this.lost = lost;
    if (Array.isArray(data)) {
      this.buffers = data;
      this.data = new ArrayBuffer(0);
    } else {
      this.data = data;
    }
    this.view = new DataView(this.data);
  }

  /**
   * Calls `fn` for each record with the batch's shared DataView and where the record is in it.
   * The cheapest way through a batch: nothing is allocated per record.
   */
  forEach(fn: (view: DataView, offset: number, size: number, cpu: number) => void): void {
    if (this.buffers) {
      for (const b of this.buffers) fn(new DataView(b.buffer, b.byteOffset, b.byteLength), 0, b.byteLength, 0);
      return;
    }
    const v = this.view;
    const end = this.data.byteLength;
    for (let off = 0; off < end; ) {
      const size = v.getUint32(off, true);
      fn(v, off + HEADER, size, v.getUint32(off + 4, true));
      off += HEADER + ((size + 7) & ~7);
    }
  }

  /** Each record as a Uint8Array view into the batch (valid as long as the batch is). */
  *records(): IterableIterator<Uint8Array> {
    if (this.buffers) {
      yield* this.buffers;
      return;
    }
    const end = this.data.byteLength;
    for (let off = 0; off < end; ) {
      const size = this.view.getUint32(off, true);
      yield new Uint8Array(this.data, off + HEADER, size);
      off += HEADER + ((size + 7) & ~7);
    }
  }

  [Symbol.iterator](): IterableIterator<Uint8Array> {
    return this.records();
  }

  /** Every record decoded with `codec` (records shorter than the codec are an error). */
  decode<T>(codec: Codec<T>): T[] {
    const out: T[] = [];
    this.forEach((view, offset, size) => {
      if (size < codec.size) throw new RangeError(`event of ${size} bytes is shorter than ${codec.name} (${codec.size} bytes)`);
      out.push(codec.decode(view, offset));
    });
    return out;
  }
}

export interface EventReaderOptions {
  /** Cap on one batch's bytes (records are 8 bytes of header plus their size, padded to 8). Default 1 MiB. */
  maxBatchBytes?: number;
  /** Called with reader errors (and with errors onBatch throws); without it they are thrown as uncaught exceptions. */
  onError?: (err: Error) => void;
  /** Closes the reader when aborted. */
  signal?: AbortSignal;
  /** Keep the process alive while the reader is open (default true, like a server socket). */
  ref?: boolean;
  /**
   * 'packed' (default): one ArrayBuffer per batch. 'buffers': one Buffer per record, which costs an
   * allocation per record (bench/ebpf measures both); for code that keeps records around.
   */
  delivery?: 'packed' | 'buffers';
}

export interface PerfBufferOptions extends EventReaderOptions {
  /** Pages of memory per CPU buffer, a power of two. Default 64 (256 KiB with 4 KiB pages). */
  pageCount?: number;
}

export interface ReaderStats {
  batches: number;
  records: number;
  lost: number;
}

abstract class EventReaderBase {
  private handle: NativeEventReader | undefined;
  private readonly onAbort: (() => void) | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onClose: ((r: EventReaderBase) => void) | undefined;

  protected constructor(
    kind: 'ringbuf' | 'perf',
    readonly mapName: string,
    mapFd: number,
    onBatch: (batch: EventBatch) => void,
    opts: PerfBufferOptions,
    onClose?: (r: EventReaderBase) => void,
  ) {
    const onError =
      opts.onError ??
      ((err: Error) => {
        throw err;
      });
    const deliver = (error: Error | null, data: ArrayBuffer | Buffer[], count: number, lost: number): void => {
      if (error) {
        onError(fromNative(error, `${kind === 'ringbuf' ? 'ring buffer' : 'perf buffer'} "${mapName}": read`) as Error);
        return;
      }
      if (opts.onError) {
        try {
          onBatch(new EventBatch(data, count, lost));
        } catch (err) {
          opts.onError(err instanceof Error ? err : new Error(String(err)));
        }
      } else {
        onBatch(new EventBatch(data, count, lost));
      }
    };
    const nativeOpts = { maxBatchBytes: opts.maxBatchBytes, pageCount: opts.pageCount, delivery: opts.delivery };
    this.handle = call(`${kind === 'ringbuf' ? 'ring buffer' : 'perf buffer'} "${mapName}": open reader`, () => new (native().EventReader)(kind, mapFd, deliver, nativeOpts));
    if (opts.ref === false) this.handle.unref();
    this.onClose = onClose;
    track(this);
    if (opts.signal) {
      this.signal = opts.signal;
      this.onAbort = () => this.close();
      if (opts.signal.aborted) this.close();
      else opts.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  get closed(): boolean {
    return this.handle === undefined;
  }

  private live(op: string): NativeEventReader {
    if (!this.handle) throw new BpfError(`reader of "${this.mapName}": ${op}: the reader is closed`, { errno: 9, op });
    return this.handle;
  }

  /** Drains what is there now, synchronously, through onBatch; returns how many records. */
  consume(): number {
    const h = this.live('consume');
    return call(`reader of "${this.mapName}": consume`, () => h.consume());
  }

  /** Batches, records and lost records delivered so far. */
  stats(): ReaderStats {
    return this.handle ? this.handle.stats() : { batches: 0, records: 0, lost: 0 };
  }

  ref(): void {
    this.live('ref').ref();
  }

  /** Lets the process exit while the reader is open. */
  unref(): void {
    this.live('unref').unref();
  }

  /** Stops reading. Records still in the buffer stay there (call consume() first to take them). Idempotent. */
  close(): void {
    const h = this.handle;
    if (!h) return;
    this.handle = undefined;
    untrack(this);
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    h.close();
    this.onClose?.(this);
  }
}

/** Reads a BPF_MAP_TYPE_RINGBUF map: one buffer shared by all CPUs, records in commit order. */
export class RingBufferReader extends EventReaderBase {
  constructor(map: { name: string; type: string; fd: number }, onBatch: (batch: EventBatch) => void, opts: EventReaderOptions = {}, onClose?: (r: EventReaderBase) => void) {
    if (map.type !== 'ringbuf') throw new TypeError(`map "${map.name}" is ${map.type}, not a ringbuf: a RingBufferReader reads BPF_MAP_TYPE_RINGBUF maps`);
    super('ringbuf', map.name, map.fd, onBatch, opts, onClose);
  }
}

/** Reads a BPF_MAP_TYPE_PERF_EVENT_ARRAY map: one buffer per CPU; records carry their CPU. */
export class PerfBufferReader extends EventReaderBase {
  constructor(map: { name: string; type: string; fd: number }, onBatch: (batch: EventBatch) => void, opts: PerfBufferOptions = {}, onClose?: (r: EventReaderBase) => void) {
    if (map.type !== 'perf_event_array') throw new TypeError(`map "${map.name}" is ${map.type}, not a perf_event_array: a PerfBufferReader reads BPF_MAP_TYPE_PERF_EVENT_ARRAY maps`);
    const pages = opts.pageCount ?? 64;
    if (!Number.isInteger(pages) || pages <= 0 || (pages & (pages - 1)) !== 0) throw new RangeError(`pageCount must be a power of two, got ${pages}`);
    super('perf', map.name, map.fd, onBatch, { ...opts, pageCount: pages }, onClose);
  }
}

export type { EventReaderBase };
