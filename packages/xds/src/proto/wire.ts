/**
 * Protobuf wire encoding of the two response envelopes, by hand. A response is mostly resources
 * that were encoded once when they entered the cache; building the envelope around their bytes
 * (a tag, a length, the bytes) is a concatenation, where protobufjs would copy every resource
 * through its writer again for every stream.
 *
 * Field numbers: envoy/service/discovery/v3/discovery.proto (DiscoveryResponse,
 * DeltaDiscoveryResponse, Resource) and google/protobuf/any.proto.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** Appends protobuf fields to a list of chunks, concatenated once at the end. */
export class WireWriter {
  private readonly chunks: Uint8Array[] = [];
  private scratch = Buffer.allocUnsafe(64);
  private scratchUsed = 0;

  private flushScratch(): void {
    if (this.scratchUsed > 0) {
      this.chunks.push(this.scratch.subarray(0, this.scratchUsed));
      this.scratch = Buffer.allocUnsafe(64);
      this.scratchUsed = 0;
    }
  }

  private ensure(n: number): void {
    if (this.scratchUsed + n > this.scratch.length) {
      this.flushScratch();
      if (n > this.scratch.length) this.scratch = Buffer.allocUnsafe(n);
    }
  }

  private varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.scratch[this.scratchUsed++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.scratch[this.scratchUsed++] = n;
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A length-delimited field holding `bytes` (a string, bytes, or an embedded message). */
  bytesField(field: number, bytes: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(bytes.length);
    if (bytes.length <= 48) {
      this.ensure(bytes.length);
      this.scratch.set(bytes, this.scratchUsed);
      this.scratchUsed += bytes.length;
    } else {
      this.flushScratch();
      this.chunks.push(bytes);
    }
    return this;
  }

  /** Bytes that already are encoded fields (a cached resource entry, a cached run of them). */
  raw(bytes: Uint8Array): this {
    if (bytes.length <= 48) {
      this.ensure(bytes.length);
      this.scratch.set(bytes, this.scratchUsed);
      this.scratchUsed += bytes.length;
    } else {
      this.flushScratch();
      this.chunks.push(bytes);
    }
    return this;
  }

  /** A string field; empty strings are omitted, as proto3 does. */
  stringField(field: number, value: string): this {
    if (value === '') return this;
    return this.bytesField(field, Buffer.from(value, 'utf8'));
  }

  /** A repeated string field's entries (empty strings kept: they are list elements). */
  repeatedStringField(field: number, values: Iterable<string>): this {
    for (const v of values) this.bytesField(field, Buffer.from(v, 'utf8'));
    return this;
  }

  boolField(field: number, value: boolean): this {
    if (!value) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(1);
    return this;
  }

  finish(): Buffer {
    this.flushScratch();
    return Buffer.concat(this.chunks);
  }
}

/** `google.protobuf.Any { type_url = 1; value = 2 }` around already encoded message bytes. */
export function encodeAny(typeUrl: string, body: Uint8Array): Buffer {
  return new WireWriter().stringField(1, typeUrl).bytesField(2, body).finish();
}

/**
 * `bytes` as field `field` (tag, length, bytes), ready to be appended with `raw`. Responses carry
 * resources in field 2 of both envelopes; caching each resource's entry (and runs of them)
 * turns a response into a few large copies instead of two small ones per resource.
 */
export function fieldEntry(field: number, bytes: Uint8Array): Buffer {
  return new WireWriter().bytesField(field, bytes).finish();
}

export interface DiscoveryResponseFields {
  versionInfo: string;
  /** The resources as field-2 entries (`fieldEntry(2, any)`), one per resource or runs of them. */
  resourceEntries: readonly Uint8Array[];
  typeUrl: string;
  nonce: string;
  controlPlaneId?: string;
}

/** Encodes `envoy.service.discovery.v3.DiscoveryResponse`. */
export function encodeDiscoveryResponse(r: DiscoveryResponseFields): Buffer {
  const w = new WireWriter().stringField(1, r.versionInfo);
  for (const entry of r.resourceEntries) w.raw(entry);
  w.stringField(4, r.typeUrl).stringField(5, r.nonce);
  if (r.controlPlaneId) w.bytesField(6, new WireWriter().stringField(1, r.controlPlaneId).finish());
  return w.finish();
}

/** Encodes `envoy.service.discovery.v3.Resource { version = 1; resource = 2; name = 3 }`. */
export function encodeDeltaResource(name: string, version: string, any: Uint8Array): Buffer {
  return new WireWriter().stringField(1, version).bytesField(2, any).stringField(3, name).finish();
}

export interface DeltaDiscoveryResponseFields {
  systemVersionInfo: string;
  /** The resources as field-2 entries of `envoy.service.discovery.v3.Resource` bytes, one per resource or runs of them. */
  resourceEntries: readonly Uint8Array[];
  typeUrl: string;
  removedResources: readonly string[];
  nonce: string;
  controlPlaneId?: string;
}

/** Encodes `envoy.service.discovery.v3.DeltaDiscoveryResponse`. */
export function encodeDeltaDiscoveryResponse(r: DeltaDiscoveryResponseFields): Buffer {
  const w = new WireWriter().stringField(1, r.systemVersionInfo);
  for (const entry of r.resourceEntries) w.raw(entry);
  w.stringField(4, r.typeUrl).stringField(5, r.nonce).repeatedStringField(6, r.removedResources);
  if (r.controlPlaneId) w.bytesField(7, new WireWriter().stringField(1, r.controlPlaneId).finish());
  return w.finish();
}
