/** The benchmark's mesh: n services, one version each, `endpoints` endpoints with distinct IPs. */
import type { MeshSpec } from '@keelson/xds';
import { serviceOf } from './protocol.js';

/** Endpoint k of service i: distinct IPs, so every assignment is different. */
export const address = (i: number, k: number): string => `10.${(i >> 8) & 255}.${i & 255}.${k + 1}`;

export function benchMesh(n: number, endpoints: number): MeshSpec {
  return {
    services: Array.from({ length: n }, (_, i) => ({
      name: serviceOf(i),
      versions: [{ name: 'v1', endpoints: Array.from({ length: endpoints }, (_, k) => ({ address: address(i, k), port: 8080 })) }],
      routes: [],
    })),
  };
}
