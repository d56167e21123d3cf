// validateMeshSpec on MeshSpec objects (what the Kubernetes source and library users build),
// meshSpecVersion, and the event coalescing both sources use.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isCatchAllRoute, isDnsLabel, validateMeshSpec } from '../src/mesh/validate.js';
import { canonicalJson, meshSpecVersion } from '../src/mesh/spec-version.js';
import { coalesceMeshEvents, type MeshSourceEvent } from '../src/mesh/mesh-source.js';
import { EventChannel } from '../src/mesh/event-channel.js';
import { parentPath, SourceLocations, underPrefix } from '../src/mesh/source-locations.js';
import type { MeshService, MeshSpec } from '../src/mesh/mesh-spec.js';

const svc = (name: string, versions: string[], extra: Partial<MeshService> = {}): MeshService => ({
  name,
  versions: versions.map((v, i) => ({ name: v, endpoints: [{ address: '127.0.0.1', port: 50051 + i }] })),
  routes: [],
  ...extra,
});
const paths = (spec: MeshSpec): string[] => validateMeshSpec(spec).map((e) => e.path);

describe('validateMeshSpec', () => {
  it('accepts a valid mesh, including an empty one', () => {
    assert.deepEqual(validateMeshSpec({ services: [] }), []);
    assert.deepEqual(
      validateMeshSpec({
        services: [
          svc('greeter', ['v1', 'v2'], {
            routes: [
              { match: { headers: [{ name: 'x-canary', exact: 'true' }] }, destinations: [{ version: 'v2', weight: 1 }] },
              { destinations: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 0 }] },
            ],
          }),
        ],
      }),
      [],
    );
  });

  it('finds cluster names that clash across services', () => {
    // a-b + c and a + b-c are both cluster "a-b-c".
    const errors = validateMeshSpec({ services: [svc('a-b', ['c']), svc('a', ['b-c'])] });
    assert.deepEqual(errors.map((e) => e.path), ['services[1].versions[0].name']);
    assert.match(errors[0].message, /cluster name "a-b-c" .* is also the cluster of services\[0\]\.versions\[0\]\.name/);
  });

  it('treats IPv6 spellings of one address:port as duplicates only when equal, and checks IP literals', () => {
    const spec: MeshSpec = {
      services: [
        {
          name: 'a',
          versions: [{ name: 'v1', endpoints: [{ address: 'FE80::1', port: 1 }, { address: 'fe80::1', port: 1 }, { address: 'fe80::1', port: 2 }, { address: '10.0.0.300', port: 1 }] }],
          routes: [],
        },
      ],
    };
    assert.deepEqual(paths(spec), ['services[0].versions[0].endpoints[1]', 'services[0].versions[0].endpoints[3].address']);
  });

  it('reports required fields and wrong types a JavaScript caller may pass', () => {
    const spec = { services: [{ name: 'a', versions: [{ name: 'v1', endpoints: [{ address: '127.0.0.1', port: 0 }] }], routes: [{ destinations: [{ version: 'v1', weight: -1 }] }] }, { versions: 'x' }] } as unknown as MeshSpec;
    assert.deepEqual(paths(spec), [
      'services[0].versions[0].endpoints[0].port',
      'services[0].routes[0].destinations[0].weight',
      'services[1].name',
      'services[1].versions',
    ]);
    assert.deepEqual(paths({} as MeshSpec), ['services']);
  });

  it('knows which routes catch every call', () => {
    assert.equal(isCatchAllRoute({ destinations: [] }), true);
    assert.equal(isCatchAllRoute({ match: { prefix: '/' }, destinations: [] }), true);
    assert.equal(isCatchAllRoute({ match: { prefix: '' }, destinations: [] }), true);
    assert.equal(isCatchAllRoute({ match: { headers: [] }, destinations: [] }), true);
    assert.equal(isCatchAllRoute({ match: { prefix: '/a' }, destinations: [] }), false);
    assert.equal(isCatchAllRoute({ match: { path: '/a/b' }, destinations: [] }), false);
    assert.equal(isCatchAllRoute({ match: { headers: [{ name: 'x', present: true }] }, destinations: [] }), false);
  });

  it('checks DNS labels as Kubernetes does', () => {
    for (const ok of ['a', 'greeter', 'v1', 'a-b', '0a', 'a'.repeat(63)]) assert.equal(isDnsLabel(ok), true, ok);
    for (const bad of ['', 'A', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64)]) assert.equal(isDnsLabel(bad), false, bad);
  });
});

describe('meshSpecVersion', () => {
  it('depends on content, not on key order, and changes with any routing change', () => {
    const a: MeshSpec = { services: [svc('greeter', ['v1', 'v2'], { routes: [{ destinations: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] }] })] };
    const reordered = JSON.parse(JSON.stringify(a, ['services', 'routes', 'destinations', 'weight', 'version', 'versions', 'endpoints', 'port', 'address', 'name'])) as MeshSpec;
    assert.equal(meshSpecVersion(reordered), meshSpecVersion(a));
    assert.match(meshSpecVersion(a), /^[0-9a-f]{16}$/);
    const shifted = structuredClone(a);
    shifted.services[0].routes[0].destinations[1].weight = 11;
    assert.notEqual(meshSpecVersion(shifted), meshSpecVersion(a));
    // Undefined fields are absent fields.
    assert.equal(canonicalJson({ b: 1, a: undefined, c: [1, { z: 1, y: 2 }] }), '{"b":1,"c":[1,{"y":2,"z":1}]}');
  });
});

describe('source plumbing', () => {
  it('EventChannel hands a slow reader the newest update, never dropping an invalid before it', async () => {
    const ch = new EventChannel<MeshSourceEvent>(coalesceMeshEvents);
    const update = (version: string): MeshSourceEvent => ({ type: 'update', spec: { services: [] }, version, rejected: [] });
    ch.push(update('1'));
    ch.push(update('2'));
    ch.push({ type: 'invalid', errors: [{ path: '', message: 'bad' }], serving: '2' });
    ch.push(update('3'));
    ch.push(update('4'));
    ch.close();
    const seen: string[] = [];
    for await (const ev of ch) seen.push(ev.type === 'update' ? ev.version : 'invalid');
    assert.deepEqual(seen, ['2', 'invalid', '4']);
  });

  it('SourceLocations rewrites spec paths through the longest alias and finds the nearest position', () => {
    const loc = new SourceLocations('mesh.yaml');
    loc.setPosition('services[0]', { line: 3, column: 5 });
    loc.setPosition('services[0].canary', { line: 9, column: 13 });
    loc.setPosition('services[0].canary.header', { line: 9, column: 40 });
    loc.alias('services[0].routes[1]', 'services[0].canary');
    loc.alias('services[0].routes[0].match.headers[0]', 'services[0].canary.header');
    assert.deepEqual(loc.locate({ path: 'services[0].routes[0].match.headers[0].name', message: 'm' }), {
      path: 'services[0].canary.header.name', message: 'm', source: 'mesh.yaml', line: 9, column: 40,
    });
    assert.deepEqual(loc.locate({ path: 'services[0].routes[1].destinations', message: 'm' }), {
      path: 'services[0].canary.destinations', message: 'm', source: 'mesh.yaml', line: 9, column: 13,
    });
    assert.deepEqual(loc.locate({ path: 'services[0].name', message: 'm' }), { path: 'services[0].name', message: 'm', source: 'mesh.yaml', line: 3, column: 5 });
    assert.equal(underPrefix('services[10]', 'services[1]'), false);
    assert.equal(underPrefix('services[1].name', 'services[1]'), true);
    assert.equal(parentPath('a.b[2].c'), 'a.b[2]');
    assert.equal(parentPath('a'), '');
  });
});
