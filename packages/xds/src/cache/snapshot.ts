/**
 * A consistent set of resources of every type, with one version string (go-control-plane's
 * `cache.Snapshot`). Resources are validated and encoded when the snapshot is built; building
 * one that is invalid, names a resource twice, or references a resource it lacks throws an
 * InvalidSnapshotError listing every problem.
 *
 * References are checked for the types the snapshot carries: leave a type out entirely (no key)
 * when another cache serves it, e.g. endpoints from a LinearCache behind a MuxCache. Give an
 * empty list to say "this snapshot serves this type and it is empty".
 *
 * ```ts
 * const snapshot = new Snapshot('7', {
 *   [ListenerType]: [apiListener({ name: 'greeter', routeConfigName: 'greeter' })],
 *   [RouteType]: [routeConfiguration({ name: 'greeter', virtualHosts: [...] })],
 *   [ClusterType]: [edsCluster({ name: 'greeter-v1' })],
 *   [EndpointType]: [clusterLoadAssignment({ clusterName: 'greeter-v1', endpoints: [...] })],
 * });
 * cache.setSnapshot('node-1', snapshot);
 * ```
 */
import { InvalidResourceError, InvalidSnapshotError, type SnapshotProblem } from '../errors.js';
import { shortTypeName } from '../resource-types.js';
import { makeResource, Resource, type Message } from './resource.js';

export type SnapshotResources = Partial<Record<string, ReadonlyArray<Resource | Message>>>;

/** What a cache holds of one type: its version and resources by name. */
export interface TypeResources {
  readonly version: string;
  readonly resources: ReadonlyMap<string, Resource>;
}

export interface SnapshotOptions {
  /** Skip the reference check (a snapshot that is knowingly partial). Default false. */
  allowDanglingReferences?: boolean;
}

export class Snapshot {
  readonly version: string;
  private readonly byType = new Map<string, TypeResources>();

  constructor(version: string, resources: SnapshotResources, options: SnapshotOptions = {}) {
    if (typeof version !== 'string' || version === '') {
      throw new InvalidSnapshotError(String(version), [{ typeUrl: '', resourceName: '', message: 'the snapshot version must be a non-empty string (a counter, a hash of the config, a timestamp)' }]);
    }
    this.version = version;
    const problems: SnapshotProblem[] = [];
    for (const [typeUrl, items] of Object.entries(resources)) {
      if (!items) continue;
      const map = new Map<string, Resource>();
      items.forEach((item, i) => {
        let r: Resource;
        try {
          r = item instanceof Resource ? item : makeResource(typeUrl, item);
        } catch (err) {
          if (err instanceof InvalidResourceError) {
            problems.push({ typeUrl, resourceName: err.resourceName, message: `${shortTypeName(typeUrl)}[${i}]: ${err.message}` });
            return;
          }
          throw err;
        }
        if (r.typeUrl !== typeUrl) {
          problems.push({ typeUrl, resourceName: r.name, message: `${shortTypeName(typeUrl)}[${i}] "${r.name}" is a ${r.typeUrl} resource; put it under that type` });
          return;
        }
        if (map.has(r.name)) {
          problems.push({ typeUrl, resourceName: r.name, message: `${shortTypeName(typeUrl)} "${r.name}" appears twice; resource names must be unique per type` });
          return;
        }
        map.set(r.name, r);
      });
      this.byType.set(typeUrl, { version, resources: map });
    }
    if (!options.allowDanglingReferences) problems.push(...this.danglingReferences());
    if (problems.length > 0) throw new InvalidSnapshotError(version, problems);
  }

  /** The resources of one type, or undefined when the snapshot does not carry that type. */
  get(typeUrl: string): TypeResources | undefined {
    return this.byType.get(typeUrl);
  }

  /** The type URLs this snapshot carries. */
  types(): string[] {
    return [...this.byType.keys()];
  }

  /** Every reference to a resource of a carried type that the snapshot lacks. */
  private danglingReferences(): SnapshotProblem[] {
    const problems: SnapshotProblem[] = [];
    for (const [typeUrl, { resources }] of this.byType) {
      for (const r of resources.values()) {
        for (const ref of r.references) {
          const target = this.byType.get(ref.typeUrl);
          if (target && !target.resources.has(ref.name)) {
            problems.push({
              typeUrl,
              resourceName: r.name,
              message: `${shortTypeName(typeUrl)} "${r.name}" ${ref.field} names ${shortTypeName(ref.typeUrl)} "${ref.name}", which the snapshot does not contain; add it or change the reference`,
            });
          }
        }
      }
    }
    return problems;
  }
}
