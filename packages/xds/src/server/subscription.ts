/**
 * One stream's subscription to one resource type: the names it asked for (or the wildcard), and
 * the view of what the client holds. SotW and Delta change it differently (a full name list per
 * request, or subscribe/unsubscribe deltas); both report which names need another look.
 */
import { allowsLegacyWildcard } from '../resource-types.js';
import { nameSetOf } from '../proto/name-lists.js';
import { ClientView } from './client-view.js';
import { internNames, isPoolable } from './name-pool.js';

/** Names whose state may have changed for a stream, or every name. */
export type Candidates = 'all' | ReadonlySet<string>;

export function mergeCandidates(a: Candidates | undefined, b: Candidates): Candidates {
  if (a === undefined) return b;
  if (a === 'all' || b === 'all') return 'all';
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const merged = new Set(a);
  for (const n of b) merged.add(n);
  return merged;
}

export const WILDCARD = '*';

const NOTHING: ReadonlySet<string> = new Set();

/** Maps a requested name to the copy the cache holds, so streams keep no strings of their own. */
export type Canonicalize = (name: string) => string;
const asIs: Canonicalize = (n) => n;

export class Subscription {
  readonly typeUrl: string;
  /** Subscribed to every resource of the type. */
  wildcard = false;
  /** Names asked for explicitly; possibly shared with other streams (name-pool.ts): copy before changing. */
  private nameSet: ReadonlySet<string> = new Set<string>();
  private namesShared = false;
  /** The client has named resources explicitly at least once: the legacy wildcard no longer applies. */
  private everNamed = false;
  /** What the client holds, as sent on this stream (or reported by the client). */
  readonly view = new ClientView();
  /** Whether any response of this type went out on this stream. */
  responded = false;
  /** Whether a request of this type arrived on this stream. */
  requested = false;
  /** SotW: the interned list the current names came from (an ACK repeating it is recognized by identity). */
  private sotwList?: readonly string[];

  constructor(typeUrl: string) {
    this.typeUrl = typeUrl;
  }

  /** Names asked for explicitly (may be combined with the wildcard). */
  get names(): ReadonlySet<string> {
    return this.nameSet;
  }

  private mutableNames(): Set<string> {
    if (this.namesShared) {
      this.nameSet = new Set(this.nameSet);
      this.namesShared = false;
    }
    return this.nameSet as Set<string>;
  }

  /** Shares a large set with the streams that asked for the same names; never changed in place after. */
  private internNames(): void {
    if (this.namesShared || !isPoolable(this.nameSet)) return;
    this.nameSet = internNames(this.nameSet);
    this.namesShared = true;
  }

  /** Whether a SotW list asks for exactly the current subscription (every ACK repeats it). */
  private sameAsCurrent(resourceNames: readonly string[]): boolean {
    let star = false;
    let count = 0;
    for (const n of resourceNames) {
      if (n === WILDCARD) star = true;
      else if (!this.nameSet.has(n)) return false;
      else count++;
    }
    const wildcard = star || (count === 0 && !this.everNamed && allowsLegacyWildcard(this.typeUrl));
    return wildcard === this.wildcard && count === this.nameSet.size;
  }

  subscribes(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /**
   * SotW: the request carries the complete list. Returns the names that need another look
   * (newly subscribed), or 'all' when the wildcard changed. Names no longer subscribed leave the
   * view: the client dropped them, so subscribing again must resend them.
   */
  applySotwNames(resourceNames: readonly string[], canonical: Canonicalize = asIs): Candidates {
    const first = !this.requested;
    // Every SotW ACK repeats the whole list (10,000 names for a large Envoy): same set, nothing to do.
    if (!first && resourceNames === this.sotwList) return NOTHING;
    if (!first && this.sameAsCurrent(resourceNames)) return NOTHING;
    this.requested = true;
    // An interned list (name-lists.ts) comes with a shared Set: no copy, no per-name work.
    const shared = nameSetOf(resourceNames);
    const sharedNoStar = shared !== undefined && !shared.has(WILDCARD) ? shared : undefined;
    const explicit = sharedNoStar ? resourceNames : resourceNames.filter((n) => n !== WILDCARD).map(canonical);
    const wildcard = sharedNoStar ? false : resourceNames.includes(WILDCARD) || (explicit.length === 0 && !this.everNamed && allowsLegacyWildcard(this.typeUrl));
    if (explicit.length > 0) this.everNamed = true;
    const added = new Set<string>();
    if (!first || this.nameSet.size > 0) for (const n of explicit) if (!this.nameSet.has(n)) added.add(n);
    const next: ReadonlySet<string> = sharedNoStar ? internNames(sharedNoStar) : new Set(explicit);
    for (const n of this.nameSet) {
      if (!next.has(n) && !wildcard) this.view.delete(n);
    }
    this.nameSet = next;
    this.namesShared = sharedNoStar !== undefined;
    this.sotwList = sharedNoStar ? resourceNames : undefined;
    this.internNames();
    if (wildcard !== this.wildcard || first) {
      this.wildcard = wildcard;
      if (!wildcard) for (const n of [...this.view.names()]) if (!this.names.has(n)) this.view.delete(n);
      return 'all';
    }
    return added;
  }

  /**
   * Delta: names added. On the stream's first request for the type, `initialVersions` says what
   * the client already holds (after a reconnect); otherwise a subscribed name is resent even if
   * the stream thinks the client has it (Envoy's xds_protocol: the client may have dropped it).
   */
  applyDeltaSubscribe(subscribe: readonly string[], initialVersions?: Readonly<Record<string, string>>, canonical: Canonicalize = asIs): Candidates {
    const first = !this.requested;
    this.requested = true;
    let all = false;
    const touched = new Set<string>();
    if (first) {
      if (subscribe.length === 0 && allowsLegacyWildcard(this.typeUrl)) {
        this.wildcard = true;
        all = true;
      }
      for (const [name, version] of Object.entries(initialVersions ?? {})) this.view.set(name, version);
      if (initialVersions && Object.keys(initialVersions).length > 0) all = true;
    }
    // A first request with an interned list and nothing held: take the list's shared Set as is.
    const shared = first && this.nameSet.size === 0 && this.view.size === 0 ? nameSetOf(subscribe) : undefined;
    if (shared && !shared.has(WILDCARD)) {
      this.nameSet = internNames(shared);
      this.namesShared = true;
      return 'all';
    }
    let names: Set<string> | undefined;
    for (const raw of subscribe) {
      if (raw === WILDCARD) {
        if (!this.wildcard) all = true;
        this.wildcard = true;
        continue;
      }
      const n = canonical(raw);
      if (!this.nameSet.has(n)) (names ??= this.mutableNames()).add(n);
      if (this.view.size > 0 && (!first || initialVersions?.[n] === undefined)) this.view.delete(n);
      // The first request needs everything looked at anyway: no per-name candidate set.
      if (!first) touched.add(n);
    }
    if (names) this.internNames();
    return all || first ? 'all' : touched;
  }

  /** Delta: names removed. Phantom unsubscribes (never subscribed) change nothing. */
  applyDeltaUnsubscribe(unsubscribe: readonly string[]): Candidates {
    let all = false;
    let shrunk = false;
    const touched = new Set<string>();
    for (const n of unsubscribe) {
      if (n === WILDCARD) {
        if (this.wildcard) {
          this.wildcard = false;
          for (const held of [...this.view.names()]) if (!this.names.has(held)) this.view.delete(held);
          all = true;
        }
        continue;
      }
      if (!this.nameSet.has(n)) continue;
      this.mutableNames().delete(n);
      shrunk = true;
      // Still covered by the wildcard: the client dropped its explicit interest, the spec says
      // to answer with the resource again (or its removal), so forget what it holds.
      this.view.delete(n);
      if (this.wildcard) touched.add(n);
    }
    if (shrunk) this.internNames();
    return all ? 'all' : touched;
  }
}
