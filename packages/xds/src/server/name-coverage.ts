/**
 * How a set of subscribed names lies over a cache map: does it hold every name the map holds,
 * and which of its names does the map lack. A first sync asks this for every stream; the streams
 * of a mesh share their name sets (name-pool.ts) and the cache shares its maps, so for a shared
 * set the answer is computed once per (set, map) pair, not once per stream (10,000 lookups each
 * at 10k services).
 */
import type { Resource } from '../cache/resource.js';
import { isPoolable } from './name-pool.js';

export interface Coverage {
  /** Every name of the map is in the set. */
  readonly coversMap: boolean;
  /** The set's names the map does not hold, in the set's order. */
  readonly missing: readonly string[];
}

const memo = new WeakMap<ReadonlySet<string>, WeakMap<ReadonlyMap<string, Resource>, Coverage>>();

function compute(names: ReadonlySet<string>, map: ReadonlyMap<string, Resource>): Coverage {
  const missing: string[] = [];
  for (const n of names) if (!map.has(n)) missing.push(n);
  // A set has no duplicates: as many present names as the map has entries means all of them.
  return { coversMap: names.size - missing.length === map.size, missing };
}

export function coverage(names: ReadonlySet<string>, map: ReadonlyMap<string, Resource>): Coverage {
  // Small private sets: cheaper to compute than to remember.
  if (!isPoolable(names)) return compute(names, map);
  let byMap = memo.get(names);
  if (!byMap) memo.set(names, (byMap = new WeakMap()));
  let c = byMap.get(map);
  if (!c) byMap.set(map, (c = compute(names, map)));
  return c;
}
