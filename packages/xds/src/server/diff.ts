/**
 * What a stream must send for one type, from its subscription, what the client holds and what
 * the cache holds now: pure functions, called when the stream can write (so a stream that fell
 * behind computes one response from the latest state instead of replaying superseded ones).
 *
 * Each push has two phases (make-before-break):
 *  - upsert, in push order (secrets, clusters, endpoints, listeners, routes): new and changed
 *    resources. A SotW Listener/Cluster response must list every subscribed resource, so it
 *    still lists the ones about to be removed, with the content the client has;
 *  - remove, in reverse order: SotW Listener/Cluster responses without them, Delta
 *    `removed_resources`. By then the routes that used a removed cluster have moved on.
 *
 * Versions compare by resource hash, never by snapshot version: a new snapshot that leaves a
 * resource alone sends nothing for it.
 */
import { wholeMapEntries, type Resource } from '../cache/resource.js';
import { encodeDeltaDiscoveryResponse, encodeDiscoveryResponse } from '../proto/wire.js';
import type { TypeResources } from '../cache/snapshot.js';
import { isFullStateType } from '../resource-types.js';
import { ABSENT, versionOf, type Held } from './client-view.js';
import { coverage } from './name-coverage.js';
import type { Candidates, Subscription } from './subscription.js';

export type Phase = 'upsert' | 'remove';

export interface SotwPlan {
  typeUrl: string;
  version: string;
  /**
   * The response's resources, in order: `base`'s values, then `extra`. Built on access for a
   * whole-map plan (an unACKed 10k-resource response must not hold a 10k-entry array per stream).
   */
  readonly resources: Resource[];
  /** How many resources the response carries. */
  count: number;
  /** A Listener/Cluster response: after it, the client holds exactly `resources`. */
  fullState: boolean;
  /**
   * Set when the response carries the cache's whole map: its encoding is built once and shared
   * by every stream (wholeMapEntries), and the client's view can point at the map itself.
   */
  base?: ReadonlyMap<string, Resource>;
  /** The resources beyond `base` (kept for make-before-break, or all of them when there is no base). */
  extra: Resource[];
}

export interface DeltaPlan {
  typeUrl: string;
  systemVersion: string;
  /** In order: `base`'s values when set (built on access, as SotwPlan.resources). */
  readonly resources: Resource[];
  count: number;
  /** Set when `resources` is the cache's whole map (see SotwPlan.base). */
  base?: ReadonlyMap<string, Resource>;
  removed: string[];
}

function* candidateNames(sub: Subscription, current: TypeResources, candidates: Candidates, includeHeld: boolean): Iterable<string> {
  if (candidates !== 'all') {
    yield* candidates;
    return;
  }
  if (sub.wildcard) yield* current.resources.keys();
  for (const n of sub.names) if (!(sub.wildcard && current.resources.has(n))) yield n;
  if (includeHeld) for (const n of sub.view.names()) if (!current.resources.has(n) && !sub.names.has(n)) yield n;
}

/** The subscribed resources the cache holds; the cache's own map when that is all of them. */
function desired(sub: Subscription, current: TypeResources): { map: ReadonlyMap<string, Resource>; shared: boolean } {
  if (sub.wildcard || coverage(sub.names, current.resources).coversMap) return { map: current.resources, shared: true };
  const map = new Map<string, Resource>();
  for (const n of sub.names) {
    const r = current.resources.get(n);
    if (r) map.set(n, r);
  }
  if (map.size === current.resources.size) return { map: current.resources, shared: true };
  return { map, shared: false };
}

function wholeSotw(typeUrl: string, version: string, fullState: boolean, base: ReadonlyMap<string, Resource>, extra: Resource[]): SotwPlan {
  return {
    typeUrl,
    version,
    fullState,
    base,
    extra,
    count: base.size + extra.length,
    get resources() {
      return [...base.values(), ...extra];
    },
  };
}

function listSotw(typeUrl: string, version: string, fullState: boolean, resources: Resource[]): SotwPlan {
  return { typeUrl, version, fullState, extra: resources, resources, count: resources.length };
}

const differs = (held: Held | undefined, r: Resource): boolean => held === undefined || (held !== r && versionOf(held) !== r.version);

/**
 * A first look (every name a candidate) by a stream that holds nothing yet, subscribed to at
 * least everything the cache holds: the answer is the cache's whole map, known without asking
 * name by name. The common first sync of a mesh's proxies.
 */
function wantsWholeMap(sub: Subscription, current: TypeResources, candidates: Candidates): boolean {
  return candidates === 'all' && sub.view.size === 0 && current.resources.size > 0 && (sub.wildcard || coverage(sub.names, current.resources).coversMap);
}

/** SotW upsert phase; null when the client already holds everything subscribed. */
export function sotwUpsert(sub: Subscription, current: TypeResources | undefined, candidates: Candidates): SotwPlan | null {
  if (!current) return null;
  const typeUrl = sub.typeUrl;
  let changed = false;
  for (const name of candidateNames(sub, current, candidates, false)) {
    if (!sub.subscribes(name)) continue;
    const r = current.resources.get(name);
    if (r && differs(sub.view.get(name), r)) {
      changed = true;
      break;
    }
  }
  if (!isFullStateType(typeUrl)) {
    if (!changed) return null;
    if (wantsWholeMap(sub, current, candidates)) return wholeSotw(typeUrl, current.version, false, current.resources, []);
    const resources: Resource[] = [];
    for (const name of candidateNames(sub, current, candidates, false)) {
      if (!sub.subscribes(name)) continue;
      const r = current.resources.get(name);
      if (r && differs(sub.view.get(name), r)) resources.push(r);
    }
    // Everything the cache holds (a first sync): the shared encoding of the whole map.
    if (resources.length === current.resources.size) return wholeSotw(typeUrl, current.version, false, current.resources, []);
    return listSotw(typeUrl, current.version, false, resources);
  }
  // Envoy waits for the first Listener/Cluster response of a wildcard subscription even when empty.
  const firstWildcard = sub.wildcard && !sub.responded;
  if (!changed && !firstWildcard) return null;
  const want = desired(sub, current);
  const kept: Resource[] = [];
  for (const [name, held] of sub.view.entries()) {
    if (!want.map.has(name) && sub.subscribes(name) && typeof held !== 'string') kept.push(held);
  }
  return want.shared ? wholeSotw(typeUrl, current.version, true, want.map, kept) : listSotw(typeUrl, current.version, true, [...want.map.values(), ...kept]);
}

/** SotW remove phase: a Listener/Cluster response without what left the cache; null when nothing left. */
export function sotwRemove(sub: Subscription, current: TypeResources | undefined, candidates: Candidates): SotwPlan | null {
  if (!current || !isFullStateType(sub.typeUrl)) return null;
  let removed = false;
  const names = candidates === 'all' ? sub.view.names() : candidates;
  for (const name of names) {
    if (sub.view.has(name) && !current.resources.has(name)) {
      removed = true;
      break;
    }
  }
  if (!removed) return null;
  const want = desired(sub, current);
  return want.shared ? wholeSotw(sub.typeUrl, current.version, true, want.map, []) : listSotw(sub.typeUrl, current.version, true, [...want.map.values()]);
}

/** Holds `base` on top of what the view holds: the map itself when the view held nothing else. */
function applyBase(view: Subscription['view'], base: ReadonlyMap<string, Resource>): void {
  if (view.size === 0) {
    view.reset(base);
    return;
  }
  for (const [name, r] of base) view.set(name, r);
}

/** Records a SotW response as held by the client (the view after it is written, or after its ACK). */
export function applySotw(view: Subscription['view'], plan: SotwPlan, current?: ReadonlyMap<string, Resource>): void {
  if (plan.fullState) {
    view.reset(plan.base);
    for (const r of plan.extra) view.set(r.name, r);
  } else {
    if (plan.base) applyBase(view, plan.base);
    for (const r of plan.extra) view.set(r.name, r);
    view.maybeCompact(current);
  }
}

/** The response's resources as field-2 entries: the shared whole-map run, then one entry per extra resource. */
function sotwEntries(plan: SotwPlan): Buffer[] {
  const entries = plan.base ? [wholeMapEntries(plan.base, 'sotw')] : [];
  for (const r of plan.extra) entries.push(r.sotwEntry);
  return entries;
}

function deltaEntries(plan: DeltaPlan): Buffer[] {
  return plan.base ? [wholeMapEntries(plan.base, 'delta')] : plan.resources.map((r) => r.deltaEntry);
}

/** A SotW plan as a DiscoveryResponse with this nonce (a stream's own, or a shared one). */
export function encodeSotwPlan(plan: SotwPlan, nonce: string, controlPlaneId?: string): Buffer {
  return encodeDiscoveryResponse({ versionInfo: plan.version, resourceEntries: sotwEntries(plan), typeUrl: plan.typeUrl, nonce, controlPlaneId });
}

/** A Delta plan (or one part of it) as a DeltaDiscoveryResponse with this nonce. */
export function encodeDeltaPlan(plan: DeltaPlan, nonce: string, controlPlaneId?: string): Buffer {
  return encodeDeltaDiscoveryResponse({ systemVersionInfo: plan.systemVersion, resourceEntries: deltaEntries(plan), typeUrl: plan.typeUrl, removedResources: plan.removed, nonce, controlPlaneId });
}

/** Delta upsert phase: subscribed resources the client does not hold at their current version. */
export function deltaUpsert(sub: Subscription, current: TypeResources | undefined, candidates: Candidates): DeltaPlan | null {
  if (!current) return null;
  const whole = wantsWholeMap(sub, current, candidates);
  const resources: Resource[] = [];
  if (!whole) {
    for (const name of candidateNames(sub, current, candidates, false)) {
      if (!sub.subscribes(name)) continue;
      const r = current.resources.get(name);
      if (r && differs(sub.view.get(name), r)) resources.push(r);
    }
    if (resources.length === 0) return null;
  }
  if (whole || resources.length === current.resources.size) {
    const base = current.resources;
    return {
      typeUrl: sub.typeUrl,
      systemVersion: current.version,
      base,
      removed: [],
      count: base.size,
      get resources() {
        return [...base.values()];
      },
    };
  }
  return { typeUrl: sub.typeUrl, systemVersion: current.version, resources, count: resources.length, removed: [] };
}

/**
 * Delta remove phase: names the client holds that left the cache, and names it asked for that
 * do not exist (so it need not wait for a timeout), each said once.
 */
export function deltaRemove(sub: Subscription, current: TypeResources | undefined, candidates: Candidates): DeltaPlan | null {
  if (!current) return null;
  if (candidates === 'all' && (sub.view.size === 0 || sub.view.isExactly(current.resources))) {
    // Everything held is in the cache: what is left are the subscribed names it lacks.
    const missing = coverage(sub.names, current.resources).missing;
    return missing.length === 0 ? null : { typeUrl: sub.typeUrl, systemVersion: current.version, resources: [], count: 0, removed: [...missing] };
  }
  const removed: string[] = [];
  for (const name of candidateNames(sub, current, candidates, true)) {
    if (current.resources.has(name)) continue;
    const held = sub.view.get(name);
    if (held === undefined) {
      if (sub.names.has(name)) removed.push(name);
    } else if (held !== ABSENT) {
      removed.push(name);
    }
  }
  if (removed.length === 0) return null;
  return { typeUrl: sub.typeUrl, systemVersion: current.version, resources: [], count: 0, removed };
}

/** Records a Delta response as held by the client. */
export function applyDelta(sub: Subscription, view: Subscription['view'], plan: DeltaPlan, current?: ReadonlyMap<string, Resource>): void {
  if (plan.base) applyBase(view, plan.base);
  else for (const r of plan.resources) view.set(r.name, r);
  for (const name of plan.removed) {
    // Explicit names remember "told absent" so it is said once; wildcard-only names are forgotten.
    if (sub.names.has(name)) view.set(name, ABSENT);
    else view.delete(name);
  }
  view.maybeCompact(current);
}
