/**
 * Element operations on one or more maps, run by one call into the addon: `MapOpBatch`. Keys and
 * values are encoded with each map's codecs when an op is added, into one buffer; `apply()` then
 * runs every op back to back in C++, in order, without JavaScript (or allocation) between two
 * syscalls. For a group of writes whose latency matters (the policy installer's write window:
 * rule writes, settings, then the flip of `policy_active`), and for writes to maps that
 * BPF_MAP_UPDATE_BATCH does not take (LPM tries) or that span several maps.
 *
 * Not a transaction: packets see each op as it lands. The ops run in order and the first failure
 * stops the run, so an op runs only if every op before it succeeded (put the write that publishes
 * the others last).
 *
 * ```ts
 * const batch = new MapOpBatch();
 * batch.update(ports, newKey, verdict).update(ports, oldKey, neutral);
 * batch.update(settings, 1, s).update(active, 0, 1);   // the flip: last, runs only after the rest
 * batch.apply();              // MapOpError: .index (the failed op), .applied, .map, .kind, .errno
 * ```
 */
import { BpfError, fromNative, hintFor } from './errors.js';
import { BpfMap, UPDATE_FLAG_BITS, type UpdateFlag } from './map.js';
import { native } from './internal/native.js';

export type MapOpKind = 'update' | 'delete';

// The op table's row: as map_ops.h's kOp* constants.
const WORDS = 7;
const MAP = 0;
const KIND = 1;
const FLAGS = 2;
const KEY_OFFSET = 3;
const KEY_SIZE = 4;
const VALUE_OFFSET = 5;
const VALUE_SIZE = 6;
const UPDATE = 0;
const DELETE = 1;

const FLAG_NAMES = new Map<number, UpdateFlag>(Object.entries(UPDATE_FLAG_BITS).map(([name, bits]) => [bits, name as UpdateFlag]));

/** An op of a MapOpBatch failed: the ops before it were applied, it and the ops after it were not. */
export class MapOpError extends BpfError {
  override name = 'MapOpError';
  /** The op that failed, counted from 0 in the order added. */
  readonly index: number;
  /** How many ops were applied (all those before `index`). */
  readonly applied: number;
  /** Ops in the batch. */
  readonly total: number;
  /** The name of the map the failed op was on. */
  readonly map: string;
  readonly kind: MapOpKind;

  constructor(message: string, details: ConstructorParameters<typeof BpfError>[1] & { index: number; total: number; map: string; kind: MapOpKind }) {
    super(message, details);
    this.index = details.index;
    this.applied = details.index;
    this.total = details.total;
    this.map = details.map;
    this.kind = details.kind;
  }
}

/**
 * Updates and deletes on one or more maps, applied in order by one addon call. Add ops with
 * update()/delete() (encoding happens there, so bad keys and values throw at once, naming the
 * map), then apply(). apply() can run again (the same ops again); clear() empties the batch for
 * reuse without reallocating. Maps with one value per key (`BpfMap`); per-CPU maps are not taken.
 */
export class MapOpBatch {
  private readonly maps: BpfMap<any, any>[] = [];
  private readonly mapIndex = new Map<BpfMap<any, any>, number>();
  private table = new Uint32Array(WORDS * 16);
  private data = new Uint8Array(512);
  private view = new DataView(this.data.buffer);
  private used = 0;
  private count = 0;

  /** Ops added. */
  get length(): number {
    return this.count;
  }

  /** Creates or replaces (flag 'any'), only creates ('noexist') or only replaces ('exist'), as BpfMap.update. */
  update<K, V>(map: BpfMap<K, V>, key: K, value: V, flag: UpdateFlag = 'any'): this {
    const bits = UPDATE_FLAG_BITS[flag];
    if (bits === undefined) throw new TypeError(`map "${map.name}": update flag "${String(flag)}" is not one of ${Object.keys(UPDATE_FLAG_BITS).join(', ')}`);
    this.add(map, UPDATE, bits, key, value);
    return this;
  }

  /** Deletes the key; a key that is not there is not an error (as BpfMap.delete, which returns false for it). */
  delete<K, V>(map: BpfMap<K, V>, key: K): this {
    this.add(map, DELETE, 0, key, undefined);
    return this;
  }

  /**
   * Runs the ops in the order added, in one addon call, and returns how many ran (all of them).
   * The first failure stops the run and throws MapOpError naming the op, its map and errno;
   * the ops before it stay applied. A closed map throws before any op runs.
   */
  apply(): number {
    return this.runner(false)();
  }

  /**
   * apply() in two steps: resolves the maps' fds (a closed map throws here) and returns a
   * function that runs the ops as they are now with nothing but the addon call. For a write
   * window that should hold the writes and nothing else: on a VM, every code path the first
   * call after a pause walks is cold, JavaScript included (resolving four fds costs ~40 µs
   * there). Run it in the same synchronous step: the fds are not looked up again, so a map
   * closed in between would be written through a stale fd.
   */
  prepare(): () => number {
    return this.runner(true);
  }

  private runner(snapshot: boolean): () => number {
    const count = this.count;
    if (count === 0) return () => 0;
    const maps = snapshot ? this.maps.slice() : this.maps;
    const fds = offHeap(Int32Array, maps.length);
    for (let i = 0; i < maps.length; i++) fds[i] = maps[i].fd;
    // A prepared run keeps the ops as they are now: later ops may reallocate the table and
    // data, and clear() zeroes them.
    const table = snapshot ? offHeap(Uint32Array, count * WORDS, this.table) : this.table;
    const data = snapshot ? offHeap(Uint8Array, this.used, this.data) : this.data;
    const addon = native();
    return () => {
      try {
        return addon.mapApplyOps(fds, table, data, count);
      } catch (err) {
        throw failure(err, maps, table, count);
      }
    };
  }

  /** Empties the batch; its buffers are kept for the next ops. */
  clear(): this {
    this.data.fill(0, 0, this.used);
    this.used = 0;
    this.count = 0;
    this.maps.length = 0;
    this.mapIndex.clear();
    return this;
  }

  private add<K, V>(map: BpfMap<K, V>, kind: number, flags: number, key: K, value: V | undefined): void {
    if (!(map instanceof BpfMap)) throw new TypeError(`MapOpBatch takes maps with one value per key (BpfMap); got ${describe(map)}`);
    const valueSize = kind === UPDATE ? map.valueSize : 0;
    const keyOffset = this.used;
    const valueOffset = keyOffset + map.keySize;
    this.reserve(map.keySize + valueSize);
    try {
      if (map.keySize > 0) map.writeKey(key, this.view, keyOffset);
      if (kind === UPDATE) map.writeValue(value as V, this.view, valueOffset);
    } catch (err) {
      // Codecs may leave padding unwritten: what the next op reuses must be zero.
      this.data.fill(0, keyOffset, valueOffset + valueSize);
      throw err;
    }
    let m = this.mapIndex.get(map);
    if (m === undefined) {
      m = this.maps.push(map) - 1;
      this.mapIndex.set(map, m);
    }
    if (this.table.length < (this.count + 1) * WORDS) {
      const t = new Uint32Array(this.table.length * 2);
      t.set(this.table);
      this.table = t;
    }
    const row = this.count * WORDS;
    this.table[row + MAP] = m;
    this.table[row + KIND] = kind;
    this.table[row + FLAGS] = flags;
    this.table[row + KEY_OFFSET] = keyOffset;
    this.table[row + KEY_SIZE] = map.keySize;
    this.table[row + VALUE_OFFSET] = valueOffset;
    this.table[row + VALUE_SIZE] = valueSize;
    this.used = valueOffset + valueSize;
    this.count++;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.data.length) return;
    const d = new Uint8Array(Math.max(this.data.length * 2, this.used + bytes));
    d.set(this.data.subarray(0, this.used));
    this.data = d;
    this.view = new DataView(d.buffer);
  }

}

function failure(err: unknown, maps: readonly BpfMap<any, any>[], table: Uint32Array, count: number): unknown {
  const e = err as { errno?: unknown; index?: unknown; message?: string; op?: string; libbpfLog?: string };
  if (typeof e.errno !== 'number' || typeof e.index !== 'number') return fromNative(err, 'map op batch');
  const i = e.index;
  const row = i * WORDS;
  const map = maps[table[row + MAP]];
  const kind: MapOpKind = table[row + KIND] === UPDATE ? 'update' : 'delete';
  const what = kind === 'update' ? `update (${FLAG_NAMES.get(table[row + FLAGS]) ?? table[row + FLAGS]})` : 'delete';
  const op = e.op ?? `bpf_map_${kind}_elem`;
  const hint = hintFor(e.errno, op);
  const before = i === 0 ? 'no op was applied' : i === 1 ? 'op 0 was applied' : `ops 0-${i - 1} were applied`;
  const after = i + 1 < count ? `; ops ${i}-${count - 1} were not` : '';
  const message = `map op batch: op ${i} of ${count}, ${what} on map "${map.name}" (${map.type}), failed: ${e.message}; ${before}${after}${hint ? `. Hint: ${hint}` : ''}`;
  return new MapOpError(message, { errno: e.errno, op, libbpfLog: e.libbpfLog, hint, cause: err, index: i, total: count, map: map.name, kind });
}

/**
 * A typed array over its own ArrayBuffer, holding the first `length` elements of `from`. V8 keeps
 * small typed arrays made from a length inside its heap and moves them out the first time native
 * code asks for their bytes: an allocation and a copy that must not land in the write window.
 */
function offHeap<T extends Int32Array | Uint32Array | Uint8Array>(type: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number, from?: T): T {
  const a = new type(new ArrayBuffer(Math.max(1, length) * type.BYTES_PER_ELEMENT));
  if (from) a.set(from.subarray(0, length) as never);
  return a;
}

function describe(x: unknown): string {
  if (x && typeof x === 'object' && 'name' in x && 'type' in x) return `map "${String((x as { name: unknown }).name)}" (${String((x as { type: unknown }).type)}): open it with obj.map(), not perCpuMap()`;
  return typeof x;
}
