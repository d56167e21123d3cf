/**
 * What the GC tracer probes in V8 and how it names what it reads.
 *
 * `Heap::PerformGarbageCollection(GarbageCollector, GarbageCollectionReason, const char*)` is the
 * main-thread pause of every collection (checked on Node 20.20.2 / V8 11.3 against --trace-gc to
 * ~0.1 ms). `Heap::SizeOfObjects()` returns the live bytes; V8 calls it at the start and the end
 * of each collection, which gives heap before/after (the numbers --trace-gc prints).
 *
 * The enums are V8's; their values have been append-only for years (they feed UMA histograms), so
 * one table serves Node 18-22. Values we do not know print as numbers.
 */
export const GC_SYMBOLS = {
  /** Required: entry + return = the pause. */
  pause: 'v8::internal::Heap::PerformGarbageCollection',
  /** Optional: return value = heap live bytes. */
  heapSize: 'v8::internal::Heap::SizeOfObjects',
} as const;

/** v8::internal::GarbageCollector. */
const COLLECTORS = ['scavenge', 'mark-compact', 'minor-mark-sweep'] as const;

/** v8::internal::GarbageCollectionReason (src/heap/heap.h), as GarbageCollectionReasonToString spells them. */
const REASONS = [
  'unknown',
  'allocation failure',
  'allocation limit',
  'context disposal',
  'counters extension',
  'debugger',
  'deserialize',
  'external memory pressure',
  'finalize incremental marking via stack guard',
  'finalize incremental marking via task',
  'full hash-table',
  'heap profiler',
  'task',
  'last resort',
  'low memory notification',
  'make heap iterable',
  'memory pressure',
  'memory reducer',
  'runtime',
  'sampling profiler',
  'snapshot creator',
  'testing',
  'external finalize',
  'global allocation limit',
  'measure memory',
  'background allocation failure',
  'finalize minor MC',
  'CppHeap allocation failure',
] as const;

export type GcKind = 'minor' | 'major';

export function collectorName(n: number): string {
  return COLLECTORS[n] ?? `collector ${n}`;
}

export function reasonName(n: number): string {
  return REASONS[n] ?? `reason ${n}`;
}

/** perf_hooks' view: scavenges and minor mark-sweeps are minor GCs, mark-compacts major. */
export function gcKind(collector: number): GcKind {
  return collector === 1 ? 'major' : 'minor';
}

/** perf_hooks `entry.detail.kind` values (perf_hooks.constants.NODE_PERFORMANCE_GC_*). */
export const PERF_HOOKS_GC_KIND = { minor: 1, major: 4, incremental: 8, weakcb: 16 } as const;
