import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApplyConflictsError,
  ManagedFieldsError,
  applyConfig,
  builtinTypeTree,
  capUpdateManagers,
  conflictMessage,
  decodeManagedFields,
  encodeManagedFields,
  fieldElement as f,
  keyElement,
  managerKey,
  newApplyConflictError,
  pathToString,
  typeTreeFromSchema,
  updateManagers,
  FieldSet,
  type ManagerIdentity,
  type Managers,
  type TypeNode,
} from '@keelson/apimachinery';

const setsType = typeTreeFromSchema({ type: 'object', properties: { list: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } } } });
const configMap = builtinTypeTree('', 'ConfigMap');
const deployment = builtinTypeTree('apps', 'Deployment');

const applier = (manager: string): ManagerIdentity => ({ manager, operation: 'Apply', apiVersion: 'v1', subresource: '' });
const updater = (manager: string, subresource = ''): ManagerIdentity => ({ manager, operation: 'Update', apiVersion: 'v1', subresource });

/** A tiny object store that runs operations the way the API server does. */
class State {
  object: unknown = undefined;
  managers: Managers = new Map();
  private clock = 0;
  constructor(readonly type: TypeNode) {}
  private now(): string {
    return new Date(Date.UTC(2024, 0, 1, 0, 0, this.clock++)).toISOString().replace('.000Z', 'Z');
  }
  apply(manager: string, config: unknown, force = false): boolean {
    const r = applyConfig({ live: this.object, config, type: this.type, managers: this.managers, manager: applier(manager), force, now: this.now() });
    this.object = r.object;
    this.managers = r.managers;
    return r.changed;
  }
  update(manager: string, next: unknown, subresource = ''): void {
    this.managers = updateManagers({ live: this.object, next, type: this.type, managers: this.managers, manager: updater(manager, subresource), now: this.now() });
    this.object = next;
  }
  owned(id: ManagerIdentity): string[] {
    return this.managers.get(managerKey(id))?.set.paths().map(pathToString) ?? [];
  }
}

describe('apply: sets (structured-merge-diff merge/set_test.go scenarios)', () => {
  it('apply twice: the second configuration wins and owns every item', () => {
    const s = new State(setsType);
    s.apply('default', { list: ['a', 'c'] });
    s.apply('default', { list: ['a', 'b', 'c', 'd'] });
    assert.deepEqual(s.object, { list: ['a', 'b', 'c', 'd'] });
    assert.deepEqual(s.owned(applier('default')), ['.list[="a"]', '.list[="b"]', '.list[="c"]', '.list[="d"]']);
  });

  it('apply, update, apply without overlap: the updater keeps its items', () => {
    const s = new State(setsType);
    s.apply('default', { list: ['a', 'c'] });
    s.update('controller', { list: ['a', 'b', 'c', 'd'] });
    s.apply('default', { list: ['a', 'aprime', 'c', 'cprime'] });
    assert.deepEqual([...(s.object as any).list].sort(), ['a', 'aprime', 'b', 'c', 'cprime', 'd']);
    assert.deepEqual(s.owned(applier('default')), ['.list[="a"]', '.list[="aprime"]', '.list[="c"]', '.list[="cprime"]']);
    assert.deepEqual(s.owned(updater('controller')), ['.list[="b"]', '.list[="d"]']);
  });

  it('apply, update, apply with overlap: both own the shared item', () => {
    const s = new State(setsType);
    s.apply('default', { list: ['a', 'c'] });
    s.update('controller', { list: ['a', 'b', 'c', 'd'] });
    s.apply('default', { list: ['a', 'b', 'c'] });
    assert.deepEqual(s.owned(applier('default')), ['.list[="a"]', '.list[="b"]', '.list[="c"]']);
    assert.deepEqual(s.owned(updater('controller')), ['.list[="b"]', '.list[="d"]']);
  });

  it('apply twice removing items: what the applier no longer sends goes', () => {
    const s = new State(setsType);
    s.apply('default', { list: ['a', 'b', 'c', 'd'] });
    s.apply('default', { list: ['a', 'c'] });
    assert.deepEqual(s.object, { list: ['a', 'c'] });
  });

  it('an update that only reorders a set owns nothing', () => {
    const s = new State(setsType);
    s.apply('default', { list: ['a', 'b', 'c', 'd'] });
    s.update('controller', { list: ['a', 'd', 'c', 'b'] });
    assert.deepEqual(s.owned(updater('controller')), []);
    s.apply('default', { list: ['a', 'b', 'c', 'd'] });
    assert.deepEqual(s.object, { list: ['a', 'b', 'c', 'd'] });
  });
});

describe('apply: ownership and removal', () => {
  const cm = (data: Record<string, string>): unknown => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });

  it('applying the same configuration again changes nothing', () => {
    const s = new State(configMap);
    assert.equal(s.apply('a', cm({ k: '1' })), true);
    const before = encodeManagedFields(s.managers);
    assert.equal(s.apply('a', cm({ k: '1' })), false);
    assert.deepEqual(encodeManagedFields(s.managers), before);
  });

  it('a field the applier drops is removed, unless another manager owns it', () => {
    const s = new State(configMap);
    s.apply('a', cm({ x: '1', y: '2', z: '3' }));
    s.apply('b', cm({ y: '2' }));
    s.update('editor', { ...(s.object as any), data: { ...(s.object as any).data, z: '33', w: '4' } });
    s.apply('a', cm({}));
    // x only a's: removed; y shared with applier b: kept; z taken over by the editor: kept; w never a's.
    assert.deepEqual((s.object as any).data, { y: '2', z: '33', w: '4' });
  });

  it('a co-owner that stops managing a field hands it to the other owner', () => {
    const s = new State(configMap);
    s.apply('a', cm({ k: '1' }));
    s.apply('b', cm({ k: '1' }));
    s.apply('a', cm({}));
    assert.deepEqual((s.object as any).data, { k: '1' });
    assert.ok(s.owned(applier('b')).includes('.data.k'));
    assert.ok(!s.owned(applier('a')).includes('.data.k'));
  });

  it('dropping a list-map item removes the whole item', () => {
    const s = new State(deployment);
    const d = (names: string[]): unknown => ({ spec: { template: { spec: { containers: names.map((name) => ({ name, image: `${name}:1` })) } } } });
    s.apply('a', d(['x', 'y']));
    s.apply('a', d(['x']));
    assert.deepEqual(s.object, d(['x']));
  });

  it('a changed field is taken from its updater; an update of nothing records nothing', () => {
    const s = new State(configMap);
    s.update('creator', cm({ k: '1', j: '2' }));
    s.update('editor', cm({ k: '9', j: '2' }));
    // The maps an update creates are owned too (the API server strips `.metadata` and its server-set fields).
    assert.deepEqual(s.owned(updater('creator')), ['.apiVersion', '.data', '.kind', '.metadata', '.data.j', '.metadata.name']);
    assert.deepEqual(s.owned(updater('editor')), ['.data.k']);
    s.update('idle', cm({ k: '9', j: '2' }));
    assert.equal(s.managers.has(managerKey(updater('idle'))), false);
  });

  it('fields a write cannot change are neither owned nor conflicted on', () => {
    const ignored = FieldSet.of([f('status')]);
    const r = applyConfig({
      live: { spec: { replicas: 1 }, status: { replicas: 3 } },
      config: { spec: { replicas: 1 }, status: { replicas: 5 } },
      type: deployment,
      managers: new Map([[managerKey(updater('ctl', 'status')), { ...updater('ctl', 'status'), set: FieldSet.of([f('status'), f('replicas')]) }]]),
      manager: applier('a'),
      force: false,
      now: 'T',
      ignored,
    });
    assert.deepEqual(r.managers.get(managerKey(applier('a')))!.set.paths().map(pathToString), ['.spec.replicas']);
  });
});

describe('apply: conflicts', () => {
  it('changing a field another manager owns is a conflict naming manager, version and field', () => {
    const s = new State(configMap);
    s.update('kubectl-edit', { data: { a: '1' } });
    assert.throws(
      () => s.apply('ci', { data: { a: '2' } }),
      (e: unknown) => e instanceof ApplyConflictsError && e.message === 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.a',
    );
    // The same value is no conflict: the field is then shared.
    s.apply('ci', { data: { a: '1' } });
    assert.ok(s.owned(updater('kubectl-edit')).includes('.data.a'));
    assert.ok(s.owned(applier('ci')).includes('.data.a'));
  });

  it('force takes the field from its owner', () => {
    const s = new State(configMap);
    s.update('kubectl-edit', { data: { a: '1', b: '1' } });
    s.apply('ci', { data: { a: '2' } }, true);
    assert.deepEqual(s.object, { data: { a: '2', b: '1' } });
    assert.deepEqual(s.owned(updater('kubectl-edit')), ['.data', '.data.b']);
    assert.deepEqual(s.owned(applier('ci')), ['.data.a']);
  });

  it('several conflicts are listed per manager, managers sorted', () => {
    const s = new State(configMap);
    s.apply('b-applier', { data: { x: '1' } });
    s.update('a-editor', { data: { x: '1', y: '1', z: '1' } });
    try {
      s.apply('ci', { data: { x: '2', y: '2', z: '2' } });
      assert.fail('expected a conflict');
    } catch (e) {
      assert.ok(e instanceof ApplyConflictsError);
      assert.equal(e.message, 'Apply failed with 3 conflicts: conflicts with "a-editor" using v1:\n- .data.y\n- .data.z\nconflicts with "b-applier":\n- .data.x');
      const err = newApplyConflictError(e.conflicts);
      assert.equal(err.status.code, 409);
      assert.equal(err.status.reason, 'Conflict');
      assert.deepEqual(err.status.details?.causes, [
        { reason: 'FieldManagerConflict', message: 'conflict with "a-editor" using v1', field: '.data.y' },
        { reason: 'FieldManagerConflict', message: 'conflict with "a-editor" using v1', field: '.data.z' },
        { reason: 'FieldManagerConflict', message: 'conflict with "b-applier"', field: '.data.x' },
      ]);
    }
  });

  it('a subresource manager is named with its subresource', () => {
    assert.equal(
      conflictMessage([{ manager: { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', subresource: 'scale' }, path: [f('spec'), f('replicas')] }]),
      'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
    );
  });

  it('conflicts inside list-map items name the item by key', () => {
    const s = new State(deployment);
    const d = (image: string): unknown => ({ spec: { template: { spec: { containers: [{ name: 'app', image }] } } } });
    s.update('kubectl-set', d('a'));
    assert.throws(() => s.apply('ci', d('b')), /conflict with "kubectl-set" using v1: \.spec\.template\.spec\.containers\[name="app"\]\.image$/);
  });
});

describe('managedFields encoding', () => {
  it('sorts Apply entries first, then by time and manager, and drops empty entries', () => {
    const m: Managers = new Map();
    const put = (id: ManagerIdentity, time: string, set = FieldSet.of([f('data'), f(id.manager)])): void => void m.set(managerKey(id), { ...id, time, set });
    put(updater('z'), '2024-01-01T00:00:01Z');
    put(updater('a'), '2024-01-01T00:00:02Z');
    put(applier('y'), '2024-01-01T00:00:03Z');
    put(updater('empty'), '2024-01-01T00:00:00Z', new FieldSet());
    put(updater('s', 'status'), '2024-01-01T00:00:01Z');
    const out = encodeManagedFields(m);
    assert.deepEqual(
      out.map((e) => [e.manager, e.operation, e.subresource]),
      [
        ['y', 'Apply', undefined],
        ['s', 'Update', 'status'],
        ['z', 'Update', undefined],
        ['a', 'Update', undefined],
      ],
    );
    assert.deepEqual(out[0], { manager: 'y', operation: 'Apply', apiVersion: 'v1', time: '2024-01-01T00:00:03Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:y': {} } } });
  });

  it('decodes what it encodes; two entries of one manager become one', () => {
    const wire = [
      { manager: 'm', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } },
      { manager: 'm', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:b': {} } } },
    ];
    const m = decodeManagedFields(wire);
    assert.equal(m.size, 1);
    assert.deepEqual(encodeManagedFields(m), [{ ...wire[0], fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } }]);
  });

  it('an Apply entry keeps its identity across API versions, an Update entry does not', () => {
    assert.equal(managerKey({ ...applier('a'), apiVersion: 'v1' }), managerKey({ ...applier('a'), apiVersion: 'v2' }));
    assert.notEqual(managerKey({ ...updater('a'), apiVersion: 'v1' }), managerKey({ ...updater('a'), apiVersion: 'v2' }));
  });

  it('refuses managedFields that are not entries', () => {
    assert.throws(() => decodeManagedFields({}), ManagedFieldsError);
    assert.throws(() => decodeManagedFields([{ operation: 'Delete' }]), ManagedFieldsError);
    assert.throws(() => decodeManagedFields([{ manager: 'm', fieldsV1: { 'f:a': 'x' } }]), ManagedFieldsError);
    assert.equal(decodeManagedFields(undefined).size, 0);
  });

  it('keeps at most 10 Update entries, merging the oldest into ancient-changes', () => {
    const m: Managers = new Map();
    for (let i = 0; i < 12; i++) {
      const id = updater(`m${String(i).padStart(2, '0')}`);
      m.set(managerKey(id), { ...id, time: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(), set: FieldSet.of([f('data'), f(`k${i}`)]) });
    }
    m.set(managerKey(applier('app')), { ...applier('app'), set: FieldSet.of([f('x')]) });
    const capped = capUpdateManagers(m);
    const names = [...capped.values()].map((e) => e.manager).sort();
    assert.equal(names.filter((n) => n !== 'app').length, 10);
    assert.ok(names.includes('ancient-changes'));
    assert.ok(!names.includes('m00') && !names.includes('m01') && !names.includes('m02'));
    const bucket = [...capped.values()].find((e) => e.manager === 'ancient-changes')!;
    assert.deepEqual(bucket.set.paths().map(pathToString), ['.data.k0', '.data.k1', '.data.k2']);
    assert.ok(names.includes('app'));
  });
});

describe('key elements in sets', () => {
  it('ownership of a key with a default matches items that omit it', () => {
    const s = new State(deployment);
    s.apply('a', { spec: { template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } } } });
    const port = [f('spec'), f('template'), f('spec'), f('containers'), keyElement([['name', 'c']]), f('ports'), keyElement([['containerPort', 80], ['protocol', 'TCP']])];
    assert.ok(s.managers.get(managerKey(applier('a')))!.set.has(port));
  });
});
