import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatCidr, parseCidr, formatAddr, parseIPv6 } from '../src/policy/cidr.js';
import { parsePolicyYaml, readPolicyFile } from '../src/policy/policy-yaml.js';
import { describeRule, PolicyConfigError } from '../src/policy/rules.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'policy');

function configError(fn: () => unknown): PolicyConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyConfigError) return e;
    throw e;
  }
  assert.fail('expected a PolicyConfigError');
}

test('a policy file parses into rules that remember their line', () => {
  const file = join(fixtures, 'rules.yaml');
  const spec = readPolicyFile(file);
  assert.deepEqual(spec.defaultAction, { ingress: 'deny', egress: 'allow' });
  assert.deepEqual(
    spec.rules.map((r) => [r.name, r.priority, r.action, r.protocol, r.direction, r.ports, r.cidr && formatCidr(r.cidr), r.origin?.line]),
    [
      ['blocked-host', 10, 'deny', 'any', 'ingress', undefined, '10.1.2.3/32', 6],
      ['web', 100, 'allow', 'tcp', 'ingress', { from: 8000, to: 8100 }, '10.0.0.0/8', 10],
      ['ssh', 1000, 'allow', 'tcp', 'ingress', { from: 22, to: 22 }, '10.1.0.0/16', 16],
      ['dns-out', 1000, 'allow', 'udp', 'egress', { from: 53, to: 53 }, undefined, 21],
      ['ping', 1000, 'allow', 'icmp', 'ingress', undefined, '2001:db8::/32', 26],
    ],
  );
  assert.equal(describeRule(spec.rules[1]), 'allow tcp 8000-8100 from 10.0.0.0/8 (ingress, priority 100)');
  assert.equal(spec.rules[0].origin?.file, file);
});

test('errors name file:line, the field and the fix', () => {
  const text = [
    'defaultAction: deny', // 1
    'rules:', // 2
    '  - name: web', // 3
    '    action: allow', // 4
    '    cidr: 10.1.2.3/8', // 5
    '    port: 80', // 6
    '  - name: web', // 7
    '    action: permit', // 8
    '    ports: "90-80"', // 9
    '  - name: ping', // 10
    '    action: allow', // 11
    '    protocol: icmp', // 12
    '    ports: 7', // 13
  ].join('\n');
  const e = configError(() => parsePolicyYaml(text, 'p.yaml'));
  const byPath = new Map(e.issues.map((i) => [i.path, i]));
  const cidr = byPath.get('rules[0].cidr');
  assert.equal(cidr?.line, 5);
  assert.match(cidr?.message ?? '', /host bits set past \/8: write 10\.0\.0\.0\/8 for the block, or 10\.1\.2\.3\/32/);
  const port = byPath.get('rules[0].port');
  assert.equal(port?.line, 6);
  assert.match(port?.message ?? '', /unknown field "port": did you mean "ports"\?/);
  assert.match(byPath.get('rules[1].name')?.message ?? '', /already the name of rules\[0\]/);
  assert.equal(byPath.get('rules[1].action')?.line, 8);
  assert.match(byPath.get('rules[1].action')?.message ?? '', /"permit" is not an action: write allow or deny/);
  assert.match(byPath.get('rules[1].ports')?.message ?? '', /runs backwards: write "80-90"/);
  assert.match(byPath.get('rules[2].ports')?.message ?? '', /icmp has no ports/);
  assert.match(e.message, /^6 problems in the policy:\n {2}p\.yaml:5:5: rules\[0\]\.cidr: /);
});

test('YAML syntax errors and missing pieces are reported with a fix', () => {
  let e = configError(() => parsePolicyYaml('rules:\n  - name: a\n   action: allow\n', 'bad.yaml'));
  assert.equal(e.issues[0].file, 'bad.yaml');
  assert.equal(e.issues[0].line, 3);
  assert.match(e.message, /YAML syntax/);
  e = configError(() => parsePolicyYaml('', 'empty.yaml'));
  assert.match(e.message, /empty\.yaml: the policy is empty: write at least "defaultAction: allow"/);
  e = configError(() => parsePolicyYaml('rules: []\n', 'r.yaml'));
  assert.match(e.message, /defaultAction is missing/);
  e = configError(() => parsePolicyYaml('defaultAction: allow\nrules:\n  - action: allow\n    priority: 70000\n', 'r.yaml'));
  assert.match(e.message, /every rule needs a name/);
  assert.match(e.message, /r\.yaml:4:5: rules\[0\]\.priority: 70000 is not a priority/);
  e = configError(() => readPolicyFile(join(fixtures, 'does-not-exist.yaml')));
  assert.match(e.message, /cannot read the policy file \(it does not exist\): pass the path of a rules YAML file with --rules/);
});

test('CIDRs: IPv4, IPv6, bare addresses, and clear refusals', () => {
  assert.deepEqual(formatCidr(parseCidr('192.168.1.7')), '192.168.1.7/32');
  assert.deepEqual(formatCidr(parseCidr('2001:db8::/32')), '2001:db8::/32');
  assert.deepEqual(formatCidr(parseCidr('::ffff:10.0.0.0/104')), '::ffff:a00:0/104');
  assert.equal(formatAddr(6, parseIPv6('2001:db8:0:0:1:0:0:1') as Uint8Array), '2001:db8::1:0:0:1');
  assert.throws(() => parseCidr('10.0.0.0/33'), /prefix length "33": an IPv4 prefix length is a whole number from 0 to 32/);
  assert.throws(() => parseCidr('10.0.0/8'), /not an IPv4 or IPv6 address or CIDR block/);
  assert.throws(() => parseCidr('fd00::1/8'), /write fd00::\/8 for the block, or fd00::1\/128/);
});

test('an alias without its anchor is a policy error with its position, not a crash', () => {
  // yaml reports it only when the document is turned into values, by throwing a ReferenceError.
  let e = configError(() => parsePolicyYaml('defaultAction: deny\nrules:\n  - name: *web\n    action: allow\n', 'a.yaml'));
  assert.match(e.message, /^a\.yaml:3:11: YAML syntax: the alias \*web names no anchor before it: write &web on the value/);
  e = configError(() => parsePolicyYaml('defaultAction: deny\nrules: *all\n', 'a.yaml'));
  assert.equal(e.issues[0].line, 2);
  // An anchor defined before its alias is fine.
  const spec = parsePolicyYaml('defaultAction: &d deny\nrules:\n  - name: web\n    action: *d\n', 'a.yaml');
  assert.equal(spec.rules[0].action, 'deny');
});
