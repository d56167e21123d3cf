/**
 * Kubernetes protobuf request bodies → the JSON object kube-apiserver's JSON encoding of the same
 * Go object would be.
 *
 * A body is `k8s\0` followed by a runtime.Unknown: {typeMeta{apiVersion, kind}, raw,
 * contentEncoding, contentType}; `raw` is the object's gogo-protobuf message. The shape of the
 * JSON follows Go's encoding/json over the decoded struct, using the tables in schema.ts:
 * - a non-pointer field is in the Go struct whether or not it was on the wire; omitempty drops
 *   it when zero, a tag without omitempty keeps the zero (`"containerPort":0`, `"containers":null`);
 * - a pointer field is written whenever it was on the wire, zero or not (`"replicas":0`);
 * - a struct field is always written (`"spec":{}`, `"creationTimestamp":null`);
 * - maps come out with sorted keys, []byte as base64, and Time, MicroTime, Duration,
 *   IntOrString, Quantity, FieldsV1 and RawExtension as their MarshalJSON writes them.
 * Anything the tables do not know — a kind, a field number, a wire type — is an error, never
 * skipped: a dropped field would be data the server silently lost.
 */
import { Buffer } from 'node:buffer';
import { KIND_MESSAGES, MESSAGES } from './schema.js';
import { ProtobufDecodeError } from './errors.js';
import { GO_ZERO_TIME_UNIX, formatDuration, formatTime, normalizeUnix } from './go-json.js';
import { WireFormatError, WireReader, WireType, int64Text, toInt32, toSafeInt64 } from './wire.js';

export const KUBERNETES_PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** runtime/serializer/protobuf: every body starts with these four bytes. */
const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const FIX = 'send application/json';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const DURATION = `${META}.Duration`;
const FIELDS_V1 = `${META}.FieldsV1`;
const RAW_EXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';

type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'int64';
const SCALARS = new Set<string>(['string', 'bytes', 'bool', 'int32', 'int64']);

/** A type in a row: a scalar or a message name. */
type ValueType = { scalar: Scalar } | { message: string };

interface Field {
  no: number;
  json: string;
  value: ValueType;
  /** map<key, value>: `value` is the map's value type. */
  mapKey?: Scalar;
  repeated: boolean;
  pointer: boolean;
  keep: boolean;
  inline: boolean;
}

interface Message {
  name: string;
  fields: Field[];
  byNumber: Map<number, Field>;
}

/** One occurrence of a field on the wire. */
type Item = { varint: { lo: number; hi: number } } | { start: number; end: number };

/**
 * Where a message sits in the object, for error messages. No message reaches itself (a test
 * checks the schema), so recursion depth is bounded by the schema whatever the body holds.
 */
interface Ctx {
  path: string;
}

const compiled = new Map<string, Message>();
const utf8 = new TextDecoder('utf-8');

function valueType(t: string): ValueType {
  return SCALARS.has(t) ? { scalar: t as Scalar } : { message: t };
}

function compile(name: string): Message {
  const hit = compiled.get(name);
  if (hit) return hit;
  const rows = MESSAGES[name];
  if (!rows) throw new Error(`protobuf schema has no message ${name}`); // a bug in schema.ts, not in the body
  const fields = rows.map(([no, json, type, flags = '']): Field => {
    const map = /^map<([^,]+),(.+)>$/.exec(type);
    return {
      no,
      json,
      value: valueType(map ? map[2] : type),
      mapKey: map ? (map[1] as Scalar) : undefined,
      repeated: flags.includes('r'),
      pointer: flags.includes('p'),
      keep: flags.includes('k'),
      inline: flags.includes('i'),
    };
  });
  const m: Message = { name, fields, byNumber: new Map(fields.map((f) => [f.no, f])) };
  compiled.set(name, m);
  return m;
}

/** "apiVersion/Kind" strings this decoder understands, e.g. `apps/v1/Deployment`. */
export function protobufKinds(): string[] {
  return Object.keys(KIND_MESSAGES);
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` body into the object kube-apiserver's JSON of
 * it would be, with `kind` and `apiVersion` set. `expected` is what the request's URL takes: it
 * fills an envelope that names no type, and a body of another kind is refused.
 *
 * ```ts
 * const obj = decodeKubernetesProtobuf(body, { apiVersion: 'v1', kind: 'Namespace' });
 * // { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'ns1', creationTimestamp: null }, spec: {}, status: {} }
 * ```
 * @throws ProtobufDecodeError naming what could not be decoded and the fix.
 */
export function decodeKubernetesProtobuf(body: Uint8Array, expected?: { apiVersion: string; kind: string }): unknown {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw new ProtobufDecodeError(`body is not ${KUBERNETES_PROTOBUF_CONTENT_TYPE}: it does not start with the 4 bytes "k8s\\0"; ${FIX}`, false);
  }
  const unknown = wrapWireErrors('the runtime.Unknown envelope', () => readEnvelope(body));
  const apiVersion = unknown.apiVersion || expected?.apiVersion || '';
  const kind = unknown.kind || expected?.kind || '';
  if (!apiVersion || !kind) {
    throw new ProtobufDecodeError(`protobuf body names no ${apiVersion ? 'kind' : 'apiVersion'} in its runtime.Unknown envelope; ${FIX}`, false);
  }
  if (expected && (apiVersion !== expected.apiVersion || kind !== expected.kind)) {
    // DeleteOptions is the same message in every group version; client-go labels it with the client's.
    if (!(kind === 'DeleteOptions' && expected.kind === 'DeleteOptions')) {
      throw new ProtobufDecodeError(`protobuf body holds ${apiVersion} ${kind}, but this request takes ${expected.apiVersion} ${expected.kind}; send a ${expected.kind}`, false);
    }
  }
  const what = `${apiVersion} ${kind}`;
  if (unknown.contentEncoding) {
    throw new ProtobufDecodeError(`cannot decode protobuf for ${what}: contentEncoding "${unknown.contentEncoding}" is not known to this server; ${FIX}`, true);
  }
  if (unknown.contentType && unknown.contentType !== KUBERNETES_PROTOBUF_CONTENT_TYPE) {
    throw new ProtobufDecodeError(`cannot decode protobuf for ${what}: the envelope's raw bytes are ${unknown.contentType}, which this server does not unwrap; ${FIX}`, true);
  }
  const messageName = KIND_MESSAGES[`${apiVersion}/${kind}`];
  if (!messageName) throw new ProtobufDecodeError(`cannot decode protobuf for ${what}: kind not known to this server; ${FIX}`, true);
  const raw = unknown.raw ?? new Uint8Array(0);
  const obj = wrapWireErrors(what, () => decodeObject(compile(messageName), raw, { path: '' }));
  return { kind, apiVersion, ...obj };
}

function wrapWireErrors<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof WireFormatError) throw new ProtobufDecodeError(`malformed protobuf in ${what}: ${err.message}`, false);
    throw err;
  }
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array | undefined;
  contentEncoding: string;
  contentType: string;
}

function readEnvelope(body: Uint8Array): Envelope {
  const env: Envelope = { apiVersion: '', kind: '', raw: undefined, contentEncoding: '', contentType: '' };
  const r = new WireReader(body, MAGIC.length);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field < 1 || field > 4 || wireType !== WireType.LEN) throw envelopeFieldError(field, wireType);
    const { start, end } = r.lengthDelimited();
    if (field === 1) {
      const t = new WireReader(body, start, end);
      while (!t.done) {
        const tag = t.tag();
        if ((tag.field !== 1 && tag.field !== 2) || tag.wireType !== WireType.LEN) {
          throw new ProtobufDecodeError(`field ${tag.field} of k8s.io.apimachinery.pkg.runtime.TypeMeta is not known to this server; ${FIX}`, true);
        }
        const s = t.lengthDelimited();
        const text = utf8.decode(body.subarray(s.start, s.end));
        if (tag.field === 1) env.apiVersion = text;
        else env.kind = text;
      }
    } else if (field === 2) env.raw = body.subarray(start, end);
    else if (field === 3) env.contentEncoding = utf8.decode(body.subarray(start, end));
    else env.contentType = utf8.decode(body.subarray(start, end));
  }
  return env;
}

function envelopeFieldError(field: number, wireType: number): ProtobufDecodeError {
  return field >= 1 && field <= 4
    ? new ProtobufDecodeError(`field ${field} of k8s.io.apimachinery.pkg.runtime.Unknown has wire type ${wireType}, not 2 (length-delimited); ${FIX}`, false)
    : new ProtobufDecodeError(`field ${field} of k8s.io.apimachinery.pkg.runtime.Unknown is not known to this server; ${FIX}`, true);
}

function where(ctx: Ctx): string {
  return ctx.path ? ` (at ${ctx.path})` : '';
}

function child(ctx: Ctx, name: string): Ctx {
  return { path: ctx.path ? `${ctx.path}.${name}` : name };
}

/** Reads one message's fields, in wire order, checking each against the table. */
function collect(m: Message, buf: Uint8Array, ctx: Ctx): Map<Field, Item[]> {
  const out = new Map<Field, Item[]>();
  const r = new WireReader(buf);
  while (!r.done) {
    const { field: no, wireType } = r.tag();
    const f = m.byNumber.get(no);
    if (!f) throw new ProtobufDecodeError(`field ${no} of ${m.name}${where(ctx)} is not known to this server; ${FIX}`, true);
    let items = out.get(f);
    if (!items) out.set(f, (items = []));
    const numeric = 'scalar' in f.value && f.value.scalar !== 'string' && f.value.scalar !== 'bytes' && !f.mapKey;
    if (numeric && wireType === WireType.VARINT) items.push({ varint: r.varint64() });
    else if (numeric && f.repeated && wireType === WireType.LEN) {
      // Packed repeated numbers: proto2 gogo writes them unpacked, but a parser must take both.
      const { start, end } = r.lengthDelimited();
      const p = new WireReader(buf, start, end);
      while (!p.done) items.push({ varint: p.varint64() });
    } else if (!numeric && wireType === WireType.LEN) items.push(r.lengthDelimited());
    else {
      throw new ProtobufDecodeError(
        `field ${no} (${f.json || 'inline'}) of ${m.name}${where(ctx)} has wire type ${wireType}, but this server reads it as ${numeric ? 'a varint (0)' : 'length-delimited (2)'}; ${FIX}`,
        true,
      );
    }
  }
  return out;
}

function decodeObject(m: Message, buf: Uint8Array, ctx: Ctx): Record<string, unknown> {
  const items = collect(m, buf, ctx);
  const obj: Record<string, unknown> = {};
  for (const f of m.fields) {
    const got = items.get(f);
    const c = child(ctx, f.json);
    if (f.inline) {
      if (!got && f.pointer) continue;
      Object.assign(obj, decodeObject(compile((f.value as { message: string }).message), joined(buf, got), ctx));
      continue;
    }
    if (f.mapKey) {
      if (!got) {
        if (f.keep) obj[f.json] = null;
        continue;
      }
      obj[f.json] = decodeMap(m, f, buf, got, c);
      continue;
    }
    if (f.repeated) {
      if (!got) {
        if (f.keep) obj[f.json] = null;
        continue;
      }
      obj[f.json] = got.map((it, i) => valueOf(m, f, f.value, buf, it, { path: `${c.path}[${i}]` }));
      continue;
    }
    if ('message' in f.value) {
      if (!got && f.pointer) {
        if (f.keep) obj[f.json] = null;
        continue;
      }
      // A struct is always written; a pointer is written whenever it was sent.
      obj[f.json] = messageValue(f.value.message, got ? joined(buf, got) : undefined, c);
      continue;
    }
    if (!got) {
      // Go's nil pointer and nil []byte both marshal as null.
      if (f.keep) obj[f.json] = f.pointer || f.value.scalar === 'bytes' ? null : zero(f.value.scalar);
      continue;
    }
    const v = valueOf(m, f, f.value, buf, got[got.length - 1], ctx); // proto: the last value wins
    if (f.pointer || f.keep || !isZero(v)) obj[f.json] = v;
  }
  return obj;
}

/** The bytes of a singular message field; proto merges repeated occurrences, which for gogo is decoding their concatenation. */
function joined(buf: Uint8Array, items: Item[] | undefined): Uint8Array {
  if (!items) return new Uint8Array(0);
  const spans = items as Array<{ start: number; end: number }>;
  if (spans.length === 1) return buf.subarray(spans[0].start, spans[0].end);
  return Buffer.concat(spans.map((s) => buf.subarray(s.start, s.end)));
}

function decodeMap(m: Message, f: Field, buf: Uint8Array, items: Item[], ctx: Ctx): Record<string, unknown> {
  const entries = new Map<string, unknown>();
  for (const it of items) {
    const { start, end } = it as { start: number; end: number };
    const r = new WireReader(buf, start, end);
    let key: unknown = zero(f.mapKey!);
    let value: Item | undefined;
    while (!r.done) {
      const { field, wireType } = r.tag();
      const expect = field === 1 ? f.mapKey! : field === 2 ? ('scalar' in f.value ? f.value.scalar : 'message') : undefined;
      if (!expect) throw new ProtobufDecodeError(`field ${field} of a ${f.json} map entry in ${m.name}${where(ctx)} is not known to this server; ${FIX}`, true);
      const varint = expect === 'bool' || expect === 'int32' || expect === 'int64';
      if (wireType !== (varint ? WireType.VARINT : WireType.LEN)) {
        throw new ProtobufDecodeError(`field ${field} of a ${f.json} map entry in ${m.name}${where(ctx)} has wire type ${wireType}; ${FIX}`, true);
      }
      const item: Item = varint ? { varint: r.varint64() } : r.lengthDelimited();
      if (field === 1) key = valueOf(m, f, { scalar: f.mapKey! }, buf, item, ctx);
      else value = item;
    }
    const k = String(key);
    const c = { path: `${ctx.path}[${JSON.stringify(k)}]` };
    // An entry without a value holds the value type's zero, as gogo's unmarshaler leaves it.
    const v = value
      ? valueOf(m, f, f.value, buf, value, c)
      : 'message' in f.value
        ? messageValue(f.value.message, new Uint8Array(0), c)
        : zero(f.value.scalar);
    entries.set(k, v);
  }
  // encoding/json writes map keys sorted.
  const out: Record<string, unknown> = {};
  for (const k of [...entries.keys()].sort()) out[k] = entries.get(k);
  return out;
}

function valueOf(m: Message, f: Field, t: ValueType, buf: Uint8Array, item: Item, ctx: Ctx): unknown {
  if ('message' in t) {
    const { start, end } = item as { start: number; end: number };
    return messageValue(t.message, buf.subarray(start, end), ctx);
  }
  if ('varint' in item) {
    const v = item.varint;
    if (t.scalar === 'bool') return v.lo !== 0 || v.hi !== 0;
    if (t.scalar === 'int32') return toInt32(v);
    const n = toSafeInt64(v);
    if (n === undefined) {
      throw new ProtobufDecodeError(`field ${f.no} (${f.json}) of ${m.name}${where(ctx)} holds ${int64Text(v)}, beyond the ±2^53 this server holds exactly; use a smaller value`, true);
    }
    return n;
  }
  const bytes = buf.subarray(item.start, item.end);
  return t.scalar === 'bytes' ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') : utf8.decode(bytes);
}

function zero(t: Scalar): unknown {
  return t === 'string' || t === 'bytes' ? '' : t === 'bool' ? false : 0;
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

/**
 * The JSON of a message-typed value. `bytes` undefined: the field was not sent (only reached for
 * non-pointer fields, whose Go zero value is still written).
 */
function messageValue(name: string, bytes: Uint8Array | undefined, ctx: Ctx): unknown {
  const body = bytes ?? new Uint8Array(0);
  switch (name) {
    case TIME:
    case MICRO_TIME:
      return timeValue(name, body, ctx);
    case DURATION: {
      const f = scalarFields(name, body, ctx);
      const v = f.get(1);
      return formatDuration(v && 'varint' in v ? BigInt.asIntN(64, (BigInt(v.varint.hi) << 32n) | BigInt(v.varint.lo)) : 0n);
    }
    case INT_OR_STRING: {
      const f = scalarFields(name, body, ctx);
      const type = f.get(1);
      const t = type && 'varint' in type ? int64Text(type.varint) : '0';
      if (t === '0') {
        const v = f.get(2);
        return v && 'varint' in v ? toInt32(v.varint) : 0;
      }
      if (t === '1') {
        const v = f.get(3);
        return v && 'start' in v ? utf8.decode(body.subarray(v.start, v.end)) : '';
      }
      // intstr.IntOrString.MarshalJSON fails the same way.
      throw new ProtobufDecodeError(`IntOrString${where(ctx)} has type ${t}, neither 0 (int) nor 1 (string); ${FIX}`, false);
    }
    case QUANTITY: {
      const v = scalarFields(name, body, ctx).get(1);
      if (!v || !('start' in v)) return '0'; // the zero Quantity
      const s = utf8.decode(body.subarray(v.start, v.end));
      // resource.Quantity's Unmarshal parses the string; an empty one is its ErrFormatWrong.
      if (!s) throw new ProtobufDecodeError(`Quantity${where(ctx)} is empty, which is not a quantity; ${FIX}`, false);
      return s;
    }
    case FIELDS_V1:
    case RAW_EXTENSION: {
      const v = scalarFields(name, body, ctx).get(1);
      if (!v || !('start' in v)) return null; // MarshalJSON of a nil Raw
      const text = utf8.decode(body.subarray(v.start, v.end));
      try {
        return JSON.parse(text);
      } catch {
        throw new ProtobufDecodeError(`${name.slice(name.lastIndexOf('.') + 1)}${where(ctx)} holds bytes that are not JSON; ${FIX}`, true);
      }
    }
    default:
      return decodeObject(compile(name), body, ctx);
  }
}

/** The last value of each field of a small custom-JSON message, checked against its rows. */
function scalarFields(name: string, body: Uint8Array, ctx: Ctx): Map<number, Item> {
  const m = compile(name);
  const out = new Map<number, Item>();
  for (const [f, items] of collect(m, body, ctx)) out.set(f.no, items[items.length - 1]);
  return out;
}

function timeValue(name: string, body: Uint8Array, ctx: Ctx): string | null {
  // metav1.Time's Unmarshal turns an empty message into the zero time, which marshals as null.
  if (body.length === 0) return null;
  const f = scalarFields(name, body, ctx);
  const s = f.get(1);
  const n = f.get(2);
  const seconds = s && 'varint' in s ? toSafeInt64(s.varint) : 0;
  const nanos = n && 'varint' in n ? toInt32(n.varint) : 0;
  if (seconds === undefined) throw new ProtobufDecodeError(`time${where(ctx)} is out of range; ${FIX}`, false);
  const norm = normalizeUnix(seconds, nanos);
  if (norm.seconds === GO_ZERO_TIME_UNIX && norm.nanos === 0) return null;
  const text = formatTime(seconds, nanos, name === MICRO_TIME);
  if (text === undefined) throw new ProtobufDecodeError(`time${where(ctx)} (${seconds}s since 1970) is outside the years 1–9999; ${FIX}`, false);
  return text;
}
