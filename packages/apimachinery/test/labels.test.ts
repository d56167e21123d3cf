import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabelSelector, labelSelectorFromMetaV1, labelSelectorFromSet, parseLabelSelector } from '../src/labels.js';
import { ApiError } from '../src/errors.js';

const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function parseError(s: string): string {
  try {
    parseLabelSelector(s);
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected an ApiError for ${JSON.stringify(s)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail(`${JSON.stringify(s)} parsed`);
}

test('parses every operator and prints the canonical form', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['x=a', 'x=a'],
    ['x==a', 'x==a'],
    ['x!=a', 'x!=a'],
    ['x', 'x'],
    ['!x', '!x'],
    ['x>1', 'x>1'],
    ['x<10', 'x<10'],
    ['x in (b,a)', 'x in (a,b)'],
    ['x notin (a)', 'x notin (a)'],
    ['x=', 'x='],
    ['x in ()', 'x in ()'],
    ['x in (a,,b)', 'x in (,a,b)'],
    ['x in (a,a)', 'x in (a)'],
    ['x in (in)', 'x in (in)'],
    ['in in (notin)', 'in in (notin)'],
    // Requirements are sorted by key; whitespace anywhere between tokens is fine.
    ['  z = 1 ,\ta  in ( y , x ) , ! b  ', 'a in (x,y),!b,z=1'],
    ['app.kubernetes.io/name=web,tier', 'app.kubernetes.io/name=web,tier'],
  ];
  for (const [input, canonical] of cases) assert.equal(parseLabelSelector(input).toString(), canonical, input);
});

test('requirements are exposed with upstream operator names', () => {
  assert.deepEqual(parseLabelSelector('b in (y,x),a>3,!c').requirements, [
    { key: 'a', operator: 'gt', values: ['3'] },
    { key: 'b', operator: 'in', values: ['x', 'y'] },
    { key: 'c', operator: '!', values: [] },
  ]);
  assert.deepEqual(parseLabelSelector('a').requirements, [{ key: 'a', operator: 'exists', values: [] }]);
});

test('matches', () => {
  const m = (sel: string, labels: Record<string, string> | null | undefined): boolean => parseLabelSelector(sel).matches(labels);
  assert.equal(m('', {}), true);
  assert.equal(m('', null), true);
  assert.equal(m('x=a', { x: 'a' }), true);
  assert.equal(m('x=a', { x: 'b' }), false);
  assert.equal(m('x=a', undefined), false);
  assert.equal(m('x!=a', {}), true);
  assert.equal(m('x!=a', { x: 'a' }), false);
  assert.equal(m('x=', { x: '' }), true);
  assert.equal(m('x=', {}), false);
  assert.equal(m('x in (a,b)', { x: 'b' }), true);
  assert.equal(m('x notin (a,b)', { x: 'b' }), false);
  assert.equal(m('x notin (a,b)', { y: 'b' }), true);
  assert.equal(m('x', { x: '' }), true);
  assert.equal(m('!x', { x: '' }), false);
  assert.equal(m('!x', { y: '' }), true);
  assert.equal(m('x>1', { x: '2' }), true);
  assert.equal(m('x>1', { x: '1' }), false);
  assert.equal(m('x>1', { x: 'two' }), false);
  assert.equal(m('x>1', {}), false);
  assert.equal(m('x<10', { x: '9' }), true);
  assert.equal(m('x<10', { x: '10' }), false);
  // 64-bit comparisons are exact.
  assert.equal(m('x>9007199254740992', { x: '9007199254740993' }), true);
  assert.equal(m('x=a,y=b', { x: 'a', y: 'b' }), true);
  assert.equal(m('x=a,y=b', { x: 'a', y: 'c' }), false);
  // An inherited property is not a label.
  assert.equal(m('toString', {}), false);
});

test('syntax errors carry upstream messages', () => {
  assert.equal(parseError('x==a==b'), "found '==', expected: ',' or 'end of string'");
  assert.equal(parseError('!x=a'), "found '=', expected: ',' or 'end of string'");
  assert.equal(parseError('x y'), "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt");
  assert.equal(parseError('x,'), "found '', expected: identifier after ','");
  assert.equal(parseError(',x'), "found ',', expected: !, identifier, or 'end of string'");
  assert.equal(parseError('x in (a'), "unable to parse requirement: found '', expected: ',' or ')'");
  assert.equal(parseError('x in a'), "unable to parse requirement: found 'a' expected: '('");
  assert.equal(parseError('x in (a b)'), "unable to parse requirement: found 'b', expected: ',' or ')'");
  assert.equal(parseError('x in (=)'), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  assert.equal(parseError('x=(a)'), "unable to parse requirement: found '(', expected: identifier");
  assert.equal(parseError('!'), "unable to parse requirement: found '', expected: identifier");
});

test('invalid keys and values', () => {
  assert.equal(
    parseError('app:monolith'),
    "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  );
  assert.equal(parseError('x=a||y=b'), `unable to parse requirement: values[0][x]: Invalid value: "a||y": ${LABEL_VALUE_MSG}`);
  assert.equal(parseError('x<a'), "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer");
  assert.equal(parseError('x>1.1'), "unable to parse requirement: values[0]: Invalid value: \"1.1\": for 'Gt', 'Lt' operators, the value must be an integer");
  assert.equal(
    parseError('x>-1'),
    `unable to parse requirement: values[0][x]: Invalid value: "-1": ${LABEL_VALUE_MSG}`,
  );
});

test('everything, nothing and sets', () => {
  assert.equal(LabelSelector.everything().isEmpty(), true);
  assert.equal(LabelSelector.everything().matches({ a: 'b' }), true);
  assert.equal(LabelSelector.nothing().isEmpty(), false);
  assert.equal(LabelSelector.nothing().matches({}), false);
  assert.equal(LabelSelector.nothing().toString(), '');
  assert.equal(parseLabelSelector('').isEmpty(), true);
  assert.equal(parseLabelSelector('a').isEmpty(), false);
  assert.equal(labelSelectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
  assert.equal(labelSelectorFromSet({}).isEmpty(), true);
  assert.equal(parseLabelSelector('a=1,b in (2)').requiresExactMatch('b'), '2');
  assert.equal(parseLabelSelector('a!=1').requiresExactMatch('a'), undefined);
});

test('metav1.LabelSelector conversion', () => {
  assert.equal(labelSelectorFromMetaV1(null).matches({}), false);
  assert.equal(labelSelectorFromMetaV1(undefined).isEmpty(), false);
  assert.equal(labelSelectorFromMetaV1({}).isEmpty(), true);
  assert.equal(labelSelectorFromMetaV1({ matchLabels: {}, matchExpressions: [] }).matches({ any: 'x' }), true);
  const sel = labelSelectorFromMetaV1({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['fe', 'be'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'zone', operator: 'Exists' },
    ],
  });
  assert.equal(sel.toString(), 'app=web,!canary,env notin (dev),tier in (be,fe),zone');
  assert.equal(sel.matches({ app: 'web', tier: 'fe', zone: 'a' }), true);
  assert.equal(sel.matches({ app: 'web', tier: 'fe', zone: 'a', canary: 'y' }), false);
  assert.equal(sel.matches({ app: 'web', tier: 'fe' }), false);

  const err = (s: Parameters<typeof labelSelectorFromMetaV1>[0]): string => {
    try {
      labelSelectorFromMetaV1(s);
    } catch (e) {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 400);
      return e.message;
    }
    assert.fail('accepted');
  };
  assert.equal(err({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), '"Gt" is not a valid label selector operator');
  assert.equal(
    err({ matchExpressions: [{ key: 'a', operator: 'In' }] }),
    "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
  );
  assert.equal(
    err({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
  );
  assert.equal(err({ matchLabels: { a: 'b c' } }), `values[0][a]: Invalid value: "b c": ${LABEL_VALUE_MSG}`);
});
