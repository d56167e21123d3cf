// Codecs: C layout of structs, byte order, range checks, addresses and LPM keys (pure logic).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  array,
  bool,
  bytes,
  cstring,
  decode,
  encode,
  i32,
  i64,
  ipv4,
  ipv6,
  lpmKey,
  lpmKeyIpv4,
  lpmKeyIpv6,
  parseCidr,
  struct,
  sumPerCpu,
  u16,
  u16be,
  u32,
  u32be,
  u64,
  u64Number,
  u8,
} from '../src/codec.js';

describe('codecs', () => {
  it('numbers in host order (little-endian here), network order for the be codecs', () => {
    assert.deepEqual([...encode(u32, 0x01020304)], [4, 3, 2, 1]);
    assert.deepEqual([...encode(u32be, 0x01020304)], [1, 2, 3, 4]);
    assert.deepEqual([...encode(u16be, 80)], [0, 80]);
    assert.equal(decode(u16, Uint8Array.of(0x34, 0x12)), 0x1234);
    assert.equal(decode(i32, encode(i32, -5)), -5);
    assert.equal(decode(i64, encode(i64, -(2n ** 62n))), -(2n ** 62n));
    assert.equal(decode(u64, encode(u64, 2n ** 64n - 1n)), 2n ** 64n - 1n);
    assert.equal(decode(bool, Uint8Array.of(7)), true);
  });

  it('rejects values that do not fit, naming the codec', () => {
    assert.throws(() => encode(u8, 256), /u8: 256 is not an integer in \[0, 255\]/);
    assert.throws(() => encode(u32, 1.5), /u32: 1.5 is not an integer/);
    assert.throws(() => encode(u64, 5 as unknown as bigint), /u64: 5 is not a bigint/);
    assert.throws(() => encode(u64, -1n), /u64: -1 is not a bigint/);
  });

  it('u64Number is exact to 2^53 and refuses to round above it', () => {
    assert.equal(decode(u64Number, encode(u64Number, Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    assert.equal(decode(u64Number, encode(u64, 2n ** 40n + 5n)), 2 ** 40 + 5);
    assert.throws(() => decode(u64Number, encode(u64, 2n ** 60n)), /above 2\^53; use the u64 \(bigint\) codec/);
  });

  it('structs follow C layout: natural alignment, trailing padding, zeroed padding', () => {
    const s = struct({ a: u8, b: u32, c: u16, d: u64, e: u8 });
    assert.deepEqual(s.offsets, { a: 0, b: 4, c: 8, d: 16, e: 24 });
    assert.equal(s.size, 32);
    assert.equal(s.align, 8);
    const v = { a: 1, b: 2, c: 3, d: 4n, e: 5 };
    const b = encode(s, v);
    assert.equal(b.length, 32);
    assert.deepEqual([...b.subarray(1, 4)], [0, 0, 0], 'padding is zero');
    assert.deepEqual(decode(s, b), v);
    const packed = struct({ a: u8, b: u32 }, { packed: true });
    assert.equal(packed.size, 5);
    assert.throws(() => encode(s, { a: 1, b: 2, c: 3, d: 4n } as never), /field "e" is missing/);
    assert.throws(() => encode(s, { ...v, c: 70000 }), /field "c": u16: 70000/);
  });

  it('nested structs, arrays, C strings and raw bytes', () => {
    const inner = struct({ x: u16, y: u16 });
    const outer = struct({ tag: u8, p: inner, xs: array(u32, 3), name: cstring(8), raw: bytes(3) });
    assert.deepEqual(outer.offsets, { tag: 0, p: 2, xs: 8, name: 20, raw: 28 });
    assert.equal(outer.size, 32);
    const v = { tag: 9, p: { x: 1, y: 2 }, xs: [7, 8, 9], name: 'node', raw: Uint8Array.of(1, 2, 3) };
    assert.deepEqual(decode(outer, encode(outer, v)), v);
    assert.throws(() => encode(cstring(4), 'abcd'), /takes 4 bytes, at most 3 fit/);
    assert.throws(() => encode(array(u8, 2), [1]), /expected 2 elements/);
  });

  it('IPv4 and IPv6 addresses in network order', () => {
    assert.deepEqual([...encode(ipv4, '10.1.2.3')], [10, 1, 2, 3]);
    assert.equal(decode(ipv4, Uint8Array.of(192, 0, 2, 1)), '192.0.2.1');
    const six = encode(ipv6, '2001:db8::1');
    assert.deepEqual([...six.subarray(0, 4)], [0x20, 0x01, 0x0d, 0xb8]);
    assert.equal(six[15], 1);
    assert.equal(decode(ipv6, six), '2001:db8::1');
    assert.equal(decode(ipv6, encode(ipv6, '::ffff:192.0.2.1')), '::ffff:c000:201');
    assert.equal(decode(ipv6, encode(ipv6, '::')), '::');
    assert.equal(decode(ipv6, encode(ipv6, '1:0:0:2:0:0:0:3')), '1:0:0:2::3');
    assert.throws(() => encode(ipv4, '10.1.2'), /"10.1.2" is not an IPv4 address/);
    assert.throws(() => encode(ipv6, '10.1.2.3'), /is not an IPv6 address/);
  });

  it('LPM keys: host-order prefix length, then the data', () => {
    assert.deepEqual([...encode(lpmKeyIpv4, { prefixLen: 24, addr: '10.1.2.0' })], [24, 0, 0, 0, 10, 1, 2, 0]);
    assert.equal(lpmKeyIpv6.size, 20);
    assert.deepEqual(decode(lpmKeyIpv6, encode(lpmKeyIpv6, parseCidr('2001:db8::/32'))), { prefixLen: 32, addr: '2001:db8::' });
    const portKey = lpmKey(struct({ proto: u8, port: u16be }, { packed: true }));
    assert.deepEqual([...encode(portKey, { prefixLen: 8, data: { proto: 6, port: 443 } })], [8, 0, 0, 0, 6, 1, 187]);
    assert.throws(() => encode(lpmKeyIpv4, { prefixLen: 40, addr: '10.0.0.0' }), /prefix length 40 is outside \[0, 32\]/);
    assert.deepEqual(parseCidr('10.0.0.1'), { family: 4, prefixLen: 32, addr: '10.0.0.1' });
    assert.throws(() => parseCidr('10.0.0.0/33'), /prefix length must be 0..32/);
    assert.throws(() => parseCidr('nope/8'), /is not a CIDR/);
  });

  it('sums per-CPU values of numbers or bigints', () => {
    assert.equal(sumPerCpu([1, 2, 3]), 6);
    assert.equal(sumPerCpu([1n, 2n]), 3n);
    assert.equal(sumPerCpu([]), 0);
  });
});
