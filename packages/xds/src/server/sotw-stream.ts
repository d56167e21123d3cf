/**
 * A State-of-the-World stream (ADS `StreamAggregatedResources`, or a per-type `Stream*`).
 *
 * Per request, by Envoy's xds_protocol:
 *  - the node comes with the first request;
 *  - a request whose nonce is not the latest sent for its type is stale: its ACK or NACK is
 *    recorded, nothing else (the client sends its current subscription again after the latest
 *    response);
 *  - `error_detail` set = NACK: recorded per resource, counted, logged, reported to onNack, and
 *    nothing is resent: the stream already counts the rejected content as sent, so only a new
 *    version produces a response; other types and resources keep flowing;
 *  - the name list replaces the subscription; newly named resources are sent even if unchanged.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Node } from '../cache/cache.js';
import { shortTypeName } from '../resource-types.js';
import type { DiscoveryRequest } from './callbacks.js';
import { applySotw, encodeSotwPlan, sotwRemove, sotwUpsert, type Phase } from './diff.js';
import type { PendingPush } from './send-queue.js';
import { StreamBase, type StreamContext } from './stream-base.js';

export class SotwStream extends StreamBase {
  private lastRequest = new Map<string, DiscoveryRequest>();

  constructor(ctx: StreamContext, call: ServerDuplexStream<unknown, Buffer>, id: number, fixedTypeUrl?: string) {
    super(ctx, call, id, 'sotw', fixedTypeUrl);
  }

  override start(): void {
    super.start();
    try {
      this.ctx.callbacks.onStreamOpen?.(this.id, this.fixedTypeUrl ?? '');
    } catch (err) {
      this.fail(err);
    }
  }

  protected notifyClosed(): void {
    this.ctx.callbacks.onStreamClosed?.(this.id, this.node);
  }

  protected handleRequest(raw: unknown): void {
    const req = raw as DiscoveryRequest;
    const typeUrl = this.requestType(req.type_url);
    this.learnNode(req.node as Node | null);
    this.ctx.callbacks.onStreamRequest?.(this.id, req);
    const type = shortTypeName(typeUrl);
    this.ctx.metrics.requestsTotal.inc({ mode: 'sotw', type });
    const ts = this.typeState(typeUrl);
    const nonce = req.response_nonce;
    const errorMessage = req.error_detail ? req.error_detail.message || `error code ${req.error_detail.code}` : undefined;

    if (nonce !== '') {
      const current = this.ctx.cache.getResources(this.node!, typeUrl)?.resources;
      const outcome = ts.reply(nonce, req.version_info, errorMessage, current);
      if (outcome.latencyMs !== undefined) this.ctx.metrics.ackLatency.observe({ mode: 'sotw', type }, outcome.latencyMs / 1000);
      if (errorMessage === undefined) {
        // An ACK of a response this stream never sent (a nonce from before a reconnect) is not one.
        if (outcome.kind === 'ack') this.ctx.metrics.acksTotal.inc({ mode: 'sotw', type });
      } else {
        this.ctx.metrics.nacksTotal.inc({ mode: 'sotw', type });
        this.logger.warn({ type, nonce, versionInfo: req.version_info, resources: outcome.resources, error: errorMessage }, 'client rejected (NACKed) a response; keeping it as sent, waiting for a new version');
        this.observe('onNack', () =>
          this.ctx.callbacks.onNack?.(this.id, this.node, { mode: 'sotw', typeUrl, nonce, versionInfo: req.version_info, message: errorMessage, resources: outcome.resources }),
        );
      }
    }
    if (ts.isStale(nonce)) {
      this.ctx.metrics.staleRequestsTotal.inc({ mode: 'sotw', type });
      return;
    }
    this.lastRequest.set(typeUrl, req);
    const candidates = ts.sub.applySotwNames(req.resource_names, this.canonicalizer(typeUrl));
    this.queue.mark(typeUrl, candidates, 'request');
  }

  protected flushType(typeUrl: string, phase: Phase, pending: PendingPush): number {
    const ts = this.types.get(typeUrl);
    if (!ts || this.phase !== 'serving') return 0;
    const current = this.ctx.cache.getResources(this.node!, typeUrl);
    const plan = phase === 'upsert' ? sotwUpsert(ts.sub, current, pending.candidates) : sotwRemove(ts.sub, current, pending.candidates);
    if (!plan) return 0;
    const shared = this.ctx.shared.sotw(plan);
    let nonce: string;
    let bytes: Buffer;
    if (this.mayShare(ts, shared)) ({ nonce, bytes } = shared);
    else bytes = encodeSotwPlan(plan, (nonce = this.nextNonce()), this.ctx.controlPlaneId);
    this.write(bytes);
    applySotw(ts.sub.view, plan, current?.resources);
    ts.sub.responded = true;
    ts.sent(nonce, plan.version, { sotw: plan });
    const type = shortTypeName(typeUrl);
    const m = this.ctx.metrics;
    m.pushesTotal.inc({ mode: 'sotw', type });
    m.resourcesSentTotal.inc({ mode: 'sotw', type }, plan.count);
    m.sentBytesTotal.inc({ mode: 'sotw', type }, bytes.length);
    m.pushLatency.observe({ mode: 'sotw', type, reason: pending.reason }, (performance.now() - pending.since) / 1000);
    if (this.debugEnabled) this.logger.debug({ type, phase, version: plan.version, nonce, resources: plan.count, bytes: bytes.length }, 'sent');
    const cb = this.ctx.callbacks.onStreamResponse;
    if (cb) {
      this.observe('onStreamResponse', () => cb(this.id, this.lastRequest.get(typeUrl), { version_info: plan.version, type_url: typeUrl, nonce, resources: plan.resources }));
    }
    return bytes.length;
  }
}
