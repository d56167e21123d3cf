import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  generateName,
  generateNameSuffix,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateLabelValue,
  validateObjectMeta,
  validatePathSegmentName,
  validateQualifiedName,
} from '../src/names.js';
import { formatFieldError } from '../src/errors.js';

// The messages below are kube-apiserver's, copied from what released Kubernetes prints.
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

test('DNS-1123 subdomain', () => {
  assert.deepEqual(validateDNS1123Subdomain('example.com'), []);
  assert.deepEqual(validateDNS1123Subdomain('a'), []);
  assert.deepEqual(validateDNS1123Subdomain('Web'), [SUBDOMAIN_MSG]);
  assert.deepEqual(validateDNS1123Subdomain('web-'), [SUBDOMAIN_MSG]);
  assert.deepEqual(validateDNS1123Subdomain('a..b'), [SUBDOMAIN_MSG]);
  assert.deepEqual(validateDNS1123Subdomain(''), [SUBDOMAIN_MSG]);
  assert.deepEqual(validateDNS1123Subdomain('a'.repeat(253)), []);
  assert.deepEqual(validateDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
});

test('DNS-1123 label', () => {
  assert.deepEqual(validateDNS1123Label('my-name'), []);
  assert.deepEqual(validateDNS1123Label('123-abc'), []);
  assert.deepEqual(validateDNS1123Label('my.name'), ['must not contain dots']);
  assert.deepEqual(validateDNS1123Label('-abc'), [LABEL_MSG]);
  assert.deepEqual(validateDNS1123Label('ABC'), [LABEL_MSG]);
  assert.deepEqual(validateDNS1123Label('a'.repeat(63)), []);
  assert.deepEqual(validateDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
});

test('path segment names', () => {
  assert.deepEqual(validatePathSegmentName('system:admin', false), []);
  assert.deepEqual(validatePathSegmentName('.', false), ["may not be '.'"]);
  assert.deepEqual(validatePathSegmentName('..', false), ["may not be '..'"]);
  assert.deepEqual(validatePathSegmentName('a/b%c', false), ["may not contain '/'", "may not contain '%'"]);
  // A prefix may be '.' or '..': a suffix follows.
  assert.deepEqual(validatePathSegmentName('..', true), []);
  assert.deepEqual(validatePathSegmentName('a/', true), ["may not contain '/'"]);
});

test('qualified names (label keys)', () => {
  assert.deepEqual(validateQualifiedName('app'), []);
  assert.deepEqual(validateQualifiedName('app.kubernetes.io/name'), []);
  assert.deepEqual(validateQualifiedName('MyName'), []);
  assert.deepEqual(validateQualifiedName('app:monolith'), [NAME_PART_MSG]);
  assert.deepEqual(validateQualifiedName('/foo'), ['prefix part must be non-empty']);
  assert.deepEqual(validateQualifiedName('foo/'), ['name part must be non-empty', NAME_PART_MSG]);
  assert.deepEqual(validateQualifiedName('app.kubernetes_io/name'), [`prefix part ${SUBDOMAIN_MSG}`]);
  assert.deepEqual(validateQualifiedName(`x/${'a'.repeat(64)}`), ['name part must be no more than 63 characters']);
  assert.deepEqual(validateQualifiedName('a/b/c'), [
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  ]);
});

test('label values', () => {
  assert.deepEqual(validateLabelValue(''), []);
  assert.deepEqual(validateLabelValue('my_value.1'), []);
  assert.deepEqual(validateLabelValue('-x'), [LABEL_VALUE_MSG]);
  assert.deepEqual(validateLabelValue('a b'), [LABEL_VALUE_MSG]);
  assert.deepEqual(validateLabelValue('a'.repeat(64)), ['must be no more than 63 characters']);
});

const ns = { namespaced: true, nameRule: 'subdomain' } as const;
const cluster = { namespaced: false, nameRule: 'subdomain' } as const;
const messages = (errs: ReturnType<typeof validateObjectMeta>): string[] => errs.map(formatFieldError);

test('validateObjectMeta: a valid object has no errors', () => {
  assert.deepEqual(
    validateObjectMeta(
      {
        name: 'web',
        namespace: 'default',
        labels: { app: 'web', 'app.kubernetes.io/part-of': '' },
        annotations: { 'Example.com/Note': 'anything at all' },
        finalizers: ['example.com/cleanup'],
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true }],
        // Server-set fields are not checked.
        resourceVersion: 'not-a-number',
        uid: '',
      },
      ns,
    ),
    [],
  );
  assert.deepEqual(validateObjectMeta({ generateName: 'web-' }, cluster), []);
});

test('validateObjectMeta: names', () => {
  assert.deepEqual(messages(validateObjectMeta({ namespace: 'default' }, ns)), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(messages(validateObjectMeta(undefined, cluster)), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(messages(validateObjectMeta({ name: 'Web' }, cluster)), [`metadata.name: Invalid value: "Web": ${SUBDOMAIN_MSG}`]);
  assert.deepEqual(messages(validateObjectMeta({ name: 'a.b' }, { namespaced: false, nameRule: 'label' })), [
    'metadata.name: Invalid value: "a.b": must not contain dots',
  ]);
  assert.deepEqual(messages(validateObjectMeta({ name: 'a/b' }, { namespaced: false, nameRule: 'path-segment' })), [
    `metadata.name: Invalid value: "a/b": may not contain '/'`,
  ]);
  // generateName is checked as a prefix: its trailing dash is fine, other faults are not.
  assert.deepEqual(messages(validateObjectMeta({ generateName: 'Web-' }, cluster)), [`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_MSG}`]);
});

test('validateObjectMeta: namespace', () => {
  assert.deepEqual(messages(validateObjectMeta({ name: 'x' }, ns)), ['metadata.namespace: Required value']);
  assert.deepEqual(messages(validateObjectMeta({ name: 'x', namespace: 'a.b' }, ns)), ['metadata.namespace: Invalid value: "a.b": must not contain dots']);
  assert.deepEqual(messages(validateObjectMeta({ name: 'x', namespace: 'default' }, cluster)), ['metadata.namespace: Forbidden: not allowed on this type']);
});

test('validateObjectMeta: labels and annotations', () => {
  assert.deepEqual(messages(validateObjectMeta({ name: 'x', labels: { 'app:x': 'ok', ok: '-bad' } }, cluster)), [
    `metadata.labels: Invalid value: "app:x": ${NAME_PART_MSG}`,
    `metadata.labels: Invalid value: "-bad": ${LABEL_VALUE_MSG}`,
  ]);
  assert.deepEqual(messages(validateObjectMeta({ name: 'x', annotations: { 'a b': '' } }, cluster)), [`metadata.annotations: Invalid value: "a b": ${NAME_PART_MSG}`]);
  // Exactly 256 KiB of keys and values is allowed; one byte more is not.
  const limit = 256 * 1024;
  assert.deepEqual(validateObjectMeta({ name: 'x', annotations: { k: 'v'.repeat(limit - 1) } }, cluster), []);
  assert.deepEqual(messages(validateObjectMeta({ name: 'x', annotations: { k: 'v'.repeat(limit) } }, cluster)), [
    'metadata.annotations: Too long: may not be more than 262144 bytes',
  ]);
});

test('validateObjectMeta: finalizers and owner references', () => {
  assert.deepEqual(messages(validateObjectMeta({ name: 'x', finalizers: ['a b'] }, cluster)), [`metadata.finalizers: Invalid value: "a b": ${NAME_PART_MSG}`]);
  assert.deepEqual(messages(validateObjectMeta({ name: 'x', finalizers: ['orphan', 'foregroundDeletion'] }, cluster)), [
    'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
  ]);
  assert.deepEqual(messages(validateObjectMeta({ name: 'x', ownerReferences: [{} as never] }, cluster)), [
    'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
    'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
    'metadata.ownerReferences.name: Invalid value: "": name must not be empty',
    'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
  ]);
  const two = [
    { apiVersion: 'v1', kind: 'A', name: 'a', uid: '1', controller: true },
    { apiVersion: 'v1', kind: 'B', name: 'b', uid: '2', controller: true },
  ];
  const errs = validateObjectMeta({ name: 'x', ownerReferences: two }, cluster);
  assert.equal(errs.length, 1);
  assert.equal(errs[0].field, 'metadata.ownerReferences');
  assert.equal(errs[0].detail, 'Only one reference can have Controller set to true. Found "true" in references for A/a and B/b');
  const event = validateObjectMeta({ name: 'x', ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: '1' }] }, cluster);
  assert.equal(event[0].detail, '/v1, Kind=Event is disallowed from being an owner');
});

test('generated names', () => {
  for (let i = 0; i < 200; i++) assert.match(generateNameSuffix(), /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.match(generateName('web-'), /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const long = generateName('x'.repeat(100));
  assert.equal(long.length, 63);
  assert.ok(long.startsWith('x'.repeat(58)));
  assert.deepEqual(validateDNS1123Label(generateName('a'.repeat(70))), []);
});
