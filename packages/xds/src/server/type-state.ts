/**
 * One stream's state for one resource type: the subscription, the nonce of the latest response,
 * the responses not yet ACKed or NACKed, and what the client has ACKed, resource by resource
 * (the per-client view the debug endpoint shows, as CSDS would).
 */
import type { Resource } from '../cache/resource.js';
import { ClientView, versionOf } from './client-view.js';
import { applyDelta, applySotw, type DeltaPlan, type SotwPlan } from './diff.js';
import { Subscription } from './subscription.js';

export interface NackRecord {
  nonce: string;
  /** version_info of the NACK: what the client keeps using. */
  versionInfo: string;
  /** The client's error_detail.message. */
  message: string;
  /** Resources the error was attributed to (by "resource index N" or by name), else all of the response. */
  resources: string[];
  at: string;
}

interface Inflight {
  nonce: string;
  version: string;
  sentAt: number;
  sotw?: SotwPlan;
  delta?: DeltaPlan;
  /**
   * An earlier part of a push sent in parts (delta-parts.ts): the record of its last part,
   * whose ACK records the whole push as held. A part's own ACK records nothing, so a thousand
   * streams in sync keep sharing the cache's map instead of each copying it part by part.
   */
  partOf?: Inflight;
  /** On the last part: names NACKed in earlier parts, left out when the push is recorded. */
  nackedInParts?: Set<string>;
}

const NO_NAMES: ReadonlySet<string> = new Set();
const EMPTY: string[] = [];

/**
 * How many unanswered responses per type are remembered; older ones can no longer be attributed.
 * A first sync of 10k resources goes out in ~32 parts per type.
 */
const MAX_INFLIGHT = 256;

export interface ReplyOutcome {
  kind: 'ack' | 'nack' | 'unknown-nonce';
  /** NACK: the resources it was attributed to (empty for an ACK: not computed). */
  resources: string[];
  /** Milliseconds from sending the response to its reply. */
  latencyMs?: number;
}

export class TypeState {
  readonly typeUrl: string;
  readonly sub: Subscription;
  /** What the client ACKed, per resource. */
  readonly acked = new ClientView();
  /** Resources whose latest version was NACKed: name → the NACK. */
  readonly nacked = new Map<string, NackRecord>();
  nonceSent = '';
  versionSent = '';
  versionAcked = '';
  lastNack?: NackRecord;
  acks = 0;
  nacks = 0;
  responses = 0;
  private readonly inflight = new Map<string, Inflight>();

  constructor(typeUrl: string) {
    this.typeUrl = typeUrl;
    this.sub = new Subscription(typeUrl);
  }

  /** Whether a non-empty response nonce is older than the latest response (SotW ignores those requests). */
  isStale(nonce: string): boolean {
    return nonce !== '' && this.nonceSent !== '' && nonce !== this.nonceSent;
  }

  /** Whether the response `nonce` went out on this stream and is not answered yet. */
  awaits(nonce: string): boolean {
    return this.inflight.has(nonce);
  }

  sent(nonce: string, version: string, plan: { sotw?: SotwPlan; delta?: DeltaPlan }): void {
    this.record({ nonce, version, sentAt: performance.now(), ...plan });
  }

  /** A Delta push sent as parts: `nonces[i]` carried `parts[i]`; the last one's ACK records `whole`. */
  sentParts(nonces: readonly string[], version: string, parts: readonly DeltaPlan[], whole: DeltaPlan): void {
    const now = performance.now();
    const last: Inflight = { nonce: nonces[nonces.length - 1], version, sentAt: now, delta: whole };
    for (let i = 0; i < nonces.length - 1; i++) this.record({ nonce: nonces[i], version, sentAt: now, delta: parts[i], partOf: last });
    this.record(last);
  }

  private record(r: Inflight): void {
    this.nonceSent = r.nonce;
    this.versionSent = r.version;
    this.responses++;
    this.inflight.set(r.nonce, r);
    if (this.inflight.size > MAX_INFLIGHT) this.inflight.delete(this.inflight.keys().next().value!);
  }

  /**
   * Records an ACK (no error) or NACK (error message) of the response `nonce`. `versionInfo` is
   * the request's (SotW); Delta requests carry none, the response's version is used.
   */
  reply(nonce: string, versionInfo: string | undefined, errorMessage: string | undefined, current?: ReadonlyMap<string, Resource>, receivedAt = performance.now()): ReplyOutcome {
    const sent = this.inflight.get(nonce);
    this.inflight.delete(nonce);
    const latencyMs = sent ? receivedAt - sent.sentAt : undefined;
    if (errorMessage === undefined) {
      this.acks++;
      this.versionAcked = versionInfo ?? sent?.version ?? this.versionAcked;
      if (!sent) return { kind: 'unknown-nonce', resources: [], latencyMs };
      const except = sent.nackedInParts ?? NO_NAMES;
      if (!sent.partOf) this.applyAcked(sent, except, current);
      // The common case (nothing NACKed) costs nothing per resource.
      if (this.nacked.size > 0) for (const n of namesOf(sent)) if (!except.has(n)) this.nacked.delete(n);
      return { kind: 'ack', resources: EMPTY, latencyMs };
    }
    const resources = sent ? namesOf(sent) : [];
    this.nacks++;
    const blamed = sent ? attribute(errorMessage, sent) : { names: [], byIndex: false };
    const record: NackRecord = {
      nonce,
      versionInfo: versionInfo ?? this.versionAcked,
      message: errorMessage,
      resources: blamed.names.length > 0 ? blamed.names : resources,
      at: new Date().toISOString(),
    };
    this.lastNack = record;
    for (const n of record.resources) this.nacked.set(n, record);
    if (sent?.partOf) {
      // The last part's ACK must not record these as held.
      const set = (sent.partOf.nackedInParts ??= new Set());
      for (const n of record.resources) set.add(n);
      return { kind: 'nack', resources: record.resources, latencyMs };
    }
    // gRFC A46: a gRPC client keeps the valid resources of a NACKed response. When its message
    // says which ones failed ("resource index N"), the others count as ACKed.
    if (sent && blamed.byIndex) {
      this.applyAcked(sent, new Set(blamed.names), current);
      this.versionAcked = versionInfo ?? sent.version;
    }
    return { kind: sent ? 'nack' : 'unknown-nonce', resources: record.resources, latencyMs };
  }

  private applyAcked(sent: Inflight, except: ReadonlySet<string>, current?: ReadonlyMap<string, Resource>): void {
    if (except.size === 0) {
      if (sent.sotw) applySotw(this.acked, sent.sotw, current);
      if (sent.delta) applyDelta(this.sub, this.acked, sent.delta, current);
      return;
    }
    const keep = new Map<string, ReturnType<ClientView['get']>>();
    for (const n of except) keep.set(n, this.acked.get(n));
    if (sent.sotw) applySotw(this.acked, sent.sotw, current);
    if (sent.delta) applyDelta(this.sub, this.acked, sent.delta, current);
    for (const [n, held] of keep) {
      if (held === undefined) this.acked.delete(n);
      else this.acked.set(n, held);
    }
  }

  /** JSON for the debug endpoint: per resource (unless `summary`), the version sent and ACKed, and any NACK. */
  toJSON(summary = false): Record<string, unknown> {
    const counts = { subscribed: this.sub.names.size, held: this.sub.view.size, acked: this.acked.size, nacked: this.nacked.size };
    if (summary) {
      return {
        wildcard: this.sub.wildcard,
        versionSent: this.versionSent,
        versionAcked: this.versionAcked,
        nonceSent: this.nonceSent,
        responses: this.responses,
        acks: this.acks,
        nacks: this.nacks,
        counts,
        ...(this.lastNack ? { lastNack: this.lastNack } : {}),
        nacked: Object.fromEntries([...this.nacked].map(([n, r]) => [n, { nonce: r.nonce, message: r.message, at: r.at }])),
      };
    }
    const resources: Record<string, unknown> = {};
    const names = new Set<string>([...this.sub.view.names(), ...this.acked.names(), ...this.nacked.keys()]);
    for (const name of [...names].sort()) {
      const sentHeld = this.sub.view.get(name);
      const ackedHeld = this.acked.get(name);
      const nack = this.nacked.get(name);
      const sentVersion = sentHeld === undefined ? undefined : versionOf(sentHeld);
      const ackedVersion = ackedHeld === undefined ? undefined : versionOf(ackedHeld);
      resources[name] = {
        status: nack ? 'NACKED' : sentVersion !== undefined && sentVersion === ackedVersion ? 'ACKED' : 'SENT',
        sentVersion: sentVersion === '' ? '(does not exist)' : sentVersion,
        ackedVersion: ackedVersion === '' ? '(does not exist)' : ackedVersion,
        ...(nack ? { nack: { nonce: nack.nonce, message: nack.message, at: nack.at } } : {}),
      };
    }
    return {
      subscribed: this.sub.wildcard ? ['*', ...this.sub.names] : [...this.sub.names],
      versionSent: this.versionSent,
      versionAcked: this.versionAcked,
      nonceSent: this.nonceSent,
      responses: this.responses,
      acks: this.acks,
      nacks: this.nacks,
      ...(this.lastNack ? { lastNack: this.lastNack } : {}),
      resources,
    };
  }
}

function namesOf(sent: Inflight): string[] {
  if (sent.sotw) return sent.sotw.resources.map((r) => r.name);
  if (sent.delta) return [...sent.delta.resources.map((r) => r.name), ...sent.delta.removed];
  return [];
}

/**
 * Which resources of a response an error message is about. gRPC clients write
 * "resource index N: ..." (grpc-js, grpc-go); Envoy names the resources. Falls back to nothing
 * (the caller then blames the whole response).
 */
function attribute(message: string, sent: Inflight): { names: string[]; byIndex: boolean } {
  const resources = sent.sotw?.resources ?? sent.delta?.resources ?? [];
  const byIndex = new Set<string>();
  for (const m of message.matchAll(/resource index (\d+)/g)) {
    const r = resources[Number(m[1])];
    if (r) byIndex.add(r.name);
  }
  if (byIndex.size > 0) return { names: [...byIndex], byIndex: true };
  const byName = resources.filter((r) => r.name.length >= 3 && message.includes(r.name)).map((r) => r.name);
  return { names: byName, byIndex: false };
}
