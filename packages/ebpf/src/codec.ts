/**
 * Typed codecs for map keys, map values, global variables and events: how a TypeScript value maps
 * to the bytes a BPF program sees. Numbers are in the host's byte order (what a C `__u32` is);
 * the `*be` codecs are network order (what `__be16`/`__be32` fields in packet headers are).
 * Struct codecs lay fields out as C does (natural alignment, trailing padding) and always zero the
 * padding, because hash and LPM maps compare keys byte for byte.
 *
 * ```ts
 * const flowKey = struct({ saddr: ipv4, daddr: ipv4, sport: u16be, dport: u16be, proto: u8 });
 * const flows = obj.map('flows', { key: flowKey, value: u64 });
 * flows.update({ saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 1234, dport: 80, proto: 6 }, 0n);
 * ```
 */
import { isIPv4, isIPv6 } from 'node:net';
import { endianness } from 'node:os';

export interface Codec<T> {
  /** Bytes the value takes (sizeof in C). */
  readonly size: number;
  /** Alignment in a struct (alignof in C). */
  readonly align: number;
  /** For messages: `u32`, `struct { a: u32; b: u64 }`. */
  readonly name: string;
  encode(value: T, view: DataView, offset: number): void;
  decode(view: DataView, offset: number): T;
}

/** The TypeScript type a codec reads and writes. */
export type Infer<C> = C extends Codec<infer T> ? T : never;

const LE = endianness() === 'LE';

function numeric<T>(name: string, size: number, get: (v: DataView, o: number) => T, set: (v: DataView, o: number, x: T) => void, check?: (x: T) => void): Codec<T> {
  return {
    name,
    size,
    align: size,
    encode(value, view, offset) {
      if (check) check(value);
      set(view, offset, value);
    },
    decode: get,
  };
}

function intRange(name: string, min: number, max: number): (x: number) => void {
  return (x) => {
    if (!Number.isInteger(x) || x < min || x > max) throw new RangeError(`${name}: ${x} is not an integer in [${min}, ${max}]`);
  };
}

function bigRange(name: string, min: bigint, max: bigint): (x: bigint) => void {
  return (x) => {
    if (typeof x !== 'bigint' || x < min || x > max) throw new RangeError(`${name}: ${String(x)} is not a bigint in [${min}, ${max}]`);
  };
}

export const u8: Codec<number> = numeric('u8', 1, (v, o) => v.getUint8(o), (v, o, x) => v.setUint8(o, x), intRange('u8', 0, 0xff));
export const i8: Codec<number> = numeric('i8', 1, (v, o) => v.getInt8(o), (v, o, x) => v.setInt8(o, x), intRange('i8', -0x80, 0x7f));
export const u16: Codec<number> = numeric('u16', 2, (v, o) => v.getUint16(o, LE), (v, o, x) => v.setUint16(o, x, LE), intRange('u16', 0, 0xffff));
export const i16: Codec<number> = numeric('i16', 2, (v, o) => v.getInt16(o, LE), (v, o, x) => v.setInt16(o, x, LE), intRange('i16', -0x8000, 0x7fff));
export const u32: Codec<number> = numeric('u32', 4, (v, o) => v.getUint32(o, LE), (v, o, x) => v.setUint32(o, x, LE), intRange('u32', 0, 0xffffffff));
export const i32: Codec<number> = numeric('i32', 4, (v, o) => v.getInt32(o, LE), (v, o, x) => v.setInt32(o, x, LE), intRange('i32', -0x80000000, 0x7fffffff));
export const u64: Codec<bigint> = numeric('u64', 8, (v, o) => v.getBigUint64(o, LE), (v, o, x) => v.setBigUint64(o, x, LE), bigRange('u64', 0n, 0xffffffffffffffffn));
export const i64: Codec<bigint> = numeric('i64', 8, (v, o) => v.getBigInt64(o, LE), (v, o, x) => v.setBigInt64(o, x, LE), bigRange('i64', -(2n ** 63n), 2n ** 63n - 1n));
export const f32: Codec<number> = numeric('f32', 4, (v, o) => v.getFloat32(o, LE), (v, o, x) => v.setFloat32(o, x, LE));
export const f64: Codec<number> = numeric('f64', 8, (v, o) => v.getFloat64(o, LE), (v, o, x) => v.setFloat64(o, x, LE));

/**
 * A u64 read as a JavaScript number: counters and nanosecond timestamps stay exact up to 2^53
 * (104 days of nanoseconds, 9 * 10^15 events). Decoding a larger value throws rather than round.
 */
export const u64Number: Codec<number> = numeric(
  'u64 (as number)',
  8,
  (v, o) => {
    const lo = v.getUint32(o + (LE ? 0 : 4), LE);
    const hi = v.getUint32(o + (LE ? 4 : 0), LE);
    if (hi > 0x1fffff) throw new RangeError(`u64 (as number): ${v.getBigUint64(o, LE)} is above 2^53; use the u64 (bigint) codec`);
    return hi * 0x100000000 + lo;
  },
  (v, o, x) => v.setBigUint64(o, BigInt(x), LE),
  intRange('u64 (as number)', 0, Number.MAX_SAFE_INTEGER),
);

/** Network byte order (big-endian) integers, for fields C declares as __be16/__be32. */
export const u16be: Codec<number> = numeric('u16be', 2, (v, o) => v.getUint16(o, false), (v, o, x) => v.setUint16(o, x, false), intRange('u16be', 0, 0xffff));
export const u32be: Codec<number> = numeric('u32be', 4, (v, o) => v.getUint32(o, false), (v, o, x) => v.setUint32(o, x, false), intRange('u32be', 0, 0xffffffff));

export const bool: Codec<boolean> = {
  name: 'bool',
  size: 1,
  align: 1,
  encode: (value, view, offset) => view.setUint8(offset, value ? 1 : 0),
  decode: (view, offset) => view.getUint8(offset) !== 0,
};

/** Raw bytes of a fixed size (a `__u8 x[n]`, or a whole key/value left untyped). */
export function bytes(size: number, align = 1): Codec<Uint8Array> {
  return {
    name: `u8[${size}]`,
    size,
    align,
    encode(value, view, offset) {
      if (!(value instanceof Uint8Array)) throw new TypeError(`u8[${size}]: expected a Uint8Array, got ${typeof value}`);
      if (value.length !== size) throw new RangeError(`u8[${size}]: got ${value.length} bytes`);
      new Uint8Array(view.buffer, view.byteOffset + offset, size).set(value);
    },
    decode: (view, offset) => new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + size)),
  };
}

/** A NUL-padded C string field `char name[size]` (UTF-8; at most size - 1 bytes written). */
export function cstring(size: number): Codec<string> {
  return {
    name: `char[${size}]`,
    size,
    align: 1,
    encode(value, view, offset) {
      const b = Buffer.from(value, 'utf8');
      if (b.length >= size) throw new RangeError(`char[${size}]: "${value}" takes ${b.length} bytes, at most ${size - 1} fit with the terminating NUL`);
      const dst = new Uint8Array(view.buffer, view.byteOffset + offset, size);
      dst.fill(0);
      dst.set(b);
    },
    decode(view, offset) {
      const src = new Uint8Array(view.buffer, view.byteOffset + offset, size);
      const end = src.indexOf(0);
      return Buffer.from(src.subarray(0, end < 0 ? size : end)).toString('utf8');
    },
  };
}

/** A fixed-length C array of `element`. */
export function array<T>(element: Codec<T>, length: number): Codec<T[]> {
  return {
    name: `${element.name}[${length}]`,
    size: element.size * length,
    align: element.align,
    encode(value, view, offset) {
      if (!Array.isArray(value) || value.length !== length) throw new RangeError(`${element.name}[${length}]: expected ${length} elements`);
      for (let i = 0; i < length; i++) element.encode(value[i], view, offset + i * element.size);
    },
    decode(view, offset) {
      const out = new Array<T>(length);
      for (let i = 0; i < length; i++) out[i] = element.decode(view, offset + i * element.size);
      return out;
    },
  };
}

export type StructFields = Record<string, Codec<any>>;
export type StructValue<F extends StructFields> = { [K in keyof F]: Infer<F[K]> };

export interface StructCodec<F extends StructFields> extends Codec<StructValue<F>> {
  /** Byte offset of each field, as C lays them out. */
  readonly offsets: { readonly [K in keyof F]: number };
}

/**
 * A C struct from its fields, in declaration order: `struct({ pid: u32, comm: cstring(16) })`.
 * `packed: true` is `__attribute__((packed))` (no padding).
 */
export function struct<F extends StructFields>(fields: F, opts: { packed?: boolean } = {}): StructCodec<F> {
  const names = Object.keys(fields) as (keyof F & string)[];
  const offsets = {} as Record<keyof F, number>;
  let offset = 0;
  let align = 1;
  for (const n of names) {
    const c = fields[n];
    const a = opts.packed ? 1 : c.align;
    offset = Math.ceil(offset / a) * a;
    offsets[n] = offset;
    offset += c.size;
    align = Math.max(align, a);
  }
  const size = Math.ceil(offset / align) * align;
  const name = `struct { ${names.map((n) => `${n}: ${fields[n].name}`).join('; ')} }`;
  return {
    name,
    size,
    align,
    offsets,
    encode(value, view, offset0) {
      if (value === null || typeof value !== 'object') throw new TypeError(`${name}: expected an object`);
      // Padding must be zero: keys are compared as bytes.
      new Uint8Array(view.buffer, view.byteOffset + offset0, size).fill(0);
      for (const n of names) {
        const v = value[n];
        if (v === undefined) throw new TypeError(`${name}: field "${n}" is missing`);
        try {
          fields[n].encode(v, view, offset0 + offsets[n]);
        } catch (err) {
          throw new (err instanceof RangeError ? RangeError : TypeError)(`field "${n}": ${(err as Error).message}`);
        }
      }
    },
    decode(view, offset0) {
      const out = {} as StructValue<F>;
      for (const n of names) out[n] = fields[n].decode(view, offset0 + offsets[n]);
      return out;
    },
  };
}

/** An IPv4 address in network order (`__be32` / `__u8[4]`), as a dotted string. */
export const ipv4: Codec<string> = {
  name: 'ipv4',
  size: 4,
  align: 4,
  encode(value, view, offset) {
    if (!isIPv4(value)) throw new TypeError(`ipv4: "${value}" is not an IPv4 address`);
    const parts = value.split('.');
    for (let i = 0; i < 4; i++) view.setUint8(offset + i, Number(parts[i]));
  },
  decode: (view, offset) => `${view.getUint8(offset)}.${view.getUint8(offset + 1)}.${view.getUint8(offset + 2)}.${view.getUint8(offset + 3)}`,
};

/** The 16 bytes of an IPv6 address in network order. */
export function ipv6Bytes(address: string): Uint8Array {
  if (!isIPv6(address)) throw new TypeError(`ipv6: "${address}" is not an IPv6 address`);
  let text = address;
  const out = new Uint8Array(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const p = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i], 16);
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  return out;
}

function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[i * 2] << 8) | b[i * 2 + 1]);
  // RFC 5952: compress the longest run (>= 2) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** An IPv6 address in network order (`__u8[16]`), as text (RFC 5952 form when decoded). */
export const ipv6: Codec<string> = {
  name: 'ipv6',
  size: 16,
  align: 4,
  encode(value, view, offset) {
    new Uint8Array(view.buffer, view.byteOffset + offset, 16).set(ipv6Bytes(value));
  },
  decode: (view, offset) => ipv6Text(new Uint8Array(view.buffer, view.byteOffset + offset, 16)),
};

export interface LpmKey<T> {
  /** Significant leading bits of `data` (the CIDR prefix length, for addresses). */
  prefixLen: number;
  data: T;
}

/**
 * An LPM trie key: `struct { __u32 prefixlen; <data> }` (struct bpf_lpm_trie_key). The trie matches
 * `data` bit by bit from its first byte, so multi-byte fields in it belong in network order.
 */
export function lpmKey<T>(data: Codec<T>): Codec<LpmKey<T>> {
  const maxBits = data.size * 8;
  const name = `lpm_key<${data.name}>`;
  return {
    name,
    size: 4 + data.size,
    align: 4,
    encode(value, view, offset) {
      if (!Number.isInteger(value.prefixLen) || value.prefixLen < 0 || value.prefixLen > maxBits) {
        throw new RangeError(`${name}: prefix length ${value.prefixLen} is outside [0, ${maxBits}]`);
      }
      view.setUint32(offset, value.prefixLen, LE);
      data.encode(value.data, view, offset + 4);
    },
    decode: (view, offset) => ({ prefixLen: view.getUint32(offset, LE), data: data.decode(view, offset + 4) }),
  };
}

/** A CIDR as an LPM key over an address codec: `{ prefixLen: 24, addr: '10.1.2.0' }`. */
export interface CidrKey {
  prefixLen: number;
  addr: string;
}

function cidrKey(addr: Codec<string>, bits: number, label: string): Codec<CidrKey> {
  const inner = lpmKey(addr);
  return {
    name: label,
    size: inner.size,
    align: inner.align,
    encode(value, view, offset) {
      if (!Number.isInteger(value.prefixLen) || value.prefixLen < 0 || value.prefixLen > bits) {
        throw new RangeError(`${label}: prefix length ${value.prefixLen} is outside [0, ${bits}]`);
      }
      inner.encode({ prefixLen: value.prefixLen, data: value.addr }, view, offset);
    },
    decode(view, offset) {
      const k = inner.decode(view, offset);
      return { prefixLen: k.prefixLen, addr: k.data };
    },
  };
}

/** `struct { __u32 prefixlen; __u8 addr[4]; }` */
export const lpmKeyIpv4: Codec<CidrKey> = cidrKey(ipv4, 32, 'lpm_key_ipv4');
/** `struct { __u32 prefixlen; __u8 addr[16]; }` */
export const lpmKeyIpv6: Codec<CidrKey> = cidrKey(ipv6, 128, 'lpm_key_ipv6');

/** Parses `10.0.0.0/8` or `2001:db8::/32` (a bare address is a host route) into a CidrKey. */
export function parseCidr(cidr: string): CidrKey & { family: 4 | 6 } {
  const [addr, len] = cidr.split('/');
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : undefined;
  if (!family) throw new TypeError(`"${cidr}" is not a CIDR (expected a.b.c.d/n or an IPv6 prefix)`);
  const max = family === 4 ? 32 : 128;
  const prefixLen = len === undefined ? max : Number(len);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > max) throw new RangeError(`"${cidr}": prefix length must be 0..${max}`);
  return { family, prefixLen, addr };
}

/** Encodes a value into a new zero-filled byte array of the codec's size. */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const out = new Uint8Array(codec.size);
  codec.encode(value, new DataView(out.buffer), 0);
  return out;
}

/** Decodes a value from the start of `bytes` (which must hold at least `codec.size` bytes). */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array): T {
  if (bytes.length < codec.size) throw new RangeError(`${codec.name}: need ${codec.size} bytes, got ${bytes.length}`);
  return codec.decode(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
}

/** Sums per-CPU values (counters a program keeps in a PERCPU map). */
export function sumPerCpu(values: readonly number[]): number;
export function sumPerCpu(values: readonly bigint[]): bigint;
export function sumPerCpu(values: readonly (number | bigint)[]): number | bigint {
  if (values.length > 0 && typeof values[0] === 'bigint') return (values as bigint[]).reduce((a, b) => a + b, 0n);
  return (values as number[]).reduce((a, b) => a + b, 0);
}
