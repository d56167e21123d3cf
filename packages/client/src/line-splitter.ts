/**
 * A streaming newline splitter over bytes: feed it the chunks of a response as they arrive, get
 * back every complete line. It splits on the byte 0x0A before any decoding, and that byte never
 * occurs inside a multi-byte UTF-8 sequence, so a character cut across two chunks is decoded
 * whole. A line spanning many chunks is copied once, when its end arrives (no quadratic
 * re-concatenation); lines inside one chunk are zero-copy views of it.
 *
 * ```ts
 * const split = new LineSplitter();
 * for await (const chunk of res) for (const line of split.push(chunk)) handle(line);
 * const last = split.end(); // a final line without a newline, if any
 * ```
 */

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface Line {
  bytes: Buffer;
  /** Byte offset of the line's start in the whole stream. */
  offset: number;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private consumed = 0;

  /**
   * @param maxLineBytes a line longer than this throws (a server sending an endless line should
   *   not take the process's memory with it). Default 256 MiB: larger than any object etcd (1.5 MiB
   *   by default) or kube-apiserver (3 MiB request bodies) would hold.
   */
  constructor(private readonly maxLineBytes = 256 * 1024 * 1024) {}

  /** The complete lines this chunk finishes, without their `\n` (and without a `\r` before it). */
  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl >= 0) {
      let bytes: Buffer;
      if (this.pendingBytes > 0) {
        this.pending.push(chunk.subarray(start, nl));
        bytes = Buffer.concat(this.pending, this.pendingBytes + (nl - start));
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        bytes = chunk.subarray(start, nl);
      }
      if (bytes.length > this.maxLineBytes) throw new RangeError(`a line of ${bytes.length} bytes exceeds the limit of ${this.maxLineBytes}`);
      const offset = this.consumed;
      this.consumed += bytes.length + 1;
      if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, bytes.length - 1);
      lines.push({ bytes, offset });
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending.push(rest);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > this.maxLineBytes) throw new RangeError(`a line of more than ${this.maxLineBytes} bytes (limit) has no end yet`);
    }
    return lines;
  }

  /** The stream ended: the unterminated last line, if there is one. */
  end(): Line | undefined {
    if (this.pendingBytes === 0) return undefined;
    const bytes = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const offset = this.consumed;
    this.consumed += bytes.length;
    return { bytes, offset };
  }
}
