/**
 * mesh.yaml → MeshSpec. The YAML is read node by node (not through `toJS`), so every problem
 * carries its line:column; unknown fields are errors (a typo like `destination:` must not drop a
 * route in silence); every problem is collected before answering, and a spec comes back only
 * when there is none: one bad service rejects the whole file, never half of it.
 *
 * ```ts
 * const result = parseMeshFile(readFileSync('mesh.yaml', 'utf8'), { source: 'mesh.yaml' });
 * if (!result.ok) for (const e of result.errors) console.error(formatMeshError(e));
 * else cache.setSnapshot(meshToSnapshot(result.spec, meshSpecVersion(result.spec)));
 * ```
 *
 * The schema is documented in src/mesh/README.md ("mesh.yaml").
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, Scalar, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { MeshConfigError, type MeshSourceError } from './errors.js';
import { CANARY_HEADER_ROUTE, expandCanary, validateCanary, type CanaryRule } from './canary.js';
import type { MeshEndpoint, MeshHeaderMatch, MeshRoute, MeshService, MeshServiceVersion, MeshSpec } from './mesh-spec.js';
import { SourceLocations, underPrefix, type SourcePosition } from './source-locations.js';
import { validateMeshSpec } from './validate.js';

/** The optional `apiVersion` and `kind` of a mesh file; when given they must be these. */
export const MESH_FILE_API_VERSION = 'mesh.keelson.dev/v1alpha1';
export const MESH_FILE_KIND = 'Mesh';

export interface ParseMeshFileOptions {
  /** Names the file in messages (`mesh.yaml:12:7: ...`). */
  source?: string;
}

export type MeshFileResult = { ok: true; spec: MeshSpec } | { ok: false; errors: MeshSourceError[] };

const FIELDS = {
  file: ['apiVersion', 'kind', 'services'],
  service: ['name', 'versions', 'routes', 'canary', 'outlierDetection'],
  version: ['name', 'endpoints'],
  endpoint: ['address', 'port', 'weight', 'health', 'locality'],
  locality: ['region', 'zone', 'subZone'],
  route: ['name', 'match', 'destinations', 'timeoutMs', 'retry', 'fault'],
  match: ['prefix', 'path', 'headers'],
  header: ['name', 'exact', 'prefix', 'present', 'invert'],
  destination: ['version', 'weight'],
  retry: ['retryOn', 'numRetries', 'perTryTimeoutMs'],
  fault: ['delay', 'abort'],
  delay: ['fixedDelayMs', 'percent'],
  abort: ['grpcStatus', 'httpStatus', 'percent'],
  outlierDetection: ['intervalMs', 'baseEjectionTimeMs', 'maxEjectionPercent', 'consecutive5xx'],
  canary: ['version', 'weight', 'header', 'stable'],
} as const;

/** Anchors and aliases may nest; deeper than this is a loop or an attack, not a mesh. */
const MAX_DEPTH = 64;

/** Parses and validates a mesh file's text. `ok` with a spec only when nothing at all is wrong. */
export function parseMeshFile(text: string, opts: ParseMeshFileOptions = {}): MeshFileResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const reader = new Reader(doc, lineCounter, opts.source);
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    // The tree of a document that does not parse is a guess; decoding it would report ghosts.
    const errors = yamlProblems.map((e) => {
      const message = e.code === 'MULTIPLE_DOCS' ? 'the file holds more than one YAML document (---); a mesh file is one document' : `YAML: ${e.message.split('\n')[0]}`;
      return reader.at('', e.pos[0], message);
    });
    return { ok: false, errors };
  }
  const spec = reader.file(doc.contents as Node | null);
  const decodeErrors = reader.errors;
  // A field the decoder already rejected is not reported again by validation ("is required").
  const semantic = validateMeshSpec(spec)
    .map((e) => reader.locations.locate(e))
    .filter((e) => !decodeErrors.some((d) => underPrefix(e.path, d.path)));
  const errors = [...decodeErrors, ...semantic].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return errors.length ? { ok: false, errors } : { ok: true, spec };
}

/** Reads and parses a mesh file; throws MeshConfigError listing every problem, or the read error. */
export async function loadMeshFile(path: string, opts: ParseMeshFileOptions = {}): Promise<MeshSpec> {
  const text = await readFile(path, 'utf8');
  const result = parseMeshFile(text, { source: opts.source ?? path });
  if (!result.ok) throw new MeshConfigError(result.errors, opts.source ?? path);
  return result.spec;
}

/** Decodes YAML nodes into MeshSpec pieces; leaves a field undefined (and reports why) when it cannot. */
class Reader {
  readonly errors: MeshSourceError[] = [];
  readonly locations: SourceLocations;

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly source?: string,
  ) {
    this.locations = new SourceLocations(source);
  }

  file(root: Node | null): MeshSpec {
    const spec = {} as MeshSpec;
    if (root === null || (isScalar(root) && root.value === null)) {
      this.errors.push(this.at('', 0, 'the file is empty; a mesh file is a map with `services:` (write `services: []` to serve none)'));
      spec.services = [];
      return spec;
    }
    const m = this.map(root, '', FIELDS.file, 'a mesh file: a map with `services:`');
    if (!m) return spec;
    const apiVersion = this.str(m.get('apiVersion'), 'apiVersion');
    if (apiVersion !== undefined && apiVersion !== MESH_FILE_API_VERSION) {
      this.fail(m.get('apiVersion')!, 'apiVersion', `"${apiVersion}" is not a mesh file version this Keelson reads; use ${MESH_FILE_API_VERSION} (or leave apiVersion out)`);
    }
    const kind = this.str(m.get('kind'), 'kind');
    if (kind !== undefined && kind !== MESH_FILE_KIND) this.fail(m.get('kind')!, 'kind', `"${kind}" is not ${MESH_FILE_KIND}; a mesh file has kind ${MESH_FILE_KIND} (or none)`);
    const services = this.seq(m.get('services'), 'services', 'a list of services');
    if (services) spec.services = services.map((n, i) => this.service(n, `services[${i}]`) as MeshService);
    else if (!m.has('services')) this.fail(root, 'services', 'is missing: list the services (write `services: []` to serve none)');
    return spec;
  }

  private service(node: Node, path: string): MeshService | undefined {
    const m = this.map(node, path, FIELDS.service, 'a service: { name, versions, routes }');
    if (!m) return undefined;
    const svc = {} as MeshService;
    const name = this.str(m.get('name'), `${path}.name`);
    if (name !== undefined) svc.name = name;
    const versions = this.seq(m.get('versions'), `${path}.versions`, 'a list of versions');
    if (versions) svc.versions = versions.map((n, j) => this.version(n, `${path}.versions[${j}]`) as MeshServiceVersion);
    const routes = this.seq(m.get('routes'), `${path}.routes`, 'a list of routes');
    svc.routes = routes ? routes.map((n, k) => this.route(n, `${path}.routes[${k}]`) as MeshRoute) : [];
    const canaryNode = m.get('canary');
    if (canaryNode !== undefined && !isNull(canaryNode)) {
      if (m.has('routes')) {
        this.fail(canaryNode, `${path}.canary`, 'cannot be combined with routes: canary is a shorthand for routes; write the routes out (a header route, then a default route with weighted destinations) or drop routes');
      } else {
        const rule = this.canary(canaryNode, `${path}.canary`);
        const names = (svc.versions ?? []).map((v) => v?.name).filter((n): n is string => typeof n === 'string');
        if (rule) {
          const problems = validateCanary(rule, names, `${path}.canary`);
          for (const p of problems) this.errors.push(this.locations.locate(p));
          if (problems.length === 0) {
            svc.routes = expandCanary(rule, names);
            this.locations.alias(`${path}.routes`, `${path}.canary`);
            svc.routes.forEach((r, k) => {
              this.locations.alias(`${path}.routes[${k}]`, `${path}.canary`);
              if (r.name === CANARY_HEADER_ROUTE) this.locations.alias(`${path}.routes[${k}].match.headers[0]`, `${path}.canary.header`);
            });
          }
        }
      }
    }
    const od = m.get('outlierDetection');
    if (od !== undefined && !isNull(od)) {
      const om = this.map(od, `${path}.outlierDetection`, FIELDS.outlierDetection, 'a map: { intervalMs, baseEjectionTimeMs, maxEjectionPercent, consecutive5xx }');
      if (om) {
        svc.outlierDetection = {};
        for (const key of FIELDS.outlierDetection) {
          const v = this.int(om.get(key), `${path}.outlierDetection.${key}`);
          if (v !== undefined) svc.outlierDetection[key] = v;
        }
      }
    }
    return svc;
  }

  private version(node: Node, path: string): MeshServiceVersion | undefined {
    const m = this.map(node, path, FIELDS.version, 'a version: { name, endpoints }');
    if (!m) return undefined;
    const v = {} as MeshServiceVersion;
    const name = this.str(m.get('name'), `${path}.name`);
    if (name !== undefined) v.name = name;
    const eps = this.seq(m.get('endpoints'), `${path}.endpoints`, 'a list of endpoints (use [] for none)');
    if (eps) v.endpoints = eps.map((n, i) => this.endpoint(n, `${path}.endpoints[${i}]`) as MeshEndpoint);
    return v;
  }

  private endpoint(node: Node, path: string): MeshEndpoint | undefined {
    const n = this.resolve(node);
    if (isScalar(n) && typeof n.value === 'string') return this.endpointString(n, path);
    const m = this.map(n, path, FIELDS.endpoint, 'an endpoint: "ADDRESS:PORT" or { address, port, weight, health, locality }');
    if (!m) return undefined;
    const ep = {} as MeshEndpoint;
    const address = this.str(m.get('address'), `${path}.address`);
    if (address !== undefined) ep.address = address;
    const port = this.int(m.get('port'), `${path}.port`);
    if (port !== undefined) ep.port = port;
    const weight = this.int(m.get('weight'), `${path}.weight`);
    if (weight !== undefined) ep.weight = weight;
    const health = this.str(m.get('health'), `${path}.health`);
    if (health !== undefined) ep.health = health as MeshEndpoint['health'];
    const loc = m.get('locality');
    if (loc !== undefined && !isNull(loc)) {
      const lm = this.map(loc, `${path}.locality`, FIELDS.locality, 'a map: { region, zone, subZone }');
      if (lm) {
        ep.locality = {};
        for (const key of FIELDS.locality) {
          const s = this.str(lm.get(key), `${path}.locality.${key}`);
          if (s !== undefined) ep.locality[key] = s;
        }
      }
    }
    return ep;
  }

  /** "127.0.0.1:50051" or "[::1]:50051". */
  private endpointString(n: Node & { value: unknown }, path: string): MeshEndpoint | undefined {
    const text = String(n.value).trim();
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
    if (!m) {
      const hint = /^[0-9a-fA-F:]+$/.test(text) && text.includes('::') ? ' (an IPv6 address goes in brackets: "[::1]:50051")' : '';
      this.fail(n, path, `"${text}" is not ADDRESS:PORT, e.g. "127.0.0.1:50051" or "[::1]:50051"${hint}`);
      return undefined;
    }
    return { address: m[1], port: Number(m[2]) };
  }

  private route(node: Node, path: string): MeshRoute | undefined {
    const m = this.map(node, path, FIELDS.route, 'a route: { match, destinations }');
    if (!m) return undefined;
    const r = {} as MeshRoute;
    const name = this.str(m.get('name'), `${path}.name`);
    if (name !== undefined) r.name = name;
    const match = m.get('match');
    if (match !== undefined && !isNull(match)) {
      const mm = this.map(match, `${path}.match`, FIELDS.match, 'a map: { prefix | path, headers }');
      if (mm) {
        r.match = {};
        const prefix = this.str(mm.get('prefix'), `${path}.match.prefix`);
        if (prefix !== undefined) r.match.prefix = prefix;
        const p = this.str(mm.get('path'), `${path}.match.path`);
        if (p !== undefined) r.match.path = p;
        const headers = this.seq(mm.get('headers'), `${path}.match.headers`, 'a list of header matches');
        if (headers) r.match.headers = headers.map((h, i) => this.header(h, `${path}.match.headers[${i}]`) as MeshHeaderMatch);
      }
    }
    const dests = this.seq(m.get('destinations'), `${path}.destinations`, 'a list of destinations: [{ version, weight }]');
    if (dests) {
      r.destinations = dests.map((d, i) => {
        const dp = `${path}.destinations[${i}]`;
        const dm = this.map(d, dp, FIELDS.destination, 'a destination: { version, weight }');
        if (!dm) return undefined as unknown as MeshRoute['destinations'][number];
        const version = this.str(dm.get('version'), `${dp}.version`);
        // weight 1 by default: one destination needs none, several without weights split evenly.
        const weight = dm.has('weight') ? this.int(dm.get('weight'), `${dp}.weight`) : 1;
        return { version, weight } as MeshRoute['destinations'][number];
      });
    }
    const timeout = this.int(m.get('timeoutMs'), `${path}.timeoutMs`);
    if (timeout !== undefined) r.timeoutMs = timeout;
    const retry = m.get('retry');
    if (retry !== undefined && !isNull(retry)) {
      const rm = this.map(retry, `${path}.retry`, FIELDS.retry, 'a map: { retryOn, numRetries, perTryTimeoutMs }');
      if (rm) {
        r.retry = {} as NonNullable<MeshRoute['retry']>;
        const on = this.str(rm.get('retryOn'), `${path}.retry.retryOn`);
        if (on !== undefined) r.retry.retryOn = on;
        const num = this.int(rm.get('numRetries'), `${path}.retry.numRetries`);
        if (num !== undefined) r.retry.numRetries = num;
        const per = this.int(rm.get('perTryTimeoutMs'), `${path}.retry.perTryTimeoutMs`);
        if (per !== undefined) r.retry.perTryTimeoutMs = per;
      }
    }
    const fault = m.get('fault');
    if (fault !== undefined && !isNull(fault)) {
      const fm = this.map(fault, `${path}.fault`, FIELDS.fault, 'a map: { delay, abort }');
      if (fm) {
        r.fault = {};
        const delay = fm.get('delay');
        if (delay !== undefined && !isNull(delay)) {
          const dm = this.map(delay, `${path}.fault.delay`, FIELDS.delay, 'a map: { fixedDelayMs, percent }');
          if (dm) r.fault.delay = { fixedDelayMs: this.int(dm.get('fixedDelayMs'), `${path}.fault.delay.fixedDelayMs`), percent: this.int(dm.get('percent'), `${path}.fault.delay.percent`) } as NonNullable<NonNullable<MeshRoute['fault']>['delay']>;
        }
        const abort = fm.get('abort');
        if (abort !== undefined && !isNull(abort)) {
          const am = this.map(abort, `${path}.fault.abort`, FIELDS.abort, 'a map: { grpcStatus | httpStatus, percent }');
          if (am) {
            const a = {} as NonNullable<NonNullable<MeshRoute['fault']>['abort']>;
            for (const key of FIELDS.abort) {
              const v = this.int(am.get(key), `${path}.fault.abort.${key}`);
              if (v !== undefined) a[key] = v;
            }
            r.fault.abort = a;
          }
        }
      }
    }
    return r;
  }

  private header(node: Node, path: string): MeshHeaderMatch | undefined {
    const m = this.map(node, path, FIELDS.header, 'a header match: { name, exact | prefix | present }');
    if (!m) return undefined;
    const h = {} as MeshHeaderMatch;
    const name = this.str(m.get('name'), `${path}.name`);
    if (name !== undefined) h.name = name;
    const exact = this.str(m.get('exact'), `${path}.exact`);
    if (exact !== undefined) h.exact = exact;
    const prefix = this.str(m.get('prefix'), `${path}.prefix`);
    if (prefix !== undefined) h.prefix = prefix;
    const present = this.bool(m.get('present'), `${path}.present`);
    if (present !== undefined) h.present = present;
    // Reported by bool(); counted as given so "exactly one of exact, prefix, present" stays quiet.
    else if (m.has('present') && !isNull(m.get('present')!)) h.present = true;
    const invert = this.bool(m.get('invert'), `${path}.invert`);
    if (invert !== undefined) h.invert = invert;
    return h;
  }

  private canary(node: Node, path: string): CanaryRule | undefined {
    const m = this.map(node, path, FIELDS.canary, 'a canary: { version, weight, header, stable }');
    if (!m) return undefined;
    const failures = this.errors.length;
    const version = this.str(m.get('version'), `${path}.version`);
    if (version === undefined && !m.has('version')) this.fail(node, `${path}.version`, 'is required: the version under test');
    const rule = { version } as CanaryRule;
    const weight = this.int(m.get('weight'), `${path}.weight`);
    if (weight !== undefined) rule.weight = weight;
    const stable = this.str(m.get('stable'), `${path}.stable`);
    if (stable !== undefined) rule.stable = stable;
    const header = m.get('header');
    if (header !== undefined && !isNull(header)) {
      const h = this.header(header, `${path}.header`);
      if (h) rule.header = h;
    }
    return this.errors.length === failures ? rule : undefined;
  }

  // ---- node helpers -------------------------------------------------------------------------

  /** The entries of a map, after reporting unknown fields; undefined (reported) if `node` is no map. */
  private map(node: Node | undefined, path: string, fields: readonly string[], what: string): Map<string, Node> | undefined {
    if (node === undefined) return undefined;
    const n = this.resolve(node);
    if (!isMap(n)) {
      this.fail(n, path, `must be ${what}`);
      return undefined;
    }
    this.mark(path, n);
    const out = new Map<string, Node>();
    for (const pair of n.items) {
      const keyNode = pair.key as Node | null;
      const key = keyNode && isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== 'string') {
        this.fail(keyNode ?? n, path, `has a key that is not a plain name (${keyNode ? String(keyNode) : 'empty'}); field names are strings`);
        continue;
      }
      const fieldPath = path ? `${path}.${key}` : key;
      if (!fields.includes(key)) {
        const guess = closest(key, fields);
        this.fail(keyNode!, fieldPath, `unknown field "${key}"${guess ? `; did you mean "${guess}"?` : ''} (allowed here: ${fields.join(', ')})`);
        continue;
      }
      const value = (pair.value as Node | null) ?? keyNode!;
      this.mark(fieldPath, value === keyNode ? keyNode! : value);
      // `key:` with nothing after it is a null scalar; a value the reader treats as absent.
      out.set(key, (pair.value as Node | null) ?? nullNode());
    }
    return out;
  }

  private seq(node: Node | undefined, path: string, what: string): Node[] | undefined {
    if (node === undefined || isNull(node)) {
      if (node !== undefined) this.fail(node, path, `is empty; it must be ${what} (write [] for none)`);
      return undefined;
    }
    const n = this.resolve(node);
    if (!isSeq(n)) {
      this.fail(n, path, `must be ${what}`);
      return undefined;
    }
    return n.items.map((item, i) => {
      const it = this.resolve(item as Node);
      this.mark(`${path}[${i}]`, it);
      return it;
    });
  }

  private str(node: Node | undefined, path: string): string | undefined {
    if (node === undefined || isNull(node)) return undefined;
    const n = this.resolve(node);
    if (isScalar(n) && typeof n.value === 'string') return n.value;
    if (!isScalar(n)) {
      this.fail(n, path, 'must be a string');
      return undefined;
    }
    const src = (n as { source?: string }).source ?? String(n.value);
    this.fail(n, path, `must be a string, not ${typeof n.value}; quote it: "${src}"`);
    // Reported; the text stands in for the value so validation does not also call it missing.
    return src;
  }

  private int(node: Node | undefined, path: string): number | undefined {
    if (node === undefined || isNull(node)) return undefined;
    const n = this.resolve(node);
    if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value)) return n.value;
    if (isScalar(n) && typeof n.value === 'string' && /^\d+$/.test(n.value.trim())) {
      this.fail(n, path, `must be a number, not the string "${n.value}"; remove the quotes`);
    } else if (isScalar(n) && typeof n.value === 'number') {
      this.fail(n, path, `${String(n.value)} must be a whole number`);
    } else this.fail(n, path, 'must be a whole number');
    return undefined;
  }

  private bool(node: Node | undefined, path: string): boolean | undefined {
    if (node === undefined || isNull(node)) return undefined;
    const n = this.resolve(node);
    if (isScalar(n) && typeof n.value === 'boolean') return n.value;
    this.fail(n, path, 'must be true or false');
    return undefined;
  }

  private resolve(node: Node, depth = 0): Node {
    if (!isAlias(node)) return node;
    if (depth > MAX_DEPTH) return nullNode();
    const target = node.resolve(this.doc);
    return target ? this.resolve(target as Node, depth + 1) : nullNode();
  }

  private mark(path: string, node: Node): void {
    const pos = this.position(node);
    if (pos) this.locations.setPosition(path, pos);
  }

  private position(node: Node): SourcePosition | undefined {
    const offset = node.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = this.lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: col };
  }

  private fail(node: Node, path: string, message: string): void {
    this.errors.push(this.at(path, node.range?.[0] ?? 0, message));
  }

  at(path: string, offset: number, message: string): MeshSourceError {
    const { line, col } = this.lineCounter.linePos(offset);
    const e: MeshSourceError = { path, message, line: Math.max(line, 1), column: col };
    if (this.source !== undefined) e.source = this.source;
    return e;
  }
}

function isNull(node: Node): boolean {
  return isScalar(node) && node.value === null;
}

function nullNode(): Node {
  return new Scalar(null);
}

/** The allowed field nearest to a typo (edit distance ≤ 2, or one is the other's prefix), if any. */
function closest(key: string, fields: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of fields) {
    const d = f.toLowerCase() === key.toLowerCase() ? 0 : f.startsWith(key) || key.startsWith(f) ? 1 : editDistance(key, f);
    if (d < bestDistance) {
      best = f;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

