import { CompactedError, FutureRevisionError } from '../store.js';

/**
 * The smallest string above every string that starts with `prefix` (etcd's prefix range end),
 * or undefined when there is none (empty prefix). Keys under `prefix` are exactly the range
 * [prefix, prefixEnd(prefix)).
 */
export function prefixEnd(prefix: string): string | undefined {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--;
  if (end === 0) return undefined;
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
}

/** Where a range read starts: `startKey` when it lies past `prefix`, else `prefix`. */
export function rangeStart(prefix: string, startKey: string | undefined): string {
  return startKey !== undefined && startKey > prefix ? startKey : prefix;
}

/**
 * The revision a read happens at: `requested`, or `current` when absent or <= 0 (etcd's
 * "latest"). A read at exactly the compacted revision is served (compaction keeps the state at
 * that revision); below it is CompactedError, above the current one FutureRevisionError.
 */
export function readRevision(requested: number | undefined, current: number, compacted: number): number {
  if (requested === undefined || requested <= 0) return current;
  if (requested > current) throw new FutureRevisionError(requested, current);
  if (requested < compacted) throw new CompactedError(requested, compacted);
  return requested;
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError(`storage keys are non-empty strings, got ${JSON.stringify(key)}`);
  }
}
