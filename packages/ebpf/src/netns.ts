/**
 * Network namespaces for TC/XDP attachment. Interface names and ifindexes are per namespace, and
 * the kernel resolves them in the namespace of the thread that creates the link. The addon enters
 * the target namespace with setns(2) on the JS thread only for the duration of the attach (no
 * JavaScript runs meanwhile; libuv's and V8's threads are untouched) and comes back, so a process
 * can attach programs to devices of any namespace it can open, without `ip netns exec`.
 */
import { existsSync } from 'node:fs';

/** A namespace: a name as `ip netns` knows it, a path (`/run/netns/x`, `/proc/<pid>/ns/net`), or `{ pid }`. */
export type NetnsRef = string | { pid: number };

/** The nsfs path for a namespace reference (undefined: this process's own namespace). */
export function netnsPath(ref: NetnsRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref === 'object') return `/proc/${ref.pid}/ns/net`;
  if (ref.startsWith('/')) {
    if (!existsSync(ref)) throw new TypeError(`network namespace ${ref} does not exist`);
    return ref;
  }
  if (ref.includes('/')) throw new TypeError(`"${ref}" is neither a namespace name nor an absolute path`);
  for (const dir of ['/run/netns', '/var/run/netns']) {
    const p = `${dir}/${ref}`;
    if (existsSync(p)) return p;
  }
  throw new TypeError(`no network namespace named "${ref}" (\`ip netns list\` shows the named ones; pass a path or { pid } for others)`);
}
