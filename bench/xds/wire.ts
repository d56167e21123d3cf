/**
 * The simulated clients' side of the wire, by hand: requests built from precomputed pieces (a
 * SotW ACK of 10,000 route names repeats the same 150 KB every time), responses scanned for
 * their top-level fields only. A client that decoded every resource would measure itself, not
 * the control plane. Field numbers: envoy/service/discovery/v3/discovery.proto.
 */

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function lenField(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

const str = (field: number, s: string): Buffer => (s === '' ? Buffer.alloc(0) : lenField(field, Buffer.from(s, 'utf8')));

/** `repeated string` entries of one field, encoded once. */
export function repeatedStrings(field: number, values: readonly string[]): Buffer {
  return Buffer.concat(values.map((v) => lenField(field, Buffer.from(v, 'utf8'))));
}

export function node(id: string): Buffer {
  return Buffer.concat([str(1, id), str(2, 'bench'), lenField(4, str(2, 'bench-zone'))]);
}

/** DiscoveryRequest { version_info 1, node 2, resource_names 3 (pre-encoded), type_url 4, response_nonce 5 }. */
export function sotwRequest(opts: { node?: Buffer; typeUrl: string; names?: Buffer; version?: string; nonce?: string }): Buffer {
  return Buffer.concat([str(1, opts.version ?? ''), opts.node ? lenField(2, opts.node) : Buffer.alloc(0), opts.names ?? Buffer.alloc(0), str(4, opts.typeUrl), str(5, opts.nonce ?? '')]);
}

/** DeltaDiscoveryRequest { node 1, type_url 2, resource_names_subscribe 3 (pre-encoded), response_nonce 6 }. */
export function deltaRequest(opts: { node?: Buffer; typeUrl: string; subscribe?: Buffer; nonce?: string }): Buffer {
  return Buffer.concat([opts.node ? lenField(1, opts.node) : Buffer.alloc(0), str(2, opts.typeUrl), opts.subscribe ?? Buffer.alloc(0), str(6, opts.nonce ?? '')]);
}

/** DeltaDiscoveryResponse { system_version_info 1, resources 2 (pre-encoded entries), type_url 4, nonce 5 } (the floor server's). */
export function deltaResponse(opts: { typeUrl: string; version: string; nonce: string; entries: readonly Buffer[] }): Buffer {
  return Buffer.concat([str(1, opts.version), ...opts.entries, str(4, opts.typeUrl), str(5, opts.nonce)]);
}

interface Cursor {
  buf: Buffer;
  pos: number;
}

function readVarint(c: Cursor): number {
  let result = 0;
  let shift = 1;
  for (;;) {
    const b = c.buf[c.pos++];
    result += (b & 0x7f) * shift;
    if (b < 0x80) return result;
    shift *= 128;
  }
}

/** Calls `onField(field, start, end)` for each length-delimited top-level field; skips the rest. */
function scan(buf: Buffer, start: number, end: number, onField: (field: number, s: number, e: number) => void): void {
  const c: Cursor = { buf, pos: start };
  while (c.pos < end) {
    const tag = readVarint(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 2) {
      const len = readVarint(c);
      onField(field, c.pos, c.pos + len);
      c.pos += len;
    } else if (wire === 0) readVarint(c);
    else if (wire === 1) c.pos += 8;
    else if (wire === 5) c.pos += 4;
    else throw new Error(`unexpected wire type ${wire}`);
  }
}

export interface ScannedResponse {
  typeUrl: string;
  version: string;
  nonce: string;
  resources: number;
  removed: number;
  /** Resource names, when asked for (small responses). */
  names: string[];
}

/**
 * Top-level fields of a DiscoveryResponse (resources 2 = Any{type_url 1, value 2}, the resource's
 * name its field 1) or a DeltaDiscoveryResponse (resources 2 = Resource{name 3}, removed 6).
 */
export function scanResponse(buf: Buffer, delta: boolean, wantNames: (count: number) => boolean): ScannedResponse {
  const out: ScannedResponse = { typeUrl: '', version: '', nonce: '', resources: 0, removed: 0, names: [] };
  const resources: [number, number][] = [];
  scan(buf, 0, buf.length, (field, s, e) => {
    if (field === 1) out.version = buf.toString('utf8', s, e);
    else if (field === 2) resources.push([s, e]);
    else if (field === 4) out.typeUrl = buf.toString('utf8', s, e);
    else if (field === 5) out.nonce = buf.toString('utf8', s, e);
    else if (field === 6 && delta) out.removed++;
  });
  out.resources = resources.length;
  if (wantNames(resources.length)) {
    for (const [s, e] of resources) {
      if (delta) {
        scan(buf, s, e, (f, a, b) => {
          if (f === 3) out.names.push(buf.toString('utf8', a, b));
        });
      } else {
        scan(buf, s, e, (f, a, b) => {
          if (f === 2) {
            let done = false;
            scan(buf, a, b, (g, x, y) => {
              if (g === 1 && !done) {
                out.names.push(buf.toString('utf8', x, y));
                done = true;
              }
            });
          }
        });
      }
    }
  }
  return out;
}
