/**
 * Messages between bench/xds/run.ts and its two children: server.ts (the control plane under
 * test) and clients.ts (the simulated ADS clients). Times are clockMs(): CLOCK_MONOTONIC, one
 * clock for every process of the machine.
 */

export type Mode = 'sotw' | 'delta';

export interface ServerConfig {
  services: number;
  endpointsPerService: number;
}

export interface ClientsConfig {
  port: number;
  services: number;
  streams: number;
  mode: Mode;
  /** gRPC connections the streams are spread over (like that many Envoys sharing hosts). */
  connections: number;
}

export type ToServer = { type: 'change'; service: number; seq: number } | { type: 'stats' } | { type: 'stop' };

export type FromServer =
  | { type: 'ready'; port: number; buildMs: number; heapBaselineMib: number; heapWithSnapshotMib: number; resources: number; bytesPerFullSync: number }
  | { type: 'changed'; seq: number; at: number }
  | { type: 'stats'; heapMib: number; rssMib: number; sentBytes: number; pushes: number; resourcesSent: number; cpuMs: number; streams: number }
  | { type: 'error'; message: string };

export type ToClients = { type: 'sync' } | { type: 'expect'; name: string; seq: number } | { type: 'stop' };

export type FromClients =
  | { type: 'ready' }
  | { type: 'synced'; startedAt: number; syncedAt: number[]; receivedBytes: number; cpuMs: number }
  | { type: 'expecting'; seq: number }
  | { type: 'received'; seq: number; at: number[] }
  | { type: 'error'; message: string };

export function clockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Cluster (and ClusterLoadAssignment) name of service i: meshToSnapshot's `${service}-${version}`. */
export const clusterOf = (i: number): string => `svc-${i}-v1`;
export const serviceOf = (i: number): string => `svc-${i}`;
