/**
 * A BPF ELF object (what clang writes for a `.bpf.c`): open → configure (globals, map sizes,
 * which programs load) → load (CO-RE relocation against the kernel's BTF, then the verifier) →
 * programs, maps, readers → close. cilium/ebpf's CollectionSpec/Collection in one value with a
 * state: opened → loading → loaded (or failed) → closed.
 *
 * ```ts
 * const obj = BpfObject.open(objectPath('test/attach'));
 * obj.setGlobal('target_tgid', u32, process.pid);     // .rodata, before load
 * await obj.load();                                    // throws BpfVerifierError with the log
 * const link = obj.program('count_kill').attachTracepoint('syscalls/sys_enter_kill');
 * const counters = obj.map('counters', { key: u32, value: u64 });
 * // ...
 * obj.close();                                         // links, readers, programs, maps
 * ```
 */
import { existsSync } from 'node:fs';
import { u32, type Codec } from './codec.js';
import { BpfError, call, fromNative } from './errors.js';
import { PerfBufferReader, RingBufferReader, type EventBatch, type EventReaderOptions, type PerfBufferOptions } from './event-reader.js';
import type { NativeObject, NativeObjectInfo } from './internal/native.js';
import { native } from './internal/native.js';
import { track, untrack, type Closable } from './internal/registry.js';
import { BpfMap, PerCpuMap, isPerCpuType, type MapCodecs, type MapSpec } from './map.js';
import { BpfProgram, type ProgramOwner, type ProgramSpec } from './program.js';
import { ensureBpffsFor } from './system.js';

export interface OpenOptions {
  /** Object name (default: from the file name); prefixes its global-variable maps. */
  name?: string;
  /** BTF to relocate against instead of /sys/kernel/btf/vmlinux (for kernels without BTF, from BTFHub). */
  btfCustomPath?: string;
  /** Directory for maps declared with `__uint(pinning, LIBBPF_PIN_BY_NAME)` (default /sys/fs/bpf). */
  pinRoot?: string;
}

export interface LoadOptions {
  /**
   * Bytes of verifier log kept for a failing program (default 4 MiB). Larger logs keep their
   * tail (kernel >= 6.4), which is where the verifier says what went wrong.
   */
  logSize?: number;
}

export interface GlobalVariable {
  name: string;
  /** `.rodata` (const volatile: set before load, frozen after), `.bss`, `.data`, or a custom `.data.*`/`.rodata.*`. */
  section: string;
  offset: number;
  size: number;
  /** The C type (`__u32`, `struct config`, `char[16]`). */
  type: string;
}

export type ObjectState = 'opened' | 'loading' | 'loaded' | 'failed' | 'closed';

const DEFAULT_LOG_SIZE = 4 << 20;

export class BpfObject {
  readonly path: string;
  private native: NativeObject | undefined;
  private info: NativeObjectInfo;
  private stateValue: ObjectState = 'opened';
  private readonly children = new Set<Closable>();
  private readonly owner: ProgramOwner;

  private constructor(path: string, handle: NativeObject) {
    this.path = path;
    this.native = handle;
    this.info = handle.info();
    this.owner = {
      path,
      handle: (op) => this.loadedHandle(op),
      adopt: (link) => {
        this.children.add(link);
        return link;
      },
      linkClosed: (link) => {
        this.children.delete(link);
      },
    };
    track(this);
  }

  /** Opens (parses) a BPF ELF object. Nothing reaches the kernel until load(). */
  static open(path: string, opts: OpenOptions = {}): BpfObject {
    if (!existsSync(path)) {
      throw new BpfError(`BPF object ${path} does not exist: build the programs with \`node scripts/ensure-ebpf.mjs\` (or node packages/ebpf/bpf/build.mjs)`, {
        errno: 2,
        op: 'bpf_object__open_file',
      });
    }
    const handle = call(`open ${path}`, () => new (native().BpfObjectHandle)(path, { name: opts.name, btfCustomPath: opts.btfCustomPath, pinRoot: opts.pinRoot }));
    if (opts.pinRoot) ensureBpffsFor(opts.pinRoot);
    return new BpfObject(path, handle);
  }

  get name(): string {
    return this.info.name;
  }

  get state(): ObjectState {
    return this.stateValue;
  }

  private ctx(op: string): string {
    return `BPF object ${this.path}: ${op}`;
  }

  private usableHandle(op: string): NativeObject {
    if (!this.native || this.stateValue === 'closed') throw new BpfError(this.ctx(`${op}: the object is closed`), { errno: 9, op });
    if (this.stateValue === 'loading') throw new BpfError(this.ctx(`${op}: the object is loading; await load() first`), { errno: 16, op });
    return this.native;
  }

  private loadedHandle(op: string): NativeObject {
    const h = this.usableHandle(op);
    if (this.stateValue === 'failed') throw new BpfError(this.ctx(`${op}: load() failed; open the object again`), { errno: 77, op });
    if (this.stateValue !== 'loaded') throw new BpfError(this.ctx(`${op}: the object is not loaded yet; call load() first`), { errno: 77, op });
    return h;
  }

  private openedHandle(op: string): NativeObject {
    const h = this.usableHandle(op);
    if (this.stateValue !== 'opened') throw new BpfError(this.ctx(`${op}: only possible before load()`), { errno: 16, op });
    return h;
  }

  /** The programs in the object (loaded or not). */
  programs(): ProgramSpec[] {
    return this.info.programs.map((p) => ({ ...p }));
  }

  /** The maps in the object, global-variable sections (`.rodata`, `.bss`, ...) included. */
  maps(): (MapSpec & { internal: boolean })[] {
    return this.info.maps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, internal: m.internal }));
  }

  /** Global variables (from the object's BTF), with their section and place in it. */
  globals(): GlobalVariable[] {
    return this.info.globals.map((g) => ({ name: g.name, section: g.section, offset: g.offset, size: g.size, type: g.type }));
  }

  private global(name: string, codec: Codec<unknown>): NativeObjectInfo['globals'][number] {
    const g = this.info.globals.find((x) => x.name === name);
    if (!g) {
      const names = this.info.globals.map((x) => x.name);
      throw new TypeError(this.ctx(`no global variable "${name}"${names.length ? ` (it has ${names.join(', ')})` : ' (it has none)'}`));
    }
    if (codec.size !== g.size) throw new TypeError(this.ctx(`global "${name}" is ${g.type} (${g.size} bytes); codec ${codec.name} is ${codec.size} bytes`));
    return g;
  }

  /**
   * Sets a global variable. Before load: any section (this is how `const volatile` .rodata
   * configuration reaches the program). After load: .bss/.data only (.rodata is frozen).
   */
  setGlobal<T>(name: string, codec: Codec<T>, value: T): void {
    const g = this.global(name, codec as Codec<unknown>);
    if (this.stateValue === 'opened') {
      const h = this.openedHandle('set global');
      const data = call(this.ctx(`read ${g.section}`), () => h.initialValue(g.section));
      codec.encode(value, new DataView(data.buffer, data.byteOffset, data.byteLength), g.offset);
      call(this.ctx(`set global "${name}"`), () => h.setInitialValue(g.section, data));
      return;
    }
    if (g.section.startsWith('.rodata')) {
      throw new BpfError(this.ctx(`global "${name}" is in ${g.section}, which is read-only once loaded: set it before load()`), { errno: 1, op: 'set global' });
    }
    const m = this.sectionMap(g.section);
    const data = m.lookup(0);
    if (!data) throw new BpfError(this.ctx(`${g.section} has no value`), { errno: 2, op: 'set global' });
    codec.encode(value, new DataView(data.buffer, data.byteOffset, data.byteLength), g.offset);
    m.update(0, data);
  }

  /** Reads a global variable: its initial value before load, the live value (what programs wrote) after. */
  getGlobal<T>(name: string, codec: Codec<T>): T {
    const g = this.global(name, codec as Codec<unknown>);
    let data: Uint8Array | undefined;
    if (this.stateValue === 'opened') {
      const h = this.openedHandle('get global');
      data = call(this.ctx(`read ${g.section}`), () => h.initialValue(g.section));
    } else {
      data = this.sectionMap(g.section).lookup(0);
    }
    if (!data) throw new BpfError(this.ctx(`${g.section} has no value`), { errno: 2, op: 'get global' });
    return codec.decode(new DataView(data.buffer, data.byteOffset, data.byteLength), g.offset);
  }

  private sectionMap(section: string): BpfMap<number, Uint8Array> {
    return this.map(section, { key: u32 });
  }

  /** Before load: how many entries a map gets (for sizes only known at run time). */
  setMaxEntries(map: string, maxEntries: number): void {
    const h = this.openedHandle('set max entries');
    call(this.ctx(`map "${map}": set max entries ${maxEntries}`), () => h.setMaxEntries(map, maxEntries));
    this.info = h.info();
  }

  /** Before load: whether a program is loaded at all (skip variants the kernel cannot take). */
  setAutoload(program: string, autoload: boolean): void {
    const h = this.openedHandle('set autoload');
    call(this.ctx(`program "${program}": set autoload`), () => h.setAutoload(program, autoload));
    this.info = h.info();
  }

  /**
   * Creates the maps and loads every program into the kernel (CO-RE relocated). Runs on the libuv
   * threadpool. A program the verifier rejects fails the whole load with BpfVerifierError
   * (`.program`, `.log`, `.errno`); other failures throw BpfError with what libbpf said.
   */
  async load(opts: LoadOptions = {}): Promise<void> {
    const h = this.openedHandle('load');
    const logSize = opts.logSize ?? DEFAULT_LOG_SIZE;
    this.stateValue = 'loading';
    try {
      await h.load(logSize);
      this.stateValue = 'loaded';
      this.info = h.info();
    } catch (err) {
      this.stateValue = 'failed';
      throw fromNative(err, this.ctx('load'));
    }
  }

  /** A loaded program by name. */
  program(name: string): BpfProgram {
    this.loadedHandle('program');
    const spec = this.info.programs.find((p) => p.name === name);
    if (!spec) throw new TypeError(this.ctx(`no program "${name}" (it has ${this.info.programs.map((p) => p.name).join(', ') || 'none'})`));
    if (!spec.autoload) throw new TypeError(this.ctx(`program "${name}" was not loaded (autoload off)`));
    return new BpfProgram(spec, this.owner);
  }

  private mapSpec(name: string): MapSpec {
    const m = this.info.maps.find((x) => x.name === name) ?? (name.startsWith('.') ? this.info.maps.find((x) => x.internal && x.name.endsWith(name)) : undefined);
    if (!m) throw new TypeError(this.ctx(`no map "${name}" (it has ${this.info.maps.map((x) => x.name).join(', ') || 'none'})`));
    return { name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags };
  }

  private mapFdSource(name: string, spec: MapSpec): { fd(): number } {
    let fd: number | undefined;
    return {
      fd: () => {
        const h = this.loadedHandle(`map "${spec.name}"`);
        fd ??= call(this.ctx(`map "${spec.name}": fd`), () => h.mapFd(name));
        return fd;
      },
    };
  }

  /** A map with one value per key, typed by codecs (raw bytes without). Valid while the object is open. */
  map<K = Uint8Array, V = Uint8Array>(name: string, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    this.loadedHandle('map');
    const spec = this.mapSpec(name);
    if (isPerCpuType(spec.type)) throw new TypeError(this.ctx(`map "${name}" is ${spec.type}: use perCpuMap()`));
    return new BpfMap<K, V>(spec, this.mapFdSource(name, spec), codecs);
  }

  /** A per-CPU map (percpu_hash, percpu_array, lru_percpu_hash): lookups return one value per CPU. */
  perCpuMap<K = Uint8Array, V = Uint8Array>(name: string, codecs: MapCodecs<K, V> = {}): PerCpuMap<K, V> {
    this.loadedHandle('perCpuMap');
    const spec = this.mapSpec(name);
    return new PerCpuMap<K, V>(spec, this.mapFdSource(name, spec), codecs);
  }

  /** Starts reading a ring buffer map on the event loop; closes with the object. */
  ringBuffer(name: string, onBatch: (batch: EventBatch) => void, opts: EventReaderOptions = {}): RingBufferReader {
    const m = this.map(name);
    const r = new RingBufferReader(m, onBatch, opts, (x) => this.children.delete(x));
    this.children.add(r);
    return r;
  }

  /** Starts reading a perf event array map on the event loop; closes with the object. */
  perfBuffer(name: string, onBatch: (batch: EventBatch) => void, opts: PerfBufferOptions = {}): PerfBufferReader {
    const m = this.map(name);
    const r = new PerfBufferReader(m, onBatch, opts, (x) => this.children.delete(x));
    this.children.add(r);
    return r;
  }

  /**
   * Closes readers and links made from this object (unpinned links detach), then its programs and
   * maps (pinned ones stay in bpffs). Idempotent. Throws if called while load() is running.
   */
  close(): void {
    if (this.stateValue === 'closed') return;
    if (this.stateValue === 'loading') throw new BpfError(this.ctx('close: the object is loading; await load() first'), { errno: 16, op: 'close' });
    const errors: unknown[] = [];
    for (const c of [...this.children].reverse()) {
      try {
        c.close();
      } catch (err) {
        errors.push(err);
      }
    }
    this.children.clear();
    this.native?.close();
    this.native = undefined;
    this.stateValue = 'closed';
    untrack(this);
    if (errors.length > 0) throw errors[0];
  }
}
