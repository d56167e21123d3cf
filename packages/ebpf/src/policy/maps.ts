/**
 * Byte layouts of the policy maps, mirroring bpf/include-apps/policy.h. LPM `prefixlen` is a
 * host-endian u32 (little-endian on x86-64 and arm64, the machines this targets); every other
 * field inside an LPM key is big-endian because the trie compares bytes from the most significant
 * bit. Padding is always zero: the kernel compares keys byte for byte.
 */
import type { Action, Direction } from './rules.js';

export const POLICY = {
  INGRESS: 0,
  EGRESS: 1,
  ALLOW: 1,
  DENY: 2,
  SLOT_DEFAULT_INGRESS: 0,
  SLOT_DEFAULT_EGRESS: 1,
  SLOT_REPLY_INGRESS: 2,
  SLOT_REPLY_EGRESS: 3,
  FIRST_RULE_SLOT: 8,
  MAX_RULES: 16384,
  /** Twice the rules: while one rule set is in force, the next may name entirely new rules. */
  COUNTER_SLOTS: 8 + 2 * 16384,
  MAX_ADDR_ENTRIES: 65536,
  MAX_PORT_ENTRIES: 524288,
  ADDR_FIXED_BITS: 32,
  PORT_FULL_BITS: 56,
  PORT_PROTO_BITS: 40,
  PORT_CLASS_BITS: 32,
} as const;

export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

export const dirCode = (d: Direction): number => (d === 'ingress' ? POLICY.INGRESS : POLICY.EGRESS);
export const actionCode = (a: Action): number => (a === 'allow' ? POLICY.ALLOW : POLICY.DENY);

export const ADDR_KEY_SIZE = 24;
export const PORT_KEY_SIZE = 12;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const u32leHex = (v: number): string => HEX[v & 0xff] + HEX[(v >>> 8) & 0xff] + HEX[(v >>> 16) & 0xff] + HEX[(v >>> 24) & 0xff];
const u32beHex = (v: number): string => HEX[(v >>> 24) & 0xff] + HEX[(v >>> 16) & 0xff] + HEX[(v >>> 8) & 0xff] + HEX[v & 0xff];
const ZERO12 = '00'.repeat(12);

/**
 * struct policy_addr_key as hex: the compiler keys map contents by it (string keys make diffs
 * between rule sets cheap, and building them needs no Buffer per entry for 10k rules).
 */
export function addrKeyHex(dir: number, family: 4 | 6, addr: Uint8Array, prefixLen: number): string {
  let a = '';
  if (family === 4) a = HEX[addr[0]] + HEX[addr[1]] + HEX[addr[2]] + HEX[addr[3]] + ZERO12;
  else for (let i = 0; i < 16; i++) a += HEX[addr[i]];
  return u32leHex(POLICY.ADDR_FIXED_BITS + prefixLen) + HEX[dir] + HEX[family] + '0000' + a;
}

/** struct policy_addr_key. */
export function encodeAddrKey(dir: number, family: 4 | 6, addr: Uint8Array, prefixLen: number): Buffer {
  return Buffer.from(addrKeyHex(dir, family, addr, prefixLen), 'hex');
}

/** A lookup key for one address: the full prefix, as the BPF program builds it. */
export function encodeAddrLookup(dir: number, family: 4 | 6, addr: Uint8Array): Buffer {
  return encodeAddrKey(dir, family, addr, family === 4 ? 32 : 128);
}

/**
 * struct policy_port_key as hex. `portBits` = fixed bits of the port (0..16); proto undefined =
 * no protocol either (a class-wide entry). Ports of a block are aligned, so the key is canonical.
 */
export function portKeyHex(classId: number, proto: number | undefined, port: number, portBits: number): string {
  if (proto === undefined) return u32leHex(POLICY.PORT_CLASS_BITS) + u32beHex(classId) + '00000000';
  const p = portBits > 0 ? HEX[(port >> 8) & 0xff] + HEX[port & 0xff] : '0000';
  return u32leHex(POLICY.PORT_PROTO_BITS + portBits) + u32beHex(classId) + HEX[proto] + p + '00';
}

/** struct policy_port_key. */
export function encodePortKey(classId: number, proto: number | undefined, port: number, portBits: number): Buffer {
  return Buffer.from(portKeyHex(classId, proto, port, portBits), 'hex');
}

/** The key a packet looks up with: a port when it has one, else (class, proto) only. */
export function encodePortLookup(classId: number, proto: number, port: number | undefined): Buffer {
  return port === undefined ? encodePortKey(classId, proto, 0, 0) : encodePortKey(classId, proto, port, 16);
}

export function encodeU32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return b;
}

/** The bytes of a compiled map value (MapContents holds numbers): a u32 class id, or a policy_verdict. */
export function encodeMapValue(map: 'addr' | 'port', v: number): Buffer {
  return map === 'addr' ? encodeU32(v) : encodeVerdict(v & 0xffff, v >>> 16);
}

/** struct policy_verdict. */
export function encodeVerdict(slot: number, action: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(slot, 0);
  b[2] = action;
  return b;
}

export function decodeVerdict(b: Uint8Array): { slot: number; action: number } {
  const v = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { slot: v.readUInt16LE(0), action: v[2] };
}

export interface PolicySettings {
  generation: number;
  defaultAction: Record<Direction, Action>;
  trackFlows: Record<Direction, boolean>;
}

/** struct policy_settings. */
export function encodeSettings(s: PolicySettings): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(s.generation >>> 0, 0);
  b[4] = actionCode(s.defaultAction.ingress);
  b[5] = actionCode(s.defaultAction.egress);
  b[6] = s.trackFlows.ingress ? 1 : 0;
  b[7] = s.trackFlows.egress ? 1 : 0;
  return b;
}

/** struct policy_counter, one per CPU, summed. */
export function sumCounters(perCpu: readonly Uint8Array[]): { packets: bigint; bytes: bigint } {
  let packets = 0n;
  let bytes = 0n;
  for (const c of perCpu) {
    const v = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    packets += v.readBigUInt64LE(0);
    bytes += v.readBigUInt64LE(8);
  }
  return { packets, bytes };
}
