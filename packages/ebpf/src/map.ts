/**
 * BPF maps from TypeScript, typed by codecs: `BpfMap<K, V>` for maps with one value per key,
 * `PerCpuMap<K, V>` for the per-CPU kinds (one value per possible CPU). Untyped maps read and
 * write raw bytes (Uint8Array of the map's key and value sizes).
 *
 * ```ts
 * const counts = obj.map('counts', { key: u32, value: u64 });
 * counts.update(7, 1n);
 * counts.lookup(7);               // 1n
 * for (const [k, v] of counts.entries()) console.log(k, v);
 * const perCpu = obj.perCpuMap('hits', { key: u32, value: u64 });
 * sumPerCpu(perCpu.lookup(0) ?? []);
 * ```
 */
import { bytes, type Codec } from './codec.js';
import { BpfError, call, errnoName, fromNative } from './errors.js';
import { native } from './internal/native.js';
import { track, untrack } from './internal/registry.js';

/** Kernel map type numbers (enum bpf_map_type), by the names libbpf and bpftool use. */
export const MAP_TYPES = {
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  stack_trace: 7,
  cgroup_array: 8,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  cgroup_storage: 19,
  reuseport_sockarray: 20,
  percpu_cgroup_storage: 21,
  queue: 22,
  stack: 23,
  sk_storage: 24,
  devmap_hash: 25,
  struct_ops: 26,
  ringbuf: 27,
  inode_storage: 28,
  task_storage: 29,
  bloom_filter: 30,
  user_ringbuf: 31,
  cgrp_storage: 32,
} as const;

export type MapType = keyof typeof MAP_TYPES;

const PER_CPU_TYPES = new Set<string>(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);

/** BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK. */
export type UpdateFlag = 'any' | 'noexist' | 'exist' | 'lock';
const UPDATE_FLAGS: Record<UpdateFlag, bigint> = { any: 0n, noexist: 1n, exist: 2n, lock: 4n };
/** The same flags as numbers (MapOpBatch's op table holds them as u32). */
export const UPDATE_FLAG_BITS: Readonly<Record<UpdateFlag, number>> = { any: 0, noexist: 1, exist: 2, lock: 4 };

export interface MapSpec {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface MapCodecs<K, V> {
  key?: Codec<K>;
  value?: Codec<V>;
}

/** Where a map's fd comes from: its object (valid while the object is open) or the map itself. */
export interface FdSource {
  fd(): number;
  /** Set for maps that own their fd (created or opened from bpffs). */
  close?(): void;
}

export function isPerCpuType(type: string): boolean {
  return PER_CPU_TYPES.has(type);
}

let possibleCpuCount: number | undefined;
/** Possible CPUs (what per-CPU maps hold one value for; may exceed the online count). */
export function possibleCpus(): number {
  possibleCpuCount ??= native().possibleCpus();
  return possibleCpuCount;
}

function checkCodec(spec: MapSpec, what: 'key' | 'value', codec: Codec<unknown> | undefined, size: number): Codec<any> {
  if (!codec) return bytes(size);
  if (codec.size !== size) {
    throw new TypeError(`map "${spec.name}" has ${what} size ${size} bytes, but the ${what} codec ${codec.name} is ${codec.size} bytes`);
  }
  return codec;
}

abstract class MapBase<K, V> {
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  protected readonly keyCodec: Codec<K>;
  protected readonly valueCodec: Codec<V>;
  protected readonly keyBuf: Uint8Array;
  protected readonly keyView: DataView;
  protected closed = false;

  constructor(
    spec: MapSpec,
    protected readonly source: FdSource,
    codecs: MapCodecs<K, V>,
  ) {
    this.name = spec.name;
    this.type = spec.type;
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.maxEntries = spec.maxEntries;
    this.flags = spec.flags;
    this.keyCodec = checkCodec(spec, 'key', codecs.key, spec.keySize);
    this.valueCodec = checkCodec(spec, 'value', codecs.value, spec.valueSize);
    this.keyBuf = new Uint8Array(Math.max(1, spec.keySize));
    this.keyView = new DataView(this.keyBuf.buffer);
  }

  /** The map's fd (valid while its object is open). */
  get fd(): number {
    if (this.closed) throw new BpfError(`map "${this.name}": closed`, { errno: 9, op: 'map fd', hint: 'the map was closed' });
    return this.source.fd();
  }

  protected ctx(op: string): string {
    return `map "${this.name}" (${this.type}): ${op}`;
  }

  protected encodeKey(key: K, into: Uint8Array = this.keyBuf): Uint8Array | null {
    if (this.keySize === 0) return null;
    try {
      this.keyCodec.encode(key, into === this.keyBuf ? this.keyView : new DataView(into.buffer, into.byteOffset, into.byteLength), 0);
    } catch (err) {
      throw new TypeError(`${this.ctx('key')}: ${(err as Error).message}`);
    }
    return into;
  }

  /** @internal Encodes `key` into `view` at `offset` with this map's key codec (MapOpBatch). */
  writeKey(key: K, view: DataView, offset: number): void {
    try {
      this.keyCodec.encode(key, view, offset);
    } catch (err) {
      throw new TypeError(`${this.ctx('key')}: ${(err as Error).message}`);
    }
  }

  protected decodeKey(b: Uint8Array, offset = 0): K {
    return this.keyCodec.decode(new DataView(b.buffer, b.byteOffset, b.byteLength), offset);
  }

  /** Deletes `key`; false when it was not there. Array maps cannot delete (EINVAL). */
  delete(key: K): boolean {
    const fd = this.fd;
    const k = this.encodeKey(key);
    return call(this.ctx('delete'), () => native().mapDelete(fd, k));
  }

  /** Every key, by BPF_MAP_GET_NEXT_KEY. Deleting while iterating a hash map may restart the walk. */
  *keys(): IterableIterator<K> {
    const fd = this.fd;
    let prev: Uint8Array | null = null;
    for (;;) {
      const next = new Uint8Array(this.keySize);
      const more = call(this.ctx('next key'), () => native().mapNextKey(fd, prev, next));
      if (!more) return;
      yield this.decodeKey(next);
      prev = next;
    }
  }

  /** Deletes many keys in one syscall (BPF_MAP_DELETE_BATCH; hash-type maps). Returns how many. */
  deleteBatch(keys: readonly K[]): number {
    if (keys.length === 0) return 0;
    const fd = this.fd;
    const kb = new Uint8Array(this.keySize * keys.length);
    keys.forEach((k, i) => this.encodeKey(k, kb.subarray(i * this.keySize, (i + 1) * this.keySize)));
    return call(this.ctx('delete batch'), () => native().mapDeleteBatch(fd, kb, keys.length));
  }

  /** Makes the map read-only for user space (BPF_MAP_FREEZE); programs can still write it. */
  freeze(): void {
    const fd = this.fd;
    call(this.ctx('freeze'), () => native().mapFreeze(fd));
  }

  /** Pins the map at a bpffs path, so it outlives this process. */
  pin(path: string): void {
    const fd = this.fd;
    call(this.ctx(`pin at ${path}`), () => native().objPin(fd, path));
  }

  /** Kernel facts about the map: id (as `bpftool map show` lists it), name, sizes. */
  info(): { id: number; type: string; keySize: number; valueSize: number; maxEntries: number; flags: number; name: string } {
    const fd = this.fd;
    return call(this.ctx('info'), () => native().mapInfo(fd));
  }

  /** Closes a standalone map (created, or opened from bpffs). Maps of an object close with it. */
  close(): void {
    if (this.closed) return;
    if (this.source.close) {
      this.source.close();
      untrack(this);
    }
    this.closed = true;
  }
}

/** A map with one value per key: hash, array, lru_hash, lpm_trie, ... */
export class BpfMap<K = Uint8Array, V = Uint8Array> extends MapBase<K, V> {
  private readonly valueBuf: Uint8Array;
  private readonly valueView: DataView;

  constructor(spec: MapSpec, source: FdSource, codecs: MapCodecs<K, V> = {}) {
    super(spec, source, codecs);
    if (isPerCpuType(spec.type)) throw new TypeError(`map "${spec.name}" is ${spec.type}: open it as a PerCpuMap (obj.perCpuMap())`);
    this.valueBuf = new Uint8Array(Math.max(1, spec.valueSize));
    this.valueView = new DataView(this.valueBuf.buffer);
  }

  /** Creates a map outside any object (BPF_MAP_CREATE); close() frees it. */
  static create<K = Uint8Array, V = Uint8Array>(
    spec: { type: MapType; name: string; keySize: number; valueSize: number; maxEntries: number; flags?: number },
    codecs: MapCodecs<K, V> = {},
  ): BpfMap<K, V> {
    const fd = call(`create map "${spec.name}"`, () => native().mapCreate(MAP_TYPES[spec.type], spec.name, spec.keySize, spec.valueSize, spec.maxEntries, spec.flags ?? 0));
    return adoptFd(fd, codecs, (s, src, c) => new BpfMap<K, V>(s, src, c));
  }

  /** Opens a map pinned in bpffs (by this or another process); close() releases it. */
  static openPinned<K = Uint8Array, V = Uint8Array>(path: string, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    return adoptFd(openPinnedMapFd(path), codecs, (s, src, c) => new BpfMap<K, V>(s, src, c));
  }

  /** @internal Encodes `value` into `view` at `offset` (zeroed beforehand) with this map's value codec (MapOpBatch). */
  writeValue(value: V, view: DataView, offset: number): void {
    try {
      this.valueCodec.encode(value, view, offset);
    } catch (err) {
      throw new TypeError(`${this.ctx('value')}: ${(err as Error).message}`);
    }
  }

  /** The value for `key`, or undefined. On an LPM trie this is the longest matching prefix. */
  lookup(key: K): V | undefined {
    const fd = this.fd;
    const k = this.encodeKey(key);
    const found = call(this.ctx('lookup'), () => native().mapLookup(fd, k, this.valueBuf));
    return found ? this.valueCodec.decode(this.valueView, 0) : undefined;
  }

  /** Creates or replaces (flag 'any'), only creates ('noexist') or only replaces ('exist'). */
  update(key: K, value: V, flag: UpdateFlag = 'any'): void {
    const fd = this.fd;
    const k = this.encodeKey(key);
    try {
      new Uint8Array(this.valueBuf.buffer).fill(0);
      this.valueCodec.encode(value, this.valueView, 0);
    } catch (err) {
      throw new TypeError(`${this.ctx('value')}: ${(err as Error).message}`);
    }
    call(this.ctx(`update (${flag})`), () => native().mapUpdate(fd, k, this.valueBuf, UPDATE_FLAGS[flag]));
  }

  /** Reads and removes in one step (BPF_MAP_LOOKUP_AND_DELETE_ELEM: hash maps, queues, stacks). */
  lookupAndDelete(key: K): V | undefined {
    const fd = this.fd;
    const k = this.encodeKey(key);
    const found = call(this.ctx('lookup and delete'), () => native().mapLookupAndDelete(fd, k, this.valueBuf));
    return found ? this.valueCodec.decode(this.valueView, 0) : undefined;
  }

  /** Every entry, key by key (a lookup per key; entries deleted meanwhile are skipped). */
  *entries(): IterableIterator<[K, V]> {
    for (const key of this.keys()) {
      const v = this.lookup(key);
      if (v !== undefined) yield [key, v];
    }
  }

  /**
   * Every entry in as few syscalls as the kernel allows (BPF_MAP_LOOKUP_BATCH; hash and array
   * maps). Maps without batch support (LPM tries) fall back to entries().
   */
  lookupAll(chunk = 256): Array<[K, V]> {
    const fd = this.fd;
    const out: Array<[K, V]> = [];
    let count = chunk;
    let inBatch: Uint8Array | null = null;
    for (;;) {
      const outBatch = new Uint8Array(Math.max(8, this.keySize));
      const kb = new Uint8Array(this.keySize * count);
      const vb = new Uint8Array(this.valueSize * count);
      let r: { count: number; done: boolean };
      try {
        r = native().mapLookupBatch(fd, inBatch, outBatch, kb, vb, count);
      } catch (err) {
        const errno = (err as { errno?: number }).errno;
        if (errno !== undefined && ['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'ENOTSUPP'].includes(errnoName(errno)) && inBatch === null) return [...this.entries()];
        // A hash bucket holds more elements than fit: retry the same step with room for more.
        if (errno !== undefined && errnoName(errno) === 'ENOSPC') {
          count *= 2;
          continue;
        }
        throw fromNative(err, this.ctx('lookup batch'));
      }
      const kv = new DataView(kb.buffer);
      const vv = new DataView(vb.buffer);
      for (let i = 0; i < r.count; i++) out.push([this.keyCodec.decode(kv, i * this.keySize), this.valueCodec.decode(vv, i * this.valueSize)]);
      if (r.done) return out;
      inBatch = outBatch;
    }
  }

  /** Writes many entries in one syscall (BPF_MAP_UPDATE_BATCH). Returns how many were written. */
  updateBatch(entries: ReadonlyArray<readonly [K, V]>, flag: UpdateFlag = 'any'): number {
    if (entries.length === 0) return 0;
    const fd = this.fd;
    const kb = new Uint8Array(this.keySize * entries.length);
    const vb = new Uint8Array(this.valueSize * entries.length);
    const vv = new DataView(vb.buffer);
    entries.forEach(([k, v], i) => {
      this.encodeKey(k, kb.subarray(i * this.keySize, (i + 1) * this.keySize));
      this.valueCodec.encode(v, vv, i * this.valueSize);
    });
    return call(this.ctx('update batch'), () => native().mapUpdateBatch(fd, kb, vb, entries.length, UPDATE_FLAGS[flag]));
  }
}

/**
 * A per-CPU map: every key holds one value per possible CPU. Kernel-side writes need no atomics,
 * so counters live here; read them with lookup() and add them up with sumPerCpu().
 */
export class PerCpuMap<K = Uint8Array, V = Uint8Array> extends MapBase<K, V> {
  /** Values are 8-byte aligned per CPU in the syscall buffer (round_up(value_size, 8)). */
  private readonly stride: number;
  private readonly cpus: number;
  private readonly valuesBuf: Uint8Array;
  private readonly valuesView: DataView;

  constructor(spec: MapSpec, source: FdSource, codecs: MapCodecs<K, V> = {}) {
    super(spec, source, codecs);
    if (!isPerCpuType(spec.type)) throw new TypeError(`map "${spec.name}" is ${spec.type}, not per-CPU: open it as a BpfMap (obj.map())`);
    this.stride = Math.ceil(spec.valueSize / 8) * 8;
    this.cpus = possibleCpus();
    this.valuesBuf = new Uint8Array(this.stride * this.cpus);
    this.valuesView = new DataView(this.valuesBuf.buffer);
  }

  static openPinned<K = Uint8Array, V = Uint8Array>(path: string, codecs: MapCodecs<K, V> = {}): PerCpuMap<K, V> {
    return adoptFd(openPinnedMapFd(path), codecs, (s, src, c) => new PerCpuMap<K, V>(s, src, c));
  }

  /** One value per possible CPU, or undefined when the key is absent. */
  lookup(key: K): V[] | undefined {
    const fd = this.fd;
    const k = this.encodeKey(key);
    const found = call(this.ctx('lookup'), () => native().mapLookup(fd, k, this.valuesBuf));
    if (!found) return undefined;
    const out = new Array<V>(this.cpus);
    for (let c = 0; c < this.cpus; c++) out[c] = this.valueCodec.decode(this.valuesView, c * this.stride);
    return out;
  }

  /** Sets the value on every CPU: one value for all, or an array with one per possible CPU. */
  update(key: K, value: V | readonly V[], flag: UpdateFlag = 'any'): void {
    const fd = this.fd;
    const k = this.encodeKey(key);
    const perCpu = Array.isArray(value) ? (value as readonly V[]) : undefined;
    if (perCpu && perCpu.length !== this.cpus) {
      throw new RangeError(`${this.ctx('update')}: got ${perCpu.length} values, this machine has ${this.cpus} possible CPUs`);
    }
    this.valuesBuf.fill(0);
    for (let c = 0; c < this.cpus; c++) this.valueCodec.encode(perCpu ? perCpu[c] : (value as V), this.valuesView, c * this.stride);
    call(this.ctx(`update (${flag})`), () => native().mapUpdate(fd, k, this.valuesBuf, UPDATE_FLAGS[flag]));
  }

  *entries(): IterableIterator<[K, V[]]> {
    for (const key of this.keys()) {
      const v = this.lookup(key);
      if (v !== undefined) yield [key, v];
    }
  }
}

function openPinnedMapFd(path: string): number {
  const o = call(`open pinned map ${path}`, () => native().objGet(path));
  if (o.kind !== 'map') {
    native().closeFd(o.fd);
    throw new TypeError(`${path} holds a BPF ${o.kind}, not a map`);
  }
  return o.fd;
}

function adoptFd<M extends MapBase<any, any>, K, V>(fd: number, codecs: MapCodecs<K, V>, make: (spec: MapSpec, src: FdSource, codecs: MapCodecs<K, V>) => M): M {
  let open = true;
  const src: FdSource = {
    fd: () => fd,
    close: () => {
      if (open) native().closeFd(fd);
      open = false;
    },
  };
  try {
    const info = native().mapInfo(fd);
    const m = make({ name: info.name, type: info.type, keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, flags: info.flags }, src, codecs);
    track(m);
    return m;
  } catch (err) {
    src.close?.();
    throw err;
  }
}
