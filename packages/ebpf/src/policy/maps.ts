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

/**
 * Writes map keys into one reusable buffer and returns them as hex: the compiler keys map
 * contents by these strings (string keys make diffs between rule sets cheap), and building one
 * allocates the string and nothing else.
 *
 * A writer remembers the IPv4 address keys it made, by a number that identifies each, so a
 * compile that follows another gets the same strings for the CIDRs that stayed (the compiler
 * remembers port entries itself, per class). Made afresh, 10,000 keys are a megabyte of new
 * strings that the installer keeps and the garbage collector then copies out of the young
 * generation: on the VMs this runs on, that copying and the page faults of fresh memory, not the
 * arithmetic, are what a compile spends its time on. Call `endCompile()` after each compile: it
 * forgets everything when far more is remembered than one compile uses.
 */
export class PolicyKeyWriter {
  private readonly addrKey = Buffer.alloc(ADDR_KEY_SIZE);
  private readonly portKey = Buffer.alloc(PORT_KEY_SIZE);
  private known = new Map<number, string>();
  private used = 0;

  /** struct policy_addr_key: an IPv4 address fills 4 bytes of the 16, the rest stays zero. */
  addr(dir: number, family: 4 | 6, addr: Uint8Array, prefixLen: number): string {
    if (family === 4) return this.addrV4(dir, ((addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3]) >>> 0, prefixLen);
    const b = this.addrKey;
    b.writeUInt32LE(POLICY.ADDR_FIXED_BITS + prefixLen, 0);
    b[4] = dir;
    b[5] = family;
    for (let i = 0; i < 16; i++) b[8 + i] = addr[i];
    return b.toString('hex');
  }

  /** The same for an IPv4 address given as an unsigned 32-bit number. */
  addrV4(dir: number, v4: number, prefixLen: number): string {
    // Address, length and direction in one number below 2^39: exact.
    const id = (v4 * 64 + prefixLen) * 2 + dir;
    this.used++;
    const known = this.known.get(id);
    if (known !== undefined) return known;
    const b = this.addrKey;
    b.writeUInt32LE(POLICY.ADDR_FIXED_BITS + prefixLen, 0);
    b[4] = dir;
    b[5] = 4;
    b.writeUInt32BE(v4, 8);
    b.fill(0, 12);
    const k = b.toString('hex');
    this.known.set(id, k);
    return k;
  }

  /** The class of the port keys that follow. */
  setClass(classId: number): void {
    this.portKey.writeUInt32BE(classId >>> 0, 4);
  }

  /** struct policy_port_key of the current class: the class-wide entry (no protocol, no port). */
  classWide(): string {
    const b = this.portKey;
    b.writeUInt32LE(POLICY.PORT_CLASS_BITS, 0);
    b.writeUInt32LE(0, 8);
    return b.toString('hex');
  }

  /** struct policy_port_key of the current class: `portBits` fixed high bits of `port` (0 = every port). */
  port(proto: number, port: number, portBits: number): string {
    const b = this.portKey;
    b.writeUInt32LE(POLICY.PORT_PROTO_BITS + portBits, 0);
    b[8] = proto;
    b[9] = portBits > 0 ? (port >> 8) & 0xff : 0;
    b[10] = portBits > 0 ? port & 0xff : 0;
    b[11] = 0;
    return b.toString('hex');
  }

  /** Counts keys a compile took from its own memory of the last compile, as if asked for here. */
  reused(count: number): void {
    this.used += count;
  }

  /** After a compile: keeps what the next one will likely ask for, within twice what this one did. */
  endCompile(): void {
    if (this.known.size > 2 * this.used + 4096) this.known = new Map();
    this.used = 0;
  }
}

const keys = new PolicyKeyWriter();

/** struct policy_addr_key as hex (see PolicyKeyWriter). */
export function addrKeyHex(dir: number, family: 4 | 6, addr: Uint8Array, prefixLen: number): string {
  return keys.addr(dir, family, addr, prefixLen);
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
  keys.setClass(classId);
  return proto === undefined ? keys.classWide() : keys.port(proto, port, portBits);
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
