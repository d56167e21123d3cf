import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch, type PatchMeta } from '../src/patch/strategic-merge-patch.js';
import { builtinPatchMeta } from '../src/patch/builtin-patch-meta.js';
import { ApiError } from '../src/errors.js';

const deploymentMeta = builtinPatchMeta('apps', 'Deployment');

function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a.example.com/x', 'b.example.com/y'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'app:v1',
              args: ['--a', '--b'],
              ports: [
                { containerPort: 80, name: 'http' },
                { containerPort: 443, name: 'https' },
              ],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'sidecar:v1' },
          ],
          tolerations: [{ key: 'k1', operator: 'Exists' }],
        },
      },
    },
  };
}

type Json = Record<string, any>;
const podSpec = (d: unknown): Json => (d as Json).spec.template.spec;
const containers = (d: unknown): Json[] => podSpec(d).containers;
const smp = (doc: unknown, patch: unknown, meta: PatchMeta | undefined = deploymentMeta): Json => applyStrategicMergePatch(doc, patch, meta) as Json;
const template = (spec: unknown): Json => ({ spec: { template: { spec } } });

function badRequest(fn: () => unknown, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected an ApiError, got ${String(e)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    if (message) assert.match(e.message, message);
    return;
  }
  assert.fail('expected a 400');
}

test('containers merge by name: the named container changes, the others stay', () => {
  const doc = deployment();
  const before = JSON.stringify(doc);
  const out = smp(doc, template({ containers: [{ name: 'app', image: 'app:v2' }] }));
  assert.equal(JSON.stringify(doc), before, 'the document must not be mutated');
  assert.deepEqual(containers(out).map((c) => [c.name, c.image]), [['app', 'app:v2'], ['sidecar', 'sidecar:v1']]);
  // Untouched members of the merged container survive.
  assert.deepEqual(containers(out)[0].args, ['--a', '--b']);
  assert.equal(containers(out)[0].ports.length, 2);
});

test('a new container goes first, as on a real cluster (kubectl patch docs: patch-demo-ctr-2 before patch-demo-ctr)', () => {
  const doc = { spec: { template: { spec: { containers: [{ name: 'patch-demo-ctr', image: 'nginx' }] } } } };
  const out = smp(doc, template({ containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] }));
  assert.deepEqual(containers(out), [
    { name: 'patch-demo-ctr-2', image: 'redis' },
    { name: 'patch-demo-ctr', image: 'nginx' },
  ]);
});

test('tolerations have no merge key: the list is replaced (kubectl patch docs)', () => {
  const out = smp(deployment(), template({ tolerations: [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }] }));
  assert.deepEqual(podSpec(out).tolerations, [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }]);
});

test('ports merge by containerPort, env by name; untagged lists (args) are replaced', () => {
  const out = smp(
    deployment(),
    template({
      containers: [
        {
          name: 'app',
          args: ['--c'],
          ports: [{ containerPort: 443, name: 'tls' }, { containerPort: 8080, name: 'metrics' }],
          env: [{ name: 'B', value: '20' }],
        },
      ],
    }),
  );
  const app = containers(out)[0];
  assert.deepEqual(app.args, ['--c']);
  // 80 is live-only and came before 443 in the live list; 8080 is new and follows the patch's order.
  assert.deepEqual(app.ports, [
    { containerPort: 80, name: 'http' },
    { containerPort: 443, name: 'tls' },
    { containerPort: 8080, name: 'metrics' },
  ]);
  assert.deepEqual(app.env, [{ name: 'A', value: '1' }, { name: 'B', value: '20' }]);
});

test('null deletes a member at any depth', () => {
  const out = smp(deployment(), { metadata: { labels: { app: null } }, spec: { strategy: { rollingUpdate: { maxSurge: null } } } });
  assert.deepEqual(out.metadata.labels, {});
  assert.deepEqual(out.spec.strategy.rollingUpdate, { maxUnavailable: 0 });
});

test('$patch: delete removes a list item by its merge key', () => {
  const out = smp(deployment(), template({ containers: [{ name: 'sidecar', $patch: 'delete' }] }));
  assert.deepEqual(containers(out).map((c) => c.name), ['app']);
  // Deleting an item that does not exist is not an error.
  const again = smp(out, template({ containers: [{ name: 'nope', $patch: 'delete' }] }));
  assert.deepEqual(containers(again).map((c) => c.name), ['app']);
});

test('$patch: delete without the merge key is a 400', () => {
  badRequest(() => smp(deployment(), template({ containers: [{ $patch: 'delete' }] })), /does not contain declared merge key: name/);
});

test('$patch: replace in a list replaces the whole list', () => {
  const out = smp(deployment(), template({ containers: [{ name: 'only', image: 'only:v1' }, { $patch: 'replace' }] }));
  assert.deepEqual(containers(out), [{ name: 'only', image: 'only:v1' }]);
});

test('$patch: replace in a map replaces the map; $patch: delete empties it', () => {
  const replaced = smp(deployment(), { spec: { selector: { $patch: 'replace', matchLabels: { tier: 'x' } } } });
  assert.deepEqual(replaced.spec.selector, { matchLabels: { tier: 'x' } });
  const replacedLabels = smp(deployment(), { metadata: { labels: { $patch: 'replace', only: 'this' } } });
  assert.deepEqual(replacedLabels.metadata.labels, { only: 'this' });
  const deleted = smp(deployment(), { spec: { strategy: { $patch: 'delete' } } });
  assert.deepEqual(deleted.spec.strategy, {});
  // $patch: merge is the default behaviour.
  const merged = smp(deployment(), { metadata: { labels: { $patch: 'merge', extra: 'y' } } });
  assert.deepEqual(merged.metadata.labels, { app: 'web', extra: 'y' });
});

test('$setElementOrder orders the merged list, interleaving live-only items', () => {
  const out = smp(
    deployment(),
    template({
      '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
      containers: [{ name: 'app', image: 'app:v3' }],
    }),
  );
  assert.deepEqual(containers(out).map((c) => [c.name, c.image]), [['sidecar', 'sidecar:v1'], ['app', 'app:v3']]);
  // Without the list itself, the directive only reorders.
  const reordered = smp(deployment(), template({ '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] }));
  assert.deepEqual(containers(reordered).map((c) => c.name), ['sidecar', 'app']);
});

test('$setElementOrder that contradicts the patch list is a 400', () => {
  badRequest(
    () =>
      smp(
        deployment(),
        template({
          '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
          containers: [{ name: 'sidecar', image: 's:2' }, { name: 'app', image: 'a:2' }],
        }),
      ),
    /doesn't match \$setElementOrder list/,
  );
});

test('$retainKeys clears the members it does not list (deployment strategy switched to Recreate)', () => {
  const out = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  badRequest(() => smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 2 } } } }), /invalid patch format of retainKeys/);
  badRequest(() => smp(deployment(), { spec: { strategy: { $retainKeys: 'type' } } }), /invalid patch format of retainKeys/);
});

test('$retainKeys on a volume switches its source (volumes are merge,retainKeys by name)', () => {
  const pod = { spec: { volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] } };
  const out = smp(pod, { spec: { volumes: [{ name: 'data', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/d' } }] } }, builtinPatchMeta('', 'Pod'));
  assert.deepEqual(out.spec.volumes, [{ name: 'data', hostPath: { path: '/d' } }, { name: 'cfg', configMap: { name: 'c' } }]);
});

test('finalizers merge as a set: union without duplicates; $deleteFromPrimitiveList removes', () => {
  const union = smp(deployment(), { metadata: { finalizers: ['b.example.com/y', 'c.example.com/z'] } });
  assert.deepEqual(union.metadata.finalizers, ['a.example.com/x', 'b.example.com/y', 'c.example.com/z']);
  const removed = smp(deployment(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x'] } });
  assert.deepEqual(removed.metadata.finalizers, ['b.example.com/y']);
  const both = smp(deployment(), {
    metadata: { '$deleteFromPrimitiveList/finalizers': ['b.example.com/y'], finalizers: ['d.example.com/w'] },
  });
  assert.deepEqual(both.metadata.finalizers, ['d.example.com/w', 'a.example.com/x']);
});

test('ownerReferences merge by uid', () => {
  const doc = { metadata: { ownerReferences: [{ uid: 'u1', name: 'a', kind: 'ReplicaSet' }] } };
  const out = smp(doc, { metadata: { ownerReferences: [{ uid: 'u1', controller: true }, { uid: 'u2', name: 'b', kind: 'X' }] } });
  assert.deepEqual(out.metadata.ownerReferences, [
    { uid: 'u1', name: 'a', kind: 'ReplicaSet', controller: true },
    { uid: 'u2', name: 'b', kind: 'X' },
  ]);
});

test('directives never leak into the result, even under new fields', () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          initContainers: [{ name: 'init', image: 'i', env: [{ name: 'X', value: '1' }, { name: 'Y', $patch: 'delete' }] }, { name: 'gone', $patch: 'delete' }],
          affinity: { nodeAffinity: { $patch: 'replace', x: 1, dropped: null } },
        },
      },
    },
    metadata: { annotations: { a: 'b', c: null } },
  });
  assert.ok(!JSON.stringify(out).includes('$'), JSON.stringify(out));
  assert.deepEqual(podSpec(out).initContainers, [{ name: 'init', image: 'i', env: [{ name: 'X', value: '1' }] }]);
  assert.deepEqual(podSpec(out).affinity, { nodeAffinity: { x: 1 } });
  assert.deepEqual(out.metadata.annotations, { a: 'b' });
});

test('unknown directives are a 400', () => {
  badRequest(() => smp(deployment(), { spec: { $patch: 'frobnicate' } }), /unknown patch type: frobnicate in map/);
  badRequest(() => smp(deployment(), template({ containers: [{ name: 'app', $patch: 'frobnicate' }] })), /unknown patch type/);
  badRequest(() => smp(deployment(), { spec: { $frobnicate: 1 } }), /unknown strategic merge patch directive/);
  badRequest(() => smp(deployment(), { spec: { $retainKeys: 'x' } }));
});

test('a list item without its merge key is a 400', () => {
  badRequest(() => smp(deployment(), template({ containers: [{ image: 'x' }] })), /^map: map\[image:x\] does not contain declared merge key: name$/);
});

test('a patch body that is not an object is a 400', () => {
  badRequest(() => smp({}, [1]), /cannot unmarshal array into Go value of type map\[string\]interface \{\}/);
  badRequest(() => smp({}, null));
});

test('builtinPatchMeta covers the served kinds with their upstream tags', () => {
  const pod = builtinPatchMeta('', 'Pod')!;
  const spec = pod.properties!.spec.properties!;
  assert.deepEqual([spec.containers.patchStrategy, spec.containers.patchMergeKey], ['merge', 'name']);
  assert.equal(spec.containers.items!.properties!.ports.patchMergeKey, 'containerPort');
  assert.equal(spec.containers.items!.properties!.volumeMounts.patchMergeKey, 'mountPath');
  assert.equal(spec.volumes.patchStrategy, 'merge,retainKeys');
  assert.equal(spec.hostAliases.patchMergeKey, 'ip');
  assert.equal(spec.topologySpreadConstraints.patchMergeKey, 'topologyKey');
  assert.equal(spec.tolerations, undefined);
  assert.equal(pod.properties!.status.properties!.conditions.patchMergeKey, 'type');
  assert.equal(builtinPatchMeta('core', 'Service')!.properties!.spec.properties!.ports.patchMergeKey, 'port');
  assert.equal(builtinPatchMeta('', 'Node')!.properties!.status.properties!.addresses.patchMergeKey, 'type');
  assert.equal(builtinPatchMeta('', 'ServiceAccount')!.properties!.secrets.patchMergeKey, 'name');
  assert.equal(deploymentMeta!.properties!.spec.properties!.strategy.patchStrategy, 'retainKeys');
  const sts = builtinPatchMeta('apps', 'StatefulSet')!.properties!.spec.properties!;
  assert.ok(sts.volumeClaimTemplates.items!.properties!.metadata.properties!.finalizers);
  for (const [g, k] of [['', 'ConfigMap'], ['', 'Secret'], ['', 'Endpoints'], ['', 'Namespace'], ['', 'Event'], ['apps', 'ReplicaSet'], ['apps', 'DaemonSet'], ['coordination.k8s.io', 'Lease'], ['discovery.k8s.io', 'EndpointSlice'], ['apiextensions.k8s.io', 'CustomResourceDefinition']]) {
    const meta = builtinPatchMeta(g, k);
    assert.ok(meta, `${g}/${k}`);
    assert.equal(meta.properties!.metadata.properties!.ownerReferences.patchMergeKey, 'uid', `${g}/${k}`);
  }
  assert.equal(builtinPatchMeta('example.com', 'Widget'), undefined);
  assert.ok(Object.isFrozen(spec.containers), 'shared metadata is frozen');
});

test('no meta: maps merge, lists are replaced', () => {
  const out = smp({ a: { b: 1, list: [1, 2] } }, { a: { c: 2, list: [3] } }, undefined);
  assert.deepEqual(out, { a: { b: 1, c: 2, list: [3] } });
});

// Upstream's own cases (k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go), on its test type.
const mergeItem: PatchMeta = {
  properties: {
    mergingList: { patchStrategy: 'merge', patchMergeKey: 'name' },
    mergingIntList: { patchStrategy: 'merge' },
  },
};

test('upstream: merge lists of maps with $setElementOrder', () => {
  const out = smp(
    { mergingList: [{ name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }] },
    {
      '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }],
      mergingList: [{ name: 4, value: 4 }, { name: 3, value: 3 }],
    },
    mergeItem,
  );
  assert.deepEqual(out, {
    mergingList: [{ name: 4, value: 4 }, { name: 1, other: 'a' }, { name: 2, value: 2, other: 'b' }, { name: 3, value: 3 }],
  });
});

test('upstream: add and delete items in lists of scalars', () => {
  const out = smp(
    { mergingIntList: [1, 2, 3, 4] },
    { '$setElementOrder/mergingIntList': [1, 2, 4], '$deleteFromPrimitiveList/mergingIntList': [3] },
    mergeItem,
  );
  assert.deepEqual(out, { mergingIntList: [1, 2, 4] });
  const dup = smp({ mergingIntList: [1, 2, 3, 3, 4] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, mergeItem);
  assert.deepEqual(dup, { mergingIntList: [1, 2, 4] });
});

test('upstream: $deleteFromPrimitiveList never creates a list', () => {
  assert.deepEqual(smp({ mergingIntList: [1, 2] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, mergeItem), { mergingIntList: [1, 2] });
  assert.deepEqual(smp({ mergingIntList: null }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, mergeItem), { mergingIntList: null });
  assert.deepEqual(smp({ foo: ['bar'] }, { '$deleteFromPrimitiveList/mergingIntList': [3] }, mergeItem), { foo: ['bar'] });
  // It also works on a list without the merge strategy.
  assert.deepEqual(smp({ nonMergingIntList: [1, 2, 3] }, { '$deleteFromPrimitiveList/nonMergingIntList': [2] }, mergeItem), { nonMergingIntList: [1, 3] });
});

test('upstream: nested patch merge with empty list drops the $patch: delete item', () => {
  const out = smp({ name: 'hi' }, { mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] }, mergeItem);
  assert.deepEqual(out, { name: 'hi', mergingList: [{ name: 'hello' }] });
});

test('upstream: $setElementOrder for scalars must agree with the patch list', () => {
  badRequest(() => smp({ mergingIntList: [1, 3, 2] }, { '$setElementOrder/mergingIntList': [1, 2, 3], mergingIntList: [3, 1] }, mergeItem), /doesn't match/);
});

test('upstream: missing merge key errors out', () => {
  badRequest(() => smp({ mergingList: [{ name: 1, value: 'a' }] }, { mergingList: [{ value: 'b' }] }, mergeItem), /does not contain declared merge key/);
});

test('upstream: delete all maps from a merging list', () => {
  const out = smp({ mergingList: [{ name: 1 }, { name: 2 }] }, { mergingList: [{ name: 1, $patch: 'delete' }, { name: 2, $patch: 'delete' }] }, mergeItem);
  assert.deepEqual(out, { mergingList: [] });
});

test('upstream: defined null values remove fields and are not stored', () => {
  const out = smp({ name: 'original-name', value: 'original-value', other: 'current-other' }, { name: 'modified-name', value: null, absent: null }, mergeItem);
  assert.deepEqual(out, { name: 'modified-name', other: 'current-other' });
});

test('lists of lists and mixed element types are rejected', () => {
  badRequest(() => smp({ mergingIntList: [1] }, { mergingIntList: [[2]] }, mergeItem), /lists of lists/);
  badRequest(() => smp({ mergingIntList: [1] }, { mergingIntList: ['2'] }, mergeItem), /not identical/);
});
