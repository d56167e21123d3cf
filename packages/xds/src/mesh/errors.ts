/**
 * Where a config source found a problem, in the user's terms: the file and line:column for
 * mesh.yaml, the object for Kubernetes; and the error a caller gets when a whole config is
 * rejected.
 */
import type { MeshSpecError } from './mesh-spec.js';

/** A MeshSpecError placed in its source: `path` is then the path in that source (file or object). */
export interface MeshSourceError extends MeshSpecError {
  /** The file (`mesh.yaml`) or object (`TrafficSplit default/greeter`) the problem is in. */
  source?: string;
  /** 1-based line and column in the file, when the source is a file. */
  line?: number;
  column?: number;
}

/** `mesh.yaml:12:7: services[0].routes[1].destinations[0].version: "v3" is not a version...`: the compiler's format, so editors link it. */
export function formatMeshError(e: MeshSourceError): string {
  let where = e.source ?? '';
  if (e.line !== undefined && e.line > 0) where += `${where ? ':' : ''}${e.line}:${e.column ?? 1}`;
  const at = e.path ? `${e.path}: ` : '';
  return where ? `${where}: ${at}${e.message}` : `${at}${e.message}`;
}

/** A config rejected whole: every problem found, each already formatted in `message`. */
export class MeshConfigError extends Error {
  override readonly name = 'MeshConfigError';
  constructor(
    readonly errors: MeshSourceError[],
    /** What was rejected, e.g. "mesh.yaml". */
    readonly what: string,
  ) {
    super(`${what} is invalid (${errors.length} ${errors.length === 1 ? 'problem' : 'problems'}):\n${errors.map((e) => `  ${formatMeshError(e)}`).join('\n')}`);
  }
}
