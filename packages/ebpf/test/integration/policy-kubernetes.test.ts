/**
 * L4Policy objects in a real Keelson API server (in-process, HTTPS), read through a shared
 * informer, merged and enforced by the policy engine in the kernel; each packet verdict is checked
 * with BPF_PROG_TEST_RUN.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, isInvalid } from '@keelson/client';
import { SharedInformerFactory } from '@keelson/informer';
import { startInProcess, type InProcessServer } from '../../../apiserver/test/integration/in-process.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { L4_POLICY_GVR, l4PolicyCrd, watchL4Policies, type L4Policy } from '../../src/policy/kubernetes-source.js';
import { buildPacket } from '../../src/policy/packet.js';
import { runPolicy } from '../../src/policy/run.js';

const IFACE = 'eth-test';
let server: InProcessServer;
let client: Client;
let engine: PolicyEngine;
let factory: SharedInformerFactory;
const stop = new AbortController();
let loop: Promise<void> | undefined;
const errors: Error[] = [];

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Does a TCP SYN from 10.1.1.1 to port `port` pass the ingress program? */
function tcpPasses(port: number): boolean {
  const r = engine.program('policy_tc_ingress').testRun({ data: buildPacket({ src: '10.1.1.1', dst: '10.1.1.2', proto: 'tcp', dport: port }) });
  return r.retval !== 2; // TC_ACT_SHOT
}

const policy = (name: string, spec: L4Policy['spec']): L4Policy => ({ apiVersion: 'policy.keelson.dev/v1alpha1', kind: 'L4Policy', metadata: { name }, spec });

before(async () => {
  server = await startInProcess();
  client = Client.fromKubeconfig({ path: server.kubeconfig, qps: 0 });
  const crds = client.apiextensionsV1.customResourceDefinitions();
  await crds.create(l4PolicyCrd as never);
  await waitFor('the CRD to be established', async () => {
    const crd = (await crds.get(l4PolicyCrd.metadata.name)) as { status?: { conditions?: { type: string; status: string }[] } };
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
  });
  engine = await PolicyEngine.load();
});

after(async () => {
  stop.abort();
  await loop?.catch(() => {});
  await factory?.shutdown();
  engine?.close();
  client?.close();
  await server?.stop();
});

test('L4Policies for the interface are merged and enforced; changes apply; invalid ones are refused', async () => {
  factory = new SharedInformerFactory(client);
  const informer = factory.forResource<L4Policy & { apiVersion: string; kind: string }>(L4_POLICY_GVR);
  await factory.start(stop.signal);
  const generations: number[] = [];
  loop = runPolicy(engine, watchL4Policies(informer, { interface: IFACE, signal: stop.signal }), {
    onApplied: (r) => generations.push(r.generation),
    onError: (e) => errors.push(e),
  });
  await waitFor('the empty policy once synced', () => generations.length === 1);
  assert.equal(engine.current?.rules.length, 0);
  assert.equal(tcpPasses(8081), true, 'no L4Policy: everything passes');

  const policies = client.resource<L4Policy & { apiVersion: string; kind: string }>(L4_POLICY_GVR);
  await policies.create(policy('web', { defaultAction: 'deny', rules: [{ name: 'http', action: 'allow', protocol: 'tcp', ports: 8080 }] }) as never);
  await waitFor('the web policy', () => generations.length === 2);
  assert.equal(tcpPasses(8080), true);
  assert.equal(tcpPasses(8081), false, 'the default of the web policy denies');
  assert.deepEqual(engine.counters().filter((c) => c.rule === 'web/http').map((c) => c.packets), [1n], 'rules are named <object>/<rule>');

  // A policy for another interface does not apply here; a later change to web shows it was left out.
  await policies.create(policy('elsewhere', { interface: 'eth9', defaultAction: 'deny', rules: [{ name: 'no-8080', action: 'deny', protocol: 'tcp', ports: 8080, priority: 1 }] }) as never);
  const web = (await policies.get('web')) as L4Policy & { metadata: { resourceVersion: string } };
  await policies.update({ ...web, spec: { defaultAction: 'deny', rules: [{ name: 'http', action: 'allow', protocol: 'tcp', ports: '8080-8081' }] } } as never);
  await waitFor('the widened web policy', () => generations.length === 3);
  assert.equal(tcpPasses(8080), true, 'the eth9 policy was not merged');
  assert.equal(tcpPasses(8081), true);
  assert.deepEqual(engine.current?.rules.map((r) => r.name), ['web/http']);

  // The CRD's schema refuses what it can; the engine refuses the rest, naming object and field.
  await assert.rejects(policies.create(policy('typo', { defaultAction: 'deny', rules: [{ name: 'x', action: 'maybe' }] }) as never), (e) => isInvalid(e));
  await policies.create(policy('bad', { rules: [{ name: 'lab', action: 'deny', cidr: '10.1.2.3/8' }] }) as never);
  await waitFor('the refusal', () => errors.length === 1);
  assert.match(errors[0].message, /L4Policy bad: spec\.rules\[0\]\.cidr: "10\.1\.2\.3\/8" has host bits set past \/8: write 10\.0\.0\.0\/8/);
  assert.equal(engine.generation, 3, 'the last good policy stays in force');
  assert.equal(tcpPasses(8081), true);

  await policies.delete('bad');
  await waitFor('the policy without the bad object', () => generations.length === 4);
  await policies.delete('web');
  await waitFor('no policy for the interface', () => generations.length === 5);
  assert.equal(tcpPasses(9999), true);
});
