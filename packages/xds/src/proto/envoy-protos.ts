/**
 * The Envoy, xds (udpa), googleapis and protoc-gen-validate protos, loaded once from the copies
 * `@grpc/grpc-js-xds` publishes under `deps/` (the same files the gRPC client decodes with, so
 * server and client agree on every field), with protobufjs: the copy `@grpc/proto-loader` brings,
 * resolved from proto-loader's own location so hoisting does not matter and no second copy is
 * needed.
 *
 * Messages are plain objects in proto-loader's `keepCase` shape: snake_case field names, enums as
 * their names, wrappers as `{ value }`, `google.protobuf.Any` as `{ '@type': TYPE_URL, ...fields }`.
 *
 * ```ts
 * const bytes = envoyProtos().encode('envoy.config.cluster.v3.Cluster', { name: 'a', type: 'EDS' });
 * envoyProtos().decode('envoy.config.cluster.v3.Cluster', bytes); // { name: 'a', type: 'EDS' }
 * ```
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';

/** The slice of protobufjs used here (its own typings would make protobufjs a direct dependency). */
export interface ProtoField {
  name: string;
  repeated: boolean;
  map: boolean;
  resolvedType: ProtoType | ProtoEnum | null;
}
export interface ProtoEnum {
  values: Record<string, number>;
}
export interface ProtoType {
  fullName: string;
  fields: Record<string, ProtoField>;
  oneofs?: Record<string, { oneof: string[] }>;
  fromObject(object: Record<string, unknown>): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
}
export interface ProtoMethod {
  name: string;
  requestType: string;
  responseType: string;
  requestStream?: boolean;
  responseStream?: boolean;
  resolvedRequestType: ProtoType | null;
  resolvedResponseType: ProtoType | null;
}
export interface ProtoService {
  fullName: string;
  methods: Record<string, ProtoMethod>;
}
interface ProtoRoot {
  resolvePath: (origin: string, target: string) => string | null;
  loadSync(files: string[], options: Record<string, unknown>): ProtoRoot;
  resolveAll(): ProtoRoot;
  lookup(name: string): unknown;
  lookupType(name: string): ProtoType;
  lookupService(name: string): ProtoService;
}
interface Protobufjs {
  Root: new () => ProtoRoot;
  Type: new (...args: unknown[]) => ProtoType;
  Enum: new (...args: unknown[]) => ProtoEnum;
  common(name: string, json: unknown): void;
}

/** Files whose messages the server encodes or decodes (their imports come along). */
const PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/listener/v3/lds.proto',
  'envoy/service/route/v3/rds.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/secret/v3/sds.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'xds/type/v3/typed_struct.proto',
  'udpa/type/v1/typed_struct.proto',
];

/** Thrown when a message object does not fit its proto: an unknown field, enum value or type. */
export class MessageShapeError extends Error {
  /** Where in the message: `virtual_hosts[0].routes[1].route.weighted_clusters`. */
  readonly field: string;
  constructor(message: string, field: string) {
    super(message);
    this.name = 'MessageShapeError';
    this.field = field;
  }
}

const DECODE_OPTIONS = { json: true, enums: String, longs: String, defaults: false, oneofs: false };

export class EnvoyProtos {
  readonly root: ProtoRoot;
  private readonly protobuf: Protobufjs;
  private readonly types = new Map<string, ProtoType>();

  constructor() {
    const requireHere = createRequire(import.meta.url);
    const loaderEntry = requireHere.resolve('@grpc/proto-loader');
    const requireFromLoader = createRequire(loaderEntry);
    this.protobuf = requireFromLoader('protobufjs') as Protobufjs;
    // descriptor.proto (imported through validate.proto) is not among protobufjs' built-in
    // well-known types; proto-loader registers it the same way.
    const descriptor = requireFromLoader('protobufjs/google/protobuf/descriptor.json') as { nested: { google: { nested: { protobuf: { nested: unknown } } } } };
    this.protobuf.common('descriptor', descriptor.nested.google.nested.protobuf.nested);

    const depsDir = join(dirname(requireHere.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
    const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(depsDir, d));
    for (const d of includeDirs) {
      if (!existsSync(d)) {
        throw new Error(`@grpc/grpc-js-xds does not ship ${d}: the Envoy protos are loaded from there. Reinstall @grpc/grpc-js-xds (~1.14) so its deps/ directory is present.`);
      }
    }
    const root = new this.protobuf.Root();
    root.resolvePath = (_origin, target) => {
      if (isAbsolute(target)) return target;
      for (const d of includeDirs) {
        const full = join(d, target);
        if (existsSync(full)) return full;
      }
      // protobufjs then looks for it among its built-in well-known types (google/protobuf/*).
      return target;
    };
    root.loadSync(PROTO_FILES, { keepCase: true });
    root.resolveAll();
    this.root = root;
  }

  /** The message type `name` (`envoy.config.listener.v3.Listener`); throws when it is not loaded. */
  type(name: string): ProtoType {
    let t = this.types.get(name);
    if (!t) {
      try {
        t = this.root.lookupType(name);
      } catch {
        throw new Error(`protobuf message ${name} is not among the loaded Envoy protos; use one of the types in ${PROTO_FILES.join(', ')} (or the messages they import)`);
      }
      this.types.set(name, t);
    }
    return t;
  }

  service(name: string): ProtoService {
    return this.root.lookupService(name);
  }

  /**
   * Encodes a message object. Unlike protobufjs' `fromObject`, which silently drops what it does
   * not know, an unknown field or enum value is an error naming the field: a typo must not turn
   * into a route that silently does something else.
   */
  encode(name: string, message: Record<string, unknown>): Uint8Array {
    const type = this.type(name);
    this.checkShape(type, message, '');
    try {
      return type.encode(type.fromObject(message)).finish();
    } catch (err) {
      throw new MessageShapeError(`cannot encode ${name}: ${(err as Error).message}`, '');
    }
  }

  /** Decodes bytes into a message object (Any expanded to `{ '@type', ...fields }`, enums by name, 64-bit integers as strings). */
  decode(name: string, bytes: Uint8Array): Record<string, unknown> {
    const type = this.type(name);
    return type.toObject(type.decode(bytes), DECODE_OPTIONS);
  }

  /** Decodes with defaults filled in and oneof names set (proto-loader's `defaults`/`oneofs`). */
  decodeWithDefaults(name: string, bytes: Uint8Array): Record<string, unknown> {
    const type = this.type(name);
    return type.toObject(type.decode(bytes), { ...DECODE_OPTIONS, defaults: true, arrays: true, objects: true, oneofs: true });
  }

  private checkShape(type: ProtoType, value: unknown, path: string): void {
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new MessageShapeError(`${path || 'message'}: expected an object for ${type.fullName.slice(1)}, got ${JSON.stringify(value)}`, path);
    }
    const obj = value as Record<string, unknown>;
    const typeName = type.fullName.slice(1);
    if (typeName === 'google.protobuf.Any') {
      const anyType = obj['@type'];
      if (typeof anyType !== 'string') {
        if ('type_url' in obj) return;
        throw new MessageShapeError(`${path || 'message'}: google.protobuf.Any needs '@type' (a type URL such as 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router')`, path);
      }
      const inner = this.type(anyType.slice(anyType.lastIndexOf('/') + 1));
      const { '@type': _ignored, ...rest } = obj;
      this.checkShape(inner, rest, path);
      return;
    }
    // Struct, Value and ListValue hold free-form JSON.
    if (typeName === 'google.protobuf.Struct' || typeName === 'google.protobuf.Value' || typeName === 'google.protobuf.ListValue') return;
    for (const [key, fieldValue] of Object.entries(obj)) {
      const here = path ? `${path}.${key}` : key;
      const field = type.fields[key];
      if (!field) {
        const known = Object.keys(type.fields).slice(0, 40).join(', ');
        throw new MessageShapeError(`${here}: ${typeName} has no field "${key}" (fields: ${known}); field names are snake_case as in the .proto`, here);
      }
      if (fieldValue === undefined || fieldValue === null) continue;
      const resolved = field.resolvedType;
      if (!resolved) continue;
      const check = (v: unknown, p: string): void => {
        if (resolved instanceof this.protobuf.Enum) {
          const e = resolved as ProtoEnum;
          if (typeof v === 'string' && !(v in e.values)) {
            throw new MessageShapeError(`${p}: "${v}" is not a value of enum ${key} (values: ${Object.keys(e.values).join(', ')})`, p);
          }
          return;
        }
        this.checkShape(resolved as ProtoType, v, p);
      };
      if (field.map) {
        for (const [k, v] of Object.entries(fieldValue as Record<string, unknown>)) check(v, `${here}[${k}]`);
      } else if (field.repeated) {
        if (!Array.isArray(fieldValue)) throw new MessageShapeError(`${here}: expected a list`, here);
        fieldValue.forEach((v, i) => check(v, `${here}[${i}]`));
      } else {
        check(fieldValue, here);
      }
    }
  }
}

let shared: EnvoyProtos | undefined;

/** The protos, loaded on first use (~0.2 s), shared by everything in the process. */
export function envoyProtos(): EnvoyProtos {
  shared ??= new EnvoyProtos();
  return shared;
}
