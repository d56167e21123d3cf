/**
 * What a config source hands out: a spec to serve, or the news that the config was rejected and
 * the last good spec stays. Both sources (MeshFileSource, KubernetesMeshSource) speak it, so
 * `keelson xds serve` and library users treat them alike:
 *
 * ```ts
 * for await (const ev of source.watch(signal)) {
 *   if (ev.type === 'update') cache.setSnapshot(meshToSnapshot(ev.spec, ev.version));
 *   for (const e of ev.type === 'update' ? ev.rejected : ev.errors) log.warn(formatMeshError(e));
 * }
 * ```
 */
import type { MeshSourceError } from './errors.js';
import type { MeshSpec } from './mesh-spec.js';

/** A valid spec and its content version (meshSpecVersion). */
export interface MeshUpdate {
  spec: MeshSpec;
  version: string;
}

export type MeshSourceEvent =
  /**
   * Serve this spec. `rejected` lists config that is not in it as written: the Kubernetes
   * source keeps an invalid TrafficSplit's service at its last good state (or leaves a new one
   * out) while the rest of the mesh moves on. Always empty from the file source, which applies
   * a file whole or not at all.
   */
  | ({ type: 'update'; rejected: MeshSourceError[] } & MeshUpdate)
  /** The config was rejected whole; `serving` is the version of the last good spec, if any, which stays. */
  | { type: 'invalid'; errors: MeshSourceError[]; serving?: string };

export interface MeshSource {
  /** The current state first, then every change, until `signal` aborts (the iteration then ends). */
  watch(signal: AbortSignal): AsyncIterable<MeshSourceEvent>;
}

/** Keeps only the newest of two updates nobody has read; an `invalid` is never dropped by an update before it. */
export function coalesceMeshEvents(waiting: MeshSourceEvent, next: MeshSourceEvent): MeshSourceEvent | undefined {
  if (waiting.type === 'update' && next.type === 'update') return next;
  if (waiting.type === 'invalid' && next.type === 'invalid') return next;
  return undefined;
}
