/**
 * `src/protobuf/schema.ts` is derived from a kubectl 1.32 binary, which carries both halves of
 * what the decoder needs:
 * - the gzipped FileDescriptorProtos that gogo-protobuf registers for every k8s.io
 *   `generated.proto` (field numbers, names, proto types, repeated/map), and
 * - Go's runtime type data for every struct reflect can reach, with the struct tags
 *   (`json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`), field order and pointer-ness,
 *   which decide the JSON shape.
 * This test regenerates the table from the binary and requires the committed file to match, so
 * "all fields of every message, as Kubernetes 1.32 has them" is checked, not hoped. To
 * regenerate after changing ROOTS:
 *   KEELSON_WRITE_PROTOBUF_SCHEMA=1 node --conditions=keelson-source --import tsx --test packages/apiserver/test/protobuf-schema.test.ts
 * The Go type-data reader follows internal/abi of Go 1.21–1.24 (amd64/arm64 ELF).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { WireReader } from '../src/protobuf/wire.js';

const KUBECTL = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const SCHEMA_FILE = fileURLToPath(new URL('../src/protobuf/schema.ts', import.meta.url));

/** The kinds the decoder serves: "apiVersion/Kind" → message. */
const ROOTS: ReadonlyArray<readonly [string, string]> = [
  ['v1/Namespace', 'k8s.io.api.core.v1.Namespace'],
  ['v1/ConfigMap', 'k8s.io.api.core.v1.ConfigMap'],
  ['v1/Secret', 'k8s.io.api.core.v1.Secret'],
  ['v1/Service', 'k8s.io.api.core.v1.Service'],
  ['v1/Endpoints', 'k8s.io.api.core.v1.Endpoints'],
  ['v1/Pod', 'k8s.io.api.core.v1.Pod'],
  ['v1/ServiceAccount', 'k8s.io.api.core.v1.ServiceAccount'],
  ['v1/Node', 'k8s.io.api.core.v1.Node'],
  ['v1/Event', 'k8s.io.api.core.v1.Event'],
  ['apps/v1/Deployment', 'k8s.io.api.apps.v1.Deployment'],
  ['apps/v1/StatefulSet', 'k8s.io.api.apps.v1.StatefulSet'],
  ['apps/v1/ReplicaSet', 'k8s.io.api.apps.v1.ReplicaSet'],
  ['apps/v1/DaemonSet', 'k8s.io.api.apps.v1.DaemonSet'],
  ['coordination.k8s.io/v1/Lease', 'k8s.io.api.coordination.v1.Lease'],
  ['discovery.k8s.io/v1/EndpointSlice', 'k8s.io.api.discovery.v1.EndpointSlice'],
  // `kubectl create token` POSTs one to serviceaccounts/<name>/token; `kubectl drain` POSTs
  // Evictions to pods/<name>/eviction. Both through typed clients, so as protobuf.
  ['authentication.k8s.io/v1/TokenRequest', 'k8s.io.api.authentication.v1.TokenRequest'],
  ['policy/v1/Eviction', 'k8s.io.api.policy.v1.Eviction'],
  // client-go encodes DeleteOptions in the group version of the client that sends it, so it
  // arrives as apps/v1 DeleteOptions as often as meta.k8s.io/v1.
  ...['meta.k8s.io/v1', 'v1', 'apps/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'apiextensions.k8s.io/v1'].map(
    (gv) => [`${gv}/DeleteOptions`, 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'] as const,
  ),
];
/** Meta messages no kind above reaches yet, kept so the kinds that use them need no new code. */
const EXTRA_MESSAGES = [
  'k8s.io.apimachinery.pkg.apis.meta.v1.Condition',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
];
/** Messages whose Go types write their own JSON (MarshalJSON); the decoder formats them. */
const CUSTOM_JSON = new Set([
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
]);

// ---------------------------------------------------------------------------------------------
// ELF sections and Go runtime type data.

interface Section { name: string; type: number; addr: number; off: number; size: number }

class GoBinary {
  readonly dv: DataView;
  readonly sections: Section[] = [];
  /** moduledata.types: NameOff/TypeOff values are relative to it. */
  readonly typesBase: number;
  readonly typelinks: number[];

  constructor(readonly bin: Buffer) {
    this.dv = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
    assert.equal(bin.readUInt32BE(0), 0x7f454c46, 'kubectl is an ELF binary');
    const shoff = this.u64(0x28);
    const shentsize = this.dv.getUint16(0x3a, true);
    const shnum = this.dv.getUint16(0x3c, true);
    const shstrndx = this.dv.getUint16(0x3e, true);
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const b = shoff + i * shentsize;
      nameOffs.push(this.dv.getUint32(b, true));
      this.sections.push({ name: '', type: this.dv.getUint32(b + 4, true), addr: this.u64(b + 16), off: this.u64(b + 24), size: this.u64(b + 32) });
    }
    const strtab = this.sections[shstrndx];
    this.sections.forEach((s, i) => {
      const start = strtab.off + nameOffs[i];
      s.name = bin.toString('latin1', start, bin.indexOf(0, start));
    });
    // runtime.firstmoduledata starts with a pointer to the pclntab header.
    const pclntab = this.section('.gopclntab').addr;
    let md = -1;
    for (const name of ['.noptrdata', '.data']) {
      const s = this.section(name);
      for (let o = s.off; o < s.off + s.size && md < 0; o += 8) if (this.u64(o) === pclntab) md = o;
    }
    assert.ok(md >= 0, 'runtime.firstmoduledata found');
    // Offsets of moduledata (runtime/symtab.go, Go 1.21–1.24): text at 176, types at 296,
    // typelinks (a []int32) at 352.
    assert.equal(this.u64(md + 176), this.section('.text').addr, 'moduledata layout is the one this reader knows');
    this.typesBase = this.u64(md + 296);
    const tl = this.fileOff(this.u64(md + 352));
    this.typelinks = Array.from({ length: this.u64(md + 360) }, (_, i) => this.typesBase + this.dv.getInt32(tl + 4 * i, true));
  }

  u64(o: number): number {
    return Number(this.dv.getBigUint64(o, true));
  }

  section(name: string): Section {
    const s = this.sections.find((x) => x.name === name);
    assert.ok(s, `section ${name}`);
    return s;
  }

  fileOff(addr: number): number {
    for (const s of this.sections) if (s.type !== 8 /* NOBITS */ && s.addr && addr >= s.addr && addr < s.addr + s.size) return s.off + addr - s.addr;
    throw new Error(`address 0x${addr.toString(16)} is in no section`);
  }

  /** internal/abi.Name: flags, varint length, bytes, then (flag 2) varint tag length and tag. */
  name(addr: number): { name: string; tag: string; embedded: boolean } {
    const o = this.fileOff(addr);
    const flags = this.bin[o];
    let [len, p] = this.uvarint(o + 1);
    const name = this.bin.toString('utf8', p, p + len);
    p += len;
    let tag = '';
    if (flags & 2) {
      [len, p] = this.uvarint(p);
      tag = this.bin.toString('utf8', p, p + len);
    }
    return { name, tag, embedded: (flags & 8) !== 0 };
  }

  private uvarint(o: number): [number, number] {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.bin[o++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return [v, o];
  }
}

const KINDS = ['invalid', 'bool', 'int', 'int8', 'int16', 'int32', 'int64', 'uint', 'uint8', 'uint16', 'uint32', 'uint64', 'uintptr', 'float32', 'float64', 'complex64', 'complex128', 'array', 'chan', 'func', 'interface', 'map', 'ptr', 'slice', 'string', 'struct', 'unsafeptr'];
/** Size of abi.Type plus the kind's own part: where abi.UncommonType starts. */
const UNCOMMON_AT: Record<string, number> = { struct: 80, ptr: 56, slice: 56, array: 72, chan: 64, map: 88, func: 56, interface: 80 };

interface GoField { name: string; tag: string; embedded: boolean; type: GoType }
interface GoType {
  kind: string;
  str: string;
  pkgPath: string;
  methods: string[];
  ptrToThis: GoType | undefined;
  elem: GoType | undefined;
  key: GoType | undefined;
  fields: GoField[];
}

/** Every named struct reflect can reach, by "<pkgPath>.<Name>". */
function goStructs(g: GoBinary): Map<string, GoType> {
  const cache = new Map<number, GoType>();
  const typeAt = (addr: number): GoType => {
    const hit = cache.get(addr);
    if (hit) return hit;
    const o = g.fileOff(addr);
    const tflag = g.bin[o + 20];
    const kind = KINDS[g.bin[o + 23] & 0x1f];
    let str = g.name(g.typesBase + g.dv.getInt32(o + 40, true)).name;
    if (tflag & 2 /* TFlagExtraStar */) str = str.slice(1);
    const t: GoType = { kind, str, pkgPath: '', methods: [], ptrToThis: undefined, elem: undefined, key: undefined, fields: [] };
    cache.set(addr, t);
    if (tflag & 1 /* TFlagUncommon */) {
      const u = o + (UNCOMMON_AT[kind] ?? 48);
      const pkg = g.dv.getInt32(u, true);
      if (pkg) t.pkgPath = g.name(g.typesBase + pkg).name;
      const mcount = g.dv.getUint16(u + 4, true);
      const moff = g.dv.getUint32(u + 8, true);
      for (let i = 0; i < mcount; i++) t.methods.push(g.name(g.typesBase + g.dv.getInt32(u + moff + 16 * i, true)).name);
    }
    if (kind === 'ptr' || kind === 'slice' || kind === 'array' || kind === 'chan') t.elem = typeAt(g.u64(o + 48));
    if (kind === 'map') {
      t.key = typeAt(g.u64(o + 48));
      t.elem = typeAt(g.u64(o + 56));
    }
    if (kind === 'struct') {
      const fp = g.u64(o + 56);
      const n = g.u64(o + 64);
      for (let i = 0; i < n; i++) {
        const f = g.fileOff(fp) + 24 * i;
        t.fields.push({ ...g.name(g.u64(f)), type: typeAt(g.u64(f + 8)) });
      }
    }
    const ptr = g.dv.getInt32(o + 44, true);
    if (ptr) t.ptrToThis = typeAt(g.typesBase + ptr);
    return t;
  };
  const out = new Map<string, GoType>();
  for (const addr of g.typelinks) typeAt(addr);
  for (const t of cache.values()) if (t.kind === 'struct' && t.pkgPath) out.set(`${t.pkgPath}.${t.str.slice(t.str.lastIndexOf('.') + 1)}`, t);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The FileDescriptorProtos gogo-protobuf registers (gzipped, in the binary's read-only data).

interface ProtoField { name: string; number: number; repeated: boolean; type: number; typeName: string }
interface ProtoMessage { full: string; fields: ProtoField[]; mapEntry: boolean; goPackage: string; goName: string }

function protoMessages(bin: Buffer): Map<string, ProtoMessage> {
  const text = (r: WireReader): string => {
    const { start, end } = r.lengthDelimited();
    return Buffer.from(r.buf.buffer, r.buf.byteOffset + start, end - start).toString('utf8');
  };
  const sub = (r: WireReader): WireReader => {
    const { start, end } = r.lengthDelimited();
    return new WireReader(r.buf, start, end);
  };
  const out = new Map<string, ProtoMessage>();
  const readMessage = (r: WireReader, scope: string, goPackage: string, goScope: string): void => {
    const m: ProtoMessage = { full: '', fields: [], mapEntry: false, goPackage, goName: '' };
    const nested: WireReader[] = [];
    let name = '';
    while (!r.done) {
      const { field, wireType } = r.tag();
      if (field === 1) name = text(r);
      else if (field === 2) {
        const f = sub(r);
        const pf: ProtoField = { name: '', number: 0, repeated: false, type: 0, typeName: '' };
        while (!f.done) {
          const t = f.tag();
          if (t.field === 1) pf.name = text(f);
          else if (t.field === 3) pf.number = f.varint64().lo;
          else if (t.field === 4) pf.repeated = f.varint64().lo === 3;
          else if (t.field === 5) pf.type = f.varint64().lo;
          else if (t.field === 6) pf.typeName = text(f).replace(/^\./, '');
          else f.skip(t.wireType);
        }
        m.fields.push(pf);
      } else if (field === 3) nested.push(sub(r));
      else if (field === 7) {
        const o = sub(r);
        while (!o.done) {
          const t = o.tag();
          if (t.field === 7) m.mapEntry = o.varint64().lo !== 0;
          else o.skip(t.wireType);
        }
      } else r.skip(wireType);
    }
    m.full = `${scope}.${name}`;
    m.goName = goScope ? `${goScope}_${name}` : name;
    out.set(m.full, m);
    for (const n of nested) readMessage(n, m.full, goPackage, m.goName);
  };
  const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0xff]);
  for (let i = bin.indexOf(gzip); i >= 0; i = bin.indexOf(gzip, i + 1)) {
    let fd: Buffer;
    try {
      fd = gunzipSync(bin.subarray(i, i + (4 << 20)), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      continue;
    }
    const r = new WireReader(fd);
    let file = '';
    let pkg = '';
    let goPackage = '';
    const messages: WireReader[] = [];
    try {
      while (!r.done) {
        const { field, wireType } = r.tag();
        if (field === 1) file = text(r);
        else if (field === 2) pkg = text(r);
        else if (field === 4) messages.push(sub(r));
        else if (field === 8) {
          const o = sub(r);
          while (!o.done) {
            const t = o.tag();
            if (t.field === 11) goPackage = text(o);
            else o.skip(t.wireType);
          }
        } else r.skip(wireType);
      }
    } catch {
      continue; // gzip data that is not a descriptor
    }
    if (!file.startsWith('k8s.io/') || !file.endsWith('/generated.proto')) continue;
    for (const m of messages) readMessage(m, pkg, goPackage, '');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The table.

const SCALARS: Record<number, string> = { 3: 'int64', 5: 'int32', 8: 'bool', 9: 'string', 12: 'bytes' };

function generateSchema(bin: Buffer, version: string): string {
  const go = goStructs(new GoBinary(bin));
  const proto = protoMessages(bin);
  const problems: string[] = [];
  const typeOf = (f: ProtoField): string => {
    if (f.type === 11) {
      const m = proto.get(f.typeName);
      if (!m) {
        problems.push(`no descriptor for ${f.typeName}`);
        return f.typeName;
      }
      if (!m.mapEntry) return m.full;
      const [k, v] = [1, 2].map((n) => m.fields.find((x) => x.number === n)!);
      return `map<${typeOf(k)},${typeOf(v)}>`;
    }
    const s = SCALARS[f.type];
    if (!s) problems.push(`field ${f.name}: proto type ${f.type} is not one Kubernetes uses`);
    return s;
  };
  const queue = [...ROOTS.map((r) => r[1]), ...EXTRA_MESSAGES];
  const done = new Set<string>();
  const blocks: string[] = [];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (done.has(name)) continue;
    done.add(name);
    const m = proto.get(name);
    if (!m) {
      problems.push(`no descriptor for ${name}`);
      continue;
    }
    for (const f of m.fields) {
      if (f.type !== 11) continue;
      const t = proto.get(f.typeName);
      if (t?.mapEntry) for (const x of t.fields) if (x.type === 11) queue.push(x.typeName);
      if (t && !t.mapEntry) queue.push(t.full);
    }
    const rows: string[] = [];
    const struct = go.get(`${m.goPackage}.${m.goName}`);
    if (CUSTOM_JSON.has(name)) {
      if (struct && !struct.methods.includes('MarshalJSON') && !struct.ptrToThis?.methods.includes('MarshalJSON')) problems.push(`${name} is listed as custom JSON but has no MarshalJSON`);
      for (const f of m.fields) rows.push(`[${f.number}, '${f.name}', '${typeOf(f)}'${f.repeated ? ", 'r'" : ''}]`);
      blocks.push(`  // Go writes this one with its own MarshalJSON; rows use the proto names.\n  '${name}': [\n${rows.map((r) => `    ${r},\n`).join('')}  ],`);
      continue;
    }
    if (!struct) {
      problems.push(`no Go struct ${m.goPackage}.${m.goName} for ${name}`);
      continue;
    }
    if (struct.methods.includes('MarshalJSON') || struct.ptrToThis?.methods.includes('MarshalJSON')) problems.push(`${name} has a MarshalJSON the decoder does not know`);
    const byNumber = new Map(m.fields.map((f) => [f.number, f]));
    const seen = new Set<number>();
    for (const gf of struct.fields) {
      const json = /(?:^| )json:"([^"]*)"/.exec(gf.tag)?.[1];
      const pb = /(?:^| )protobuf:"([^"]*)"/.exec(gf.tag)?.[1];
      const [jsonName, ...opts] = (json ?? gf.name).split(',');
      if (!pb || pb === '-') {
        // TypeMeta is carried by the envelope, not the message.
        if (jsonName === '-' || (gf.embedded && gf.type.str === 'v1.TypeMeta')) continue;
        problems.push(`${name}: Go field ${gf.name} has no protobuf tag`);
        continue;
      }
      const number = Number(pb.split(',')[1]);
      const pf = byNumber.get(number);
      if (!pf) {
        problems.push(`${name}: Go field ${gf.name} (#${number}) is not in the descriptor`);
        continue;
      }
      seen.add(number);
      const type = typeOf(pf);
      const inline = gf.embedded && jsonName === '';
      const gk = gf.type.kind;
      let flags = '';
      let struct_ = false;
      if (type.startsWith('map<')) {
        if (gk !== 'map') problems.push(`${name}.${pf.name}: a proto map but Go ${gk}`);
      } else if (pf.repeated) {
        if (gk !== 'slice' || gf.type.elem?.kind === 'ptr') problems.push(`${name}.${pf.name}: repeated but Go ${gf.type.str}`);
        flags += 'r';
      } else if (gk === 'ptr') flags += 'p';
      else if (type === 'bytes') {
        if (gf.type.str !== '[]uint8') problems.push(`${name}.${pf.name}: bytes but Go ${gf.type.str}`);
      } else if (gk === 'slice' || gk === 'map') problems.push(`${name}.${pf.name}: singular but Go ${gk}`);
      else struct_ = gk === 'struct';
      if (jsonName === '-') problems.push(`${name}.${pf.name}: on the wire but not in JSON`);
      if (inline) flags += 'i';
      else if (!opts.includes('omitempty') && !struct_) flags += 'k';
      rows.push(`[${number}, '${inline ? '' : jsonName}', '${type}'${flags ? `, '${flags}'` : ''}]`);
    }
    for (const f of m.fields) if (!seen.has(f.number)) problems.push(`${name}: proto field ${f.name} (#${f.number}) has no Go field`);
    blocks.push(`  '${name}': [\n${rows.map((r) => `    ${r},\n`).join('')}  ],`);
  }
  assert.deepEqual(problems, [], 'the binary agrees with what the generator assumes');
  const kinds = ROOTS.map(([k, m]) => `  '${k}': '${m}',\n`).join('');
  return `// Code generated by packages/apiserver/test/protobuf-schema.test.ts from kubectl ${version}
// (its embedded proto descriptors and Go struct tags). DO NOT EDIT: regenerate with
//   KEELSON_WRITE_PROTOBUF_SCHEMA=1 node --conditions=keelson-source --import tsx --test packages/apiserver/test/protobuf-schema.test.ts
// Kubernetes' field numbers and JSON names are a wire format; see schema-types.ts for the rows.
import type { FieldRow } from './schema-types.js';

/** "apiVersion/Kind" → the protobuf message its body holds. */
export const KIND_MESSAGES: Readonly<Record<string, string>> = {
${kinds}};

/** Every message those kinds reach, each field in Go struct order. */
export const MESSAGES: Readonly<Record<string, readonly FieldRow[]>> = {
${blocks.join('\n')}
};
`;
}

/** The kubectl to read, or why the test cannot: it needs a 1.32 Linux (ELF, 64-bit little-endian) build. */
function kubectl132(): { version: string } | { skip: string } {
  if (!existsSync(KUBECTL)) return { skip: `needs kubectl 1.32 at ${KUBECTL} ($KUBECTL)` };
  const head = readFileSync(KUBECTL).subarray(0, 6);
  if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return { skip: `${KUBECTL} is not a 64-bit little-endian ELF binary` };
  try {
    const v = JSON.parse(execFileSync(KUBECTL, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })).clientVersion;
    if (v.major === '1' && v.minor === '32') return { version: `v${v.major}.${v.minor}` };
    return { skip: `${KUBECTL} is kubectl ${v.gitVersion}, not 1.32` };
  } catch (err) {
    return { skip: `${KUBECTL} did not report its version: ${String(err)}` };
  }
}

const source = kubectl132();

test('schema.ts is what kubectl 1.32 says every message holds', () => {
  // The test runner provides kubectl 1.32 (scripts/ensure-kubectl.mjs); without it this fails rather than skips.
  if ('skip' in source) assert.fail(source.skip);
  const generated = generateSchema(readFileSync(KUBECTL), (source as { version: string }).version);
  if (process.env.KEELSON_WRITE_PROTOBUF_SCHEMA === '1') writeFileSync(SCHEMA_FILE, generated);
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), generated);
});
