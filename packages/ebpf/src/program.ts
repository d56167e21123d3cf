/**
 * A loaded BPF program: attach it (tracepoint, raw tracepoint, uprobe/uretprobe, TC, XDP, or as
 * its ELF section says), run it on test input (BPF_PROG_TEST_RUN), pin it.
 *
 * ```ts
 * const prog = obj.program('count_xdp');
 * const link = prog.attachXdp({ interface: 'veth0', netns: 'test-ns', mode: 'generic' });
 * const r = prog.testRun({ data: frame, repeat: 1000 });   // { retval, duration, data }
 * link.detach();
 * ```
 */
import { existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { resolveSymbol } from './elf.js';
import { BpfError, call, fromNative } from './errors.js';
import type { NativeLink, NativeObject } from './internal/native.js';
import { native } from './internal/native.js';
import { Link, type LinkKind } from './link.js';
import { netnsPath, type NetnsRef } from './netns.js';
import { ensureBpffsFor, ensureTracefsOnce, kernelHasTcx } from './system.js';

export interface ProgramSpec {
  name: string;
  /** ELF section: `tp/syscalls/sys_enter_kill`, `xdp`, `uprobe`, ... */
  section: string;
  /** libbpf's program type name: `tracepoint`, `xdp`, `sched_cls`, `kprobe` (uprobes too), ... */
  type: string;
  expectedAttachType: string;
  autoload: boolean;
}

export interface UprobeOptions {
  /** The binary or shared library (absolute, or a command name looked up in PATH). Default: `/proc/<pid>/exe` when pid is given. */
  binary?: string;
  /** Function to probe (exact, mangled name), resolved in .symtab/.dynsym. */
  symbol?: string;
  /** With symbol: bytes into the function. Without: the file offset to probe. */
  offset?: number;
  /** Only this process (default: every process running the binary). */
  pid?: number;
  /** Fire on return instead of entry (a uretprobe). */
  retprobe?: boolean;
  /** Value the program reads with bpf_get_attach_cookie(). */
  cookie?: bigint;
}

export type TcDirection = 'ingress' | 'egress';

export interface InterfaceTarget {
  /** Interface name or ifindex, as seen inside `netns`. */
  interface: string | number;
  /** Network namespace of the interface (name, path, or { pid }); default: this process's. */
  netns?: NetnsRef;
}

export interface TcOptions extends InterfaceTarget {
  direction: TcDirection;
  /**
   * 'tcx' (Linux >= 6.6: a BPF link, released with its fd, pinnable, ordered), 'clsact' (classic
   * netlink filter on a clsact qdisc: works on older kernels but outlives a killed process), or
   * 'auto' (default): tcx where the kernel has it, clsact otherwise.
   */
  mode?: 'auto' | 'tcx' | 'clsact';
  /** tcx: where among the interface's programs: 'head' runs first, 'tail' (default) last, or next to a link. */
  anchor?: 'head' | 'tail' | { before: Link } | { after: Link };
  /** tcx: fail with ESTALE unless the hook's revision is this (optimistic concurrency between agents). */
  expectedRevision?: number;
  /** clsact: filter handle and priority (0: let the kernel choose). */
  handle?: number;
  priority?: number;
}

export interface XdpOptions extends InterfaceTarget {
  /** 'native' (driver mode), 'generic' (skb mode, any device), or 'auto' (default: native where the driver has it). */
  mode?: 'auto' | 'native' | 'generic' | 'offload';
}

export interface TestRunOptions {
  /** Input packet (or other data) the program sees. */
  data?: Uint8Array;
  /** Input context (e.g. a struct __sk_buff for TC, xdp_md for XDP, args for raw tracepoints). */
  ctx?: Uint8Array;
  /** Runs (the reported duration is the average). Default 1. */
  repeat?: number;
  /** Room for the output packet. Default: input size + 512 (XDP may grow the frame). 0: no output. */
  dataOutSize?: number;
  ctxOutSize?: number;
  /** BPF_F_TEST_RUN_ON_CPU (1), BPF_F_TEST_XDP_LIVE_FRAMES (2). */
  flags?: number;
  cpu?: number;
}

export interface TestRunResult {
  /** The program's return value (XDP_PASS, TC_ACT_SHOT, ...). */
  retval: number;
  /** Average nanoseconds per run, as the kernel measured. */
  duration: number;
  /** The packet after the program ran (when dataOutSize > 0). */
  data?: Uint8Array;
  ctx?: Uint8Array;
}

/** XDP_FLAGS_* (include/uapi/linux/if_link.h). */
const XDP_MODE_FLAGS = { auto: 0, generic: 1 << 1, native: 1 << 2, offload: 1 << 3 } as const;
/** BPF_F_BEFORE / BPF_F_AFTER / BPF_F_LINK (kernel 6.6 uapi; libbpf 1.1's header predates them). */
const BPF_F_BEFORE = 1 << 3;
const BPF_F_AFTER = 1 << 4;
const BPF_F_LINK = 1 << 13;

/** What a program needs from its object: the native handle while usable, and a home for its links. */
export interface ProgramOwner {
  readonly path: string;
  handle(op: string): NativeObject;
  adopt(link: Link): Link;
  linkClosed(link: Link): void;
}

function findInPath(command: string): string {
  if (isAbsolute(command)) {
    if (!existsSync(command)) throw new TypeError(`binary ${command} does not exist`);
    return command;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, command);
    if (dir && existsSync(p)) return p;
  }
  throw new TypeError(`binary "${command}" not found in PATH; pass an absolute path`);
}

export class BpfProgram {
  readonly name: string;
  readonly section: string;
  readonly type: string;
  private fdCache: number | undefined;

  /** @internal made by BpfObject.program() */
  constructor(
    spec: ProgramSpec,
    private readonly owner: ProgramOwner,
  ) {
    this.name = spec.name;
    this.section = spec.section;
    this.type = spec.type;
  }

  private ctx(op: string): string {
    return `program "${this.name}": ${op}`;
  }

  /** The program fd (valid while its object is open). */
  get fd(): number {
    const h = this.owner.handle(this.ctx('fd'));
    this.fdCache ??= call(this.ctx('fd'), () => h.programFd(this.name));
    return this.fdCache;
  }

  /** Kernel facts: id and tag (as `bpftool prog show` lists them), run counts when stats are on. */
  info(): { id: number; type: string; name: string; tag: string; jitedSize: number; xlatedSize: number; runCount: number; runTimeNs: number } {
    const fd = this.fd;
    return call(this.ctx('info'), () => native().progInfo(fd));
  }

  private link(kind: LinkKind, target: string, make: () => NativeLink): Link {
    const h = make();
    return this.owner.adopt(new Link(h, kind, this.name, target, (l) => this.owner.linkClosed(l)));
  }

  /** Attaches as the ELF section says (`tp/cat/name`, `raw_tp/name`, `uprobe/path:func`, ...). */
  attach(): Link {
    const h = this.owner.handle(this.ctx('attach'));
    ensureTracefsOnce();
    return this.link('auto', this.section, () => call(this.ctx(`attach (section ${this.section})`), () => h.attachAuto(this.name)));
  }

  /** Attaches to a tracepoint: `attachTracepoint('syscalls', 'sys_enter_kill')` or `('syscalls/sys_enter_kill')`. */
  attachTracepoint(category: string, name?: string): Link {
    let cat = category;
    let tp = name;
    if (tp === undefined) {
      const parts = category.split('/');
      if (parts.length !== 2) throw new TypeError(`tracepoint "${category}": expected "category/name" (e.g. "sched/sched_process_exec")`);
      [cat, tp] = parts;
    }
    const h = this.owner.handle(this.ctx('attach tracepoint'));
    ensureTracefsOnce();
    return this.link('tracepoint', `${cat}/${tp}`, () => call(this.ctx(`attach tracepoint ${cat}/${tp}`), () => h.attachTracepoint(this.name, cat, tp!)));
  }

  /** Attaches to a raw tracepoint (`sys_enter`, `sched_switch`, ...): no argument copying, BTF-less args. */
  attachRawTracepoint(name: string): Link {
    const h = this.owner.handle(this.ctx('attach raw tracepoint'));
    return this.link('raw_tracepoint', name, () => call(this.ctx(`attach raw tracepoint ${name}`), () => h.attachRawTracepoint(this.name, name)));
  }

  /**
   * Attaches a uprobe (or with `retprobe: true` a uretprobe) to a function of a binary, resolving
   * the symbol to its file offset here (src/elf.ts), so mangled C++ names work and errors name near matches.
   */
  attachUprobe(opts: UprobeOptions): Link {
    if (opts.binary === undefined && opts.pid === undefined) throw new TypeError('attachUprobe: pass binary, or pid (to probe /proc/<pid>/exe)');
    const binary = opts.binary !== undefined ? findInPath(opts.binary) : `/proc/${opts.pid}/exe`;
    let offset = opts.offset ?? 0;
    let where = `${binary}+0x${offset.toString(16)}`;
    if (opts.symbol !== undefined) {
      const sym = resolveSymbol(binary, opts.symbol);
      offset += sym.offset;
      where = `${binary}:${opts.symbol}${opts.offset ? `+${opts.offset}` : ''}`;
    } else if (opts.offset === undefined) {
      throw new TypeError('attachUprobe: pass symbol (a function name) or offset (a file offset)');
    }
    const retprobe = opts.retprobe === true;
    const kind = retprobe ? 'uretprobe' : 'uprobe';
    const h = this.owner.handle(this.ctx(`attach ${kind}`));
    ensureTracefsOnce();
    const target = `${where}${opts.pid !== undefined ? ` (pid ${opts.pid})` : ''}`;
    return this.link(kind, target, () =>
      call(this.ctx(`attach ${kind} ${target}`), () => h.attachUprobe(this.name, binary, offset, { pid: opts.pid ?? -1, retprobe, cookie: opts.cookie ?? 0n })),
    );
  }

  /** attachUprobe with retprobe: true. */
  attachUretprobe(opts: Omit<UprobeOptions, 'retprobe'>): Link {
    return this.attachUprobe({ ...opts, retprobe: true });
  }

  /** Attaches to TC ingress or egress of an interface: tcx where the kernel has it, clsact otherwise (see TcOptions.mode). */
  attachTc(opts: TcOptions): Link {
    const mode = opts.mode ?? 'auto';
    const ns = netnsPath(opts.netns);
    const where = `${opts.direction} of ${opts.interface}${opts.netns !== undefined ? ` in netns ${typeof opts.netns === 'string' ? opts.netns : `of pid ${opts.netns.pid}`}` : ''}`;
    const progFd = this.fd;
    const egress = opts.direction === 'egress';
    if (opts.direction !== 'ingress' && opts.direction !== 'egress') throw new TypeError(`attachTc: direction must be 'ingress' or 'egress', got ${String(opts.direction)}`);
    if (mode === 'tcx' || (mode === 'auto' && kernelHasTcx())) {
      let flags = 0;
      let relative = 0;
      const a = opts.anchor;
      if (a === 'head') flags = BPF_F_BEFORE;
      else if (a === 'tail') flags = BPF_F_AFTER;
      else if (a && 'before' in a) [flags, relative] = [BPF_F_BEFORE | BPF_F_LINK, a.before.fd];
      else if (a && 'after' in a) [flags, relative] = [BPF_F_AFTER | BPF_F_LINK, a.after.fd];
      const revision = BigInt(opts.expectedRevision ?? 0);
      try {
        return this.link('tcx', `tcx ${where}`, () => call(this.ctx(`attach tcx ${where}`), () => native().attachTcx(progFd, opts.interface, ns ?? null, egress, flags, relative, revision).link));
      } catch (err) {
        // A >= 6.6 kernel built without tcx (CONFIG_NET_XGRESS) refuses the attach type: fall back.
        const unsupported = err instanceof BpfError && ['EINVAL', 'EOPNOTSUPP', 'ENOTSUPP'].includes(err.code);
        if (mode === 'tcx' || !unsupported || opts.anchor !== undefined || opts.expectedRevision !== undefined) throw err;
      }
    }
    if (opts.anchor !== undefined || opts.expectedRevision !== undefined) throw new TypeError('attachTc: anchor and expectedRevision need tcx (mode "tcx", Linux >= 6.6)');
    return this.link('tc_clsact', `clsact ${where}`, () =>
      call(this.ctx(`attach clsact ${where}`), () => native().attachTcClsact(progFd, opts.interface, ns ?? null, egress, opts.handle ?? 0, opts.priority ?? 0).link),
    );
  }

  /** Attaches to XDP of an interface as a BPF link (released with its fd). */
  attachXdp(opts: XdpOptions): Link {
    const mode = opts.mode ?? 'auto';
    if (!(mode in XDP_MODE_FLAGS)) throw new TypeError(`attachXdp: mode must be auto, native, generic or offload, got ${String(mode)}`);
    const ns = netnsPath(opts.netns);
    const where = `${opts.interface}${opts.netns !== undefined ? ` in netns ${typeof opts.netns === 'string' ? opts.netns : `of pid ${opts.netns.pid}`}` : ''} (${mode})`;
    const progFd = this.fd;
    return this.link('xdp', `xdp ${where}`, () => call(this.ctx(`attach xdp ${where}`), () => native().attachXdp(progFd, opts.interface, ns ?? null, XDP_MODE_FLAGS[mode]).link));
  }

  /**
   * Runs the program in the kernel on the given input without attaching it (BPF_PROG_TEST_RUN):
   * XDP, TC (sched_cls), socket filters, raw tracepoints, syscall programs, ... Synchronous; for
   * long repeats use testRunAsync().
   */
  testRun(opts: TestRunOptions = {}): TestRunResult {
    const fd = this.fd;
    const o = this.testRunInput(opts);
    return this.testRunOutput(call(this.ctx('test run'), () => native().progTestRun(fd, o)));
  }

  /** testRun() on the libuv threadpool, so the event loop keeps running meanwhile. */
  async testRunAsync(opts: TestRunOptions = {}): Promise<TestRunResult> {
    const fd = this.fd;
    const o = this.testRunInput(opts);
    try {
      return this.testRunOutput(await native().progTestRunAsync(fd, o));
    } catch (err) {
      throw fromNative(err, this.ctx('test run'));
    }
  }

  private testRunInput(opts: TestRunOptions) {
    const repeat = opts.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 0) throw new RangeError(`testRun: repeat must be a non-negative integer, got ${repeat}`);
    return {
      data: opts.data,
      ctx: opts.ctx,
      repeat,
      dataOutSize: opts.dataOutSize ?? (opts.data ? opts.data.length + 512 : 0),
      ctxOutSize: opts.ctxOutSize ?? 0,
      flags: opts.flags ?? 0,
      cpu: opts.cpu ?? 0,
    };
  }

  private testRunOutput(r: { retval: number; duration: number; dataOut?: Buffer; ctxOut?: Buffer }): TestRunResult {
    const out: TestRunResult = { retval: r.retval, duration: r.duration };
    if (r.dataOut) out.data = new Uint8Array(r.dataOut.buffer, r.dataOut.byteOffset, r.dataOut.byteLength);
    if (r.ctxOut) out.ctx = new Uint8Array(r.ctxOut.buffer, r.ctxOut.byteOffset, r.ctxOut.byteLength);
    return out;
  }

  /** Pins the program at a bpffs path: it stays loaded after its object closes and this process exits. */
  pin(path: string): void {
    const fd = this.fd;
    ensureBpffsFor(path);
    call(this.ctx(`pin at ${path}`), () => native().objPin(fd, path));
  }
}

