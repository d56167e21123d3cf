/**
 * Decoding of the two request envelopes, by hand. Every response is answered by a request (an
 * ACK), so a thousand streams mean a thousand decodes per push. Only the `node` (first request of
 * a stream) goes through protobufjs; names, nonces and error details are read straight off the
 * wire. Unknown fields (resource locators, future additions) are skipped, as protobuf requires.
 *
 * Field numbers: envoy/service/discovery/v3/discovery.proto, google/rpc/status.proto.
 */
import type { Node } from '../cache/cache.js';
import type { DeltaDiscoveryRequest, DiscoveryRequest } from '../server/callbacks.js';
import { envoyProtos } from './envoy-protos.js';
import { internNameRun, recentNameRunAt } from './name-lists.js';

const NO_NAMES: readonly string[] = Object.freeze([]);
const NO_VERSIONS: Readonly<Record<string, string>> = Object.freeze({});

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
      if (shift > 2 ** 63) throw new Error('varint too long');
    }
  }

  /** The bounds of a length-delimited field's payload. */
  len(): [number, number] {
    const n = this.varint();
    const start = this.pos;
    if (start + n > this.end) throw new Error('truncated length-delimited field');
    this.pos += n;
    return [start, start + n];
  }

  string(): string {
    const [s, e] = this.len();
    return this.buf.toString('utf8', s, e);
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.len();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

/**
 * Reads a run of consecutive length-delimited fields `field` (the first one's tag just read) and
 * appends their strings to `into`; a long run comes back interned (name-lists.ts). Leaves the
 * reader after the run.
 */
function nameRun(r: Reader, field: number, into: readonly string[]): readonly string[] {
  const tag = (field << 3) | 2;
  const start = r.pos;
  if (into.length === 0) {
    const hit = recentNameRunAt(r.buf, start, r.end, tag);
    if (hit) {
      r.pos = hit.end;
      return hit.names;
    }
  }
  let count = 0;
  let end = start;
  for (;;) {
    r.len();
    count++;
    end = r.pos;
    if (r.pos >= r.end) break;
    // Peek at the next tag: one byte for fields below 16.
    if (r.buf[r.pos] !== tag) break;
    r.pos++;
  }
  const decode = (): string[] => {
    const names: string[] = [];
    const rr = new Reader(r.buf, start, end);
    for (let i = 0; i < count; i++) {
      if (i > 0) rr.pos++;
      names.push(rr.string());
    }
    return names;
  };
  // Field runs are contiguous in practice (encoders write a repeated field at once); a second run
  // is appended to the first, uninterned.
  if (into.length > 0) return [...into, ...decode()];
  // The run's bytes without the first tag, which was read already: [start, end).
  return internNameRun(r.buf, start, end, count, decode);
}

function status(buf: Buffer, start: number, end: number): { code: number; message: string } {
  const r = new Reader(buf, start, end);
  const out = { code: 0, message: '' };
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 0) out.code = r.varint() | 0;
    else if (field === 2 && (tag & 7) === 2) out.message = r.string();
    else r.skip(tag & 7);
  }
  return out;
}

function node(buf: Buffer, start: number, end: number): Node {
  return envoyProtos().decode('envoy.config.core.v3.Node', buf.subarray(start, end)) as Node;
}

export function decodeDiscoveryRequest(buf: Buffer): DiscoveryRequest {
  const out: DiscoveryRequest = { version_info: '', node: null, resource_names: NO_NAMES, type_url: '', response_nonce: '', error_detail: null };
  const r = new Reader(buf);
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) {
      r.skip(wire);
      continue;
    }
    switch (field) {
      case 1:
        out.version_info = r.string();
        break;
      case 2: {
        const [s, e] = r.len();
        out.node = node(buf, s, e);
        break;
      }
      case 3:
        out.resource_names = nameRun(r, 3, out.resource_names);
        break;
      case 4:
        out.type_url = r.string();
        break;
      case 5:
        out.response_nonce = r.string();
        break;
      case 6: {
        const [s, e] = r.len();
        out.error_detail = status(buf, s, e);
        break;
      }
      default:
        r.skip(wire);
    }
  }
  return out;
}

export function decodeDeltaDiscoveryRequest(buf: Buffer): DeltaDiscoveryRequest {
  // Most requests are ACKs: the empty lists and map are shared, frozen, not made per request.
  const out: DeltaDiscoveryRequest = {
    node: null,
    type_url: '',
    resource_names_subscribe: NO_NAMES,
    resource_names_unsubscribe: NO_NAMES,
    initial_resource_versions: NO_VERSIONS,
    response_nonce: '',
    error_detail: null,
  };
  const r = new Reader(buf);
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) {
      r.skip(wire);
      continue;
    }
    switch (field) {
      case 1: {
        const [s, e] = r.len();
        out.node = node(buf, s, e);
        break;
      }
      case 2:
        out.type_url = r.string();
        break;
      case 3:
        out.resource_names_subscribe = nameRun(r, 3, out.resource_names_subscribe);
        break;
      case 4:
        out.resource_names_unsubscribe = nameRun(r, 4, out.resource_names_unsubscribe);
        break;
      case 5: {
        // map<string, string> entry: { key = 1; value = 2 }
        const [s, e] = r.len();
        const entry = new Reader(buf, s, e);
        let key = '';
        let value = '';
        while (entry.pos < e) {
          const t = entry.varint();
          if (t >>> 3 === 1 && (t & 7) === 2) key = entry.string();
          else if (t >>> 3 === 2 && (t & 7) === 2) value = entry.string();
          else entry.skip(t & 7);
        }
        if (out.initial_resource_versions === NO_VERSIONS) out.initial_resource_versions = {};
        (out.initial_resource_versions as Record<string, string>)[key] = value;
        break;
      }
      case 6:
        out.response_nonce = r.string();
        break;
      case 7: {
        const [s, e] = r.len();
        out.error_detail = status(buf, s, e);
        break;
      }
      default:
        r.skip(wire);
    }
  }
  return out;
}
