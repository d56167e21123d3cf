/**
 * A large Delta push as several responses of at most `maxBytes` of resources each. The protocol
 * lets a server spread resources over as many responses as it likes, and small responses are
 * much cheaper to move: grpc-js copies every message into a fresh buffer of its size, and a
 * fresh multi-megabyte buffer is memory the kernel must fault in page by page, where one of
 * 64 KiB comes back from malloc's free lists (measured on the 2-core VMs: 800 MB through 2 MiB
 * buffers 1.5 s, through 64 KiB buffers 0.2 s; the clients reassembling messages pay the same
 * again). Smaller responses also let a thousand streams share the connection's bandwidth in
 * turns instead of megabyte by megabyte.
 *
 * The parts of a whole-map push are cut once per map and shared by every stream (their
 * encodings too: SharedResponses). Each part is a DeltaPlan of its own (its resources, no
 * removals), `part` saying where it belongs.
 */
import type { Resource } from '../cache/resource.js';
import type { DeltaPlan } from './diff.js';

export interface PartOf {
  /** The whole-map the parts were cut from (when the push is one), for sharing. */
  base?: ReadonlyMap<string, Resource>;
  index: number;
  of: number;
}

export type DeltaPart = DeltaPlan & { part: PartOf };

const cut = new WeakMap<ReadonlyMap<string, Resource>, { maxBytes: number; parts: DeltaPart[] }>();

function split(plan: DeltaPlan, resources: Iterable<Resource>, maxBytes: number, base?: ReadonlyMap<string, Resource>): DeltaPart[] {
  const groups: Resource[][] = [];
  let group: Resource[] = [];
  let bytes = 0;
  for (const r of resources) {
    const n = r.deltaEntry.length;
    if (group.length > 0 && bytes + n > maxBytes) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(r);
    bytes += n;
  }
  if (group.length > 0) groups.push(group);
  return groups.map((g, index) => ({
    typeUrl: plan.typeUrl,
    systemVersion: plan.systemVersion,
    resources: g,
    count: g.length,
    removed: [],
    part: { base, index, of: groups.length },
  }));
}

/**
 * The responses for `plan`: the plan itself when its resources fit in `maxBytes` (or it only
 * removes), else parts in resource order, the plan's removals (an upsert plan has none) with the
 * last.
 */
export function deltaParts(plan: DeltaPlan, maxBytes: number): DeltaPlan[] {
  if (plan.count <= 1) return [plan];
  if (plan.base) {
    const hit = cut.get(plan.base);
    if (hit && hit.maxBytes === maxBytes && hit.parts[0]?.systemVersion === plan.systemVersion) return hit.parts.length === 1 ? [plan] : hit.parts;
    const parts = split(plan, plan.base.values(), maxBytes, plan.base);
    cut.set(plan.base, { maxBytes, parts });
    return parts.length === 1 ? [plan] : parts;
  }
  let total = 0;
  for (const r of plan.resources) total += r.deltaEntry.length;
  if (total <= maxBytes) return [plan];
  const parts = split(plan, plan.resources, maxBytes);
  if (plan.removed.length > 0) parts[parts.length - 1].removed = plan.removed;
  return parts;
}
