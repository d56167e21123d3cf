/**
 * What BPF needs from the machine: bpffs (pinning) and tracefs (tracepoint ids, legacy uprobes)
 * mounted, idempotently; kernel and libbpf versions; feature facts.
 */
import { existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { release } from 'node:os';
import { BpfError, call } from './errors.js';
import { native } from './internal/native.js';

export const BPFFS = '/sys/fs/bpf';
export const TRACEFS = '/sys/kernel/tracing';

/** Whether a filesystem of `fstype` is mounted exactly at `path` (per /proc/self/mounts). */
export function isMounted(path: string, fstype: string): boolean {
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((line) => {
    const f = line.split(' ');
    return f[1] === path && f[2] === fstype;
  });
}

function ensureMount(path: string, fstype: string): boolean {
  if (isMounted(path, fstype)) return false;
  mkdirSync(path, { recursive: true });
  call(`mount ${fstype} at ${path}`, () => native().mount(fstype, path));
  return true;
}

/** Mounts bpffs at /sys/fs/bpf when it is not mounted. Returns true when it mounted it now. */
export function ensureBpffs(path = BPFFS): boolean {
  return ensureMount(path, 'bpf');
}

/** Mounts tracefs at /sys/kernel/tracing when it is not mounted. Returns true when it mounted it now. */
export function ensureTracefs(path = TRACEFS): boolean {
  return ensureMount(path, 'tracefs');
}

let tracefsChecked = false;
/** Before attaching tracepoints/uprobes: libbpf reads tracepoint ids from tracefs. Once per process. */
export function ensureTracefsOnce(): void {
  if (tracefsChecked) return;
  tracefsChecked = true;
  // libbpf also accepts debugfs's tracing directory.
  if (existsSync(`${TRACEFS}/events`) || existsSync('/sys/kernel/debug/tracing/events')) return;
  try {
    ensureTracefs();
  } catch {
    // Not fatal here: the attach that needs it fails with its own error and hint.
  }
}

/** Before pinning under /sys/fs/bpf: mount bpffs there if needed. */
export function ensureBpffsFor(path: string): void {
  if (path === BPFFS || path.startsWith(`${BPFFS}/`)) ensureBpffs();
}

/** The running kernel's version as [major, minor, patch]. */
export function kernelVersion(): [number, number, number] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [0, 0, 0];
}

function atLeast(major: number, minor: number): boolean {
  const [a, b] = kernelVersion();
  return a > major || (a === major && b >= minor);
}

/** tcx links (BPF_TCX_INGRESS/EGRESS) arrived in Linux 6.6. */
export function kernelHasTcx(): boolean {
  return atLeast(6, 6);
}

/** The libbpf the addon is linked against (`v1.1`). */
export function libbpfVersion(): string {
  return native().libbpfVersion();
}

/** Removes a pin from bpffs (a map, program or link there stays alive while something holds it). */
export function unpin(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BpfError(`unpin ${path}: ${code === 'ENOENT' ? 'nothing is pinned there' : (err as Error).message}`, {
      errno: Math.abs((err as NodeJS.ErrnoException).errno ?? 5),
      op: 'unpin',
      cause: err,
    });
  }
}
