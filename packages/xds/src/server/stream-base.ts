/**
 * What SotW and Delta streams share: the node learned from the first request, one TypeState per
 * type, the cache watch, the send queue, flow control on the gRPC call, and closing.
 *
 * A stream's life: `awaiting-node` (no request yet) → `serving` (node known, watch open) →
 * `closed` (client ended or cancelled, server shut down, or a protocol error). Nothing is sent
 * before `serving`, nothing after `closed`.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Cache, CancelWatch, ChangeSet, Node } from '../cache/cache.js';
import type { StreamMode, XdsMetrics } from '../metrics.js';
import { shortTypeName } from '../resource-types.js';
import type { ServerCallbacks } from './callbacks.js';
import type { Phase } from './diff.js';
import { SendQueue, type PendingPush } from './send-queue.js';
import type { SharedResponse, SharedResponses } from './shared-responses.js';
import type { TurnScheduler } from './turn-scheduler.js';
import { TypeState } from './type-state.js';
import type { WriteBudget } from './write-budget.js';

export type StreamPhase = 'awaiting-node' | 'serving' | 'closed';

/** See StreamBase.labels. */
export interface TypeLabels {
  type: string;
  base: { mode: StreamMode; type: string };
  change: { mode: StreamMode; type: string; reason: 'change' };
  request: { mode: StreamMode; type: string; reason: 'request' };
}

export interface StreamContext {
  cache: Cache;
  callbacks: ServerCallbacks;
  metrics: XdsMetrics;
  logger: Logger;
  controlPlaneId?: string;
  /** Bytes written but not yet flushed to the connection above which a stream waits. */
  maxBufferedBytes: number;
  /** The same, server-wide. */
  budget: WriteBudget;
  /** Delta pushes above this many bytes of resources go out in parts (delta-parts.ts). */
  maxResponseBytes: number;
  /** Where streams' send queues take turns (one change reaches every stream at once). */
  turns: TurnScheduler;
  /** Responses encoded once for every stream that sends them. */
  shared: SharedResponses;
  onClosed(stream: StreamBase): void;
}

/** A protocol violation by the client: the stream ends with this status. */
export class StreamError extends Error {
  constructor(
    readonly code: grpcStatus,
    message: string,
  ) {
    super(message);
    this.name = 'StreamError';
  }
}

export abstract class StreamBase {
  readonly id: number;
  readonly mode: StreamMode;
  /** The type of a per-type service (LDS, CDS, ...); undefined on ADS. */
  readonly fixedTypeUrl?: string;
  readonly openedAt = new Date();
  phase: StreamPhase = 'awaiting-node';
  node?: Node;
  protected readonly types = new Map<string, TypeState>();
  protected readonly queue: SendQueue;
  protected logger: Logger;
  /** Whether `logger` logs debug: pino's check per push showed in profiles, and a child's level is fixed at its creation. */
  protected debugEnabled: boolean;
  protected nonceCounter = 0;
  private readonly labelCache = new Map<string, TypeLabels>();
  private cancelWatch?: CancelWatch;
  private bufferedBytes = 0;
  private writeWaiters: (() => void)[] = [];
  /** Woken by the server-wide budget: may write once without queueing again. */
  private holdingTurn = false;

  constructor(
    protected readonly ctx: StreamContext,
    protected readonly call: ServerDuplexStream<unknown, Buffer>,
    id: number,
    mode: StreamMode,
    fixedTypeUrl: string | undefined,
  ) {
    this.id = id;
    this.mode = mode;
    this.fixedTypeUrl = fixedTypeUrl;
    this.logger = ctx.logger.child({ stream: id, mode, ...(fixedTypeUrl ? { service: shortTypeName(fixedTypeUrl) } : {}) });
    this.debugEnabled = this.logger.isLevelEnabled('debug');
    this.queue = new SendQueue({
      flush: (typeUrl, phase, pending) => this.flushType(typeUrl, phase, pending),
      waitWritable: () => this.waitWritable(),
      fail: (err) => this.fail(err),
      idle: () => this.passTurn(),
    }, ctx.turns);
  }

  /** Wires the call's events; called once by the server. */
  start(): void {
    this.ctx.metrics.connectedStreams.inc({ mode: this.mode });
    this.ctx.metrics.streamsTotal.inc({ mode: this.mode });
    this.call.on('data', (req: unknown) => {
      if (this.phase === 'closed') return;
      try {
        this.handleRequest(req);
      } catch (err) {
        this.fail(err);
      }
    });
    // The client half-closed: it wants nothing more; end our side too.
    this.call.on('end', () => this.close('client ended the stream', true));
    this.call.on('cancelled', () => this.close('client cancelled the stream', false));
    this.call.on('error', (err: Error) => this.close(`stream error: ${err.message}`, false));
    this.call.on('close', () => this.close('stream closed', false));
  }

  /** Per-type state, for the debug endpoint. */
  typeStates(): ReadonlyMap<string, TypeState> {
    return this.types;
  }

  /** Resolves once nothing is waiting to be sent (tests, benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  protected abstract handleRequest(req: unknown): void;
  /** Writes what `pending` calls for; returns the bytes written (0: nothing to send). */
  protected abstract flushType(typeUrl: string, phase: Phase, pending: PendingPush): number;
  protected abstract notifyClosed(): void;

  protected typeState(typeUrl: string): TypeState {
    let ts = this.types.get(typeUrl);
    if (!ts) this.types.set(typeUrl, (ts = new TypeState(typeUrl)));
    return ts;
  }

  /** Resolves the request's type URL; per-type services accept an empty one. */
  protected requestType(typeUrl: string): string {
    if (this.fixedTypeUrl) {
      if (typeUrl !== '' && typeUrl !== this.fixedTypeUrl) {
        throw new StreamError(grpcStatus.INVALID_ARGUMENT, `this ${shortTypeName(this.fixedTypeUrl)} stream serves ${this.fixedTypeUrl} only, the request asked for ${typeUrl}; use the aggregated service for several types`);
      }
      return this.fixedTypeUrl;
    }
    if (typeUrl === '') throw new StreamError(grpcStatus.INVALID_ARGUMENT, 'type_url is empty; on the aggregated service every request must name its type (e.g. type.googleapis.com/envoy.config.cluster.v3.Cluster)');
    return typeUrl;
  }

  /** The first request names the node; later ones may omit it. */
  protected learnNode(node: Node | null): void {
    if (this.phase !== 'awaiting-node') return;
    if (!node || typeof node.id !== 'string') {
      throw new StreamError(grpcStatus.INVALID_ARGUMENT, 'the first request of a stream must carry node (with an id); set node.id in the client bootstrap');
    }
    this.node = node;
    this.phase = 'serving';
    this.logger = this.logger.child({ node: node.id });
    this.debugEnabled = this.logger.isLevelEnabled('debug');
    this.cancelWatch = this.ctx.cache.createWatch(node, (changes) => this.onCacheChange(changes));
    this.logger.debug({ cluster: node.cluster, userAgent: node.user_agent_name }, 'stream serving');
  }

  private onCacheChange(changes: readonly ChangeSet[]): void {
    if (this.phase !== 'serving') return;
    const now = performance.now();
    for (const ch of changes) {
      const ts = this.types.get(ch.typeUrl);
      if (ts?.sub.requested) this.queue.mark(ch.typeUrl, ch.names, 'change', now);
    }
  }

  /** Maps requested names to the strings the cache holds (streams then keep no copies of their own). */
  protected canonicalizer(typeUrl: string): (name: string) => string {
    const resources = this.ctx.cache.getResources(this.node!, typeUrl)?.resources;
    return resources ? (n) => resources.get(n)?.name ?? n : (n) => n;
  }

  protected nextNonce(): string {
    return String(++this.nonceCounter);
  }

  /**
   * Whether the stream may send the shared encoding: not while it still waits for the reply to
   * that very encoding (two unanswered responses must not share a nonce). Otherwise the stream
   * encodes its own copy with its own nonce.
   */
  protected mayShare(ts: TypeState, shared: SharedResponse | undefined): shared is SharedResponse {
    return shared !== undefined && !ts.awaits(shared.nonce);
  }

  /** Metric labels of one type on this stream, made once (prom-client keeps and hashes them per call). */
  protected labels(typeUrl: string): TypeLabels {
    let l = this.labelCache.get(typeUrl);
    if (!l) {
      const type = shortTypeName(typeUrl);
      l = { type, base: { mode: this.mode, type }, change: { mode: this.mode, type, reason: 'change' }, request: { mode: this.mode, type, reason: 'request' } };
      this.labelCache.set(typeUrl, l);
    }
    return l;
  }

  /** Writes an encoded response, counting it against the stream's and the server's budgets. */
  protected write(bytes: Buffer): void {
    const n = bytes.length;
    this.bufferedBytes += n;
    this.ctx.budget.take(n);
    this.holdingTurn = false;
    this.call.write(bytes, () => {
      // After close() the stream's bytes were already given back.
      if (this.phase === 'closed') return;
      this.bufferedBytes -= n;
      this.ctx.budget.give(n);
      if (this.bufferedBytes <= this.ctx.maxBufferedBytes) this.wakeWriters();
    });
  }

  private waitWritable(): Promise<void> | undefined {
    if (this.phase === 'closed') return undefined;
    if (this.bufferedBytes > this.ctx.maxBufferedBytes) return new Promise((resolve) => this.writeWaiters.push(resolve));
    if (this.holdingTurn) return undefined;
    const turn = this.ctx.budget.wait();
    return turn?.then(() => {
      this.holdingTurn = true;
    });
  }

  /** A turn the stream was given but did not use (nothing to send, or closed) goes to the next. */
  private passTurn(): void {
    if (!this.holdingTurn) return;
    this.holdingTurn = false;
    this.ctx.budget.release();
  }

  private wakeWriters(): void {
    const w = this.writeWaiters;
    this.writeWaiters = [];
    for (const f of w) f();
  }

  /** Ends the stream with an error status (protocol violation, callback error, bug). */
  protected fail(err: unknown): void {
    if (this.phase === 'closed') return;
    const code = err instanceof StreamError ? err.code : grpcStatus.INTERNAL;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof StreamError) this.logger.warn({ code }, `closing stream: ${message}`);
    else this.logger.error({ err }, 'closing stream after an internal error');
    this.close(message, false);
    this.call.emit('error', { code, details: message });
  }

  close(reason: string, endCall: boolean): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.cancelWatch?.();
    this.queue.close();
    this.wakeWriters();
    // A cancelled call may never report its writes flushed: give its bytes back now.
    this.ctx.budget.give(this.bufferedBytes);
    this.bufferedBytes = 0;
    this.passTurn();
    this.ctx.metrics.connectedStreams.dec({ mode: this.mode });
    this.logger.debug({ reason }, 'stream closed');
    if (endCall) {
      try {
        this.call.end();
      } catch {
        // already ended
      }
    }
    try {
      this.notifyClosed();
    } catch (err) {
      this.logger.error({ err }, 'onStreamClosed callback threw');
    }
    this.ctx.onClosed(this);
  }

  /** Runs an observer callback, logging what it throws. */
  protected observe(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err, callback: name }, 'callback threw; ignored');
    }
  }

  /** JSON for the debug endpoint; `summary` leaves out the per-resource maps. */
  toJSON(summary = false): Record<string, unknown> {
    const types: Record<string, unknown> = {};
    for (const [typeUrl, ts] of this.types) types[shortTypeName(typeUrl)] = { typeUrl, ...ts.toJSON(summary) };
    return {
      stream: this.id,
      mode: this.mode,
      service: this.fixedTypeUrl ? shortTypeName(this.fixedTypeUrl) : 'ADS',
      node: this.node ? { id: this.node.id, cluster: this.node.cluster, userAgent: [this.node.user_agent_name, this.node.user_agent_version].filter(Boolean).join(' ') } : undefined,
      openedAt: this.openedAt.toISOString(),
      phase: this.phase,
      types,
    };
  }
}
