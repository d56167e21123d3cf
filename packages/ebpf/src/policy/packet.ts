/**
 * Ethernet frames for BPF_PROG_TEST_RUN: enough IPv4/IPv6 + TCP/UDP/ICMP to drive the policy
 * program (and any other L3/L4 classifier) without a network.
 *
 * ```ts
 * const frame = buildPacket({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 40000, dport: 80 });
 * engine.program('policy_tc_ingress').testRun({ data: frame }).retval;
 * ```
 */
import { isIPv4 } from 'node:net';
import { parseIPv4, parseIPv6 } from './cidr.js';

export interface PacketSpec {
  src: string;
  dst: string;
  /** A name or an IP protocol number. */
  proto: 'tcp' | 'udp' | 'icmp' | number;
  sport?: number;
  dport?: number;
  /** TCP flags byte; default SYN (0x02). */
  tcpFlags?: number;
  /** Bytes after the L4 header. */
  payload?: number;
  /** IPv4 fragment offset in 8-byte units (non-zero: a later fragment, no L4 header). IPv6: a fragment header is added. */
  fragmentOffset?: number;
}

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function buildPacket(p: PacketSpec): Buffer {
  const v4 = isIPv4(p.src);
  const src = v4 ? parseIPv4(p.src) : parseIPv6(p.src);
  const dst = v4 ? parseIPv4(p.dst) : parseIPv6(p.dst);
  if (!src || !dst || isIPv4(p.dst) !== v4) throw new TypeError(`addresses ${p.src} and ${p.dst} must both be IPv4 or both IPv6`);
  const proto = p.proto === 'tcp' ? 6 : p.proto === 'udp' ? 17 : p.proto === 'icmp' ? (v4 ? 1 : 58) : p.proto;
  const later = (p.fragmentOffset ?? 0) > 0;
  let l4: Buffer;
  if (later) l4 = Buffer.alloc(0);
  else if (proto === 6) {
    l4 = Buffer.alloc(20);
    l4.writeUInt16BE(p.sport ?? 40000, 0);
    l4.writeUInt16BE(p.dport ?? 0, 2);
    l4[12] = 5 << 4;
    l4[13] = p.tcpFlags ?? TCP_FLAGS.SYN;
    l4.writeUInt16BE(65535, 14);
  } else if (proto === 17) {
    l4 = Buffer.alloc(8);
    l4.writeUInt16BE(p.sport ?? 40000, 0);
    l4.writeUInt16BE(p.dport ?? 0, 2);
    l4.writeUInt16BE(8 + (p.payload ?? 0), 4);
  } else if (proto === 1 || proto === 58) {
    l4 = Buffer.alloc(8);
    l4[0] = proto === 1 ? 8 : 128; // echo request
  } else l4 = Buffer.alloc(0);
  const body = Buffer.concat([l4, Buffer.alloc(p.payload ?? 0)]);
  const eth = Buffer.alloc(14);
  eth.set([0x02, 0, 0, 0, 0, 2], 0);
  eth.set([0x02, 0, 0, 0, 0, 1], 6);
  if (v4) {
    eth.writeUInt16BE(0x0800, 12);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + body.length, 2);
    ip.writeUInt16BE((p.fragmentOffset ?? 0) & 0x1fff, 6);
    ip[8] = 64;
    ip[9] = proto;
    ip.set(src.subarray(0, 4), 12);
    ip.set(dst.subarray(0, 4), 16);
    ip.writeUInt16BE(checksum(ip), 10);
    return Buffer.concat([eth, ip, body]);
  }
  eth.writeUInt16BE(0x86dd, 12);
  const ip6 = Buffer.alloc(40);
  ip6[0] = 0x60;
  let ext = Buffer.alloc(0);
  if (p.fragmentOffset !== undefined) {
    ext = Buffer.alloc(8);
    ext[0] = proto;
    ext.writeUInt16BE(((p.fragmentOffset & 0x1fff) << 3) | (later ? 0 : 1), 2);
    ip6[6] = 44;
  } else ip6[6] = proto;
  ip6.writeUInt16BE(ext.length + body.length, 4);
  ip6[7] = 64;
  ip6.set(src, 8);
  ip6.set(dst, 24);
  return Buffer.concat([eth, ip6, ext, body]);
}

/** An ARP request frame: not IP, so the policy lets it through. */
export function buildArp(): Buffer {
  const f = Buffer.alloc(42);
  f.fill(0xff, 0, 6);
  f.writeUInt16BE(0x0806, 12);
  return f;
}
