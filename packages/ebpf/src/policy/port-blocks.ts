/**
 * A port range as the fewest prefix-aligned blocks, the way an LPM trie can hold it: a block is
 * `bits` fixed high bits of the 16-bit port, so it covers 2^(16-bits) ports starting at `port`.
 * 8000-8100 becomes 8000/10 (8000-8063), 8064/11 (8064-8095), 8096/14 (8096-8099) and 8100/16.
 * Any range needs at most 30 blocks.
 */
export interface PortBlock {
  port: number;
  /** Fixed high bits, 0 (all ports) to 16 (one port). */
  bits: number;
}

export function portBlocks(from: number, to: number): PortBlock[] {
  const out: PortBlock[] = [];
  forEachPortBlock(from, to, (port, bits) => void out.push({ port, bits }));
  return out;
}

/** portBlocks without the array: the compiler turns each block straight into a map key. */
export function forEachPortBlock(from: number, to: number, fn: (port: number, bits: number) => void): void {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > 65535 || from > to) {
    throw new RangeError(`port range ${from}-${to} is not within 0-65535`);
  }
  let p = from;
  while (p <= to) {
    // Grow while the block stays aligned at p and inside the range (ports fit in 17 bits: shifts are exact).
    let k = 0;
    while (k < 16 && (p & ((2 << k) - 1)) === 0 && p + (2 << k) - 1 <= to) k++;
    fn(p, 16 - k);
    p += 1 << k;
  }
}
