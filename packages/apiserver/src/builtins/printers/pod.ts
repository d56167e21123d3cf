/**
 * The Pod printer: NAME READY STATUS RESTARTS AGE (wide: IP NODE NOMINATED NODE READINESS GATES).
 * STATUS follows kubectl's long-standing rules (pkg/printers/internalversion printPod): the phase,
 * overridden by status.reason, by SchedulingGated, by init-container progress ("Init:1/3",
 * "Init:CrashLoopBackOff"), by the last container's waiting/terminated reason, and finally by
 * "Terminating" for a deleted pod that is not finished.
 */
import { translateTimestampSince } from '@keelson/apimachinery';
import type { TablePrinter } from '../../resource-info.js';
import { ageColumn, ageOf, column, int, nameColumn, nameOf, str, timeOf, wide } from './common.js';
import { podDocs } from './column-docs.js';

/** The pod status reason the node lifecycle controller sets on pods of an unreachable node. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

/** podutil.IsRestartableInitContainer: a sidecar (init container with restartPolicy Always). */
const isRestartableInit = (c: any): boolean => c?.restartPolicy === 'Always';

function conditionStatus(conditions: unknown, type: string): string | undefined {
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c) => c?.type === type)?.status;
}

/** The time of the latest `lastState.terminated.finishedAt`, kept as the ISO string it came in. */
class LatestTime {
  ms: number | undefined;
  text: string | undefined;
  observe(ts: unknown): void {
    const t = timeOf(ts);
    if (t === undefined) return;
    if (this.ms === undefined || this.ms < t) {
      this.ms = t;
      this.text = ts as string;
    }
  }
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS of a pod, as kubectl prints them. */
export function summarizePod(pod: any, now: Date): PodSummary {
  const spec = pod?.spec ?? {};
  const status = pod?.status ?? {};
  const containers: any[] = Array.isArray(spec.containers) ? spec.containers : [];
  const initContainers: any[] = Array.isArray(spec.initContainers) ? spec.initContainers : [];
  const initStatuses: any[] = Array.isArray(status.initContainerStatuses) ? status.initContainerStatuses : [];
  const containerStatuses: any[] = Array.isArray(status.containerStatuses) ? status.containerStatuses : [];

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = containers.length;
  let readyContainers = 0;
  let lastRestart = new LatestTime();
  const lastRestartableInitRestart = new LatestTime();

  const phase = str(status.phase);
  let reason = phase;
  if (str(status.reason) !== '') reason = status.reason;

  for (const c of Array.isArray(status.conditions) ? status.conditions : []) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initByName = new Map<string, any>();
  for (const c of initContainers) {
    initByName.set(str(c?.name), c);
    if (isRestartableInit(c)) totalContainers++;
  }

  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    restarts += int(cs.restartCount);
    lastRestart.observe(cs.lastState?.terminated?.finishedAt);
    const restartable = isRestartableInit(initByName.get(str(cs.name)));
    if (restartable) {
      restartableInitRestarts += int(cs.restartCount);
      lastRestartableInitRestart.observe(cs.lastState?.terminated?.finishedAt);
    }
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      // initialization failed
      if (str(terminated.reason) === '') {
        reason = int(terminated.signal) !== 0 ? `Init:Signal:${int(terminated.signal)}` : `Init:ExitCode:${int(terminated.exitCode)}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionStatus(status.conditions, 'Initialized') === 'True') {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    // The last container's state wins, as upstream walks the list backwards.
    for (let i = containerStatuses.length - 1; i >= 0; i--) {
      const cs = containerStatuses[i] ?? {};
      const terminated = cs.state?.terminated;
      const waiting = cs.state?.waiting;
      restarts += int(cs.restartCount);
      lastRestart.observe(cs.lastState?.terminated?.finishedAt);
      if (waiting && str(waiting.reason) !== '') {
        reason = waiting.reason;
      } else if (terminated && str(terminated.reason) !== '') {
        reason = terminated.reason;
      } else if (terminated) {
        reason = int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      } else if (cs.ready === true && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose last container completed but another still runs is not "Completed".
    if (reason === 'Completed' && hasRunning) {
      reason = conditionStatus(status.conditions, 'Ready') === 'True' ? 'Running' : 'NotReady';
    }
  }

  const deleted = pod?.metadata?.deletionTimestamp != null;
  if (deleted && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (deleted && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart.text !== undefined) {
    restartsText = `${restarts} (${translateTimestampSince(lastRestart.text, now)} ago)`;
  }
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

function readinessGates(pod: any): string {
  const gates: any[] = Array.isArray(pod?.spec?.readinessGates) ? pod.spec.readinessGates : [];
  if (gates.length === 0) return '<none>';
  const conditions: any[] = Array.isArray(pod?.status?.conditions) ? pod.status.conditions : [];
  let trueConditions = 0;
  for (const g of gates) {
    const c = conditions.find((x) => x?.type === g?.conditionType);
    if (c?.status === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

export const podPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Ready', 'string', podDocs.ready),
    column('Status', 'string', podDocs.status),
    column('Restarts', 'string', podDocs.restarts),
    ageColumn(),
    wide(column('IP', 'string', podDocs.podIP)),
    wide(column('Node', 'string', podDocs.nodeName)),
    wide(column('Nominated Node', 'string', podDocs.nominatedNodeName)),
    wide(column('Readiness Gates', 'string', podDocs.readinessGates)),
  ],
  cells(pod, now) {
    const s = summarizePod(pod, now);
    // Upstream reads only status.podIPs (the internal type has no podIP).
    const podIP = str(pod?.status?.podIPs?.[0]?.ip) || str(pod?.status?.podIP) || '<none>';
    return [
      nameOf(pod),
      s.ready,
      s.status,
      s.restarts,
      ageOf(pod, now),
      podIP,
      str(pod?.spec?.nodeName) || '<none>',
      str(pod?.status?.nominatedNodeName) || '<none>',
      readinessGates(pod),
    ];
  },
};
