/**
 * `keelson policy`: the real command (from sources) guarding one end of a veth pair between two
 * network namespaces the test makes and removes; `policy check`; exit codes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVethPair, type VethPair } from '../fixtures/policy/veth-pair.js';
import { keelson, until } from './support/keelson-cli.js';


let pair: VethPair;
let dir: string;
before(async () => {
  pair = await createVethPair();
  dir = mkdtempSync(join(tmpdir(), 'keelson-policy-cli-'));
  for (const port of [8080, 8081]) assert.equal((await pair.server.request({ op: 'listen-tcp', port })).ok, true);
});
after(() => {
  pair?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const connects = async (port: number): Promise<boolean> => (await pair.client.request({ op: 'connect', host: pair.serverAddr, port, localAddress: pair.clientAddr, timeoutMs: 2500 })).ok;
const rules = (allowed: number): string => `defaultAction: deny\nrules:\n  - name: web\n    action: allow\n    protocol: tcp\n    ports: ${allowed}\n`;

test('policy run enforces a rules file, follows its edits, serves metrics, and detaches at Ctrl-C', async () => {
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, rules(8080));
  const k = keelson(['policy', 'run', '--interface', pair.serverIf, '--netns', pair.serverNs, '--rules', file, '--metrics-port', '0', '--log-level', 'warn']);
  try {
    await until('the engine to start', () => /Metrics: (http:\S+)/.test(k.stdout()), k);
    assert.match(k.stdout(), new RegExp(`enforces 1 rules on ${pair.serverIf} \\(netns ${pair.serverNs}\\): ingress in TC, egress in TC; default ingress deny, egress deny`));
    const metricsUrl = /Metrics: (http:\S+)/.exec(k.stdout())![1];
    assert.equal(await connects(8080), true);
    assert.equal(await connects(8081), false);

    writeFileSync(file, rules(8081));
    await until('the edit to be enforced', async () => await connects(8081));
    assert.equal(await connects(8080), false);

    const text = await (await fetch(metricsUrl)).text();
    const web = /keelson_policy_packets_total\{rule="web",action="allow",direction="ingress"\} (\d+)/.exec(text);
    assert.ok(web && Number(web[1]) > 0, text);
    assert.match(text, /keelson_policy_generation 2/);
    assert.match(text, /keelson_policy_applies_total\{result="ok"\} 2/);

    k.proc.kill('SIGINT');
    const r = await k.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped\n$/);
    assert.equal(await connects(8080), true, 'nothing is left on the interface');
  } finally {
    k.proc.kill('SIGKILL');
  }
});

test('an invalid rules file at startup exits 1 with file:line and attaches nothing', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'defaultAction: deny\nrules:\n  - name: web\n    action: allow\n    port: 80\n');
  const r = await keelson(['policy', 'run', '--interface', pair.serverIf, '--netns', pair.serverNs, '--rules', file]).done;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:5:5: rules\[0\]\.port: unknown field "port": did you mean "ports"\?/);
  assert.equal(await connects(8081), true, 'no default deny left behind');
});

test('policy apply leaves the policy enforced after it exits; apply again updates the maps; delete removes it', async () => {
  const file = join(dir, 'applied.yaml');
  const target = ['--interface', pair.serverIf, '--netns', pair.serverNs];
  writeFileSync(file, rules(8080));
  try {
    let r = await keelson(['policy', 'apply', ...target, '--rules', file]).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`policy applied to ${pair.serverIf} \\(netns ${pair.serverNs}\\): 1 rules, generation 1; programs attached and pinned at /sys/fs/bpf/keelson/policy/`));
    assert.equal(await connects(8080), true, 'enforced by the pinned programs, with no keelson process running');
    assert.equal(await connects(8081), false);

    writeFileSync(file, rules(8081));
    r = await keelson(['policy', 'apply', ...target, '--rules', file]).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /updated: 1 rules, generation 2, \d+ map writes in \d+ µs/);
    assert.equal(await connects(8081), true);
    assert.equal(await connects(8080), false);

    r = await keelson(['policy', 'show', ...target, '--output', 'json']).done;
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse(r.stdout) as { generation: number; counters: { rule: string; direction: string; packets: number }[] };
    assert.equal(shown.generation, 2);
    assert.ok((shown.counters.find((c) => c.rule === 'web' && c.direction === 'ingress')?.packets ?? 0) >= 2, 'counts kept across the two applies');

    r = await keelson(['policy', 'run', ...target, '--rules', file]).done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /guards .* already: remove it with `keelson policy delete --interface/);

    r = await keelson(['policy', 'delete', ...target]).done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await connects(8080), true, 'detached');
    r = await keelson(['policy', 'delete', ...target]).done;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no policy applied on .*: nothing to delete/);
  } finally {
    await keelson(['policy', 'delete', ...target]).done;
  }
});

test('policy check compiles without the kernel; usage mistakes exit 2', async () => {
  const ok = await keelson(['policy', 'check', '--rules', join(import.meta.dirname, '..', 'fixtures', 'policy', 'rules.yaml')]).done;
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /5 rules; default ingress deny, egress allow/);
  assert.match(ok.stdout, /web: allow tcp 8000-8100 from 10\.0\.0\.0\/8 \(ingress, priority 100\)/);
  assert.match(ok.stdout, /compiles to 6 CIDR entries, 5 address classes and \d+ port entries/);
  const none = await keelson(['policy', 'run', '--interface', 'lo']).done;
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no rules: give --rules rules\.yaml, or --kubeconfig PATH/);
  const noIface = await keelson(['policy', 'run', '--rules', 'x.yaml']).done;
  assert.equal(noIface.code, 2);
  assert.match(noIface.stderr, /required option '--interface <name>' not specified/);
});
