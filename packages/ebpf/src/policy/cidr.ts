/**
 * CIDR blocks as the policy maps need them: address family, 16 address bytes (IPv4 in the first
 * four) and the prefix length. Host bits must be zero: `10.1.2.3/8` is refused with the block
 * the author probably meant, because silently masking hides typos in a firewall.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** 16 bytes; an IPv4 address fills bytes 0..3 and the rest are zero. */
  addr: Uint8Array;
  prefixLen: number;
}

export class CidrError extends Error {}

export function parseIPv4(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  const out = new Uint8Array(16);
  text.split('.').forEach((p, i) => (out[i] = Number(p)));
  return out;
}

export function parseIPv6(text: string): Uint8Array | undefined {
  if (!isIPv6(text)) return undefined;
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (!v4) return undefined;
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill('0'), ...restGroups];
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

export function formatAddr(family: 4 | 6, addr: Uint8Array): string {
  if (family === 4) return Array.from(addr.subarray(0, 4)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addr[i] << 8) | addr[i + 1]).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 asks.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatAddr(c.family, c.addr)}/${c.prefixLen}`;
}

/** Clears the bits past prefixLen (a copy). */
export function maskAddr(addr: Uint8Array, prefixLen: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, prefixLen - i * 8));
    out[i] = bits === 0 ? 0 : addr[i] & (0xff << (8 - bits));
  }
  return out;
}

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Throws CidrError
 * naming the problem and the fix.
 */
export function parseCidr(text: string): Cidr {
  const s = text.trim();
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const v4 = parseIPv4(addrText);
  const v6 = v4 ? undefined : parseIPv6(addrText);
  if (!v4 && !v6) {
    throw new CidrError(`"${text}" is not an IPv4 or IPv6 address or CIDR block: write it like 10.0.0.0/8, 192.168.1.7 or 2001:db8::/32`);
  }
  const family: 4 | 6 = v4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let prefixLen = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      throw new CidrError(`"${text}" has prefix length "${p}": an IPv${family} prefix length is a whole number from 0 to ${max}`);
    }
    prefixLen = Number(p);
  }
  const addr = (v4 ?? v6) as Uint8Array;
  const masked = maskAddr(addr, prefixLen);
  if (!masked.every((b, i) => b === addr[i])) {
    const fixed = `${formatAddr(family, masked)}/${prefixLen}`;
    throw new CidrError(`"${text}" has host bits set past /${prefixLen}: write ${fixed} for the block, or ${formatAddr(family, addr)}/${max} for the single address`);
  }
  return { family, addr: masked, prefixLen };
}

/** Does `outer` contain `inner` (same family, shorter or equal prefix, same leading bits)? */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.prefixLen > inner.prefixLen) return false;
  const m = maskAddr(inner.addr, outer.prefixLen);
  return m.every((b, i) => b === outer.addr[i]);
}
