/**
 * Installs compiled rule sets into the policy maps without reloading the program, so that a
 * packet never sees half of a change.
 *
 * Every rule map exists twice (copy 0 and copy 1) and `policy_active` says which copy packets
 * use; a packet reads it once and does all its lookups in that copy. An install:
 *   1. waits until the copy it is about to write has been idle for a grace period (a packet that
 *      read the old `policy_active` just before the last flip may still be in it: BPF programs
 *      finish in microseconds, the grace is 1 ms),
 *   2. brings the inactive copy to the new contents with the fewest writes (it holds the rule set
 *      from two installs ago, so deletes of stale keys and updates of changed ones),
 *   3. writes that copy's settings (default actions, flow tracking, a new generation),
 *   4. flips `policy_active`: one aligned 4-byte write, which packets see atomically.
 * Counter slots of removed rules are zeroed at the next install (past the grace) and only then
 * reused, so a new rule never inherits old counts.
 *
 * After each flip, once the grace has passed, the now-inactive copy is brought up to the active
 * one in the background (a timer), so the next change writes only its own difference: a
 * one-rule change is a handful of map writes, not the sum of the last two changes.
 *
 * Deletes wait until after the flip. An LPM delete costs several times an update here (~40 µs
 * against ~5), so a key the new rules drop is first *overwritten* with the answer the trie gives
 * without it: the value of its longest remaining prefix, or "no class"/the default verdict when
 * there is none. For every packet the trie then answers as if the key were gone (longer keys still
 * win; where the stale key is the longest match, its new value is what the next-shorter match
 * would say). The key is deleted in the background afterwards. Bulk changes (more than
 * NEUTRALIZE_MAX stale keys) delete in place: that search would cost more than the deletes.
 *
 * The write window (first write to flip) is one prepared batch: every key and value is encoded
 * before it, and the writer runs the rule writes, the settings and the flip back to back (the
 * engine: one MapOpBatch, one addon call), stopping at the first failure, so the flip runs only
 * if everything before it was written.
 */
import type { CompiledPolicy, MapContents } from './compile.js';
import type { Direction } from './rules.js';
import { actionCode, encodeMapValue, encodeSettings, encodeU32, POLICY } from './maps.js';
import { RuleSlots, type RuleSlotsState } from './rule-slots.js';

export type PolicyMapName = 'policy_addr_0' | 'policy_addr_1' | 'policy_port_0' | 'policy_port_1' | 'policy_settings' | 'policy_active' | 'policy_counters';

/** One write: an update, or a delete when `value` is absent. */
export interface PolicyMapOp {
  map: PolicyMapName;
  key: Uint8Array;
  value?: Uint8Array;
}

/** Writes encoded ahead of time (PolicyMapWriter.prepareBatch). */
export interface PreparedMapWrite {
  /** Performs the ops in order; the first failure stops the run and throws (the ops before it stay written). */
  run(): void;
}

/** The map operations the installer needs; PolicyEngine backs them with the loaded object's maps. */
export interface PolicyMapWriter {
  update(map: PolicyMapName, key: Uint8Array, value: Uint8Array): void;
  /** Deletes the key; a key that is not there is not an error. */
  delete(map: PolicyMapName, key: Uint8Array): void;
  /** Sets every CPU's counter of these slots to zero. */
  zeroCounters(slots: readonly number[]): void;
  /**
   * Prepares ops to run back to back, in order, later: called before the write window, so the
   * window holds the writes and nothing else (the engine: a MapOpBatch, one addon call). A
   * delete of a key that is not there is not an error.
   */
  prepareBatch(ops: readonly PolicyMapOp[]): PreparedMapWrite;
}

export interface InstallResult {
  generation: number;
  /** The copy packets use now. */
  buffer: 0 | 1;
  updates: number;
  deletes: number;
  /** Time spent finding what to write: the difference to the copy's contents (ms). */
  diffMs: number;
  /** Time from the first map write to the flip, included (ms): what packets wait for a change. */
  mapWriteMs: number;
  /** Time waited for the grace period before writing (ms). */
  graceWaitMs: number;
}

/** Keys of `next` that `have` lacks or holds with another value, and keys of `have` that `next` drops. */
interface Comparison {
  have: MapContents;
  next: MapContents;
  changed: string[];
  dropped: string[];
}

const KINDS = ['addr', 'port'] as const;

/** Up to this many stale keys in one install are neutralized rather than deleted before the flip. */
export const NEUTRALIZE_MAX = 1024;

/** How long a copy stays untouched after packets stopped being sent to it. */
export const FLIP_GRACE_MS = 1;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** What one copy of the rule maps holds. */
export interface CopyContents {
  addr: MapContents;
  port: MapContents;
}

/** An installer's state, for continuing in another process from pinned maps (see pinned.ts). */
export interface InstallerState {
  active: 0 | 1;
  generation: number;
  slots: RuleSlotsState;
  pendingZero: number[];
  installedSlots: Record<string, number>;
}

export class PolicyInstaller {
  private readonly writer: PolicyMapWriter;
  readonly slots: RuleSlots;
  private readonly copies: { addr: MapContents; port: MapContents }[] = [
    { addr: new Map(), port: new Map() },
    { addr: new Map(), port: new Map() },
  ];
  private active: 0 | 1 = 0;
  private generation = 0;
  private lastFlip = 0;
  /** Freed by assignSlots() for the install about to happen: still counted into until its flip. */
  private freedNow: number[] = [];
  /** Freed before the last flip: unreferenced by the active copy, zeroed at the next install. */
  private pendingZero: number[] = [];
  /** Name and counter slot of each rule in the installed set. */
  private installedSlots = new Map<string, number>();
  private catchUpTimer: NodeJS.Timeout | undefined;
  /** The rule set in force, without neutralized keys. */
  private logical: CopyContents = { addr: new Map(), port: new Map() };
  /**
   * Comparisons of contents the last install already made, by the identity of the two maps
   * (contents maps are never changed once made): the catch-up writes the same difference to the
   * standby copy, and the neutralized keys out of the active one, without scanning 10^4 keys again.
   */
  private known: Comparison[] = [];
  private disposed = false;

  constructor(writer: PolicyMapWriter, restored?: { state: InstallerState; copies: [CopyContents, CopyContents] }) {
    this.writer = writer;
    this.slots = restored ? RuleSlots.restore(restored.state.slots) : new RuleSlots();
    if (restored) {
      this.active = restored.state.active;
      this.generation = restored.state.generation;
      this.pendingZero = [...restored.state.pendingZero];
      this.installedSlots = new Map(Object.entries(restored.state.installedSlots));
      this.copies[0] = restored.copies[0];
      this.copies[1] = restored.copies[1];
      // Read back from the maps: neutralized keys a previous process left look like rules here,
      // and answer like the rules they stand for.
      this.logical = restored.copies[this.active];
      // Another process may have flipped just now: wait out the grace before writing.
      this.lastFlip = performance.now();
    }
  }

  /** The state to persist next to pinned maps; the copies' contents are read back from the maps. */
  snapshot(): InstallerState {
    return {
      active: this.active,
      generation: this.generation,
      slots: this.slots.snapshot(),
      // Freed slots not yet zeroed stay owed, whoever installs next.
      pendingZero: [...this.pendingZero, ...this.freedNow],
      installedSlots: Object.fromEntries(this.installedSlots),
    };
  }

  get activeBuffer(): 0 | 1 {
    return this.active;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /** Counter slots of the rules installed now, by rule name. */
  get ruleSlots(): ReadonlyMap<string, number> {
    return this.installedSlots;
  }

  /** Slots for a rule set about to be compiled: existing names keep theirs. */
  assignSlots(names: Iterable<string>): Map<string, number> {
    // Slots freed before the last flip can serve this rule set once zeroed.
    this.reclaim();
    const m = this.slots.assign(names);
    this.freedNow.push(...this.slots.takeFreed());
    return m;
  }

  install(compiled: CompiledPolicy): InstallResult {
    if (this.disposed) throw new Error('the policy installer was disposed');
    clearTimeout(this.catchUpTimer);
    const t0 = performance.now();
    this.waitGrace();
    const t1 = performance.now();
    this.reclaim();

    const target = (1 - this.active) as 0 | 1;
    const copy = this.copies[target];
    // Every byte to write is ready before the first write, and the writer runs them back to back
    // (allocating in between costs more than a map write on a VM: fresh pages fault).
    this.known = [];
    const { ops, updates, deletes, stale } = this.diff(target, compiled, compiled);
    const generation = this.generation + 1;
    ops.push({ map: 'policy_settings', key: encodeU32(target), value: encodeSettings({ generation, ...compiled.settings }) });
    // The flip: last, so it runs only once everything before it is written.
    ops.push({ map: 'policy_active', key: encodeU32(0), value: encodeU32(target) });
    const batch = this.writer.prepareBatch(ops);
    const t2 = performance.now();
    try {
      batch.run();
    } catch (err) {
      this.markUnknown(target, copy, compiled);
      throw err;
    }
    this.lastFlip = performance.now();
    // What the copy holds: the rules, plus neutralized keys until the background deletes them.
    const holds = (kind: 'addr' | 'port'): MapContents => {
      if (stale[kind].size === 0) return compiled[kind];
      const m = new Map(compiled[kind]);
      for (const [k, v] of stale[kind]) m.set(k, v);
      this.known.push({ have: m, next: compiled[kind], changed: [], dropped: [...stale[kind].keys()] });
      return m;
    };
    this.copies[target] = { addr: holds('addr'), port: holds('port') };
    this.logical = { addr: compiled.addr, port: compiled.port };
    this.active = target;
    this.generation = generation;
    this.pendingZero.push(...this.freedNow);
    this.freedNow = [];
    this.scheduleCatchUp();
    this.installedSlots = new Map(compiled.slots);
    return { generation, buffer: target, updates, deletes, diffMs: t2 - t1, mapWriteMs: this.lastFlip - t2, graceWaitMs: t1 - t0 };
  }

  /** Until the copy packets left at the last flip has been unused for the grace period. */
  private waitGrace(): void {
    const until = this.lastFlip + FLIP_GRACE_MS;
    while (performance.now() < until) Atomics.wait(sleepCell, 0, 0, Math.max(0.05, until - performance.now()));
  }

  /** Zeroes and frees the slots of rules removed before the last flip: past the grace, nothing counts into them. */
  private reclaim(): void {
    if (this.pendingZero.length === 0) return;
    this.waitGrace();
    const zero = this.pendingZero;
    this.pendingZero = [];
    this.writer.zeroCounters(zero);
    this.slots.release(zero);
  }

  /**
   * The writes that turn copy `target` into `want`: per map, the dropped keys first, then the new
   * and changed ones. With `neutral` (an install), dropped keys are overwritten with their neutral
   * value instead of deleted (see above) and returned in `stale`.
   */
  private diff(target: 0 | 1, want: CopyContents, neutral?: CompiledPolicy): { ops: PolicyMapOp[]; updates: number; deletes: number; stale: CopyContents } {
    const copy = this.copies[target];
    const found = { addr: this.compare(copy.addr, want.addr), port: this.compare(copy.port, want.port) };
    const neutralize = neutral !== undefined && found.addr.dropped.length + found.port.dropped.length <= NEUTRALIZE_MAX;
    const ops: PolicyMapOp[] = [];
    const stale: CopyContents = { addr: new Map(), port: new Map() };
    let updates = 0;
    let deletes = 0;
    for (const kind of KINDS) {
      const map: PolicyMapName = `policy_${kind}_${target}`;
      const { have, next, changed, dropped } = found[kind];
      for (const key of dropped) {
        if (!neutralize) {
          ops.push({ map, key: Buffer.from(key, 'hex') });
          deletes++;
          continue;
        }
        const value = neutralValue(kind, key, next, neutral as CompiledPolicy);
        stale[kind].set(key, value);
        if (have.get(key) === value) continue;
        ops.push({ map, key: Buffer.from(key, 'hex'), value: encodeMapValue(kind, value) });
        updates++;
      }
      for (const key of changed) ops.push({ map, key: Buffer.from(key, 'hex'), value: encodeMapValue(kind, next.get(key) as number) });
      updates += changed.length;
    }
    return { ops, updates, deletes, stale };
  }

  /** What differs: one pass over `next`, and one over `have` only when it holds keys `next` lacks. */
  private compare(have: MapContents, next: MapContents): Comparison {
    if (have === next) return { have, next, changed: [], dropped: [] };
    const known = this.known.find((c) => c.have === have && c.next === next);
    if (known) return known;
    const changed: string[] = [];
    const dropped: string[] = [];
    let kept = 0;
    for (const [key, value] of next) {
      const v = have.get(key);
      if (v !== undefined) kept++;
      if (v !== value) changed.push(key);
    }
    if (kept < have.size) for (const key of have.keys()) if (!next.has(key)) dropped.push(key);
    const c = { have, next, changed, dropped };
    this.known.push(c);
    return c;
  }

  private write(ops: readonly PolicyMapOp[]): void {
    if (ops.length > 0) this.writer.prepareBatch(ops).run();
  }

  /**
   * The copy is now part old, part new (packets never saw it). Remember every key it may hold
   * with a value that matches nothing, so the next write to it rewrites or deletes each.
   */
  private markUnknown(target: 0 | 1, had: { addr: MapContents; port: MapContents }, wanted: { addr: MapContents; port: MapContents }): void {
    const unknown = (a: MapContents, b: MapContents): MapContents => new Map([...a.keys(), ...b.keys()].map((k) => [k, -1]));
    this.copies[target] = { addr: unknown(had.addr, wanted.addr), port: unknown(had.port, wanted.port) };
  }

  private scheduleCatchUp(): void {
    this.catchUpTimer = setTimeout(() => {
      try {
        this.catchUpNow();
      } catch {
        // Not fatal: catchUpNow marked the copy, and the next install rewrites what it may hold.
      }
    }, FLIP_GRACE_MS + 1);
    // A pending catch-up must not keep a process alive.
    this.catchUpTimer.unref();
  }

  /** Brings the inactive copy up to date now instead of on the timer (tests, benchmarks). */
  catchUpNow(): void {
    if (!this.catchUpTimer || this.disposed) return;
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = undefined;
    try {
      this.catchUp(this.logical);
    } finally {
      // What the install compared is written now: let the old contents go.
      this.known = [];
    }
  }

  private catchUp(logical: CopyContents): void {
    // The active copy: drop the neutralized keys (no packet's answer changes).
    const active = this.active;
    const had = this.copies[active];
    try {
      this.write(this.diff(active, logical).ops);
      this.copies[active] = logical;
    } catch (err) {
      this.markUnknown(active, had, logical);
      throw err;
    }
    // The standby copy, once past the grace: the same contents (the install's difference again).
    this.waitGrace();
    const target = (1 - active) as 0 | 1;
    const standby = this.copies[target];
    try {
      this.write(this.diff(target, logical).ops);
      this.copies[target] = logical;
    } catch (err) {
      this.markUnknown(target, standby, logical);
      throw err;
    }
  }

  /** Stops background work; the maps keep what they hold. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.catchUpTimer);
  }
}

/** Clears the bits of `data` from bit `from` on. */
function maskFrom(data: Buffer, from: number): void {
  for (let i = 0; i < data.length; i++) {
    const keep = Math.max(0, Math.min(8, from - i * 8));
    data[i] &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
}

/**
 * What an LPM lookup answers inside a dropped key once it is gone: the value of the longest
 * prefix of it still in `next`, else "no class" (addr) or the default verdict of the class's
 * direction (port).
 */
function neutralValue(kind: 'addr' | 'port', key: string, next: MapContents, compiled: CompiledPolicy): number {
  const b = Buffer.from(key, 'hex');
  const prefix = b.readUInt32LE(0);
  const fixed = kind === 'addr' ? POLICY.ADDR_FIXED_BITS : POLICY.PORT_CLASS_BITS;
  const data = b.subarray(4);
  for (let q = prefix - 1; q >= fixed; q--) {
    b.writeUInt32LE(q, 0);
    maskFrom(data, q);
    const v = next.get(b.toString('hex'));
    if (v !== undefined) return v;
  }
  if (kind === 'addr') return 0; // class 0 has no port entries: the default action
  const dir: Direction = compiled.classDirection.get(b.readUInt32BE(4)) ?? 'ingress';
  const slot = dir === 'ingress' ? POLICY.SLOT_DEFAULT_INGRESS : POLICY.SLOT_DEFAULT_EGRESS;
  return slot | (actionCode(compiled.settings.defaultAction[dir]) << 16);
}
