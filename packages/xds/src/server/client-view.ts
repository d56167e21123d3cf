/**
 * What one client holds of one resource type, as far as its stream knows: name → the Resource
 * sent, or a version string the client reported (Delta `initial_resource_versions`), or ABSENT
 * (Delta: the client was told the resource does not exist).
 *
 * Stored as a shared base plus an overlay. A stream that received everything the cache holds
 * points its base at the cache's own map (immutable: caches replace maps, never mutate them)
 * instead of copying 10,000 entries; later single-resource pushes land in the small overlay, and
 * when the overlay grows the view checks whether it again equals the cache's current map and
 * rebases. A thousand streams in sync with a 10k-resource snapshot then cost a thousand
 * pointers, not ten million map entries.
 */
import type { Resource } from '../cache/resource.js';

export type Held = Resource | string;

/** Delta: the client was told this name does not exist. */
export const ABSENT = '';

export function versionOf(h: Held): string {
  return typeof h === 'string' ? h : h.version;
}

const REMOVED = null;

export class ClientView {
  private base: ReadonlyMap<string, Resource> | undefined;
  private overlay = new Map<string, Held | typeof REMOVED>();
  private count = 0;
  private compactAt = 64;

  get size(): number {
    return this.count;
  }

  get(name: string): Held | undefined {
    // Overlay values are never undefined: undefined means "not in the overlay", null "removed".
    const o = this.overlay.get(name);
    if (o !== undefined) return o ?? undefined;
    return this.base?.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  version(name: string): string | undefined {
    const h = this.get(name);
    return h === undefined ? undefined : versionOf(h);
  }

  set(name: string, held: Held): void {
    const o = this.overlay.get(name);
    const b = this.base?.get(name);
    if (o !== undefined ? o === REMOVED : b === undefined) this.count++;
    if (b === held) this.overlay.delete(name);
    else this.overlay.set(name, held);
  }

  delete(name: string): void {
    if (!this.has(name)) return;
    this.count--;
    if (this.base?.has(name)) this.overlay.set(name, REMOVED);
    else this.overlay.delete(name);
  }

  /** Whether the view holds exactly `map` (shares it, nothing on top): true costs nothing to check. */
  isExactly(map: ReadonlyMap<string, Resource>): boolean {
    return this.base === map && this.overlay.size === 0;
  }

  /** Forgets everything, then holds exactly `base` (shared, never copied). */
  reset(base?: ReadonlyMap<string, Resource>): void {
    this.base = base;
    this.overlay = new Map();
    this.count = base?.size ?? 0;
    this.compactAt = 64;
  }

  *names(): IterableIterator<string> {
    for (const [name, h] of this.overlay) if (h !== REMOVED) yield name;
    if (this.base) for (const name of this.base.keys()) if (!this.overlay.has(name)) yield name;
  }

  *entries(): IterableIterator<[string, Held]> {
    for (const name of this.names()) yield [name, this.get(name)!];
  }

  /**
   * After changes: when the overlay has grown to 1/16 of the cache's map (at least 64 entries),
   * checks whether the view equals `current` and if so shares it. Checking after every push
   * would cost O(n) per stream per change; this way a stream pays it once per n/16 changes, and
   * at most 1/16 of n entries of its own. A stream that just received everything (its first full
   * sync) compacts at once. A miss doubles the threshold.
   */
  maybeCompact(current: ReadonlyMap<string, Resource> | undefined): void {
    if (!current || this.overlay.size === 0) return;
    if (this.overlay.size < Math.max(this.compactAt, current.size >> 4)) return;
    // Different sizes cannot be equal; nothing was spent, so the threshold stays.
    if (this.count !== current.size) return;
    if (this.equals(current)) {
      this.reset(current);
      return;
    }
    this.compactAt = this.overlay.size * 2;
  }

  private equals(current: ReadonlyMap<string, Resource>): boolean {
    for (const [name, r] of current) {
      const h = this.get(name);
      if (h === undefined || versionOf(h) !== r.version) return false;
    }
    return true;
  }

  /** Holds exactly what `other` holds (same base, own overlay copy). */
  copyFrom(other: ClientView): void {
    this.base = other.base;
    this.overlay = new Map(other.overlay);
    this.count = other.count;
  }
}
