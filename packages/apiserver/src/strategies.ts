/**
 * Per-kind rules of the write path for built-in kinds (what kube-apiserver's registry
 * strategies do): defaults set on create, fields a main-resource update may not touch, and the
 * few validations kubectl users meet first. Custom resources go through their CRD schema instead.
 */
import { randomInt } from 'node:crypto';
import {
  fieldInvalid,
  fieldRequired,
  fieldNotSupported,
  labelSelectorFromMetaV1,
  type FieldError,
} from '@keelson/apimachinery';
import type { ResourceInfo } from './resource-info.js';

export interface KindStrategy {
  /** Top-level fields this kind has besides apiVersion/kind/metadata (for unknown-field detection). */
  topLevelFields?: string[];
  prepareForCreate?(obj: any): void;
  /** Runs on main-resource updates after status was carried over. */
  prepareForUpdate?(next: any, current: any): void;
  validate?(obj: any, current?: any): FieldError[];
}

const podTemplateDefaults = (tpl: any): void => {
  if (!tpl?.spec) return;
  const spec = tpl.spec;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (!c || typeof c !== 'object') continue;
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.imagePullPolicy ??= typeof c.image === 'string' && (c.image.endsWith(':latest') || !c.image.includes(':')) ? 'Always' : 'IfNotPresent';
    c.resources ??= {};
    for (const p of c.ports ?? []) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  }
};

function validatePodSpec(spec: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec || typeof spec !== 'object') return [fieldRequired(path, '')];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errs.push(fieldRequired(`${path}.containers`, ''));
    return errs;
  }
  const seen = new Set<string>();
  containers.forEach((c: any, i: number) => {
    const p = `${path}.containers[${i}]`;
    if (!c?.name) errs.push(fieldRequired(`${p}.name`, ''));
    else if (seen.has(c.name)) errs.push({ type: 'FieldValueDuplicate', field: `${p}.name`, badValue: c.name });
    else seen.add(c.name);
    if (!c?.image) errs.push(fieldRequired(`${p}.image`, ''));
  });
  return errs;
}

/** Workloads with a pod template and a selector that must select it. */
function workloadValidate(obj: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec ?? {};
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) {
    errs.push(fieldInvalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  if (!spec.selector) {
    errs.push(fieldRequired('spec.selector', ''));
  } else {
    const labels = spec.template?.metadata?.labels ?? {};
    let matches = false;
    try {
      const sel = labelSelectorFromMetaV1(spec.selector);
      matches = !sel.isEmpty() && sel.matches(labels);
      if (sel.isEmpty()) errs.push(fieldInvalid('spec.selector', spec.selector, 'empty selector is invalid for deployment'));
    } catch (e) {
      errs.push(fieldInvalid('spec.selector', spec.selector, (e as Error).message));
    }
    if (!matches) errs.push(fieldInvalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec'));
  return errs;
}

const WORKLOAD_FIELDS = ['spec', 'status'];

function randomClusterIP(): string {
  // 10.96.0.0/16 inside kube's default service range 10.96.0.0/12; .0.1 is the kubernetes service.
  return `10.96.${randomInt(0, 256)}.${randomInt(2, 255)}`;
}

const configKey = /^[-._a-zA-Z0-9]+$/;

function validateConfigKeys(obj: any, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of fields) {
    const m = obj[f];
    if (m === undefined || m === null) continue;
    if (typeof m !== 'object' || Array.isArray(m)) {
      errs.push(fieldInvalid(f, m, 'must be a map of string keys'));
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      if (!configKey.test(k) || k.length > 253) {
        errs.push(fieldInvalid(`${f}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
      }
      if (typeof v !== 'string') errs.push(fieldInvalid(`${f}[${k}]`, v, 'must be a string'));
    }
  }
  return errs;
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const builtinStrategies: Record<string, KindStrategy> = {
  '/namespaces': {
    topLevelFields: ['spec', 'status'],
    prepareForCreate(obj) {
      obj.spec = { ...(obj.spec ?? {}), finalizers: obj.spec?.finalizers ?? ['kubernetes'] };
      obj.status = { phase: 'Active' };
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
    },
    prepareForUpdate(next, current) {
      // spec.finalizers change only through /finalize; the name label always mirrors the name.
      next.spec = { ...(next.spec ?? {}), finalizers: current.spec?.finalizers ?? [] };
      next.metadata.labels = { ...(next.metadata.labels ?? {}), 'kubernetes.io/metadata.name': next.metadata.name };
    },
  },
  '/pods': {
    topLevelFields: ['spec', 'status'],
    prepareForCreate(obj) {
      podTemplateDefaults(obj);
      obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
    },
    validate: (obj) => validatePodSpec(obj.spec, 'spec'),
  },
  '/services': {
    topLevelFields: ['spec', 'status'],
    prepareForCreate(obj) {
      const spec = (obj.spec ??= {});
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName' && spec.clusterIP === undefined) spec.clusterIP = randomClusterIP();
      if (spec.clusterIP && spec.clusterIP !== 'None') spec.clusterIPs ??= [spec.clusterIP];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
      for (const p of spec.ports ?? []) {
        if (!p || typeof p !== 'object') continue;
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
        if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort === undefined) p.nodePort = randomInt(30000, 32768);
      }
      obj.status ??= { loadBalancer: {} };
    },
    prepareForUpdate(next, current) {
      // clusterIP is immutable once allocated; an update that omits it keeps it.
      if (next.spec && current.spec?.clusterIP && next.spec.clusterIP === undefined) {
        next.spec.clusterIP = current.spec.clusterIP;
        next.spec.clusterIPs ??= current.spec.clusterIPs;
      }
    },
    validate(obj) {
      const errs: FieldError[] = [];
      const type = obj.spec?.type;
      const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
      if (type && !types.includes(type)) errs.push(fieldNotSupported('spec.type', type, types));
      (obj.spec?.ports ?? []).forEach((p: any, i: number) => {
        if (!Number.isInteger(p?.port) || p.port < 1 || p.port > 65535) errs.push(fieldInvalid(`spec.ports[${i}].port`, p?.port, 'must be between 1 and 65535, inclusive'));
      });
      return errs;
    },
  },
  '/configmaps': {
    topLevelFields: ['data', 'binaryData', 'immutable'],
    validate: (obj) => {
      // binaryData is []byte upstream: a value that is not base64 never gets stored there, and
      // stored it would make every client-go list of configmaps fail to decode.
      const errs = validateConfigKeys(obj, ['data', 'binaryData']);
      const bin = obj.binaryData;
      if (bin && typeof bin === 'object' && !Array.isArray(bin)) {
        for (const [k, v] of Object.entries(bin)) {
          if (typeof v === 'string' && !base64.test(v)) errs.push(fieldInvalid(`binaryData[${k}]`, '<binary data>', 'must be base64 encoded'));
          if (obj.data && typeof obj.data === 'object' && Object.hasOwn(obj.data, k)) errs.push(fieldInvalid(`binaryData[${k}]`, k, 'duplicate of key present in data'));
        }
      }
      return errs;
    },
  },
  '/secrets': {
    topLevelFields: ['data', 'stringData', 'type', 'immutable'],
    prepareForCreate(obj) {
      obj.type ??= 'Opaque';
      foldStringData(obj);
    },
    prepareForUpdate(next) {
      foldStringData(next);
    },
    validate(obj) {
      const errs: FieldError[] = [];
      for (const [k, v] of Object.entries(obj.data ?? {})) {
        if (typeof v !== 'string' || !base64.test(v)) errs.push(fieldInvalid(`data[${k}]`, '<secret contents redacted>', 'must be base64 encoded'));
        if (!configKey.test(k)) errs.push(fieldInvalid(`data[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
      }
      return errs;
    },
  },
  '/serviceaccounts': { topLevelFields: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'] },
  '/endpoints': { topLevelFields: ['subsets'] },
  '/nodes': { topLevelFields: ['spec', 'status'] },
  '/events': {
    topLevelFields: [
      'involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime',
      'series', 'action', 'related', 'reportingComponent', 'reportingInstance',
    ],
  },
  'apps/deployments': {
    topLevelFields: WORKLOAD_FIELDS,
    prepareForCreate(obj) {
      const spec = (obj.spec ??= {});
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy = defaultRollingStrategy(spec.strategy, { maxUnavailable: '25%', maxSurge: '25%' });
      podTemplateDefaults(spec.template);
    },
    validate: workloadValidate,
  },
  'apps/statefulsets': {
    topLevelFields: WORKLOAD_FIELDS,
    prepareForCreate(obj) {
      const spec = (obj.spec ??= {});
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.revisionHistoryLimit ??= 10;
      spec.updateStrategy = defaultRollingStrategy(spec.updateStrategy, { partition: 0 }, true);
      podTemplateDefaults(spec.template);
    },
    validate: workloadValidate,
  },
  'apps/replicasets': {
    topLevelFields: WORKLOAD_FIELDS,
    prepareForCreate(obj) {
      (obj.spec ??= {}).replicas ??= 1;
      podTemplateDefaults(obj.spec.template);
    },
    validate: workloadValidate,
  },
  'apps/daemonsets': {
    topLevelFields: WORKLOAD_FIELDS,
    prepareForCreate(obj) {
      const spec = (obj.spec ??= {});
      spec.revisionHistoryLimit ??= 10;
      spec.updateStrategy = defaultRollingStrategy(spec.updateStrategy, { maxUnavailable: 1, maxSurge: 0 });
      podTemplateDefaults(spec.template);
    },
    validate: workloadValidate,
  },
  'coordination.k8s.io/leases': { topLevelFields: ['spec'] },
  'discovery.k8s.io/endpointslices': {
    topLevelFields: ['addressType', 'endpoints', 'ports'],
    validate(obj) {
      const types = ['IPv4', 'IPv6', 'FQDN'];
      if (!obj.addressType) return [fieldRequired('addressType', '')];
      return types.includes(obj.addressType) ? [] : [fieldNotSupported('addressType', obj.addressType, types)];
    },
  },
  'apiextensions.k8s.io/customresourcedefinitions': { topLevelFields: ['spec', 'status'] },
};

/**
 * SetDefaults of a Deployment's strategy / a StatefulSet's or DaemonSet's updateStrategy, field by
 * field as kube does: a missing type is RollingUpdate, and a RollingUpdate strategy gets each
 * missing rollingUpdate field. (`kubectl create deployment` sends `strategy: {}`.) A StatefulSet
 * only gets a rollingUpdate block when its type was defaulted (`onlyWhenTypeDefaulted`).
 */
export function defaultRollingStrategy(strategy: any, rollingDefaults: Record<string, unknown>, onlyWhenTypeDefaulted = false): any {
  if (strategy !== undefined && strategy !== null && (typeof strategy !== 'object' || Array.isArray(strategy))) return strategy;
  const out = { ...(strategy ?? {}) };
  const typeDefaulted = !out.type;
  if (typeDefaulted) out.type = 'RollingUpdate';
  if (out.type !== 'RollingUpdate') return out;
  if (out.rollingUpdate === undefined || out.rollingUpdate === null) {
    if (onlyWhenTypeDefaulted && !typeDefaulted) return out;
    out.rollingUpdate = {};
  } else if (typeof out.rollingUpdate !== 'object' || Array.isArray(out.rollingUpdate)) {
    return out;
  } else {
    out.rollingUpdate = { ...out.rollingUpdate };
  }
  for (const [k, v] of Object.entries(rollingDefaults)) out.rollingUpdate[k] ??= v;
  return out;
}

function foldStringData(obj: any): void {
  if (obj.stringData && typeof obj.stringData === 'object') {
    obj.data = { ...(obj.data ?? {}) };
    for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete obj.stringData;
  }
}

export function strategyFor(info: ResourceInfo): KindStrategy | undefined {
  if (info.crd) return undefined;
  return builtinStrategies[`${info.group}/${info.resource}`];
}
