/**
 * An incremental (Delta) stream (ADS `DeltaAggregatedResources`, or a per-type `Delta*`).
 *
 * Per request, by Envoy's xds_protocol (incremental variant):
 *  - the node comes with the first request; so do `initial_resource_versions` after a
 *    reconnect, and only resources whose hash differs from those are sent;
 *  - a request with `response_nonce` ACKs or NACKs (`error_detail`) that response; NACKs are
 *    recorded and not resent;
 *  - `resource_names_subscribe`/`unsubscribe` are honored whatever the nonce; `*` is the
 *    wildcard, and a first LDS/CDS request naming nothing is the legacy wildcard;
 *  - removals go out as `removed_resources`, after the upserts of every type (make-before-break);
 *    a name subscribed that does not exist is reported removed once, so clients need not wait
 *    for a timeout.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Node } from '../cache/cache.js';
import type { DeltaDiscoveryRequest } from './callbacks.js';
import { deltaParts } from './delta-parts.js';
import { applyDelta, deltaRemove, deltaUpsert, encodeDeltaPlan, type Phase } from './diff.js';
import type { PendingPush } from './send-queue.js';
import { StreamBase, type StreamContext } from './stream-base.js';
import { mergeCandidates } from './subscription.js';

export class DeltaStream extends StreamBase {
  private lastRequest = new Map<string, DeltaDiscoveryRequest>();
  private deferredAcks: { req: DeltaDiscoveryRequest; at: number }[] = [];

  constructor(ctx: StreamContext, call: ServerDuplexStream<unknown, Buffer>, id: number, fixedTypeUrl?: string) {
    super(ctx, call, id, 'delta', fixedTypeUrl);
  }

  override start(): void {
    super.start();
    try {
      this.ctx.callbacks.onDeltaStreamOpen?.(this.id, this.fixedTypeUrl ?? '');
    } catch (err) {
      this.fail(err);
    }
  }

  protected notifyClosed(): void {
    this.ctx.callbacks.onDeltaStreamClosed?.(this.id, this.node);
  }

  protected handleRequest(raw: unknown): void {
    const req = raw as DeltaDiscoveryRequest;
    if (this.isPlainAck(req)) {
      // Recording an ACK changes nothing that is sent: it waits until the pushes under way are
      // written (TurnScheduler.afterPushes), in arrival order, before any later request.
      if (this.deferredAcks.push({ req, at: performance.now() }) === 1) this.ctx.turns.afterPushes(() => this.recordDeferredAcks());
      return;
    }
    this.recordDeferredAcks();
    this.handleNow(req, performance.now());
  }

  /** An ACK and nothing else, of a type this stream serves: no error, no node, no (un)subscription. */
  private isPlainAck(req: DeltaDiscoveryRequest): boolean {
    if (this.phase !== 'serving' || req.response_nonce === '' || req.error_detail || req.node) return false;
    if (req.resource_names_subscribe.length > 0 || req.resource_names_unsubscribe.length > 0) return false;
    for (const _ in req.initial_resource_versions) return false;
    const typeUrl = req.type_url === '' ? this.fixedTypeUrl : req.type_url;
    if (this.fixedTypeUrl && typeUrl !== this.fixedTypeUrl) return false;
    return typeUrl !== undefined && this.types.get(typeUrl)?.sub.requested === true;
  }

  private recordDeferredAcks(): void {
    if (this.deferredAcks.length === 0) return;
    const acks = this.deferredAcks;
    this.deferredAcks = [];
    for (const { req, at } of acks) {
      if (this.phase === 'closed') return;
      try {
        this.handleNow(req, at);
      } catch (err) {
        this.fail(err);
        return;
      }
    }
  }

  private handleNow(req: DeltaDiscoveryRequest, receivedAt: number): void {
    const typeUrl = this.requestType(req.type_url);
    this.learnNode(req.node as Node | null);
    this.ctx.callbacks.onStreamDeltaRequest?.(this.id, req);
    const labels = this.labels(typeUrl);
    const type = labels.type;
    this.ctx.metrics.requestsTotal.inc(labels.base);
    const ts = this.typeState(typeUrl);
    const nonce = req.response_nonce;
    if (nonce !== '') {
      const errorMessage = req.error_detail ? req.error_detail.message || `error code ${req.error_detail.code}` : undefined;
      const current = this.ctx.cache.getResources(this.node!, typeUrl)?.resources;
      const outcome = ts.reply(nonce, undefined, errorMessage, current, receivedAt);
      if (outcome.latencyMs !== undefined) this.ctx.metrics.ackLatency.observe(labels.base, outcome.latencyMs / 1000);
      if (errorMessage === undefined) {
        // An ACK of a response this stream never sent (a nonce from before a reconnect) is not one.
        if (outcome.kind === 'ack') this.ctx.metrics.acksTotal.inc(labels.base);
      } else {
        this.ctx.metrics.nacksTotal.inc(labels.base);
        this.logger.warn({ type, nonce, resources: outcome.resources, error: errorMessage }, 'client rejected (NACKed) a response; keeping it as sent, waiting for a new version');
        this.observe('onNack', () => this.ctx.callbacks.onNack?.(this.id, this.node, { mode: 'delta', typeUrl, nonce, versionInfo: '', message: errorMessage, resources: outcome.resources }));
      }
    }
    this.lastRequest.set(typeUrl, req);
    const first = !ts.sub.requested;
    const subscribed = ts.sub.applyDeltaSubscribe(req.resource_names_subscribe, first ? req.initial_resource_versions : undefined, this.canonicalizer(typeUrl));
    const unsubscribed = ts.sub.applyDeltaUnsubscribe(req.resource_names_unsubscribe);
    this.queue.mark(typeUrl, mergeCandidates(subscribed, unsubscribed), 'request');
  }

  protected flushType(typeUrl: string, phase: Phase, pending: PendingPush): number {
    const ts = this.types.get(typeUrl);
    if (!ts || this.phase !== 'serving') return 0;
    const current = this.ctx.cache.getResources(this.node!, typeUrl);
    const plan = phase === 'upsert' ? deltaUpsert(ts.sub, current, pending.candidates) : deltaRemove(ts.sub, current, pending.candidates);
    if (!plan) return 0;
    // A large push goes out in parts (delta-parts.ts), each its own response and nonce.
    const parts = deltaParts(plan, this.ctx.maxResponseBytes);
    const nonces: string[] = [];
    let written = 0;
    for (const part of parts) {
      const shared = this.ctx.shared.delta(part);
      let nonce: string;
      let bytes: Buffer;
      if (this.mayShare(ts, shared)) ({ nonce, bytes } = shared);
      else bytes = encodeDeltaPlan(part, (nonce = this.nextNonce()), this.ctx.controlPlaneId);
      this.write(bytes);
      nonces.push(nonce);
      written += bytes.length;
    }
    applyDelta(ts.sub, ts.sub.view, plan, current?.resources);
    ts.sub.responded = true;
    if (parts.length === 1) ts.sent(nonces[0], plan.systemVersion, { delta: plan });
    else ts.sentParts(nonces, plan.systemVersion, parts, plan);
    const labels = this.labels(typeUrl);
    const type = labels.type;
    const m = this.ctx.metrics;
    m.pushesTotal.inc(labels.base, parts.length);
    m.resourcesSentTotal.inc(labels.base, plan.count);
    m.sentBytesTotal.inc(labels.base, written);
    m.pushLatency.observe(labels[pending.reason], (performance.now() - pending.since) / 1000);
    if (this.debugEnabled) this.logger.debug({ type, phase, version: plan.systemVersion, nonce: nonces.join(','), resources: plan.count, removed: plan.removed.length, responses: parts.length, bytes: written }, 'sent');
    const cb = this.ctx.callbacks.onStreamDeltaResponse;
    if (cb) {
      parts.forEach((part, i) =>
        this.observe('onStreamDeltaResponse', () =>
          cb(this.id, this.lastRequest.get(typeUrl), { system_version_info: part.systemVersion, type_url: typeUrl, nonce: nonces[i], resources: part.resources, removed_resources: part.removed }),
        ),
      );
    }
    return written;
  }
}
