import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError, type FieldError } from '@keelson/apimachinery';
import { crdTablePrinter, resourcesFromCrd } from '../src/crd/resources-from-crd.js';
import { validateCrd } from '../src/crd/validate-crd.js';

const NOW = new Date('2025-01-01T12:00:00Z');

const schema = () => ({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        color: { type: 'string', enum: ['red', 'blue'] },
        size: { type: 'integer' },
        enabled: { type: 'boolean' },
        selector: { type: 'string' },
        tags: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    status: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        selector: { type: 'string' },
        conditions: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' } } } },
      },
    },
  },
});

/** A two-version CRD: v1beta1 (served, plain) and v1 (storage, status + scale + columns + selectable fields). */
function widgetCrd(): any {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com', uid: 'crd-uid-1' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema() },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
          additionalPrinterColumns: [
            { name: 'Color', type: 'string', jsonPath: '.spec.color' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired replicas' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          selectableFields: [{ jsonPath: '.spec.color' }, { jsonPath: '.spec.size' }, { jsonPath: '.spec.enabled' }],
        },
        { name: 'v1alpha1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    },
  };
}

const messages = (errs: FieldError[]): string[] => errs.map(formatFieldError);

// ---- resourcesFromCrd ---------------------------------------------------------------------------------

test('one ResourceInfo per served version, with defaulted names and shared storage', () => {
  const infos = resourcesFromCrd(widgetCrd());
  assert.deepEqual(infos.map((i) => i.version), ['v1beta1', 'v1']);
  for (const i of infos) {
    assert.equal(i.group, 'example.com');
    assert.equal(i.resource, 'widgets');
    assert.equal(i.singular, 'widget');
    assert.equal(i.kind, 'Widget');
    assert.equal(i.listKind, 'WidgetList');
    assert.equal(i.namespaced, true);
    assert.deepEqual(i.shortNames, ['wd']);
    assert.deepEqual(i.categories, ['all']);
    assert.equal(i.storageVersion, 'v1');
    assert.equal(i.storagePrefix, '/registry/example.com/widgets');
    assert.equal(i.strategicMerge, false);
    assert.equal(i.nameRule, 'subdomain');
    assert.equal(i.crd?.name, 'widgets.example.com');
    assert.equal(i.crd?.uid, 'crd-uid-1');
    assert.deepEqual(i.verbs, ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch']);
  }
});

test('subresources, generation policy and schema per version', () => {
  const [beta, v1] = resourcesFromCrd(widgetCrd());
  assert.deepEqual(beta.subresources, { status: false });
  assert.equal(beta.generation, 'all-but-metadata');
  assert.equal(beta.crd?.preserveUnknownFields, true);
  assert.deepEqual(v1.subresources, { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } });
  assert.equal(v1.generation, 'spec');
  assert.equal(v1.crd?.preserveUnknownFields, false);
  assert.deepEqual(v1.crd?.schema, schema());
});

test('cluster scope and explicit singular/listKind', () => {
  const c = widgetCrd();
  c.spec.scope = 'Cluster';
  c.spec.names.singular = 'gizmo';
  c.spec.names.listKind = 'Gizmos';
  const [info] = resourcesFromCrd(c);
  assert.equal(info.namespaced, false);
  assert.equal(info.singular, 'gizmo');
  assert.equal(info.listKind, 'Gizmos');
});

test('selectable fields become field selectors, scalars as text and absent fields as ""', () => {
  const [beta, v1] = resourcesFromCrd(widgetCrd());
  assert.deepEqual(Object.keys(beta.fieldSelectors), []);
  assert.deepEqual(Object.keys(v1.fieldSelectors), ['spec.color', 'spec.size', 'spec.enabled']);
  const obj = { spec: { color: 'red', size: 3, enabled: false } };
  assert.equal(v1.fieldSelectors['spec.color'](obj), 'red');
  assert.equal(v1.fieldSelectors['spec.size'](obj), '3');
  assert.equal(v1.fieldSelectors['spec.enabled'](obj), 'false');
  assert.equal(v1.fieldSelectors['spec.color']({ spec: {} }), '');
  assert.equal(v1.fieldSelectors['spec.color']({}), '');
});

test('printer columns: Name first, descriptions, wide priority, typed cells, dates as ages', () => {
  const [beta, v1] = resourcesFromCrd(widgetCrd());
  assert.deepEqual(
    v1.table.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Color', 'string', '', 0],
      ['Replicas', 'integer', '', 0],
      ['Ready', 'string', '', 1],
      ['Age', 'date', '', 0],
    ],
  );
  assert.equal(v1.table.columns[1].description, 'Custom resource definition column (in JSONPath format): .spec.color');
  assert.equal(v1.table.columns[2].description, 'Desired replicas');
  const obj = {
    metadata: { name: 'w1', creationTimestamp: '2025-01-01T11:55:00Z' },
    spec: { color: 'blue', replicas: 2 },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
  assert.deepEqual(v1.table.cells(obj, NOW), ['w1', 'blue', 2, 'True', '5m']);
  // Missing values are null; a string where an integer is expected is null too.
  assert.deepEqual(v1.table.cells({ metadata: { name: 'w2' }, spec: { replicas: 'two' } }, NOW), ['w2', null, null, null, null]);
  // No columns: NAME and AGE.
  assert.deepEqual(beta.table.columns.map((c) => [c.name, c.type]), [
    ['Name', 'string'],
    ['Age', 'date'],
  ]);
  assert.deepEqual(beta.table.cells({ metadata: { name: 'w3', creationTimestamp: '2025-01-01T10:00:00Z' } }, NOW), ['w3', '120m']);
});

test('crdTablePrinter on its own', () => {
  const p = crdTablePrinter([{ name: 'Size', type: 'number', jsonPath: '.spec.size', format: 'double' }]);
  assert.deepEqual(p.columns[1], { name: 'Size', type: 'number', format: 'double', description: 'Custom resource definition column (in JSONPath format): .spec.size', priority: 0 });
  assert.deepEqual(p.cells({ metadata: { name: 'x' }, spec: { size: 1.5 } }, NOW), ['x', 1.5]);
});

// ---- validateCrd ------------------------------------------------------------------------------------

test('a valid CRD has no errors', () => {
  assert.deepEqual(messages(validateCrd(widgetCrd())), []);
});

test('metadata.name must be <plural>.<group>; group needs a dot', () => {
  const c = widgetCrd();
  c.metadata.name = 'gadgets.example.com';
  assert.deepEqual(messages(validateCrd(c)), ['metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group']);
  const g = widgetCrd();
  g.spec.group = 'example';
  g.metadata.name = 'widgets.example';
  assert.deepEqual(messages(validateCrd(g)), ['spec.group: Invalid value: "example": should be a domain with at least one dot']);
  const bad = widgetCrd();
  bad.spec.group = 'Example.com';
  bad.metadata.name = 'widgets.Example.com';
  assert.equal(validateCrd(bad)[0].field, 'spec.group');
  assert.match(validateCrd(bad)[0].detail ?? '', /^a lowercase RFC 1123 subdomain must consist of/);
});

test('names: required, DNS-1035, kind/listKind clash, shortNames and categories', () => {
  const c = widgetCrd();
  c.spec.names = { plural: 'Widgets', kind: 'Widget', listKind: 'Widget', shortNames: ['w_d'], categories: ['All'] };
  // The name matches plural.group; its DNS syntax is ObjectMeta validation's business.
  c.metadata.name = 'Widgets.example.com';
  const errs = validateCrd(c);
  assert.deepEqual(
    errs.map((e) => [e.type, e.field]),
    [
      ['FieldValueInvalid', 'spec.names.plural'],
      ['FieldValueInvalid', 'spec.names.shortNames[0]'],
      ['FieldValueInvalid', 'spec.names.listKind'],
      ['FieldValueInvalid', 'spec.names.categories[0]'],
    ],
  );
  assert.equal(errs[2].detail, 'kind and listKind may not be the same');
  assert.equal(
    errs[0].detail,
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  );
  const missing = widgetCrd();
  missing.spec.names = { plural: 'widgets' };
  // Without a kind there is nothing to default singular and listKind from.
  assert.deepEqual(messages(validateCrd(missing)), ['spec.names.singular: Required value', 'spec.names.kind: Required value', 'spec.names.listKind: Required value']);
  // singular and listKind default from kind, as on a real cluster.
  const kindOnly = widgetCrd();
  kindOnly.spec.names = { plural: 'widgets', kind: 'Widget' };
  assert.deepEqual(validateCrd(kindOnly), []);
});

test('scope and versions: Namespaced|Cluster, unique names, exactly one storage version', () => {
  const c = widgetCrd();
  c.spec.scope = 'Global';
  c.spec.versions[0].storage = true;
  c.spec.versions[2].name = 'v1';
  const got = messages(validateCrd(c));
  assert.deepEqual(got.slice(0, 1), ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']);
  assert.ok(got.some((m) => m.startsWith('spec.versions: Invalid value: ') && m.endsWith(': must contain unique version names')));
  assert.ok(got.some((m) => m.startsWith('spec.versions: Invalid value: ') && m.endsWith(': must have exactly one version marked as storage version')));
  // The registry records the first storage version; the second is then missing from storedVersions.
  assert.ok(got.includes('status.storedVersions: Invalid value: ["v1beta1"]: must have the storage version v1'));

  const none = widgetCrd();
  none.spec.scope = '';
  none.spec.versions = [];
  assert.deepEqual(messages(validateCrd(none)), [
    'spec.scope: Required value',
    'spec.versions: Invalid value: []: must have exactly one version marked as storage version',
    'status.storedVersions: Invalid value: []: must have at least one stored version',
  ]);
  const badName = widgetCrd();
  badName.spec.versions[0].name = 'V1Beta1';
  assert.deepEqual(
    validateCrd(badName).map((e) => e.field),
    ['spec.versions[0].name', 'spec.version'],
  );
});

test('schemas are required per version and must be structural (paths follow the internal form)', () => {
  const c = widgetCrd();
  delete c.spec.versions[0].schema;
  assert.deepEqual(messages(validateCrd(c)), ['spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required']);

  const one = widgetCrd();
  one.spec.versions = [one.spec.versions[1]];
  one.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.extra = {};
  // One version: the schema moved to spec.validation, as kube-apiserver reports it.
  assert.deepEqual(messages(validateCrd(one)), [
    'spec.validation.openAPIV3Schema.properties[spec].properties[extra].type: Required value: must not be empty for specified object fields',
  ]);

  const two = widgetCrd();
  two.spec.versions[1].schema.openAPIV3Schema.properties.spec.properties.extra = {};
  assert.deepEqual(messages(validateCrd(two)), [
    'spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[extra].type: Required value: must not be empty for specified object fields',
  ]);
});

test('with the status subresource only some keywords may sit at the schema root', () => {
  const c = widgetCrd();
  c.spec.versions[1].schema.openAPIV3Schema.nullable = true;
  const errs = validateCrd(c);
  assert.equal(errs[0].field, 'spec.versions[1].schema.openAPIV3Schema');
  assert.match(errs[0].detail ?? '', /^only \[Description Type Format .* XValidations\] fields are allowed at the root of the schema if the status subresource is enabled$/);
  assert.deepEqual([errs[1].field, errs[1].detail], ['spec.versions[1].schema.openAPIV3Schema.nullable', 'nullable cannot be true at the root']);
});

test('scale subresource paths must be under .spec / .status', () => {
  const c = widgetCrd();
  c.spec.versions[1].subresources.scale = { specReplicasPath: 'spec.replicas', statusReplicasPath: '.spec.replicas', labelSelectorPath: '.metadata.labels' };
  assert.deepEqual(messages(validateCrd(c)), [
    'spec.versions[1].subresources.scale.specReplicasPath: Invalid value: "spec.replicas": must be a simple json path starting with .',
    'spec.versions[1].subresources.scale.statusReplicasPath: Invalid value: ".spec.replicas": should be a json path under .status',
    'spec.versions[1].subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": should be a json path under either .spec or .status',
  ]);
  const missing = widgetCrd();
  missing.spec.versions[1].subresources.scale = {};
  assert.deepEqual(messages(validateCrd(missing)), [
    'spec.versions[1].subresources.scale.specReplicasPath: Required value',
    'spec.versions[1].subresources.scale.statusReplicasPath: Required value',
  ]);
});

test('additionalPrinterColumns: type, format and JSONPath', () => {
  const c = widgetCrd();
  c.spec.versions[1].additionalPrinterColumns = [{ name: '', type: 'float', format: 'percent', jsonPath: 'spec.x' }, { name: 'A', jsonPath: '' }];
  assert.deepEqual(messages(validateCrd(c)), [
    'spec.versions[1].additionalPrinterColumns[0].name: Required value',
    'spec.versions[1].additionalPrinterColumns[0].type: Invalid value: "float": must be one of boolean,date,integer,number,string',
    'spec.versions[1].additionalPrinterColumns[0].format: Invalid value: "percent": must be one of byte,date,date-time,double,float,int32,int64,password',
    'spec.versions[1].additionalPrinterColumns[0].JSONPath: Invalid value: "spec.x": must be a simple json path starting with .',
    'spec.versions[1].additionalPrinterColumns[1].type: Required value: must be one of boolean,date,integer,number,string',
    'spec.versions[1].additionalPrinterColumns[1].JSONPath: Required value',
  ]);
});

test('selectableFields must resolve to string, boolean or integer fields outside metadata, without duplicates', () => {
  const c = widgetCrd();
  c.spec.versions[1].selectableFields = [{ jsonPath: '.spec.nope' }, { jsonPath: '.spec.tags' }, { jsonPath: '.spec.color' }, { jsonPath: '.spec.color' }, { jsonPath: '.spec.tags.team' }, { jsonPath: '' }];
  assert.deepEqual(messages(validateCrd(c)), [
    'spec.versions[1].selectableFields[0].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a valid field',
    'spec.versions[1].selectableFields[1].jsonPath: Invalid value: ".spec.tags": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.',
    'spec.versions[1].selectableFields[3].jsonPath: Duplicate value: ".spec.color"',
    'spec.versions[1].selectableFields[5].jsonPath: Required value',
  ]);
  const arrays = widgetCrd();
  arrays.spec.versions[1].selectableFields = [{ jsonPath: '.status.conditions[0].type' }];
  assert.deepEqual(messages(validateCrd(arrays)), [
    'spec.versions[1].selectableFields[0].jsonPath: Invalid value: ".status.conditions[0].type": is an invalid path: array notation is not allowed',
  ]);
});

test('conversion: None or Webhook, webhook needs a client config and review versions', () => {
  const c = widgetCrd();
  c.spec.conversion = { strategy: 'Magic' };
  assert.deepEqual(messages(validateCrd(c)), ['spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"']);
  const w = widgetCrd();
  w.spec.conversion = { strategy: 'Webhook' };
  assert.deepEqual(messages(validateCrd(w)), [
    'spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
    'spec.conversion.conversionReviewVersions: Required value',
  ]);
  const ok = widgetCrd();
  ok.spec.conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { service: { namespace: 'sys', name: 'conv', path: '/convert' } } } };
  assert.deepEqual(validateCrd(ok), []);
  const none = widgetCrd();
  none.spec.conversion = { strategy: 'None', webhook: { conversionReviewVersions: ['v1'] } };
  assert.deepEqual(messages(validateCrd(none)), ['spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook']);
});

test('protected groups need the API approval annotation; preserveUnknownFields cannot be true', () => {
  const c = widgetCrd();
  c.spec.group = 'gizmos.k8s.io';
  c.metadata.name = 'widgets.gizmos.k8s.io';
  assert.deepEqual(messages(validateCrd(c)), [
    'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
  ]);
  c.metadata.annotations = { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/1' };
  assert.deepEqual(validateCrd(c), []);
  c.metadata.annotations = { 'api-approved.kubernetes.io': 'unapproved, experimental' };
  assert.deepEqual(validateCrd(c), []);

  const p = widgetCrd();
  p.spec.preserveUnknownFields = true;
  assert.deepEqual(messages(validateCrd(p)), [
    'spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
  ]);
});

test('on update: group and plural are immutable; scope and kind once established; stored versions stay', () => {
  const old = widgetCrd();
  old.status = { storedVersions: ['v1'], conditions: [{ type: 'Established', status: 'True' }] };
  const next = widgetCrd();
  next.spec.scope = 'Cluster';
  next.spec.names.kind = 'Gadget';
  assert.deepEqual(messages(validateCrd(next, old)), [
    'spec.scope: Invalid value: "Cluster": field is immutable',
    'spec.names.kind: Invalid value: "Gadget": field is immutable',
  ]);
  const notEstablished = { ...old, status: { storedVersions: ['v1'] } };
  assert.deepEqual(validateCrd(next, notEstablished), []);

  const moved = widgetCrd();
  moved.spec.group = 'example.org';
  moved.spec.names.plural = 'gadgets';
  moved.metadata.name = 'gadgets.example.org';
  assert.deepEqual(messages(validateCrd(moved, old)), [
    'spec.group: Invalid value: "example.org": field is immutable',
    'spec.names.plural: Invalid value: "gadgets": field is immutable',
  ]);

  const dropped = widgetCrd();
  dropped.spec.versions = [{ ...dropped.spec.versions[0], storage: true }];
  assert.deepEqual(messages(validateCrd(dropped, old)), [
    'status.storedVersions[0]: Invalid value: "v1": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions',
  ]);
});

test('on update, schema problems the stored CRD already had are tolerated', () => {
  const old = widgetCrd();
  old.spec.versions[1].schema.openAPIV3Schema.properties.spec.properties.legacy = {};
  old.status = { storedVersions: ['v1'] };
  const next = structuredClone(old);
  next.spec.versions[1].additionalPrinterColumns.push({ name: 'Size', type: 'integer', jsonPath: '.spec.size' });
  assert.deepEqual(validateCrd(next, old), []);
  assert.equal(validateCrd(next).length, 1);
});
