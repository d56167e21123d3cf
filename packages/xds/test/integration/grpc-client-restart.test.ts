// The control plane goes away and comes back on the same port: a real @grpc/grpc-js-xds client
// keeps routing with the config it holds while the control plane is down, reconnects, and
// follows the config the new control plane serves.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SnapshotCache, meshToSnapshot, type MeshSpec } from '../../src/index.js';
import { eventually, silentLogger, startBackend, startControlPlane, StreamCounter, tally, untilServedBy, xdsEchoClient, type Backend, type ControlPlane, type EchoClient } from '../helpers.js';

let v1: Backend;
let v2: Backend;
let client: EchoClient | undefined;
const planes: ControlPlane[] = [];

function spec(target: 'v1' | 'v2'): MeshSpec {
  return {
    services: [
      {
        name: 'greeter',
        versions: [
          { name: 'v1', endpoints: [{ address: v1.address, port: v1.port }] },
          { name: 'v2', endpoints: [{ address: v2.address, port: v2.port }] },
        ],
        routes: [{ destinations: [{ version: target, weight: 1 }] }],
      },
    ],
  };
}

before(async () => {
  [v1, v2] = await Promise.all([startBackend('v1'), startBackend('v2')]);
});

after(async () => {
  await Promise.all([v1.close(), v2.close()]);
  client?.close();
  for (const p of planes) await p.close();
});

test('control plane restarted on the same port: the client keeps routing, reconnects, and follows the new config', async () => {
  const firstCache = new SnapshotCache({ nodeHash: () => 'mesh', logger: silentLogger() });
  firstCache.setSnapshot('mesh', meshToSnapshot(spec('v1'), '1'));
  const first = await startControlPlane({ cache: firstCache });
  planes.push(first);
  const port = first.port;
  client = xdsEchoClient('greeter', port, 'restart-client');
  await untilServedBy(client, 'v1');

  await first.close();
  // Down: the client still has its listener, route, cluster and endpoints.
  const whileDown = await tally(client, 100);
  assert.deepEqual([...whileDown], [['v1', 100]], 'calls keep working while the control plane is down');

  // A new process would start with a fresh cache; this one serves a different route so the test
  // can tell that the client listens to it.
  const secondCache = new SnapshotCache({ nodeHash: () => 'mesh', logger: silentLogger() });
  secondCache.setSnapshot('mesh', meshToSnapshot(spec('v2'), '1'));
  const counter = new StreamCounter();
  const second = await startControlPlane({ cache: secondCache, port, callbacks: counter });
  planes.push(second);
  assert.equal(second.port, port);

  await untilServedBy(client, 'v2', 30_000);
  await eventually(() => counter.opened === 1, 5_000, 'the client stream on the new control plane');
  const afterRestart = await tally(client, 100);
  assert.deepEqual([...afterRestart], [['v2', 100]], 'routing follows the new control plane');
  assert.equal(second.server.streamCount, 1);
});
