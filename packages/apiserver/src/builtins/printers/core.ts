/**
 * Table printers of the core/v1 kinds Keelson serves besides Pod (see pod.ts). Columns, types,
 * priorities and cell texts follow kube-apiserver's pkg/printers/internalversion; the server
 * always fills the wide (priority 1) cells, kubectl hides them unless -o wide.
 */
import { translateTimestampSince } from '@keelson/apimachinery';
import type { TablePrinter } from '../../resource-info.js';
import {
  ageColumn,
  ageOf,
  column,
  formatLabels,
  int,
  joinHostPort,
  len,
  nameColumn,
  nameOf,
  str,
  timeOf,
  wide,
} from './common.js';
import {
  configMapDocs,
  endpointsDocs,
  eventDocs,
  namespaceDocs,
  nodeDocs,
  objectMetaDocs,
  secretDocs,
  serviceAccountDocs,
  serviceDocs,
} from './column-docs.js';

// ---- Service -----------------------------------------------------------------------------------

/** loadBalancerStatusStringer with wide=true (the server never clips): unique IPs/hostnames, sorted. */
function loadBalancerIngress(svc: any): string {
  const set = new Set<string>();
  for (const ing of Array.isArray(svc?.status?.loadBalancer?.ingress) ? svc.status.loadBalancer.ingress : []) {
    if (str(ing?.ip) !== '') set.add(ing.ip);
    else if (str(ing?.hostname) !== '') set.add(ing.hostname);
  }
  return [...set].sort().join(',');
}

function serviceExternalIP(svc: any): string {
  const externalIPs: string[] = Array.isArray(svc?.spec?.externalIPs) ? svc.spec.externalIPs : [];
  switch (str(svc?.spec?.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb !== '' ? lb : '<pending>';
    }
    case 'ExternalName':
      return str(svc?.spec?.externalName);
    default:
      return '<unknown>';
  }
}

/** makePortString: "80/TCP,443:30443/TCP". */
export function servicePorts(ports: unknown): string {
  const list: any[] = Array.isArray(ports) ? ports : [];
  return list
    .map((p) => {
      const protocol = str(p?.protocol) || 'TCP';
      return int(p?.nodePort) > 0 ? `${int(p?.port)}:${int(p.nodePort)}/${protocol}` : `${int(p?.port)}/${protocol}`;
    })
    .join(',');
}

export const servicePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Type', 'string', serviceDocs.type),
    column('Cluster-IP', 'string', serviceDocs.clusterIP),
    column('External-IP', 'string', serviceDocs.externalIPs),
    column('Port(s)', 'string', serviceDocs.ports),
    ageColumn(),
    wide(column('Selector', 'string', serviceDocs.selector)),
  ],
  cells(svc, now) {
    // The internal type keeps only clusterIPs; objects written before dual-stack carry clusterIP.
    const clusterIP = str(svc?.spec?.clusterIPs?.[0]) || str(svc?.spec?.clusterIP) || '<none>';
    const ports = servicePorts(svc?.spec?.ports);
    return [
      nameOf(svc),
      // spec.type defaults to ClusterIP on create; read old objects the same way.
      str(svc?.spec?.type) || 'ClusterIP',
      clusterIP,
      serviceExternalIP(svc),
      ports === '' ? '<none>' : ports,
      ageOf(svc, now),
      formatLabels(svc?.spec?.selector),
    ];
  },
};

// ---- Endpoints ---------------------------------------------------------------------------------

/** formatEndpoints(endpoints, nil): up to three ip:port pairs, then "+ N more...". */
export function formatEndpoints(ep: any): string {
  const subsets: any[] = Array.isArray(ep?.subsets) ? ep.subsets : [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses: any[] = Array.isArray(ss?.addresses) ? ss.addresses : [];
    const ports: any[] = Array.isArray(ss?.ports) ? ss.ports : [];
    if (ports.length === 0) {
      // Headless services may have no ports.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a?.ip));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(str(a?.ip), int(port?.port)));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsPrinter: TablePrinter = {
  columns: [nameColumn(), column('Endpoints', 'string', endpointsDocs.subsets), ageColumn()],
  cells: (ep, now) => [nameOf(ep), formatEndpoints(ep), ageOf(ep, now)],
};

// ---- ConfigMap, Secret, ServiceAccount, Namespace ----------------------------------------------

export const configMapPrinter: TablePrinter = {
  columns: [nameColumn(), column('Data', 'string', configMapDocs.data), ageColumn()],
  cells: (cm, now) => [nameOf(cm), len(cm?.data) + len(cm?.binaryData), ageOf(cm, now)],
};

export const secretPrinter: TablePrinter = {
  columns: [nameColumn(), column('Type', 'string', secretDocs.type), column('Data', 'string', secretDocs.data), ageColumn()],
  cells: (s, now) => [nameOf(s), str(s?.type), len(s?.data), ageOf(s, now)],
};

/** kubectl 1.32 still prints SECRETS for service accounts (the count of .secrets). */
export const serviceAccountPrinter: TablePrinter = {
  columns: [nameColumn(), column('Secrets', 'string', serviceAccountDocs.secrets), ageColumn()],
  cells: (sa, now) => [nameOf(sa), len(sa?.secrets), ageOf(sa, now)],
};

export const namespacePrinter: TablePrinter = {
  columns: [nameColumn(), column('Status', 'string', namespaceDocs.status), ageColumn()],
  cells: (ns, now) => [nameOf(ns), str(ns?.status?.phase), ageOf(ns, now)],
};

// ---- Node --------------------------------------------------------------------------------------

const NODE_ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

/** findNodeRoles: node-role.kubernetes.io/<role> labels and kubernetes.io/role=<role>, sorted. */
function nodeRoles(node: any): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((node?.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith(NODE_ROLE_LABEL_PREFIX)) {
      const role = k.slice(NODE_ROLE_LABEL_PREFIX.length);
      if (role.length > 0) roles.add(role);
    } else if (k === NODE_ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

function nodeAddress(node: any, type: string): string {
  const addrs: any[] = Array.isArray(node?.status?.addresses) ? node.status.addresses : [];
  return str(addrs.find((a) => a?.type === type)?.address) || '<none>';
}

export const nodePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', nodeDocs.status),
    column('Roles', 'string', nodeDocs.roles),
    ageColumn(),
    column('Version', 'string', nodeDocs.kubeletVersion),
    wide(column('Internal-IP', 'string', nodeDocs.addresses)),
    wide(column('External-IP', 'string', nodeDocs.addresses)),
    wide(column('OS-Image', 'string', nodeDocs.osImage)),
    wide(column('Kernel-Version', 'string', nodeDocs.kernelVersion)),
    wide(column('Container-Runtime', 'string', nodeDocs.containerRuntimeVersion)),
  ],
  cells(node, now) {
    const status: string[] = [];
    const conditions: any[] = Array.isArray(node?.status?.conditions) ? node.status.conditions : [];
    // Only the Ready condition is shown; the last one of a type wins, as in upstream's map.
    const ready = conditions.filter((c) => c?.type === 'Ready').pop();
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    if (status.length === 0) status.push('Unknown');
    if (node?.spec?.unschedulable === true) status.push('SchedulingDisabled');
    const roles = nodeRoles(node).join(',');
    const info = node?.status?.nodeInfo ?? {};
    return [
      nameOf(node),
      status.join(','),
      roles === '' ? '<none>' : roles,
      ageOf(node, now),
      str(info.kubeletVersion),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

// ---- Event -------------------------------------------------------------------------------------

/** translateTimestampSince / translateMicroTimestampSince: "<unknown>" for unset times. */
function since(ts: unknown, now: Date): string {
  return timeOf(ts) === undefined ? '<unknown>' : translateTimestampSince(ts as string, now);
}

function eventSource(ev: any): string {
  const component = str(ev?.source?.component) || str(ev?.reportingComponent);
  const instance = str(ev?.source?.host) || str(ev?.reportingInstance);
  return instance === '' ? component : `${component}, ${instance}`;
}

export const eventPrinter: TablePrinter = {
  columns: [
    column('Last Seen', 'string', eventDocs.lastTimestamp),
    column('Type', 'string', eventDocs.type),
    column('Reason', 'string', eventDocs.reason),
    column('Object', 'string', eventDocs.involvedObject),
    wide(column('Subobject', 'string', eventDocs.fieldPath)),
    wide(column('Source', 'string', eventDocs.source)),
    column('Message', 'string', eventDocs.message),
    wide(column('First Seen', 'string', eventDocs.firstTimestamp)),
    wide(column('Count', 'string', eventDocs.count)),
    wide(column('Name', 'string', objectMetaDocs.name, { format: 'name' })),
  ],
  cells(ev, now) {
    let firstSeen = since(ev?.firstTimestamp, now);
    if (timeOf(ev?.firstTimestamp) === undefined) firstSeen = since(ev?.eventTime, now);
    let lastSeen = since(ev?.lastTimestamp, now);
    if (timeOf(ev?.lastTimestamp) === undefined) lastSeen = firstSeen;
    let count = int(ev?.count);
    if (ev?.series) {
      lastSeen = since(ev.series.lastObservedTime, now);
      count = int(ev.series.count);
    } else if (count === 0) {
      // Singleton events of the events.k8s.io API carry no count.
      count = 1;
    }
    const kind = str(ev?.involvedObject?.kind).toLowerCase();
    const name = str(ev?.involvedObject?.name);
    const target = name.length > 0 ? `${kind}/${name}` : kind;
    return [
      lastSeen,
      str(ev?.type),
      str(ev?.reason),
      target,
      str(ev?.involvedObject?.fieldPath),
      eventSource(ev),
      str(ev?.message).trim(),
      firstSeen,
      count,
      nameOf(ev),
    ];
  },
};
