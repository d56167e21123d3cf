import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  FieldSet,
  TypedValueError,
  builtinTypeTree,
  compareTyped,
  ensureNamedFieldsAreMembers,
  fieldElement as f,
  keyElement,
  mergeTyped,
  pathToString,
  removeItems,
  toFieldSet,
  typeTreeFromSchema,
  validateTyped,
  valueElement,
  type JSONSchemaProps,
  type TypeNode,
} from '@keelson/apimachinery';

const deployment = builtinTypeTree('apps', 'Deployment');
const configMap = builtinTypeTree('', 'ConfigMap');
const fields = (v: unknown, t: TypeNode): unknown => toFieldSet(v, t).toFieldsV1();
const paths = (s: FieldSet): string[] => s.paths().map(pathToString);

/** A CRD schema with one list of each type and a granular map of objects. */
const widgetSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        size: { type: 'integer' },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['port', 'protocol'],
          items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' }, name: { type: 'string' } } },
        },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        args: { type: 'array', items: { type: 'string' } },
        selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
        routes: { type: 'object', additionalProperties: { type: 'object', properties: { to: { type: 'string' }, weight: { type: 'integer' } } } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};
const widget = typeTreeFromSchema(widgetSchema);

describe('toFieldSet', () => {
  it('owns map keys and struct leaves, not the structs on the way (the research example)', () => {
    assert.deepEqual(fields({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { app: 'x' } }, data: { a: '1' } }, configMap), {
      'f:apiVersion': {},
      'f:data': { 'f:a': {} },
      'f:kind': {},
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:name': {} },
    });
  });

  it('owns list-map items by key (with key defaults) and the item itself', () => {
    const d = { spec: { template: { spec: { containers: [{ name: 'app', image: 'i', ports: [{ containerPort: 80 }], args: ['a', 'b'] }] } } } };
    assert.deepEqual(fields(d, deployment), {
      'f:spec': {
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': {
                '.': {},
                'f:args': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  it('treats atomic maps and lists as one field, sets item by item', () => {
    assert.deepEqual(fields({ spec: { selector: { matchLabels: { a: 'b' } } }, metadata: { finalizers: ['x', 'y'] } }, deployment), {
      'f:metadata': { 'f:finalizers': { 'v:"x"': {}, 'v:"y"': {} } },
      'f:spec': { 'f:selector': {} },
    });
    assert.deepEqual(fields({ spec: { selector: { a: 'b' }, tags: ['t'], args: ['x'] } }, widget), {
      'f:spec': { 'f:args': {}, 'f:selector': {}, 'f:tags': { 'v:"t"': {} } },
    });
  });

  it('granular maps of objects own each key as well as what is below it', () => {
    assert.deepEqual(fields({ spec: { routes: { a: { to: 'x' } } } }, widget), { 'f:spec': { 'f:routes': { 'f:a': { '.': {}, 'f:to': {} } } } });
  });

  it('an empty struct owns nothing; a scalar set to null is owned', () => {
    assert.deepEqual(fields({ spec: { template: { spec: { securityContext: {} } } } }, deployment), {});
    assert.deepEqual(fields({ spec: { size: null } }, widget), { 'f:spec': { 'f:size': {} } });
  });

  it('deduces unknown fields: objects are granular maps, arrays atomic', () => {
    assert.deepEqual(fields({ spec: { extra: { a: { b: 1 }, l: [1] } } }, widget), { 'f:spec': { 'f:extra': { 'f:a': { '.': {}, 'f:b': {} }, 'f:l': {} } } });
  });
});

describe('validateTyped', () => {
  it('refuses duplicate keys, items without their keys, and sets of objects', () => {
    assert.throws(() => validateTyped({ spec: { ports: [{ port: 1 }, { port: 1, protocol: 'TCP' }] } }, widget), /\.spec\.ports: duplicate entries for key \[port=1,protocol="TCP"\]/);
    assert.throws(() => validateTyped({ spec: { ports: [{ name: 'x' }] } }, widget), /omits key field "port" \(and doesn't have default value\)/);
    assert.throws(() => validateTyped({ spec: { tags: [{ a: 1 }] } }, widget), TypedValueError);
    assert.throws(() => validateTyped({ spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'X' }, { name: 'X' }] }] } } } }, deployment), /\.spec\.template\.spec\.containers\[name="a"\]\.env: duplicate entries for key \[name="X"\]/);
    validateTyped({ spec: { ports: [{ port: 1 }, { port: 1, protocol: 'UDP' }] } }, widget);
  });
});

describe('compareTyped', () => {
  it('reports added, modified and removed leaves', () => {
    const c = compareTyped({ data: { a: '1', b: '2' } }, { data: { a: '9', c: '3' } }, configMap);
    assert.deepEqual(paths(c.modified), ['.data.a']);
    assert.deepEqual(paths(c.added), ['.data.c']);
    assert.deepEqual(paths(c.removed), ['.data.b']);
  });

  it('a map that appears is added itself (the "." of Update entries)', () => {
    const c = compareTyped({ metadata: {} }, { metadata: { annotations: { x: 'y' } } }, configMap);
    assert.deepEqual(paths(c.added), ['.metadata.annotations', '.metadata.annotations.x']);
  });

  it('list-map items compare by key, whatever their order', () => {
    const live = { spec: { ports: [{ port: 1, name: 'a' }, { port: 2, name: 'b' }] } };
    const next = { spec: { ports: [{ port: 2, name: 'b' }, { port: 1, name: 'z' }] } };
    const c = compareTyped(live, next, widget);
    assert.deepEqual(paths(c.modified), ['.spec.ports[port=1,protocol="TCP"].name']);
    assert.ok(c.added.isEmpty() && c.removed.isEmpty());
  });

  it('an atomic list is modified as a whole', () => {
    const c = compareTyped({ spec: { args: ['a'] } }, { spec: { args: ['a', 'b'] } }, widget);
    assert.deepEqual(paths(c.modified), ['.spec.args']);
  });

  it('{} and absent are different, {} and {} are the same', () => {
    assert.deepEqual(paths(compareTyped({ spec: {} }, { spec: { size: 1, routes: {} } }, widget).added), ['.spec.routes', '.spec.size']);
    assert.ok(compareTyped({ spec: { routes: {} } }, { spec: { routes: {} } }, widget).added.isEmpty());
  });
});

describe('mergeTyped', () => {
  it('merges maps key by key and replaces scalars and atomic values', () => {
    const out = mergeTyped({ spec: { size: 1, args: ['a', 'b'], selector: { a: '1', b: '2' }, routes: { r: { to: 'x', weight: 1 } } } }, { spec: { size: 2, args: ['c'], selector: { c: '3' }, routes: { r: { to: 'y' } } } }, widget);
    assert.deepEqual(out, { spec: { size: 2, args: ['c'], selector: { c: '3' }, routes: { r: { to: 'y', weight: 1 } } } });
  });

  it('merges list-map items by key, defaults included', () => {
    const out = mergeTyped({ spec: { ports: [{ port: 1, protocol: 'TCP', name: 'a' }, { port: 2, protocol: 'UDP' }] } }, { spec: { ports: [{ port: 1, name: 'b' }, { port: 3 }] } }, widget);
    assert.deepEqual(out, { spec: { ports: [{ port: 1, protocol: 'TCP', name: 'b' }, { port: 2, protocol: 'UDP' }, { port: 3 }] } });
  });

  it('orders items as structured-merge-diff does: live order, new items before the next shared one', () => {
    const set = (l: string[], r: string[]): unknown => (mergeTyped({ spec: { tags: l } }, { spec: { tags: r } }, widget) as any).spec.tags;
    assert.deepEqual(set(['a', 'b', 'c', 'd'], ['a', 'aprime', 'c', 'cprime']), ['a', 'b', 'aprime', 'c', 'd', 'cprime']);
    assert.deepEqual(set(['a', 'd', 'c', 'b'], ['a', 'b', 'c', 'd']), ['a', 'b', 'c', 'd']);
    assert.deepEqual(set(['a', 'b'], ['x', 'b']), ['a', 'x', 'b']);
    assert.deepEqual(set([], ['x']), ['x']);
  });

  it('a null in the configuration removes the field', () => {
    assert.deepEqual(mergeTyped({ data: { a: '1', b: '2' } }, { data: { a: null } }, configMap), { data: { b: '2' } });
    assert.deepEqual(mergeTyped({}, { data: { a: null, b: '2' } }, configMap), { data: { b: '2' } });
  });
});

describe('removeItems', () => {
  it('removes members with what is below them and drops containers left empty', () => {
    const live = { spec: { ports: [{ port: 1, name: 'a' }, { port: 2 }], tags: ['x'], size: 3 } };
    const set = FieldSet.of(
      [f('spec'), f('ports'), keyElement([['port', 1], ['protocol', 'TCP']])],
      [f('spec'), f('tags'), valueElement('x')],
      [f('spec'), f('size')],
    );
    assert.deepEqual(removeItems(live, set, widget), { spec: { ports: [{ port: 2 }] } });
    assert.deepEqual(removeItems({ data: { a: '1' } }, FieldSet.of([f('data'), f('a')]), configMap), {});
  });
});

describe('ensureNamedFieldsAreMembers', () => {
  it('adds struct fields on the way, not map keys or list items', () => {
    const s = FieldSet.of([f('spec'), f('routes'), f('r'), f('to')], [f('spec'), f('ports'), keyElement([['port', 1], ['protocol', 'TCP']]), f('name')]);
    assert.deepEqual(paths(ensureNamedFieldsAreMembers(s, widget)), ['.spec', '.spec.ports', '.spec.routes', '.spec.ports[port=1,protocol="TCP"].name', '.spec.routes.r.to']);
  });
});

describe('type trees', () => {
  it('a CRD list without x-kubernetes-list-type is atomic', () => {
    const t = typeTreeFromSchema({ type: 'object', properties: { l: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } } });
    assert.deepEqual(fields({ l: [{ name: 'a' }] }, t), { 'f:l': {} });
  });

  it('built-ins: Service ports by port and protocol, pod containers by name, tolerations atomic', () => {
    const svc = builtinTypeTree('', 'Service');
    assert.deepEqual(fields({ spec: { ports: [{ port: 80 }], selector: { a: 'b' } } }, svc), {
      'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } }, 'f:selector': {} },
    });
    const pod = builtinTypeTree('', 'Pod');
    assert.deepEqual(fields({ spec: { tolerations: [{ key: 'k' }], containers: [{ name: 'c', env: [{ name: 'E', value: '1' }] }] } }, pod), {
      'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:env': { 'k:{"name":"E"}': { '.': {}, 'f:name': {}, 'f:value': {} } }, 'f:name': {} } }, 'f:tolerations': {} },
    });
  });
});
