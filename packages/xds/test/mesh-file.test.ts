// mesh.yaml → MeshSpec: the example file, the canary shorthand, every kind of error with its
// path and line:column, and a file with one bad service giving errors and no spec.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMeshFile, loadMeshFile, type MeshFileResult } from '../src/mesh/mesh-file.js';
import { formatMeshError, MeshConfigError, type MeshSourceError } from '../src/mesh/errors.js';
import type { MeshSpec } from '../src/mesh/mesh-spec.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => readFileSync(join(here, 'fixtures/mesh', name), 'utf8');
const example = join(here, '../examples/mesh.yaml');

function specOf(r: MeshFileResult): MeshSpec {
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatMeshError).join('\n'));
  return r.spec;
}

function errorsOf(r: MeshFileResult): MeshSourceError[] {
  assert.ok(!r.ok, 'expected the file to be rejected');
  assert.equal((r as { spec?: unknown }).spec, undefined, 'a rejected file yields no spec');
  return r.errors;
}

/** `line:column path` of each error, the shape the assertions compare. */
const where = (errors: MeshSourceError[]): string[] => errors.map((e) => `${e.line}:${e.column} ${e.path}`);

const oneService = (extra: string): string => `
services:
  - name: greeter
    versions:
      - name: v1
        endpoints: ["127.0.0.1:50051"]
      - name: v2
        endpoints: ["127.0.0.1:50061"]
${extra}`;

describe('mesh file: valid files', () => {
  it('reads examples/mesh.yaml into the MeshSpec it describes', async () => {
    const spec = await loadMeshFile(example);
    assert.deepEqual(spec, {
      services: [
        {
          name: 'greeter',
          versions: [
            { name: 'v1', endpoints: [{ address: '127.0.0.1', port: 50051 }, { address: '127.0.0.1', port: 50052, weight: 2, locality: { zone: 'zone-a' } }] },
            { name: 'v2', endpoints: [{ address: '127.0.0.1', port: 50061 }] },
          ],
          routes: [
            { name: 'canary-header', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, destinations: [{ version: 'v2', weight: 100 }] },
            { name: 'default', destinations: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] },
          ],
          outlierDetection: { intervalMs: 10000, baseEjectionTimeMs: 30000, maxEjectionPercent: 50, consecutive5xx: 5 },
        },
        {
          name: 'echo',
          versions: [
            { name: 'stable', endpoints: [{ address: '127.0.0.1', port: 50071 }, { address: '::1', port: 50071 }] },
            { name: 'next', endpoints: [{ address: '127.0.0.1', port: 50081, health: 'draining' }, { address: '127.0.0.1', port: 50082 }] },
          ],
          routes: [
            {
              name: 'slow-method-to-next',
              match: { path: '/echo.Echo/Slow' },
              destinations: [{ version: 'next', weight: 1 }],
              timeoutMs: 5000,
              retry: { retryOn: 'unavailable,resource-exhausted', numRetries: 2, perTryTimeoutMs: 2000 },
            },
            { name: 'beta-testers', match: { headers: [{ name: 'x-cohort', prefix: 'beta' }] }, destinations: [{ version: 'next', weight: 1 }] },
            { name: 'default', destinations: [{ version: 'stable', weight: 95 }, { version: 'next', weight: 5 }] },
          ],
        },
      ],
    });
  });

  it('accepts an empty mesh only when written as one', () => {
    assert.deepEqual(specOf(parseMeshFile('services: []\n')), { services: [] });
    // An empty file is what a truncating write leaves for a moment: serving it would drop every listener.
    const errors = errorsOf(parseMeshFile('', { source: 'mesh.yaml' }));
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /the file is empty.*services: \[\]/);
    assert.equal(formatMeshError(errors[0]).startsWith('mesh.yaml:1:'), true);
    assert.match(errorsOf(parseMeshFile('# only a comment\n'))[0].message, /empty/);
  });

  it('follows YAML anchors and aliases', () => {
    const spec = specOf(
      parseMeshFile(`
services:
  - name: a
    versions: &versions
      - name: v1
        endpoints: ["127.0.0.1:1"]
  - name: b
    versions: *versions
`),
    );
    assert.deepEqual(spec.services[1].versions, spec.services[0].versions);
  });

  it('defaults destination weights to 1 (an even split) and keeps IPv6 endpoints bracket-free', () => {
    const spec = specOf(parseMeshFile(oneService(`    routes:\n      - destinations: [{ version: v1 }, { version: v2 }]\n`)));
    assert.deepEqual(spec.services[0].routes, [{ destinations: [{ version: 'v1', weight: 1 }, { version: 'v2', weight: 1 }] }]);
    const v6 = specOf(parseMeshFile(`services: [{ name: a, versions: [{ name: v1, endpoints: ["[::1]:50051", "[fe80::1]:1"] }] }]`));
    assert.deepEqual(v6.services[0].versions[0].endpoints, [{ address: '::1', port: 50051 }, { address: 'fe80::1', port: 1 }]);
  });
});

describe('mesh file: canary shorthand', () => {
  const routesOf = (canary: string, versions?: string): unknown =>
    specOf(parseMeshFile(versions ? `services: [{ name: greeter, versions: ${versions}, canary: ${canary} }]` : oneService(`    canary: ${canary}\n`))).services[0].routes;

  it('header and weight: a header route first, then the weighted default route', () => {
    assert.deepEqual(routesOf('{ version: v2, weight: 25, header: { name: x-canary, exact: "true" } }'), [
      { name: 'canary-header', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, destinations: [{ version: 'v2', weight: 100 }] },
      { name: 'default', destinations: [{ version: 'v1', weight: 75 }, { version: 'v2', weight: 25 }] },
    ]);
  });

  it('header only: the rest goes to the stable version', () => {
    assert.deepEqual(routesOf('{ version: v2, header: { name: x-canary, present: true } }'), [
      { name: 'canary-header', match: { headers: [{ name: 'x-canary', present: true }] }, destinations: [{ version: 'v2', weight: 100 }] },
      { name: 'default', destinations: [{ version: 'v1', weight: 100 }, { version: 'v2', weight: 0 }] },
    ]);
  });

  it('weight 0 and 100 keep both versions in the split (make-before-break); weight alone makes no header route', () => {
    assert.deepEqual(routesOf('{ version: v2, weight: 0 }'), [{ name: 'default', destinations: [{ version: 'v1', weight: 100 }, { version: 'v2', weight: 0 }] }]);
    assert.deepEqual(routesOf('{ version: v2, weight: 100 }'), [{ name: 'default', destinations: [{ version: 'v1', weight: 0 }, { version: 'v2', weight: 100 }] }]);
  });

  it('stable defaults to the first version that is not the canary, or is named', () => {
    const three = '[{ name: v1, endpoints: [] }, { name: v2, endpoints: [] }, { name: v3, endpoints: [] }]';
    assert.deepEqual(routesOf('{ version: v1, weight: 10 }', three), [{ name: 'default', destinations: [{ version: 'v2', weight: 90 }, { version: 'v1', weight: 10 }] }]);
    assert.deepEqual(routesOf('{ version: v3, weight: 10, stable: v2 }', three), [{ name: 'default', destinations: [{ version: 'v2', weight: 90 }, { version: 'v3', weight: 10 }] }]);
  });

  it('reports canary mistakes at the canary fields', () => {
    const cases: [string, string, RegExp][] = [
      ['{ version: v3, weight: 10 }', 'services[0].canary.version', /"v3" is not a version of this service \(its versions: v1, v2\)/],
      ['{ version: v2, weight: 101 }', 'services[0].canary.weight', /101 is not a whole percentage/],
      ['{ version: v2 }', 'services[0].canary', /neither weight nor header/],
      ['{ version: v2, weight: 5, stable: v2 }', 'services[0].canary.stable', /the canary version itself/],
      ['{ version: v2, weight: 5, stable: v7 }', 'services[0].canary.stable', /"v7" is not a version/],
      ['{ weight: 5 }', 'services[0].canary.version', /is required/],
      ['{ version: v2, weight: 5, header: { name: x-canary } }', 'services[0].canary.header', /exactly one of exact, prefix or present/],
      ['{ version: v2, weight: 5, header: { name: X-Canary, exact: "1" } }', 'services[0].canary.header.name', /must be lowercase/],
      ['{ version: v2, weight: 5, header: { name: x, exact: "1", regex: ".*" } }', 'services[0].canary.header.regex', /unknown field "regex"/],
    ];
    for (const [canary, path, message] of cases) {
      const errors = errorsOf(parseMeshFile(oneService(`    canary: ${canary}\n`)));
      assert.deepEqual(errors.map((e) => e.path), [path], canary);
      assert.match(errors[0].message, message, canary);
      assert.equal(errors[0].line, 9, `${canary}: the canary is on line 9`);
    }
    const only = errorsOf(parseMeshFile(`services: [{ name: a, versions: [{ name: v1, endpoints: [] }], canary: { version: v1, weight: 10 } }]`));
    assert.match(only[0].message, /only version, so nothing is left to be stable/);
  });

  it('refuses canary together with routes', () => {
    const errors = errorsOf(parseMeshFile(oneService(`    routes: [{ destinations: [{ version: v1 }] }]\n    canary: { version: v2, weight: 10 }\n`)));
    assert.deepEqual(where(errors), ['10:13 services[0].canary']);
    assert.match(errors[0].message, /cannot be combined with routes/);
  });
});

describe('mesh file: errors with path and line:column', () => {
  it('reports every mistake of fixtures/mesh/every-error.yaml, each where it is', () => {
    const errors = errorsOf(parseMeshFile(fixture('every-error.yaml'), { source: 'every-error.yaml' }));
    const expected: [string, RegExp][] = [
      ['4:11 services[0].name', /"Greeter_1" is not a DNS label/],
      ['8:13 services[0].versions[0].endpoints[0].address', /"localhost" is not an IP address.*IP literals only/],
      ['9:13 services[0].versions[0].endpoints[1].port', /70000 is not a port number from 1 to 65535/],
      ['10:13 services[0].versions[0].endpoints[2]', /"nonsense" is not ADDRESS:PORT/],
      ['11:41 services[0].versions[0].endpoints[3].port', /not the string "50052"; remove the quotes/],
      ['12:56 services[0].versions[0].endpoints[4].weight', /0 is not a whole number of at least 1/],
      ['12:67 services[0].versions[0].endpoints[4].health', /"sick" is not a health state: use healthy, unhealthy or draining/],
      ['13:13 services[0].versions[0].endpoints[5]', /127\.0\.0\.1:50053 is already listed at services\[0\]\.versions\[0\]\.endpoints\[4\]/],
      ['14:15 services[0].versions[1].name', /version "v1" is already defined/],
      ['17:16 services[0].routes[0].match', /has both prefix and path/],
      ['17:26 services[0].routes[0].match.prefix', /"api" must start with '\/'/],
      ['18:35 services[0].routes[0].destinations[0].version', /"v9" is not a version of this service \(its versions: v1\)/],
      ['19:9 services[0].routes[1].destination', /unknown field "destination"; did you mean "destinations"\?/],
      ['19:9 services[0].routes[1].destinations', /is required: where matching calls go/],
      ['20:9 services[0].routes[2]', /can never match: services\[0\]\.routes\[1\] before it catches every call/],
      ['22:23 services[0].routes[2].match.headers[0].name', /must be lowercase.*"x-canary"/],
      ['22:40 services[0].routes[2].match.headers[0].exact', /must be a string, not boolean; quote it: "true"/],
      ['23:23 services[0].routes[2].match.headers[1].name', /binary metadata/],
      ['24:15 services[0].routes[2].match.headers[2]', /has exact and prefix; give exactly one/],
      ['25:23 services[0].routes[2].destinations', /weights add up to 0/],
      ['31:9 services[1].routes[1]', /can never match: services\[1\]\.routes\[0\]/],
      ['34:9 services[1].routes[2]', /can never match/],
      ['34:15 services[1].routes[2].name', /route name "all" is already used/],
      ['35:47 services[1].routes[2].destinations[0].weight', /1\.5 must be a whole number/],
      ['36:27 services[1].routes[2].retry.retryOn', /"sometimes" is not a retry condition/],
      ['36:64 services[1].routes[2].retry.numRetries', /0 is not a count of at least 1/],
      ['37:25 services[1].routes[2].fault.abort', /exactly one of grpcStatus \(1-16\) or httpStatus/],
      ['37:36 services[1].routes[2].fault.abort.percent', /120 is not a whole percentage/],
      ['38:11 services[2].name', /service "billing" is already defined at services\[1\]/],
      ['40:24 services[2].canary.version', /"v2" is not a version/],
      ['42:15 services[3].versions', /has no versions/],
      ['43:45 services[3].outlierDetection.maxEjectionPercent', /150 is not a percentage/],
      ['43:50 services[3].outlierDetection.color', /unknown field "color"/],
    ];
    assert.deepEqual(where(errors), expected.map(([w]) => w));
    errors.forEach((e, i) => assert.match(e.message, expected[i][1], where([e])[0]));
    assert.ok(errors.every((e) => e.source === 'every-error.yaml'));
    assert.match(formatMeshError(errors[1]), /^every-error\.yaml:8:13: services\[0\]\.versions\[0\]\.endpoints\[0\]\.address: "localhost"/);
  });

  it('never half-applies: one bad service rejects the file, and only its problem is reported', () => {
    const errors = errorsOf(parseMeshFile(fixture('one-bad-service.yaml'), { source: 'one-bad-service.yaml' }));
    assert.deepEqual(where(errors), ['15:35 services[1].routes[0].destinations[0].version']);
    // The same file with the typo fixed is accepted whole.
    const fixed = specOf(parseMeshFile(fixture('one-bad-service.yaml').replace('version: v3', 'version: v2')));
    assert.deepEqual(fixed.services.map((s) => s.name), ['greeter', 'billing', 'search']);
  });

  it('reports the routing mistakes the fixture does not show', () => {
    const cases: [string, string, RegExp][] = [
      ['    routes: [{ match: { prefix: /a }, destinations: [{ version: v1 }] }]', '9:14 services[0].routes[0]', /no route of service "greeter" catches every call/],
      ['    routes: [{ match: { path: a/b }, destinations: [{ version: v1 }] }, { destinations: [{ version: v1 }] }]', '9:31 services[0].routes[0].match.path', /must start with '\/'/],
      ['    routes: [{ match: { headers: [{ name: ":path", prefix: /a }] }, destinations: [{ version: v1 }] }, { destinations: [{ version: v1 }] }]', '9:43 services[0].routes[0].match.headers[0].name', /pseudo-header/],
      ['    routes: [{ match: { headers: [{ name: x-a }] }, destinations: [{ version: v1 }] }, { destinations: [{ version: v1 }] }]', '9:35 services[0].routes[0].match.headers[0]', /says nothing about the value/],
      ['    routes: [{ destinations: [{ version: v1 }, { version: v1 }] }]', '9:59 services[0].routes[0].destinations[1].version', /version "v1" is already a destination/],
      ['    routes: [{ destinations: [{ version: v1 }], timeoutMs: -1 }]', '9:60 services[0].routes[0].timeoutMs', /-1 is not a whole number of milliseconds/],
      ['    routes: [{ destinations: [{ version: v1 }], fault: { abort: { grpcStatus: 0, percent: 5 } } }]', '9:79 services[0].routes[0].fault.abort.grpcStatus', /0 is not a gRPC status code from 1 to 16/],
      ['    routes: [{ destinations: [{ version: v1 }], fault: {} }]', '9:56 services[0].routes[0].fault', /neither delay nor abort/],
      ['    routes: [{ destinations: [{ version: v1, weight: 4294967295 }, { version: v2, weight: 1 }] }]', '9:30 services[0].routes[0].destinations', /weights add up to 4294967296, more than xDS allows/],
      ['    routes: { destinations: [] }', '9:13 services[0].routes', /must be a list of routes/],
    ];
    for (const [extra, expected, message] of cases) {
      const errors = errorsOf(parseMeshFile(oneService(extra + '\n')));
      assert.deepEqual(where(errors), [expected], extra);
      assert.match(errors[0].message, message, extra);
    }
  });

  it('reports type and shape mistakes of the file itself', () => {
    const cases: [string, string[], RegExp][] = [
      ['servicess: []\n', ['1:1 servicess', '1:1 services'], /unknown field "servicess"; did you mean "services"\?/],
      ['apiVersion: mesh.keelson.dev/v1\nservices: []\n', ['1:13 apiVersion'], /use mesh\.keelson\.dev\/v1alpha1/],
      ['kind: Mesh2\nservices: []\n', ['1:7 kind'], /is not Mesh/],
      ['- name: a\n', ['1:1 '], /must be a mesh file: a map with `services:`/],
      ['services:\n', ['1:10 services'], /is empty; it must be a list of services \(write \[\] for none\)/],
      ['services: [greeter]\n', ['1:12 services[0]'], /must be a service/],
      ['services: [{ name: a, versions: [{ name: v1, endpoints: ["::1:80"] }] }]\n', ['1:58 services[0].versions[0].endpoints[0]'], /an IPv6 address goes in brackets/],
      ['services: [{ name: 7, versions: [{ name: v1, endpoints: [] }] }]\n', ['1:20 services[0].name'], /must be a string, not number; quote it: "7"/],
      ['services: [{ name: a, versions: [{ name: v1, endpoints: [{ address: 127.0.0.1, port: 1, locality: { zone: [a] } }] }] }]\n', ['1:107 services[0].versions[0].endpoints[0].locality.zone'], /must be a string/],
    ];
    for (const [text, expected, message] of cases) {
      const errors = errorsOf(parseMeshFile(text));
      assert.deepEqual(where(errors), expected, text);
      assert.match(errors[0].message, message, text);
    }
  });

  it('reports YAML syntax errors at their line:column and decodes nothing more', () => {
    const dup = errorsOf(parseMeshFile('services: []\nservices: []\n'));
    assert.deepEqual(where(dup), ['2:1 ']);
    assert.match(dup[0].message, /YAML: Map keys must be unique/);
    const bad = errorsOf(parseMeshFile('services:\n  - name: a\n   versions: []\n'));
    assert.ok(bad.every((e) => e.message.startsWith('YAML: ')), bad.map(formatMeshError).join('\n'));
    assert.equal(bad[0].line, 3);
    const docs = errorsOf(parseMeshFile('services: []\n---\nservices: []\n'));
    assert.match(docs[0].message, /more than one YAML document/);
    const tag = errorsOf(parseMeshFile('services: !weird []\n'));
    assert.deepEqual(where(tag), ['1:11 ']);
    assert.match(tag[0].message, /YAML: .*tag/i);
  });

  it('loadMeshFile throws MeshConfigError listing every problem, each formatted', async () => {
    const path = join(here, 'fixtures/mesh/one-bad-service.yaml');
    await assert.rejects(loadMeshFile(path, { source: 'one-bad-service.yaml' }), (err: unknown) => {
      assert.ok(err instanceof MeshConfigError);
      assert.equal(err.errors.length, 1);
      assert.match(err.message, /^one-bad-service\.yaml is invalid \(1 problem\):\n {2}one-bad-service\.yaml:15:35: services\[1\]/);
      return true;
    });
  });
});
