import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TablePrinter } from '../src/resource-info.js';
import {
  configMapPrinter,
  customResourceDefinitionPrinter,
  daemonSetPrinter,
  defaultTablePrinter,
  deploymentPrinter,
  endpointSlicePrinter,
  endpointsPrinter,
  eventPrinter,
  formatLabelSelector,
  labelSelectorString,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  podPrinter,
  replicaSetPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
  statefulSetPrinter,
} from '../src/builtins/printers.js';

const NOW = new Date('2025-01-01T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();
const meta = (name: string, ageSeconds = 300, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: ago(ageSeconds), ...extra });

/** The cells of the columns kubectl shows without -o wide, by header. */
function row(p: TablePrinter, obj: unknown, wide = false): Record<string, unknown> {
  const cells = p.cells(obj, NOW);
  assert.equal(cells.length, p.columns.length, 'one cell per column');
  const out: Record<string, unknown> = {};
  p.columns.forEach((c, i) => {
    if (wide || c.priority === 0) out[c.name] = cells[i];
  });
  return out;
}

const headers = (p: TablePrinter, wide = false): string[] => p.columns.filter((c) => wide || c.priority === 0).map((c) => c.name);

// ---- Pod ----------------------------------------------------------------------------------------

const running = (name: string, ready = true, restartCount = 0) => ({
  name,
  ready,
  restartCount,
  started: true,
  state: { running: { startedAt: ago(100) } },
});

test('pod columns match kubectl: NAME READY STATUS RESTARTS AGE | IP NODE NOMINATED NODE READINESS GATES', () => {
  assert.deepEqual(headers(podPrinter), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
  assert.deepEqual(headers(podPrinter, true), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  assert.equal(podPrinter.columns[0].format, 'name');
  assert.equal(podPrinter.columns[3].type, 'string');
  assert.match(podPrinter.columns[4].description, /^CreationTimestamp is a timestamp/);
});

test('running pod: READY counts ready containers, RESTARTS shows the last restart age', () => {
  const pod = {
    metadata: meta('web', 3600),
    spec: { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'node-1' },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.0.0.5' }],
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        running('a', true, 2),
        { ...running('b', false, 1), lastState: { terminated: { exitCode: 1, finishedAt: ago(120) } } },
      ],
    },
  };
  assert.deepEqual(row(podPrinter, pod, true), {
    Name: 'web',
    Ready: '1/2',
    Status: 'Running',
    Restarts: '3 (2m ago)',
    Age: '60m',
    IP: '10.0.0.5',
    Node: 'node-1',
    'Nominated Node': '<none>',
    'Readiness Gates': '<none>',
  });
});

test('pod status: waiting reason wins (CrashLoopBackOff, ContainerCreating)', () => {
  const pod = (state: unknown) => ({
    metadata: meta('p'),
    spec: { containers: [{ name: 'a' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state }] },
  });
  assert.equal(row(podPrinter, pod({ waiting: { reason: 'CrashLoopBackOff' } })).Status, 'CrashLoopBackOff');
  assert.equal(row(podPrinter, { ...pod({ waiting: { reason: 'ContainerCreating' } }), status: { phase: 'Pending', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ContainerCreating' } } }] } }).Status, 'ContainerCreating');
});

test('pod status: terminated without reason shows the exit code or signal', () => {
  const pod = (terminated: unknown) => ({
    metadata: meta('p'),
    spec: { containers: [{ name: 'a' }] },
    status: { phase: 'Failed', containerStatuses: [{ name: 'a', state: { terminated } }] },
  });
  assert.equal(row(podPrinter, pod({ exitCode: 3 })).Status, 'ExitCode:3');
  assert.equal(row(podPrinter, pod({ exitCode: 137, signal: 9 })).Status, 'Signal:9');
  assert.equal(row(podPrinter, pod({ exitCode: 0, reason: 'Completed' })).Status, 'Completed');
});

test('pod status: Completed with another container running is Running (or NotReady)', () => {
  const pod = (ready: string) => ({
    metadata: meta('p'),
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready }],
      containerStatuses: [running('a'), { name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    },
  });
  assert.equal(row(podPrinter, pod('True')).Status, 'Running');
  assert.equal(row(podPrinter, pod('False')).Status, 'NotReady');
});

test('pod status: init containers (progress, failures, waiting reasons)', () => {
  const base = (initContainerStatuses: unknown[], conditions: unknown[] = []) => ({
    metadata: meta('p'),
    spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }, { name: 'i3' }], containers: [{ name: 'a' }] },
    status: { phase: 'Pending', conditions, initContainerStatuses, containerStatuses: [{ name: 'a', state: { waiting: { reason: 'PodInitializing' } } }] },
  });
  const done = { name: 'i1', state: { terminated: { exitCode: 0, reason: 'Completed' } } };
  assert.equal(row(podPrinter, base([done, { name: 'i2', state: { running: {} } }, { name: 'i3', state: { waiting: {} } }])).Status, 'Init:1/3');
  assert.equal(row(podPrinter, base([done, { name: 'i2', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 4 }])).Status, 'Init:CrashLoopBackOff');
  assert.equal(row(podPrinter, base([done, { name: 'i2', state: { terminated: { exitCode: 2 } } }])).Status, 'Init:ExitCode:2');
  assert.equal(row(podPrinter, base([done, { name: 'i2', state: { terminated: { exitCode: 1, reason: 'Error' } } }])).Status, 'Init:Error');
  // Restarts count init containers while initializing.
  assert.equal(row(podPrinter, base([done, { name: 'i2', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 4 }])).Restarts, '4');
});

test('pod with a restartable init container (sidecar) counts it in READY', () => {
  const pod = {
    metadata: meta('p'),
    spec: { initContainers: [{ name: 'sidecar', restartPolicy: 'Always' }], containers: [{ name: 'a' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
      initContainerStatuses: [{ name: 'sidecar', started: true, ready: true, restartCount: 1, state: { running: {} } }],
      containerStatuses: [running('a')],
    },
  };
  const r = row(podPrinter, pod);
  assert.equal(r.Ready, '2/2');
  assert.equal(r.Status, 'Running');
  assert.equal(r.Restarts, '1');
});

test('pod status: Terminating, Unknown for lost nodes, SchedulingGated, and status.reason', () => {
  const deleting = { metadata: meta('p', 60, { deletionTimestamp: ago(1) }), spec: { containers: [{ name: 'a' }] }, status: { phase: 'Running', containerStatuses: [running('a')] } };
  assert.equal(row(podPrinter, deleting).Status, 'Terminating');
  assert.equal(row(podPrinter, { ...deleting, status: { ...deleting.status, reason: 'NodeLost' } }).Status, 'Unknown');
  // A finished pod being deleted keeps its phase.
  assert.equal(row(podPrinter, { ...deleting, status: { phase: 'Succeeded' } }).Status, 'Succeeded');
  assert.equal(
    row(podPrinter, { metadata: meta('p'), spec: { containers: [{ name: 'a' }] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }).Status,
    'SchedulingGated',
  );
  assert.equal(row(podPrinter, { metadata: meta('p'), spec: { containers: [{ name: 'a' }] }, status: { phase: 'Failed', reason: 'Evicted' } }).Status, 'Evicted');
  assert.equal(row(podPrinter, { metadata: meta('p'), spec: { containers: [{ name: 'a' }] }, status: { phase: 'Pending' } }).Ready, '0/1');
});

test('pod readiness gates and nominated node (wide)', () => {
  const pod = {
    metadata: meta('p'),
    spec: { containers: [{ name: 'a' }], readinessGates: [{ conditionType: 'x/one' }, { conditionType: 'x/two' }] },
    status: { phase: 'Pending', nominatedNodeName: 'n2', conditions: [{ type: 'x/one', status: 'True' }, { type: 'x/two', status: 'False' }] },
  };
  const r = row(podPrinter, pod, true);
  assert.equal(r['Readiness Gates'], '1/2');
  assert.equal(r['Nominated Node'], 'n2');
  assert.equal(r.IP, '<none>');
});

// ---- Service, Endpoints, EndpointSlice ----------------------------------------------------------

test('service PORT(S), CLUSTER-IP, EXTERNAL-IP and SELECTOR', () => {
  const svc = {
    metadata: meta('web'),
    spec: {
      type: 'NodePort',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [{ port: 80, protocol: 'TCP' }, { port: 443, nodePort: 30443, protocol: 'TCP' }],
      selector: { app: 'web', tier: 'fe' },
    },
  };
  assert.deepEqual(headers(servicePrinter), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age']);
  assert.deepEqual(row(servicePrinter, svc, true), {
    Name: 'web',
    Type: 'NodePort',
    'Cluster-IP': '10.96.0.10',
    'External-IP': '<none>',
    'Port(s)': '80/TCP,443:30443/TCP',
    Age: '5m',
    Selector: 'app=web,tier=fe',
  });
  const lb = { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIPs: ['10.0.0.1'], ports: [{ port: 53, protocol: 'UDP' }] } };
  assert.equal(row(servicePrinter, lb)['External-IP'], '<pending>');
  assert.equal(row(servicePrinter, { ...lb, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { hostname: 'a.example.com' }] } } })['External-IP'], '1.2.3.4,a.example.com');
  const ext = { metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'db.example.com' } };
  assert.deepEqual(row(servicePrinter, ext), { Name: 'ext', Type: 'ExternalName', 'Cluster-IP': '<none>', 'External-IP': 'db.example.com', 'Port(s)': '<none>', Age: '5m' });
  assert.equal(row(servicePrinter, { metadata: meta('x'), spec: { clusterIP: 'None' } }, true).Selector, '<none>');
});

test('endpoints: up to three ip:port pairs, then "+ N more..."', () => {
  const ep = {
    metadata: meta('web'),
    subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: 'fd00::3' }, { ip: '10.0.0.4' }], ports: [{ port: 8080 }] }],
  };
  assert.equal(row(endpointsPrinter, ep).Endpoints, '10.0.0.1:8080,10.0.0.2:8080,[fd00::3]:8080 + 1 more...');
  assert.equal(row(endpointsPrinter, { metadata: meta('none') }).Endpoints, '<none>');
  assert.equal(row(endpointsPrinter, { metadata: meta('headless'), subsets: [{ addresses: [{ ip: '10.0.0.9' }] }] }).Endpoints, '10.0.0.9');
});

test('endpointslice: address type, ports and endpoints', () => {
  const s = {
    metadata: meta('web-abc'),
    addressType: 'IPv4',
    ports: [{ port: 80 }, { name: 'https' }],
    endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }],
  };
  assert.deepEqual(row(endpointSlicePrinter, s), { Name: 'web-abc', AddressType: 'IPv4', Ports: '80,https', Endpoints: '10.0.0.1,10.0.0.2', Age: '5m' });
  assert.deepEqual(row(endpointSlicePrinter, { metadata: meta('e'), addressType: 'IPv4' }), { Name: 'e', AddressType: 'IPv4', Ports: '<unset>', Endpoints: '<unset>', Age: '5m' });
});

// ---- Simple core kinds ----------------------------------------------------------------------------

test('configmap DATA counts data and binaryData; secret TYPE DATA; serviceaccount SECRETS; namespace STATUS', () => {
  assert.deepEqual(row(configMapPrinter, { metadata: meta('cm'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), { Name: 'cm', Data: 3, Age: '5m' });
  assert.deepEqual(row(secretPrinter, { metadata: meta('s'), type: 'Opaque', data: { k: 'dg==' } }), { Name: 's', Type: 'Opaque', Data: 1, Age: '5m' });
  assert.deepEqual(row(serviceAccountPrinter, { metadata: meta('default') }), { Name: 'default', Secrets: 0, Age: '5m' });
  assert.deepEqual(row(namespacePrinter, { metadata: meta('kube-system', 86400 * 3), status: { phase: 'Active' } }), { Name: 'kube-system', Status: 'Active', Age: '3d' });
  assert.deepEqual(row(leasePrinter, { metadata: meta('lock'), spec: { holderIdentity: 'me' } }), { Name: 'lock', Holder: 'me', Age: '5m' });
});

test('node STATUS, ROLES, VERSION and wide columns', () => {
  const node = {
    metadata: meta('n1', 86400, { labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge' } }),
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'n1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', containerRuntimeVersion: 'containerd://1.7.0' },
    },
  };
  assert.deepEqual(row(nodePrinter, node, true), {
    Name: 'n1',
    Status: 'Ready,SchedulingDisabled',
    Roles: 'control-plane,edge,worker',
    Age: '24h',
    Version: 'v1.32.0',
    'Internal-IP': '192.168.1.10',
    'External-IP': '<none>',
    'OS-Image': 'Debian GNU/Linux 12',
    'Kernel-Version': '<unknown>',
    'Container-Runtime': 'containerd://1.7.0',
  });
  assert.equal(row(nodePrinter, { metadata: meta('n2') }).Status, 'Unknown');
  assert.equal(row(nodePrinter, { metadata: meta('n3'), status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }).Status, 'NotReady');
});

// ---- Event ----------------------------------------------------------------------------------------

test('event LAST SEEN TYPE REASON OBJECT MESSAGE, and the wide columns', () => {
  assert.deepEqual(headers(eventPrinter), ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
  assert.deepEqual(headers(eventPrinter, true), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name']);
  const ev = {
    metadata: meta('web-1.17a8'),
    involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: '  Back-off restarting failed container \n',
    type: 'Warning',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(3600),
    lastTimestamp: ago(90),
    count: 12,
  };
  assert.deepEqual(row(eventPrinter, ev, true), {
    'Last Seen': '90s',
    Type: 'Warning',
    Reason: 'BackOff',
    Object: 'pod/web-1',
    Subobject: 'spec.containers{app}',
    Source: 'kubelet, node-1',
    Message: 'Back-off restarting failed container',
    'First Seen': '60m',
    Count: 12,
    Name: 'web-1.17a8',
  });
});

test('event from the events.k8s.io API: eventTime, series, reportingComponent, count 1', () => {
  const ev = {
    metadata: meta('e'),
    involvedObject: { kind: 'Node' },
    reason: 'Starting',
    type: 'Normal',
    eventTime: '2025-01-01T11:50:00.000000Z',
    reportingComponent: 'kube-proxy',
    reportingInstance: 'kube-proxy-node-1',
  };
  const r = row(eventPrinter, ev, true);
  assert.equal(r['Last Seen'], '10m');
  assert.equal(r['First Seen'], '10m');
  assert.equal(r.Count, 1);
  assert.equal(r.Object, 'node');
  assert.equal(r.Source, 'kube-proxy, kube-proxy-node-1');
  const series = row(eventPrinter, { ...ev, series: { count: 7, lastObservedTime: '2025-01-01T11:59:30.000000Z' } }, true);
  assert.equal(series['Last Seen'], '30s');
  assert.equal(series.Count, 7);
  assert.equal(row(eventPrinter, { metadata: meta('x') }, true)['Last Seen'], '<unknown>');
});

// ---- apps ---------------------------------------------------------------------------------------------

const template = { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } };

test('deployment READY "2/3", UP-TO-DATE, AVAILABLE and wide CONTAINERS IMAGES SELECTOR', () => {
  const d = {
    metadata: meta('web'),
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, template },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(headers(deploymentPrinter), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
  assert.deepEqual(row(deploymentPrinter, d, true), {
    Name: 'web',
    Ready: '2/3',
    'Up-to-date': 3,
    Available: 2,
    Age: '5m',
    Containers: 'app,log',
    Images: 'nginx:1.27,busybox',
    Selector: 'app=web,env in (dev,prod)',
  });
  assert.equal(row(deploymentPrinter, { metadata: meta('new'), spec: { replicas: 0 } }).Ready, '0/0');
});

test('statefulset, replicaset and daemonset columns', () => {
  assert.deepEqual(row(statefulSetPrinter, { metadata: meta('db'), spec: { replicas: 3, template }, status: { readyReplicas: 1 } }, true), {
    Name: 'db',
    Ready: '1/3',
    Age: '5m',
    Containers: 'app,log',
    Images: 'nginx:1.27,busybox',
  });
  assert.deepEqual(
    row(replicaSetPrinter, { metadata: meta('web-7d9'), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 2, readyReplicas: 1 } }, true),
    { Name: 'web-7d9', Desired: 2, Current: 2, Ready: 1, Age: '5m', Containers: 'app,log', Images: 'nginx:1.27,busybox', Selector: 'app=web' },
  );
  assert.deepEqual(headers(daemonSetPrinter), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age']);
  assert.deepEqual(
    row(daemonSetPrinter, {
      metadata: meta('agent'),
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    }),
    { Name: 'agent', Desired: 3, Current: 3, Ready: 2, 'Up-to-date': 3, Available: 2, 'Node Selector': 'kubernetes.io/os=linux', Age: '5m' },
  );
  assert.equal(row(daemonSetPrinter, { metadata: meta('x') })['Node Selector'], '<none>');
});

test('label selector strings as labels.Selector prints them', () => {
  assert.equal(labelSelectorString({ matchExpressions: [{ key: 'b', operator: 'Exists' }, { key: 'a', operator: 'DoesNotExist' }, { key: 'c', operator: 'NotIn', values: ['y', 'x'] }] }), '!a,b,c notin (x,y)');
  assert.equal(labelSelectorString(undefined), '');
  assert.equal(labelSelectorString({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), undefined);
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), '<error>');
});

// ---- CRD and defaults ---------------------------------------------------------------------------------

test('customresourcedefinitions print NAME and CREATED AT (an RFC 3339 time)', () => {
  assert.deepEqual(
    customResourceDefinitionPrinter.columns.map((c) => [c.name, c.type, c.format]),
    [
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ],
  );
  assert.deepEqual(customResourceDefinitionPrinter.cells({ metadata: { name: 'widgets.example.com', creationTimestamp: '2024-05-01T10:00:00Z' } }, NOW), [
    'widgets.example.com',
    '2024-05-01T10:00:00Z',
  ]);
});

test('the default printer shows Name and Age', () => {
  assert.deepEqual(defaultTablePrinter.columns.map((c) => c.name), ['Name', 'Age']);
  assert.deepEqual(defaultTablePrinter.cells({ metadata: meta('x', 7200) }, NOW), ['x', '120m']);
  assert.deepEqual(defaultTablePrinter.cells({ metadata: { name: 'y' } }, NOW), ['y', '<unknown>']);
});
