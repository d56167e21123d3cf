/**
 * Everything this process has open (objects, links, readers, standalone maps), kept reachable so
 * garbage collection never detaches a program behind the caller's back (the cilium/ebpf lesson:
 * a collected fd silently detaches), and closed at process exit.
 *
 * The exit hook is a safety net, not the mechanism: when a process dies, even by SIGKILL, the
 * kernel closes its fds, and links and unpinned programs and maps go with them. The hook matters
 * for what is not fd-owned (classic clsact tc filters) and for a tidy `bpftool` view in tests.
 */
export interface Closable {
  close(): void;
}

const open = new Set<Closable>();
let hooked = false;

export function track(c: Closable): void {
  open.add(c);
  if (!hooked) {
    hooked = true;
    process.once('exit', closeAll);
  }
}

export function untrack(c: Closable): void {
  open.delete(c);
}

/** Closes everything still open, newest first (links before the objects they came from). */
export function closeAll(): void {
  for (const c of [...open].reverse()) {
    try {
      c.close();
    } catch {
      // Best effort at exit: one failure must not keep the rest open.
    }
  }
  open.clear();
}

export function openCount(): number {
  return open.size;
}
