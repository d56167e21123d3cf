/**
 * What the benchmark process (run.ts) and a subject process (subject.ts) say to each other over
 * the child's IPC channel, and the clock both read.
 *
 *   run.ts                                   subject.ts
 *   fork(subject.ts, SubjectConfig)  ──────▶ import the library, gc, heap baseline, start the
 *                                            informer, wait for synced, gc, heap again
 *                                    ◀────── SyncedMessage
 *   (latency case) paced writes, then
 *   LatencyDoneMessage               ──────▶ wait for every write's handler call (or a timeout)
 *                                    ◀────── LatencyMessage
 *   StopMessage                      ──────▶ stop the informer, exit
 */

/**
 * The subjects: our informer three ways, the peer, and the floor under both (a paged list and a
 * watch over bare node:https with JSON.parse, objects kept in a Map: no informer at all).
 */
export type SubjectKind = 'keelson' | 'keelson-paged' | 'keelson-qps-default' | 'client-node' | 'floor';

export interface SubjectConfig {
  subject: SubjectKind;
  kubeconfig: string;
  namespace: string;
  /** Pods in the namespace: the subject is synced once its cache holds this many. */
  expected: number;
  /**
   * Latency case: the label whose value the writes set, and the prefix of the values of this
   * phase (`<prefix>-<seq>`); absent when the case measures sync and heap only.
   */
  latency?: { label: string; prefix: string; writes: number };
}

export interface SyncedMessage {
  type: 'synced';
  /** Start of the informer to synced (see subject.ts for the point of each subject), ms. */
  syncMs: number;
  /** Start to the handler having been called for every object of the initial list, ms. */
  handlerMs: number;
  /** client-node only: start to `informer.start()` resolving (list applied and watch request answered), ms. */
  startResolvedMs?: number;
  /** process.memoryUsage() after gc, before the informer was made and once it had synced. */
  heapBefore: number;
  heapAfter: number;
  externalBefore: number;
  externalAfter: number;
  rssAfter: number;
  /** Objects in the cache at synced (checked against `expected`). */
  cached: number;
}

export interface LatencyDoneMessage {
  type: 'latency-done';
}

export interface LatencyMessage {
  type: 'latency';
  /** When the handler was called for write `seq` (clockMs), NaN when it never was. */
  handledAt: number[];
  /** Update notifications seen in the phase (a write the handler saw twice would show here). */
  updates: number;
  /** CPU time (user + system) the subject process used during the phase, ms. */
  cpuMs: number;
}

export interface StopMessage {
  type: 'stop';
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export type ToSubject = LatencyDoneMessage | StopMessage;
export type FromSubject = SyncedMessage | LatencyMessage | ErrorMessage;

/**
 * Milliseconds on CLOCK_MONOTONIC (process.hrtime), which on Linux is one clock for every
 * process: a handler's time in the subject and a write's acknowledgement in the benchmark
 * process compare directly.
 */
export function clockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
