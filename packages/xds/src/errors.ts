/**
 * Errors a caller can act on. Every message names the resource, the field, and what to do.
 */
import { shortTypeName } from './resource-types.js';

/** One resource that cannot be served as given. */
export class InvalidResourceError extends Error {
  readonly typeUrl: string;
  /** The resource's name, or '' when it has none. */
  readonly resourceName: string;
  /** Path of the offending field inside the resource, when known. */
  readonly field: string;
  constructor(typeUrl: string, resourceName: string, field: string, problem: string, cause?: unknown) {
    const where = field ? ` at ${field}` : '';
    super(`${shortTypeName(typeUrl)} resource "${resourceName}"${where}: ${problem}`, cause === undefined ? undefined : { cause });
    this.name = 'InvalidResourceError';
    this.typeUrl = typeUrl;
    this.resourceName = resourceName;
    this.field = field;
  }
}

export interface SnapshotProblem {
  typeUrl: string;
  resourceName: string;
  message: string;
}

/**
 * A snapshot that was not accepted: invalid resources, duplicate names, or references to resources
 * the snapshot does not contain (a route naming a missing cluster). Lists every problem, not only
 * the first, so one fix round is enough.
 */
export class InvalidSnapshotError extends Error {
  readonly problems: readonly SnapshotProblem[];
  constructor(version: string, problems: SnapshotProblem[]) {
    const lines = problems.map((p) => `  - ${p.message}`);
    super(`snapshot version "${version}" rejected, ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`);
    this.name = 'InvalidSnapshotError';
    this.problems = problems;
  }
}
