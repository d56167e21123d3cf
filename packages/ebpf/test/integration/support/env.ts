/**
 * Preconditions of the kernel tests. They need root and the built addon and objects (npm test runs
 * scripts/ensure-ebpf.mjs first). Without root they skip with the reason; a missing build fails,
 * since in CI that is a defect, not an environment.
 */
import { existsSync } from 'node:fs';
import { addonPath, objectPath } from '../../../src/index.js';

export const skipUnlessRoot: string | false =
  process.platform !== 'linux' ? 'needs Linux' : process.getuid?.() !== 0 ? 'needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN)' : false;

export function requireBuilt(...objects: string[]): void {
  if (!existsSync(addonPath)) throw new Error(`the addon is not built (${addonPath}): run node scripts/ensure-ebpf.mjs`);
  for (const o of objects) if (!existsSync(objectPath(o))) throw new Error(`${objectPath(o)} is not built: run node scripts/ensure-ebpf.mjs`);
}
