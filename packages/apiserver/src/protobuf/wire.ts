/**
 * A minimal protobuf wire-format reader: tags, varints, length-delimited slices. Hand-rolled
 * rather than protobufjs's Reader because Kubernetes bodies need three things it makes awkward:
 * int64 values checked against 2^53 instead of silently rounded (or returned as Long), sub-slices
 * that share the body's memory, and errors that say where the body broke.
 */

/** Wire types of the protobuf encoding (groups, 3 and 4, are never used by Kubernetes). */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** The body is not well-formed protobuf (truncated, an over-long varint, a bad wire type). */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

const TWO_32 = 2 ** 32;

export class WireReader {
  pos = 0;
  readonly end: number;

  constructor(readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A varint as its low and high 32-bit halves (both unsigned), so 64-bit values survive intact
   * and the caller decides how to interpret them (int32 truncation, int64 sign, bool).
   */
  varint64(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else if (i < 9) hi |= (b & 0x7f) << (7 * i - 32);
      else if (b > 1) throw new WireFormatError(`varint overflows 64 bits at byte ${this.pos - 1}`);
      else hi |= b << 31;
      if ((b & 0x80) === 0) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    throw new WireFormatError(`varint longer than 10 bytes ending at byte ${this.pos}`);
  }

  /** A tag: field number and wire type. */
  tag(): { field: number; wireType: number } {
    const { lo, hi } = this.varint64();
    if (hi !== 0) throw new WireFormatError(`field number out of range at byte ${this.pos}`);
    const field = lo >>> 3;
    if (field === 0) throw new WireFormatError(`field number 0 at byte ${this.pos}`);
    return { field, wireType: lo & 7 };
  }

  /** A length-delimited payload as [start, end) offsets into `buf` (no copy). */
  lengthDelimited(): { start: number; end: number } {
    const { lo, hi } = this.varint64();
    const start = this.pos;
    if (hi !== 0 || lo > this.end - start) {
      throw new WireFormatError(`length ${hi !== 0 ? 'over 2^32' : lo} at byte ${start} runs past the end (${this.end})`);
    }
    this.pos = start + lo;
    return { start, end: this.pos };
  }

  /** Skips a value of the given wire type (used only by descriptor readers; Kubernetes bodies reject unknown fields). */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint64();
        return;
      case WireType.I64:
        this.advance(8);
        return;
      case WireType.LEN:
        this.lengthDelimited();
        return;
      case WireType.I32:
        this.advance(4);
        return;
      default:
        throw new WireFormatError(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) throw new WireFormatError(`truncated fixed-width value at byte ${this.pos}`);
    this.pos += n;
  }
}

/** int32 as Go reads it: the low 32 bits, two's complement (negative values arrive as 10-byte varints). */
export function toInt32(v: { lo: number; hi: number }): number {
  return v.lo | 0;
}

/**
 * int64 as a JS number, or undefined when it is outside ±(2^53 − 1) and would be rounded.
 * JSON numbers beyond 2^53 are exactly what Go writes, but a JS number cannot hold them.
 */
export function toSafeInt64(v: { lo: number; hi: number }): number | undefined {
  const negative = v.hi >= 0x80000000;
  if (!negative) {
    const n = v.hi * TWO_32 + v.lo;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  // Two's complement magnitude: ~value + 1, computed on the halves.
  let lo = ~v.lo >>> 0;
  let hi = ~v.hi >>> 0;
  lo += 1;
  if (lo === TWO_32) {
    lo = 0;
    hi = (hi + 1) >>> 0;
  }
  const n = hi * TWO_32 + lo;
  return Number.isSafeInteger(n) ? -n : undefined;
}

/** The decimal text of a varint read as int64, for error messages about values we cannot hold. */
export function int64Text(v: { lo: number; hi: number }): string {
  return BigInt.asIntN(64, (BigInt(v.hi) << 32n) | BigInt(v.lo)).toString();
}
