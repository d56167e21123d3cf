/**
 * A program attached to a hook. The link's fd is what keeps the program attached: close() lets
 * go of it (the kernel detaches the program unless the link is pinned), detach() cuts the
 * attachment even when pinned. When this process dies, the kernel closes the fd, so an unpinned
 * link never outlives its process (except classic clsact tc filters, which are netlink state:
 * see the README).
 *
 * States: attached → (pin → pinned → unpin → attached) → closed. A closed link is gone for good.
 */
import { BpfError, call } from './errors.js';
import type { NativeLink } from './internal/native.js';
import { native } from './internal/native.js';
import { track, untrack } from './internal/registry.js';
import { ensureBpffsFor } from './system.js';

export type LinkKind = 'auto' | 'tracepoint' | 'raw_tracepoint' | 'uprobe' | 'uretprobe' | 'tcx' | 'tc_clsact' | 'xdp' | 'pinned';

export interface LinkInfo {
  /** Kernel link id (`bpftool link show`); 0 for a clsact filter, which is not a kernel link. */
  id: number;
  /** Kernel link type: `perf_event`, `raw_tracepoint`, `tcx`, `xdp`, `tc_clsact`, ... */
  type: string;
  /** Id of the attached program (`bpftool prog show id N`). */
  progId: number;
  ifindex?: number;
  handle?: number;
  priority?: number;
}

export type LinkState = 'attached' | 'pinned' | 'closed';

export class Link {
  private handle: NativeLink | undefined;
  private pinnedAt: string | undefined;
  private readonly onClose: ((l: Link) => void) | undefined;

  /** @internal links are made by BpfProgram.attach*() and Link.openPinned(). */
  constructor(
    handle: NativeLink,
    /** What kind of hook this is. */
    readonly kind: LinkKind,
    /** The attached program's name (empty for links opened from bpffs). */
    readonly program: string,
    /** Where it is attached, for messages: `syscalls/sys_enter_kill`, `xdp on veth0 (netns t1)`. */
    readonly target: string,
    onClose?: (l: Link) => void,
  ) {
    this.handle = handle;
    this.onClose = onClose;
    track(this);
  }

  /** Opens a link pinned in bpffs (by this or another process), e.g. to detach it. */
  static openPinned(path: string): Link {
    const h = call(`open pinned link ${path}`, () => native().linkOpen(path));
    const l = new Link(h, 'pinned', '', path);
    l.pinnedAt = path;
    return l;
  }

  get state(): LinkState {
    return this.handle === undefined ? 'closed' : this.pinnedAt !== undefined ? 'pinned' : 'attached';
  }

  /** The bpffs path it is pinned at, if any. */
  get pinPath(): string | undefined {
    return this.pinnedAt;
  }

  private live(op: string): NativeLink {
    if (!this.handle) throw new BpfError(`link ${this.describe()}: ${op}: the link is closed`, { errno: 9, op, hint: 'attach the program again' });
    return this.handle;
  }

  private describe(): string {
    return this.program ? `"${this.program}" -> ${this.target}` : this.target;
  }

  /** The link fd (-1 for a clsact filter, which has none). */
  get fd(): number {
    return this.live('fd').fd();
  }

  info(): LinkInfo {
    const h = this.live('info');
    return call(`link ${this.describe()}: info`, () => h.info());
  }

  /** Pins the link at a bpffs path: it then stays attached after close() and after this process exits. */
  pin(path: string): void {
    const h = this.live('pin');
    ensureBpffsFor(path);
    call(`link ${this.describe()}: pin at ${path}`, () => h.pin(path));
    this.pinnedAt = path;
  }

  /** Removes the pin; the link stays attached while this process holds it. */
  unpin(): void {
    const h = this.live('unpin');
    if (this.pinnedAt === undefined) return;
    const path = this.pinnedAt;
    call(`link ${this.describe()}: unpin ${path}`, () => h.unpin(path));
    this.pinnedAt = undefined;
  }

  /** Replaces the attached program in place, atomically (BPF_LINK_UPDATE); pass a BpfProgram. */
  update(program: { readonly fd: number }): void {
    const h = this.live('update');
    const fd = program.fd;
    call(`link ${this.describe()}: update`, () => h.update(fd));
  }

  /**
   * Detaches the program now, pinned or not (unpins, BPF_LINK_DETACH where the link type has it,
   * then closes), and releases the link.
   */
  detach(): void {
    const h = this.live('detach');
    if (this.pinnedAt !== undefined) this.unpin();
    call(`link ${this.describe()}: detach`, () => h.detach());
    this.close();
  }

  /** Lets go of the link: an unpinned link detaches; a pinned one stays attached. Idempotent. */
  close(): void {
    const h = this.handle;
    if (!h) return;
    this.handle = undefined;
    untrack(this);
    try {
      call(`link ${this.describe()}: close`, () => h.close());
    } finally {
      this.onClose?.(this);
    }
  }
}
