import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  FieldSet,
  FieldsV1Error,
  fieldElement as f,
  indexElement,
  keyElement,
  parsePathElement,
  pathToString,
  serializePathElement,
  valueElement,
  type Path,
} from '@keelson/apimachinery';

const roundTrip = (json: string): string => JSON.stringify(FieldSet.fromFieldsV1(JSON.parse(json)).toFieldsV1());

describe('FieldsV1 path elements', () => {
  it('reads and writes the four element kinds', () => {
    for (const s of ['f:spec', 'f:kubectl.kubernetes.io/last-applied-configuration', 'k:{"name":"app"}', 'k:{"containerPort":80,"protocol":"TCP"}', 'v:"a"', 'v:1', 'v:true', 'i:3']) {
      assert.equal(serializePathElement(parsePathElement(s)!), s);
    }
  });

  it('sorts key fields by name and re-spells values canonically', () => {
    assert.equal(serializePathElement(parsePathElement('k:{"protocol":"TCP","containerPort":80}')!), 'k:{"containerPort":80,"protocol":"TCP"}');
    assert.equal(serializePathElement(keyElement([['b', 1], ['a', 'x']])), 'k:{"a":"x","b":1}');
    assert.equal(serializePathElement(parsePathElement('v:1.0')!), 'v:1');
  });

  it('returns undefined for an unknown element type and throws for malformed ones', () => {
    assert.equal(parsePathElement('r:x'), undefined);
    assert.throws(() => parsePathElement('f'), /expected <type>:<content>/);
    assert.throws(() => parsePathElement('k:[1]'), /must be a JSON object/);
    assert.throws(() => parsePathElement('v:{'), /not JSON/);
    assert.throws(() => parsePathElement('i:x'), /must be an integer/);
  });

  it('prints paths as conflict messages do', () => {
    const p: Path = [f('spec'), f('template'), f('spec'), f('containers'), keyElement([['name', 'app']]), f('image')];
    assert.equal(pathToString(p), '.spec.template.spec.containers[name="app"].image');
    assert.equal(pathToString([f('spec'), f('ports'), keyElement([['protocol', 'TCP'], ['port', 80]])]), '.spec.ports[port=80,protocol="TCP"]');
    assert.equal(pathToString([f('metadata'), f('finalizers'), valueElement('x')]), '.metadata.finalizers[="x"]');
    assert.equal(pathToString([f('args'), indexElement(2)]), '.args[2]');
    assert.equal(pathToString([f('data'), f('a')]), '.data.a');
  });
});

describe('FieldsV1 sets', () => {
  // structured-merge-diff's fieldpath/serialize_test.go golden data (V1).
  it('round-trips upstream golden data byte for byte', () => {
    const flat =
      '{"f:aaa":{},"f:aab":{},"f:aac":{},"f:aad":{},"f:aae":{},"f:aaf":{},"k:{\\"name\\":\\"first\\"}":{},"k:{\\"name\\":\\"second\\"}":{},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{},"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{},"v:1":{},"v:2":{},"v:3":{},"v:\\"aa\\"":{},"v:\\"ab\\"":{},"v:true":{},"i:1":{},"i:2":{},"i:3":{},"i:4":{}}';
    assert.equal(roundTrip(flat), flat);
    const nested =
      '{"f:aaa":{"k:{\\"name\\":\\"second\\"}":{"v:3":{"f:aab":{}}},"v:3":{},"v:true":{}},"f:aab":{"f:aaa":{},"f:aaf":{"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{}}},"k:{\\"name\\":\\"first\\"}":{}},"f:aac":{"f:aaa":{"v:1":{}},"f:aac":{},"v:3":{"k:{\\"name\\":\\"second\\"}":{}}},"v:true":{"k:{\\"name\\":\\"second\\"}":{"f:aaa":{}},"i:2":{"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{}}},"i:3":{"f:aab":{"v:true":{"v:\\"aa\\"":{}}},"f:aaf":{},"i:1":{}}}';
    assert.equal(roundTrip(nested), nested);
  });

  it('writes keys in element order whatever order they were read in', () => {
    assert.equal(roundTrip('{"i:0":{},"v:true":{},"v:\\"a\\"":{},"v:2":{},"k:{\\"a\\":1}":{},"f:z":{},"f:a":{}}'), '{"f:a":{},"f:z":{},"k:{\\"a\\":1}":{},"v:2":{},"v:\\"a\\"":{},"v:true":{},"i:0":{}}');
  });

  it('reads "." as membership of a node that has children, and writes it first', () => {
    const s = FieldSet.fromFieldsV1({ 'f:metadata': { 'f:annotations': { 'f:x': {}, '.': {} } } });
    assert.ok(s.has([f('metadata'), f('annotations')]));
    assert.ok(s.has([f('metadata'), f('annotations'), f('x')]));
    assert.ok(!s.has([f('metadata')]));
    assert.equal(JSON.stringify(s.toFieldsV1()), '{"f:metadata":{"f:annotations":{".":{},"f:x":{}}}}');
  });

  it('drops element types it does not know (TestDropUnknown)', () => {
    assert.equal(roundTrip('{"f:aaa":{},"r:aab":{}}'), '{"f:aaa":{}}');
  });

  it('refuses values that are not FieldsV1', () => {
    assert.throws(() => FieldSet.fromFieldsV1([]), FieldsV1Error);
    assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }), FieldsV1Error);
    assert.throws(() => FieldSet.fromFieldsV1({ 'k:x': {} }), FieldsV1Error);
  });

  it('an empty set writes {}', () => {
    assert.deepEqual(new FieldSet().toFieldsV1(), {});
    assert.ok(FieldSet.fromFieldsV1({}).isEmpty());
  });
});

describe('set operations', () => {
  const abc: Path = [f('a'), f('b'), f('c')];
  const ab: Path = [f('a'), f('b')];
  const ad: Path = [f('a'), f('d')];
  const x: Path = [f('x')];

  it('union, intersection and difference work path by path', () => {
    const s1 = FieldSet.of(abc, ad);
    const s2 = FieldSet.of(ad, x);
    assert.deepEqual(s1.union(s2).paths().map(pathToString), ['.x', '.a.d', '.a.b.c']);
    assert.deepEqual(s1.intersection(s2).paths().map(pathToString), ['.a.d']);
    assert.deepEqual(s1.difference(s2).paths().map(pathToString), ['.a.b.c']);
    assert.ok(s1.difference(s1).isEmpty());
  });

  it('a member and a path below it are different fields', () => {
    const s = FieldSet.of(ab);
    assert.ok(s.has(ab));
    assert.ok(!s.has(abc));
    assert.ok(!FieldSet.of(abc).has(ab));
    // Plain difference leaves what is below a removed member.
    assert.deepEqual(FieldSet.of(ab, abc).difference(FieldSet.of(ab)).paths().map(pathToString), ['.a.b.c']);
  });

  it('recursive difference also takes everything below a member (upstream example: a.b.c minus a.b)', () => {
    assert.ok(FieldSet.of(abc).recursiveDifference(FieldSet.of(ab)).isEmpty());
    assert.deepEqual(FieldSet.of(abc, ad).recursiveDifference(FieldSet.of(ab)).paths().map(pathToString), ['.a.d']);
  });

  it('equals ignores insertion order', () => {
    assert.ok(FieldSet.of(abc, ad, x).equals(FieldSet.of(x, ad, abc)));
    assert.ok(!FieldSet.of(abc).equals(FieldSet.of(ab)));
  });

  it('withPrefix gives the subtree below one element', () => {
    const s = FieldSet.of(abc, ad);
    assert.deepEqual(s.withPrefix(f('a')).paths().map(pathToString), ['.d', '.b.c']);
    assert.ok(s.withPrefix(f('zz')).isEmpty());
  });
});
