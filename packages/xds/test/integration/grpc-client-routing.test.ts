// Real @grpc/grpc-js-xds clients, bootstrapped at an AdsServer on loopback, calling real gRPC
// backends: plain routing, a 90/10 weighted split, a header canary, weights changed at runtime
// without the client reconnecting, fault injection, timeouts and retries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { RouteType, SnapshotCache, meshToSnapshot, type MeshRoute, type MeshSpec } from '../../src/index.js';
import {
  callEcho,
  eventually,
  silentLogger,
  startBackend,
  startControlPlane,
  StreamCounter,
  tally,
  untilServedBy,
  xdsEchoClient,
  type Backend,
  type ControlPlane,
  type EchoClient,
} from '../helpers.js';

/** Accepted range for a binomial count: mean ± `sigmas` standard deviations. */
function binomialBounds(n: number, p: number, sigmas = 5): { low: number; high: number; mean: number; sd: number } {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  return { low: mean - sigmas * sd, high: mean + sigmas * sd, mean, sd };
}

function greeter(v1: Backend[], v2: Backend[], routes: MeshRoute[]): MeshSpec {
  return {
    services: [
      {
        name: 'greeter',
        versions: [
          { name: 'v1', endpoints: v1.map((b) => ({ address: b.address, port: b.port })) },
          { name: 'v2', endpoints: v2.map((b) => ({ address: b.address, port: b.port })) },
        ],
        routes,
      },
    ],
  };
}

/** The route configuration version a snapshot gives `greeter` (resource hash). */
function routeVersion(cache: SnapshotCache): string {
  return cache.getSnapshot('mesh')!.get(RouteType)!.resources.get('greeter')!.version;
}

function ackedRouteVersion(cp: ControlPlane, nodeId: string): string | undefined {
  const streams = cp.server.clientStatus().clients[nodeId] ?? [];
  const rds = streams[0]?.types as Record<string, { resources: Record<string, { ackedVersion?: string }> }> | undefined;
  return rds?.RDS?.resources.greeter?.ackedVersion;
}

describe('grpc-js-xds client routing', () => {
  let v1a: Backend;
  let v1b: Backend;
  let v2: Backend;
  let cache: SnapshotCache;
  let counter: StreamCounter;
  let cp: ControlPlane;
  const clients: EchoClient[] = [];
  let version = 0;

  const set = (routes: MeshRoute[]): void => cache.setSnapshot('mesh', meshToSnapshot(greeter([v1a, v1b], [v2], routes), String(++version)));
  const client = (nodeId: string): EchoClient => {
    const c = xdsEchoClient('greeter', cp.port, nodeId);
    clients.push(c);
    return c;
  };

  before(async () => {
    [v1a, v1b, v2] = await Promise.all([startBackend('v1-a'), startBackend('v1-b'), startBackend('v2')]);
    cache = new SnapshotCache({ nodeHash: () => 'mesh', logger: silentLogger() });
    counter = new StreamCounter();
    cp = await startControlPlane({ cache, callbacks: counter });
  });

  after(async () => {
    // Backends first: grpc-js-xds 1.14 leaves a 10 s priority failover timer running when a
    // channel is closed while its backends go away, which holds the process open.
    await Promise.all([v1a, v1b, v2].map((b) => b.close()));
    for (const c of clients) c.close();
    await cp.close();
  });

  test('plain routing: every call reaches v1, spread over its two endpoints', async () => {
    set([{ destinations: [{ version: 'v1', weight: 1 }] }]);
    const c = client('plain');
    await untilServedBy(c, 'v1-a');
    const counts = await tally(c, 200);
    assert.equal((counts.get('v1-a') ?? 0) + (counts.get('v1-b') ?? 0), 200, `all calls on v1: ${JSON.stringify([...counts])}`);
    assert.ok((counts.get('v1-a') ?? 0) > 0 && (counts.get('v1-b') ?? 0) > 0, `round robin over both v1 endpoints: ${JSON.stringify([...counts])}`);
  });

  test('90/10 weighted split over 2,000 calls stays within 5 sigma of 10 %', async () => {
    set([{ destinations: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] }]);
    const c = client('split');
    await untilServedBy(c, 'v2', 20_000);
    const n = 2000;
    const counts = await tally(c, n);
    const onV2 = counts.get('v2') ?? 0;
    const onV1 = (counts.get('v1-a') ?? 0) + (counts.get('v1-b') ?? 0);
    assert.equal(onV1 + onV2, n, `no failed calls: ${JSON.stringify([...counts])}`);
    const b = binomialBounds(n, 0.1);
    assert.ok(onV2 >= b.low && onV2 <= b.high, `v2 got ${onV2} of ${n}; expected ${b.mean} ± ${(5 * b.sd).toFixed(1)} (5 sigma)`);
  });

  test('header canary: x-canary: true always reaches v2; without it the default 90/10 split applies', async () => {
    set([
      { name: 'canary', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, destinations: [{ version: 'v2', weight: 1 }] },
      { name: 'default', destinations: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] },
    ]);
    const c = client('canary');
    await untilServedBy(c, 'v2', 20_000, { 'x-canary': 'true' });
    const canary = await tally(c, 300, { 'x-canary': 'true' });
    assert.deepEqual([...canary], [['v2', 300]], 'every x-canary call on v2');
    const other = await tally(c, 300, { 'x-canary': 'false' });
    assert.equal(other.get('v2') === 300, false, 'x-canary: false is not the canary route');
    const n = 1000;
    const plain = await tally(c, n);
    const onV2 = plain.get('v2') ?? 0;
    const b = binomialBounds(n, 0.1);
    assert.equal([...plain.values()].reduce((s, x) => s + x, 0), n);
    assert.ok(onV2 >= b.low && onV2 <= b.high, `without the header v2 got ${onV2} of ${n}; expected ${b.mean} ± ${(5 * b.sd).toFixed(1)}`);
  });

  test('weights changed at runtime reach the client on its open stream (no reconnect)', async (t) => {
    set([{ destinations: [{ version: 'v1', weight: 100 }, { version: 'v2', weight: 0 }] }]);
    const c = client('runtime');
    await untilServedBy(c, 'v1-a');
    const before = await tally(c, 100);
    assert.equal(before.get('v2') ?? 0, 0, 'v2 has weight 0 at first');
    const openedBefore = counter.opened;
    const streamsBefore = cp.server.streamCount;

    const started = performance.now();
    set([{ destinations: [{ version: 'v1', weight: 0 }, { version: 'v2', weight: 100 }] }]);
    const wanted = routeVersion(cache);
    await eventually(() => ackedRouteVersion(cp, 'runtime') === wanted, 10_000, 'the client to ACK the new route configuration');
    const ackedMs = performance.now() - started;
    await untilServedBy(c, 'v2');
    const servedMs = performance.now() - started;
    t.diagnostic(`weight change: ACKed by the client after ${ackedMs.toFixed(1)} ms, first call on the new weights after ${servedMs.toFixed(1)} ms`);

    const afterChange = await tally(c, 100);
    assert.deepEqual([...afterChange], [['v2', 100]], 'all calls on v2 after the change');
    assert.equal(counter.opened, openedBefore, 'no new ADS stream was opened');
    assert.equal(cp.server.streamCount, streamsBefore, 'same number of streams');
    assert.equal(counter.closed, 0, 'no stream closed');
  });

  test('fault injection, timeouts and retries configured by route reach the client', async () => {
    const c = client('faults');
    // Abort 100 % with UNAVAILABLE.
    set([{ destinations: [{ version: 'v1', weight: 1 }], fault: { abort: { grpcStatus: grpc.status.UNAVAILABLE, percent: 100 } } }]);
    await eventually(async () => {
      const err = await callEcho(c).then(() => undefined, (e: grpc.ServiceError) => e);
      return err?.code === grpc.status.UNAVAILABLE && /fault/i.test(err.details);
    }, 15_000, 'calls aborted by the fault filter');

    // A 1 s injected delay against a 200 ms route timeout: DEADLINE_EXCEEDED. The call's own
    // deadline is 3 s, so without the route's timeout the call would succeed after the delay.
    set([{ destinations: [{ version: 'v1', weight: 1 }], timeoutMs: 200, fault: { delay: { fixedDelayMs: 1000, percent: 100 } } }]);
    await eventually(async () => {
      const err = await callEcho(c, {}, 3000).then(() => undefined, (e: grpc.ServiceError) => e);
      return err?.code === grpc.status.DEADLINE_EXCEEDED;
    }, 15_000, 'calls cut by the route timeout');

    // One of v1's two endpoints fails every call with UNAVAILABLE. Without retries about half the
    // calls fail; with retry_on unavailable, round robin sends the retry to the healthy endpoint.
    set([{ destinations: [{ version: 'v1', weight: 1 }] }]);
    await untilServedBy(c, 'v1-a');
    v1b.failWith = grpc.status.UNAVAILABLE;
    try {
      const noRetry = await tally(c, 40, {}, 1);
      assert.ok((noRetry.get('error: UNAVAILABLE') ?? 0) > 0, `without retries some calls fail: ${JSON.stringify([...noRetry])}`);
      set([{ destinations: [{ version: 'v1', weight: 1 }], retry: { retryOn: 'unavailable', numRetries: 3 } }]);
      const wanted = routeVersion(cache);
      await eventually(() => ackedRouteVersion(cp, 'faults') === wanted, 10_000, 'the retry policy to be ACKed');
      await eventually(async () => (await tally(c, 20, {}, 1)).get('v1-a') === 20, 10_000, 'retries to take effect');
      const withRetry = await tally(c, 40, {}, 1);
      assert.deepEqual([...withRetry], [['v1-a', 40]], 'every call succeeds on the healthy endpoint');
    } finally {
      v1b.failWith = undefined;
    }
  });
});
