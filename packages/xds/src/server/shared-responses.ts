/**
 * Responses that many streams send byte for byte, encoded once. A mesh's proxies ask for the
 * same things: at a first sync each gets every resource of the cache's current maps, and a
 * change fans the same one or two resources out to all of them. Encoding each stream's copy
 * (a 2 MB concatenation per type per stream at 10k services) was a third of the server's work.
 *
 * What makes the bytes equal is the nonce: a shared response carries a nonce of its own, unique
 * to the encoding (`s` and a counter; per-stream nonces are plain counters, so the two never
 * meet). A stream sends an encoding at most once while it is unanswered (see TypeState.awaits);
 * if it would send it again it encodes a private copy with its own nonce.
 *
 * Two tables: encodings of a whole cache map, kept as long as the map lives (a WeakMap: a new
 * snapshot's map replaces the old and the old encodings go with it); and small responses (a few
 * resources), keyed by their content, in a bounded table that drops the oldest.
 */
import type { Resource } from '../cache/resource.js';
import type { StreamMode } from '../metrics.js';
import type { DeltaPart } from './delta-parts.js';
import { encodeDeltaPlan, encodeSotwPlan, type DeltaPlan, type SotwPlan } from './diff.js';

export interface SharedResponse {
  nonce: string;
  bytes: Buffer;
}

/** Plans with up to this many resources (and removals) are shared by content. */
const MAX_SMALL_RESOURCES = 16;
/** Entries of the small table; one change is one entry per type it touches. */
const MAX_SMALL_ENTRIES = 4096;

export class SharedResponses {
  private seq = 0;
  private readonly whole = new WeakMap<ReadonlyMap<string, Resource>, Map<string, SharedResponse>>();
  private readonly small = new Map<string, SharedResponse>();
  /** One changed resource (the common push), by the Resource itself: no key to build per stream. */
  private readonly single: Record<StreamMode, WeakMap<Resource, { version: string; response: SharedResponse }>> = { delta: new WeakMap(), sotw: new WeakMap() };

  constructor(private readonly controlPlaneId?: string) {}

  /** The shared encoding of a Delta plan, or undefined when the plan is not of a shared kind. */
  delta(plan: DeltaPlan): SharedResponse | undefined {
    if (!plan.base && plan.resources.length === 1 && plan.removed.length === 0 && !(plan as Partial<DeltaPart>).part) {
      const r = plan.resources[0];
      return this.remembered('delta', r, plan.systemVersion) ?? this.remember('delta', r, plan.systemVersion, this.deltaByKey(plan));
    }
    return this.deltaByKey(plan);
  }

  private deltaByKey(plan: DeltaPlan): SharedResponse | undefined {
    const part = (plan as Partial<DeltaPart>).part;
    const base = plan.base ?? part?.base;
    // A part of a whole-map push: keyed by the map and its place in it.
    const key = part?.base ? `delta\n${plan.typeUrl}\n${plan.systemVersion}\npart ${part.index}/${part.of}` : planKey('delta', plan.typeUrl, plan.systemVersion, plan.base, plan.base ? [] : plan.resources, plan.removed);
    if (key === undefined) return undefined;
    return this.lookup(base, key, (nonce) => encodeDeltaPlan(plan, nonce, this.controlPlaneId));
  }

  /** The shared encoding of a SotW plan, or undefined. */
  sotw(plan: SotwPlan): SharedResponse | undefined {
    if (!plan.base && plan.extra.length === 1) {
      const r = plan.extra[0];
      return this.remembered('sotw', r, plan.version) ?? this.remember('sotw', r, plan.version, this.sotwByKey(plan));
    }
    return this.sotwByKey(plan);
  }

  /** The shared response of a one-resource plan, remembered on the resource for its version. */
  private remembered(mode: StreamMode, r: Resource, version: string): SharedResponse | undefined {
    const hit = this.single[mode].get(r);
    return hit && hit.version === version ? hit.response : undefined;
  }

  private remember(mode: StreamMode, r: Resource, version: string, response: SharedResponse | undefined): SharedResponse | undefined {
    if (response) this.single[mode].set(r, { version, response });
    return response;
  }

  private sotwByKey(plan: SotwPlan): SharedResponse | undefined {
    const key = planKey('sotw', plan.typeUrl, plan.version, plan.base, plan.extra, []);
    if (key === undefined) return undefined;
    return this.lookup(plan.base, key, (nonce) => encodeSotwPlan(plan, nonce, this.controlPlaneId));
  }

  private lookup(base: ReadonlyMap<string, Resource> | undefined, key: string, encode: (nonce: string) => Buffer): SharedResponse {
    const table = base ? this.wholeTable(base) : this.small;
    let r = table.get(key);
    if (r) return r;
    const nonce = `s${++this.seq}`;
    r = { nonce, bytes: encode(nonce) };
    table.set(key, r);
    if (!base && table.size > MAX_SMALL_ENTRIES) table.delete(table.keys().next().value!);
    return r;
  }

  private wholeTable(base: ReadonlyMap<string, Resource>): Map<string, SharedResponse> {
    let t = this.whole.get(base);
    if (!t) this.whole.set(base, (t = new Map()));
    return t;
  }
}

/**
 * What makes two plans' bytes equal: mode, type, version, and the resources (by name and
 * version) or the whole map they are. Undefined for plans too large to key by content.
 */
function planKey(mode: StreamMode, typeUrl: string, version: string, base: ReadonlyMap<string, Resource> | undefined, resources: readonly Resource[], removed: readonly string[]): string | undefined {
  if (resources.length > MAX_SMALL_RESOURCES || removed.length > MAX_SMALL_RESOURCES) return undefined;
  if (!base && resources.length === 0 && removed.length === 0) return undefined;
  let key = `${mode}\n${typeUrl}\n${version}\n${base ? 'whole' : ''}`;
  for (const r of resources) key += `\n+${r.name}\n${r.version}`;
  for (const n of removed) key += `\n-${n}`;
  return key;
}
