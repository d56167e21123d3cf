/**
 * A resource as the cache holds it: encoded once when it enters the cache, its version the hash
 * of those bytes. Every stream that sends it reuses the same bytes (go-control-plane #1324 made
 * the same change), and a Delta version is stable across control-plane restarts: a client
 * reconnecting with `initial_resource_versions` gets nothing it already has, even from a new
 * process.
 *
 * ```ts
 * const cluster = makeResource(ClusterType, edsCluster({ name: 'greeter-v1' }));
 * cluster.name;     // 'greeter-v1'
 * cluster.version;  // 'q3kV0m4G7pAfLk2bK0yXcw' (hash of the encoding)
 * ```
 */
import { createHash } from 'node:crypto';
import { InvalidResourceError } from '../errors.js';
import { envoyProtos, MessageShapeError } from '../proto/envoy-protos.js';
import { encodeAny, encodeDeltaResource, fieldEntry } from '../proto/wire.js';
import { EndpointType, isKnownType, messageName } from '../resource-types.js';
import { validateResource } from '../resources/validate.js';
import { resourceReferences, type ResourceRef } from './references.js';

/** A message object in proto-loader's keepCase shape (see envoy-protos.ts). */
export type Message = Record<string, unknown>;

export class Resource {
  readonly typeUrl: string;
  readonly name: string;
  /** Hash of `body`: equal versions mean equal bytes. */
  readonly version: string;
  /** The encoded message. */
  readonly body: Uint8Array;
  /** Resources this one names (route configuration, clusters, endpoints, secrets). */
  readonly references: readonly ResourceRef[];
  private anyBytes?: Buffer;
  private deltaBytes?: Buffer;
  private sotwEntryBytes?: Buffer;
  private deltaEntryBytes?: Buffer;

  constructor(typeUrl: string, name: string, body: Uint8Array, references: readonly ResourceRef[] = []) {
    this.typeUrl = typeUrl;
    this.name = name;
    this.body = body;
    this.references = references;
    this.version = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  }

  /** The resource as `google.protobuf.Any` bytes, as a SotW response carries it (built once). */
  get any(): Buffer {
    this.anyBytes ??= encodeAny(this.typeUrl, this.body);
    return this.anyBytes;
  }

  /** The resource as `envoy.service.discovery.v3.Resource` bytes, as a Delta response carries it. */
  get deltaResource(): Buffer {
    this.deltaBytes ??= encodeDeltaResource(this.name, this.version, this.any);
    return this.deltaBytes;
  }

  /** The resource as a SotW response's field 2 (tag, length, Any), appended as is. */
  get sotwEntry(): Buffer {
    this.sotwEntryBytes ??= fieldEntry(2, this.any);
    return this.sotwEntryBytes;
  }

  /** The resource as a Delta response's field 2 (tag, length, Resource), appended as is. */
  get deltaEntry(): Buffer {
    this.deltaEntryBytes ??= fieldEntry(2, this.deltaResource);
    return this.deltaEntryBytes;
  }

  /** The message object back from its bytes (debug output, tests). */
  decode(): Message {
    return envoyProtos().decode(messageName(this.typeUrl), this.body);
  }
}

const wholeBodies = new WeakMap<ReadonlyMap<string, Resource>, { sotw?: Buffer; delta?: Buffer }>();

/**
 * Every resource of a cache map as one run of response entries, built once per map and shared by
 * every stream that needs all of it (a first sync, a SotW Listener/Cluster response). Caches never
 * mutate a map they handed out, so the map is the key; it goes when the map does.
 */
export function wholeMapEntries(map: ReadonlyMap<string, Resource>, mode: 'sotw' | 'delta'): Buffer {
  let cached = wholeBodies.get(map);
  if (!cached) wholeBodies.set(map, (cached = {}));
  let body = cached[mode];
  if (!body) {
    const parts: Buffer[] = [];
    for (const r of map.values()) parts.push(mode === 'sotw' ? r.sotwEntry : r.deltaEntry);
    body = cached[mode] = Buffer.concat(parts);
  }
  return body;
}

/** The name of a resource message: `name`, or `cluster_name` for a ClusterLoadAssignment. */
export function resourceName(typeUrl: string, message: Message): string {
  const n = typeUrl === EndpointType ? message.cluster_name : message.name;
  return typeof n === 'string' ? n : '';
}

/**
 * Validates and encodes a message object into a Resource. Throws InvalidResourceError naming the
 * resource and field when the message has an unknown field, no name, or breaks a rule every
 * client enforces (weights summing to 0, a route without a cluster, ...).
 */
export function makeResource(typeUrl: string, message: Message): Resource {
  const name = resourceName(typeUrl, message);
  const nameField = typeUrl === EndpointType ? 'cluster_name' : 'name';
  if (name === '') throw new InvalidResourceError(typeUrl, '', nameField, `the resource has no ${nameField}; every xDS resource is addressed by it`);
  if (!isKnownType(typeUrl) && !typeUrl.startsWith('type.googleapis.com/')) {
    throw new InvalidResourceError(typeUrl, name, '', `"${typeUrl}" is not a type URL; use type.googleapis.com/<message name>`);
  }
  // Shape first: an unknown (misspelled) field is the root cause of whatever rule it then breaks.
  let body: Uint8Array;
  try {
    body = envoyProtos().encode(messageName(typeUrl), message);
  } catch (err) {
    if (err instanceof MessageShapeError) throw new InvalidResourceError(typeUrl, name, err.field, err.message, err);
    throw err;
  }
  const problems = validateResource(typeUrl, message);
  if (problems.length > 0) {
    const p = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).map((q) => `${q.field}: ${q.message}`).join('; ')})` : '';
    throw new InvalidResourceError(typeUrl, name, p.field, p.message + more);
  }
  return new Resource(typeUrl, name, body, resourceReferences(typeUrl, message));
}
